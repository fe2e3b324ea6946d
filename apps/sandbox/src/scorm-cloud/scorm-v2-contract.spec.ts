import { ContractViolation, ScormV2Contract } from './scorm-v2-contract';

describe('ScormV2Contract, read from Rustici’s generated v2 client', () => {
  const contract = new ScormV2Contract();

  it('reads required fields, enums in their exact case and nested models from the models', () => {
    const postBack = contract.model('PostBackSchema');
    expect(postBack.fields.get('authType')?.type).toEqual({
      kind: 'enum',
      name: 'PostBackSchema.AuthTypeEnum',
      values: ['UNDEFINED', 'FORM', 'HTTPBASIC'],
    });
    expect(postBack.fields.get('resultsFormat')?.type).toMatchObject({
      values: ['UNDEFINED', 'COURSE', 'ACTIVITY', 'FULL'],
    });
    const launch = contract.model('LaunchLinkRequestSchema');
    expect(launch.fields.get('redirectOnExitUrl')).toMatchObject({ required: true, type: { kind: 'string' } });
    expect(launch.fields.get('expiry')).toMatchObject({ required: false, type: { kind: 'number' } });
    const create = contract.model('CreateRegistrationSchema');
    expect([...create.fields.values()].filter((f) => f.required).map((f) => f.name)).toEqual([
      'courseId',
      'learner',
      'registrationId',
    ]);
    expect(create.fields.get('learner')?.type).toMatchObject({ kind: 'model', model: { name: 'LearnerSchema' } });
    expect(create.fields.get('courseTags')?.type).toEqual({ item: { kind: 'string' }, kind: 'array' });
  });

  it('reads each operation’s method, path, query parameters and body model from the API classes', () => {
    const create = contract.operation('POST', '/registrations');
    expect(create).toMatchObject({ body: { model: { name: 'CreateRegistrationSchema' } }, name: 'createRegistration' });
    expect([...(create?.query.keys() ?? [])]).toEqual(['courseVersion']);
    expect(contract.operation('GET', '/courses/importJobs/job-1')?.name).toBe('getImportJobStatus');
    expect(contract.operation('GET', '/courses/c-1')?.name).toBe('getCourse');
    const upload = contract.operation('POST', '/courses/importJobs/upload');
    expect(upload?.query.get('courseId')).toMatchObject({ required: true });
    expect(upload?.formParams).toEqual(['contentMetadata', 'file']);
    expect(contract.operation('GET', '/courses')?.query.get('includeRegistrationCount')?.type).toEqual({
      kind: 'boolean',
    });
  });

  it('refuses what the definition refuses, naming the field', () => {
    const launch = contract.operation('POST', '/registrations/r/launchLink');
    if (!launch) throw new Error('no launch link operation');
    const check = (body: unknown) => () => contract.check(launch, new URLSearchParams(), body, true);
    expect(check({ redirectOnExitUrl: '' })).not.toThrow();
    expect(check({})).toThrow(ContractViolation);
    expect(check({})).toThrow(/redirectOnExitUrl is required/);
    expect(check({ expiry: 60.5, redirectOnExitUrl: 'closer', tracking: 'yes' })).toThrow(/tracking must be a boolean/);
    expect(check({ redirectOnExitUrl: '', additionalvalues: [{ item: 'a', value: 1 }] })).toThrow(
      /additionalvalues\[0\]\.value must be a string/,
    );
    expect(() => contract.check(launch, new URLSearchParams('x=1'), { redirectOnExitUrl: '' }, true)).toThrow(
      /unknown query parameter "x"/,
    );
    expect(() => contract.check(launch, new URLSearchParams(), undefined, false)).toThrow(/body is required/);
  });
});
