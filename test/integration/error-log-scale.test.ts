/**
 * The error log at scale, on DynamoDB Local, by counting calls (never by a timer):
 * - a closed GitLab issue with 3 000 linked records is resolved completely, in chunks whose
 *   DynamoDB calls are bounded whatever the issue's size, each chunk handing the rest on by an
 *   event; through the webhook and the local bus end to end too;
 * - the digests and the audit read only the attributes they use, never payloads or change logs.
 */
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
import { ErrorStore } from '../../shared/error-log/store.js';
import type { ResolutionState } from '../../shared/error-log/store.js';
import { continueIssueResolution, resolveIssueChunk } from '../../shared/error-log/issue-resolution.js';
import type { ResolutionDeps } from '../../shared/error-log/issue-resolution.js';
import { RESOLVE_CHUNK } from '../../shared/error-log/workflow.js';
import { AuditStore } from '../../shared/audit/store.js';
import type { OutgoingEvent } from '../../shared/platform/bus.js';
import { client } from './helpers.js';
import { startTestRuntime } from './helpers.js';

type Item = Record<string, NativeAttributeValue>;

let runtime: Runtime;
let store: ErrorStore;
const WEBHOOK_SECRET = 'gitlab-webhook-secret-for-scale-tests';
const quiet = { info: () => undefined };

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.GITLAB_WEBHOOK_SECRET = WEBHOOK_SECRET;
  runtime = await startTestRuntime();
  store = new ErrorStore();
});

afterAll(async () => {
  await runtime?.stop();
  delete process.env.GITLAB_WEBHOOK_SECRET;
});

/** Every DynamoDB call this process makes, by command, with the items its answers carry. */
const calls: { command: string; input: Record<string, unknown>; output: Record<string, unknown> }[] = [];
const CAPTURE = 'capture-calls-for-tests';
function capture(): void {
  ddb().middlewareStack.add(
    (next, context) => async (args) => {
      // Counted when sent: a call DynamoDB refuses (a cancelled transaction) is a call too.
      const call = { command: String(context.commandName), input: args.input as Record<string, unknown>, output: {} as Record<string, unknown> };
      calls.push(call);
      const out = await next(args);
      call.output = out.output as Record<string, unknown>;
      return out;
    },
    { step: 'initialize', name: CAPTURE },
  );
}
afterEach(() => {
  ddb().middlewareStack.remove(CAPTURE);
  calls.length = 0;
});
const counts = () => calls.reduce<Record<string, number>>((n, c) => ({ ...n, [c.command]: (n[c.command] ?? 0) + 1 }), {});
/** The items DynamoDB answered (in its attribute-value form: `{ pk: { S: … } }`). */
const itemsRead = () => calls.flatMap((c) => [...Object.values((c.output.Responses ?? {}) as Record<string, Item[]>).flat(), ...((c.output.Items ?? []) as Item[]), ...(c.output.Item ? [c.output.Item as Item] : [])]);

const pkOf = (item: Item): string => String(item.pk?.S ?? item.pk);

const BIG_PAYLOAD = { blob: 'x'.repeat(12_000), namespaceId: 7, asOf: '2026-03-01' };
const LONG_CHANGES = Array.from({ length: 200 }, (_, i) => ({ at: '2026-03-01T00:00:00.000Z', actor: 'operator', field: 'notes', from: null, to: `note ${i} ${'y'.repeat(100)}` }));

function record(id: string, fields: Partial<Item> = {}): Item {
  const createdAt = (fields.createdAt as string | undefined) ?? '2026-03-01T10:00:00.000Z';
  return {
    pk: `ERR#${id}`, sk: 'RECORD', entity: 'ERROR', id, fingerprint: `fp-${id}`, code: 'renewal_not_processed', subject: `subscription:${id}`,
    message: `renewal of ${id} not processed`, errorType: 'AuditFinding', source: 'audit', status: 'open', backtrace: ['at somewhere (file.js:1:1)'],
    payload: { namespaceId: 7, asOf: '2026-03-01' }, occurrences: 1, firstSeenAt: createdAt, lastSeenAt: createdAt, createdAt, updatedAt: createdAt, notification: 'sent',
    changes: LONG_CHANGES.slice(0, 2), revision: 3, ...fields,
  };
}

