/**
 * The reconciliation audit end to end on DynamoDB Local, through the local runtime: each finding
 * from a fixture of states (made through the API, plus a pointer and a membership broken behind
 * its back), findings reaching the error log once however often the audit runs, resolution of what
 * no longer holds, the sparse due indexes, a run resumed after running out of time or failing, and
 * the job route and schedule.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { publishFindings, resolveReported } from '../../shared/audit/job.js';
import { runAudit } from '../../shared/audit/run.js';
import type { AuditDeps, AuditSummary } from '../../shared/audit/run.js';
import { AuditStore } from '../../shared/audit/store.js';
import { DUE, DUE_KINDS, DUE_SHARDS } from '../../shared/lifecycle/domain/due.js';
import type { DueKind } from '../../shared/lifecycle/domain/due.js';
import type { AuditFinding } from '../../shared/platform/failure-events.js';
import { logger } from '../../shared/platform/log.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
import { ErrorStore } from '../../shared/error-log/store.js';
import { client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

process.env.FLAGS_CACHE_TTL_SECONDS = '0';

let runtime: Runtime;
let api: Client;
let operator: Client;

const AS_OF = '2021-06-01';
const NEXT_DAY = '2021-06-02';
const today = () => new Date().toISOString().slice(0, 10);
const at = (day: string) => `${day}T10:00:00Z`;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  delete process.env.SLACK_WEBHOOK_URL;
  runtime = await startTestRuntime();
  api = client(runtime, 'service');
  operator = client(runtime, 'operator');
  await fixture();
});

afterAll(async () => {
  await runtime?.stop();
});

async function ok(res: Promise<{ status: number; body: any }>) {
  const out = await res;
  expect([200, 201], JSON.stringify(out.body)).toContain(out.status);
  return out.body;
}

const create = (subscriptionId: string, namespaceId: number, term: { startDate: string; endDate: string; autoRenew: boolean; nextReconciliationDate?: string }) =>
  ok(api.call('POST', '/v1/subscriptions', { eventId: eventId('create'), occurredAt: at(term.startDate), subscriptionId, namespaceId, planCode: 'premium', seats: 10, ...term }));
const usage = (namespaceId: number, seatsInUse: number, day: string) =>
  ok(api.call('PUT', `/v1/namespaces/${namespaceId}/seat-usage`, { eventId: eventId('usage'), occurredAt: at(day), seatsInUse, measuredAt: at(day) }));
const trial = (namespaceId: number, trialStartsOn: string, trialEndsOn: string) =>
  ok(api.call('POST', `/v1/namespaces/${namespaceId}/trials`, { eventId: eventId('trial'), occurredAt: at(trialStartsOn), planCode: 'ultimate_trial', trialStartsOn, trialEndsOn }));
const setAccount = (customerId: string, zuoraAccountId: string, occurredAt: string) =>
  ok(api.call('PUT', `/v1/customers/${customerId}/billing-account`, { eventId: eventId('ba'), occurredAt, zuoraAccountId }));
const pointer = (subscriptionId: string, namespaceId: number) =>
  ddb().send(
    new PutCommand({
      TableName: runtime.tables.state,
      Item: { pk: `SUB#${subscriptionId}`, sk: 'SUB', subscriptionId, namespaceId, associatedAt: new Date().toISOString(), changedOn: today() },
    }),
  );

/**
 * One namespace per finding, and some that owe nothing:
 *   8101 AU-R1  auto-renewing term ended 2021-05-20, not renewed            renewal_not_processed
 *   8102 AU-E1  term ended 2021-05-25, not auto-renewing, still active      expiry_not_processed
 *   8103 AU-C1  4 seats owed, reconciliation date 2021-05-15 passed         reconciliation_not_processed
 *   8104        trial ended 2021-05-30, still in it                         trial_not_ended
 *   8105 AU-OK  term until 2032, reconciliation passed but nothing owed     —
 *   8106        trial until 2021-07-01                                      —
 *   8107 AU-B1  its pointer (rewritten behind the service's back) names 8199 broken_association
 *   8108        seat usage only: no subscription                            —
 *   (8110 AU-P1, added by its own test: a previous term owing past its reconciliation date)
 *   cust-drift  billing account moved while account_data_persistence was off billing_account_drift
 */
