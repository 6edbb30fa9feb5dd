/**
 * The bench itself; bench/run.ts (`npm run bench`) sets the environment first, then imports this.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import type { DynamoDbLocal } from '../local/dynamodb.js';
import { REPO_ROOT, freePort } from '../local/runtime.js';
import { countCallsPerEvent } from './calls.js';
import { measureInit } from './init.js';
import { Progress } from './progress.js';
import { buildResults, renderTable } from './results.js';
import type { BenchFigures, MachineFigures } from './results.js';
import { RuntimeChild, measureThroughput } from './throughput.js';
import type { ThroughputOptions } from './throughput.js';
import { measureAuditCost } from './audit-cost.js';
import { measureBus } from './bus.js';
import type { BusOptions } from './bus.js';

const USAGE = 'usage: npm run bench [-- --quick] [--only calls,throughput,bus,init,audit] [--out FILE] [--profile]';
const PHASES = ['calls', 'throughput', 'bus', 'init', 'audit'] as const;
type Phase = (typeof PHASES)[number];

/** A run's shape: the throughput phase's options as ThroughputOptions names them, and the rest. */
interface Plan extends Pick<ThroughputOptions, 'concurrency' | 'namespacesPerWorker' | 'warmupMs' | 'serviceWarmupMs' | 'rounds' | 'roundMs' | 'readWriteSide'> {
  quick: boolean;
  initRuns: number;
  /** One untimed import of each bundle before the timed ones (page cache). */
  warmImports: boolean;
  /** Subscriptions seeded for the audit cost, smallest first; the same number due in each. */
  auditSizes: number[];
  auditDue: number;
  /** The bus path: PutEvents batches through the local bus to the published change. */
  bus: Pick<BusOptions, 'concurrency' | 'batchSize' | 'namespacesPerWorker' | 'warmupMs' | 'rounds' | 'roundMs'>;
}

/**
 * The default run measures each side in 6 rounds of 3 s (18 s each), alternating sides so that the
 * load of a shared machine weighs on them alike, and each round's ratio gives the spread; the quick
 * one 2 rounds of 3 s each. Both seed the same 256 namespaces: with fewer, the runtime is measured
 * before it is warm (quick runs read a ratio of 0.6-0.7 that way, against about 1.0 for the same
 * code warm). The bus path: 3 rounds of 4 s (the quick run 1), 240 namespaces, batches of 10.
 */
const plans: Record<'full' | 'quick', Plan> = {
  full: { quick: false, concurrency: 8, namespacesPerWorker: 32, warmupMs: 2_000, serviceWarmupMs: 6_000, rounds: 6, roundMs: 3_000, readWriteSide: true, initRuns: 5, warmImports: true, auditSizes: [1_000, 20_000], auditDue: 100,
    bus: { concurrency: 8, batchSize: 10, namespacesPerWorker: 30, warmupMs: 3_000, rounds: 3, roundMs: 4_000 } },
  quick: { quick: true, concurrency: 8, namespacesPerWorker: 32, warmupMs: 1_000, serviceWarmupMs: 3_000, rounds: 2, roundMs: 3_000, readWriteSide: false, initRuns: 5, warmImports: false, auditSizes: [500, 2_000], auditDue: 50,
    bus: { concurrency: 8, batchSize: 10, namespacesPerWorker: 30, warmupMs: 1_000, rounds: 1, roundMs: 4_000 } },
};

function machine(start: number[]): MachineFigures {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.versions.node,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { start, end: os.loadavg().map((v) => Math.round(v * 100) / 100) },
  };
}

type Figures = Omit<BenchFigures, 'run' | 'machine' | 'errors'>;

