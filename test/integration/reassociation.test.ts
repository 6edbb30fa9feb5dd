/**
 * Force reassociation end to end, on DynamoDB Local through the local runtime: the one transaction,
 * the dry run, every guard rail, idempotency, a renewal racing the move, the outbox events for both
 * namespaces, the operator-only auth and the report (newest first, paginated, counts).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../local/dynamodb.js';
import type { Runtime } from '../../local/runtime.js';
import { planReassociation } from '../../shared/reassociation/domain.js';
import { isoWeek } from '../../shared/platform/dates.js';
import type { ReassociationCommand } from '../../shared/reassociation/domain.js';
import { logKey } from '../../shared/lifecycle/domain/log.js';
import { applyRenewed, publicState } from '../../shared/lifecycle/domain/rules.js';
import type { FoldState, NamespaceState, SubscriptionRenewed } from '../../shared/lifecycle/domain/types.js';
import { readState } from '../../shared/lifecycle/store.js';
import { reassociationKey } from '../../shared/reassociation/store.js';
import type { ReassociationRecord } from '../../shared/reassociation/store.js';
import { client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';
import { eventIdsOfAllPages, seedReportRecords } from './reports.js';

let runtime: Runtime;
let api: Client;
let ops: Client;
let nextNamespace = 5000;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime, 'service');
  ops = client(runtime, 'operator');
});

afterAll(async () => {
  await runtime?.stop();
});

const OPERATOR = 'local-operator';
const NOTE = 'Reseller provisioned the subscription onto its own group';
const at = (day: string) => `${day}T10:00:00Z`;

/** A paid term on `namespaceId`: 10 seats; with `peak`, one measurement of that many seats then one of `inUse`. */
async function paidNamespace(namespaceId: number, subscriptionId: string, options: { peak?: number; inUse?: number; seats?: number } = {}) {
  const created = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: at('2026-01-01'), subscriptionId, namespaceId, planCode: 'premium',
    seats: options.seats ?? 10, startDate: '2026-01-01', endDate: '2027-01-01', autoRenew: true,
  });
  expect(created.status).toBe(200);
  if (options.peak !== undefined) await usage(namespaceId, options.peak, at('2026-03-01'));
  if (options.inUse !== undefined) await usage(namespaceId, options.inUse, at('2026-04-01'));
  return (await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body as NamespaceState;
}

async function usage(namespaceId: number, seatsInUse: number, measuredAt: string) {
  const res = await api.call('PUT', `/v1/namespaces/${namespaceId}/seat-usage`, { eventId: eventId('usage'), occurredAt: measuredAt, seatsInUse, measuredAt });
  expect(res.status).toBe(200);
  return res.body as NamespaceState;
}

