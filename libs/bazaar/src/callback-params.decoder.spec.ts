import { ValidationFailedError } from '@app/common';

import { decodeCallbackParams } from './callback-params.decoder';

/** The hidden form field value of the Bazaar spec's example form. */
const SEED_PARAMS =
  'ewogICAgIm5hbWUiOiAiQmF6YWFyIEV4YW1wbGUiLAogICAgImRlc2NyaXB0aW9uIjogIkxvbmcgdGV4dCwgTG9uZyB0ZXh0LCBMb25nIHRleHQsIExvbmcgdGV4dCIsCiAgICAiaW1hZ2VzIjogewogICAgICAgICJ0aHVtYm5haWwiOiB7CiAgICAgICAgICAgICJ1cmwiOiAiaHR0cHM6XC9cL2JhemFhcmQuZ292XC9pbWdcL3RodW1iLmpwZyIsCiAgICAgICAgICAgICJ3aWR0aCI6IDE1MCwKICAgICAgICAgICAgImhlaWdodCI6IDE1MAogICAgICAgIH0sCiAgICAgICAgInN0YW5kYXJkX3Jlc29sdXRpb24iOiB7CiAgICAgICAgICAgICJ1cmwiOiAiaHR0cHM6XC9cL2JhemFhcmQuZ292XC9pbWdcL3RodW1iLmpwZyIsCiAgICAgICAgICAgICJ3aWR0aCI6IDMwNiwKICAgICAgICAgICAgImhlaWdodCI6IDMwNgogICAgICAgIH0sCiAgICAgICAgImxvd19yZXNvbHV0aW9uIjogewogICAgICAgICAgICAidXJsIjogImh0dHBzOlwvXC9iYXphYXJkLmdvdlwvaW1nXC90aHVtYi5qcGciLAogICAgICAgICAgICAid2lkdGgiOiA2MTIsCiAgICAgICAgICAgICJoZWlnaHQiOiA2MTIKICAgICAgICB9CiAgICB9LAogICAgInVpZCI6ICJkYzM4ZGE2Ny1iYjczLTQwNjItOGM2Ny1hNmU3NmU2YzhmNjkiCn0=';

const b64 = (value: unknown, encoding: BufferEncoding = 'base64') =>
  Buffer.from(JSON.stringify(value), 'utf8').toString(encoding);

function failure(body: unknown): ValidationFailedError {
  try {
    decodeCallbackParams(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).code).toBe('BAZAAR_PARAMS_INVALID');
    return error as ValidationFailedError;
  }
  throw new Error('expected the params to be refused');
}

describe('decodeCallbackParams', () => {
  it("decodes the Bazaar spec's example form field", () => {
    expect(decodeCallbackParams({ params: SEED_PARAMS })).toEqual([
      {
        description: 'Long text, Long text, Long text, Long text',
        images: {
          low_resolution: { height: 612, url: 'https://bazaard.gov/img/thumb.jpg', width: 612 },
          standard_resolution: { height: 306, url: 'https://bazaard.gov/img/thumb.jpg', width: 306 },
          thumbnail: { height: 150, url: 'https://bazaard.gov/img/thumb.jpg', width: 150 },
        },
        name: 'Bazaar Example',
        uid: 'dc38da67-bb73-4062-8c67-a6e76e6c8f69',
      },
    ]);
  });

  it('accepts base64 wrapped at 76 columns, base64url, raw JSON, arrays and a JSON body', () => {
    const item = { name: 'Äidinkieli – ääkköset', uid: 'finna.kansalliskirjasto:1234567' };
    const wrapped = b64(item).replace(/(.{76})/g, '$1\n');
    const expected = [{ description: null, images: null, ...item }];
    expect(decodeCallbackParams({ params: wrapped })).toEqual(expected);
    expect(decodeCallbackParams({ params: b64(item, 'base64url') })).toEqual(expected);
    expect(decodeCallbackParams({ params: ` ${JSON.stringify(item)} ` })).toEqual(expected);
    expect(decodeCallbackParams({ params: b64([item, { name: 'Two', uid: 'two' }]) })).toHaveLength(2);
    expect(decodeCallbackParams([item])).toEqual(expected);
    expect(decodeCallbackParams(item)).toEqual(expected);
  });

  it('keeps one entry per uid (the last one wins)', () => {
    const items = decodeCallbackParams({
      params: b64([
        { name: 'Old', uid: 'a' },
        { name: 'New', uid: 'a' },
      ]),
    });
    expect(items).toEqual([{ description: null, images: null, name: 'New', uid: 'a' }]);
  });

  it.each([
    ['no params', {}, 'params'],
    ['empty params', { params: '  ' }, 'params'],
    ['not base64', { params: 'not*base64' }, 'params'],
    ['base64 of text', { params: Buffer.from('hello world').toString('base64') }, 'params'],
    ['base64 of invalid UTF-8', { params: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64') }, 'params'],
    ['broken JSON', { params: '{"uid": "a",' }, 'params'],
    ['a JSON string', { params: b64('just text') }, 'params'],
    ['empty array', { params: b64([]) }, 'params'],
    ['too many items', { params: b64(Array.from({ length: 51 }, (_, i) => ({ name: 'n', uid: `u${i}` }))) }, 'params'],
    ['missing uid', { params: b64({ name: 'x' }) }, 'params.uid'],
    ['uid with spaces', { params: b64({ name: 'x', uid: 'a b' }) }, 'params.uid'],
    ['uid too long', { params: b64({ name: 'x', uid: 'u'.repeat(129) }) }, 'params.uid'],
    ['missing name', { params: b64({ uid: 'a' }) }, 'params.name'],
    ['name too long', { params: b64({ name: 'n'.repeat(129), uid: 'a' }) }, 'params.name'],
    [
      'description too long',
      { params: b64({ description: 'd'.repeat(2001), name: 'x', uid: 'a' }) },
      'params.description',
    ],
    [
      'image url not http',
      { params: b64({ images: { thumbnail: { url: 'javascript:x' } }, name: 'x', uid: 'a' }) },
      'params.images.thumbnail.url',
    ],
    [
      'negative image size',
      { params: b64({ images: { low_resolution: { height: -1, url: 'https://a.b/c' } }, name: 'x', uid: 'a' }) },
      'params.images.low_resolution.height',
    ],
    ['bad item in array', { params: b64([{ name: 'ok', uid: 'a' }, 'nope']) }, 'params[1]'],
  ])('refuses %s, naming %s', (_, body, field) => {
    expect(Object.keys(failure(body).details ?? {})).toContain(field);
  });

  it('accepts a description of exactly 2000 characters and drops unknown image kinds', () => {
    const [item] = decodeCallbackParams({
      params: b64({ description: 'd'.repeat(2000), images: { huge: { url: 'https://a.b/c' } }, name: 'x', uid: 'a' }),
    });
    expect(item.description).toHaveLength(2000);
    expect(item.images).toBeNull();
  });
});
