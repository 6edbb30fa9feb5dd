/**
 * The admin page in a real browser: Debian's chromium driven by playwright-core against the local
 * runtime. An operator signs in with the token, resolves an error (created by an `Audit Finding`
 * on the local bus), reads and rewrites the runbook of its code, creates and deletes a noise rule, finds a namespace by its subscription, reassociates it with a dry run first,
 * edits a flag, runs a job and reads the counters; then sees a namespace's previous term beside the
 * current one, corrects its peak (a refusal, a dry run, the real call), sees a namespace's trials
 * with their history, and reads the corrections report. Each view's screenshot is written to
 * test-results/screenshots/, and to docs/screenshots/ (the README shows them) with UPDATE_SCREENSHOTS=1. The steps run in order, on one page.
 *
 * chromium is installed by scripts/ensure-chromium.sh, which npm test runs first; without it this file fails.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { REPO_ROOT } from '../../local/runtime.js';
import { LOCAL_SERVICE_ARN } from '../../local/http-server.js';
import { AUDIT_FINDING } from '../../shared/platform/failure-events.js';
import { BUS_NAME, SERVICE_SOURCE } from '../../shared/service/manifest.js';
import { client, eventId, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
// Every run writes its screenshots to test-results/ (ignored by git); the README's copies in
// docs/screenshots/ are refreshed with UPDATE_SCREENSHOTS=1 npm test, or written when missing.
const RUN_SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');
const DOC_SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');
const STEP_TIMEOUT = 120_000;

let runtime: Runtime;
let api: Client;
let ops: Client;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const problems: string[] = [];

const SOURCE_NS = 4201;
const TARGET_NS = 4202;
const SUB = 'A-S4201';
const TERMS_NS = 4203;
const TERMS_SUB = 'A-S4203';
const TRIAL_NS = 4204;

const ok = async (response: Promise<{ status: number; body: unknown }>) => {
  const res = await response;
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
};

/**
 * Seeded after the counters are read (they count every command of the run): a term that ended and
 * its renewal, a reconciliation of the ended term, and a namespace whose trial was extended, ended
 * early, then started again (a reactivation). Every date in the past.
 */
async function seedTermsAndTrials(): Promise<void> {
  await ok(api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: '2025-01-10T09:00:00Z', subscriptionId: TERMS_SUB, namespaceId: TERMS_NS, planCode: 'premium',
    seats: 10, startDate: '2025-01-10', endDate: '2026-01-10', autoRenew: true,
  }));
  await ok(api.call('PUT', `/v1/namespaces/${TERMS_NS}/seat-usage`, { eventId: eventId('usage'), occurredAt: '2025-06-01T00:00:00Z', seatsInUse: 16, measuredAt: '2025-06-01T00:00:00Z' }));
  await ok(api.call('POST', `/v1/subscriptions/${TERMS_SUB}/renewals`, { eventId: eventId('renew'), occurredAt: '2026-01-10T09:00:00Z', startDate: '2026-01-10', endDate: '2027-01-10', seats: 12 }));
  await ok(api.call('PUT', `/v1/namespaces/${TERMS_NS}/seat-usage`, { eventId: eventId('usage'), occurredAt: '2026-03-01T00:00:00Z', seatsInUse: 9, measuredAt: '2026-03-01T00:00:00Z' }));
  await ok(api.call('POST', `/v1/subscriptions/${TERMS_SUB}/reconciliations`, { eventId: eventId('recon'), occurredAt: '2026-04-01T09:00:00Z', termStartDate: '2025-01-10', seatsBilled: 4 }));

  const trial = (path: string, occurredAt: string, body: Record<string, unknown>) => ok(api.call('POST', `/v1/namespaces/${TRIAL_NS}/trials${path}`, { eventId: eventId('trial'), occurredAt, ...body }));
  await trial('', '2026-04-01T08:00:00Z', { planCode: 'ultimate_trial', trialStartsOn: '2026-04-01', trialEndsOn: '2026-04-30' });
  await trial('/extensions', '2026-04-20T08:00:00Z', { trialEndsOn: '2026-05-15' });
  await trial('/end', '2026-05-10T08:00:00Z', { endedOn: '2026-05-10' });
  await trial('', '2026-06-01T08:00:00Z', { planCode: 'ultimate_trial', trialStartsOn: '2026-06-01', trialEndsOn: '2026-06-30' });
}

