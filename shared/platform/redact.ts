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

/**
 * Linear-time patterns only: no quantified group contains another quantifier, so each match
 * attempt does bounded or run-length work (test/unit/platform/redact-text.property.test.ts reviews
 * the shapes and runs 1 MB adversarial inputs). Emails are found from their `@` (see
 * replaceEmails), not by trying a local part at every position.
 */
const EMAIL_DOMAIN = /(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}/y;
const EMAIL_LOCAL_MAX = 64;
const isLocalChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // 0-9 A-Z a-z . _ % + -

/**
 * Every `local@domain.tld` replaced by `[email]`: from each `@`, up to 64 local-part characters
 * back and a domain forward (at most 8 labels of 63 characters). Work per `@` is bounded, so the
 * scan is linear in the text whatever it holds.
 */
function replaceEmails(text: string): string {
  let out = '';
  let copied = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > copied && at - start < EMAIL_LOCAL_MAX && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (start === at) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (!EMAIL_DOMAIN.test(text)) continue;
    out += `${text.slice(copied, start)}[email]`;
    copied = EMAIL_DOMAIN.lastIndex;
    at = copied - 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** GitLab's token prefixes (GitLab docs, "Token prefixes"); an instance prefix (`acme-glpat-`) still ends in one of them. */
export const GITLAB_TOKEN_PREFIXES = [
  'glpat', 'gloas', 'gldt', 'glrt', 'glrtr', 'glcbt', 'glptt', 'glft', 'glimt', 'glagent', 'glsoat', 'glffct', 'glwt', 'gltst', 'glsa',
] as const;

/**
 * A value named as a credential in text: `Authorization: <anything>`, `?access_token=…`,
 * `password=…`, `"token": "…"`, `aws_secret_access_key = …`, a presigned URL's
 * `X-Amz-Signature=…`/`X-Amz-Credential=…`/`X-Amz-Security-Token=…`. The name (and what joins it to the
 * value) is kept so a reader knows something was there; the value — quoted or up to the next
 * separator, after an optional scheme (`Bearer`, `Basic`, …) — is replaced.
 */
const NAMED_SECRET =
  /\b(aws_secret_access_key|secret_?access_?key|client_?secret|access_?token|refresh_?token|id_?token|auth_?token|private_?token|api_?token|api_?key|x-api-key|x-amz-credential|x-amz-signature|signature|authorization|password|passwd|token|secret)(["']?[ \t]{0,10}[:=][ \t]{0,10})(?:(?:Bearer|Basic|Token|Digest)[ \t]{1,10})?(?:"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s"'&,;<>]+)/gi;

/** Credentials recognisable by their shape, wherever they appear in a string. */
export const SECRET_VALUES: readonly RegExp[] = [
  /\bBearer\s{1,10}[A-Za-z0-9._~+/=-]{8,}/gi,
  // `Basic <base64>`; the base64 must not read like a word ("Basic information"): after its first
  // character, an upper-case letter, digit, `+`, `/` or `=` before any other character.
  /\bBasic[ \t]{1,10}(?=[A-Za-z0-9+/][a-z]*[A-Z0-9+/=])[A-Za-z0-9+/]{6,}={0,2}/g,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // a JWT
  new RegExp(`\\b(?:${GITLAB_TOKEN_PREFIXES.join('|')})-[A-Za-z0-9_.-]{10,}`, 'g'), // a GitLab token
  /\bGR1348941[A-Za-z0-9_-]{10,}/g, // a GitLab runner registration token
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // a Slack bot, user, app-level … token
  /\bxapp-[A-Za-z0-9-]{10,}/g, // a Slack app-level token
  /https:\/\/hooks\.slack\.com\/[^\s"']+/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // an AWS access key id (ASIA: an STS temporary key)
];

const MAX_DEPTH = 12;

const normalise = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Whether the value under `key` must not be kept. */
export function isSensitiveKey(key: string): boolean {
  const k = normalise(key);
  return SECRET_KEY.test(k) || PERSONAL_KEYS.has(k) || PERSONAL_SUFFIX.test(k);
}

/** Longer strings are cut, after redaction: nothing that long helps a reader. */
export const MAX_STRING_CHARS = 4_000;

/**
 * A string with emails and credentials replaced, then cut to MAX_STRING_CHARS. Redaction runs over
 * the whole input BEFORE the cut: a secret straddling the cut is recognised whole and replaced, so
 * no head of it survives (cutting first would keep a head too short to recognise). The patterns are
 * linear, so the whole input costs a bounded amount per character.
 */
export function redactText(input: string): string {
  let out = replaceEmails(input);
  out = out.replace(NAMED_SECRET, `$1$2${REDACTED}`);
  for (const pattern of SECRET_VALUES) out = out.replace(pattern, REDACTED);
  return out.length > MAX_STRING_CHARS ? `${out.slice(0, MAX_STRING_CHARS)}…[cut]` : out;
}

/** Every pattern redactText applies, for the tests that review their shape. */
export const TEXT_PATTERNS: readonly RegExp[] = [EMAIL_DOMAIN, NAMED_SECRET, ...SECRET_VALUES];

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
