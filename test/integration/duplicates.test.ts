/**
 * Duplicates: one event sent 100 times over HTTP and 100 times over the bus, all at once, is
 * applied once: one history entry and one `Namespace Subscription Changed`.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { client, startTestRuntime, busClient } from './helpers.js';
import type { Client } from './helpers.js';
import { recordSection } from './reliability-report.js';

let runtime: Runtime;
let api: Client;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

describe('Duplicates', () => {
  it('applies an event replayed 100 times over HTTP and 100 times over the bus once', async () => {
    const created = { eventId: 'dup-create', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'S-dup', namespaceId: 7100, planCode: 'premium', seats: 10, startDate: '2026-01-01', endDate: '2027-01-01' };
    expect((await api.call('POST', '/v1/subscriptions', created)).status).toBe(200);
    const usage = { eventId: 'dup-usage', occurredAt: '2026-02-01T00:00:00Z', seatsInUse: 13, measuredAt: '2026-02-01T00:00:00Z' };
    const events = busClient(runtime);
    const entry = { EventBusName: 'provisioning', Source: 'customers-portal', DetailType: 'Seat Usage Reported', Detail: JSON.stringify({ ...usage, namespaceId: 7100 }) };

    const http = Array.from({ length: 100 }, () => api.call('PUT', '/v1/namespaces/7100/seat-usage', usage));
    const bus = Array.from({ length: 10 }, () => events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, () => entry) })));
    const [answers, putResults] = await Promise.all([Promise.all(http), Promise.all(bus)]);
    expect(putResults.every((r) => r.FailedEntryCount === 0)).toBe(true);
    await runtime.settle();
    events.destroy();

    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    const replays = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length;
    expect(replays).toBeGreaterThanOrEqual(99);

    const history = await api.call('GET', '/v1/subscriptions/S-dup/history?limit=100');
    expect(history.body.items.map((e: { eventId: string }) => e.eventId)).toEqual(['dup-usage', 'dup-create']);
    const changed = runtime.bus.recent.filter((e) => e['detail-type'] === 'Namespace Subscription Changed' && e.detail.eventId === 'dup-usage');
    expect(changed).toHaveLength(1);
    expect(runtime.bus.counters.failed).toBe(0);

    recordSection('duplicates', {
      order: 3,
      title: 'Duplicates',
      figures: [
        ['replays of one event over HTTP', 100],
        ['replays of the same event over the bus (PutEvents)', 100],
        ['history entries for it', 1],
        ['Namespace Subscription Changed published for it', changed.length],
      ],
    });
  });
});
