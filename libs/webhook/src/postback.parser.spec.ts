import { DomainError } from '@app/common';

import { PostbackParser, redactFields } from './postback.parser';
import type { PostbackRequest } from './postback.types';

const V2 = {
  completedDate: '2026-11-23T10:15:30.000Z',
  course: { id: 'course-1', title: 'Safety 101', version: 0 },
  firstAccessDate: '2026-11-23T10:00:00.000Z',
  id: 'reg-123',
  instance: 0,
  lastAccessDate: '2026-11-23T10:15:30.000Z',
  learner: { firstName: 'Aino', id: 'learner-9', lastName: 'Virtanen' },
  registrationCompletion: 'COMPLETED',
  registrationSuccess: 'PASSED',
  score: { scaled: 85 },
  totalSecondsTracked: 342,
  updated: '2026-11-23T10:15:30.000Z',
};
const REPORT =
  '<registrationreport format="course" regid="reg-123" instanceid="2"><complete>complete</complete>' +
  '<success>passed</success><totaltime>342</totaltime><score>85</score></registrationreport>';

const post = (contentType: string, body: string, rawQuery = ''): PostbackRequest => ({
  authorization: undefined,
  clientAddress: '127.0.0.1',
  contentType,
  method: 'POST',
  rawBody: Buffer.from(body),
  rawQuery,
});
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  }
  throw new Error('expected a refusal');
};

describe('PostbackParser', () => {
  const parser = new PostbackParser();

  it('reads the v2 JSON RegistrationSchema', () => {
    const parsed = parser.parse(post('application/json; charset=utf-8', JSON.stringify(V2), 'token=abc'));
    expect(parsed.shape).toBe('v2_json');
    expect(parsed.token).toBe('abc');
    expect(parsed.progress).toEqual({
      completedDate: new Date('2026-11-23T10:15:30.000Z'),
      completion: 'COMPLETED',
      firstAccessDate: new Date('2026-11-23T10:00:00.000Z'),
      instance: 0,
      lastAccessDate: new Date('2026-11-23T10:15:30.000Z'),
      registrationId: 'reg-123',
      score: 85,
      success: 'PASSED',
      totalSeconds: 342,
      updated: new Date('2026-11-23T10:15:30.000Z'),
    });
  });

  it('reads the v2 form, taking credentials from userName/password and storing no password', () => {
    const body = form({ data: JSON.stringify(V2), password: 'secret', userName: 'scorm' });
    const parsed = parser.parse(post('application/x-www-form-urlencoded', body));
    expect(parsed.shape).toBe('v2_form');
    expect(parser.credentialsOf(post('application/x-www-form-urlencoded', body))).toEqual({
      password: 'secret',
      username: 'scorm',
    });
    expect(parsed.progress.registrationId).toBe('reg-123');
    expect(parsed.redactedRaw).not.toContain('secret');
    expect(parsed.redactedRaw).toContain('userName=scorm');
  });

  it('reads the v1 form with a report wrapped in <rsp>', () => {
    const body = form({ data: `<?xml version="1.0"?><rsp stat="ok">${REPORT}</rsp>`, password: 'p', username: 'u' });
    const parsed = parser.parse(post('application/x-www-form-urlencoded', body));
    expect(parsed.shape).toBe('v1_form');
    expect(parsed.progress).toMatchObject({
      completion: 'COMPLETED',
      instance: 2,
      registrationId: 'reg-123',
      score: 85,
      success: 'PASSED',
      totalSeconds: 342,
      updated: null,
    });
  });

  it('reads a bare v1 XML body and treats score "unknown" as no score', () => {
    const parsed = parser.parse(post('text/xml', REPORT.replace('<score>85</score>', '<score>unknown</score>')));
    expect(parsed.shape).toBe('v1_xml');
    expect(parsed.progress.score).toBeNull();
  });

  it("reads the webhook guide's GET query form and redacts password and token", () => {
    const rawQuery =
      'registration_id=reg-9&completion=completed&success=failed&score=40&total_seconds=12.6' +
      '&updated=2026-11-23T10:00:00Z&username=u&password=p&token=t';
    const parsed = parser.parse({
      authorization: undefined,
      clientAddress: '127.0.0.1',
      contentType: undefined,
      method: 'GET',
      rawBody: undefined,
      rawQuery,
    });
    expect(parsed.shape).toBe('query');
    expect(parsed.token).toBe('t');
    expect(parsed.progress).toMatchObject({
      completion: 'COMPLETED',
      registrationId: 'reg-9',
      score: 40,
      success: 'FAILED',
      totalSeconds: 13,
    });
    expect(parsed.redactedRaw).not.toMatch(/password|token/);
  });

  it('refuses bad bodies with a clear 4xx code', () => {
    expect(codeOf(() => parser.parse(post('application/json', '{"id":')))).toBe('POSTBACK_MALFORMED_JSON');
    expect(codeOf(() => parser.parse(post('text/xml', '<registrationreport regid="a">')))).toBe(
      'POSTBACK_MALFORMED_XML',
    );
    expect(codeOf(() => parser.parse(post('text/csv', 'a,b')))).toBe('POSTBACK_UNSUPPORTED_MEDIA_TYPE');
    expect(codeOf(() => parser.parse(post('application/x-www-form-urlencoded', 'username=u&password=p')))).toBe(
      'POSTBACK_DATA_MISSING',
    );
    expect(codeOf(() => parser.parse(post('application/json', '{"instance":0}')))).toBe('POSTBACK_INVALID');
    expect(codeOf(() => parser.parse(post('application/json', JSON.stringify({ ...V2, updated: 'yesterday' }))))).toBe(
      'POSTBACK_INVALID',
    );
  });

  it('refuses DOCTYPE and entity declarations (no XXE, no billion laughs)', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><registrationreport regid="&lol;"/>';
    expect(codeOf(() => parser.parse(post('application/xml', bomb)))).toBe('POSTBACK_MALFORMED_XML');
  });

  it('redacts secret form fields and keeps every other byte', () => {
    expect(redactFields('data=%7B%7D&userName=a&password=x&Token=y&pass%77ord=z')).toBe('data=%7B%7D&userName=a');
  });
});
