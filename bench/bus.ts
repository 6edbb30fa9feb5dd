/**
 * The bus path: commerce events put on the local bus in PutEvents batches → the command's function
 * applies each (the rule's asynchronous delivery) → the outbox publishes `Namespace Subscription
 * Changed` on the same bus. The runtime runs in its own process (bench/runtime-child.ts), which
 * reports each change the moment its bus dispatches it.
 *
 * A closed loop, as the throughput figures: each of `concurrency` senders puts a batch of seat-usage
 * reports for namespaces of its own, waits until every change of the batch is published, then sends
 * the next; a namespace is never in two batches under way, so no report is stale or contended.
 */
import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { BUS_NAME } from '../shared/service/manifest.js';
import { COMMERCE_SOURCE } from '../shared/platform/manifest-types.js';
import { commands } from '../shared/lifecycle/commands.js';
import { LOCAL_REGION } from '../local/dynamodb.js';
import { epochMs } from './clock.js';
import { processCpuMs } from './cpu.js';
import type { Progress } from './progress.js';
import type { LatencyMs } from './results.js';
import { quantile } from './results.js';
import { MEASURED_FROM, TERM, closedLoop, namespacesOf } from './throughput.js';
import type { RuntimeChild } from './throughput.js';

export interface BusOptions {
  runtime: RuntimeChild;
  /** The local bus takes PutEvents signed by the access key `provisioning-local` with the service token as its secret. */
  serviceToken: string;
  /** DynamoDB Local's Java process, for its CPU time. */
  dynamoPid?: number;
  concurrency: number;
  /** Entries per PutEvents call (EventBridge takes at most 10). */
  batchSize: number;
  /** Namespaces each sender owns; at least `batchSize`, so a batch never names one twice. */
  namespacesPerWorker: number;
  warmupMs: number;
  rounds: number;
  roundMs: number;
  /** How long a batch's changes may take to be published before the bench gives up (default 30 s). */
  publishTimeoutMs?: number;
  progress: Progress;
}

export interface BusFigures {
  concurrency: number;
  batchSize: number;
  namespaces: number;
  /** Events whose change was published during the measured rounds (each one applied first). */
  events: number;
  seconds: number;
  /** Events per second of each round. */
  perRound: number[];
  /** From the PutEvents call to the change on the bus, per event. */
  latencyMs: LatencyMs;
  /** The PutEvents call itself (the bus accepts, then delivers asynchronously). */
  putEventsMs: LatencyMs;
  /** Batches that failed (an entry refused, a change not published in time). */
  errors: number;
  errorSamples: string[];
  /** CPU time per event: the runtime's process (the handler, the outbox, the bus) and DynamoDB Local's. */
  cpuMsPerEvent: { runtime: number; dynamodb: number };
}

/** Percentiles of `values` as LatencyMs (nearest rank); zeros for none. */
export const latencyOf = (values: readonly number[]): LatencyMs => ({
  p50: quantile(values, 0.5),
  p99: quantile(values, 0.99),
  max: values.length ? values.reduce((a, b) => Math.max(a, b), -Infinity) : 0,
});

/**
 * Which of a sender's namespaces its `batch`-th batch (from 0) names: the next `size` of them, in a
 * cycle. Distinct within a batch as long as `size` ≤ the namespaces it owns.
 *
 * @example
 * batchNamespaces([1, 2, 3, 4, 5], 1, 3); // [4, 5, 1]
 */
export function batchNamespaces(owned: readonly number[], batch: number, size: number): number[] {
  if (size > owned.length) throw new Error(`a batch of ${size} needs at least ${size} namespaces per sender; it has ${owned.length}`);
  return Array.from({ length: size }, (_, i) => owned[(batch * size + i) % owned.length]!);
}

/** Waits for the changes the runtime reports, by the eventId of the command that made them. */
class PublishedChanges {
  private readonly waiting = new Map<string, (atMs: number) => void>();

  readonly onPublished = (eventId: string, atMs: number): void => {
    const resolve = this.waiting.get(eventId);
    if (!resolve) return;
    this.waiting.delete(eventId);
    resolve(atMs);
  };

