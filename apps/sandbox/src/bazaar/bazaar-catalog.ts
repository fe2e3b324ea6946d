/** What the sandbox store sells: enough variety to exercise the LMS side (the Bazaar spec and the live store's quirks). */
export interface SandboxMaterial {
  uid: string;
  name: string;
  description?: string;
  images?: Record<string, { url: string; width: number; height: number }>;
}

/** lms/view refuses this one with 403, as Bazaar does when the school holds no license. */
export const UNLICENSED_UID = 'dc38da67-0000-4000-8000-00000000403a';

const image = (size: number) => ({ height: size, url: 'https://bazaar.example/img/thumb.jpg', width: size });

export const SANDBOX_CATALOG: SandboxMaterial[] = [
  {
    // The Bazaar spec's example payload.
    description: 'Long text, Long text, Long text, Long text',
    images: { low_resolution: image(612), standard_resolution: image(306), thumbnail: image(150) },
    name: 'Bazaar Example',
    uid: 'dc38da67-bb73-4062-8c67-a6e76e6c8f69',
  },
  {
    description: 'Äidinkielen ja kirjallisuuden tehtäviä yläkouluun: ääkköset, yhdyssanat ja lauseenjäsennys.',
    images: { thumbnail: image(150) },
    name: 'Äidinkieli 7: Sanaluokat ja lauseenjäsennys',
    uid: '5f0c2b8e-6a3d-4f1e-9b7a-2c4d6e8f0a1b',
  },
  {
    // The live national store sends only uid and name, and its uid is a record id, not a UUID.
    name: 'Suomen historia: Itsenäisyyden aika',
    uid: 'finna.kansalliskirjasto:1234567',
  },
  {
    description: 'A paid material your school has no license for: opening it is refused.',
    name: 'Premium Physics (no license)',
    uid: UNLICENSED_UID,
  },
];

export function findMaterial(uid: string): SandboxMaterial | undefined {
  return SANDBOX_CATALOG.find((material) => material.uid === uid);
}