/** The phases that need DynamoDB Local and the runtime: call counts, then throughput and memory. */
async function withDynamoDb(
  plan: Plan,
  phases: { calls: boolean; throughput: boolean; bus: boolean; audit: boolean; profile: boolean },
  progress: Progress,
  figures: Figures,
  errors: Record<string, string>,
): Promise<void> {
  let dynamo: DynamoDbLocal | undefined;
  let runtime: RuntimeChild | undefined;
  try {
    progress.start('starting DynamoDB Local (in memory)');
    dynamo = await startDynamoDbLocal({ port: await freePort() });
    progress.done(dynamo.endpoint);

    const tokens = { service: randomBytes(24).toString('base64url'), operator: randomBytes(24).toString('base64url') };
    const tablePrefix = `bench-${randomBytes(3).toString('hex')}-`;
    const profileDir = phases.profile ? mkdtempSync(path.join(os.tmpdir(), 'provisioning-bench-profile-')) : undefined;
    progress.start('starting the local runtime in its own process');
    runtime = await RuntimeChild.start({ dynamoEndpoint: dynamo.endpoint, tablePrefix, tokens });
    progress.done(`pid ${runtime.pid}, ${runtime.url}`);

    if (phases.calls) {
      try {
        figures.calls = await countCallsPerEvent({ dynamoEndpoint: dynamo.endpoint, tablePrefix, tokens, elsewhere: runtime, progress });
      } catch (error) {
        errors.calls = (error as Error).message;
        progress.fail(errors.calls);
      }
    }

    if (phases.throughput) {
      try {
        const { rss, ...throughput } = await measureThroughput({
          runtime,
          tokens,
          dynamoEndpoint: dynamo.endpoint,
          tablePrefix,
          dynamoPid: dynamo.process.pid,
          concurrency: plan.concurrency,
          namespacesPerWorker: plan.namespacesPerWorker,
          warmupMs: plan.warmupMs,
          serviceWarmupMs: plan.serviceWarmupMs,
          rounds: plan.rounds,
          roundMs: plan.roundMs,
          readWriteSide: plan.readWriteSide,
          progress,
          profileDir,
        });
        figures.throughput = throughput;
        figures.rss = rss;
      } catch (error) {
        errors.throughput = (error as Error).message;
        progress.fail(errors.throughput);
      }
      if (profileDir) {
        progress.note(`CPU profiles of the runtime process during each service round: ${profileDir}`);
        progress.note(`  summary: npx tsx bench/profile-summary.ts ${profileDir}/runtime-service-round-1.cpuprofile (or open it in Chrome DevTools)`);
      }
    }
    if (phases.bus) {
      try {
        figures.bus = await measureBus({ ...plan.bus, runtime, serviceToken: tokens.service, dynamoPid: dynamo.process.pid, progress });
      } catch (error) {
        errors.bus = (error as Error).message;
        progress.fail(errors.bus);
      }
    }
    if (phases.audit) {
      try {
        figures.audit = await measureAuditCost({ dynamoEndpoint: dynamo.endpoint, subscriptions: plan.auditSizes, due: plan.auditDue, progress });
      } catch (error) {
        errors.audit = (error as Error).message;
        progress.fail(errors.audit);
      }
    }
  } catch (error) {
    errors.setup = error instanceof Error ? error.message : String(error);
    progress.fail(errors.setup);
  } finally {
    await runtime?.stop();
    await dynamo?.stop();
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        profile: { type: 'boolean', default: false },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = new Set((args.only ?? PHASES.join(',')).split(',').map((p) => p.trim()));
  const unknown = [...only].filter((p) => !PHASES.includes(p as Phase));
  if (unknown.length) {
    process.stderr.write(`bench: unknown phase ${unknown.join(', ')}: choose from ${PHASES.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const runs = (phase: Phase) => only.has(phase);
  const plan = args.quick ? plans.quick : plans.full;
  // A partial or quick run does not overwrite the figures of a whole one.
  const outFile = path.resolve(args.out ?? path.join(REPO_ROOT, 'bench', args.only || args.quick ? 'results.local.json' : 'results.json'));
  const progress = new Progress();
  const started = Date.now();
  const loadAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const errors: Record<string, string> = {};
  const figures: Figures = { calls: null, throughput: null, bus: null, init: null, rss: null, audit: null };
  progress.note(`bench: ${plan.quick ? 'quick run' : 'full run'} on ${os.cpus().length} CPUs, load average ${loadAtStart.join(' ')}`);

  // Bundles first: synth and the import timings run before Java starts.
  if (runs('init')) {
    try {
      figures.init = await measureInit({ runs: plan.initRuns, warmImports: plan.warmImports, whenStale: plan.quick ? 'esbuild' : 'synth', progress });
    } catch (error) {
      errors.init = (error as Error).message;
      progress.fail(errors.init);
    }
  }

  if (runs('calls') || runs('throughput') || runs('bus') || runs('audit')) {
    await withDynamoDb(plan, { calls: runs('calls'), throughput: runs('throughput'), bus: runs('bus'), audit: runs('audit'), profile: args.profile }, progress, figures, errors);
  }

  const all: BenchFigures = {
    ...figures,
    run: { date: new Date(started).toISOString(), quick: plan.quick, seconds: Math.round((Date.now() - started) / 100) / 10 },
    machine: machine(loadAtStart),
    errors,
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(buildResults(all), null, 2)}\n`);
  process.stdout.write(`\n${renderTable(all)}\n\nWritten to ${path.relative(process.cwd(), outFile) || outFile}\n`);
  return Object.keys(errors).length ? 1 : 0;
}

// Ctrl-C: exit through process.exit so DynamoDB Local and the runtime process are killed with us.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
