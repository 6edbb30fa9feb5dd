/**
 * The operators' reports on recorded acts (reassociations, corrections): which dates a request
 * covers, and the counts by reason and by ISO week that show whether each use case still occurs.
 * Pure, plus the zod contract of the query and of the answer (OpenAPI is generated from these).
 * The records themselves are listed by ./dynamodb/monthly.ts.
 */
import * as z from './zod.js';
import { InvalidInputError } from './errors.js';
import { addDays, daysInRange, isoWeek, isoWeeksOf } from './dates.js';
import type { DateRange, IsoDate } from './dates.js';
import { isoDate, pageLimit } from './schemas.js';

/** The longest range a report covers in one request. */
export const MAX_REPORT_DAYS = 366;
/** Without `from`, a report covers this many days up to `to`. */
export const DEFAULT_REPORT_DAYS = 90;
/** Records per page without `limit`. */
export const DEFAULT_REPORT_PAGE = 50;

/** What the counts need of a record: why, and when it was applied. */
export interface CountedRecord<R extends string> {
  reason: R;
  appliedAt: string;
}

export type CountsByReason<R extends string> = Record<R, number>;

export interface WeekCount<R extends string> {
  /** ISO 8601 week, e.g. `2026-W09`. */
  week: string;
  /** The Monday the week starts on. */
  startsOn: IsoDate;
  total: number;
  byReason: CountsByReason<R>;
}

export interface ReasonCounts<R extends string> {
  total: number;
  byReason: CountsByReason<R>;
  /** Every ISO week the range touches, oldest first, weeks without any included. */
  byWeek: WeekCount<R>[];
}

/** Whether an instant's UTC date lies within the range (both ends included). */
export const appliedWithin = (appliedAt: string, range: DateRange): boolean => {
  const date = appliedAt.slice(0, 10);
  return date >= range.from && date <= range.to;
};

const zeroByReason = <R extends string>(reasons: readonly R[]): CountsByReason<R> =>
  Object.fromEntries(reasons.map((reason) => [reason, 0])) as CountsByReason<R>;

/**
 * Counts records applied within the range by reason and by ISO week. Records outside the range
 * are ignored.
 *
 * @example
 * countByReasonAndWeek(['migration', 'other'], [{ reason: 'other', appliedAt: '2026-03-03T10:00:00.000Z' }],
 *   { from: '2026-03-01', to: '2026-03-08' });
 * // { total: 1, byReason: { migration: 0, other: 1 }, byWeek: [{ week: '2026-W09', total: 0, … }, { week: '2026-W10', total: 1, … }] }
 */
export function countByReasonAndWeek<R extends string>(
  reasons: readonly R[],
  records: readonly CountedRecord<R>[],
  range: DateRange,
): ReasonCounts<R> {
  const weeks = new Map(isoWeeksOf(range.from, range.to).map((w): [string, WeekCount<R>] => [w.week, { ...w, total: 0, byReason: zeroByReason(reasons) }]));
  const counts: ReasonCounts<R> = { total: 0, byReason: zeroByReason(reasons), byWeek: [...weeks.values()] };
  for (const record of records) {
    if (!appliedWithin(record.appliedAt, range)) continue;
    const week = weeks.get(isoWeek(record.appliedAt.slice(0, 10)).week)!;
    counts.total += 1;
    counts.byReason[record.reason] += 1;
    week.total += 1;
    week.byReason[record.reason] += 1;
  }
  return counts;
}

/**
 * The range a report request covers: `to` defaults to today, `from` to `DEFAULT_REPORT_DAYS` days
 * up to `to`.
 *
 * @throws InvalidInputError when `from` is after `to` or the range spans more than `MAX_REPORT_DAYS`
 * @example
 * reportRange({ to: '2026-03-31' }, '2026-11-29'); // { from: '2026-01-01', to: '2026-03-31' }
 */
export function reportRange(query: { from?: IsoDate; to?: IsoDate }, today: IsoDate): DateRange {
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
  // The query schema checks from and to when both are given; with a default, check again.
  if (from > to || daysInRange(from, to) > MAX_REPORT_DAYS) {
    throw new InvalidInputError('Invalid query: check from.', [
      { field: 'from', message: `from must not be after to, and the range may span at most ${MAX_REPORT_DAYS} days` },
    ]);
  }
  return { from, to };
}

// ---------------------------------------------------------------------------------------------
// The contract

/** `?from=&to=&limit=&cursor=` of a report. */
export const reportQuery = z
  .strictObject({
    from: z.optional(isoDate).check(z.describe(`First day (UTC) included; default: ${DEFAULT_REPORT_DAYS} days before \`to\``)),
    to: z.optional(isoDate).check(z.describe('Last day (UTC) included; default: today')),
    limit: pageLimit(100),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  })
  .check(
    z.refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] }),
    z.refine((q) => !q.from || !q.to || daysInRange(q.from, q.to) <= MAX_REPORT_DAYS, {
      message: `the range may span at most ${MAX_REPORT_DAYS} days`,
      path: ['from'],
    }),
  );

/**
 * A report's answer: the range, one page of records newest first, and the counts of the whole
 * range by `reasons` and by ISO week (with `extraCounts` beside them).
 *
 * @example
 * export const correctionsReport = reportAnswer(correctionRecord, CORRECTION_REASONS);
 */
export function reportAnswer<R extends string, I extends z.ZodMiniType, E extends Record<string, z.ZodMiniType> = Record<never, never>>(
  item: I,
  reasons: readonly [R, ...R[]],
  extraCounts?: E,
) {
  const byReason = z.object(Object.fromEntries(reasons.map((r) => [r, z.int()])) as Record<R, z.ZodMiniInt>);
  return z.object({
    from: isoDate,
    to: isoDate,
    items: z.array(item),
    nextCursor: z.nullable(z.string()),
    counts: z.object({
      total: z.int(),
      byReason,
      byWeek: z.array(z.object({ week: z.string(), startsOn: isoDate, total: z.int(), byReason })),
      ...(extraCounts ?? ({} as E)),
    }),
  });
}
