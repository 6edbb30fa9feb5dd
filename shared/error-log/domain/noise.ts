/**
 * Known noise: codes the error log drops before storing (and counts, as the
 * `ErrorLogNoiseDropped` metric). Configured with `ERROR_LOG_NOISE_CODES`, comma separated.
 */

/**
 * The default: outcomes that mean "already applied or superseded" rather than a failure —
 * a replayed or out-of-order event. Set `ERROR_LOG_NOISE_CODES=` (empty) to store everything.
 */
export const DEFAULT_NOISE_CODES: readonly string[] = ['stale_event', 'idempotency_conflict'];

/** The noise codes for a configured value: unset → the default; empty → none. */
export function noiseCodes(configured: string | undefined): ReadonlySet<string> {
  if (configured === undefined) return new Set(DEFAULT_NOISE_CODES);
  return new Set(
    configured
      .split(',')
      .map((code) => code.trim())
      .filter(Boolean),
  );
}