/** Seeds items with BatchWriteItem, 25 a call, directly: thousands in a few seconds. */
async function seed(items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, unknown[]> | undefined = { [runtime.tables.errors]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    while (pending && Object.keys(pending).length > 0) {
      const out = await ddb().send(new BatchWriteCommand({ RequestItems: pending as never }));
      pending = out.UnprocessedItems as Record<string, unknown[]> | undefined;
    }
  }
}

const read = async (id: string): Promise<Item> => (await ddb().send(new GetCommand({ TableName: runtime.tables.errors, Key: { pk: `ERR#${id}`, sk: 'RECORD' }, ConsistentRead: true }))).Item!;

describe('A closed issue with 3 000 linked records', () => {
  const ISSUE = 'https://gitlab.example.com/provisioning/errors/-/issues/3000';
  const N = 3_000;
  const id = (i: number) => `big-${String(i).padStart(5, '0')}`;
  // Every 10th needs attention (two moves), every 100th is already resolved.
  const statusOf = (i: number) => (i % 100 === 0 ? 'resolved' : i % 10 === 0 ? 'needs_attention' : 'open');

  beforeAll(async () => {
    await seed(Array.from({ length: N }, (_, i) => record(id(i), { gitlabIssueLink: ISSUE, status: statusOf(i) })));
  });

  it('is resolved completely in chunks of bounded calls, each chunk handing the rest on by one event', async () => {
    const published: OutgoingEvent[] = [];
    const deps: ResolutionDeps = { store, publish: async (events) => (published.push(...events), []) };
    capture();

    const perChunk: Record<string, number>[] = [];
    const outcomes = [await resolveIssueChunk({ url: ISSUE, iid: 3000 }, null, 1, deps, quiet)];
    perChunk.push(counts());
    calls.length = 0;
    while (published.length > 0) {
      const event = published.shift()!;
      outcomes.push(await continueIssueResolution({ detail: JSON.parse(JSON.stringify(event.detail)) }, deps, quiet));
      perChunk.push(counts());
      calls.length = 0;
    }

    // Chunks of 500: six full ones, and a seventh that finds the index ends.
    expect(outcomes.map((o) => o.chunk)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outcomes.at(-1)!.next).toBeNull();
    for (const [i, chunk] of perChunk.entries()) {
      const full = i < 6;
      // One Query page, 5 BatchGetItem (100 keys each), at most 5 TransactWriteItems (100 records each): 11 calls.
      expect(chunk, `chunk ${i + 1}`).toEqual(full ? { QueryCommand: 1, BatchGetItemCommand: RESOLVE_CHUNK / 100, TransactWriteItemsCommand: RESOLVE_CHUNK / 100 } : { QueryCommand: 1 });
    }
    const all = outcomes.flatMap((o) => [...o.resolved, ...o.alreadyResolved, ...o.skipped]);
    expect(new Set(all).size).toBe(N);
    expect(outcomes.flatMap((o) => o.alreadyResolved)).toHaveLength(N / 100);
    expect(outcomes.flatMap((o) => o.resolved)).toHaveLength(N - N / 100);
    // 3 000 records, 7 + 30 + 30 = 67 calls: 0.022 per record (one by one it was 2 per record).
    expect(perChunk.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0)).toBe(67);

    const attention = await read(id(10));
    expect(attention.status).toBe('resolved');
    expect(attention.revision).toBe(4);
    expect((attention.changes as Item[]).slice(-2)).toMatchObject([
      { field: 'status', from: 'needs_attention', to: 'in_progress', actor: 'gitlab-webhook', reason: 'GitLab issue #3000 was closed' },
      { field: 'status', from: 'in_progress', to: 'resolved', actor: 'gitlab-webhook' },
    ]);
    expect(await read(id(2999))).toMatchObject({ status: 'resolved', revision: 4, resolvedAt: expect.any(String) });
    expect((await read(id(100))).revision).toBe(3); // it was resolved already: not written
  });

  it('reads only status, revision and link of each record while resolving', async () => {
    const published: OutgoingEvent[] = [];
    capture();
    await resolveIssueChunk({ url: ISSUE, iid: 3000 }, null, 1, { store, publish: async (events) => (published.push(...events), []) }, quiet);
    const gets = calls.filter((c) => c.command === 'BatchGetItemCommand');
    expect(gets.length).toBeGreaterThan(0);
    const items = gets.flatMap((c) => Object.values((c.output.Responses ?? {}) as Record<string, Item[]>).flat());
    expect(items).toHaveLength(RESOLVE_CHUNK);
    for (const item of items) expect(Object.keys(item).sort()).toEqual(['gitlabIssueLink', 'pk', 'revision', 'status']);
  });

  it('writes nothing when delivered again: every record is found resolved', async () => {
    const published: OutgoingEvent[] = [];
    const deps: ResolutionDeps = { store, publish: async (events) => (published.push(...events), []) };
    capture();
    const outcomes = [await resolveIssueChunk({ url: ISSUE, iid: 3000 }, null, 1, deps, quiet)];
    while (published.length > 0) outcomes.push(await continueIssueResolution({ detail: published.shift()!.detail }, deps, quiet));
    expect(outcomes.flatMap((o) => o.resolved)).toEqual([]);
    expect(outcomes.flatMap((o) => o.alreadyResolved)).toHaveLength(N);
    expect(counts().TransactWriteItemsCommand).toBeUndefined();
  });
});

