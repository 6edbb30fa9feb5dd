import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../shared/platform/errors.js';
import { MAX_REPORT_DAYS, countByReasonAndWeek, reportQuery, reportRange } from '../../../shared/platform/report.js';
import * as z from '../../../shared/platform/zod.js';

const REASONS = ['wrong_measurement', 'migration', 'other'] as const;

describe('countByReasonAndWeek', () => {
  it('counts by reason and by ISO week (empty weeks included, oldest first), ignoring records outside the range', () => {
    const counts = countByReasonAndWeek(
      REASONS,
      [
        { reason: 'migration', appliedAt: '2026-03-01T00:00:00.000Z' }, // a Sunday: week 9
        { reason: 'other', appliedAt: '2026-03-02T09:00:00.000Z' },
        { reason: 'other', appliedAt: '2026-03-16T23:59:59.999Z' },
        { reason: 'migration', appliedAt: '2026-02-28T23:59:59.999Z' }, // before the range
        { reason: 'other', appliedAt: '2026-03-17T00:00:00.000Z' }, // after the range
      ],
      { from: '2026-03-01', to: '2026-03-16' },
    );
    expect(counts.total).toBe(3);
    expect(counts.byReason).toEqual({ wrong_measurement: 0, migration: 1, other: 2 });
    expect(counts.byWeek.map((w) => [w.week, w.startsOn, w.total])).toEqual([
      ['2026-W09', '2026-02-23', 1],
      ['2026-W10', '2026-03-02', 1],
      ['2026-W11', '2026-03-09', 0],
      ['2026-W12', '2026-03-16', 1],
    ]);
    expect(counts.byWeek[0]!.byReason).toEqual({ wrong_measurement: 0, migration: 1, other: 0 });
  });

  it('every reason is counted, zero when none occurred; the weeks add up to the total', () => {
    const counts = countByReasonAndWeek(REASONS, [], { from: '2026-01-01', to: '2026-03-31' });
    expect(counts).toMatchObject({ total: 0, byReason: { wrong_measurement: 0, migration: 0, other: 0 } });
    expect(counts.byWeek.reduce((sum, w) => sum + w.total, 0)).toBe(0);
    expect(counts.byWeek[0]!.week).toBe('2026-W01');
  });
});

describe('reportRange', () => {
  it('defaults to the 90 days up to today, or up to `to`', () => {
    expect(reportRange({}, '2026-11-29')).toEqual({ from: '2026-09-01', to: '2026-11-29' });
    expect(reportRange({ to: '2026-03-31' }, '2026-11-29')).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(reportRange({ from: '2026-03-01', to: '2026-03-01' }, '2026-11-29')).toEqual({ from: '2026-03-01', to: '2026-03-01' });
  });

  it('refuses a range the defaults make backwards or too long, naming from', () => {
    for (const query of [{ from: '2026-12-01' }, { from: '2020-01-01' }]) {
      const thrown = (() => {
        try {
          reportRange(query, '2026-11-29');
        } catch (error) {
          return error;
        }
      })();
      expect(thrown).toBeInstanceOf(InvalidInputError);
      expect((thrown as InvalidInputError).details).toEqual([{ field: 'from', message: expect.stringContaining(`${MAX_REPORT_DAYS} days`) }]);
    }
  });
});

describe('reportQuery', () => {
  it('takes from, to, limit and cursor, and refuses anything else or a bad range', () => {
    expect(z.safeParse(reportQuery, { from: '2026-01-01', to: '2026-03-31', limit: '20', cursor: 'abc' })).toMatchObject({
      success: true,
      data: { from: '2026-01-01', to: '2026-03-31', limit: 20, cursor: 'abc' },
    });
    for (const query of [{ from: '2026-03-02', to: '2026-03-01' }, { from: '2024-01-01', to: '2026-01-01' }, { from: '2026-13-01' }, { limit: '0' }, { limit: '101' }, { token: 'x' }]) {
      expect(z.safeParse(reportQuery, query).success, JSON.stringify(query)).toBe(false);
    }
  });
});
