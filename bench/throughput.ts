/**
 * Throughput and memory: seat-usage reports over HTTP through the local runtime (in a process of its
 * own), against the same DynamoDB calls sent straight — the same items, to the same tables of the
 * same DynamoDB Local, at the same concurrency — in alternating rounds of the same run. Both load
 * generators run in a third process (bench/load-child.ts); this one only orders the rounds and reads
 * the processes' CPU times.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { requestHash } from '../shared/lifecycle/execute.js';
import { append } from '../shared/lifecycle/domain/log.js';
import { emptyState, publicState } from '../shared/lifecycle/domain/rules.js';
import type { FoldState, LifecycleCommand } from '../shared/lifecycle/domain/types.js';
import { IDEMPOTENCY_TTL_DAYS, historySk, logItem, nsKey, stateAuditAttributes, toStateRead } from '../shared/lifecycle/store.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localTableName } from '../local/dynamodb.js';
import { tableSpecs } from '../shared/platform/tables.js';
import type { TableKey } from '../shared/platform/tables.js';
import { REPO_ROOT } from '../local/runtime.js';
import { busyPercent, machineCpu, processCpuMs } from './cpu.js';
import type { Progress } from './progress.js';
import { firstError } from './text.js';
import type { ChildMessage, ChildRequest } from './runtime-child.js';
import type { LoadChildSetup, LoadMessage, LoadRequest, LoadSide } from './load-child.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
import type { LoadFigures } from './results.js';
import { quantile } from './results.js';

export interface ThroughputOptions {
  /** The runtime under load, in a process of its own. */
  runtime: RuntimeChild;
  tokens: { service: string; operator: string };
  dynamoEndpoint: string;
  /** The runtime's tables: the raw sides write them too. */
  tablePrefix: string;
  /** DynamoDB Local's Java process, for its CPU time. */
  dynamoPid?: number;
  concurrency: number;
  /** Namespaces each worker owns: its reports to one namespace are sequential, so none is stale or contended. */
  namespacesPerWorker: number;
  /** Warm-up of the raw sides; the service warms up longer: it runs more code paths in DynamoDB Local's JVM (BatchGetItem, GetRecords) and in the runtime. */
  warmupMs: number;
  serviceWarmupMs: number;
  /** Rounds of (service, raw) or (raw, service), alternating; each side runs roundMs per round. */
  rounds: number;
  roundMs: number;
  /** Also measure BatchGetItem + TransactWriteItems straight to DynamoDB (the service's two calls). */
  readWriteSide: boolean;
  progress: Progress;
  /** Write a CPU profile of the runtime for each service round into this directory. */
  profileDir?: string;
}

export interface ThroughputFigures {
  concurrency: number;
  namespaces: number;
  service: LoadFigures;
  raw: LoadFigures;
  /** BatchGetItem then TransactWriteItems, as the service's two calls, straight to DynamoDB; null when the run skipped that side (--quick). */
  rawReadWrite: LoadFigures | null;
  /** Approximate sizes of the three items of one transaction (JSON of the document). */
  itemBytes: { state: number; history: number; idempotency: number; log: number };
  rss: {
    peakMb: number;
    endMb: number;
    pid: number;
    /** Before any function ran: the runtime alone (the HTTP server, the bus, the IAM gate). */
    baseMb: number;
    /** Warm execution environments at the end, per function. */
    environments: Record<string, number>;
    /** (end − base) ÷ environments: what one warm isolated function costs. */
    perEnvironmentMb: number;
  };
}

// ---------------------------------------------------------------------------------------------
// The runtime in its own process

