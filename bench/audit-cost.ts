/**
 * What one reconciliation audit costs, in DynamoDB read capacity, over N subscriptions with the
 * same number due: the figure behind "its cost grows with what is due, not with the number of
 * subscriptions". For each N, fresh tables (the same specs as the stack) are seeded with
 * BatchWriteItem — N realistic namespace states with their pointers, written as the store writes
 * them (due attributes and changedOn included): `due` of them overdue (renewal, expiry,
 * reconciliation, trial end in turn), the rest not (active terms ending later, free and expired
 * namespaces), a previous run completed yesterday, and the same few associations changed since.
 * Then one audit runs in this process with every read asking for ReturnConsumedCapacity TOTAL,
 * summed by the audit store's counter (due indexes, byChangedOn, items by key, run items, the error
 * log's index). `ratio` is the read units of the largest N over the smallest: about 1 when the
 * cost follows what is due.
 */
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, createTableInput } from '../local/dynamodb.js';
import { tableSpecs } from '../shared/platform/tables.js';
import { runAudit } from '../shared/audit/run.js';
import { AuditStore, latestKey } from '../shared/audit/store.js';
import { addDays } from '../shared/audit/domain.js';
import { DUE_KINDS, dueAttributes } from '../shared/lifecycle/domain/due.js';
import type { DueKind } from '../shared/lifecycle/domain/due.js';
import { emptyState, seatsOwed } from '../shared/lifecycle/domain/rules.js';
import type { NamespaceState } from '../shared/lifecycle/domain/types.js';
import { logger } from '../shared/platform/log.js';
import { sleep } from '../shared/platform/backoff.js';

export interface AuditCostOptions {
  dynamoEndpoint: string;
  /** Sizes to measure, smallest first, e.g. [1000, 20000]. */
  subscriptions: number[];
  /** How many of them are due (the same for every size), e.g. 100. */
  due: number;
  /** Optional progress display (bench/progress.ts). */
  progress?: { start(step: string): void; update(detail: string): void; done(summary: string): void };
}

export interface AuditCostFigures {
  subscriptions: number[];
  due: number;
  /** Read capacity units one audit consumed, per size. */
  readUnits: number[];
  /** readUnits of the largest size over the smallest. */
  ratio: number;
}

/** Associations changed since the previous run: the same handful at every size (today's creations). */
export const CHANGED_SINCE_LAST_RUN = 20;
const WRITE_BATCH = 25;
const WRITERS = 8;

/** Seeds each size in its own tables, audits once, and answers the read units consumed. */
export async function measureAuditCost(options: AuditCostOptions): Promise<AuditCostFigures> {
  if (options.subscriptions.length === 0) throw new Error('measureAuditCost needs at least one size');
  const readUnits: number[] = [];
  for (const size of options.subscriptions) {
    if (options.due > size) throw new Error(`${options.due} due cannot be more than ${size} subscriptions`);
    readUnits.push(await measureOne(options, size));
  }
  const ratio = readUnits[0]! > 0 ? Math.round((readUnits.at(-1)! / readUnits[0]!) * 1000) / 1000 : Number.NaN;
  return { subscriptions: [...options.subscriptions], due: options.due, readUnits, ratio };
}

async function measureOne(options: AuditCostOptions, size: number): Promise<number> {
  const { progress } = options;
  const raw = new DynamoDBClient({ endpoint: options.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 5 });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const tables = await auditTables(raw, `audit-cost-${size}-${randomBytes(3).toString('hex')}-`);
  try {
    const today = new Date().toISOString().slice(0, 10);
    progress?.start(`audit cost: seeding ${size.toLocaleString('en')} subscriptions (${options.due} due)`);
    const items = seedItems(size, options.due, today);
    await writeAll(client, tables.state!, items, (written) => progress?.update(`${written.toLocaleString('en')} / ${items.length.toLocaleString('en')} items`));
    progress?.done(`${items.length.toLocaleString('en')} items`);

    progress?.start(`audit cost: one audit over ${size.toLocaleString('en')} subscriptions`);
    const store = new AuditStore({ client, stateTable: () => tables.state!, errorsTable: () => tables.errors! });
    let published = 0;
    const summary = await runAudit(
      { asOf: today, trigger: 'manual', actor: 'bench', budgetMs: 30 * 60_000, leaseMs: 31 * 60_000 },
      {
        store,
        publish: async (findings) => void (published += findings.length),
        resolve: async () => 'skipped',
        metrics: { lagHours: () => undefined, completed: () => undefined, findings: () => undefined },
        now: () => new Date(),
        log: logger,
      },
    );
    // The figure only counts if the audit did the whole job: every due item found, nothing else.
    if (summary.status !== 'completed' || summary.total !== options.due || published !== options.due) {
      throw new Error(`the audit over ${size} subscriptions found ${String(summary.total)} of ${options.due} due (${summary.status}): the bench's seed and the audit disagree`);
    }
    const units = Math.round(store.capacity.readUnits * 10) / 10;
    progress?.done(`${units} read units (${store.capacity.reads} reads)`);
    return units;
  } finally {
    for (const name of Object.values(tables)) await raw.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    client.destroy();
  }
}