async function fixture() {
  await create('AU-R1', 8101, { startDate: '2020-05-20', endDate: '2021-05-20', autoRenew: true });
  await create('AU-E1', 8102, { startDate: '2020-05-25', endDate: '2021-05-25', autoRenew: false });
  await create('AU-C1', 8103, { startDate: '2021-01-01', endDate: '2022-01-01', autoRenew: true, nextReconciliationDate: '2021-05-15' });
  await usage(8103, 14, '2021-02-01');
  await trial(8104, '2021-05-01', '2021-05-30');
  await create('AU-OK', 8105, { startDate: '2021-01-01', endDate: '2022-01-01', autoRenew: true, nextReconciliationDate: '2021-05-15' });
  await usage(8105, 5, '2021-02-01');
  await trial(8106, '2021-06-01', '2021-07-01');
  await create('AU-B1', 8107, { startDate: '2021-01-01', endDate: '2022-01-01', autoRenew: true });
  await pointer('AU-B1', 8199);
  await usage(8108, 3, '2021-02-01');
  await ok(operator.call('PUT', '/v1/flags/account_data_persistence', { actors: ['cust-drift'] }));
  await setAccount('cust-drift', 'Z-1', '2021-01-01T00:00:00Z');
  const flag = await ok(operator.call('GET', '/v1/flags/account_data_persistence'));
  await ok(operator.call('PUT', '/v1/flags/account_data_persistence', { actors: [], expectedVersion: flag.version }));
  await setAccount('cust-drift', 'Z-2', '2021-01-02T00:00:00Z');
}

const EXPECTED: Record<string, string> = {
  renewal_not_processed: 'subscription:AU-R1',
  expiry_not_processed: 'subscription:AU-E1',
  reconciliation_not_processed: 'subscription:AU-C1:term:2021-01-01',
  trial_not_ended: 'namespace:8104',
  broken_association: 'subscription:AU-B1',
  billing_account_drift: 'customer:cust-drift',
};

async function runJob(asOf: string): Promise<AuditSummary> {
  const body = (await ok(operator.call('POST', '/v1/jobs/reconciliation-audit/runs', { asOf }))) as AuditSummary;
  // The findings reach the error log through the bus, asynchronously.
  await runtime.bus.drain();
  return body;
}

interface RecordView {
  id: string;
  code: string;
  subject: string;
  message: string;
  status: string;
  source: string;
  occurrences: number;
  notes: string | null;
  payload: Record<string, unknown>;
  changes: Array<{ actor: string; field: string; from: string | null; to: string | null; reason?: string }>;
}

async function auditRecords(): Promise<RecordView[]> {
  const list = await ok(operator.call('GET', '/v1/errors?limit=100'));
  return (list.items as RecordView[]).filter((r) => r.source === 'audit');
}

const recordOf = async (code: string) => (await auditRecords()).find((r) => r.code === code && r.subject === EXPECTED[code])!;

/** Every namespace in the index of `kind` due before `before` (every shard). */
async function dueIndex(kind: DueKind, before = '9999-12-31'): Promise<string[]> {
  const found: string[] = [];
  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    const out = await ddb().send(
      new QueryCommand({
        TableName: runtime.tables.state,
        IndexName: DUE[kind].index,
        KeyConditionExpression: 'dueShard = :shard AND #due < :before',
        ExpressionAttributeNames: { '#due': DUE[kind].attribute },
        ExpressionAttributeValues: { ':shard': shard, ':before': before },
      }),
    );
    found.push(...(out.Items ?? []).map((i) => String(i.pk)));
  }
  return found.sort();
}

