import { GatewayMetrics, SystemClock } from '@app/common';
import type { AppConfigService } from '@app/config';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import {
  ScormCloudV1Client,
  ScormCloudV1Failure,
  mapV1Failure,
  parseV1Response,
  v1ReportToProgress,
} from './scorm-cloud-v1.client';
import { ScormCloudV1Signer, computeV1Signature, formatV1Timestamp } from './scorm-cloud-v1.signer';

describe('SCORM Cloud v1 XML answers', () => {
  it('returns the <rsp> element of an ok answer', () => {
    const rsp = parseV1Response('<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok"><result>true</result></rsp>');
    expect(rsp.result).toBe('true');
  });

  it('reads <err> from a fail answer, also with whitespace and newlines before it', () => {
    for (const xml of [
      '<rsp stat="fail"><err code="1" msg="The registration does not exist"/></rsp>',
      '<?xml version="1.0"?>\n<rsp stat="fail">\n    \n  <err code="1" msg="The registration does not exist" />\n</rsp>\n',
    ]) {
      expect(() => parseV1Response(xml)).toThrow(ScormCloudV1Failure);
      try {
        parseV1Response(xml);
      } catch (error) {
        expect(error).toMatchObject({ code: 1, msg: 'The registration does not exist' });
      }
    }
  });

  it('treats non-XML and a missing <rsp> as malformed', () => {
    expect(() => parseV1Response('<html>Bad gateway</html>')).toThrow(/no <rsp>/);
    expect(mapV1Failure(new ScormCloudV1Failure(-1, 'x'), 'y').code).toBe('SCORM_CLOUD_MALFORMED_RESPONSE');
  });

  it('maps the documented codes to domain errors', () => {
    const map = (code: number) => mapV1Failure(new ScormCloudV1Failure(code, 'msg'), 'registration r1');
    expect(map(1)).toMatchObject({ code: 'SCORM_CLOUD_NOT_FOUND', kind: 'not_found' });
    expect(map(2)).toMatchObject({ code: 'SCORM_CLOUD_CONFLICT', kind: 'conflict' });
    expect(map(103)).toMatchObject({ code: 'SCORM_CLOUD_AUTH_REJECTED', kind: 'upstream_rejected' });
    expect(map(104).message).toMatch(/rejected our credentials/);
    expect(map(300)).toMatchObject({ code: 'SCORM_CLOUD_V1_REFUSED', kind: 'upstream_rejected' });
    expect(map(300).message).toMatch(/SCORM_CLOUD_API=v2/);
    expect(map(4)).toMatchObject({ kind: 'upstream_bad_request' });
  });

  it('turns a course registration report into an API progress update', () => {
    const rsp = parseV1Response(
      '<rsp stat="ok"><registrationreport format="course" regid="reg-123" instanceid="2">' +
        '<complete>complete</complete><success>passed</success><totaltime>342</totaltime><score>85</score>' +
        '</registrationreport></rsp>',
    );
    expect(v1ReportToProgress('reg-123', rsp.registrationreport as Record<string, unknown>)).toMatchObject({
      completion: 'COMPLETED',
      instance: 2,
      registrationId: 'reg-123',
      score: 85,
      source: 'api',
      success: 'PASSED',
      totalSeconds: 342,
      updated: null,
    });
    const unknown = parseV1Response(
      '<rsp stat="ok"><registrationreport format="course" regid="r"><complete>unknown</complete>' +
        '<success>unknown</success><totaltime>0</totaltime><score>unknown</score></registrationreport></rsp>',
    );
    expect(v1ReportToProgress('r', unknown.registrationreport as Record<string, unknown>)).toMatchObject({
      completion: 'UNKNOWN',
      instance: 0,
      score: null,
      success: 'UNKNOWN',
    });
  });
});

describe('ScormCloudV1Client against a local HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let seen: { method?: string; url?: string; type?: string; params: Record<string, string> }[];
  let answer: (params: Record<string, string>) => string;
  const config = (url: string) =>
    ({ scormCloud: { appId: 'APP', baseUrl: url, secretKey: 'secret-key', timeoutMs: 1000 } }) as AppConfigService;
  const client = () =>
    new ScormCloudV1Client(
      new HttpService(axios.create()),
      config(baseUrl),
      new ScormCloudV1Signer(config(baseUrl), new SystemClock()),
      new GatewayMetrics(),
    );

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const query = new URL(req.url ?? '', 'http://x').searchParams;
        const form = /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '') ? new URLSearchParams(body) : [];
        const params = Object.fromEntries([...query, ...form]);
        seen.push({ method: req.method, params, type: req.headers['content-type'], url: req.url });
        res
          .writeHead(200, { 'Content-Type': 'text/xml' })
          .end(`<?xml version="1.0"?><rsp stat="ok">${answer(params)}</rsp>`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    answer = () => '<success />';
  });

  it('sends a signed call as a POST form, never with the webhook password in the URL', async () => {
    await client().createRegistration({
      courseId: 'c',
      learner: { firstName: 'A', id: 'l', lastName: 'B' },
      postback: { password: 'p@ss&word=1', url: 'https://gw.example/pb?token=t', username: 'u' },
      registrationId: 'r',
    });
    expect(seen).toHaveLength(1);
    const [{ method, params, type, url }] = seen;
    expect({ method, type, url }).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded', url: '/api' });
    expect(params).toMatchObject({ method: 'rustici.registration.createRegistration', urlpass: 'p@ss&word=1' });
    const { sig, ...signed } = params;
    expect(sig).toBe(computeV1Signature('secret-key', signed));
  });

  it('refuses an existing course without asking for a new version, and sends no version parameter', async () => {
    answer = (params) =>
      params.method === 'rustici.debug.getTime'
        ? `<currenttime tz="UTC">${formatV1Timestamp(new Date())}</currenttime>`
        : params.method === 'rustici.course.exists'
          ? '<result>true</result>'
          : '<token><id>job-1</id></token>';
    const upload = (mayCreateNewVersion: boolean) =>
      client().startImport({
        courseId: 'c1',
        file: Readable.from([Buffer.from('PK\u0003\u0004zip')]),
        filename: 'c1.zip',
        mayCreateNewVersion,
      });
    await expect(upload(false)).rejects.toMatchObject({ code: 'SCORM_CLOUD_CONFLICT', kind: 'conflict' });
    expect(seen.map((s) => s.params.method)).toEqual(['rustici.debug.getTime', 'rustici.course.exists']);
    seen = [];
    await expect(upload(true)).resolves.toEqual({ jobId: 'job-1' });
    const importCall = seen.find((s) => s.params.method === 'rustici.course.importCourseAsync');
    expect(Object.keys(importCall?.params ?? {}).sort()).toEqual(['appid', 'courseid', 'method', 'sig', 'ts']);
  });
});