async function seed(): Promise<void> {
  // A paid term of 10 seats whose peak reached 14 (4 owed), and a namespace in a trial.
  await ok(api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: '2026-01-05T09:00:00Z', subscriptionId: SUB, namespaceId: SOURCE_NS, planCode: 'premium',
    seats: 10, startDate: '2026-01-05', endDate: '2027-01-05', autoRenew: true,
  }));
  for (const [seatsInUse, measuredAt] of [[14, '2026-02-01T00:00:00Z'], [11, '2026-03-01T00:00:00Z']] as const) {
    await ok(api.call('PUT', `/v1/namespaces/${SOURCE_NS}/seat-usage`, { eventId: eventId('usage'), occurredAt: measuredAt, seatsInUse, measuredAt }));
  }
  await ok(api.call('POST', `/v1/namespaces/${TARGET_NS}/trials`, {
    eventId: eventId('trial'), occurredAt: '2026-02-10T09:00:00Z', planCode: 'ultimate_trial', trialStartsOn: '2026-02-10', trialEndsOn: '2026-03-12',
  }));

  // Two audit findings on the local bus: the error-log writer turns each into a record.
  const events = busClient(runtime);
  const finding = (code: string, subject: string, message: string) => ({
    EventBusName: BUS_NAME,
    Source: SERVICE_SOURCE,
    DetailType: AUDIT_FINDING,
    Detail: JSON.stringify({ code, subject, message, payload: { subscriptionId: SUB, namespaceId: SOURCE_NS }, asOf: '2026-03-02' }),
  });
  const out = await events.send(new PutEventsCommand({
    Entries: [
      finding('renewal_not_processed', `subscription:${SUB}`, `Subscription ${SUB} auto-renews and its term ended on 2026-03-01, but no renewal was applied.`),
      finding('trial_not_ended', `namespace:${TARGET_NS}`, `Namespace ${TARGET_NS}'s trial ended on 2026-03-01 and is still active.`),
    ],
  }));
  events.destroy();
  expect(out.FailedEntryCount).toBe(0);
  await runtime.settle();
  const errors = await ops.call('GET', '/v1/errors?status=open');
  expect(errors.body.items).toHaveLength(2);
}

