import { describe, expect, it } from 'vitest';
import { addDays, daysInRange, isoWeek, isoWeeksOf, monthsNewestFirst } from '../../../shared/platform/dates.js';

describe('UTC date arithmetic (the reports partition and count by it)', () => {
  it('isoWeek follows ISO 8601 across year ends', () => {
    expect(isoWeek('2026-01-01')).toEqual({ week: '2026-W01', startsOn: '2025-12-29' });
    expect(isoWeek('2027-01-01')).toEqual({ week: '2026-W53', startsOn: '2026-12-28' });
    expect(isoWeek('2027-01-04')).toEqual({ week: '2027-W01', startsOn: '2027-01-04' });
    expect(isoWeek('2026-03-08')).toEqual({ week: '2026-W10', startsOn: '2026-03-02' }); // a Sunday
    expect(isoWeek('2024-12-30')).toEqual({ week: '2025-W01', startsOn: '2024-12-30' });
  });

  it('monthsNewestFirst lists each month the range touches, across a year end', () => {
    expect(monthsNewestFirst('2026-11-20', '2027-01-05')).toEqual(['2027-01', '2026-12', '2026-11']);
    expect(monthsNewestFirst('2026-03-01', '2026-03-31')).toEqual(['2026-03']);
  });

  it('daysInRange and addDays', () => {
    expect(daysInRange('2026-03-01', '2026-03-01')).toBe(1);
    expect(daysInRange('2026-01-01', '2026-12-31')).toBe(365);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('isoWeeksOf lists every ISO week a range touches, oldest first, across a year end', () => {
    expect(isoWeeksOf('2026-03-01', '2026-03-01')).toEqual([{ week: '2026-W09', startsOn: '2026-02-23' }]);
    expect(isoWeeksOf('2026-12-27', '2027-01-04').map((w) => w.week)).toEqual(['2026-W52', '2026-W53', '2027-W01']);
    expect(isoWeeksOf('2026-01-01', '2026-12-31')).toHaveLength(53);
  });
});
