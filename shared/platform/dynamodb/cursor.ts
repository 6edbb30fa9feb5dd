/**
 * The page cursor of a Query on one partition: its LastEvaluatedKey (`pk`, `sk`) as opaque
 * base64url JSON, checked on the way back in so that a forged cursor can only point where the
 * caller may read.
 */
import { InvalidCursorError } from './errors.js';

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
