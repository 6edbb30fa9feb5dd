/**
 * The bench's figures as `bench/results.json` and as the table it prints: pure functions, so what
 * is written can be checked without running anything.
 */
import { ERROR_LOG_REPORT_KINDS } from './error-log-calls.js';
import type { ErrorLogReportKind, ErrorLogWriterCosts } from './error-log-calls.js';
import { MAX_REFOLD } from '../shared/lifecycle/domain/log.js';
import type { ThroughputFigures } from './throughput.js';
import type { BusFigures } from './bus.js';

/** The events whose DynamoDB calls are counted: one applied command of each kind, and a replay. */
export const EVENT_KINDS = [
  'created',
  'renewed',
  'entitlementsUpdated',
  'expired',
  'trialStarted',
  'trialExtended',
  'trialEnded',
  'seatUsageReported',
  'reconciliationCompleted',
  'seatStatisticsCorrected',
  'replay',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Commands addressed by subscription: they follow the subscription pointer to the namespace. */
export const SUBSCRIPTION_ADDRESSED = ['renewed', 'entitlementsUpdated', 'reconciliationCompleted', 'expired'] as const;
export type SubscriptionAddressed = (typeof SUBSCRIPTION_ADDRESSED)[number];

export const TARGETS = {
  callsPerAppliedEvent: 2,
  callsPerReplay: 1,
  minRatio: 0.7,
  /** The raw side is the same calls without the service: a ratio above 1 means it is not the floor it stands for. */
  maxRatio: 1,
  maxBundleBytes: 150 * 1024,
  maxInitFactor: 1.5,
  maxRssMb: 250,
  maxAuditRatio: 1.1,
} as const;

/** Capacity units an event consumed. */
export interface Units {
  /** As DynamoDB answered (ReturnConsumedCapacity TOTAL). */
  readUnits: number;
  /**
   * From the items the writes sent, by DynamoDB's rules (bench/count-calls.ts sizedWriteUnits):
   * DynamoDB Local undercounts a transaction of several items of one table. Index writes excluded.
   */
  writeUnits: number;
  /** As DynamoDB answered: on DynamoDB Local, too low for a transaction of several items of one table. */
  answeredWriteUnits: number;
}

/** What one late seat-usage report cost: it lands before `laterEntries` entries of its namespace's log. */
export interface LateEventCost {
  /** How many days before the newest report it is dated. */
  daysLate: number;
  /** Entries of the log after its place (one report a day). */
  laterEntries: number;
  /** DynamoDB requests: BatchGetItem, the Query of the entries after its place, TransactWriteItems. */
  calls: number;
  byOperation: Record<string, number>;
  readUnits: number;
  /** By item size, as {@link Units.writeUnits}. */
  writeUnits: number;
  answeredWriteUnits: number;
  /** Later entries folded again (the history entry's `refolded`). */
  refolded: number;
  /** Later entries written again because their state changed (its transaction's items beyond the command's own 4). */
  rewritten: number;
}

/** What the newest of the daily reports cost, in order, on the same kind of log as the late ones. */
export interface InOrderCost extends Units {
  calls: number;
}

export interface LateEventCosts {
  /** Daily reports sent in order before the late ones, on a fresh namespace per delay. */
  dailyReports: number;
  inOrder: InOrderCost;
  /** A day late, above every other report: every later entry's peak changes. */
  day: LateEventCost;
  /** A month late, above every other report. */
  month: LateEventCost;
  /** The same delays, an hour later and below the peak: no later entry changes, none is written again. */
  belowPeak: { day: LateEventCost; month: LateEventCost };
}

export interface LatencyMs {
  p50: number;
  p99: number;
  max: number;
}

export interface LoadFigures {
  /** Completed requests that succeeded. */
  requests: number;
  /** Requests that failed (non-2xx, or an SDK error); not counted in the rate. */
  errors: number;
  /** Measured time, summed over rounds. */
  seconds: number;
  latencyMs: LatencyMs;
  /** Requests per second of each round, in order: their spread shows how steady the machine was. */
  perRound: number[];
  /**
   * CPU time spent while this side ran (summed over rounds): the runtime's process (on the raw
   * sides, its outbox publishing their changes), DynamoDB Local's Java process, the load generator's
   * process (bench/load-child.ts), and how busy the whole machine was (others' work included).
   */
  cpu: { runtimeMs: number; dynamodbMs: number; benchMs: number; machineBusyPercent: number };
}

export interface InitFigures {
  /** Median wall-clock time to import the bare bundle. */
  bareMs: number;
  /** Median CPU time of the same imports: steadier than wall-clock time on a busy machine. */
  bareCpuMs: number;
  bareBytes: number;
  functions: Record<string, { bytes: number; initMs: number; initCpuMs: number }>;
  /** The largest parts of each bundle (packages, or the service's own code), in bytes. */
  composition: Record<string, Array<{ part: string; bytes: number }>>;
  /** Imports per bundle, each in a fresh Node process; the figure is their median. */
  runs: number;
  /** Imports of the bare bundle: it is imported again every few functions of a round. */
  bareImports: number;
  /** Options given to node for each import: those the Lambda functions run with (none). */
  nodeOptions: string[];
  /** The bare bundle was built with the stack's esbuild options: a manifest entry built so matches its synthesized bundle. */
  bundlingMatchesSynth: boolean;
  /** Where the timed bundles came from: cdk.out as it was, a synth the bench ran, or (--quick, cdk.out stale) esbuild. */
  source: 'cdk.out' | 'npm run synth' | "esbuild with the stack's options";
}

export interface MachineFigures {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  node: string;
  platform: string;
  /** os.loadavg() (1, 5, 15 minutes) when the bench started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
}

/** What the bench measured; phases that failed are null and their error is in `errors`. */
export interface BenchFigures {
  calls: {
    perEvent: Record<EventKind, number>;
    /** Each command in a fresh, isolated environment of its function (absent in results of older runs). */
    cold?: Record<EventKind, number>;
    /** Subscription-addressed commands in a process that has not seen the subscription before. */
    firstSeen: Record<SubscriptionAddressed, number>;
    /** Requests per DynamoDB operation, per measured event. */
    detail: Record<string, Record<string, number>>;
    /** Capacity units consumed per measured event, by the same labels as `detail`. */
    units: Record<string, Units>;
    /** What a late seat-usage report costs. */
    late: LateEventCosts;
    /** The error-log writer's calls per reported failure; absent in results of older runs. */
    errorLogWriter?: ErrorLogWriterCosts;
  } | null;
  throughput: Omit<ThroughputFigures, 'rss'> | null;
  init: InitFigures | null;
  rss: { peakMb: number; endMb: number; pid: number; baseMb?: number; environments?: Record<string, number>; perEnvironmentMb?: number } | null;
  /** Commerce events through the local bus to their published change; absent in results of older runs. */
  bus?: BusFigures | null;
  /** Read capacity of one reconciliation audit over growing numbers of subscriptions, the same number due. */
  audit?: { subscriptions: number[]; due: number; readUnits: number[]; ratio: number } | null;
  run: { date: string; quick: boolean; seconds: number };
  machine: MachineFigures;
  errors: Record<string, string>;
}

const round = (value: number, digits: number) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** Events per second of the bus path: every published change over the measured time. */
export const busRate = (bus: Pick<BusFigures, 'events' | 'seconds'>): number => (bus.seconds > 0 ? bus.events / bus.seconds : 0);

const roundedSpread = (values: readonly number[]): Spread => {
  const { median: mid, min, max } = spread(values);
  return { median: round(mid, 3), min: round(min, 3), max: round(max, 3) };
};

export const perSecond = (load: LoadFigures): number => (load.seconds > 0 ? load.requests / load.seconds : 0);

/** The value at quantile `q` (0..1) of `values`, nearest-rank; 0 for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The middle value; the mean of the two middle ones for an even count; 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The middle, smallest and largest of some values (zeros for none). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * The service's rate over the raw side's, round by round: round i of each side ran in the same
 * stretch of the run (sides alternate within a round), so each ratio shares one state of the machine.
 * Rounds missing on either side, or with a raw rate of 0, are left out.
 */
export function roundRatios(service: LoadFigures, raw: LoadFigures): number[] {
  const rounds = Math.min(service.perRound.length, raw.perRound.length);
  return Array.from({ length: rounds }, (_, i) => [service.perRound[i]!, raw.perRound[i]!] as const)
    .filter(([, rawRate]) => rawRate > 0)
    .map(([serviceRate, rawRate]) => serviceRate / rawRate);
}

export interface TargetCheck {
  name: string;
  ok: boolean;
  measured: string;
  target: string;
}

/** Each target of the issue, met or missed. */
export function checkTargets(figures: BenchFigures): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (figures.calls) {
    for (const kind of EVENT_KINDS) {
      const limit = kind === 'replay' ? TARGETS.callsPerReplay : TARGETS.callsPerAppliedEvent;
      const n = figures.calls.perEvent[kind];
      checks.push({ name: `calls ${kind}`, ok: n <= limit, measured: String(n), target: `≤ ${limit}` });
      const cold = figures.calls.cold?.[kind];
      if (cold !== undefined) checks.push({ name: `cold calls ${kind}`, ok: cold <= limit, measured: String(cold), target: `≤ ${limit}` });
    }
  }
  if (figures.throughput) {
    const { service, raw, rawReadWrite } = figures.throughput;
    const ratio = throughputRatio(service, raw);
    checks.push({ name: 'throughput ratio', ok: ratio >= TARGETS.minRatio, measured: ratio.toFixed(2), target: `≥ ${TARGETS.minRatio}` });
    // The service makes these calls and more: faster than them, the baseline measured something else.
    checks.push({ name: 'raw baseline is a floor', ok: ratio <= TARGETS.maxRatio, measured: ratio.toFixed(2), target: `≤ ${TARGETS.maxRatio}` });
    if (rawReadWrite) {
      const toPair = throughputRatio(service, rawReadWrite);
      checks.push({ name: 'raw read + write is a floor', ok: toPair <= TARGETS.maxRatio, measured: toPair.toFixed(2), target: `≤ ${TARGETS.maxRatio}` });
    }
  }
  if (figures.init) {
    for (const [name, fn] of Object.entries(figures.init.functions)) {
      checks.push({ name: `bundle ${name}`, ok: fn.bytes <= TARGETS.maxBundleBytes, measured: kb(fn.bytes), target: `≤ ${kb(TARGETS.maxBundleBytes)}` });
      const factor = figures.init.bareMs > 0 ? fn.initMs / figures.init.bareMs : Infinity;
      checks.push({ name: `init ${name}`, ok: factor <= TARGETS.maxInitFactor, measured: `${factor.toFixed(2)}× bare`, target: `≤ ${TARGETS.maxInitFactor}× bare` });
    }
  }
  if (figures.audit) {
    checks.push({ name: 'audit cost ratio', ok: figures.audit.ratio <= TARGETS.maxAuditRatio, measured: figures.audit.ratio.toFixed(3), target: `≤ ${TARGETS.maxAuditRatio}` });
  }
  if (figures.rss) {
    checks.push({ name: 'runtime peak RSS', ok: figures.rss.peakMb <= TARGETS.maxRssMb, measured: `${figures.rss.peakMb.toFixed(0)} MB`, target: `≤ ${TARGETS.maxRssMb} MB` });
  }
  return checks;
}

/** The median round's rate of the service over the raw side's. */
export const roundMedianRatio = (service: LoadFigures, raw: LoadFigures): number => {
  const rawMedian = median(raw.perRound);
  return rawMedian > 0 ? median(service.perRound) / rawMedian : 0;
};

export const throughputRatio = (service: LoadFigures, raw: LoadFigures): number => {
  const rawRate = perSecond(raw);
  return rawRate > 0 ? perSecond(service) / rawRate : 0;
};

/** CPU ms per completed request, per process: where a request's time goes. */
export function cpuPerRequest(load: LoadFigures) {
  const per = (ms: number) => (load.requests > 0 && Number.isFinite(ms) ? round(ms / load.requests, 3) : null);
  return { runtime: per(load.cpu.runtimeMs), dynamodb: per(load.cpu.dynamodbMs), bench: per(load.cpu.benchMs) };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** A late event's figures as results.json holds them (requests per operation are in details). */
const lateFigures = (cost: LateEventCost) => ({
  daysLate: cost.daysLate,
  laterEntries: cost.laterEntries,
  calls: cost.calls,
  readUnits: round(cost.readUnits, 1),
  writeUnits: round(cost.writeUnits, 1),
  answeredWriteUnits: round(cost.answeredWriteUnits, 1),
  refolded: cost.refolded,
  rewritten: cost.rewritten,
});

/** `2 calls, 10.0 WCU` */
export const callsAndUnits = (calls: number, units: Pick<Units, 'writeUnits'> | undefined): string =>
  `${calls} call${calls === 1 ? '' : 's'}, ${units ? units.writeUnits.toFixed(1) : '?'} WCU`;

/**
 * What the late-event figures mean, in one sentence for the table.
 *
 * @example
 * lateEventSentence(figures.calls.late);
 * // 'In order a report costs 2 calls, 1.0 RCU and 10.0 WCU. A late one also reads the log from its place on …'
 */
export function lateEventSentence(late: LateEventCosts): string {
  const { inOrder, day, month, belowPeak } = late;
  const calls = (n: number) => `${n} call${n === 1 ? '' : 's'}`;
  const more = (cost: LateEventCost) =>
    `${calls(cost.calls - inOrder.calls)}, ${(cost.readUnits - inOrder.readUnits).toFixed(1)} RCU and ${(cost.writeUnits - inOrder.writeUnits).toFixed(1)} WCU more`;
  const sameReads = day.readUnits >= month.readUnits;
  return (
    `In order a report costs ${calls(inOrder.calls)}, ${inOrder.readUnits.toFixed(1)} RCU and ${inOrder.writeUnits.toFixed(1)} WCU. ` +
    'A late one also reads the log from its place on (one Query) and, in its one transaction, writes again the later entries whose state it changes: ' +
    `${day.daysLate} day late and above the peak it costs ${more(day)} (${day.rewritten} entr${day.rewritten === 1 ? 'y' : 'ies'} rewritten); ` +
    `${month.daysLate} days late, ${more(month)} (${month.rewritten} rewritten). ` +
    `Below the peak no later entry changes and none is rewritten: ${belowPeak.day.writeUnits.toFixed(1)} and ${belowPeak.month.writeUnits.toFixed(1)} WCU. ` +
    `Its writes grow with the later entries it changes (at most ${MAX_REFOLD}: with more after it, a command is stale)` +
    (sameReads ? `; its reads did not grow with the delay: the Query read as much a day late (${day.readUnits.toFixed(1)} RCU) as a month late.` : '.')
  );
}

/**
 * The content of bench/results.json: the issue's keys exactly (`dynamodbCallsPerEvent`,
 * `throughput`, `init`, `rssMb`), then details that explain them.
 */
export function buildResults(figures: BenchFigures) {
  const { calls, throughput, init, rss } = figures;
  const bus = figures.bus ?? null;
  const readWrite = throughput?.rawReadWrite ?? null;
  /** One figure of each side that ran. */
  const sides = <T>(pick: (load: LoadFigures) => T) =>
    throughput
      ? { service: pick(throughput.service), raw: pick(throughput.raw), ...(readWrite ? { rawReadWrite: pick(readWrite) } : {}) }
      : null;
  const latency = (load: LoadFigures) => ({ p50: round(load.latencyMs.p50, 2), p99: round(load.latencyMs.p99, 2), max: round(load.latencyMs.max, 2) });
  return {
    dynamodbCallsPerEvent: calls ? Object.fromEntries(EVENT_KINDS.map((kind) => [kind, calls.perEvent[kind]])) as Record<EventKind, number> : null,
    coldCallsPerEvent: calls?.cold ? (Object.fromEntries(EVENT_KINDS.map((kind) => [kind, calls.cold![kind]])) as Record<EventKind, number>) : null,
    dynamodbWriteUnitsPerEvent: calls
      ? (Object.fromEntries(EVENT_KINDS.map((kind) => [kind, calls.units[kind] ? round(calls.units[kind].writeUnits, 1) : null])) as Record<EventKind, number | null>)
      : null,
    lateEvent: calls
      ? {
          dailyReports: calls.late.dailyReports,
          inOrder: {
            calls: calls.late.inOrder.calls,
            readUnits: round(calls.late.inOrder.readUnits, 1),
            writeUnits: round(calls.late.inOrder.writeUnits, 1),
            answeredWriteUnits: round(calls.late.inOrder.answeredWriteUnits, 1),
          },
          day: lateFigures(calls.late.day),
          month: lateFigures(calls.late.month),
        }
      : null,
    throughput: throughput
      ? {
          concurrency: throughput.concurrency,
          seatReportsPerSecond: round(perSecond(throughput.service), 1),
          rawTransactWritesPerSecond: round(perSecond(throughput.raw), 1),
          ratio: round(throughputRatio(throughput.service, throughput.raw), 3),
          /** The same ratio round by round: how far one run's conditions move it. */
          ratioByRound: roundedSpread(roundRatios(throughput.service, throughput.raw)),
        }
      : null,
    init: init
      ? {
          bareMs: round(init.bareMs, 1),
          functions: Object.fromEntries(
            Object.entries(init.functions).map(([name, fn]) => [name, { bytes: fn.bytes, initMs: round(fn.initMs, 1) }]),
          ),
        }
      : null,
    rssMb: rss ? round(rss.peakMb, 1) : null,
    audit: figures.audit
      ? { subscriptions: figures.audit.subscriptions, due: figures.audit.due, readUnits: figures.audit.readUnits.map((u) => round(u, 1)), ratio: round(figures.audit.ratio, 3) }
      : null,
    bus: bus ? { eventsPerSecond: round(busRate(bus), 1), p50Ms: round(bus.latencyMs.p50, 1), p99Ms: round(bus.latencyMs.p99, 1) } : null,
    details: {
      dynamodbCallsFirstSeenInProcess: calls?.firstSeen ?? null,
      dynamodbRequestsByOperation: calls?.detail ?? null,
      /** What DynamoDB Local answered as write units (ConsumedCapacity), beside the item-size figures above. */
      dynamodbWriteUnitsAnswered: calls
        ? (Object.fromEntries(EVENT_KINDS.map((kind) => [kind, calls.units[kind] ? round(calls.units[kind].answeredWriteUnits, 1) : null])) as Record<EventKind, number | null>)
        : null,
      /** Read and write units of every measured event, the first-seen and late ones included. */
      dynamodbUnitsByEvent: calls?.units ?? null,
      /** The error-log writer per reported failure: a new record, a repeat, the same report again, an old replay of a resolved record. */
      errorLogWriterPerReport: calls?.errorLogWriter ?? null,
      lateEventBelowPeak: calls ? { day: lateFigures(calls.late.belowPeak.day), month: lateFigures(calls.late.belowPeak.month) } : null,
      throughput: throughput
        ? {
            namespaces: throughput.namespaces,
            // Less sensitive than `ratio` to one round hit by a burst of other work on the machine.
            ratioOfRoundMedians: round(roundMedianRatio(throughput.service, throughput.raw), 3),
            rawReadThenWritePerSecond: readWrite ? round(perSecond(readWrite), 1) : null,
            ratioToReadThenWrite: readWrite ? round(throughputRatio(throughput.service, readWrite), 3) : null,
            ratioToReadThenWriteByRound: readWrite ? roundedSpread(roundRatios(throughput.service, readWrite)) : null,
            seconds: sides((l) => round(l.seconds, 2)),
            requests: sides((l) => l.requests),
            errors: sides((l) => l.errors),
            latencyMs: sides(latency),
            perSecondByRound: sides((l) => l.perRound.map((rate) => round(rate, 1))),
            cpuMsPerRequest: sides(cpuPerRequest),
            machineBusyPercent: sides((l) => round(l.cpu.machineBusyPercent, 1)),
            itemBytes: throughput.itemBytes,
          }
        : null,
      init: init
        ? {
            bareBytes: init.bareBytes,
            runs: init.runs,
            bareImports: init.bareImports,
            nodeOptions: init.nodeOptions,
            bundlingMatchesSynth: init.bundlingMatchesSynth,
            source: init.source,
            initFactor: Object.fromEntries(Object.entries(init.functions).map(([name, fn]) => [name, round(fn.initMs / init.bareMs, 2)])),
            bareCpuMs: round(init.bareCpuMs, 1),
            initCpuMs: Object.fromEntries(Object.entries(init.functions).map(([name, fn]) => [name, round(fn.initCpuMs, 1)])),
            initCpuFactor: Object.fromEntries(Object.entries(init.functions).map(([name, fn]) => [name, round(fn.initCpuMs / init.bareCpuMs, 2)])),
            composition: init.composition,
          }
        : null,
      rss: rss
        ? {
            endMb: round(rss.endMb, 1),
            ...(rss.baseMb !== undefined && { baseMb: round(rss.baseMb, 1) }),
            ...(rss.environments && { warmEnvironments: rss.environments }),
            ...(rss.perEnvironmentMb !== undefined && { perWarmFunctionMb: round(rss.perEnvironmentMb, 1) }),
          }
        : null,
      bus: bus
        ? {
            concurrency: bus.concurrency,
            batchSize: bus.batchSize,
            namespaces: bus.namespaces,
            events: bus.events,
            seconds: round(bus.seconds, 2),
            eventsPerSecondByRound: bus.perRound.map((rate) => round(rate, 1)),
            latencyMs: { p50: round(bus.latencyMs.p50, 2), p99: round(bus.latencyMs.p99, 2), max: round(bus.latencyMs.max, 2) },
            putEventsMs: { p50: round(bus.putEventsMs.p50, 2), p99: round(bus.putEventsMs.p99, 2), max: round(bus.putEventsMs.max, 2) },
            errors: bus.errors,
            cpuMsPerEvent: { runtime: round(bus.cpuMsPerEvent.runtime, 3), dynamodb: round(bus.cpuMsPerEvent.dynamodb, 3) },
          }
        : null,
    },
    targets: checkTargets(figures).map(({ name, ok, measured, target }) => ({ name, ok, measured, target })),
    run: figures.run,
    machine: figures.machine,
    errors: figures.errors,
  };
}

export type BenchResults = ReturnType<typeof buildResults>;

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

/** The table printed at the end of a run. */
export function renderTable(figures: BenchFigures): string {
  const checks = new Map(checkTargets(figures).map((check) => [check.name, check]));
  const mark = (name: string) => {
    const check = checks.get(name);
    return check ? `${check.ok ? 'ok  ' : 'MISS'} ${check.target}` : '';
  };
  const rows: string[] = [];
  const line = (label: string, value: string, note = '') => rows.push(`  ${label.padEnd(34)} ${value.padStart(12)}   ${note}`.trimEnd());
  const { machine } = figures;
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
  rows.push(
    `Provisioning Service bench — ${figures.run.date}${figures.run.quick ? ' (quick)' : ''}, ${figures.run.seconds.toFixed(0)} s`,
    `  ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}; load average ${load(machine.loadAverage.start)} at start, ${load(machine.loadAverage.end)} at end`,
    '',
  );

  rows.push('DynamoDB calls and write units per event (counted at the local IAM gate, per function, each isolated; every command in business order)');
  rows.push('  WCU from the items written, by DynamoDB\'s rules (index writes excluded); "Local" is what DynamoDB Local answered');
  const ops = (byOperation: Record<string, number> | undefined) => Object.entries(byOperation ?? {}).map(([op, n]) => `${op}×${n}`).join(' + ');
  const rcu = (units: Units | undefined) => (units ? `${units.readUnits.toFixed(1)} RCU, Local ${units.answeredWriteUnits.toFixed(1)} WCU` : '');
  const unitsLine = (label: string, value: string, note: string) => rows.push(`  ${label.padEnd(30)} ${value.padStart(18)}   ${note}`.trimEnd());
  if (figures.calls) {
    const { calls } = figures;
    for (const kind of EVENT_KINDS) {
      unitsLine(kind, callsAndUnits(calls.perEvent[kind], calls.units[kind]), `${mark(`calls ${kind}`)}   ${[ops(calls.detail[kind]), rcu(calls.units[kind])].filter(Boolean).join('; ')}`);
    }
    if (calls.cold) {
      rows.push('  cold: each command in a fresh environment of its function (nothing kept from an earlier invocation)');
      for (const kind of EVENT_KINDS) {
        unitsLine(`${kind} (cold)`, callsAndUnits(calls.cold[kind], calls.units[`${kind} (cold)`]), `${mark(`cold calls ${kind}`)}   ${ops(calls.detail[`${kind} (cold)`])}`);
      }
    }
    const first = SUBSCRIPTION_ADDRESSED.map((kind) => `${kind} ${callsAndUnits(calls.firstSeen[kind], calls.units[`${kind} (first seen)`] ?? calls.units[`${kind} (cold)`])}`).join('; ');
    rows.push(`  first command for a subscription in a process that has not seen it: ${first}`);
    rows.push('');

    const { late } = calls;
    rows.push(`What a late seat-usage report costs (a term, then ${late.dailyReports} daily reports in order; then reports dated before the newest)`);
    unitsLine('in order (the newest report)', callsAndUnits(late.inOrder.calls, late.inOrder), rcu(late.inOrder));
    const lateLine = (label: string, cost: LateEventCost) =>
      unitsLine(
        label,
        callsAndUnits(cost.calls, cost),
        `${rcu(cost)}; ${ops(cost.byOperation)}; ${cost.refolded} later entr${cost.refolded === 1 ? 'y' : 'ies'} folded again, ${cost.rewritten} rewritten`,
      );
    lateLine(`${late.day.daysLate} day late, above the peak`, late.day);
    lateLine(`${late.month.daysLate} days late, above the peak`, late.month);
    lateLine(`${late.belowPeak.day.daysLate} day late, below the peak`, late.belowPeak.day);
    lateLine(`${late.belowPeak.month.daysLate} days late, below the peak`, late.belowPeak.month);
    rows.push(...wrap(lateEventSentence(late), 110).map((text) => `  ${text}`));
    if (calls.errorLogWriter) {
      rows.push('');
      rows.push('The error-log writer per reported failure (Revenue Error Reported; Slack not configured)');
      const labels: Record<ErrorLogReportKind, string> = {
        newRecord: 'a new record (+ its announcement)',
        repeat: 'a repeat (another eventId)',
        redelivered: 'the same report again',
        oldReplay: 'an old replay of a resolved one',
      };
      for (const kind of ERROR_LOG_REPORT_KINDS) {
        const cost = calls.errorLogWriter[kind];
        unitsLine(labels[kind], callsAndUnits(cost.calls, cost), `${cost.outcome}; ${ops(cost.byOperation)}; ${rcu(cost)}`);
      }
    }
  } else rows.push(`  not measured: ${figures.errors.calls ?? figures.errors.setup ?? 'skipped'}`);
  rows.push('');

  rows.push('Throughput, seat-usage reports (closed loop)');
  if (figures.throughput) {
    const { service, raw, rawReadWrite, concurrency } = figures.throughput;
    const lat = (l: LoadFigures) =>
      `p50 ${l.latencyMs.p50.toFixed(1)} ms, p99 ${l.latencyMs.p99.toFixed(1)} ms${l.errors ? `, ${l.errors} errors` : ''}` +
      (l.perRound.length > 1 ? `; rounds ${l.perRound.map((rate) => rate.toFixed(0)).join(' / ')}` : '');
    line(`service over HTTP, ${concurrency} concurrent`, `${perSecond(service).toFixed(1)}/s`, `${service.requests} in ${service.seconds.toFixed(1)} s; ${lat(service)}`);
    line(`raw TransactWriteItems, ${concurrency} concurrent`, `${perSecond(raw).toFixed(1)}/s`, `${raw.requests} in ${raw.seconds.toFixed(1)} s; ${lat(raw)}`);
    const byRound = (other: LoadFigures) => {
      const ratios = roundRatios(service, other);
      if (ratios.length < 2) return '';
      const { median: mid, min, max } = spread(ratios);
      return `   by round: median ${mid.toFixed(2)}, ${min.toFixed(2)}–${max.toFixed(2)}`;
    };
    line('ratio service / raw', throughputRatio(service, raw).toFixed(2), `${mark('throughput ratio')}, ${mark('raw baseline is a floor')}${byRound(raw)}`);
    if (rawReadWrite) {
      line(`raw BatchGetItem + TransactWriteItems`, `${perSecond(rawReadWrite).toFixed(1)}/s`, `${rawReadWrite.requests} in ${rawReadWrite.seconds.toFixed(1)} s; ${lat(rawReadWrite)}`);
      line('ratio service / raw read + write', throughputRatio(service, rawReadWrite).toFixed(2), `${mark('raw read + write is a floor')}${byRound(rawReadWrite)}   (the two calls the service makes, sent straight)`);
    }
    const cpu = (l: LoadFigures) => {
      const per = cpuPerRequest(l);
      const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(2)} ms`);
      return `runtime ${ms(per.runtime)}, DynamoDB Local ${ms(per.dynamodb)}, load generator ${ms(per.bench)}; machine ${l.cpu.machineBusyPercent.toFixed(0)}% busy`;
    };
    // The raw sides write the runtime's tables: its outbox publishes their changes too.
    rows.push(
      `  CPU per request — service: ${cpu(service)}`,
      `  CPU per request — raw: ${cpu(raw)}`,
      ...(rawReadWrite ? [`  CPU per request — raw read + write: ${cpu(rawReadWrite)}`] : []),
    );
  } else rows.push(`  not measured: ${figures.errors.throughput ?? figures.errors.setup ?? 'skipped'}`);
  rows.push('');

  const bus = figures.bus ?? null;
  rows.push(`The bus path: Seat Usage Reported in PutEvents batches${bus ? ` of ${bus.batchSize}` : ''} → applied → Namespace Subscription Changed on the bus (closed loop)`);
  if (bus) {
    line(
      `events published, ${bus.concurrency} concurrent`,
      `${busRate(bus).toFixed(1)}/s`,
      `${bus.events} in ${bus.seconds.toFixed(1)} s${bus.perRound.length > 1 ? `; rounds ${bus.perRound.map((rate) => rate.toFixed(0)).join(' / ')}` : ''}${bus.errors ? `; ${bus.errors} failed batches: ${bus.errorSamples[0] ?? ''}` : ''}`,
    );
    line('PutEvents → change published', `p50 ${bus.latencyMs.p50.toFixed(0)} ms`, `p99 ${bus.latencyMs.p99.toFixed(0)} ms, max ${bus.latencyMs.max.toFixed(0)} ms; the PutEvents call itself p50 ${bus.putEventsMs.p50.toFixed(1)} ms`);
    const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a');
    rows.push(`  CPU per event: runtime ${ms(bus.cpuMsPerEvent.runtime)} (handler, outbox, bus), DynamoDB Local ${ms(bus.cpuMsPerEvent.dynamodb)}; no target (the issue sets none)`);
  } else rows.push(`  not measured: ${figures.errors.bus ?? figures.errors.setup ?? 'skipped'}`);
  rows.push('');

  rows.push('Reconciliation audit: read capacity of one run, the same items due');
  if (figures.audit) {
    figures.audit.subscriptions.forEach((n, i) => line(`${n} subscriptions, ${figures.audit!.due} due`, `${figures.audit!.readUnits[i]!.toFixed(1)} RCU`));
    line('ratio largest / smallest', figures.audit.ratio.toFixed(3), mark('audit cost ratio'));
  } else rows.push(`  not measured: ${figures.errors.audit ?? figures.errors.setup ?? 'skipped'}`);
  rows.push('');

  rows.push('Runtime process memory during the throughput run (DynamoDB Local excluded)');
  if (figures.rss) line('peak RSS (VmHWM)', `${figures.rss.peakMb.toFixed(1)} MB`, mark('runtime peak RSS'));
  if (figures.rss?.environments) {
    const warm = Object.entries(figures.rss.environments).map(([name, n]) => `${name}${n > 1 ? ` ×${n}` : ''}`).join(', ');
    line('one warm isolated function', `${(figures.rss.perEnvironmentMb ?? 0).toFixed(1)} MB`, `runtime alone ${(figures.rss.baseMb ?? 0).toFixed(1)} MB; warm at the end: ${warm || 'none'}`);
  }
  else rows.push(`  not measured: ${figures.errors.throughput ?? figures.errors.setup ?? 'skipped'}`);
  rows.push('');

  if (figures.init) {
    const { init } = figures;
    rows.push(`Bundles (from ${init.source}) and import time in a fresh ${['node', ...init.nodeOptions].join(' ')}, loaded as Lambda loads it (median of ${init.runs})`);
    line('bare: DynamoDB client only', `${init.bareMs.toFixed(1)} ms`, `${kb(init.bareBytes).padStart(9)}  (CPU ${init.bareCpuMs.toFixed(0)} ms)`);
    for (const [name, fn] of Object.entries(init.functions)) {
      const cpu = `CPU ${(fn.initCpuMs / init.bareCpuMs).toFixed(2)}×`;
      line(name, `${fn.initMs.toFixed(1)} ms`, `${kb(fn.bytes).padStart(9)}  size ${mark(`bundle ${name}`)};  ${(fn.initMs / init.bareMs).toFixed(2)}× bare ${mark(`init ${name}`)} (${cpu})`);
      if (fn.bytes > TARGETS.maxBundleBytes) {
        const parts = (init.composition[name] ?? []).map((p) => `${p.part} ${kb(p.bytes)}`).join(', ');
        rows.push(`      largest parts: ${parts}`);
      }
    }
    const first = Object.values(init.composition)[0];
    if (first) rows.push(`  largest parts of ${Object.keys(init.composition)[0]}: ${first.map((p) => `${p.part} ${kb(p.bytes)}`).join(', ')}`);
    if (!init.bundlingMatchesSynth) rows.push('  note: the bench\'s esbuild options rebuild some bundles to another size than cdk.out (sources changed during the run, or the stack\'s options changed: compare bench/init.ts with infra/service-function.ts)');
  } else rows.push(`Bundles: not measured: ${figures.errors.init ?? 'skipped'}`);

  const missed = [...checks.values()].filter((check) => !check.ok);
  rows.push('', missed.length ? `Targets missed: ${missed.map((check) => `${check.name} (${check.measured}, target ${check.target})`).join('; ')}` : 'Every target met.');
  for (const [phase, message] of Object.entries(figures.errors)) rows.push(`Error in ${phase}: ${message}`);
  return rows.join('\n');
}