/** Waits until `text` is visible on the page (Playwright's auto-waiting locators). */
const seen = (text: string | RegExp) => page.getByText(text).first().waitFor({ state: 'visible' });
const shot = async (name: string) => {
  const image = await page.screenshot({ path: path.join(RUN_SCREENSHOTS, `${name}.png`), fullPage: true });
  const doc = path.join(DOC_SCREENSHOTS, `${name}.png`);
  if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(doc)) {
    mkdirSync(DOC_SCREENSHOTS, { recursive: true });
    writeFileSync(doc, image);
  }
};
const alertText = async () => (await page.locator('#alert').textContent())?.trim() ?? '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Debian's chromium is missing (${CHROMIUM}): install it with scripts/ensure-chromium.sh (as root; npm test runs it), then run the tests again.`);
  }
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  runtime = await startTestRuntime();
  api = client(runtime, 'service');
  ops = client(runtime, 'operator');
  await seed();
  mkdirSync(RUN_SCREENSHOTS, { recursive: true });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'admin-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 860 },
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused API call is logged by the browser itself; the page shows it (checked below).
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
}, STEP_TIMEOUT);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await runtime?.stop();
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});

describe('Admin page in chromium', () => {
  it('serves the page with its security headers and asks for the operator token', async () => {
    const response = await page.goto(`${runtime.url}/admin`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['x-frame-options']).toBe('DENY');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.locator('#nav').isHidden()).toBe(true);
    await shot('sign-in');
  }, STEP_TIMEOUT);

  it('shows the API\'s answer to a wrong token, then signs in with the operator token', async () => {
    await page.getByLabel('Operator token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#alert').waitFor({ state: 'visible' });
    expect(await alertText()).toContain('401 unauthorized');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);

    await page.getByLabel('Operator token').fill(runtime.tokens.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Error log' }).waitFor();
    expect(await page.locator('#nav').isVisible()).toBe(true);
    // The token lives in this tab's sessionStorage only, never in the URL.
    expect(await page.evaluate<string | null>("sessionStorage.getItem('provisioning.operatorToken')")).toBe(runtime.tokens.operator);
    expect(page.url()).not.toContain(runtime.tokens.operator);
  }, STEP_TIMEOUT);

  it('lists the error log, filters it by code and resolves an error along the workflow', async () => {
    const rows = page.getByRole('table', { name: 'Errors' }).locator('tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    // Where each failure happened: the audit's findings are this service's own, in reconciliation.
    expect(await rows.first().textContent()).toContain('provisioning-service · no integration · reconciliation');
    await shot('errors');

    // Filtered by flow by the API: no audit finding is a renewal failure.
    await page.getByLabel('Flow').selectOption('renewal');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/#\/errors\?flow=renewal$/);
    await seen('No errors match these filters.');
    await page.getByLabel('Flow').selectOption('');

    await page.getByLabel('Code').fill('renewal_not_processed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/#\/errors\?code=renewal_not_processed$/);
    await seen('1 shown.');
    expect(await rows.count()).toBe(1);

    await page.getByRole('link', { name: 'renewal_not_processed' }).click();
    await page.getByRole('heading', { name: /renewal_not_processed/ }).waitFor();
    const id = page.url().split('#/errors/')[1]!;
    expect(id).toMatch(/^err_[0-9a-f]{24}$/);
    // Its one occurrence, with its evidence.
    const occurrences = page.getByRole('table', { name: 'Recent occurrences' }).locator('tbody tr');
    await occurrences.first().waitFor();
    expect(await occurrences.count()).toBe(1);
    await seen('The last 1 of 1, newest first.');
    // Only the workflow's moves from open are offered.
    const moves = await page.getByLabel('Move to').locator('option').allTextContents();
    expect(moves).toEqual(['keep open', 'resolved', 'needs attention']);
    await page.getByLabel('Move to').selectOption('resolved');
    await page.getByLabel('Notes').fill('Renewal applied by hand from the portal, ticket 4711.');
    await page.getByLabel('GitLab issue').fill('https://gitlab.example.com/billing/provisioning/-/issues/12');
    await page.getByRole('button', { name: 'Save' }).click();
    await seen(`Saved: ${id} is resolved.`);
    await page.getByRole('table', { name: 'Changes' }).getByText('local-operator').first().waitFor();
    await shot('error-detail');

    const stored = await ops.call('GET', `/v1/errors/${id}`);
    expect(stored.body).toMatchObject({
      status: 'resolved',
      notes: 'Renewal applied by hand from the portal, ticket 4711.',
      gitlabIssueLink: 'https://gitlab.example.com/billing/provisioning/-/issues/12',
    });
    expect(stored.body.changes.map((c: { field: string; actor: string }) => `${c.field}:${c.actor}`)).toEqual(
      expect.arrayContaining(['status:local-operator', 'notes:local-operator', 'gitlabIssueLink:local-operator']),
    );
  }, STEP_TIMEOUT);

  it("shows the runbook of the record's code, and a runbook saved on the admin page replaces it on the record", async () => {
    const id = page.url().split('#/errors/')[1]!;
    const runbook = page.getByRole('region', { name: 'Runbook' });
    await runbook.getByRole('heading', { name: 'Runbook: Audit: an auto-renewing term that ended without a renewal' }).waitFor();
    await runbook.getByRole('heading', { name: 'Check' }).waitFor();
    expect(await runbook.locator('li').first().textContent()).toContain('Open the namespace in the admin page');

    await runbook.getByRole('link', { name: 'edit' }).click();
    await page.waitForURL(/#\/runbooks\/renewal_not_processed$/);
    await page.getByLabel('Title').fill('Renewal missing: ask Billing');
    await page.getByLabel('Steps (Markdown)').fill('## First\n- Check [Zuora](https://zuora.example.com/renewals) for `S-1`\n- <img src=x onerror=alert(1)> stays text');
    await page.getByLabel('Owner (optional)').fill('Billing ops');
    await page.getByRole('button', { name: 'Save' }).click();
    await seen('Saved the runbook of renewal_not_processed: version 1.');

    await page.goto(`${runtime.url}/admin#/errors/${id}`);
    const saved = page.getByRole('region', { name: 'Runbook' });
    await saved.getByRole('heading', { name: 'Runbook: Renewal missing: ask Billing' }).waitFor();
    await saved.getByRole('heading', { name: 'First' }).waitFor();
    expect(await saved.getByRole('link', { name: 'Zuora' }).getAttribute('href')).toBe('https://zuora.example.com/renewals');
    expect(await saved.locator('code').first().textContent()).toBe('S-1');
    // Markdown from the API is text: the tag is shown, never parsed.
    expect(await saved.locator('img').count()).toBe(0);
    await saved.getByText('<img src=x onerror=alert(1)> stays text').waitFor();
    await shot('error-runbook');
    const stored = await ops.call('GET', `/v1/errors/${id}`);
    expect(stored.body.runbook).toMatchObject({ source: 'stored', title: 'Renewal missing: ask Billing', owner: 'Billing ops' });
  }, STEP_TIMEOUT);

  it('lists the noise rules with their counts, creates one and deletes it after a confirmation', async () => {
    await page.getByRole('link', { name: 'Noise rules' }).click();
    const rules = page.getByRole('table', { name: 'Noise rules' });
    await rules.getByRole('link', { name: 'default-stale-event' }).waitFor();
    await page.getByLabel('Open or create a rule').fill('zuora-sandbox');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(/#\/noise-rules\/zuora-sandbox$/);
    await page.getByLabel('integration', { exact: true }).fill('zuora');
    await page.getByLabel('messageContains', { exact: true }).fill('sandbox');
    await page.getByLabel('Reason').fill('Zuora sandbox tenants are test accounts');
    await page.getByRole('button', { name: 'Create' }).click();
    await seen('Saved zuora-sandbox: version 1.');
    await page.getByRole('table', { name: 'Noise rule history' }).getByText('local-operator').waitFor();
    await shot('noise-rule');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete…' }).click();
    await seen('Deleted the noise rule zuora-sandbox.');
    await page.getByRole('table', { name: 'Noise rule history' }).getByText('deleted').waitFor();
    const list = await ops.call('GET', '/v1/noise-rules');
    expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain('zuora-sandbox');
  }, STEP_TIMEOUT);

  it('finds a namespace by its subscription and shows its state, seat statistics and history', async () => {
    await page.getByRole('link', { name: 'Namespaces' }).click();
    await page.getByLabel('Namespace id or subscription id').fill(SUB);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(new RegExp(`#/namespaces/${SOURCE_NS}$`));
    await page.getByRole('heading', { name: `Namespace ${SOURCE_NS}` }).waitFor();
    const seats = page.getByRole('region', { name: 'Seats' });
    expect(await seats.locator('dt:text-is("seatsOwed") + dd').textContent()).toBe('4');
    expect(await seats.locator('dt:text-is("maxSeatsUsed") + dd').textContent()).toBe('14');
    const entries = page.getByRole('list', { name: 'History' }).locator(':scope > li');
    expect(await entries.count()).toBe(3);
    expect(await entries.first().locator('.entry-head').textContent()).toContain('seatUsageReported');
    // Before and after of the newest change: seats in use went from 14 to 11, the peak stayed.
    const newest = entries.first().getByRole('table', { name: 'Changes of version 3' });
    expect(await newest.locator('tr:has(th:text-is("seatsInUse")) td').allTextContents()).toEqual(['14', '11']);
    await shot('namespace');
  }, STEP_TIMEOUT);

  it('reassociates the subscription: an API refusal shown, then the dry run\'s diff, then the real call', async () => {
    await page.getByRole('link', { name: `Force reassociation of ${SUB}…` }).click();
    await page.getByRole('heading', { name: 'Force reassociation' }).waitFor();
    expect(await page.getByLabel('Subscription id').inputValue()).toBe(SUB);

    // The subscription is already on its own namespace: the API's 409 reaches the person.
    await page.getByLabel('Target namespace id').fill(String(SOURCE_NS));
    await page.getByLabel('Reason', { exact: true }).selectOption('trial_conversion');
    await page.getByLabel('Note').fill('Customer bought on the wrong group during the trial, ticket 4712');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.locator('#alert').waitFor({ state: 'visible' });
    expect(await alertText()).toContain('409 already_associated');
    expect(await page.getByRole('button', { name: 'Reassociate', exact: true }).isDisabled()).toBe(true);

    await page.getByLabel('Target namespace id').fill(String(TARGET_NS));
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await seen('Dry run: what would change (nothing was written)');
    const target = page.getByRole('table', { name: `Target namespace ${TARGET_NS}` });
    expect(await target.locator('tr:has(th:text-is("subscriptionId")) td').allTextContents()).toEqual(['—', SUB]);
    expect(await target.locator('tr:has(th:text-is("maxSeatsUsed")) td').allTextContents()).toEqual(['0', '14']);
    const source = page.getByRole('table', { name: `Source namespace ${SOURCE_NS}` });
    expect(await source.locator('tr:has(th:text-is("subscriptionId")) td').allTextContents()).toEqual([SUB, '—']);
    // The dry run wrote nothing.
    expect((await ops.call('GET', `/v1/operator/subscriptions/${SUB}`)).body.namespaceId).toBe(SOURCE_NS);
    await shot('reassociate-dry-run');

    const apply = page.getByRole('button', { name: 'Reassociate', exact: true });
    expect(await apply.isEnabled()).toBe(true);
    await apply.click();
    await seen(`Applied: ${SUB} is on namespace ${TARGET_NS}`);
    await seen(new RegExp(`Reassociated: ${SUB} moved from namespace ${SOURCE_NS} to namespace ${TARGET_NS}`));
    expect(await apply.isDisabled()).toBe(true);
    expect((await ops.call('GET', `/v1/operator/subscriptions/${SUB}`)).body.namespaceId).toBe(TARGET_NS);
    const moved = await ops.call('GET', `/v1/operator/namespaces/${TARGET_NS}`);
    expect(moved.body.state).toMatchObject({ subscriptionId: SUB, maxSeatsUsed: 14, seatsOwed: 4, trial: false });

    // The report below the form reloads: counted by reason and week, drawn as bars.
    await seen('1 reassociation from');
    expect(await page.locator('svg.chart rect.reason-trial_conversion').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Reassociations by reason' }).locator('tr:has-text("trial conversion") td').textContent()).toBe('1');
    await shot('reassociate');
  }, STEP_TIMEOUT);

  it('creates a flag with an actor gate, widens it and shows its history', async () => {
    await page.getByRole('link', { name: 'Flags' }).click();
    await page.getByRole('heading', { name: 'Feature flags' }).waitFor();
    await page.getByLabel('Open or create a flag').fill('account_data_persistence');
    await page.getByRole('button', { name: 'Open' }).click();
    await seen('This flag does not exist yet');
    await page.getByLabel('Actors', { exact: true }).fill('cust-1001\ncust-1002');
    await page.getByLabel('Percentage of actors').fill('12.5');
    await page.getByRole('button', { name: 'Create' }).click();
    await seen('Saved account_data_persistence: version 1.');
    const history = page.getByRole('table', { name: 'Flag history' }).locator('tbody tr');
    await history.first().waitFor();
    expect(await history.first().textContent()).toContain('actors: cust-1001, cust-1002; 12.5%');

    // Widen the rollout: the form sends the version it was loaded at.
    await page.getByLabel('Percentage of actors').fill('25');
    await page.getByRole('button', { name: 'Save' }).click();
    await seen('Saved account_data_persistence: version 2.');
    await history.nth(1).waitFor();
    expect(await history.first().textContent()).toMatch(/12\.5%.*25%/);
    await shot('flags');
    const flag = await ops.call('GET', '/v1/flags/account_data_persistence');
    expect(flag.body).toMatchObject({ enabled: false, actors: ['cust-1001', 'cust-1002'], percentageOfActors: 25, version: 2, updatedBy: 'local-operator' });

    await page.getByRole('link', { name: '← Flags' }).click();
    await page.getByRole('link', { name: 'account_data_persistence' }).waitFor();
  }, STEP_TIMEOUT);

  it('runs a job now and shows its summary', async () => {
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Job', { exact: true }).selectOption('daily-digest');
    await page.getByLabel('As of (optional)').fill('2026-03-02');
    await page.getByRole('button', { name: 'Run now' }).click();
    // GitLab is not configured in tests: the digest says so and what to set.
    await seen('daily-digest: skipped');
    expect(await page.locator('article pre').first().textContent()).toContain('"period": "2026-03-01"');
    await shot('jobs');
  }, STEP_TIMEOUT);

  it("shows the counters of the metrics function's own environment, saying where the service's metrics are", async () => {
    await page.getByRole('link', { name: 'Metrics' }).click();
    const table = page.getByRole('table', { name: 'Metrics' });
    await table.waitFor();
    // Every function runs isolated: the commands this page's tests sent were counted by their own functions.
    expect(await page.getByText(/one execution environment of the metrics function/).count()).toBe(1);
    expect(await table.locator('tr:has(th:text-is("EventsApplied"))').count()).toBe(0);
    await shot('metrics');
  }, STEP_TIMEOUT);

  it("shows a namespace's previous term beside the current one, and corrects its peak: an API refusal shown, a dry run, then the real call", async () => {
    await seedTermsAndTrials();
    await page.getByRole('link', { name: 'Namespaces' }).click();
    await page.getByLabel('Namespace id or subscription id').fill(TERMS_SUB);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { name: `Namespace ${TERMS_NS}` }).waitFor();
    const stored = (await ops.call('GET', `/v1/operator/namespaces/${TERMS_NS}`)).body.state;
    const termValue = async (term: string, label: string) => page.getByRole('region', { name: term }).locator(`dt:text-is("${label}") + dd`).textContent();
    // The term that ended: a peak of 16 on 10 seats, 4 of the 6 owed seats billed by the reconciliation.
    expect(await termValue('Previous term', 'Dates')).toBe('2025-01-10 → 2026-01-10');
    expect(await termValue('Previous term', 'Seats')).toBe('10');
    expect(await termValue('Previous term', 'Peak')).toBe('16');
    expect(await termValue('Previous term', 'Billed')).toBe('4');
    expect(await termValue('Previous term', 'Owed')).toBe('2');
    expect(await termValue('Current term', 'Dates')).toBe('2026-01-10 → 2027-01-10');
    expect(await termValue('Current term', 'Seats')).toBe('12');
    expect(await termValue('Current term', 'Peak')).toBe(String(stored.maxSeatsUsed));
    expect(await termValue('Current term', 'Owed')).toBe(String(stored.seatsOwed));
    await shot('namespace-terms');

    // A note of spaces passes the browser's length check; the API's answer (400, naming the field) is shown.
    const form = page.getByRole('form', { name: "Correct a term's peak" });
    await form.getByLabel('Term').selectOption('2025-01-10');
    await form.getByLabel('Peak (maxSeatsUsed)').fill('13');
    await form.getByLabel('Reason').selectOption('wrong_measurement');
    await form.getByLabel('Note').fill('          x');
    await form.getByRole('button', { name: 'Preview correction (dry run)' }).click();
    await page.locator('#alert').waitFor({ state: 'visible' });
    expect(await alertText()).toContain('400 validation_failed');
    expect(await alertText()).toContain('note: at least 10 visible characters');
    expect(await form.getByRole('button', { name: 'Apply correction' }).isDisabled()).toBe(true);

    await form.getByLabel('Note').fill('Two test groups were counted in June, ticket 5120');
    await form.getByRole('button', { name: 'Preview correction (dry run)' }).click();
    await seen('Dry run: what the correction would change (nothing was written)');
    const diff = page.getByRole('table', { name: 'Term from 2025-01-10' });
    expect(await diff.locator('tr:has(th:text-is("maxSeatsUsed")) td').allTextContents()).toEqual(['16', '13']);
    expect(await diff.locator('tr:has(th:text-is("seatsOwed")) td').allTextContents()).toEqual(['2', '0']);
    // The dry run wrote nothing.
    expect((await ops.call('GET', `/v1/operator/namespaces/${TERMS_NS}`)).body.state.previousTerm.maxSeatsUsed).toBe(16);
    await shot('correction-dry-run');

    await form.getByRole('button', { name: 'Apply correction' }).click();
    await seen(new RegExp(`Corrected: the peak of the term from 2025-01-10 on namespace ${TERMS_NS} went from 16 to 13`));
    expect(await termValue('Previous term', 'Peak')).toBe('13');
    expect(await termValue('Previous term', 'Owed')).toBe('0');
    const newest = page.getByRole('list', { name: 'History' }).locator(':scope > li').first().locator('.entry-head');
    expect(await newest.textContent()).toMatch(/seatStatisticsCorrected.*by local-operator/);
    const after = (await ops.call('GET', `/v1/operator/namespaces/${TERMS_NS}`)).body.state;
    expect(after.previousTerm).toMatchObject({ maxSeatsUsed: 13, seatsBilled: 4, seatsOwed: 0 });
  }, STEP_TIMEOUT);

  it('shows the trials of a namespace with their history: started, extended, ended, then a reactivation, each with when and by whom', async () => {
    await page.getByLabel('Namespace id or subscription id').fill(String(TRIAL_NS));
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { name: `Namespace ${TRIAL_NS}` }).waitFor();
    const trials = page.getByRole('region', { name: 'Trials' });
    expect(await trials.locator('dt:text-is("Trial") + dd').textContent()).toBe('running');
    expect(await trials.locator('dt:text-is("Dates") + dd').textContent()).toBe('2026-06-01 → 2026-06-30');
    expect(await trials.textContent()).not.toContain('null');
    const rows = page.getByRole('table', { name: 'Trial history' }).locator('tbody tr');
    expect(await rows.locator('th').allTextContents()).toEqual(['reactivation', 'ended', 'extended', 'started']);
    expect(await rows.nth(0).locator('td').allTextContents()).toEqual(['2026-06-01 08:00:00 UTC', expect.stringMatching(/ UTC$/), '2026-06-01 → 2026-06-30 (running)', 'ultimate_trial', LOCAL_SERVICE_ARN]);
    expect(await rows.nth(1).locator('td').nth(2).textContent()).toBe('2026-04-01 → 2026-05-10');
    expect(await rows.nth(2).locator('td').nth(2).textContent()).toBe('2026-04-01 → 2026-05-15 (running)');
    expect(await rows.nth(3).locator('td').first().textContent()).toBe('2026-04-01 08:00:00 UTC');
    // No term here: nothing to correct, and no previous term.
    expect(await page.getByRole('form', { name: "Correct a term's peak" }).count()).toBe(0);
    await page.getByRole('region', { name: 'Previous term' }).getByText('No previous term').waitFor();
    await shot('namespace-trials');
  }, STEP_TIMEOUT);

  it('lists the corrections newest first with counts by reason and ISO week', async () => {
    await page.getByRole('link', { name: 'Corrections', exact: true }).click();
    const report = page.getByRole('region', { name: 'Corrections report' });
    await report.getByText('1 correction from').waitFor();
    expect(await page.locator('svg.chart rect.reason-wrong_measurement').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Corrections by reason' }).locator('tr:has-text("wrong measurement") td').textContent()).toBe('1');
    const row = page.getByRole('table', { name: 'Corrections', exact: true }).locator('tbody tr').first();
    expect((await row.locator('td').allTextContents()).slice(1)).toEqual([String(TERMS_NS), TERMS_SUB, '2025-01-10', '16 → 13', 'wrong measurement', 'Two test groups were counted in June, ticket 5120', 'local-operator']);
    await shot('corrections');
  }, STEP_TIMEOUT);

  it('signs out, forgetting the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  }, STEP_TIMEOUT);

  const signInAs = async (token: string) => {
    await page.getByLabel('Operator token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#nav').waitFor({ state: 'visible' });
    await page.goto(`${runtime.url}/admin#/errors`);
    await page.getByRole('heading', { name: 'Error log' }).waitFor();
  };

  it('shows a viewer the error log and each error, but no way to resolve one, reassociate or change a flag', async () => {
    await signInAs(runtime.tokens.viewer);
    await seen('local-viewer · viewer');
    const rows = page.getByRole('table', { name: 'Errors' }).locator('tbody tr');
    await rows.first().waitFor();
    await rows.first().getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Recent occurrences' }).or(page.getByText('Workflow')).or(page.getByText('can read this')).first().waitFor();
    await seen('changing it needs the support role');
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await page.getByLabel('Move to').count()).toBe(0);
    expect(await page.locator('#nav').getByRole('link', { name: 'Force reassociation' }).isHidden()).toBe(true);
    expect(await page.locator('#nav').getByRole('link', { name: 'Jobs' }).isHidden()).toBe(true);
    await page.goto(`${runtime.url}/admin#/flags/account_data_persistence`);
    await page.getByRole('heading', { name: 'account_data_persistence' }).waitFor();
    await seen('changing it needs the admin role');
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    await shot('viewer-flag');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }, STEP_TIMEOUT);

  it('shows support the reassociation form, but no flag form', async () => {
    await signInAs(runtime.tokens.support);
    await seen('local-support · support');
    await page.locator('#nav').getByRole('link', { name: 'Force reassociation' }).click();
    await page.getByRole('button', { name: 'Preview (dry run)' }).waitFor();
    await page.goto(`${runtime.url}/admin#/flags/account_data_persistence`);
    await page.getByRole('heading', { name: 'account_data_persistence' }).waitFor();
    await seen('changing it needs the admin role');
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }, STEP_TIMEOUT);

  it('logged no script error and no CSP violation', () => {
    expect(problems).toEqual([]);
  });
});
