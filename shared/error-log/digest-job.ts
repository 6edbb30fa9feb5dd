/**
 * The daily and weekly digests. Each run covers one period (the day before, or the last full ISO
 * week), opens ONE GitLab issue listing the period's new and still-open errors grouped by code, and
 * links those errors to it (`gitlabIssueLink`). It also retries Slack notifications that failed.
 *
 * One issue per period, crash or not — the run item `DIGEST#<job>#<period>` orders the steps:
 * 1. take the run's lease (conditional: no run yet, or an unfinished one whose lease expired);
 *    a finished run answers its summary again; a live one is `409 digest_in_progress`;
 * 2. if the item already records an issue, use it; otherwise look the issue up in GitLab by the
 *    marker in its title (`digest:<job>:<period>`) — a run that crashed after creating the issue
 *    but before recording it left exactly that — and create it only if it is not there;
 * 3. record the issue on the item at once (conditional on still holding the lease);
 * 4. link the errors (each conditional: an error stays with the first issue that tracked it);
 * 5. mark the run done with its summary.
 * A crash anywhere repeats only idempotent steps. What is not covered: GitLab's search not yet
 * showing an issue created within the same instant by a run whose lease expired while it was
 * still running — the lease (10 minutes) is far longer than a run (at most the function timeout).
 */
import { randomUUID } from 'node:crypto';
import { readSetting } from '../platform/config.js';
import { ProcessDefault } from '../platform/process-default.js';
import { digestMarker, digestPeriod, renderDigestIssue, selectDigest } from './domain/digest.js';
import type { DigestKind } from './domain/digest.js';
import { GitLabIssues, GitLabNotConfiguredError } from './gitlab.js';
import type { IssueRef, IssueTracker } from './gitlab.js';
import { errorLogMetrics } from './metrics.js';
import { SlackNotifier } from './slack.js';
import type { Notifier } from './slack.js';
import { unresolvedStatuses } from './domain/status.js';
import { notifyRecord } from './announce.js';
import { runbookTitle, runbookTitles } from './runbook-titles.js';
import { DigestInProgressError } from './errors.js';
import { ErrorStore } from './store.js';
import type { DigestRecord } from './store.js';
import type { Job, JobContext, JobName } from '../jobs/index.js';

/** Longer than any run can take (the digest functions time out after 2 minutes). */
export const DIGEST_LEASE_MS = 10 * 60_000;
/** Failed Slack notifications retried per run: a long outage drains over a few runs, not in one burst. */
const MAX_NOTIFICATION_RETRIES = 50;
export const DIGEST_LABELS = ['provisioning-errors', 'digest'] as const;

export interface DigestDeps {
  store: ErrorStore;
  tracker: () => Promise<IssueTracker>;
  notifier: Notifier;
  adminBaseUrl: () => string | undefined;
  /** Runbook titles by code (saved and shipped), for the issue to link; default one Query of the runbooks. */
  runbookTitles?: () => Promise<Record<string, string>>;
  /** The runbook title of one code, for a retried Slack announcement; default one GetItem of the title. */
  runbook?: (code: string) => Promise<{ code: string; title: string } | null>;
}

/**
 * What the scheduled and operator runs use: the error store, GitLab and Slack from the
 * configuration, created at the first run. A test puts its own in place with `digestDeps.use(…)`.
 */
export const digestDeps = new ProcessDefault<DigestDeps>(() => ({
  store: new ErrorStore(),
  tracker: () => GitLabIssues.fromConfig(),
  notifier: new SlackNotifier(),
  adminBaseUrl: () => readSetting('adminBaseUrl'),
  runbookTitles: () => runbookTitles(),
  runbook: (code) => runbookTitle(code),
}));

