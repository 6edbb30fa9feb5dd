/**
 * What the error log keeps of a payload: ids and the shape of what failed, never credentials or
 * personal data. Pure: the writer applies it before storing, the publisher of `Provisioning Failed`
 * before anything leaves the process.
 */

export const REDACTED = '[redacted]';

/** Keys whose value is a credential, wherever they appear (headers included). Compared without case, `-` or `_`. */
const SECRET_KEY = /(authorization|token|secret|password|passwd|apikey|cookie|credential|signature|privatekey|sessionid|webhookurl)/;

/** Keys whose value is personal data. Ids (`namespaceId`, `customerId`) are kept: they name records, not people. */
const PERSONAL_KEYS = new Set([
  'name', 'firstname', 'lastname', 'fullname', 'displayname', 'username', 'customername', 'contactname', 'accountname',
  'billingname', 'email', 'emailaddress', 'mail', 'phone', 'phonenumber', 'mobile', 'address', 'street', 'streetaddress',
  'city', 'zip', 'zipcode', 'postcode', 'postalcode', 'ip', 'ipaddress', 'sourceip', 'useragent', 'dateofbirth', 'birthdate',
  'ssn', 'taxid', 'vatnumber', 'iban', 'cardnumber', 'creditcard',
]);
const PERSONAL_SUFFIX = /(email|emailaddress|phonenumber)$/;

/** Bounded quantifiers keep the scan linear: no catastrophic backtracking on long inputs. */
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g;
/** Credentials recognisable by their shape, wherever they appear in a string. */
const SECRET_VALUES: readonly RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // a JWT
  /\bglpat-[A-Za-z0-9_-]{10,}/g, // a GitLab personal access token
  /https:\/\/hooks\.slack\.com\/[^\s"']+/g,
  /\bAKIA[0-9A-Z]{16}\b/g, // an AWS access key id
];

const MAX_DEPTH = 12;

const normalise = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Whether the value under `key` must not be kept. */
export function isSensitiveKey(key: string): boolean {
  const k = normalise(key);
  return SECRET_KEY.test(k) || PERSONAL_KEYS.has(k) || PERSONAL_SUFFIX.test(k);
}

/** Longer strings are cut first: nothing that long helps a reader, and the scan stays cheap. */
export const MAX_STRING_CHARS = 4_000;

/** A string with emails and credential-shaped substrings replaced (cut to MAX_STRING_CHARS). */
export function redactText(input: string): string {
  const text = input.length > MAX_STRING_CHARS ? `${input.slice(0, MAX_STRING_CHARS)}…[cut]` : input;
  let out = text.includes('@') ? text.replace(EMAIL, '[email]') : text;
  for (const pattern of SECRET_VALUES) out = out.replace(pattern, REDACTED);
  return out;
}

/**
 * A copy of `value` without credentials or personal data: sensitive keys keep the key (so a reader
 * knows something was there) with the value replaced by `[redacted]`; strings lose emails and
 * credential-shaped parts. Deeper than 12 levels becomes `[truncated]`.
 *
 * @example
 * redact({ headers: { Authorization: 'Bearer abc…' }, namespaceId: 42, email: 'a@b.c' })
 * // { headers: { Authorization: '[redacted]' }, namespaceId: 42, email: '[redacted]' }
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

/** The largest payload stored on a record (JSON characters); DynamoDB items stop at 400 KB. */
export const MAX_PAYLOAD_CHARS = 16_000;

/**
 * The redacted payload, bounded: a payload too large to keep becomes
 * `{ truncated: true, size, preview }` with the first 2,000 characters of its JSON.
 */
export function storablePayload(value: unknown): unknown {
  const clean = redact(value);
  if (clean === undefined) return undefined;
  const json = JSON.stringify(clean) ?? '';
  if (json.length <= MAX_PAYLOAD_CHARS) return clean;
  return { truncated: true, size: json.length, preview: json.slice(0, 2_000) };
}
