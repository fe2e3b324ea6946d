import { createValidationPipe } from '@app/common';
import { ArgumentMetadata } from '@nestjs/common';

import { BrowseRequestDto } from './browse-request.dto';
import { ViewRequestDto } from './view-request.dto';

const user = {
  city: 'Helsinki',
  city_id: '0123456-7',
  context_id: 'course-21',
  context_title: 'Äidinkieli 7A',
  email: 'teppo@koulu.fi',
  first_name: 'Teppo',
  last_name: 'Testaaja',
  role: 'teacher',
  school: 'Koulu',
  school_id: '12345',
  user_id: 'u-1',
};

const pipe = createValidationPipe();
const validate = (metatype: ArgumentMetadata['metatype'], value: unknown) =>
  pipe.transform(value, { metatype, type: 'body' });

async function refusedFields(metatype: ArgumentMetadata['metatype'], value: unknown): Promise<string[]> {
  try {
    await validate(metatype, value);
  } catch (error) {
    return Object.keys((error as { details: Record<string, string[]> }).details);
  }
  return [];
}

describe('Bazaar DTOs (the Bazaar spec argument tables)', () => {
  const browse = { ...user, return_url: 'https://lms.example.edu/course/21' };
  const view = { ...user, resource_uid: 'dc38da67-bb73-4062-8c67-a6e76e6c8f69' };

  it('accepts valid browse and view arguments', async () => {
    await expect(validate(BrowseRequestDto, browse)).resolves.toBeInstanceOf(BrowseRequestDto);
    await expect(validate(ViewRequestDto, view)).resolves.toBeInstanceOf(ViewRequestDto);
    await expect(
      validate(ViewRequestDto, { ...view, resource_uid: 'finna.kansalliskirjasto:1234567' }),
    ).resolves.toBeTruthy();
  });

  it('converts integer ids to strings and accepts a null oid', async () => {
    const dto = (await validate(BrowseRequestDto, {
      ...browse,
      context_id: 123,
      oid: null,
      school_id: 12345,
      user_id: 7,
    })) as BrowseRequestDto;
    expect(dto).toMatchObject({ context_id: '123', oid: null, school_id: '12345', user_id: '7' });
  });

  it.each([
    ['first_name', { first_name: 'x'.repeat(256) }],
    ['last_name', { last_name: '' }],
    ['email', { email: 'Teppo' }],
    ['user_id', { user_id: 'x'.repeat(129) }],
    ['user_id', { user_id: 1.5 }],
    ['context_id', { context_id: 'x'.repeat(129) }],
    ['context_title', { context_title: undefined }],
    ['role', { role: 'Teacher' }],
    ['school', { school: 'x'.repeat(129) }],
    ['school_id', { school_id: '1234' }],
    ['school_id', { school_id: '12345678901' }],
    ['city', { city: 'x'.repeat(65) }],
    ['city_id', { city_id: '' }],
    ['city_id', { city_id: '12345678901' }],
    ['oid', { oid: 'x'.repeat(33) }],
    ['return_url', { return_url: 'ftp://lms.example.edu/' }],
    ['return_url', { return_url: undefined }],
    ['cancel_url', { cancel_url: 'https://lms.example.edu/' }],
  ])('browse refuses a bad %s', async (field, override) => {
    expect(await refusedFields(BrowseRequestDto, { ...browse, ...override })).toContain(field);
  });

  it('view allows user_id up to 255 (its table) and refuses 256', async () => {
    await expect(validate(ViewRequestDto, { ...view, user_id: 'x'.repeat(255) })).resolves.toBeTruthy();
    expect(await refusedFields(ViewRequestDto, { ...view, user_id: 'x'.repeat(256) })).toContain('user_id');
  });

  it.each([
    ['resource_uid', { resource_uid: undefined }],
    ['resource_uid', { resource_uid: 'with space' }],
    ['resource_uid', { resource_uid: 'x'.repeat(129) }],
    ['return_url', { return_url: 'not a url' }],
  ])('view refuses a bad %s', async (field, override) => {
    expect(await refusedFields(ViewRequestDto, { ...view, ...override })).toContain(field);
  });
});