async function stateOf(namespaceId: number): Promise<NamespaceState | null> {
  const res = await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`);
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return res.body as NamespaceState;
}

async function historyOf(namespaceId: number, subscriptionId: string) {
  // A namespace's own history is read through the subscription it holds (the only history route).
  const res = await api.call('GET', `/v1/subscriptions/${subscriptionId}/history?limit=100`);
  expect(res.status).toBe(200);
  expect(res.body.namespaceId).toBe(namespaceId);
  return res.body.items as Array<Record<string, any>>;
}

const move = (subscriptionId: string, body: Record<string, unknown>, client = ops) =>
  client.call('POST', `/v1/subscriptions/${subscriptionId}/reassociations`, { eventId: eventId('reassoc'), reason: 'reseller_provisioning', note: NOTE, ...body });

const reportOf = async (query = '') => {
  const res = await ops.call('GET', `/v1/reassociations${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

const withoutClock = (state: NamespaceState | null) => (state ? { ...state, updatedAt: null } : null);
/** JSON with sorted keys: stored maps come back from DynamoDB in any key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

describe('POST /v1/subscriptions/{id}/reassociations', () => {
  it('dry run answers before/after/warnings and writes nothing; the real call moves the term whole in one transaction', async () => {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `re-${source}`;
    const sourceBefore = await paidNamespace(source, sub, { peak: 14, inUse: 6 });
    expect(sourceBefore).toMatchObject({ maxSeatsUsed: 14, seatsOwed: 4, seatsInUse: 6, version: 3 });
    const targetBefore = await usage(target, 2, at('2026-04-02')); // a measured namespace without a subscription
    const reportBefore = await reportOf();
    const id = eventId('reassoc');
    const body = { eventId: id, targetNamespaceId: target, reason: 'broken_association', note: NOTE };

    const dry = await ops.call('POST', `/v1/subscriptions/${sub}/reassociations`, { ...body, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.headers.get('dry-run')).toBe('true');
    expect(Object.keys(dry.body).sort()).toEqual(['after', 'before', 'dryRun', 'warnings']);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.before).toEqual({ source: sourceBefore, target: targetBefore });
    expect(dry.body.after.target).toMatchObject({
      namespaceId: target, subscriptionId: sub, planCode: 'premium', seats: 10, maxSeatsUsed: 14,
      maxSeatsUsedChangedAt: sourceBefore.maxSeatsUsedChangedAt, seatsOwed: 4, seatsInUse: 2, status: 'active', version: targetBefore.version + 1,
    });
    expect(dry.body.after.source).toMatchObject({ namespaceId: source, subscriptionId: null, planCode: 'free', status: 'none', seatsOwed: 0, seatsInUse: 6, version: 4 });

    // Nothing written: both states, the pointer, the history, the report, the idempotency record.
    expect(await stateOf(source)).toEqual(sourceBefore);
    expect(await stateOf(target)).toEqual(targetBefore);
    expect((await api.call('GET', `/v1/subscriptions/${sub}`)).body.namespaceId).toBe(source);
    expect(await historyOf(source, sub)).toHaveLength(3);
    expect((await reportOf()).counts.total).toBe(reportBefore.counts.total);

    // The same eventId for real is not a replay of the dry run.
    const real = await ops.call('POST', `/v1/subscriptions/${sub}/reassociations`, body);
    expect(real.status).toBe(200);
    expect(real.headers.get('idempotent-replayed')).toBe('false');
    expect(real.body.dryRun).toBe(false);
    expect(withoutClock(real.body.after.target)).toEqual(withoutClock(dry.body.after.target));
    expect(withoutClock(real.body.after.source)).toEqual(withoutClock(dry.body.after.source));
    expect(real.body.warnings).toEqual(dry.body.warnings);

    expect(await stateOf(target)).toEqual(real.body.after.target);
    expect(await stateOf(source)).toEqual(real.body.after.source);
    const pointer = await api.call('GET', `/v1/subscriptions/${sub}`);
    expect(pointer.body).toMatchObject({ namespaceId: target, associatedAt: real.body.after.target.updatedAt });

    // A history entry on both namespaces, with the operator's identity and the whole state before and after.
    const targetHistory = await historyOf(target, sub);
    expect(targetHistory[0]).toMatchObject({ eventId: id, type: 'reassociated', actor: OPERATOR, before: targetBefore, after: real.body.after.target });
    const report = await reportOf();
    const record = report.items.find((r: ReassociationRecord) => r.eventId === id) as ReassociationRecord;
    expect(record).toMatchObject({
      subscriptionId: sub, sourceNamespaceId: source, targetNamespaceId: target, reason: 'broken_association', note: NOTE,
      actor: OPERATOR, targetWasInTrial: false, displacedSubscriptionId: null, sourceVersion: 4, targetVersion: targetBefore.version + 1,
    });
    expect(report.counts.byReason.broken_association).toBe(reportBefore.counts.byReason.broken_association + 1);

    // The same eventId again changes nothing and answers the same; with another body it is a conflict.
    const again = await ops.call('POST', `/v1/subscriptions/${sub}/reassociations`, body);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(real.body);
    expect((await stateOf(target))!.version).toBe(real.body.after.target.version);
    const other = await ops.call('POST', `/v1/subscriptions/${sub}/reassociations`, { ...body, note: `${NOTE}, again` });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');

    // Lifecycle commands follow the subscription to its new namespace.
    const renewed = await api.call('POST', `/v1/subscriptions/${sub}/renewals`, {
      eventId: eventId('renew'), occurredAt: at('2026-06-01'), startDate: '2027-01-01', endDate: '2028-01-01',
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ namespaceId: target, maxSeatsUsed: 2, startDate: '2027-01-01' });

    // Both namespaces publish Namespace Subscription Changed through the outbox.
    await runtime.settle();
    const published = runtime.bus.recent.filter((e) => e['detail-type'] === 'Namespace Subscription Changed' && (e.detail as { eventId: string }).eventId === id);
    expect(published.map((e) => (e.detail as { namespaceId: number }).namespaceId).sort()).toEqual([source, target].sort());
    for (const event of published) {
      expect(event.source).toBe('provisioning-service');
      expect(event.detail).toMatchObject({ type: 'reassociated', actor: OPERATOR, subscriptionId: sub });
    }
    const onSource = published.find((e) => (e.detail as { namespaceId: number }).namespaceId === source)!;
    expect(onSource.detail).toMatchObject({ before: { subscriptionId: sub }, after: { subscriptionId: null } });
  });

  it('converts a target in trial (trial over, statistics kept) and records that it was in a trial', async () => {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `re-${source}`;
    await paidNamespace(source, sub, { peak: 12 });
    const trial = await api.call('POST', `/v1/namespaces/${target}/trials`, {
      eventId: eventId('trial'), occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01',
    });
    expect(trial.status).toBe(200);
    const res = await move(sub, { targetNamespaceId: target, reason: 'trial_conversion' });
    expect(res.status).toBe(200);
    // Converted at the move, as a paid term starting then converts a trial: its dates are kept.
    expect(res.body.after.target).toMatchObject({ trial: false, trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-01', planCode: 'premium', maxSeatsUsed: 12, seatsOwed: 2 });
    expect(res.body.warnings.map((w: { code: string }) => w.code)).toEqual(['trial_converted']);
    const record = (await reportOf()).items.find((r: ReassociationRecord) => r.subscriptionId === sub);
    expect(record).toMatchObject({ reason: 'trial_conversion', targetWasInTrial: true });
  });

  describe('guard rails (409, nothing written)', () => {
    it('subscription_expired', async () => {
      const source = nextNamespace++;
      const sub = `re-${source}`;
      await paidNamespace(source, sub);
      const expired = await api.call('POST', `/v1/subscriptions/${sub}/expiry`, { eventId: eventId('exp'), occurredAt: at('2026-09-01'), expiredOn: '2026-09-01' });
      expect(expired.status).toBe(200);
      const target = nextNamespace++;
      const res = await move(sub, { targetNamespaceId: target });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('subscription_expired');
      expect(await stateOf(source)).toEqual(expired.body);
      expect(await stateOf(target)).toBeNull();
    });

    it('already_associated', async () => {
      const source = nextNamespace++;
      const sub = `re-${source}`;
      const before = await paidNamespace(source, sub);
      const res = await move(sub, { targetNamespaceId: source });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('already_associated');
      expect(await stateOf(source)).toEqual(before);
    });

    it('target_has_subscription, then replacePaid replaces it in the same transaction and detaches it', async () => {
      const source = nextNamespace++;
      const target = nextNamespace++;
      const sub = `re-${source}`;
      const displaced = `re-${target}`;
      const sourceBefore = await paidNamespace(source, sub, { peak: 11 });
      const targetBefore = await paidNamespace(target, displaced, { seats: 50 });

      const refused = await move(sub, { targetNamespaceId: target });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('target_has_subscription');
      expect(refused.body.error.message).toContain(displaced);
      expect(await stateOf(source)).toEqual(sourceBefore);
      expect(await stateOf(target)).toEqual(targetBefore);

      const dry = await move(sub, { targetNamespaceId: target, replacePaid: true, dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.body.warnings.map((w: { code: string }) => w.code)).toContain('paid_subscription_replaced');
      expect((await api.call('GET', `/v1/subscriptions/${displaced}`)).body.namespaceId).toBe(target);

      const replaced = await move(sub, { targetNamespaceId: target, replacePaid: true });
      expect(replaced.status).toBe(200);
      const warning = replaced.body.warnings.find((w: { code: string }) => w.code === 'paid_subscription_replaced');
      expect(warning.message).toContain(displaced);
      expect(replaced.body.after.target).toMatchObject({ subscriptionId: sub, seats: 10, maxSeatsUsed: 11, seatsOwed: 1 });
      // The displaced subscription's pointer no longer names the target.
      expect((await api.call('GET', `/v1/subscriptions/${displaced}`)).status).toBe(404);
      const renewal = await api.call('POST', `/v1/subscriptions/${displaced}/renewals`, {
        eventId: eventId('renew'), occurredAt: at('2026-06-01'), startDate: '2027-01-01', endDate: '2028-01-01',
      });
      expect(renewal.status).toBe(404);
      const moveIt = await move(displaced, { targetNamespaceId: source });
      expect(moveIt.status).toBe(404);
      expect(moveIt.body.error.message).toContain(`replaced it on namespace ${target} with ${sub}`);
      expect(await stateOf(target)).toEqual(replaced.body.after.target);
      const record = (await reportOf()).items.find((r: ReassociationRecord) => r.subscriptionId === sub);
      expect(record).toMatchObject({ replacePaid: true, displacedSubscriptionId: displaced, displacedWasActivePaid: true });
    });

    it('unknown subscription: 404, nothing written', async () => {
      const target = nextNamespace++;
      const res = await move('never-created-1', { targetNamespaceId: target });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(await stateOf(target)).toBeNull();
    });
  });

  it('validates the request: a short note, an unknown reason, a bad target, unknown fields', async () => {
    const res = await ops.call('POST', '/v1/subscriptions/any-1/reassociations', {
      eventId: '', targetNamespaceId: 0, reason: 'because', note: 'short', extra: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['eventId', 'targetNamespaceId', 'reason', 'note', 'extra']));
  });

  it('is for operators only: a service token is 403, no token 401, on both routes', async () => {
    const source = nextNamespace++;
    const sub = `re-${source}`;
    const before = await paidNamespace(source, sub);
    const asService = await move(sub, { targetNamespaceId: nextNamespace++ }, api);
    expect(asService.status).toBe(403);
    expect(asService.body.error.code).toBe('forbidden');
    expect((await api.call('GET', '/v1/reassociations')).status).toBe(403);
    expect((await ops.call('GET', '/v1/reassociations', undefined, { token: null })).status).toBe(401);
    expect(await stateOf(source)).toEqual(before);
  });
});

describe("the target's own measurements within the moved term (issue 17)", () => {
  const codes = (res: { body: { warnings: Array<{ code: string }> } }) => res.body.warnings.map((w) => w.code);

  it("the issue's example: a target measuring 20 within a 10-seat term ends with peak 20, 10 owed; the source returns to free with its measurement; the dry run answers the same", async () => {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `re-${source}`;
    const sourceBefore = await paidNamespace(source, sub, { peak: 6 });
    expect(sourceBefore).toMatchObject({ seats: 10, maxSeatsUsed: 6, seatsOwed: 0, seatsInUse: 6 });
    await usage(target, 20, at('2026-04-02'));
    const body = { eventId: eventId('reassoc'), targetNamespaceId: target, reason: 'reseller_provisioning', note: NOTE };

    const dry = await ops.call('POST', `/v1/subscriptions/${sub}/reassociations`, { ...body, dryRun: true });
    const real = await ops.call('POST', `/v1/subscriptions/${sub}/reassociations`, body);
    expect(dry.status).toBe(200);
    expect(real.status).toBe(200);
    expect(real.body.after.target).toMatchObject({
      namespaceId: target, subscriptionId: sub, seats: 10, maxSeatsUsed: 20, maxSeatsUsedChangedAt: at('2026-04-02'), seatsOwed: 10, seatsInUse: 20, status: 'active',
    });
    expect(real.body.after.source).toMatchObject({
      namespaceId: source, subscriptionId: null, planCode: 'free', status: 'none', seatsInUse: 6, lastMeasuredAt: sourceBefore.lastMeasuredAt,
      maxSeatsUsed: 0, seatsOwed: 0, startDate: null, previousTerm: null,
    });
    expect(codes(real)).toEqual(['target_usage_above_peak']);
    expect(real.body.warnings[0].message).toContain("the term's peak becomes 20");
    expect(withoutClock(dry.body.after.target)).toEqual(withoutClock(real.body.after.target));
    expect(withoutClock(dry.body.after.source)).toEqual(withoutClock(real.body.after.source));
    expect(dry.body.warnings).toEqual(real.body.warnings);
    expect(await stateOf(target)).toEqual(real.body.after.target);
    expect(await stateOf(source)).toEqual(real.body.after.source);
  });

  it("reads the target's log: every measurement within the term counts, not those before it or on its trial days; the previous term moves too", async () => {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `re-${source}`;
    const created = await api.call('POST', '/v1/subscriptions', {
      eventId: eventId('create'), occurredAt: at('2025-01-01'), subscriptionId: sub, namespaceId: source, planCode: 'premium',
      seats: 10, startDate: '2025-01-01', endDate: '2026-01-01', autoRenew: true,
    });
    expect(created.status).toBe(200);
    await usage(source, 13, at('2025-06-01'));
    const renewed = await api.call('POST', `/v1/subscriptions/${sub}/renewals`, { eventId: eventId('renew'), occurredAt: at('2025-12-15'), startDate: '2026-01-01', endDate: '2027-01-01' });
    expect(renewed.status).toBe(200);
    await usage(source, 11, at('2026-03-01'));
    const sourceBefore = (await stateOf(source))!;
    expect(sourceBefore).toMatchObject({ maxSeatsUsed: 11, previousTerm: { startDate: '2025-01-01', maxSeatsUsed: 13, seatsOwed: 3 } });

    // The target: 25 before the term, 30 on a day of a trial it had in February, 18 after it, 3 now.
    await usage(target, 25, at('2025-12-20'));
    const trial = await api.call('POST', `/v1/namespaces/${target}/trials`, {
      eventId: eventId('trial'), occurredAt: at('2026-02-01'), planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-03-31',
    });
    expect(trial.status).toBe(200);
    await usage(target, 30, at('2026-02-10'));
    const ended = await api.call('POST', `/v1/namespaces/${target}/trials/end`, { eventId: eventId('trial-end'), occurredAt: at('2026-02-28'), endedOn: '2026-02-28' });
    expect(ended.status).toBe(200);
    await usage(target, 18, at('2026-03-10'));
    await usage(target, 3, at('2026-05-01'));

    const res = await move(sub, { targetNamespaceId: target });
    expect(res.status).toBe(200);
    expect(res.body.after.target).toMatchObject({ maxSeatsUsed: 18, maxSeatsUsedChangedAt: at('2026-03-10'), seatsOwed: 8, seatsInUse: 3, lastMeasuredAt: at('2026-05-01') });
    expect(res.body.after.target.previousTerm).toEqual(sourceBefore.previousTerm);
    expect(codes(res)).toEqual(['target_usage_above_peak']);
    expect(await stateOf(target)).toEqual(res.body.after.target);

    // After the move (its log starts again then) the term goes on as any other: a higher
    // measurement raises the peak, a lower one does not.
    expect(await usage(target, 16, new Date().toISOString())).toMatchObject({ maxSeatsUsed: 18, seatsOwed: 8 });
    expect(await usage(target, 21, new Date(Date.now() + 1).toISOString())).toMatchObject({ maxSeatsUsed: 21, seatsOwed: 11 });
  });

  it("a target whose log was pruned at an earlier move still counts the measurement its base entry carries", async () => {
    const first = nextNamespace++;
    const target = nextNamespace++;
    const source = nextNamespace++;
    // The target held X, measured 20 seats on 2026-03-01, then X moved away: its log starts again at that move.
    await paidNamespace(target, `re-${target}`, { peak: 20 });
    expect((await move(`re-${target}`, { targetNamespaceId: first })).status).toBe(200);
    await runtime.settle();
    await usage(target, 3, new Date().toISOString());
    const doc = DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const log = await doc.send(new QueryCommand({
      TableName: runtime.tables.state, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)', ExpressionAttributeValues: { ':pk': `NS#${target}`, ':log': 'LOG#' },
    }));
    doc.destroy();
    // The measurement's own entry is pruned; the base entry (no command) carries it, then today's measurement.
    expect(log.Items!.map((item) => item.command?.type ?? null)).toEqual([null, 'seatUsageReported']);
    expect(log.Items![0]!.state).toMatchObject({ seatsInUse: 20, lastMeasuredAt: at('2026-03-01') });

    await paidNamespace(source, `re-${source}`, { peak: 5 });
    const res = await move(`re-${source}`, { targetNamespaceId: target });
    expect(res.status).toBe(200);
    expect(res.body.after.target).toMatchObject({ maxSeatsUsed: 20, maxSeatsUsedChangedAt: at('2026-03-01'), seatsOwed: 10, seatsInUse: 3 });
  });

  it('a target stored before the log counts its own measurement when it falls within the term', async () => {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `re-${source}`;
    await paidNamespace(source, sub, { peak: 12 });
    // An item of the shape written before the log: no fold marks, no log entries.
    const legacy = {
      pk: `NS#${target}`, sk: 'STATE', namespaceId: target, subscriptionId: null, planCode: 'free', paidPlanCode: null, seats: 0, seatsInUse: 17,
      maxSeatsUsed: 0, maxSeatsUsedChangedAt: null, seatsOwed: 0, trial: false, trialStartsOn: null, trialEndsOn: null, startDate: null, endDate: null,
      autoRenew: false, nextReconciliationDate: null, status: 'none', lastMeasuredAt: at('2026-04-20'), version: 4, updatedAt: '2026-04-20T10:00:05Z',
    };
    const doc = DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
    await doc.send(new PutCommand({ TableName: runtime.tables.state, Item: legacy }));
    doc.destroy();

    const res = await move(sub, { targetNamespaceId: target });
    expect(res.status).toBe(200);
    expect(res.body.after.target).toMatchObject({ maxSeatsUsed: 17, maxSeatsUsedChangedAt: at('2026-04-20'), seatsOwed: 7, seatsInUse: 17, version: 5 });
    expect(await stateOf(target)).toEqual(res.body.after.target);
  });
});

describe('a renewal racing a reassociation', () => {
  const renewal = (subscriptionId: string): SubscriptionRenewed => ({
    // An early renewal (sent before its term starts: an instant after the service's clock is invalid).
    type: 'renewed', eventId: eventId('renew'), occurredAt: at('2026-06-01'), subscriptionId, startDate: '2027-01-01', endDate: '2028-01-01', seats: 5,
  });
  const renew = (command: SubscriptionRenewed) => {
    const { type: _type, subscriptionId, ...body } = command;
    return api.call('POST', `/v1/subscriptions/${subscriptionId}/renewals`, body);
  };
  const reassociation = (subscriptionId: string, targetNamespaceId: number): ReassociationCommand => ({
    eventId: eventId('reassoc'), subscriptionId, targetNamespaceId, reason: 'other', note: NOTE, replacePaid: false,
  });
  const moveBy = (command: ReassociationCommand) =>
    ops.call('POST', `/v1/subscriptions/${command.subscriptionId}/reassociations`, {
      eventId: command.eventId, targetNamespaceId: command.targetNamespaceId, reason: command.reason, note: command.note,
    });

  /** Two namespaces: a paid term with a peak of 14 (6 in use now) on the source, a namespace measuring 2 seats as the target. */
  async function setUp() {
    const source = nextNamespace++;
    const target = nextNamespace++;
    const sub = `race-${source}`;
    await paidNamespace(source, sub, { peak: 14, inUse: 6 });
    await usage(target, 2, at('2026-04-02'));
    // The states as the rules fold them (with the fold's marks), read as the service reads them.
    const source0 = (await readState(source))!.state;
    const target0 = (await readState(target))!.state;
    return { source, target, sub, source0, target0, renewCommand: renewal(sub), moveCommand: reassociation(sub, target) };
  }

  /** The final states each serial order (or one change alone) produces, from the pure rules. */
  function serialOutcomes({ source, source0, target0, renewCommand, moveCommand }: Awaited<ReturnType<typeof setUp>>) {
    const appliedAt = '2026-06-01T00:00:00.000Z';
    const renewedAlone = (state: FoldState): FoldState => {
      const result = applyRenewed(state, renewCommand, { key: logKey(renewCommand) });
      if (!result.ok) throw new Error(result.rejection.message);
      return { ...result.state, version: state.version + 1 };
    };
    const movedAlone = (sourceState: FoldState, targetState: FoldState) => {
      const decision = planReassociation({ command: moveCommand, sourceNamespaceId: source, source: sourceState, target: targetState, targetMeasurements: [], appliedAt });
      if (!decision.ok) throw new Error(decision.rejection.message);
      return decision.plan.after;
    };
    const renewThenMove = movedAlone(renewedAlone(source0), target0);
    const moveThenRenew = movedAlone(source0, target0);
    return {
      renewThenMove,
      moveThenRenew: { source: moveThenRenew.source, target: renewedAlone(moveThenRenew.target) },
      renewOnly: { source: renewedAlone(source0), target: target0 },
      moveOnly: moveThenRenew,
    };
  }

  /** Which serial outcome the stored states equal (updatedAt aside); exactly one must match. */
  async function outcomeOf(setup: Awaited<ReturnType<typeof setUp>>) {
    const final = { source: withoutClock(await stateOf(setup.source)), target: withoutClock(await stateOf(setup.target)) };
    const matches = Object.entries(serialOutcomes(setup))
      .filter(([, expected]) => canonical({ source: withoutClock(publicState(expected.source)), target: withoutClock(publicState(expected.target)) }) === canonical(final))
      .map(([name]) => name);
    expect(matches, `final state ${JSON.stringify(final)}`).toHaveLength(1);
    return matches[0]!;
  }

  /**
   * Runs `hook` once, just before the first TransactWriteItems matching `match` reaches DynamoDB
   * (held at the runtime's IAM gate, where every function's calls pass): the other request then
   * commits between this one's read and its write — a lost race, every time.
   */
  function beforeFirstTransaction(match: (input: string) => boolean, hook: () => Promise<unknown>) {
    const transactions: string[] = [];
    const remove = runtime.iam.intercept(async (call) => {
      if (call.operation !== 'TransactWriteItems') return;
      const input = JSON.stringify(call.request);
      if (!match(input)) return;
      transactions.push(input);
      if (transactions.length === 1) await hook();
    });
    return { transactions, remove };
  }

  it('the renewal commits between the reassociation\'s read and write: the move retries from the read and carries the renewed term', async () => {
    const setup = await setUp();
    let renewed: Awaited<ReturnType<typeof renew>> | undefined;
    const race = beforeFirstTransaction(
      (input) => input.includes('REASSOC#') && input.includes(setup.sub),
      async () => (renewed = await renew(setup.renewCommand)),
    );
    try {
      const moved = await moveBy(setup.moveCommand);
      expect(renewed?.status).toBe(200);
      expect(moved.status).toBe(200);
      expect(race.transactions).toHaveLength(2); // the first lost on the source's version, the retry won
      expect(moved.body.before.source).toMatchObject({ startDate: '2027-01-01', seats: 5, version: setup.source0.version + 1 });
    } finally {
      race.remove();
    }
    expect(await outcomeOf(setup)).toBe('renewThenMove');
  });

  it('the reassociation commits between the renewal\'s read and write: the renewal retries and follows the subscription to the target', async () => {
    const setup = await setUp();
    let moved: Awaited<ReturnType<typeof moveBy>> | undefined;
    const race = beforeFirstTransaction(
      (input) => input.includes('"renewed"') && input.includes(setup.sub),
      async () => (moved = await moveBy(setup.moveCommand)),
    );
    try {
      const renewed = await renew(setup.renewCommand);
      expect(moved?.status).toBe(200);
      expect(renewed.status).toBe(200);
      expect(race.transactions).toHaveLength(2); // the first lost: the source no longer holds the subscription
      expect(renewed.body).toMatchObject({ namespaceId: setup.target, startDate: '2027-01-01', maxSeatsUsed: 2 });
    } finally {
      race.remove();
    }
    expect(await outcomeOf(setup)).toBe('moveThenRenew');
  });

  it('sent at the same moment: one wins, the other retries or answers 409; the final state is a serial outcome', async () => {
    for (let round = 0; round < 6; round++) {
      const setup = await setUp();
      const jitter = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
      const [renewed, moved] = await Promise.all([
        (round % 2 ? jitter() : Promise.resolve()).then(() => renew(setup.renewCommand)),
        (round % 2 ? Promise.resolve() : jitter()).then(() => moveBy(setup.moveCommand)),
      ]);
      expect([200, 409]).toContain(renewed.status);
      expect([200, 409]).toContain(moved.status);
      expect(renewed.status === 200 || moved.status === 200).toBe(true);
      // A renewal that read the source just before the move answers stale_event ("look up where it is now").
      if (renewed.status === 409) expect(['concurrent_update', 'subscription_not_held']).toContain(renewed.body.error.code);
      if (moved.status === 409) expect(moved.body.error.code).toBe('concurrent_update');
      const outcome = await outcomeOf(setup);
      if (renewed.status === 200 && moved.status === 200) expect(['renewThenMove', 'moveThenRenew']).toContain(outcome);
      if (renewed.status === 409) expect(outcome).toBe('moveOnly');
      if (moved.status === 409) expect(outcome).toBe('renewOnly');
      // The pointer agrees with the namespace that holds the subscription.
      const pointer = (await api.call('GET', `/v1/subscriptions/${setup.sub}`)).body;
      expect(pointer.namespaceId).toBe(moved.status === 200 ? setup.target : setup.source);
    }
  });
});

