import { FixedClock } from '@app/common';
import type { AppConfigService } from '@app/config';
import { createHash } from 'node:crypto';

import { ScormCloudV1Signer, computeV1Signature, formatV1Timestamp } from './scorm-cloud-v1.signer';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const config = (appId: string, secretKey: string) => ({ scormCloud: { appId, secretKey } }) as AppConfigService;

describe('ScormCloudV1Signer (the v1 spec)', () => {
  it("reproduces the v1 spec's worked example", () => {
    expect(
      computeV1Signature('someverysecretkey', {
        appid: 'APP123',
        method: 'rustici.registration.exists',
        regid: '1234',
        ts: '20171024213655',
      }),
    ).toBe('bf38a2e6b2f9a97faf276a7075c9cbc2');
  });

  it('adds appid and ts from the injected clock and signs them', () => {
    const signer = new ScormCloudV1Signer(
      config('APP123', 'someverysecretkey'),
      new FixedClock(new Date('2017-10-24T21:36:55.000Z')),
    );
    const signed = signer.sign({ method: 'rustici.registration.exists', regid: '1234' });
    expect(signed).toEqual({
      appid: 'APP123',
      method: 'rustici.registration.exists',
      regid: '1234',
      sig: 'bf38a2e6b2f9a97faf276a7075c9cbc2',
      ts: '20171024213655',
    });
  });

  it('applies the clock offset learnt from SCORM Cloud to ts', () => {
    const signer = new ScormCloudV1Signer(config('A', 's'), new FixedClock(new Date('2026-11-23T10:00:00.000Z')));
    signer.setClockOffset(20 * 60_000);
    expect(signer.sign({ method: 'x' }).ts).toBe('20261123102000');
    expect(formatV1Timestamp(new Date('2026-01-02T03:04:05.999Z'))).toBe('20260102030405');
  });

  it('sorts keys case-insensitively (courseid before courseTags, regid before Regname)', () => {
    const params = { appid: 'A', courseTags: 'x', courseid: 'c1', method: 'm', ts: '1' };
    // case-insensitive: appid, courseid ("courseid" < "coursetags"), courseTags, method, ts
    expect(computeV1Signature('s', params)).toBe(md5('sappidAcourseidc1courseTagsxmethodmts1'));
    // a case-sensitive (ASCII) sort would put courseTags first and give another signature
    expect(computeV1Signature('s', params)).not.toBe(md5('sappidAcourseTagsxcourseidc1methodmts1'));
    expect(computeV1Signature('s', { Regname: 'r', regid: '1' })).toBe(md5('sregid1Regnamer'));
  });

  it('signs raw values with spaces, &, + and non-ASCII, and URL-encodes only afterwards', () => {
    const signer = new ScormCloudV1Signer(config('APP', 'sec'), new FixedClock(new Date('2026-11-23T10:00:00Z')));
    const raw = { fname: 'Äinö Ö', lname: 'a&b+c d', method: 'rustici.registration.createRegistration' };
    const signed = signer.sign(raw);
    expect(signed.sig).toBe(
      md5('secappidAPPfnameÄinö Ölnamea&b+c dmethodrustici.registration.createRegistrationts20261123100000'),
    );
    const query = signer.signedQuery(raw);
    expect(query).toContain('lname=a%26b%2Bc+d');
    expect(query).toContain('fname=%C3%84in%C3%B6+%C3%96');
    expect(Object.fromEntries(new URLSearchParams(query))).toEqual(signed);
  });

  it('never signs an incoming sig parameter', () => {
    expect(computeV1Signature('s', { a: '1', sig: 'zzz' })).toBe(md5('sa1'));
  });
});
