/**
 * What the gateway tells the LMS. Payloads are thin (`{type, timestamp, data}`, well under 20 kB) and carry the
 * ids the LMS can fetch more by. Adding a type is adding it here; receivers must ignore types they don't know.
 */
export const EVENT_TYPES = [
  'bazaar.material_added',
  'bazaar.material_removed',
  'course.import_finished',
  'learner.deleted',
  'registration.completed',
  'registration.deleted_upstream',
  'registration.progress_changed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The ids an event is about: they decide who may see it on the stream and order its deliveries. */
export interface EventSubject {
  registrationId?: string | null;
  learnerId?: string | null;
  contextId?: string | null;
  courseId?: string | null;
}

/** An event to append to the outbox, in the transaction of the change it announces. */
export interface NewEvent extends EventSubject {
  type: EventType;
  /** When the change happened (the gateway's clock). */
  occurredAt: Date;
  /** The payload's `data`: snake_case JSON, ids included. */
  data: Record<string, unknown>;
  /**
   * The LMS user who made the change, when the event names one and is not about their own registration (a material
   * added or removed): a learner data deletion of that user erases the event. Not who may see it.
   */
  actorId?: string;
}

/** An event as stored: its position in the outbox, its Standard Webhooks id and the exact payload delivered. */
export interface StoredEvent extends Required<EventSubject> {
  /** Position in the outbox: commit order, gap-free in what readers see (see EventOutbox). The SSE `id`. */
  seq: number;
  /** `evt_<uuid>`: the `webhook-id` of every delivery of it, the same on each retry. */
  id: string;
  type: EventType;
  occurredAt: string;
  /** `{"type","timestamp","data"}` exactly as delivered (signatures are over these bytes). */
  payload: string;
}

/** The JSON every delivery and stream message carries. */
export interface EventPayload {
  type: EventType;
  timestamp: string;
  data: Record<string, unknown>;
}