describe('GET /v1/reassociations', () => {
  /** Records of a past range, written with the store's key scheme so that their dates are known. */
  const seed = (records: Array<Pick<ReassociationRecord, 'appliedAt' | 'reason' | 'targetWasInTrial'>>) =>
    seedReportRecords<ReassociationRecord>(
      runtime,
      reassociationKey,
      records.map((r, index) => ({
        eventId: `seed-${index}`, subscriptionId: `seed-sub-${index}`, sourceNamespaceId: 1, targetNamespaceId: 2, note: NOTE, actor: OPERATOR,
        replacePaid: false, displacedSubscriptionId: null, displacedWasActivePaid: false, sourceVersion: 2, targetVersion: 1, warnings: [], ...r,
      })),
    );

  it('lists a range newest first across months, page by page, with counts by reason and ISO week', async () => {
    const seeded = await seed([
      { appliedAt: '2025-10-31T23:59:59.000Z', reason: 'other', targetWasInTrial: false }, // before the range
      { appliedAt: '2025-11-03T08:00:00.000Z', reason: 'reseller_provisioning', targetWasInTrial: false },
      { appliedAt: '2025-11-04T08:00:00.000Z', reason: 'trial_conversion', targetWasInTrial: true },
      { appliedAt: '2025-11-29T08:00:00.000Z', reason: 'trial_conversion', targetWasInTrial: false },
      { appliedAt: '2025-12-31T23:00:00.000Z', reason: 'broken_association', targetWasInTrial: false },
      { appliedAt: '2026-01-01T01:00:00.000Z', reason: 'reseller_provisioning', targetWasInTrial: false },
      { appliedAt: '2026-01-10T00:00:00.000Z', reason: 'other', targetWasInTrial: false }, // after the range
    ]);
    const expected = seeded.slice(1, 6).reverse().map((r) => r.eventId);
    const seen = await eventIdsOfAllPages(ops, '/v1/reassociations', '?from=2025-11-01&to=2026-01-05&limit=2', (page) => {
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(page.counts.total).toBe(5);
    });
    expect(seen).toEqual(expected);

    const { counts, from, to } = await reportOf('?from=2025-11-01&to=2026-01-05');
    expect({ from, to }).toEqual({ from: '2025-11-01', to: '2026-01-05' });
    expect(counts.byReason).toEqual({ reseller_provisioning: 2, trial_conversion: 2, broken_association: 1, other: 0 });
    expect(counts.trialConversion).toEqual({ targetWasInTrial: 1, targetNotInTrial: 1 });
    expect(counts.byWeek[0]).toMatchObject({ week: '2025-W44', total: 0 });
    const week = (w: string) => counts.byWeek.find((x: { week: string }) => x.week === w);
    expect(week('2025-W45')).toMatchObject({ startsOn: '2025-11-03', total: 2, byReason: { reseller_provisioning: 1, trial_conversion: 1 } });
    expect(week('2025-W48')).toMatchObject({ total: 1 });
    expect(week('2026-W01')).toMatchObject({ startsOn: '2025-12-29', total: 2 });
    expect(counts.byWeek.reduce((sum: number, w: { total: number }) => sum + w.total, 0)).toBe(5);
  });

  it('by default covers the last 90 days up to today, including the reassociations just applied, newest first', async () => {
    const source = nextNamespace++;
    const sub = `re-${source}`;
    await paidNamespace(source, sub);
    const before = await reportOf();
    const res = await move(sub, { targetNamespaceId: nextNamespace++, reason: 'other' });
    expect(res.status).toBe(200);
    const after = await reportOf();
    const today = new Date().toISOString().slice(0, 10);
    expect(after.to).toBe(today);
    expect(after.items[0]).toMatchObject({ subscriptionId: sub, reason: 'other', actor: OPERATOR });
    expect(after.counts.total).toBe(before.counts.total + 1);
    expect(after.counts.byReason.other).toBe(before.counts.byReason.other + 1);
    const thisWeek = isoWeek(today).week;
    const weekCount = (report: { counts: { byWeek: Array<{ week: string; total: number }> } }) => report.counts.byWeek.find((w) => w.week === thisWeek)!.total;
    expect(weekCount(after)).toBe(weekCount(before) + 1);
    const appliedAt = after.items.map((r: ReassociationRecord) => r.appliedAt);
    expect([...appliedAt].sort().reverse()).toEqual(appliedAt);
  });

  it('refuses a bad range or cursor with 400', async () => {
    for (const query of ['?from=2026-03-02&to=2026-03-01', '?from=2024-01-01&to=2026-01-01', '?from=2026-13-01', '?limit=0', '?cursor=bogus', '?from=2020-01-01']) {
      const res = await ops.call('GET', `/v1/reassociations${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });
});
