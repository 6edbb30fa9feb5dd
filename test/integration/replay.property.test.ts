/**
 * Property: replaying any applied event — over HTTP, any number of times, after any other
 * commands — changes nothing: the same answer, the same state, no new history entry.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { client, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let api: Client;
let nextNamespace = 20_000;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

type Step = { kind: 'usage'; seats: number } | { kind: 'entitlements'; seats: number } | { kind: 'renewal' } | { kind: 'expiry' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('usage' as const), seats: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('entitlements' as const), seats: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('renewal' as const) }),
  fc.record({ kind: fc.constant('expiry' as const) }),
);

describe('Property: replaying an applied event changes nothing', () => {
  it('holds for any sequence of commands and any replayed event', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 3 }), async (steps, pick, times) => {
        const ns = nextNamespace++;
        const sub = `S-prop-${ns}`;
        const sent: Array<{ method: string; path: string; body: Record<string, unknown> }> = [];
        const send = async (method: string, path: string, body: Record<string, unknown>) => {
          const res = await api.call(method, path, body);
          if (res.status === 200) sent.push({ method, path, body });
          return res;
        };
        await send('POST', '/v1/subscriptions', { eventId: `p-${ns}-c`, occurredAt: '2026-01-01T00:00:00Z', subscriptionId: sub, namespaceId: ns, planCode: 'premium', seats: 10, startDate: '2026-01-01', endDate: '2027-01-01' });
        let year = 2027;
        for (const [i, s] of steps.entries()) {
          const id = `p-${ns}-${i}`;
          const at = new Date(Date.UTC(2026, 1, 1 + i)).toISOString();
          if (s.kind === 'usage') await send('PUT', `/v1/namespaces/${ns}/seat-usage`, { eventId: id, occurredAt: at, seatsInUse: s.seats, measuredAt: at });
          if (s.kind === 'entitlements') await send('POST', `/v1/subscriptions/${sub}/entitlements`, { eventId: id, occurredAt: at, seats: s.seats });
          if (s.kind === 'renewal') await send('POST', `/v1/subscriptions/${sub}/renewals`, { eventId: id, occurredAt: at, startDate: `${year}-01-01`, endDate: `${++year}-01-01`, planCode: 'premium' });
          if (s.kind === 'expiry') await send('POST', `/v1/subscriptions/${sub}/expiry`, { eventId: id, occurredAt: at, expiredOn: `${year}-01-01` });
        }
        const before = (await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body;
        const historyBefore = (await api.call('GET', `/v1/subscriptions/${sub}/history?limit=100`)).body.items.length;
        const replayed = sent[pick % sent.length]!;
        for (let t = 0; t < times; t++) {
          const res = await api.call(replayed.method, replayed.path, replayed.body);
          expect(res.status).toBe(200);
          expect(res.headers.get('idempotent-replayed')).toBe('true');
        }
        expect((await api.call('GET', `/v1/namespaces/${ns}/subscription`)).body).toEqual(before);
        expect((await api.call('GET', `/v1/subscriptions/${sub}/history?limit=100`)).body.items.length).toBe(historyBefore);
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
