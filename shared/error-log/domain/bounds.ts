/**
 * How big the pieces of an error record may be, in UTF-8 bytes (what DynamoDB counts), so that a
 * record never outgrows the 400 KB item limit whatever the script of its text. Pure.
 *
 * Worst case of a record, by these bounds: message 4 KB, subject 1 KB, errorType 256 B, backtrace
 * 8 KB, payload 16 KB, notes 30 KB (10,000 UTF-16 units), 50 change entries of at most ~4.5 KB
 * (two 1 KB links, two 200-unit note excerpts, a reason) ≈ 225 KB: about 290 KB with the keys and
 * bookkeeping (test/unit/error-log/bounds.test.ts and test/integration/error-log-evidence.test.ts).
 */
import { storablePayload } from '../../platform/redact.js';

export const MAX_MESSAGE_BYTES = 4_000;
export const MAX_SUBJECT_BYTES = 1_024;
export const MAX_ERROR_TYPE_BYTES = 256;
export const MAX_TRACE_LINES = 30;
export const MAX_TRACE_LINE_BYTES = 500;
export const MAX_TRACE_BYTES = 8_000;
/** A stored payload's JSON, after redaction. */
export const MAX_PAYLOAD_BYTES = 16_000;
/** The change-log entries a record keeps; older ones are counted in `changesOmitted`. */
export const MAX_CHANGES = 50;
/**
 * A GitLab issue link: far under the 2,048-byte limit of the `byIssue` index's partition key, and
 * far over any real issue URL.
 */
export const MAX_LINK_BYTES = 1_024;
/** The occurrences of a record GET /v1/errors/{id} shows, newest first. */
export const RECENT_OCCURRENCES = 20;

const encoder = new TextEncoder();

export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, on a character boundary (a surrogate pair is never
 * split), with `…` when something was cut.
 *
 * @example
 * cutToBytes('Zürich', 3) // 'Z…' (ü is two bytes, … three)
 */
export function cutToBytes(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || utf8Bytes(text) <= maxBytes) return text;
  const budget = maxBytes - 3; // the ellipsis
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return `${text.slice(0, end)}…`;
}

/** A backtrace: at most MAX_TRACE_LINES lines of MAX_TRACE_LINE_BYTES, MAX_TRACE_BYTES in all. */
export function boundTrace(lines: readonly string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const line of lines.slice(0, MAX_TRACE_LINES)) {
    const cut = cutToBytes(line, MAX_TRACE_LINE_BYTES);
    total += utf8Bytes(cut);
    if (total > MAX_TRACE_BYTES) break;
    out.push(cut);
  }
  return out;
}

/**
 * The payload as stored: redacted (storablePayload), and at most MAX_PAYLOAD_BYTES of JSON; a
 * larger one becomes `{ truncated: true, bytes, preview }` with the first 2,000 bytes of its JSON.
 */
export function boundedPayload(value: unknown): unknown {
  const clean = storablePayload(value);
  if (clean === undefined) return null;
  const json = JSON.stringify(clean) ?? 'null';
  const bytes = utf8Bytes(json);
  if (bytes <= MAX_PAYLOAD_BYTES) return clean;
  return { truncated: true, bytes, preview: cutToBytes(json, 2_000) };
}

/**
 * The size of an item as DynamoDB counts it, roughly: attribute names and values in UTF-8, numbers
 * as their digits, one byte per boolean and null, plus a few bytes per list or map element.
 */
export function itemBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number') return Math.ceil(String(value).length / 2) + 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + itemBytes(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + utf8Bytes(k) + itemBytes(v), 0);
}
