import { describe, expect, it } from 'vitest';
import { CronParseError, parseCron } from '../../../local/cron.js';

const next = (expr: string, after: string) => parseCron(expr).next(new Date(after))?.toISOString();

describe('Function: parseCron', () => {
  it.each([
    // The manifest's digests.
    ['cron(0 6 * * ? *)', '2026-03-04T05:59:00Z', '2026-03-04T06:00:00.000Z'],
    ['cron(0 6 * * ? *)', '2026-03-04T06:00:00Z', '2026-03-05T06:00:00.000Z'],
    ['cron(0 6 ? * MON *)', '2026-03-04T00:00:00Z', '2026-03-09T06:00:00.000Z'],
    ['cron(0 6 ? * MON *)', '2026-03-09T05:30:00Z', '2026-03-09T06:00:00.000Z'],
    // Steps, lists, ranges.
    ['cron(*/15 * * * ? *)', '2026-03-04T10:07:30Z', '2026-03-04T10:15:00.000Z'],
    ['cron(5/20 * * * ? *)', '2026-03-04T10:46:00Z', '2026-03-04T11:05:00.000Z'],
    ['cron(0 8-18/2 ? * MON-FRI *)', '2026-03-06T18:01:00Z', '2026-03-09T08:00:00.000Z'],
    ['cron(30 9 1,15 * ? *)', '2026-03-02T00:00:00Z', '2026-03-15T09:30:00.000Z'],
    // Day-of-week numbers: 1 = SUN … 7 = SAT.
    ['cron(0 0 ? * 1 *)', '2026-03-04T00:00:00Z', '2026-03-08T00:00:00.000Z'],
    ['cron(0 0 ? * 7 *)', '2026-03-04T00:00:00Z', '2026-03-07T00:00:00.000Z'],
    // Month names, years, leap days, month ends.
    ['cron(0 0 29 FEB ? *)', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['cron(0 12 31 * ? *)', '2026-04-01T00:00:00Z', '2026-05-31T12:00:00.000Z'],
    ['cron(0 0 1 JAN ? 2027-2028)', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['cron(59 23 31 DEC ? *)', '2026-12-31T23:59:00Z', '2027-12-31T23:59:00.000Z'],
  ])('%s after %s fires at %s', (expr, after, expected) => {
    expect(next(expr, after)).toBe(expected);
  });

  it('has no next time once its years are over', () => {
    expect(next('cron(0 0 1 1 ? 2020)', '2021-01-01T00:00:00Z')).toBeUndefined();
  });

  it.each([
    ['cron(0 6 * * *)', /six fields/],
    ['cron(0 6 * * * *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 6 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(60 6 * * ? *)', /minutes: "60"/],
    ['cron(0 6 ? * FUN *)', /day-of-week/],
    ['cron(0 6 L * ? *)', /L, W or #/],
    ['cron(0 6 ? * 2#1 *)', /L, W or #/],
    ['cron(0 18-8 * * ? *)', /backwards/],
    ['cron(*/0 * * * ? *)', /step/],
    ['cron(? 6 * * ? *)', /only allowed/],
  ])('rejects %s', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronParseError);
    expect(() => parseCron(expr)).toThrow(message);
  });
});