/** Retries the Slack messages of unresolved records whose announcement failed or never went out. */
async function retryNotifications(records: readonly DigestRecord[], deps: DigestDeps, context: JobContext): Promise<{ sent: number; failed: number }> {
  const due = records.filter((r) => r.status !== 'resolved' && (r.notification === 'failed' || r.notification === 'pending')).slice(0, MAX_NOTIFICATION_RETRIES);
  const result = { sent: 0, failed: 0 };
  for (const record of due) {
    const outcome = await notifyRecord(record.id, ['pending', 'failed'], { ...deps, metrics: errorLogMetrics }, context.log);
    if (outcome === 'sent') result.sent++;
    if (outcome === 'failed') result.failed++;
  }
  return result;
}

export async function runDigest(job: string, kind: DigestKind, context: JobContext, deps: DigestDeps = digestDeps.get()): Promise<Record<string, unknown>> {
  const period = digestPeriod(kind, context.asOf);
  const log = context.log.createChild({ persistentKeys: { job, period: period.key } });
  const base = { job, period: period.key, from: period.from, to: period.to };

  const [created, ...open] = await Promise.all([
    deps.store.digestRecordsCreatedBetween(period.from, period.to),
    ...unresolvedStatuses.map((status) => deps.store.digestRecordsWithStatus(status)),
  ]);
  const records = [...created!, ...open.flat()];
  const notifications = await retryNotifications(records, deps, context);

  let tracker: IssueTracker;
  try {
    tracker = await deps.tracker();
  } catch (error) {
    if (!(error instanceof GitLabNotConfiguredError)) throw error;
    log.warn('digest skipped', { reason: error.message });
    return { ...base, status: 'skipped', reason: `${error.message} to open digest issues.`, notifications };
  }

  const runId = randomUUID();
  const begun = await deps.store.beginDigestRun(job, period.key, runId, DIGEST_LEASE_MS);
  if (begun.kind === 'done') return { ...(begun.run.summary ?? base), status: 'already_done', notifications };
  if (begun.kind === 'busy') {
    throw new DigestInProgressError(job, period.key, begun.run.leaseUntil);
  }

  const groups = selectDigest(records, period);
  const listed = groups.flatMap((g) => g.entries);
  let issue: IssueRef | null = begun.run.issue;
  let status: string;
  if (issue) {
    status = 'resumed';
  } else if (listed.length === 0) {
    status = 'nothing_to_report';
  } else {
    const marker = digestMarker(job, period.key);
    issue = (await tracker.findByMarker(marker)) ?? null;
    status = issue ? 'adopted' : 'created';
    if (!issue) {
      const runbooks = deps.runbookTitles ? await deps.runbookTitles() : undefined;
      const { title, description } = renderDigestIssue({ job, period, groups, adminBaseUrl: deps.adminBaseUrl(), runbooks });
      issue = await tracker.create({ title, description, labels: DIGEST_LABELS });
      log.info('digest issue opened', { issueUrl: issue.url, errors: listed.length });
    }
    await deps.store.recordDigestIssue(job, period.key, runId, issue);
  }

  let linked = 0;
  if (issue) {
    for (const entry of listed) if (await deps.store.linkIssue(entry.id, issue.url, `job:${job}`)) linked++;
  }
  const summary = {
    ...base,
    status,
    issue,
    errors: listed.length,
    new: listed.filter((e) => e.reason === 'new').length,
    stillOpen: listed.filter((e) => e.reason === 'still_open').length,
    byCode: Object.fromEntries(groups.map((g) => [g.code, g.entries.length])),
    linked,
  };
  await deps.store.finishDigestRun(job, period.key, runId, summary);
  log.info('digest done', { status, errors: listed.length, linked });
  return { ...summary, notifications };
}

const digestJob = (name: JobName, kind: DigestKind, description: string): Job => ({
  name,
  description,
  run: (context) => runDigest(name, kind, context),
});

export const dailyDigest = digestJob('daily-digest', 'daily', "Opens one GitLab issue with yesterday's new and still-open errors, by code.");
export const weeklyDigest = digestJob('weekly-digest', 'weekly', "Opens one GitLab issue with last week's new and still-open errors, by code.");