/**
 * The tables of the stack (same keys and indexes) without their streams: the audit reads no stream,
 * and DynamoDB Local writes stream records one by one, which makes seeding 20,000 namespaces slow.
 */
async function auditTables(client: DynamoDBClient, prefix: string): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const spec of tableSpecs) {
    const name = `${prefix}${spec.key}`;
    const { StreamSpecification: _stream, ...input } = createTableInput(spec, name);
    await client.send(new CreateTableCommand(input));
    names[spec.key] = name;
  }
  return names;
}

/** Which kind each due item is overdue for, in turn. */
const dueKindOf = (index: number): DueKind => DUE_KINDS[index % DUE_KINDS.length]!;

/**
 * The items a service with `size` subscriptions holds, as the store writes them: states (due
 * attributes and changedOn) and pointers, plus yesterday's completed run.
 */
export function seedItems(size: number, due: number, today: string): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  const stride = Math.max(1, Math.floor(size / Math.max(due, 1)));
  const dueAt = new Map<number, DueKind>();
  for (let k = 0; k < due; k++) dueAt.set(1 + k * stride, dueKindOf(k));
  const changedToday = new Set<number>();
  for (let id = size; changedToday.size < Math.min(CHANGED_SINCE_LAST_RUN, size - due) && id > 0; id--) if (!dueAt.has(id)) changedToday.add(id);

  for (let namespaceId = 1; namespaceId <= size; namespaceId++) {
    const state = stateFor(namespaceId, today, dueAt.get(namespaceId));
    const changedOn = changedToday.has(namespaceId) ? today : (state.startDate ?? addDays(today, -400));
    items.push({ pk: `NS#${namespaceId}`, sk: 'STATE', ...state, ...dueAttributes(state), changedOn });
    if (state.subscriptionId) {
      items.push({ pk: `SUB#${state.subscriptionId}`, sk: 'SUB', subscriptionId: state.subscriptionId, namespaceId, associatedAt: `${changedOn}T09:00:00.000Z`, changedOn });
    }
  }
  const yesterday = addDays(today, -1);
  items.push({ ...latestKey, asOf: yesterday, runId: 'bench-previous-run', completedAt: `${yesterday}T05:03:00.000Z`, watermark: yesterday });
  return items;
}

function stateFor(namespaceId: number, today: string, due: DueKind | undefined): NamespaceState {
  const startDate = addDays(today, -200 - (namespaceId % 150));
  const paid: NamespaceState = {
    ...emptyState(namespaceId),
    subscriptionId: `BENCH-S${namespaceId}`,
    planCode: namespaceId % 4 === 0 ? 'ultimate' : 'premium',
    paidPlanCode: namespaceId % 4 === 0 ? 'ultimate' : 'premium',
    seats: 10 + (namespaceId % 40),
    seatsInUse: 7 + (namespaceId % 30),
    maxSeatsUsed: 9 + (namespaceId % 30),
    maxSeatsUsedChangedAt: `${startDate}T12:00:00.000Z`,
    startDate,
    endDate: addDays(startDate, 365),
    autoRenew: namespaceId % 3 !== 0,
    nextReconciliationDate: addDays(today, 1 + (namespaceId % 90)),
    status: 'active',
    lastMeasuredAt: `${addDays(today, -1)}T04:00:00.000Z`,
    version: 5 + (namespaceId % 20),
    updatedAt: `${addDays(today, -1)}T04:00:01.000Z`,
  };
  let state: NamespaceState;
  switch (due) {
    case 'renewal':
      state = { ...paid, autoRenew: true, endDate: addDays(today, -3) };
      break;
    case 'expiry':
      state = { ...paid, autoRenew: false, endDate: addDays(today, -2) };
      break;
    case 'reconciliation':
      state = { ...paid, seats: 10, maxSeatsUsed: 14, nextReconciliationDate: addDays(today, -5) };
      break;
    case 'trialEnd':
      state = { ...emptyState(namespaceId), planCode: 'ultimate_trial', trial: true, trialStartsOn: addDays(today, -31), trialEndsOn: addDays(today, -1), version: 1, updatedAt: paid.updatedAt };
      break;
    default:
      // Not due: mostly active terms ending later; some free namespaces, some expired subscriptions.
      state =
        namespaceId % 10 === 0
          ? { ...emptyState(namespaceId), seatsInUse: 3, lastMeasuredAt: paid.lastMeasuredAt, version: 4, updatedAt: paid.updatedAt }
          : namespaceId % 10 === 5
            ? { ...paid, status: 'expired', planCode: 'free', paidPlanCode: null, autoRenew: false, nextReconciliationDate: null }
            : paid;
  }
  return { ...state, seatsOwed: seatsOwed(state) };
}

async function writeAll(client: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[], onProgress: (written: number) => void): Promise<void> {
  let next = 0;
  let written = 0;
  const writer = async () => {
    while (next < items.length) {
      const batch = items.slice(next, next + WRITE_BATCH);
      next += WRITE_BATCH;
      let pending: Array<{ PutRequest: { Item: Record<string, unknown> } }> = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 10) throw new Error('DynamoDB Local kept items of a BatchWriteItem unprocessed');
        if (attempt > 0) await sleep(20 * 2 ** attempt);
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
      written += batch.length;
      onProgress(written);
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}
