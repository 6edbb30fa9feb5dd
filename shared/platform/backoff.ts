/**
 * Waiting before a retry, once for the whole service: `sleep` is Node's own promise timer, and
 * `backoff` grows exponentially with the attempt, with full jitter so that racing writers spread out
 * (AWS's "Exponential Backoff and Jitter").
 */
export { setTimeout as sleep } from 'node:timers/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** The first attempt's ceiling, doubled per attempt. Default 5 ms. */
  baseMs?: number;
  /** The longest wait. Default 100 ms. */
  capMs?: number;
  /** Random in [0, 1): tests fix it. */
  random?: () => number;
}

/** The wait before retry `attempt` (1-based): a random time up to `min(capMs, baseMs × 2^attempt)`. */
export function backoffMs(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 5, capMs = 100, random = Math.random } = options;
  return random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/**
 * Waits before retry `attempt`.
 *
 * @example
 * for (let attempt = 1; attempt <= 8; attempt++) {
 *   if (await tryOnce()) return;
 *   await backoff(attempt);
 * }
 */
export const backoff = (attempt: number, options?: BackoffOptions): Promise<void> => sleep(backoffMs(attempt, options));
