import { describe, expect, it } from 'vitest';
import { client, startTestRuntime } from './helpers.js';

describe('Runtime: stop', () => {
  it('publishes what the outbox still holds before it stops', async () => {
    const runtime = await startTestRuntime({ streamPollIntervalMs: 200 });
    const api = client(runtime);
    const ids = Array.from({ length: 5 }, (_, i) => `stop-${i}`);
    for (const [i, eventId] of ids.entries()) {
      const res = await api.call('PUT', `/v1/namespaces/${9300 + i}/seat-usage`, { eventId, occurredAt: '2026-01-01T00:00:00Z', seatsInUse: 1, measuredAt: '2026-01-01T00:00:00Z' });
      expect(res.status).toBe(200);
    }
    await runtime.stop();
    const published = runtime.bus.recent.filter((e) => e['detail-type'] === 'Namespace Subscription Changed').map((e) => e.detail.eventId);
    expect(published.sort()).toEqual(ids);
    // After the stop, the API refuses politely instead of hanging.
    await expect(fetch(`${runtime.url}/health`)).rejects.toThrow();
  });
});
