import { TEST_SECRETS } from '../support/stack';
import { AuthVariant, FuzzCase, NASTY_STRINGS, Random, encodeAnything } from './fuzz-generator';
import type { Operation } from './openapi-operations';

const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());

/** Bodies shaped like the four postback forms and the Bazaar callback, each broken in one place. */
export function postbackCases(operations: Operation[], auths: AuthVariant[], random: Random): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const basic = auths.find((a) => a.label === 'webhook-basic') as AuthVariant;
  const user = TEST_SECRETS.webhookUsername;
  const password = TEST_SECRETS.webhookPassword;
  const v2 = (over: Record<string, unknown>) =>
    JSON.stringify({
      registration: {
        id: 'fz-reg',
        instance: 0,
        registrationCompletion: 'COMPLETED',
        registrationSuccess: 'PASSED',
        score: { scaled: 90 },
        totalSecondsTracked: 60,
        updated: '2026-11-23T05:00:00.000Z',
        ...over,
      },
    });
  const xml = (attrs: string, inner = '') => `<registrationreport ${attrs}>${inner}</registrationreport>`;
  const payloads: { label: string; contentType: string; body: Buffer | undefined; headers?: Record<string, string> }[] =
    [
      {
        body: Buffer.from(v2({ id: random.pick(NASTY_STRINGS) })),
        contentType: 'application/json',
        headers: basic.headers,
        label: 'v2 json nasty id',
      },
      {
        body: Buffer.from(v2({ updated: 'yesterday', score: 'high' })),
        contentType: 'application/json',
        headers: basic.headers,
        label: 'v2 json wrong types',
      },
      {
        body: Buffer.from(v2({ instance: -1, totalSecondsTracked: Number.POSITIVE_INFINITY })),
        contentType: 'application/json',
        headers: basic.headers,
        label: 'v2 json out of range',
      },
      {
        body: Buffer.from('{"registration":'),
        contentType: 'application/json',
        headers: basic.headers,
        label: 'v2 json truncated',
      },
      { body: Buffer.from('[]'), contentType: 'application/json', headers: basic.headers, label: 'v2 json array' },
      {
        body: form({ data: '{not json', password, userName: user }),
        contentType: 'application/x-www-form-urlencoded',
        label: 'v2 form bad data',
      },
      {
        body: form({ data: v2({}), password: 'wrong-0123456789abcdef', userName: user }),
        contentType: 'application/x-www-form-urlencoded',
        label: 'v2 form wrong password',
      },
      {
        body: form({ data: v2({}), userName: user }),
        contentType: 'application/x-www-form-urlencoded',
        label: 'v2 form no password',
      },
      {
        body: form({
          data: xml('regid="fz" instanceid="zero"', '<complete>maybe</complete>'),
          password,
          username: user,
        }),
        contentType: 'application/x-www-form-urlencoded',
        label: 'v1 form bad values',
      },
      {
        body: form({ data: '<registrationreport', password, username: user }),
        contentType: 'application/x-www-form-urlencoded',
        label: 'v1 form bad xml',
      },
      {
        body: form({
          data: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><registrationreport regid="&e;"/>',
          password,
          username: user,
        }),
        contentType: 'application/x-www-form-urlencoded',
        label: 'v1 form xxe',
      },
      {
        body: Buffer.from(xml(`regid="${'r'.repeat(5000)}"`)),
        contentType: 'text/xml',
        headers: basic.headers,
        label: 'v1 basic xml long id',
      },
      {
        body: Buffer.from('<rsp stat="ok"><a>'),
        contentType: 'application/xml',
        headers: basic.headers,
        label: 'v1 basic xml truncated',
      },
      { body: Buffer.from(v2({})), contentType: 'text/xml', headers: basic.headers, label: 'json labelled xml' },
      {
        body: Buffer.from(xml('regid="fz"')),
        contentType: 'application/json',
        headers: basic.headers,
        label: 'xml labelled json',
      },
      {
        body: Buffer.concat([
          Buffer.from('data='),
          Buffer.from([0xff, 0xfe, 0x80]),
          Buffer.from(`&username=${user}&password=${password}`),
        ]),
        contentType: 'application/x-www-form-urlencoded',
        label: 'form invalid utf-8',
      },
      {
        body: Buffer.from(v2({})),
        contentType: 'application/json',
        headers: { Authorization: 'Basic ' + 'A'.repeat(6000) },
        label: 'oversized basic',
      },
      { body: undefined, contentType: 'application/json', headers: basic.headers, label: 'empty body' },
    ];
  const postbackPaths = operations
    .filter((op) => /\/api\/results$|\/webhooks\/scorm-cloud$/.test(op.path) && op.method === 'POST')
    .map((op) => op);
  for (const op of postbackPaths) {
    for (const payload of payloads) {
      cases.push({
        auth: payload.headers ? 'webhook-basic' : 'form',
        body: payload.body,
        headers: { 'Content-Type': payload.contentType, ...payload.headers },
        method: 'POST',
        mutation: `postback ${payload.label}`,
        operation: op.id,
        path: `${op.path}${random.bool() ? `?token=${encodeAnything(random.pick(NASTY_STRINGS))}` : ''}`,
      });
    }
  }
  for (const op of operations.filter(
    (o) => /\/api\/results$|\/webhooks\/scorm-cloud$/.test(o.path) && o.method === 'GET',
  )) {
    for (const query of [
      `?data=${encodeURIComponent('<registrationreport regid="fz"/>')}&username=${user}&password=${password}`,
      `?data=%FF%FE&username=${user}&password=${password}`,
      `?username=${user}&password=wrong`,
      '?data=&data=&data=',
      `?token=${'eyJ'.repeat(100)}`,
    ]) {
      cases.push({
        auth: 'query',
        headers: {},
        method: 'GET',
        mutation: 'postback query',
        operation: op.id,
        path: op.path + query,
      });
    }
  }
  for (const op of operations.filter((o) => /\/bazaar\/callbacks\//.test(o.path))) {
    const items = [
      Buffer.from('not json at all').toString('base64'),
      Buffer.from('{"uid":').toString('base64'),
      Buffer.from(JSON.stringify([{ name: 'x' }])).toString('base64'),
      Buffer.from(JSON.stringify({ name: 'x'.repeat(100_000), uid: '../../etc' })).toString('base64'),
      '%%%%',
      '{"uid":"u","name":"n"}',
      '',
    ];
    for (const state of ['', 'fz-state', '../../x', 'a'.repeat(5000), '%00']) {
      const payload = random.pick(items);
      cases.push({
        auth: 'none',
        body: op.method === 'GET' ? undefined : form({ data: payload, items: payload, result: payload }),
        headers: op.method === 'GET' ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' },
        method: op.method,
        mutation: 'callback forged state',
        operation: op.id,
        path: `${op.path}${state ? `?state=${encodeURIComponent(state)}` : ''}`,
      });
    }
  }
  return cases;
}
