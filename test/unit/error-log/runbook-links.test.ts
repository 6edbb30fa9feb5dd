/** Slack messages and digest issues link the runbook of the code: the admin page's view, else its title. */
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../../shared/error-log/slack.js';
import { digestPeriod, renderDigestIssue, selectDigest } from '../../../shared/error-log/domain/digest.js';

const record = { id: 'err_0123456789abcdef01234567', code: 'trial_not_ended', message: 'm', subject: 'subscription:S-1', source: 'audit' as const, occurrences: 1 };
const runbook = { code: 'trial_not_ended', title: 'Audit: <a trial> whose end date passed' };

describe('Function: errorMessage (runbook)', () => {
  it("links the runbook's admin view, its title escaped", () => {
    const { text } = errorMessage(record, { adminBaseUrl: 'https://admin.example.com', reopened: false, runbook });
    expect(text).toContain('<https://admin.example.com/admin#/runbooks/trial_not_ended|Runbook: Audit: &lt;a trial&gt; whose end date passed>');
  });

  it('names the runbook without an admin base URL, and says nothing without a runbook', () => {
    expect(errorMessage(record, { adminBaseUrl: undefined, reopened: false, runbook }).text).toContain('*Runbook:* Audit: &lt;a trial&gt;');
    expect(errorMessage(record, { adminBaseUrl: undefined, reopened: false, runbook: null }).text).not.toContain('Runbook');
  });
});

describe('Function: renderDigestIssue (runbook)', () => {
  const period = digestPeriod('daily', '2026-03-02');
  const entry = (id: string, code: string) => ({
    id,
    code,
    subject: 's',
    message: 'm',
    status: 'open' as const,
    occurrences: 1,
    firstSeenAt: '2026-03-01T01:00:00.000Z',
    lastSeenAt: '2026-03-01T01:00:00.000Z',
    createdAt: '2026-03-01T01:00:00.000Z',
    gitlabIssueLink: null,
  });
  const groups = selectDigest([entry('err_1', 'trial_not_ended'), entry('err_2', 'VALIDATION_ERROR')], period);

  it("links each code's runbook under its heading", () => {
    const { description } = renderDigestIssue({ job: 'daily-digest', period, groups, adminBaseUrl: 'https://admin.example.com/', runbooks: { trial_not_ended: 'Trial [ended]' } });
    expect(description).toContain('Runbook: [`Trial [ended]`](https://admin.example.com/admin#/runbooks/trial_not_ended)');
    expect(description.match(/Runbook:/g)).toHaveLength(1);
  });

  it('names the runbook without an admin base URL', () => {
    const { description } = renderDigestIssue({ job: 'daily-digest', period, groups, adminBaseUrl: undefined, runbooks: { trial_not_ended: 'Trial' } });
    expect(description).toContain('Runbook: `Trial`\n');
  });
});
