/**
 * UTC calendar arithmetic on `YYYY-MM-DD` dates: ISO 8601 weeks, the months a range touches, days
 * in a range. Pure; the reports (reassociations, corrections) partition and count by these.
 */

/** A UTC calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

/** UTC dates, both included. */
export interface DateRange {
  from: IsoDate;
  to: IsoDate;
}

export const DAY_MS = 86_400_000;
const dayOf = (date: IsoDate): number => Date.parse(`${date}T00:00:00Z`);
const dateOf = (ms: number): IsoDate => new Date(ms).toISOString().slice(0, 10);

/** An ISO 8601 week and the Monday it starts on. */
export interface IsoWeek {
  /** e.g. `2026-W09`. */
  week: string;
  startsOn: IsoDate;
}

/**
 * The ISO 8601 week of a date (UTC), and the Monday it starts on.
 *
 * @example
 * isoWeek('2027-01-01'); // { week: '2026-W53', startsOn: '2026-12-28' }
 */
export function isoWeek(date: IsoDate): IsoWeek {
  const day = dayOf(date);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = day - weekday * DAY_MS;
  const thursday = monday + 3 * DAY_MS; // the week belongs to the year of its Thursday
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { week: `${year}-W${String(week).padStart(2, '0')}`, startsOn: dateOf(monday) };
}

/**
 * Every ISO week a date range touches (both ends included), oldest first.
 *
 * @example
 * isoWeeksOf('2026-03-01', '2026-03-02'); // [{ week: '2026-W09', … }, { week: '2026-W10', startsOn: '2026-03-02' }]
 */
export function isoWeeksOf(from: IsoDate, to: IsoDate): IsoWeek[] {
  const weeks = new Map<string, IsoWeek>();
  for (let day = dayOf(from); day <= dayOf(to); day += DAY_MS) {
    const week = isoWeek(dateOf(day));
    if (!weeks.has(week.week)) weeks.set(week.week, week);
  }
  return [...weeks.values()];
}

/**
 * The months (`YYYY-MM`) a date range touches, newest first.
 *
 * @example
 * monthsNewestFirst('2026-11-20', '2027-01-05'); // ['2027-01', '2026-12', '2026-11']
 */
export function monthsNewestFirst(from: IsoDate, to: IsoDate): string[] {
  const months: string[] = [];
  let year = Number(to.slice(0, 4));
  let month = Number(to.slice(5, 7));
  const first = from.slice(0, 7);
  for (;;) {
    const key = `${year}-${String(month).padStart(2, '0')}`;
    if (key < first) break;
    months.push(key);
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
  return months;
}

/**
 * Days from `from` to `to`, both included.
 *
 * @example
 * daysInRange('2026-01-01', '2026-12-31'); // 365
 */
export const daysInRange = (from: IsoDate, to: IsoDate): number => Math.round((dayOf(to) - dayOf(from)) / DAY_MS) + 1;

/**
 * `date` moved by `days` (may be negative).
 *
 * @example
 * addDays('2026-03-01', -1); // '2026-02-28'
 */
export const addDays = (date: IsoDate, days: number): IsoDate => dateOf(dayOf(date) + days * DAY_MS);
