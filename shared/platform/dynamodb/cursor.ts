/**
 * Page cursors: a Query's LastEvaluatedKey handed to the caller as an opaque string, checked on the
 * way back in so that a forged cursor can only point where the caller may read. `keyCursor` is the
 * codec of a Query on the table's own keys (`pk`, `sk`); a listing on an index brings its own codec.
 */
import { InvalidCursorError } from './errors.js';

/** How one listing turns its LastEvaluatedKey into a cursor and back. */
export interface CursorCodec {
  encode(key: Record<string, unknown> | undefined): string | null;
  /** @throws InvalidCursorError when the cursor is not one this listing gave out */
  decode(cursor: string): Record<string, unknown>;
}

export function encodeKeyCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify([key.pk, key.sk])).toString('base64url') : null;
}

/**
 * The key `cursor` stands for, when `accepts` it.
 * @throws InvalidCursorError (with `message`, when given) otherwise.
 */
export function decodeKeyCursor(cursor: string, accepts: (pk: string, sk: string) => boolean, message?: string): { pk: string; sk: string } {
  try {
    const [pk, sk] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof pk === 'string' && typeof sk === 'string' && accepts(pk, sk)) return { pk, sk };
  } catch {
    /* not JSON: fall through */
  }
  throw new InvalidCursorError(message);
}

/**
 * The codec of a Query on the table's keys: `[pk, sk]` as base64url JSON, accepted back only when
 * `accepts` says the key belongs to this listing.
 *
 * @example
 * const history = keyCursor((pk, sk) => pk === `NS#${namespaceId}` && sk.startsWith('HIST#'));
 * const page = await queryPage(input, { cursor, codec: history });
 */
export const keyCursor = (accepts: (pk: string, sk: string) => boolean, message?: string): CursorCodec => ({
  encode: encodeKeyCursor,
  decode: (cursor) => decodeKeyCursor(cursor, accepts, message),
});
