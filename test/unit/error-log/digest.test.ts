import { describe, expect, it } from 'vitest';
import { digestMarker, digestPeriod, isoWeek, renderDigestIssue, selectDigest } from '../../../shared/error-log/domain/digest.js';
import type { DigestEntry } from '../../../shared/error-log/domain/digest.js';

describe('Function: digestPeriod', () => {
  it('covers the day before asOf for the daily digest', () => {
    expect(digestPeriod('daily', '2026-03-01')).toEqual({
      kind: 'daily',
      key: '2026-02-28',
      from: '2026-02-28T00:00:00.000Z',
      to: '2026-03-01T00:00:00.000Z',
      firstDay: '2026-02-28',
      lastDay: '2026-02-28',
    });
  });

  it.each([
    ['2026-03-02', '2026-W09', '2026-02-23', '2026-03-01'], // a Monday: the week just ended
    ['2026-03-04', '2026-W09', '2026-02-23', '2026-03-01'], // a Wednesday: still the last full week
    ['2026-03-08', '2026-W09', '2026-02-23', '2026-03-01'], // a Sunday
    ['2027-01-04', '2026-W53', '2026-12-28', '2027-01-03'], // 2026 has 53 ISO weeks
    ['2026-01-05', '2026-W01', '2025-12-29', '2026-01-04'], // ISO week 1 starts in December
  ])('covers the last full ISO week before %s: %s', (asOf, key, firstDay, lastDay) => {
    expect(digestPeriod('weekly', asOf)).toMatchObject({ key, firstDay, lastDay, from: `${firstDay}T00:00:00.000Z` });
  });

  it('refuses a date that is not one', () => {
    expect(() => digestPeriod('daily', 'soon')).toThrow(RangeError);
  });
});

describe('Function: isoWeek', () => {
  it.each([
    ['2021-01-03', '2020-W53'],
    ['2024-12-30', '2025-W01'],
    ['2026-06-15', '2026-W25'],
  ])('%s is in %s', (day, week) => {
    expect(isoWeek(Date.parse(`${day}T12:00:00Z`))).toBe(week);
  });
});

const entry = (id: string, code: string, createdAt: string, status: DigestEntry['status'] = 'open'): Omit<DigestEntry, 'reason'> => ({
  id,
  code,
  subject: `subject ${id}`,
  message: `message ${id}`,
  status,
  occurrences: 2,
  firstSeenAt: createdAt,
  lastSeenAt: createdAt,
  createdAt,
  gitlabIssueLink: null,
});

describe('Function: selectDigest', () => {
  const period = digestPeriod('daily', '2026-03-02');

  it("lists the period's new errors (any status) and older unresolved ones, by code, most errors first", () => {
    const groups = selectDigest(
      [
        entry('a', 'x_code', '2026-03-01T10:00:00.000Z', 'resolved'),
        entry('b', 'y_code', '2026-03-01T11:00:00.000Z'),
        entry('c', 'y_code', '2026-02-20T00:00:00.000Z', 'in_progress'),
        entry('d', 'y_code', '2026-02-20T00:00:00.000Z', 'resolved'), // old and resolved: not listed
        entry('e', 'z_code', '2026-03-02T00:00:00.000Z'), // after the period
        entry('b', 'y_code', '2026-03-01T11:00:00.000Z'), // listed once
      ],
      period,
    );
    expect(groups.map((g) => [g.code, g.entries.map((e) => `${e.id}:${e.reason}`)])).toEqual([
      ['y_code', ['b:new', 'c:still_open']],
      ['x_code', ['a:new']],
    ]);
    expect(groups[0]!.occurrences).toBe(4);
  });
});

describe('Function: renderDigestIssue', () => {
  it('titles the issue with its searchable marker and links each error to the admin page', () => {
    const period = digestPeriod('daily', '2026-03-02');
    const groups = selectDigest([entry('err_1', 'y_code', '2026-03-01T11:00:00.000Z'), entry('err_2', 'x_code', '2026-02-01T11:00:00.000Z')], period);
    const { title, description } = renderDigestIssue({ job: 'daily-digest', period, groups, adminBaseUrl: 'https://admin.example.com/' });
    expect(title).toContain(digestMarker('daily-digest', '2026-03-01'));
    expect(title).toContain('1 new, 1 still open');
    expect(description).toContain('### `x_code` — 1 error, 2 occurrences');
    expect(description).toContain('[`err_1`](https://admin.example.com/admin#/errors/err_1) **new**');
    expect(description).toContain('still open');
  });

  it('escapes Markdown in subjects and messages and lists at most 50 per code', () => {
    const period = digestPeriod('daily', '2026-03-02');
    const many = Array.from({ length: 60 }, (_, i) => ({ ...entry(`e${i}`, 'c', '2026-03-01T01:00:00.000Z'), message: '<script>*bold*</script>' }));
    const { description } = renderDigestIssue({ job: 'daily-digest', period, groups: selectDigest(many, period), adminBaseUrl: undefined });
    // Inside a code span GitLab renders nothing: the tag shows as text.
    expect(description).toContain('`<script>*bold*</script>`');
    expect(description.replace(/`[^`\n]*`/g, '')).not.toContain('<script>');
    expect(description).toContain('… and 10 more with this code');
  });
});
