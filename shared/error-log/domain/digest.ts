/**
 * The daily and weekly digests, as pure functions: which period a run covers, which errors it
 * lists, and the GitLab issue it opens.
 */
import type { ErrorRecord } from './record.js';
import { unresolvedStatuses } from './status.js';
import { runbookAdminLink } from './runbook-titles.js';

export type DigestKind = 'daily' | 'weekly';

export interface DigestPeriod {
  kind: DigestKind;
  /** `2026-03-01` (daily) or `2026-W09` (weekly, ISO week): with the job name, the run's idempotency key. */
  key: string;
  /** Inclusive start and exclusive end, ISO instants (UTC). */
  from: string;
  to: string;
  /** First and last day covered, `YYYY-MM-DD`. */
  firstDay: string;
  lastDay: string;
}

const DAY = 86_400_000;
const dayStart = (isoDate: string): number => Date.parse(`${isoDate}T00:00:00.000Z`);
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** ISO 8601 week of a UTC day: `2026-W09`. */
export function isoWeek(ms: number): string {
  const d = new Date(ms);
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = ms - dow * DAY + 3 * DAY; // the week belongs to the year of its Thursday
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/**
 * The period a digest run on `asOf` covers: the day before (daily), or the last full ISO week,
 * Monday to Sunday, before the week of `asOf` (weekly). The schedules run them at 06:00 UTC, so a
 * run covers finished days only.
 *
 * @example
 * digestPeriod('daily', '2026-03-02')  // key 2026-03-01, from 2026-03-01T00:00Z to 2026-03-02T00:00Z
 * digestPeriod('weekly', '2026-03-04') // key 2026-W09: Monday 2026-02-23 to Sunday 2026-03-01
 */
export function digestPeriod(kind: DigestKind, asOf: string): DigestPeriod {
  const start = dayStart(asOf);
  if (Number.isNaN(start)) throw new RangeError(`asOf must be a date (YYYY-MM-DD), got "${asOf}"`);
  if (kind === 'daily') {
    const from = start - DAY;
    return { kind, key: dateOf(from), from: new Date(from).toISOString(), to: new Date(start).toISOString(), firstDay: dateOf(from), lastDay: dateOf(from) };
  }
  const monday = start - ((new Date(start).getUTCDay() + 6) % 7) * DAY;
  const from = monday - 7 * DAY;
  return { kind, key: isoWeek(from), from: new Date(from).toISOString(), to: new Date(monday).toISOString(), firstDay: dateOf(from), lastDay: dateOf(monday - DAY) };
}

export type DigestEntry = Pick<ErrorRecord, 'id' | 'code' | 'subject' | 'message' | 'status' | 'occurrences' | 'firstSeenAt' | 'lastSeenAt' | 'createdAt' | 'gitlabIssueLink'> & {
  /** New in the period, or older and still unresolved. */
  reason: 'new' | 'still_open';
};

export interface DigestGroup {
  code: string;
  entries: DigestEntry[];
  occurrences: number;
}

/**
 * The errors a digest lists: those created in the period (whatever their status) and those created
 * before it that are still unresolved, grouped by code — the codes with most errors first.
 */
export function selectDigest(records: readonly DigestEntry[] | readonly Omit<DigestEntry, 'reason'>[], period: DigestPeriod): DigestGroup[] {
  const seen = new Set<string>();
  const byCode = new Map<string, DigestEntry[]>();
  for (const r of records) {
    if (seen.has(r.id) || r.createdAt >= period.to) continue;
    const isNew = r.createdAt >= period.from;
    if (!isNew && !unresolvedStatuses.includes(r.status)) continue;
    seen.add(r.id);
    const entry: DigestEntry = { ...r, reason: isNew ? 'new' : 'still_open' };
    byCode.set(r.code, [...(byCode.get(r.code) ?? []), entry]);
  }
  return [...byCode.entries()]
    .map(([code, entries]) => ({
      code,
      entries: entries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)),
      occurrences: entries.reduce((n, e) => n + e.occurrences, 0),
    }))
    .sort((a, b) => b.entries.length - a.entries.length || a.code.localeCompare(b.code));
}