/** The local runtime started by bench/runtime-child.ts, driven over IPC. */
export class RuntimeChild {
  private requestId = 0;
  private readonly waiters = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private stderr = '';
  private publishedListener: ((eventId: string, atMs: number) => void) | undefined;
  /** Warm execution environments per function, as of the last settle. */
  environments: Record<string, number> = {};

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly pid: number,
  ) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'done') {
        if (message.environments) this.environments = message.environments;
        this.waiters.get(message.id)?.resolve();
        this.waiters.delete(message.id);
      } else if (message.type === 'published') this.publishedListener?.(message.eventId, message.atMs);
      else if (message.type === 'error') this.failAll(new Error(`the runtime process: ${message.message}`));
    });
    child.once('exit', (code, signal) => this.failAll(new Error(`the runtime process exited (${signal ?? code}): ${this.lastErrors()}`)));
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  static async start(options: { dynamoEndpoint: string; tablePrefix: string; tokens: { service: string; operator: string } }): Promise<RuntimeChild> {
    // As npm start runs it (package.json): the runtime's own thread keeps a small young generation.
    const child = spawn(process.execPath, ['--max-semi-space-size=2', '--import', 'tsx', path.join(REPO_ROOT, 'bench', 'runtime-child.ts')], {
      cwd: REPO_ROOT,
      // Its log lines (INFO, as in Lambda) are written, then thrown away.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        // As in Lambda: INFO logs and metrics (EMF) written for every request.
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_DISABLED: 'false',
        BENCH_DYNAMODB_ENDPOINT: options.dynamoEndpoint,
        BENCH_TABLE_PREFIX: options.tablePrefix,
        PROVISIONING_SERVICE_TOKEN: options.tokens.service,
        PROVISIONING_OPERATOR_TOKEN: options.tokens.operator,
      },
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the runtime process did not start within 60 s: ${firstError(stderr)}`)), 60_000);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the runtime process exited (${code}) during start-up: ${firstError(stderr)}`));
      });
    });
    const runtime = new RuntimeChild(child, ready.url, ready.pid);
    child.stderr?.on('data', (chunk: Buffer) => {
      runtime.stderr = (runtime.stderr + chunk.toString('utf8')).slice(-4000);
    });
    return runtime;
  }

  /** Stops the runtime's idle execution environments (those the seeding left warm), as Lambda reclaims idle ones. */
  reclaimIdle(): Promise<void> {
    return this.request({ type: 'reclaimIdle' }, 'the runtime did not stop its idle environments');
  }

  /** Resolves once the runtime's outbox has caught up with every applied change. */
  settle(): Promise<void> {
    return this.request({ type: 'settle' }, 'the runtime\'s outbox did not settle');
  }

  /**
   * Calls `listener` for each Namespace Subscription Changed the runtime's outbox puts on its bus,
   * with the command's eventId and when the bus dispatched it (bench/clock.ts epochMs), until
   * unwatchBus.
   */
  async watchBus(listener: (eventId: string, atMs: number) => void): Promise<void> {
    this.publishedListener = listener;
    await this.request({ type: 'watchBus' }, 'the runtime did not start watching its bus');
  }

  async unwatchBus(): Promise<void> {
    await this.request({ type: 'unwatchBus' }, 'the runtime did not stop watching its bus');
    this.publishedListener = undefined;
  }

  /** CPU-profiles the runtime process until profileStop, which writes the profile to `file`. */
  profileStart(): Promise<void> {
    return this.request({ type: 'profileStart' }, 'the runtime did not start profiling');
  }

  profileStop(file: string): Promise<void> {
    return this.request({ type: 'profileStop', file }, 'the runtime did not write its profile');
  }

  private request(message: DistributiveOmit<ChildRequest, 'id'>, failure: string, timeoutMs = 60_000): Promise<void> {
    const id = ++this.requestId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`${failure} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.set(id, {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.child.send({ ...message, id });
    });
  }

  /** VmHWM (peak) and VmRSS (now) of the runtime's process, in MB; NaN once it has exited. */
  memory(): { peakMb: number; rssMb: number } {
    let status = '';
    try {
      status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      /* exited */
    }
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  }

  /** Starts the peak anew (Linux: `echo 5 > /proc/PID/clear_refs`); false when the kernel refuses. */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** The last lines the runtime wrote to stderr (for error messages). */
  lastErrors(): string {
    return this.stderr.trim().split('\n').slice(-5).join(' | ');
  }
}

/** The load generators (bench/load-child.ts) in a process of their own, driven over IPC. */
export class LoadChild {
  private requestId = 0;
  private readonly waiters = new Map<number, { resolve: (result: LoopResult | null) => void; reject: (error: Error) => void }>();
  private stderr = '';
  itemBytes: RawSide['itemBytes'] = { state: 0, history: 0, idempotency: 0, log: 0 };

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'done') {
        this.itemBytes = message.itemBytes;
        this.waiters.get(message.id)?.resolve(message.result);
        this.waiters.delete(message.id);
      } else if (message.type === 'error') {
        const error = new Error(`the load generator: ${message.message}`);
        if (message.id === undefined) this.failAll(error);
        else {
          this.waiters.get(message.id)?.reject(error);
          this.waiters.delete(message.id);
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.once('exit', (code, signal) => this.failAll(new Error(`the load generator exited (${signal ?? code}): ${this.lastErrors()}`)));
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  static async start(setup: LoadChildSetup): Promise<LoadChild> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'load-child.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', BENCH_LOAD: JSON.stringify(setup) },
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the load generator did not start within 60 s: ${firstError(stderr)}`)), 60_000);
      child.on('message', (message: LoadMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.pid);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the load generator exited (${code}) during start-up: ${firstError(stderr)}`));
      });
    });
    return new LoadChild(child, pid);
  }

  /** A paid subscription on every namespace of the service side and of the raw sides. */
  async seed(): Promise<void> {
    await this.request({ type: 'seed' });
  }

  /** One closed loop of `side` for `ms`. */
  async run(side: LoadSide, ms: number): Promise<LoopResult> {
    const result = await this.request({ type: 'run', side, ms });
    if (!result) throw new Error(`the load generator answered no result for a ${side} run`);
    return result;
  }

  private request(message: DistributiveOmit<Exclude<LoadRequest, { type: 'stop' }>, 'id'>): Promise<LoopResult | null> {
    const id = ++this.requestId;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.child.send({ ...message, id });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  lastErrors(): string {
    return this.stderr.trim().split('\n').slice(-5).join(' | ');
  }
}

// ---------------------------------------------------------------------------------------------
// A closed-loop load generator

export interface LoopResult {
  ok: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  errorSamples: string[];
}

interface CpuSpent {
  runtimeMs: number;
  dynamodbMs: number;
  benchMs: number;
  machineBusyPercent: number;
}

/**
 * Runs `concurrency` workers, each sending its next request as soon as the previous one answers,
 * for `durationMs`; requests under way at the deadline finish and count.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  op: (worker: number) => Promise<void>,
  onTick?: (sofar: { ok: number; errors: number; elapsedMs: number }) => void,
): Promise<LoopResult> {
  const result: LoopResult = { ok: 0, errors: 0, seconds: 0, latenciesMs: [], errorSamples: [] };
  const start = performance.now();
  const deadline = start + durationMs;
  const ticker = onTick ? setInterval(() => onTick({ ok: result.ok, errors: result.errors, elapsedMs: performance.now() - start }), 200) : undefined;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await op(worker);
            result.latenciesMs.push(performance.now() - t0);
            result.ok++;
          } catch (error) {
            result.errors++;
            if (result.errorSamples.length < 5) result.errorSamples.push((error as Error).message.slice(0, 300));
          }
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

function toLoadFigures(results: LoopResult[], cpu: CpuSpent[]): LoadFigures {
  const latencies = results.flatMap((r) => r.latenciesMs);
  const sum = (pick: (c: CpuSpent) => number) => cpu.reduce((total, c) => total + pick(c), 0);
  return {
    cpu: {
      runtimeMs: sum((c) => c.runtimeMs),
      dynamodbMs: sum((c) => c.dynamodbMs),
      benchMs: sum((c) => c.benchMs),
      machineBusyPercent: cpu.length ? sum((c) => c.machineBusyPercent) / cpu.length : 0,
    },
    requests: results.reduce((sum, r) => sum + r.ok, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    seconds: results.reduce((sum, r) => sum + r.seconds, 0),
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.length ? Math.max(...latencies) : 0 },
    perRound: results.map((r) => (r.seconds > 0 ? r.ok / r.seconds : 0)),
  };
}

// ---------------------------------------------------------------------------------------------
// The two sides

/** Namespace ids of one worker: disjoint between workers. */
export const namespacesOf = (worker: number, count: number, base: number) => Array.from({ length: count }, (_, i) => base + worker * 10_000 + i + 1);

/** A measurement per minute from here on: each report is newer than the last one for its namespace. */
export const MEASURED_FROM = Date.parse('2026-03-01T00:00:00Z');
export const TERM = { startDate: '2026-01-01', endDate: '2027-01-01' } as const;

/** Seat-usage reports over HTTP (node:http, keep-alive) to the runtime. */
export class ServiceSide {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly namespaces: number[][];
  private readonly sent = new Map<number, number>();
  private next: number[];
  private seq = 0;

  constructor(
    url: string,
    private readonly token: string,
    concurrency: number,
    namespacesPerWorker: number,
    private readonly runId: string,
  ) {
    this.base = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    this.namespaces = Array.from({ length: concurrency }, (_, w) => namespacesOf(w, namespacesPerWorker, 1_000_000));
    this.next = Array.from({ length: concurrency }, () => 0);
  }

  /** A paid subscription on every namespace, so reports update a full state as they do in production. */
  async seed(concurrency: number): Promise<void> {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (const ns of this.namespaces[worker]!) {
          await this.call('POST', '/v1/subscriptions', {
            eventId: `${this.runId}-create-${ns}`,
            occurredAt: `${TERM.startDate}T00:00:00Z`,
            subscriptionId: `bench-${this.runId}-${ns}`,
            namespaceId: ns,
            planCode: 'premium',
            seats: 25,
            ...TERM,
            autoRenew: true,
          });
        }
      }),
    );
  }

  readonly report = async (worker: number): Promise<void> => {
    const owned = this.namespaces[worker]!;
    const ns = owned[this.next[worker]! % owned.length]!;
    this.next[worker]!++;
    const n = (this.sent.get(ns) ?? 0) + 1;
    this.sent.set(ns, n);
    const measuredAt = new Date(MEASURED_FROM + n * 60_000).toISOString();
    await this.call('PUT', `/v1/namespaces/${ns}/seat-usage`, {
      eventId: `${this.runId}-u-${worker}-${++this.seq}`,
      occurredAt: measuredAt,
      seatsInUse: 1 + ((n * 7 + ns) % 40),
      measuredAt,
    });
  };

  private call(method: string, pathname: string, body: unknown): Promise<void> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: pathname,
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            if (res.statusCode === 200) resolve();
            else reject(new Error(`${method} ${pathname} answered ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The same transaction the service sends for a seat-usage report (shared/lifecycle/store.ts
 * commitCommand): the state item (with the audit's due attributes, so the same index writes)
 * conditional on its version, the log entry, the history entry and the idempotency record
 * conditional on not existing — items built by the same domain rule, of the same size.
 * `readThenWrite` first reads as readForCommand does (one consistent BatchGetItem of the
 * idempotency record and the state): the database's own cost of the two calls the service makes.
 *
 * It writes the runtime's own tables (its namespaces apart), not tables of its own: DynamoDB Local
 * keeps every table's stream records in one SQLite table ordered by sequence number, and each write
 * to a table with a stream looks up its shard with `SELECT MIN(SequenceNumber) … WHERE ShardID = ?`,
 * which walks every stream record written before that table's first one. Tables created after the
 * runtime's had taken thousands of writes paid that walk on every item: the raw side measured
 * DynamoDB Local's bookkeeping, not the calls (see README, "Measured").
 */
export class RawSide {
  private readonly client: DynamoDBDocumentClient;
  private readonly namespaces: number[][];
  private readonly states = new Map<number, FoldState>();
  private readonly changedOn = new Map<number, string | null>();
  private readonly sent = new Map<number, number>();
  private next: number[];
  private seq = 0;
  itemBytes = { state: 0, history: 0, idempotency: 0, log: 0 };

  constructor(
    endpoint: string,
    private readonly tables: { state: string; idempotency: string },
    concurrency: number,
    namespacesPerWorker: number,
    private readonly runId: string,
  ) {
    // As shared/platform/dynamodb/client.ts configures the handlers' client.
    this.client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 }),
      { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
    );
    this.namespaces = Array.from({ length: concurrency }, (_, w) => namespacesOf(w, namespacesPerWorker, 2_000_000));
    this.next = Array.from({ length: concurrency }, () => 0);
  }

  async seed(concurrency: number): Promise<void> {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (const ns of this.namespaces[worker]!) {
          await this.apply({
            type: 'created',
            eventId: `${this.runId}-raw-create-${ns}`,
            occurredAt: `${TERM.startDate}T00:00:00Z`,
            subscriptionId: `bench-raw-${this.runId}-${ns}`,
            namespaceId: ns,
            planCode: 'premium',
            seats: 25,
            ...TERM,
            autoRenew: true,
          });
        }
      }),
    );
  }

  readonly write = (worker: number): Promise<void> => this.next_(worker, false);
  readonly readThenWrite = (worker: number): Promise<void> => this.next_(worker, true);

  private readonly next_ = async (worker: number, read: boolean): Promise<void> => {
    const owned = this.namespaces[worker]!;
    const ns = owned[this.next[worker]! % owned.length]!;
    this.next[worker]!++;
    const n = (this.sent.get(ns) ?? 0) + 1;
    this.sent.set(ns, n);
    const measuredAt = new Date(MEASURED_FROM + n * 60_000).toISOString();
    await this.apply(
      {
        type: 'seatUsageReported',
        eventId: `${this.runId}-raw-u-${worker}-${++this.seq}`,
        occurredAt: measuredAt,
        namespaceId: ns,
        seatsInUse: 1 + ((n * 7 + ns) % 40),
        measuredAt,
      },
      read,
    );
  };

  private async apply(command: LifecycleCommand & { namespaceId: number }, read = false): Promise<void> {
    let before = this.states.get(command.namespaceId) ?? null;
    if (read) {
      const out = await this.client.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tables.idempotency]: { Keys: [{ eventId: command.eventId }], ConsistentRead: true },
            [this.tables.state]: { Keys: [nsKey(command.namespaceId)], ConsistentRead: true },
          },
        }),
      );
      const stored = out.Responses?.[this.tables.state]?.[0];
      if (!stored || stored.version !== before?.version) throw new Error(`namespace ${command.namespaceId}: the stored state is not the one last written`);
      before = toStateRead(stored).state;
    }
    const appliedAt = new Date().toISOString();
    // The service's minimal write for a command in order: the state with the log's bounds, the
    // command's log entry, the history entry and the idempotency record.
    const fold = append(before ?? emptyState(command.namespaceId), command);
    if (fold.entry.rejection) throw new Error(`the bench built an invalid command: ${fold.entry.rejection.message}`);
    const after: FoldState = { ...fold.head, version: (before?.version ?? 0) + 1, updatedAt: appliedAt };
    // The audit's due attributes and changedOn, as commitCommand stores them: the same index writes.
    const audit = stateAuditAttributes(before, after, this.changedOn.get(command.namespaceId) ?? null);
    const stateItem = { ...nsKey(after.namespaceId), ...after, logLastKey: fold.entry.key, logBaseKey: null, ...audit };
    const entryItem = logItem(after.namespaceId, fold.entry);
    const historyItem = {
      pk: `NS#${after.namespaceId}`,
      sk: historySk(after.version),
      namespaceId: after.namespaceId,
      version: after.version,
      eventId: command.eventId,
      type: command.type,
      actor: 'arn:aws:iam::000000000000:user/local-service',
      subscriptionId: after.subscriptionId,
      before: before && publicState(before),
      after: publicState(after),
      occurredAt: command.occurredAt,
      appliedAt,
      outcome: 'applied',
      changed: true,
      position: fold.entry.key,
    };
    const idempotencyItem = {
      eventId: command.eventId,
      requestHash: requestHash(command),
      commandType: command.type,
      namespaceId: after.namespaceId,
      result: publicState(after),
      appliedAt,
      expiresAt: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_DAYS * 86_400,
    };
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Put: {
          TableName: this.tables.state,
          Item: stateItem,
          ...(before
            ? { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': before.version } }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      { Put: { TableName: this.tables.state, Item: historyItem, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Put: {
          TableName: this.tables.idempotency,
          Item: idempotencyItem,
          ConditionExpression: 'attribute_not_exists(eventId)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      { Put: { TableName: this.tables.state, Item: entryItem, ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
    await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    this.states.set(command.namespaceId, after);
    this.changedOn.set(command.namespaceId, typeof stateItem.changedOn === 'string' ? stateItem.changedOn : null);
    if (command.type === 'seatUsageReported' && this.itemBytes.state === 0) {
      this.itemBytes = {
        state: Buffer.byteLength(JSON.stringify(stateItem)),
        history: Buffer.byteLength(JSON.stringify(historyItem)),
        idempotency: Buffer.byteLength(JSON.stringify(idempotencyItem)),
        log: Buffer.byteLength(JSON.stringify(entryItem)),
      };
    }
  }

  close(): void {
    this.client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputFigures> {
  const { progress, concurrency, runtime } = options;
  const runId = randomBytes(4).toString('hex');
  // The raw sides write the runtime's own tables (namespaces of their own): see RawSide.
  const tableOf = (key: TableKey) => localTableName(options.tablePrefix, tableSpecs.find((spec) => spec.key === key)!);
  const load = await LoadChild.start({
    runtimeUrl: runtime.url,
    serviceToken: options.tokens.service,
    dynamoEndpoint: options.dynamoEndpoint,
    tables: { state: tableOf('state'), idempotency: tableOf('idempotency') },
    concurrency,
    namespacesPerWorker: options.namespacesPerWorker,
    runId,
  });

  try {
    const namespaces = concurrency * options.namespacesPerWorker;
    // The runtime alone, before any function has an environment.
    const baseMb = runtime.memory().rssMb;
    progress.start(`throughput: a subscription on ${namespaces} namespaces on each side, then a warm-up (service ${options.serviceWarmupMs / 1000} s, raw ${options.warmupMs / 1000} s)`);
    await load.seed();
    await runtime.settle();
    // The seeding's functions (subscription-created) are idle from now on: reclaimed, as Lambda
    // reclaims idle environments, so the memory measured is that of the functions the rounds run.
    await runtime.reclaimIdle();
    const warm = async (side: LoadSide, ms = options.warmupMs) => {
      progress.update(`${side} warm-up`);
      const result = await load.run(side, ms);
      if (result.ok === 0) throw new Error(`${side}: every request failed: ${result.errorSamples.join(' | ')}`);
      await runtime.settle();
    };
    await warm('service', options.serviceWarmupMs);
    await warm('raw');
    if (options.readWriteSide) await warm('rawReadWrite');
    progress.done('ready');

    const labels: Record<LoadSide, string> = { service: 'service', raw: 'raw TransactWriteItems', rawReadWrite: 'raw BatchGetItem + TransactWriteItems' };
    const runs: Record<LoadSide, LoopResult[]> = { service: [], raw: [], rawReadWrite: [] };
    const cpu: Record<LoadSide, CpuSpent[]> = { service: [], raw: [], rawReadWrite: [] };
    const cpuSnapshot = () => ({
      runtime: processCpuMs(runtime.pid),
      dynamodb: options.dynamoPid ? processCpuMs(options.dynamoPid) : Number.NaN,
      bench: processCpuMs(load.pid),
      machine: machineCpu(),
    });
    let peakSampledMb = 0;
    const peakResetWorked = runtime.resetPeak();
    const runSide = async (side: LoadSide, round: number) => {
      const label = `${labels[side]}, round ${round}/${options.rounds}`;
      progress.start(`throughput: ${label}, ${concurrency} concurrent, ${options.roundMs / 1000} s`);
      if (side === 'service' && options.profileDir) await runtime.profileStart();
      const sampler = setInterval(() => {
        const { rssMb } = runtime.memory();
        if (side === 'service' && Number.isFinite(rssMb)) peakSampledMb = Math.max(peakSampledMb, rssMb);
        progress.update('');
      }, 200);
      const before = cpuSnapshot();
      const result = await load.run(side, options.roundMs).finally(() => clearInterval(sampler));
      const after = cpuSnapshot();
      if (side === 'service' && options.profileDir) await runtime.profileStop(path.join(options.profileDir, `runtime-service-round-${round}.cpuprofile`));
      runs[side].push(result);
      cpu[side].push({
        runtimeMs: after.runtime - before.runtime,
        dynamodbMs: after.dynamodb - before.dynamodb,
        benchMs: after.bench - before.bench,
        machineBusyPercent: busyPercent(before.machine, after.machine),
      });
      // The outbox publishes what this side wrote before the next side runs, so it does not slow it.
      await runtime.settle();
      progress.done(`${(result.ok / result.seconds).toFixed(1)}/s${result.errors ? `, ${result.errors} errors: ${result.errorSamples[0]}` : ''}`);
    };
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate the order: a drift in the machine's load weighs on every side alike.
      const order: LoadSide[] = round % 2 === 1 ? ['service', 'raw', 'rawReadWrite'] : ['rawReadWrite', 'raw', 'service'];
      for (const side of order) if (side !== 'rawReadWrite' || options.readWriteSide) await runSide(side, round);
    }
    const memory = runtime.memory();
    if (!peakResetWorked) progress.note('note: the kernel did not let the bench reset the peak RSS; it covers the runtime\'s start-up too.');
    return {
      concurrency,
      namespaces,
      service: toLoadFigures(runs.service, cpu.service),
      raw: toLoadFigures(runs.raw, cpu.raw),
      rawReadWrite: options.readWriteSide ? toLoadFigures(runs.rawReadWrite, cpu.rawReadWrite) : null,
      itemBytes: load.itemBytes,
      rss: (() => {
        const environments = runtime.environments;
        const total = Object.values(environments).reduce((sum, n) => sum + n, 0);
        return { peakMb: Math.max(memory.peakMb, peakSampledMb), endMb: memory.rssMb, pid: runtime.pid, baseMb, environments, perEnvironmentMb: total > 0 ? (memory.rssMb - baseMb) / total : 0 };
      })(),
    };
  } catch (error) {
    const stderr = [runtime.lastErrors() && `runtime stderr: ${runtime.lastErrors()}`, load.lastErrors() && `load generator stderr: ${load.lastErrors()}`].filter(Boolean).join('; ');
    throw stderr ? new Error(`${(error as Error).message} (${stderr})`, { cause: error }) : error;
  } finally {
    await load.stop();
  }
}