  /** Resolves with each event's publication time, in order; rejects after `timeoutMs` naming how many are missing. */
  async all(eventIds: readonly string[], timeoutMs: number, sent: Promise<unknown>): Promise<number[]> {
    // Registered before the call is sent: a change can be published before PutEvents answers.
    const each = eventIds.map((id) => new Promise<number>((resolve) => this.waiting.set(id, resolve)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const missing = eventIds.filter((id) => this.waiting.delete(id));
        reject(new Error(`${missing.length} of ${eventIds.length} events were not published as a change within ${timeoutMs / 1000} s of their PutEvents (first: ${missing[0]}): see the runtime's log`));
      }, timeoutMs);
    });
    try {
      await Promise.race([sent, timeout]);
      return await Promise.race([Promise.all(each), timeout]);
    } catch (error) {
      for (const id of eventIds) this.waiting.delete(id);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

export async function measureBus(options: BusOptions): Promise<BusFigures> {
  const { runtime, progress, concurrency, batchSize } = options;
  const runId = randomBytes(4).toString('hex');
  const timeoutMs = options.publishTimeoutMs ?? 30_000;
  const owned = Array.from({ length: concurrency }, (_, w) => namespacesOf(w, options.namespacesPerWorker, 5_000_000));
  const batches = Array.from({ length: concurrency }, () => 0);
  const reports = new Map<number, number>();
  let seq = 0;
  const events = new EventBridgeClient({
    endpoint: `${runtime.url}/eventbridge`,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'provisioning-local', secretAccessKey: options.serviceToken },
    // A failed call is counted, not retried: a retry would send its batch twice.
    maxAttempts: 1,
  });
  const changes = new PublishedChanges();
  let measuring = false;
  const latencies: number[] = [];
  const putLatencies: number[] = [];

  const entry = (detailType: string, detail: Record<string, unknown>): PutEventsRequestEntry => ({
    EventBusName: BUS_NAME,
    Source: COMMERCE_SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
  });
  const created = (ns: number) =>
    entry(commands.created.detailType, {
      eventId: `${runId}-bus-create-${ns}`,
      occurredAt: `${TERM.startDate}T00:00:00Z`,
      subscriptionId: `bench-bus-${runId}-${ns}`,
      namespaceId: ns,
      planCode: 'premium',
      seats: 25,
      ...TERM,
      autoRenew: true,
    });
  const seatUsage = (ns: number) => {
    const n = (reports.get(ns) ?? 0) + 1;
    reports.set(ns, n);
    const measuredAt = new Date(MEASURED_FROM + n * 60_000).toISOString();
    return entry(commands.seatUsageReported.detailType, { eventId: `${runId}-bus-u-${++seq}`, occurredAt: measuredAt, namespaceId: ns, seatsInUse: 1 + ((n * 7 + ns) % 40), measuredAt });
  };

  /** Puts one batch and waits for its changes. */
  const send = async (entries: PutEventsRequestEntry[]): Promise<void> => {
    const eventIds = entries.map((e) => (JSON.parse(e.Detail!) as { eventId: string }).eventId);
    const sentAt = epochMs();
    const call = events.send(new PutEventsCommand({ Entries: entries })).then((out) => {
      const answeredAt = epochMs();
      if (out.FailedEntryCount) {
        const failed = out.Entries?.find((e) => e.ErrorCode);
        throw new Error(`the local bus refused ${out.FailedEntryCount} of ${entries.length} entries: ${failed?.ErrorCode} ${failed?.ErrorMessage}`);
      }
      return answeredAt;
    });
    const [publishedAt, answeredAt] = await Promise.all([changes.all(eventIds, timeoutMs, call), call]);
    if (measuring) {
      putLatencies.push(answeredAt - sentAt);
      for (const at of publishedAt) latencies.push(at - sentAt);
    }
  };
  const nextBatch = (worker: number, make: (ns: number) => PutEventsRequestEntry) => batchNamespaces(owned[worker]!, batches[worker]!++, batchSize).map(make);

  await runtime.watchBus(changes.onPublished);
  try {
    const namespaces = concurrency * options.namespacesPerWorker;
    progress.start(`bus: Subscription Created for ${namespaces} namespaces through the bus, then seat-usage reports for ${options.warmupMs / 1000} s (warm-up)`);
    await Promise.all(
      owned.map(async (mine) => {
        for (let i = 0; i < mine.length; i += batchSize) await send(mine.slice(i, i + batchSize).map(created));
      }),
    );
    const warm = await closedLoop(concurrency, options.warmupMs, (worker) => send(nextBatch(worker, seatUsage)));
    if (warm.ok === 0) throw new Error(`bus warm-up: every batch failed: ${warm.errorSamples.join(' | ')}`);
    await runtime.settle();
    progress.done('ready');

    measuring = true;
    const perRound: number[] = [];
    let ok = 0;
    let errors = 0;
    let seconds = 0;
    const errorSamples: string[] = [];
    const cpuBefore = { runtime: processCpuMs(runtime.pid), dynamodb: options.dynamoPid ? processCpuMs(options.dynamoPid) : Number.NaN };
    for (let round = 1; round <= options.rounds; round++) {
      progress.start(`bus: seat-usage reports in PutEvents batches of ${batchSize}, round ${round}/${options.rounds}, ${concurrency} concurrent, ${options.roundMs / 1000} s`);
      const result = await closedLoop(concurrency, options.roundMs, (worker) => send(nextBatch(worker, seatUsage)), ({ ok: batchesOk, elapsedMs }) =>
        progress.update(`${batchesOk * batchSize} events published, ${((batchesOk * batchSize) / (elapsedMs / 1000)).toFixed(0)}/s`),
      );
      ok += result.ok;
      errors += result.errors;
      seconds += result.seconds;
      errorSamples.push(...result.errorSamples.slice(0, 5 - errorSamples.length));
      perRound.push((result.ok * batchSize) / result.seconds);
      progress.done(`${perRound.at(-1)!.toFixed(1)} events/s${result.errors ? `, ${result.errors} failed batches: ${result.errorSamples[0]}` : ''}`);
    }
    const cpuAfter = { runtime: processCpuMs(runtime.pid), dynamodb: options.dynamoPid ? processCpuMs(options.dynamoPid) : Number.NaN };
    const published = ok * batchSize;
    const perEvent = (ms: number) => (published > 0 ? ms / published : Number.NaN);
    return {
      concurrency,
      batchSize,
      namespaces,
      events: published,
      seconds,
      perRound,
      latencyMs: latencyOf(latencies),
      putEventsMs: latencyOf(putLatencies),
      errors,
      errorSamples,
      cpuMsPerEvent: { runtime: perEvent(cpuAfter.runtime - cpuBefore.runtime), dynamodb: perEvent(cpuAfter.dynamodb - cpuBefore.dynamodb) },
    };
  } catch (error) {
    const stderr = runtime.lastErrors();
    throw stderr ? new Error(`${(error as Error).message} (runtime stderr: ${stderr})`, { cause: error }) : error;
  } finally {
    await runtime.unwatchBus().catch(() => undefined);
    events.destroy();
  }
}