const stateItem = async (namespaceId: number) =>
  (await ddb().send(new GetCommand({ TableName: runtime.tables.state, Key: { pk: `NS#${namespaceId}`, sk: 'STATE' } }))).Item!;

describe('Reconciliation audit', () => {
  it('reports each finding of the fixture once, to the error log', async () => {
    const summary = await runJob(AS_OF);
    expect(summary).toMatchObject({
      job: 'reconciliation-audit',
      asOf: AS_OF,
      status: 'completed',
      pass: 1,
      findings: Object.fromEntries(Object.keys(EXPECTED).map((code) => [code, 1])),
      total: 6,
      new: 6,
      resolved: 0,
      changedWindow: { through: today() },
    });
    // Due: 8101 (renewal), 8102 (expiry), 8103 (reconciliation), 8104 (trial) — only what is due, not every state.
    expect(summary.examined).toMatchObject({ due: 4, rechecked: 0 });
    expect((summary.examined as { changed: number }).changed).toBeGreaterThanOrEqual(10);
    expect((summary.capacity as { readUnits: number }).readUnits).toBeGreaterThan(0);

    const records = await auditRecords();
    expect(records.map((r) => [r.code, r.subject]).sort()).toEqual(Object.entries(EXPECTED).sort());
    for (const record of records) {
      expect(record).toMatchObject({ status: 'open', occurrences: 1, payload: { asOf: AS_OF } });
    }
    const renewal = records.find((r) => r.code === 'renewal_not_processed')!;
    expect(renewal.payload).toMatchObject({ namespaceId: 8101, subscriptionId: 'AU-R1', dueOn: '2021-05-20', daysOverdue: 12 });
    const broken = records.find((r) => r.code === 'broken_association')!;
    expect(broken.payload).toMatchObject({ subscriptionId: 'AU-B1', pointerNamespaceId: 8199, holderNamespaceIds: [8107] });
    const drift = records.find((r) => r.code === 'billing_account_drift')!;
    expect(drift.payload).toMatchObject({ customerId: 'cust-drift', zuoraAccountId: 'Z-2', membershipZuoraAccountId: 'Z-1', drift: 'membership_elsewhere' });
  });

  it('adds no duplicate record when run again: the same records count another occurrence', async () => {
    const summary = await runJob(AS_OF);
    expect(summary).toMatchObject({ status: 'completed', pass: 2, total: 6, new: 0, resolved: 0 });
    const records = await auditRecords();
    expect(records).toHaveLength(6);
    for (const record of records) expect(record).toMatchObject({ status: 'open', occurrences: 2 });
  });

  it('keeps only due items in the sparse indexes: a renewed item leaves the range, an expired one every index', async () => {
    expect(await dueIndex('renewal', AS_OF)).toEqual(['NS#8101']);
    expect(await dueIndex('renewal')).toEqual(['NS#8101', 'NS#8103', 'NS#8105', 'NS#8107']);
    expect(await dueIndex('expiry')).toEqual(['NS#8102']);
    expect(await dueIndex('reconciliation')).toEqual(['NS#8103']);
    expect(await dueIndex('trialEnd')).toEqual(['NS#8104', 'NS#8106']);
    // Nothing pending: no due attribute at all.
    const idle = await stateItem(8108);
    for (const kind of DUE_KINDS) expect(idle[DUE[kind].attribute]).toBeUndefined();
    expect(idle.dueShard).toBeUndefined();

    await ok(api.call('POST', '/v1/subscriptions/AU-R1/renewals', { eventId: eventId('renew'), occurredAt: at('2021-05-20'), startDate: '2021-05-20', endDate: '2022-05-20' }));
    expect(await dueIndex('renewal', AS_OF)).toEqual([]);
    expect((await stateItem(8101)).renewalDue).toBe('2022-05-20');

    await ok(api.call('POST', '/v1/subscriptions/AU-E1/expiry', { eventId: eventId('expire'), occurredAt: at('2021-05-25'), expiredOn: '2021-05-25' }));
    expect(await dueIndex('expiry')).toEqual([]);
    const expired = await stateItem(8102);
    expect(Object.keys(expired).filter((k) => k.endsWith('Due') || k === 'dueShard')).toEqual([]);
  });

  it('resolves, with a note and along the workflow, what no longer holds; leaves what still does', async () => {
    // Fix the association; and an engineer was already working on the trial.
    await pointer('AU-B1', 8107);
    const trialRecord = await recordOf('trial_not_ended');
    await ok(operator.call('PATCH', `/v1/errors/${trialRecord.id}`, { status: 'needs_attention', notes: 'Portal lost the trial-ended event' }));
    await ok(api.call('POST', '/v1/namespaces/8104/trials/end', { eventId: eventId('end'), occurredAt: at('2021-05-30'), endedOn: '2021-05-30' }));

    const summary = await runJob(NEXT_DAY);
    expect(summary).toMatchObject({
      status: 'completed',
      findings: { renewal_not_processed: 0, expiry_not_processed: 0, trial_not_ended: 0, broken_association: 0, reconciliation_not_processed: 1, billing_account_drift: 1 },
      new: 0,
      resolved: 4,
    });

    const records = await auditRecords();
    const byCode = Object.fromEntries(records.map((r) => [r.code, r]));
    for (const code of ['renewal_not_processed', 'expiry_not_processed', 'trial_not_ended', 'broken_association']) {
      expect(byCode[code]!.status, code).toBe('resolved');
      expect(byCode[code]!.notes).toContain(`Resolved by the reconciliation audit of ${NEXT_DAY}: ${EXPECTED[code]}`);
      expect(byCode[code]!.changes.at(-1)).toMatchObject({ actor: 'audit', field: 'notes' });
    }
    expect(byCode.reconciliation_not_processed!.status).toBe('open');
    expect(byCode.billing_account_drift!.status).toBe('open');
    // needs_attention → in_progress → resolved, each move a legal one, the engineer's notes kept.
    const trialChanges = byCode.trial_not_ended!.changes.filter((c) => c.field === 'status' && c.actor === 'audit');
    expect(trialChanges.map((c) => [c.from, c.to])).toEqual([['needs_attention', 'in_progress'], ['in_progress', 'resolved']]);
    expect(trialChanges[0]!.reason).toContain('Resolved by the reconciliation audit');
    expect(byCode.trial_not_ended!.notes).toMatch(/^Portal lost the trial-ended event\n\nResolved by/);

    // Running again resolves nothing more: resolution is idempotent.
    expect(await runJob(NEXT_DAY)).toMatchObject({ resolved: 0, total: 2 });
  });

  it('re-checks an open finding by key when its records did not change since the last run', async () => {
    // The customer's change falls before the watermark: only the re-check sees it, and it still holds.
    await ddb().send(new UpdateCommand({ TableName: runtime.tables.state, Key: { pk: 'CUST#cust-drift', sk: 'CUSTOMER' }, UpdateExpression: 'SET changedOn = :old', ExpressionAttributeValues: { ':old': '2020-01-01' } }));
    const summary = await runJob('2021-06-03');
    expect(summary).toMatchObject({ findings: { billing_account_drift: 1, reconciliation_not_processed: 1 }, stillOpen: 1, resolved: 0, examined: { rechecked: 1 } });
    expect((await recordOf('billing_account_drift')).status).toBe('open');
    // Fixed behind the audit's back (the membership now where the customer bills): resolved by the re-check.
    await ddb().send(new UpdateCommand({ TableName: runtime.tables.state, Key: { pk: 'CUST#cust-drift', sk: 'CUSTOMER' }, UpdateExpression: 'SET membershipZuoraAccountId = :z', ExpressionAttributeValues: { ':z': 'Z-2' } }));
    await ddb().send(new PutCommand({ TableName: runtime.tables.state, Item: { pk: 'BA#Z-2', sk: 'MEMBER#cust-drift', customerId: 'cust-drift', zuoraAccountId: 'Z-2' } }));
    expect(await runJob('2021-06-03')).toMatchObject({ findings: { billing_account_drift: 0 }, resolved: 1 });
    expect((await recordOf('billing_account_drift')).status).toBe('resolved');
  });

  it('follows a reassociation: the source leaves the due indexes, the target and the pointer carry the change', async () => {
    await ok(operator.call('POST', '/v1/subscriptions/AU-OK/reassociations', { eventId: eventId('ra'), targetNamespaceId: 8109, reason: 'broken_association', note: 'Moved to the right group, ticket 12' }));
    const source = await stateItem(8105);
    expect(source).toMatchObject({ subscriptionId: null, changedOn: today() });
    expect(Object.keys(source).filter((k) => k.endsWith('Due') || k === 'dueShard')).toEqual([]);
    expect(await stateItem(8109)).toMatchObject({ subscriptionId: 'AU-OK', renewalDue: '2022-01-01', dueShard: 8109 % DUE_SHARDS, changedOn: today() });
    const moved = await ddb().send(new GetCommand({ TableName: runtime.tables.state, Key: { pk: 'SUB#AU-OK', sk: 'SUB' } }));
    expect(moved.Item).toMatchObject({ namespaceId: 8109, changedOn: today() });
    expect(await runJob('2021-06-04')).toMatchObject({ findings: { broken_association: 0 }, new: 0 });
  });

  it("flags a previous term whose reconciliation date passed with seats owed, and resolves it when the reconciliation arrives", async () => {
    // 8110 AU-P1: its first term (10 seats, peak 15, to be reconciled by 2021-02-15) ended at a
    // renewal; the new term owes too, but is reconciled only on 2021-09-01.
    await create('AU-P1', 8110, { startDate: '2020-03-01', endDate: '2021-03-01', autoRenew: true, nextReconciliationDate: '2021-02-15' });
    await usage(8110, 15, '2020-06-01');
    const renewed = await ok(
      api.call('POST', '/v1/subscriptions/AU-P1/renewals', { eventId: eventId('renew'), occurredAt: at('2021-03-01'), startDate: '2021-03-01', endDate: '2022-03-01', nextReconciliationDate: '2021-09-01' }),
    );
    expect(renewed).toMatchObject({ seatsOwed: 5, nextReconciliationDate: '2021-09-01', previousTerm: { startDate: '2020-03-01', seatsBilled: 0, seatsOwed: 5, nextReconciliationDate: '2021-02-15' } });
    // One attribute for both terms: the earliest date, so the index finds the item when either is due.
    expect(await stateItem(8110)).toMatchObject({ reconciliationDue: '2021-02-15', renewalDue: '2022-03-01' });
    expect(await dueIndex('reconciliation', '2021-06-05')).toEqual(['NS#8103', 'NS#8110']);
    // A record stored before findings named the term: re-checked by key like the others.
    const legacySubject = 'subscription:AU-P1';
    await publishFindings([{ code: 'reconciliation_not_processed', subject: legacySubject, message: 'AU-P1 owes 5 seats', payload: { namespaceId: 8110, subscriptionId: 'AU-P1' }, asOf: '2021-06-04' }]);
    await runtime.bus.drain();

    const termSubject = 'subscription:AU-P1:term:2020-03-01';
    const flagged = await runJob('2021-06-05');
    // AU-C1's current term and AU-P1's previous term; the old record still holds (AU-P1 still owes).
    expect(flagged).toMatchObject({ status: 'completed', new: 1, resolved: 0, stillOpen: 1, findings: { reconciliation_not_processed: 3 } });
    const term = (await auditRecords()).find((r) => r.subject === termSubject)!;
    expect(term).toMatchObject({
      code: 'reconciliation_not_processed',
      status: 'open',
      payload: { namespaceId: 8110, subscriptionId: 'AU-P1', term: 'previous', termStartDate: '2020-03-01', seatsOwed: 5, seatsBilled: 0, dueOn: '2021-02-15', asOf: '2021-06-05' },
    });
    expect(term.message).toContain('previous term of subscription AU-P1 on namespace 8110 (2020-03-01 to 2021-03-01) owes 5 seat(s)');
    expect(term.message).toContain('POST /v1/subscriptions/AU-P1/reconciliations with termStartDate 2020-03-01');
    expect((await auditRecords()).find((r) => r.subject === legacySubject)).toMatchObject({ status: 'open' });

    const reconciled = await ok(
      api.call('POST', '/v1/subscriptions/AU-P1/reconciliations', { eventId: eventId('reconcile'), occurredAt: at('2021-06-05'), termStartDate: '2020-03-01', seatsBilled: 5 }),
    );
    expect(reconciled).toMatchObject({ seatsOwed: 5, previousTerm: { seatsBilled: 5, seatsOwed: 0 } });
    // The current term still owes: the item moves to its date, out of the range before asOf.
    expect((await stateItem(8110)).reconciliationDue).toBe('2021-09-01');
    expect(await dueIndex('reconciliation', '2021-06-06')).toEqual(['NS#8103']);

    const summary = await runJob('2021-06-06');
    expect(summary).toMatchObject({ status: 'completed', new: 0, resolved: 2, findings: { reconciliation_not_processed: 1 } });
    const records = await auditRecords();
    for (const subject of [termSubject, legacySubject]) {
      const record = records.find((r) => r.subject === subject)!;
      expect(record.status, subject).toBe('resolved');
      expect(record.notes).toContain(`Resolved by the reconciliation audit of 2021-06-06: ${subject}: nothing is owed past a reconciliation date`);
    }
    expect(records.find((r) => r.subject === EXPECTED.reconciliation_not_processed)).toMatchObject({ status: 'open' });
  });
});

