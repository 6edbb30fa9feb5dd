/**
 * Recognising an old replay by its time (the bus archive, a redelivery after the occurrence
 * markers expired): a failure that happened before its record was resolved is covered by that
 * resolution, so it neither reopens the record nor counts again. Pure.
 */

/**
 * Whether a failure at `occurredAt` happened before the resolution at `resolvedAt`, to the second:
 * event times on the bus have whole seconds, so a failure in the very second of the resolution is
 * taken as new (it reopens), never lost. Both are ISO 8601 instants in UTC.
 *
 * @example
 * isOlderThanResolution('2026-03-01T08:00:00.000Z', '2026-03-02T10:00:00.123Z') // true
 * isOlderThanResolution('2026-03-02T10:00:00Z', '2026-03-02T10:00:00.123Z') // false: the same second
 */
export const isOlderThanResolution = (occurredAt: string, resolvedAt: string): boolean => occurredAt.slice(0, 19) < resolvedAt.slice(0, 19);
