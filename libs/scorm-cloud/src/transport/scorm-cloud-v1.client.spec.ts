import { ScormCloudV1Failure, mapV1Failure, parseV1Response, v1ReportToProgress } from './scorm-cloud-v1.client';

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
