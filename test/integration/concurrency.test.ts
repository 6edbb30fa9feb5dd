/**
 * Concurrency: 50 mixed commands (seat usage, entitlements, renewals, reassociations) on one
 * namespace, all at once. Every applied command is exactly one history entry; each entry is a valid
 * step from the one before it (the domain rule applied to its `before` gives its `after`), so the
 * final state equals a serial replay of the applied commands; refused commands left no trace.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../local/dynamodb.js';
import type { Runtime } from '../../local/runtime.js';
import { commandSpecs } from '../../shared/lifecycle/specs.js';
import { applyCommand } from '../../shared/lifecycle/domain/rules.js';
import type { CommandType, NamespaceState } from '../../shared/lifecycle/domain/types.js';
import { client, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';
import { recordSection } from './reliability-report.js';

const A = 8100;
const B = 8101;
const SUB = 'S-race';
const SEED = 4242;

let runtime: Runtime;
let api: Client;
let ops: Client;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
  ops = client(runtime, 'operator');
});
afterAll(async () => {
  await runtime?.stop();
});

interface Sent {
  eventId: string;
  type: CommandType | 'reassociated';
  path: Record<string, unknown>;
  body: Record<string, unknown>;
  send: () => Promise<{ status: number; body: any }>;
}

async function historyOf(namespaceId: number) {
  const doc = DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
  const out = await doc.send(new QueryCommand({
    TableName: runtime.tables.state,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
    ExpressionAttributeValues: { ':pk': `NS#${namespaceId}`, ':h': 'HIST#' },
    ConsistentRead: true,
  }));
  doc.destroy();
  return (out.Items ?? []) as Array<{ version: number; eventId: string; type: string; before: NamespaceState | null; after: NamespaceState; appliedAt: string }>;
}

const strip = (s: NamespaceState | null) => {
  if (!s) return s;
  const { updatedAt: _u, ...rest } = s;
  return rest;
};

describe('Concurrency', () => {
  it('keeps 50 racing mixed commands on one namespace serializable', async () => {
    const created = { eventId: 'race-create', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: SUB, namespaceId: A, planCode: 'premium', seats: 10, startDate: '2026-01-01', endDate: '2027-01-01', autoRenew: true };
    expect((await api.call('POST', '/v1/subscriptions', created)).status).toBe(200);

    const sent: Sent[] = [];
    const lifecycle = (type: CommandType, method: string, route: string, path: Record<string, unknown>, body: Record<string, unknown>) =>
      sent.push({ eventId: body.eventId as string, type, path, body, send: () => api.call(method, route, body) });
    for (let i = 0; i < 20; i++) {
      const measuredAt = new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString();
      lifecycle('seatUsageReported', 'PUT', `/v1/namespaces/${A}/seat-usage`, { namespaceId: A }, { eventId: `race-usage-${i}`, occurredAt: measuredAt, seatsInUse: 3 + ((i * 7) % 25), measuredAt });
    }
    for (let i = 0; i < 12; i++) {
      lifecycle('entitlementsUpdated', 'POST', `/v1/subscriptions/${SUB}/entitlements`, { subscriptionId: SUB }, { eventId: `race-ent-${i}`, occurredAt: '2026-03-01T00:00:00Z', seats: 5 + ((i * 5) % 26) });
    }
    for (let i = 0; i < 10; i++) {
      const year = 2027 + i;
      lifecycle('renewed', 'POST', `/v1/subscriptions/${SUB}/renewals`, { subscriptionId: SUB }, { eventId: `race-renew-${i}`, occurredAt: `${year}-01-01T00:00:00Z`, startDate: `${year}-01-01`, endDate: `${year + 1}-01-01` });
    }
    for (let i = 0; i < 8; i++) {
      const body = { eventId: `race-move-${i}`, targetNamespaceId: i % 2 === 0 ? B : A, reason: 'broken_association', note: 'Concurrency test: moving the subscription back and forth' };
      sent.push({ eventId: body.eventId, type: 'reassociated', path: {}, body, send: () => ops.call('POST', `/v1/subscriptions/${SUB}/reassociations`, body) });
    }
    expect(sent).toHaveLength(50);
    const order = fc.sample(fc.shuffledSubarray(sent, { minLength: 50, maxLength: 50 }), { numRuns: 1, seed: SEED })[0]!;

    const answers = await Promise.all(order.map(async (cmd) => ({ cmd, res: await cmd.send() })));
    await runtime.settle();

    const refused = answers.filter((a) => a.res.status !== 200);
    for (const { res } of refused) {
      expect(res.status).toBe(409);
      expect(['stale_event', 'already_associated', 'concurrent_update']).toContain(res.body.error.code);
    }
    const applied = new Set(answers.filter((a) => a.res.status === 200).map((a) => a.cmd.eventId));
    const byEvent = new Map(sent.map((c) => [c.eventId, c]));

    let entries = 0;
    for (const ns of [A, B]) {
      const history = (await historyOf(ns)).sort((x, y) => x.version - y.version);
      history.forEach((entry, k) => {
        entries++;
        expect(entry.version).toBe(k + 1);
        if (k > 0) expect(entry.before).toEqual(history[k - 1]!.after);
        if (entry.eventId === 'race-create') return;
        expect(applied.has(entry.eventId), `${entry.eventId} in history but not acknowledged`).toBe(true);
        const cmd = byEvent.get(entry.eventId)!;
        if (cmd.type === 'reassociated') return;
        // The domain rule applied to the entry's `before` gives its `after`: a serial step.
        const spec = commandSpecs[cmd.type];
        const replay = applyCommand(entry.before!, spec.toCommand(cmd.path, cmd.body), { appliedAt: entry.appliedAt });
        expect(replay.ok).toBe(true);
        expect(strip(replay.ok ? replay.state : null)).toEqual(strip(entry.after));
      });
      const final = await api.call('GET', `/v1/namespaces/${ns}/subscription`);
      if (history.length) expect(final.body).toEqual(history[history.length - 1]!.after);
      // Each applied lifecycle command is one entry on one namespace; a reassociation one on each.
      for (const id of applied) {
        const count = history.filter((e) => e.eventId === id).length;
        if (byEvent.get(id)!.type !== 'reassociated') expect(count).toBeLessThanOrEqual(1);
        else expect(count).toBe(1);
      }
    }
    const appliedMoves = [...applied].filter((id) => byEvent.get(id)!.type === 'reassociated').length;
    expect(entries).toBe(1 + applied.size + appliedMoves);
    for (const { cmd } of refused) {
      expect([...(await historyOf(A)), ...(await historyOf(B))].some((e) => e.eventId === cmd.eventId)).toBe(false);
    }

    recordSection('concurrency', {
      order: 2,
      title: 'Concurrency',
      figures: [
        ['racing commands on one namespace', 50],
        ['— seat usage / entitlements / renewals / reassociations', '20 / 12 / 10 / 8'],
        ['answered (applied, or refused with 409 stale_event / already_associated)', applied.size + refused.length],
        ['applied commands without exactly one history entry (two for a reassociation)', 0],
        ['history entries that are not a valid serial step', 0],
        ['refused commands that left a trace', 0],
      ],
      notes: [`Send order shuffled by fast-check, seed ${SEED}. How many are applied depends on timing; the invariants hold on every run.`],
    });
  });
});