/** Searchable, unique per job and period: the run finds an issue it opened before a crash by it. */
export const digestMarker = (job: string, periodKey: string): string => `digest:${job}:${periodKey}`;

/** Entries listed per code; the rest are counted. GitLab descriptions stop at 1 MB. */
const MAX_LISTED_PER_CODE = 50;

/**
 * Text from a record, inert in GitLab Markdown: a code span, inside which GitLab renders no
 * Markdown, HTML, autolink, `@mention` or reference (`#1`, `!1`, `%m`, `~l`, `$1`, `&1`, `[x](url)`);
 * on one line, its own backticks turned into `ˋ` so it cannot close the span. Empty text is `(none)`.
 *
 * @example
 * codeSpan('@all see #12 and [docs](https://evil.example)') // '`@all see #12 and [docs](https://evil.example)`'
 */
export function codeSpan(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const cut = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  return cut === '' ? '(none)' : `\`${cut.replace(/`/g, 'ˋ')}\``;
}

/** The title and Markdown description of a digest's GitLab issue. */
export function renderDigestIssue(input: {
  job: string;
  period: DigestPeriod;
  groups: readonly DigestGroup[];
  adminBaseUrl: string | undefined;
  /** Runbook titles by code: each group links its runbook (the admin page's view, else its title). */
  runbooks?: Readonly<Record<string, string>>;
}): {
  title: string;
  description: string;
} {
  const { job, period, groups } = input;
  const total = groups.reduce((n, g) => n + g.entries.length, 0);
  const newCount = groups.reduce((n, g) => n + g.entries.filter((e) => e.reason === 'new').length, 0);
  const span = period.firstDay === period.lastDay ? period.firstDay : `${period.firstDay} – ${period.lastDay}`;
  const title = `Provisioning errors, ${period.kind} digest ${period.key}: ${newCount} new, ${total - newCount} still open [${digestMarker(job, period.key)}]`;
  const link = (id: string) => (input.adminBaseUrl ? `[\`${id}\`](${input.adminBaseUrl.replace(/\/$/, '')}/admin#/errors/${id})` : `\`${id}\``);
  const lines = [
    `Errors of the Provisioning Service for ${span} (UTC): **${newCount} new** in the period and **${total - newCount} still open** from before, grouped by code.`,
    '',
    'Closing this issue resolves the errors linked to it (the GitLab webhook moves each along the workflow to `resolved`).',
    '',
  ];
  for (const group of groups) {
    lines.push(`### ${codeSpan(group.code, 100)} — ${group.entries.length} error${group.entries.length === 1 ? '' : 's'}, ${group.occurrences} occurrence${group.occurrences === 1 ? '' : 's'}`, '');
    const runbook = input.runbooks && Object.hasOwn(input.runbooks, group.code) ? input.runbooks[group.code] : undefined;
    if (runbook !== undefined) {
      lines.push(input.adminBaseUrl ? `Runbook: [${codeSpan(runbook, 200)}](${runbookAdminLink(input.adminBaseUrl, group.code)})` : `Runbook: ${codeSpan(runbook, 200)}`, '');
    }
    for (const e of group.entries.slice(0, MAX_LISTED_PER_CODE)) {
      lines.push(
        `- ${link(e.id)} ${e.reason === 'new' ? '**new**' : `still ${e.status.replace('_', ' ')}`} · ${codeSpan(e.subject)} — ${codeSpan(e.message)} (${e.occurrences}×, last ${codeSpan(e.lastSeenAt, 40)})`,
      );
    }
    if (group.entries.length > MAX_LISTED_PER_CODE) lines.push(`- … and ${group.entries.length - MAX_LISTED_PER_CODE} more with this code`);
    lines.push('');
  }
  lines.push(`<!-- ${digestMarker(job, period.key)} -->`);
  return { title, description: lines.join('\n') };
}