describe('Reconciliation audit runs', () => {
  const published: AuditFinding[] = [];
  const deps = (publish: AuditDeps['publish'] = async (f) => void published.push(...f)): AuditDeps => ({
    store: new AuditStore(),
    publish,
    resolve: resolveReported(new ErrorStore()),
    metrics: { lagHours: () => undefined, completed: () => undefined, findings: () => undefined },
    now: () => new Date(),
    log: logger,
  });
  const options = (asOf: string, budgetMs: number) => ({ asOf, trigger: 'manual' as const, actor: 'test', budgetMs, leaseMs: 60_000 });

  it('resumes a run that used up its time budget where it stopped, reporting each finding once', async () => {
    published.length = 0;
    const answers: AuditSummary[] = [];
    do answers.push(await runAudit(options('2021-06-10', 0), deps()));
    while (answers.at(-1)!.status === 'partial' && answers.length < 100);
    expect(answers.length).toBeGreaterThan(3);
    expect(answers.slice(0, -1).every((a) => a.status === 'partial' && typeof a.phase === 'string')).toBe(true);
    const last = answers.at(-1)!;
    expect(last).toMatchObject({ status: 'completed', findings: { reconciliation_not_processed: 1 }, total: 1, published: 1 });
    expect(published.map((f) => `${f.code} ${f.subject}`)).toEqual(['reconciliation_not_processed subscription:AU-C1:term:2021-01-01']);
    const run = await new AuditStore().run('2021-06-10');
    expect(run).toMatchObject({ status: 'completed', pass: 1, invocations: answers.length });
    expect(run!.completedAt).toEqual(expect.any(String));
  });

  it('leaves a run that failed part-way at its checkpoint; the next run finishes the work', async () => {
    const failing = deps(async () => {
      throw new Error('the bus is unreachable');
    });
    await expect(runAudit(options('2021-06-11', 60_000), failing)).rejects.toThrow('the bus is unreachable');
    const store = new AuditStore();
    const stopped = await store.run('2021-06-11');
    // The reconciliation finding (namespace 8103, shard 3) was the first to publish: the run stopped there.
    expect(stopped).toMatchObject({ status: 'running', phase: 'reconciliation', cursor: JSON.stringify({ shard: 3 }) });
    expect(stopped!.leaseUntil <= new Date().toISOString()).toBe(true);

    published.length = 0;
    const summary = await runAudit(options('2021-06-11', 60_000), deps());
    expect(summary).toMatchObject({ status: 'completed', findings: { reconciliation_not_processed: 1 } });
    expect(published.map((f) => f.code)).toEqual(['reconciliation_not_processed']);
    expect(await store.run('2021-06-11')).toMatchObject({ status: 'completed', invocations: 2 });
  });

  it('answers 409 audit_in_progress while another invocation holds the run', async () => {
    await ddb().send(
      new PutCommand({
        TableName: runtime.tables.state,
        Item: { pk: 'AUDIT', sk: 'RUN#2021-07-01', asOf: '2021-07-01', runId: 'other', pass: 1, status: 'running', startedAt: new Date().toISOString(), leaseUntil: '2999-01-01T00:00:00.000Z', window: { from: today(), through: today() }, phase: 'changed', invocations: 1 },
      }),
    );
    const res = await operator.call('POST', '/v1/jobs/reconciliation-audit/runs', { asOf: '2021-07-01' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'audit_in_progress', details: { runId: 'other', phase: 'changed' } });
  });

  it('is for operators with a valid date only', async () => {
    expect((await client(runtime, 'service').call('POST', '/v1/jobs/reconciliation-audit/runs', { asOf: AS_OF })).status).toBe(403);
    const bad = await operator.call('POST', '/v1/jobs/reconciliation-audit/runs', { asOf: '2021-02-30' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });

  it('runs on its schedule at 05:00 UTC for that day, once; records the last completed run', async () => {
    expect(runtime.scheduler.schedules).toEqual(
      expect.arrayContaining([{ function: 'reconciliation-audit', cron: 'cron(0 5 * * ? *)', next: expect.stringMatching(/T05:00:00.000Z$/) }]),
    );
    const first = await runtime.scheduler.runNow('reconciliation-audit', new Date('2021-06-20T05:00:00Z'));
    expect(first).toMatchObject({ ok: true, result: { asOf: '2021-06-20', status: 'completed' } });
    // A second delivery of the same schedule repeats nothing.
    const again = await runtime.scheduler.runNow('reconciliation-audit', new Date('2021-06-20T05:00:00Z'));
    expect(again).toMatchObject({ ok: true, result: { asOf: '2021-06-20', status: 'already_completed', runId: (first.result as { runId: string }).runId } });
    const latest = await new AuditStore().latest();
    expect(latest).toMatchObject({ watermark: today() });
    expect(Date.now() - Date.parse(latest!.completedAt)).toBeLessThan(60_000);
  });
});

describe('Publishing findings', () => {
  it('retries the entries the bus did not take, and fails naming how many were lost', async () => {
    const finding: AuditFinding = { code: 'trial_not_ended', subject: 'namespace:1', message: 'trial ended', payload: {}, asOf: AS_OF };
    let calls = 0;
    await publishFindings([finding, { ...finding, subject: 'namespace:2' }], async (events) => (++calls === 1 ? [events[1]!.id] : []));
    expect(calls).toBe(2);
    await expect(publishFindings([finding], async (events) => events.map((e) => e.id))).rejects.toThrow(/1 of 1 audit finding\(s\) could not be put on the bus/);
  });
});