describe('A chunk whose transaction is refused', () => {
  const ISSUE = 'https://gitlab.example.com/provisioning/errors/-/issues/7';

  it('goes record by record for that batch: a record changed meanwhile is decided again, one moved to another issue is skipped', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `race-${String(i).padStart(3, '0')}`);
    await seed(ids.map((id) => record(id, { gitlabIssueLink: ISSUE })));
    // Between the chunk's read and its write, an operator moves one record and relinks another.
    const racing = new (class extends ErrorStore {
      override async resolutionStates(list: readonly string[]): Promise<Map<string, ResolutionState>> {
        const states = await super.resolutionStates(list);
        if (list.includes('race-005')) {
          await this.applyChanges('race-005', 3, { status: 'needs_attention' }, [{ at: new Date().toISOString(), actor: 'operator', field: 'status', from: 'open', to: 'needs_attention' }]);
          await this.applyChanges('race-006', 3, { gitlabIssueLink: 'https://gitlab.example.com/other/-/issues/1' }, []);
        }
        return states;
      }
    })();
    capture();
    const outcome = await resolveIssueChunk({ url: ISSUE, iid: 7 }, null, 1, { store: racing, publish: async () => [] }, quiet);

    expect(outcome.skipped).toEqual(['race-006']);
    expect(outcome.resolved).toHaveLength(149);
    expect(outcome.next).toBeNull();
    // The first batch of 100 was refused and went one by one (GetItem + UpdateItem each, one record skipped after its read); the second was one transaction.
    expect(counts()).toMatchObject({ TransactWriteItemsCommand: 2, GetItemCommand: 100, UpdateItemCommand: 99 + 2 });
    expect((await read('race-005')).changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ from: 'needs_attention', to: 'in_progress', actor: 'gitlab-webhook' }), expect.objectContaining({ from: 'in_progress', to: 'resolved' })]),
    );
    expect((await read('race-006')).status).toBe('open');
  });
});

