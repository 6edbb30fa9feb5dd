/**
 * The corrections report end to end, on DynamoDB Local through the local runtime: corrections
 * applied over HTTP are listed newest first with the operator and the peak before and after (a dry
 * run or a refused correction records nothing), records of a past range are paged across months
 * with counts by reason and ISO week, bad queries are 400, and the route is for operators only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { correctionKey } from '../../shared/lifecycle/store.js';
import type { CorrectionRecord } from '../../shared/lifecycle/store.js';
import { encodeKeyCursor } from '../../shared/platform/dynamodb/cursor.js';
import { isoWeek } from '../../shared/platform/dates.js';
import { client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';
import { eventIdsOfAllPages, seedReportRecords } from './reports.js';

const OPERATOR = 'local-operator';
const NOTE = 'A test group was counted twice, ticket 5120';
const ROUTE = '/v1/seat-statistics/corrections';

let runtime: Runtime;
let api: Client;
let ops: Client;

beforeAll(async () => {
  runtime = await startTestRuntime();
  [api, ops] = [client(runtime, 'service'), client(runtime, 'operator')];
});
afterAll(() => runtime?.stop());

const reportOf = async (query = '') => {
  const res = await ops.call('GET', `${ROUTE}${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

/** A paid term of 10 seats on `namespaceId` whose peak reached `peak`. */
async function paidNamespace(namespaceId: number, peak: number) {
  const created = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: '2026-01-01T10:00:00Z', subscriptionId: `cr-${namespaceId}`, namespaceId, planCode: 'premium',
    seats: 10, startDate: '2026-01-01', endDate: '2027-01-01', autoRenew: true,
  });
  expect(created.status).toBe(200);
  const usage = await api.call('PUT', `/v1/namespaces/${namespaceId}/seat-usage`, {
    eventId: eventId('usage'), occurredAt: '2026-03-01T10:00:00Z', seatsInUse: peak, measuredAt: '2026-03-01T10:00:00Z',
  });
  expect(usage.status).toBe(200);
}

const correct = (namespaceId: number, body: Record<string, unknown>) =>
  ops.call('POST', `/v1/namespaces/${namespaceId}/seat-statistics/corrections`, { eventId: eventId('corr'), termStartDate: '2026-01-01', note: NOTE, ...body });

