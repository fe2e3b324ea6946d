/**
 * The argument tables of the Bazaar spec, checked the way Bazaar answers: the first problem becomes the `error`
 * text of a 400. Ids may arrive as JSON numbers (the seed's own example sends them so).
 */
type Rule = { field: string; min: number; max: number; required: boolean };

const COMMON: Rule[] = [
  { field: 'first_name', max: 255, min: 1, required: true },
  { field: 'last_name', max: 255, min: 1, required: true },
  { field: 'context_id', max: 128, min: 1, required: true },
  { field: 'context_title', max: 128, min: 1, required: true },
  { field: 'school', max: 128, min: 1, required: true },
  { field: 'school_id', max: 10, min: 5, required: true },
  { field: 'city', max: 64, min: 1, required: true },
  { field: 'city_id', max: 10, min: 1, required: true },
  { field: 'oid', max: 32, min: 1, required: false },
];

const BROWSE: Rule[] = [...COMMON, { field: 'user_id', max: 128, min: 1, required: true }];
const VIEW: Rule[] = [
  ...COMMON,
  { field: 'user_id', max: 255, min: 1, required: true },
  { field: 'resource_uid', max: 128, min: 1, required: true },
];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type BazaarArguments = Record<string, unknown>;

export function browseProblem(body: unknown): string | undefined {
  return problem(body, BROWSE, ['add_resource_callback_url', 'cancel_url']);
}

export function viewProblem(body: unknown): string | undefined {
  return problem(body, VIEW, ['return_url']);
}

function problem(body: unknown, rules: Rule[], urls: string[]): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'Invalid parameters: JSON object expected.';
  const args = body as BazaarArguments;
  for (const { field, min, max, required } of rules) {
    const value = args[field];
    if (value === undefined || value === null || value === '') {
      if (required) return `Invalid parameters: ${field} is required.`;
      continue;
    }
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text !== 'string') return `Invalid parameters: ${field} must be a string.`;
    if (text.length < min || text.length > max) return `Invalid parameters: ${field} must be ${min}-${max} characters.`;
  }
  if (!['student', 'teacher', 'admin'].includes(String(args.role))) {
    return 'Invalid parameters: role must be student, teacher or admin.';
  }
  if (args.email != null && args.email !== '' && !(typeof args.email === 'string' && EMAIL.test(args.email))) {
    return 'Invalid parameters: email is not an email address.';
  }
  for (const field of urls) {
    const value = args[field];
    if (value == null || value === '') continue;
    if (typeof value !== 'string' || !isHttpUrl(value)) return `Invalid parameters: ${field} must be a URL.`;
  }
  return undefined;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