describe('The webhook, end to end through the local bus', () => {
  const ISSUE = 'https://gitlab.example.com/provisioning/errors/-/issues/1200';
  const closed = { object_kind: 'issue', object_attributes: { iid: 1200, url: ISSUE, state: 'closed', action: 'close' } };
  const webhook = () => client(runtime).call('POST', '/v1/webhooks/gitlab', closed, { token: null, headers: { 'x-gitlab-event': 'Issue Hook', 'x-gitlab-token': WEBHOOK_SECRET } });

  it('answers 202 with the first chunk, and the events resolve the rest', async () => {
    const ids = Array.from({ length: 1_200 }, (_, i) => `e2e-${String(i).padStart(4, '0')}`);
    await seed(ids.map((id) => record(id, { gitlabIssueLink: ISSUE })));

    const res = await webhook();
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ issue: ISSUE, continues: true });
    expect(res.body.resolved).toHaveLength(RESOLVE_CHUNK);
    await runtime.bus.drain();
    for (const id of [ids[0]!, ids[599]!, ids[1_199]!]) expect((await read(id)).status).toBe('resolved');
    const states = await store.resolutionStates(ids);
    expect([...states.values()].filter((s) => s.status !== 'resolved')).toEqual([]);

    const again = await webhook();
    expect(again.status).toBe(202);
    expect(again.body.resolved).toEqual([]);
  });
});

describe('Projections', () => {
  it("digests read a record's listing and notification state, never its payload, backtrace or change log", async () => {
    await seed([
      record('digest-new', { createdAt: '2026-04-01T10:00:00.000Z', status: 'open', payload: BIG_PAYLOAD, changes: LONG_CHANGES }),
      record('digest-old', { createdAt: '2026-03-20T10:00:00.000Z', status: 'needs_attention', gitlabIssueLink: 'https://gitlab.example.com/x/-/issues/1', payload: BIG_PAYLOAD, changes: LONG_CHANGES }),
    ]);
    capture();
    const created = await store.digestRecordsCreatedBetween('2026-04-01T00:00:00.000Z', '2026-04-02T00:00:00.000Z');
    const attention = await store.digestRecordsWithStatus('needs_attention');

    expect(created).toEqual([
      { id: 'digest-new', code: 'renewal_not_processed', subject: 'subscription:digest-new', message: 'renewal of digest-new not processed', status: 'open', occurrences: 1,
        firstSeenAt: '2026-04-01T10:00:00.000Z', lastSeenAt: '2026-04-01T10:00:00.000Z', createdAt: '2026-04-01T10:00:00.000Z', gitlabIssueLink: null, notification: 'sent' },
    ]);
    expect(attention.map((r) => r.id)).toContain('digest-old');
    const items = itemsRead().filter((i) => pkOf(i).startsWith('ERR#digest-'));
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) for (const heavy of ['payload', 'changes', 'backtrace', 'errorType', 'fingerprint']) expect(item).not.toHaveProperty(heavy);
    // The whole records are over 30 KB each; what the digest read of them is a few hundred bytes.
    expect(JSON.stringify(items).length).toBeLessThan(items.length * 600);
  });

  it("the audit reads of unresolved records only what it uses of them: of the payload, its date and namespaces", async () => {
    await seed([record('audit-open', { createdAt: '2026-04-02T10:00:00.000Z', status: 'open', changes: LONG_CHANGES, payload: { ...BIG_PAYLOAD, pointerNamespaceId: 8, holderNamespaceIds: [9], other: 'z'.repeat(5_000) } })]);
    capture();
    const records = await new AuditStore().unresolvedAuditRecords();

    expect(records.find((r) => r.id === 'audit-open')).toEqual({
      id: 'audit-open', code: 'renewal_not_processed', subject: 'subscription:audit-open', status: 'open',
      payload: { asOf: '2026-03-01', namespaceId: 7, pointerNamespaceId: 8, holderNamespaceIds: [9] }, reportedAsOf: '2026-03-01',
    });
    const items = itemsRead().filter((i) => pkOf(i).startsWith('ERR#'));
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) for (const heavy of ['changes', 'backtrace', 'message']) expect(item).not.toHaveProperty(heavy);
    for (const item of items) expect(JSON.stringify(item)).not.toContain('xxxxxxxx');
  });
});
