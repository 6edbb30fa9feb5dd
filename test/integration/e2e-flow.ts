/**
 * The service's end-to-end flow, run by the suite on the sources (test/integration/isolation.test.ts)
 * and once on the bundles of cdk.out (test/infra/synth.test.ts): HTTP, the bus, the stream, a
 * schedule and the error log, each function in its own isolated environment.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { expect } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { busClient, client, eventId } from './helpers.js';

export async function runEndToEndFlow(runtime: Runtime, namespaceId: number): Promise<void> {
  const api = client(runtime);
  const subscriptionId = `sub-e2e-${namespaceId}`;
  const occurredAt = (day: string) => `${day}T12:00:00.000Z`;

  // HTTP: a subscription is created.
  const created = await api.call('POST', '/v1/subscriptions', {
    eventId: eventId('e2e'),
    occurredAt: occurredAt('2026-01-01'),
    subscriptionId,
    namespaceId,
    planCode: 'ultimate',
    seats: 10,
    startDate: '2026-01-01',
    endDate: '2027-01-01',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);

  // The bus: seat usage and a renewal arrive as EventBridge events, signed as the commerce side signs them.
  const events = busClient(runtime);
  const put = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'provisioning',
          Source: 'customers-portal',
          DetailType: 'Seat Usage Reported',
          Detail: JSON.stringify({ eventId: eventId('e2e'), occurredAt: occurredAt('2026-03-01'), namespaceId, seatsInUse: 12, measuredAt: occurredAt('2026-03-01') }),
        },
        {
          EventBusName: 'provisioning',
          Source: 'customers-portal',
          DetailType: 'Subscription Renewed',
          Detail: JSON.stringify({ eventId: eventId('e2e'), occurredAt: occurredAt('2026-11-20'), subscriptionId, seats: 12, startDate: '2027-01-01', endDate: '2028-01-01' }),
        },
      ],
    }),
  );
  expect(put.FailedEntryCount).toBe(0);
  await runtime.settle();

  const state = await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`);
  expect(state.status).toBe(200);
  expect(state.body).toMatchObject({ subscriptionId, seats: 12, startDate: '2027-01-01', previousTerm: { maxSeatsUsed: 12 } });

  // The stream: each applied change was published by the outbox, once (the two bus events are
  // delivered to their functions at once: either may commit first).
  const published = runtime.bus.recent.filter((e) => e['detail-type'] === 'Namespace Subscription Changed' && (e.detail as { namespaceId?: number }).namespaceId === namespaceId);
  expect(published.map((e) => (e.detail as { type: string }).type).sort()).toEqual(['created', 'renewed', 'seatUsageReported']);

  // The error log: a commerce failure reported over HTTP is stored and listed to operators.
  const report = await api.call('POST', '/v1/errors', {
    eventId: eventId('e2e'),
    occurredAt: new Date().toISOString(),
    system: 'zuora',
    flow: 'renewal',
    code: 'zuora_e2e_failure',
    errorType: 'E2EFailure',
    message: `Renewal of ${subscriptionId} failed in Zuora (end-to-end test)`,
    subject: subscriptionId,
    subjectKind: 'subscription',
  });
  expect(report.status, JSON.stringify(report.body)).toBe(202);
  await runtime.settle();
  const listed = await client(runtime, 'operator').call('GET', '/v1/errors?code=zuora_e2e_failure');
  expect(listed.status).toBe(200);
  expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: report.body.id, system: 'zuora', occurrences: 1 })]));

  // A schedule: the daily reconciliation audit runs on its trigger and completes.
  const audit = await runtime.scheduler.runNow('reconciliation-audit');
  expect(audit.ok, JSON.stringify(audit.error ?? null)).toBe(true);
}
