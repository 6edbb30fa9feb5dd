/**
 * Issue 17 through the service (HTTP, DynamoDB Local): trials as explicit facts (an end for an
 * earlier trial, an extension, a reactivation), the plan catalog, autoRenew on renewals and
 * entitlements, reconciliations of a term's overage and operators' corrections of a peak.
 * Everything dated in the past.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { client, eventId, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let api: Client;
let operator: Client;
let nextNamespace = 17_500;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
  operator = client(runtime, 'operator');
});
afterAll(async () => {
  await runtime?.stop();
});

const at = (day: string, time = '10:00:00') => `${day}T${time}Z`;

async function ok(res: Promise<{ status: number; body: any }>) {
  const out = await res;
  expect(out.status, JSON.stringify(out.body)).toBe(200);
  return out.body;
}

const created = (namespaceId: number, subscriptionId: string, fields: Record<string, unknown> = {}) =>
  api.call('POST', '/v1/subscriptions', {
    eventId: eventId('create'), occurredAt: at('2025-01-01'), subscriptionId, namespaceId, planCode: 'premium', seats: 10,
    startDate: '2025-01-01', endDate: '2026-01-01', autoRenew: false, ...fields,
  });
const usage = (namespaceId: number, seatsInUse: number, day: string) =>
  api.call('PUT', `/v1/namespaces/${namespaceId}/seat-usage`, { eventId: eventId('usage'), occurredAt: at(day), seatsInUse, measuredAt: at(day) });
const trial = (namespaceId: number, trialStartsOn: string, trialEndsOn: string, planCode = 'ultimate_trial') =>
  api.call('POST', `/v1/namespaces/${namespaceId}/trials`, { eventId: eventId('trial'), occurredAt: at(trialStartsOn, '06:00:00'), planCode, trialStartsOn, trialEndsOn });
const trialEnd = (namespaceId: number, endedOn: string) =>
  api.call('POST', `/v1/namespaces/${namespaceId}/trials/end`, { eventId: eventId('end'), occurredAt: at(endedOn, '23:00:00'), endedOn });
const extend = (namespaceId: number, trialEndsOn: string, occurredOn: string) =>
  api.call('POST', `/v1/namespaces/${namespaceId}/trials/extensions`, { eventId: eventId('extend'), occurredAt: at(occurredOn), trialEndsOn });

describe('Trials as explicit facts', () => {
  it('a trial end for an earlier trial never ends the running one; an end keeps the trial’s dates', async () => {
    const ns = nextNamespace++;
    await ok(trial(ns, '2025-01-01', '2025-01-31'));
    await ok(trialEnd(ns, '2025-01-31'));
    await ok(trial(ns, '2025-03-01', '2025-03-31'));
    // The end of the first trial arrives again, late: in business order it meets no running trial.
    const again = await ok(trialEnd(ns, '2025-01-31'));
    expect(again).toMatchObject({ trial: true, trialStartsOn: '2025-03-01', trialEndsOn: '2025-03-31', planCode: 'ultimate_trial' });
    const ended = await ok(trialEnd(ns, '2025-03-20'));
    expect(ended).toMatchObject({ trial: false, trialStartsOn: '2025-03-01', trialEndsOn: '2025-03-20', planCode: 'free' });
    // An end with no trial running changes nothing (and is not refused).
    expect(await ok(trialEnd(ns, '2025-05-01'))).toMatchObject({ trial: false, trialEndsOn: '2025-03-20' });
  });

  it('extends a running trial (same start, another last day); one before its start, or with no trial, changes nothing', async () => {
    const ns = nextNamespace++;
    await ok(trial(ns, '2025-04-01', '2025-04-30'));
    expect(await ok(extend(ns, '2025-05-31', '2025-04-20'))).toMatchObject({ trial: true, trialStartsOn: '2025-04-01', trialEndsOn: '2025-05-31' });
    expect(await ok(extend(ns, '2025-03-15', '2025-04-21'))).toMatchObject({ trialEndsOn: '2025-05-31' });
    const other = nextNamespace++;
    expect(await ok(extend(other, '2025-05-31', '2025-04-20'))).toMatchObject({ trial: false, trialEndsOn: null });
  });

  it('records a trial started after an earlier one ended as a reactivation', async () => {
    const ns = nextNamespace++;
    await ok(trial(ns, '2025-01-01', '2025-01-31'));
    await ok(trialEnd(ns, '2025-01-31'));
    await ok(trial(ns, '2025-06-01', '2025-06-30'));
    const history = (await ok(operator.call('GET', `/v1/operator/namespaces/${ns}`))).history.items as Array<{ type: string; reactivation?: boolean }>;
    const starts = history.filter((e) => e.type === 'trialStarted').map((e) => e.reactivation ?? false);
    expect(starts).toEqual([true, false]);
  });

  it('does not count a measurement on a trial day toward the term’s peak', async () => {
    const ns = nextNamespace++;
    await ok(created(ns, `tp-${ns}`));
    await ok(usage(ns, 25, '2025-03-10'));
    await ok(trial(ns, '2025-03-01', '2025-03-31'));
    await ok(trialEnd(ns, '2025-03-31'));
    expect(await ok(usage(ns, 11, '2025-04-05'))).toMatchObject({ maxSeatsUsed: 11, seatsOwed: 1 });
  });
});

describe('Plans and seats', () => {
  it('refuses an unknown plan, a trial plan on a paid term and a paid plan on a trial: 400 naming planCode', async () => {
    const ns = nextNamespace++;
    const cases = [
      created(ns, `tp-${ns}`, { planCode: 'platinum' }),
      created(ns, `tp-${ns}`, { planCode: 'ultimate_trial' }),
      trial(ns, '2025-02-01', '2025-02-28', 'premium'),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'planCode', message: expect.stringMatching(/plan code of the catalog/) }] });
    }
    expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).status).toBe(404);
  });

  it('bills nothing on a term with 0 seats', async () => {
    const ns = nextNamespace++;
    await ok(created(ns, `tp-${ns}`, { seats: 0 }));
    expect(await ok(usage(ns, 30, '2025-02-01'))).toMatchObject({ maxSeatsUsed: 30, seatsOwed: 0 });
  });

  it('takes autoRenew from renewals and entitlements updates: it belongs to the term', async () => {
    const ns = nextNamespace++;
    const sub = `tp-${ns}`;
    await ok(created(ns, sub));
    expect(await ok(api.call('POST', `/v1/subscriptions/${sub}/entitlements`, { eventId: eventId('ent'), occurredAt: at('2025-03-01'), autoRenew: true }))).toMatchObject({ autoRenew: true });
    const renewed = await ok(api.call('POST', `/v1/subscriptions/${sub}/renewals`, { eventId: eventId('ren'), occurredAt: at('2026-01-01'), startDate: '2026-01-01', endDate: '2027-01-01', autoRenew: false }));
    expect(renewed).toMatchObject({ autoRenew: false, startDate: '2026-01-01' });
  });

  it('describes the codes in the OpenAPI document', async () => {
    const doc = await ok(api.call('GET', '/openapi.json'));
    const planCode = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'].schema.properties.planCode;
    expect(planCode.description).toMatch(/bronze, silver, gold, premium, ultimate, opensource/);
  });
});

describe('Reconciliations', () => {
  it('lowers what a term owes by what was billed, for the current and the previous term', async () => {
    const ns = nextNamespace++;
    const sub = `tp-${ns}`;
    await ok(created(ns, sub));
    await ok(usage(ns, 16, '2025-05-01'));
    const reconcile = (termStartDate: string, seatsBilled: number, day: string) =>
      api.call('POST', `/v1/subscriptions/${sub}/reconciliations`, { eventId: eventId('rec'), occurredAt: at(day), termStartDate, seatsBilled });
    expect(await ok(reconcile('2025-01-01', 4, '2025-07-01'))).toMatchObject({ seatsBilled: 4, seatsOwed: 2 });
    await ok(api.call('POST', `/v1/subscriptions/${sub}/renewals`, { eventId: eventId('ren'), occurredAt: at('2026-01-01'), startDate: '2026-01-01', endDate: '2027-01-01' }));
    expect((await ok(reconcile('2025-01-01', 2, '2026-02-01'))).previousTerm).toMatchObject({ seatsBilled: 6, seatsOwed: 0 });
    const unknown = await reconcile('2020-01-01', 1, '2026-02-02');
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe('term_not_found');
  });
});

describe('Corrections of a peak (operators)', () => {
  it('sets a term’s peak with a reason and a note, recorded with the operator; measurements taken after it that are higher still raise it', async () => {
    const ns = nextNamespace++;
    const sub = `tp-${ns}`;
    // A term running today: a correction's business time is when it is applied.
    await ok(created(ns, sub, { startDate: '2026-01-01', endDate: '2027-01-01', occurredAt: at('2026-01-01') }));
    await ok(usage(ns, 40, '2026-05-01'));
    const body = { eventId: eventId('corr'), termStartDate: '2026-01-01', maxSeatsUsed: 12, reason: 'wrong_measurement', note: 'A test group was counted twice by the sync.' };
    const path = `/v1/namespaces/${ns}/seat-statistics/corrections`;

    const dry = await ok(operator.call('POST', path, { ...body, dryRun: true }));
    expect(dry).toMatchObject({ maxSeatsUsed: 12, seatsOwed: 2 });
    expect((await ok(api.call('GET', `/v1/namespaces/${ns}/subscription`))).maxSeatsUsed).toBe(40);

    const applied = await operator.call('POST', path, body);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ maxSeatsUsed: 12, seatsOwed: 2 });
    const replay = await operator.call('POST', path, body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const [entry] = (await ok(api.call('GET', `/v1/subscriptions/${sub}/history`))).items;
    expect(entry).toMatchObject({ type: 'seatStatisticsCorrected', actor: expect.stringContaining('operator'), outcome: 'applied' });
    // Taken before the correction (it arrives late): the correction still decides.
    expect(await ok(usage(ns, 30, '2026-06-01'))).toMatchObject({ maxSeatsUsed: 12 });
    // Taken after it, and higher: it raises the peak.
    const now = new Date().toISOString();
    const after = await ok(api.call('PUT', `/v1/namespaces/${ns}/seat-usage`, { eventId: eventId('usage'), occurredAt: now, seatsInUse: 15, measuredAt: now }));
    expect(after).toMatchObject({ maxSeatsUsed: 15, seatsOwed: 5 });
  });

  it('refuses a note without 10 visible characters, a service token, and a term the namespace does not have', async () => {
    const ns = nextNamespace++;
    await ok(created(ns, `tp-${ns}`));
    const path = `/v1/namespaces/${ns}/seat-statistics/corrections`;
    const body = { eventId: eventId('corr'), termStartDate: '2025-01-01', maxSeatsUsed: 3, reason: 'other', note: 'Migrated from the old billing tool.' };
    const blank = await operator.call('POST', path, { ...body, note: '   .  \u200b   ..  ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.details).toEqual([{ field: 'note', message: expect.stringMatching(/10 visible characters/) }]);
    expect((await api.call('POST', path, body)).status).toBe(403);
    const missing = await operator.call('POST', path, { ...body, eventId: eventId('corr'), termStartDate: '2019-01-01' });
    expect(missing.status).toBe(409);
    expect(missing.body.error.code).toBe('term_not_found');
  });
});
