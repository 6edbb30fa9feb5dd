/**
 * Concurrency: 50 mixed commands (seat usage, entitlements, renewals, reassociations) on one
 * namespace, all at once. Every command answered 200 is exactly one history entry (a reassociation
 * one on each namespace); the history is a chain (each entry's `before` is the one before's
 * `after`); each namespace's log is a valid fold (each entry's state is the rule applied to the state
 * before it, in business order) whose last state is the namespace's state; a 409 left no applied
 * trace (a command the rules refused at its place is kept in the log and history as refused).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../local/dynamodb.js';
import type { Runtime } from '../../local/runtime.js';
import { applyCommand, publicState } from '../../shared/lifecycle/domain/rules.js';
import type { CommandType, FoldState, LifecycleCommand, NamespaceState } from '../../shared/lifecycle/domain/types.js';
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

async function itemsOf(namespaceId: number, prefix: string) {
  const doc = DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
  const out = await doc.send(new QueryCommand({
    TableName: runtime.tables.state,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': `NS#${namespaceId}`, ':p': prefix },
    ConsistentRead: true,
  }));
  doc.destroy();
  return out.Items ?? [];
}

type Entry = { sk: string; version: number; eventId: string; type: string; outcome?: string; rejection?: { code: string }; before: NamespaceState | null; after: NamespaceState };
/** The history of received commands (a stale command's record, `…#STALE#…`, is not a version). */
const historyOf = async (namespaceId: number) => ((await itemsOf(namespaceId, 'HIST#')) as Entry[]).filter((e) => /^HIST#\d{12}$/.test(e.sk));
const logOf = async (namespaceId: number) =>
  (await itemsOf(namespaceId, 'LOG#')) as Array<{ sk: string; command: LifecycleCommand | null; state: FoldState; rejection?: { code: string } }>;

const fold = (s: FoldState) => {
  const { version: _v, updatedAt: _u, ...rest } = s;
  return rest;
};

describe('Concurrency', () => {
  it('keeps 50 racing mixed commands on one namespace serializable', async () => {
    // Everything dated in the past (an instant after the service's clock is invalid input).
    const created = { eventId: 'race-create', occurredAt: '2016-01-01T00:00:00Z', subscriptionId: SUB, namespaceId: A, planCode: 'premium', seats: 10, startDate: '2016-01-01', endDate: '2017-01-01', autoRenew: true };
    expect((await api.call('POST', '/v1/subscriptions', created)).status).toBe(200);

    const sent: Sent[] = [];
    const lifecycle = (type: CommandType, method: string, route: string, path: Record<string, unknown>, body: Record<string, unknown>) =>
      sent.push({ eventId: body.eventId as string, type, path, body, send: () => api.call(method, route, body) });
    for (let i = 0; i < 20; i++) {
      const measuredAt = new Date(Date.UTC(2016, 1, 1, 0, i)).toISOString();
      lifecycle('seatUsageReported', 'PUT', `/v1/namespaces/${A}/seat-usage`, { namespaceId: A }, { eventId: `race-usage-${i}`, occurredAt: measuredAt, seatsInUse: 3 + ((i * 7) % 25), measuredAt });
    }
    for (let i = 0; i < 12; i++) {
      lifecycle('entitlementsUpdated', 'POST', `/v1/subscriptions/${SUB}/entitlements`, { subscriptionId: SUB }, { eventId: `race-ent-${i}`, occurredAt: '2016-03-01T00:00:00Z', seats: 5 + ((i * 5) % 26) });
    }
    for (let i = 0; i < 10; i++) {
      const year = 2017 + i;
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
      // Older than a log started again by a move, a renewal not after the current term, a move
      // already made, a subscription that moved away, or a race lost eight times.
      expect(['stale_event', 'already_associated', 'concurrent_update', 'subscription_not_held']).toContain(res.body.error.code);
    }
    const applied = new Set(answers.filter((a) => a.res.status === 200).map((a) => a.cmd.eventId));
    const refusedCodes = new Map(refused.map((a) => [a.cmd.eventId, a.res.body.error.code as string]));
    const byEvent = new Map(sent.map((c) => [c.eventId, c]));

    let entries = 0;
    for (const ns of [A, B]) {
      const history = (await historyOf(ns)).sort((x, y) => x.version - y.version);
      history.forEach((entry, k) => {
        entries++;
        expect(entry.version).toBe(k + 1);
        if (k > 0) expect(entry.before).toEqual(history[k - 1]!.after);
        if (entry.eventId === 'race-create') return;
        if (entry.outcome === 'refused') {
          // Refused by the rules at its place: answered 409 with that code, kept in the log.
          expect(refusedCodes.get(entry.eventId), `${entry.eventId} refused in history`).toBe(entry.rejection!.code);
          return;
        }
        expect(applied.has(entry.eventId), `${entry.eventId} in history but not acknowledged`).toBe(true);
      });
      const final = await api.call('GET', `/v1/namespaces/${ns}/subscription`);
      if (history.length) expect(final.body).toEqual(history[history.length - 1]!.after);
      // Each applied lifecycle command is one entry on one namespace; a reassociation one on each.
      for (const id of applied) {
        const count = history.filter((e) => e.eventId === id && e.outcome !== 'refused').length;
        if (byEvent.get(id)!.type !== 'reassociated') expect(count).toBeLessThanOrEqual(1);
        else expect(count).toBe(1);
      }

      // The log is a valid fold: each entry is the rule applied to the state before it, in business
      // order, and its last state is the namespace's state.
      const log = (await logOf(ns)).sort((x, y) => (x.sk < y.sk ? -1 : 1));
      for (let k = 1; k < log.length; k++) {
        const { command, state, sk } = log[k]!;
        if (command === null) continue;
        const result = applyCommand(log[k - 1]!.state, command, { key: sk.slice('LOG#'.length) });
        expect(result.ok ? null : result.rejection.code, sk).toBe(log[k]!.rejection?.code ?? null);
        expect(fold(result.ok ? result.state : log[k - 1]!.state), sk).toEqual(fold(state));
      }
      if (log.length) expect(publicState({ ...log.at(-1)!.state, version: final.body.version, updatedAt: final.body.updatedAt })).toEqual(final.body);
    }
    const appliedMoves = [...applied].filter((id) => byEvent.get(id)!.type === 'reassociated').length;
    const refusedInHistory = (await Promise.all([A, B].map(historyOf))).flat().filter((e) => e.outcome === 'refused').length;
    expect(entries).toBe(1 + applied.size + appliedMoves + refusedInHistory);
    for (const { cmd } of refused) {
      const traces = [...(await historyOf(A)), ...(await historyOf(B))].filter((e) => e.eventId === cmd.eventId);
      expect(traces.every((e) => e.outcome === 'refused')).toBe(true);
    }

    recordSection('concurrency', {
      order: 2,
      title: 'Concurrency',
      figures: [
        ['racing commands on one namespace', 50],
        ['— seat usage / entitlements / renewals / reassociations', '20 / 12 / 10 / 8'],
        ['answered (applied, or 409 stale_event / already_associated / subscription_not_held / concurrent_update)', applied.size + refused.length],
        ['applied commands without exactly one history entry (two for a reassociation)', 0],
        ['log entries that are not the rule applied to the entry before them', 0],
        ['refused commands that left an applied trace', 0],
      ],
      notes: [`Send order shuffled by fast-check, seed ${SEED}. How many are applied depends on timing; the invariants hold on every run.`],
    });
  });
});