describe('GET /v1/seat-statistics/corrections', () => {
  it('lists the corrections just applied, newest first, with the operator and the peak before; a dry run and a refusal record nothing', async () => {
    await paidNamespace(7101, 14);
    await paidNamespace(7102, 30);
    const before = await reportOf();

    const dryRun = await correct(7101, { maxSeatsUsed: 11, reason: 'wrong_measurement', dryRun: true });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.maxSeatsUsed).toBe(11);
    const refused = await correct(7101, { termStartDate: '2025-01-01', maxSeatsUsed: 11, reason: 'other' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('term_not_found');
    expect((await reportOf()).counts.total).toBe(before.counts.total);

    const first = await correct(7101, { maxSeatsUsed: 11, reason: 'wrong_measurement' });
    expect(first.status).toBe(200);
    const second = await correct(7102, { maxSeatsUsed: 12, reason: 'migration' });
    expect(second.status).toBe(200);
    // A replay of the same eventId records nothing more.
    const replay = await ops.call('POST', '/v1/namespaces/7102/seat-statistics/corrections', {
      eventId: (await reportOf()).items[0].eventId, termStartDate: '2026-01-01', maxSeatsUsed: 12, reason: 'migration', note: NOTE,
    });
    expect(replay.status).toBe(200);

    const after = await reportOf();
    const today = new Date().toISOString().slice(0, 10);
    expect(after.to).toBe(today);
    expect(after.counts.total).toBe(before.counts.total + 2);
    expect(after.counts.byReason).toEqual({
      wrong_measurement: before.counts.byReason.wrong_measurement + 1,
      migration: before.counts.byReason.migration + 1,
      other: before.counts.byReason.other,
    });
    const thisWeek = (report: { counts: { byWeek: Array<{ week: string; total: number }> } }) => report.counts.byWeek.find((w) => w.week === isoWeek(today).week)!.total;
    expect(thisWeek(after)).toBe(thisWeek(before) + 2);
    expect(after.items.slice(0, 2)).toEqual([
      expect.objectContaining({ namespaceId: 7102, subscriptionId: 'cr-7102', termStartDate: '2026-01-01', maxSeatsUsed: 12, previousMaxSeatsUsed: 30, reason: 'migration', note: NOTE, actor: OPERATOR }),
      expect.objectContaining({ namespaceId: 7101, subscriptionId: 'cr-7101', maxSeatsUsed: 11, previousMaxSeatsUsed: 14, reason: 'wrong_measurement', actor: OPERATOR }),
    ]);
    expect(after.items[0]).not.toHaveProperty('pk');
    const appliedAt = after.items.map((r: CorrectionRecord) => r.appliedAt);
    expect([...appliedAt].sort().reverse()).toEqual(appliedAt);
  });

  it('pages a past range newest first across months, with counts by reason and ISO week', async () => {
    const seeded = await seedReportRecords<CorrectionRecord>(
      runtime,
      correctionKey,
      [
        { appliedAt: '2025-10-31T23:59:59.000Z', reason: 'other' }, // before the range
        { appliedAt: '2025-11-03T08:00:00.000Z', reason: 'wrong_measurement' },
        { appliedAt: '2025-11-04T08:00:00.000Z', reason: 'migration' },
        { appliedAt: '2025-11-29T08:00:00.000Z', reason: 'migration' },
        { appliedAt: '2025-12-31T23:00:00.000Z', reason: 'other' },
        { appliedAt: '2026-01-01T01:00:00.000Z', reason: 'wrong_measurement' },
        { appliedAt: '2026-01-10T00:00:00.000Z', reason: 'other' }, // after the range
      ].map((r, index) => ({
        eventId: `seed-${index}`, namespaceId: 7200 + index, subscriptionId: null, termStartDate: '2025-06-01', maxSeatsUsed: 5,
        previousMaxSeatsUsed: 9, note: NOTE, actor: OPERATOR, ...r, reason: r.reason as CorrectionRecord['reason'],
      })),
    );
    const listed = await eventIdsOfAllPages(ops, ROUTE, '?from=2025-11-01&to=2026-01-05&limit=2', (page) => {
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(page.counts.total).toBe(5);
    });
    expect(listed).toEqual(seeded.slice(1, 6).reverse().map((r) => r.eventId));

    const { counts, from, to } = await reportOf('?from=2025-11-01&to=2026-01-05');
    expect({ from, to }).toEqual({ from: '2025-11-01', to: '2026-01-05' });
    expect(counts.byReason).toEqual({ wrong_measurement: 2, migration: 2, other: 1 });
    expect(counts.byWeek[0]).toMatchObject({ week: '2025-W44', total: 0 });
    const week = (w: string) => counts.byWeek.find((x: { week: string }) => x.week === w);
    expect(week('2025-W45')).toMatchObject({ startsOn: '2025-11-03', total: 2, byReason: { wrong_measurement: 1, migration: 1, other: 0 } });
    expect(week('2026-W01')).toMatchObject({ startsOn: '2025-12-29', total: 2 });
    expect(counts.byWeek.reduce((sum: number, w: { total: number }) => sum + w.total, 0)).toBe(5);
  });

  it('refuses a bad range, limit or cursor with 400 — a reassociation report cursor included', async () => {
    const reassociationCursor = encodeKeyCursor({ pk: 'REASSOC#2026-03', sk: '2026-03-02T00:00:00.000Z#r-1' });
    for (const query of ['?from=2026-03-02&to=2026-03-01', '?from=2024-01-01&to=2026-01-01', '?from=2026-13-01', '?limit=0', '?cursor=bogus', '?from=2020-01-01', '?reason=other', `?from=2026-03-01&to=2026-03-31&cursor=${reassociationCursor}`]) {
      const res = await ops.call('GET', `${ROUTE}${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('is for operators only: a service token is 403, no token 401', async () => {
    expect((await api.call('GET', ROUTE)).status).toBe(403);
    expect((await ops.call('GET', ROUTE, undefined, { token: null })).status).toBe(401);
  });
});
