/**
 * The manifest's functions as Lambda runs them: each in execution environments of its own. An
 * environment is a worker thread (local/lambda-worker.mjs) with its own module graph, its own
 * `process.env` (the function's template environment, resolved to the local resources), and a V8
 * heap limited to the function's memory size. It is started at the first invocation that finds no
 * idle one (a cold start: the handler's module is imported then), runs one invocation at a time,
 * is reused while warm and stopped after `idleTimeoutMs` without work. More invocations at once
 * start more environments, up to the function's reserved concurrency when it has one (further
 * invocations wait for a free one, where AWS would throttle them and the caller retry).
 *
 * An invocation that outlives the function's timeout fails with "Task timed out after N seconds"
 * and its environment is discarded, as Lambda resets a sandbox after a timeout; one whose heap
 * outgrows the memory size fails and is discarded too. Nothing is shared between functions: a
 * module-level cache one function fills is not seen by another, as in AWS.
 *
 * Source mode builds each function's code as the stack bundles it (esbuild: one CommonJS file, the
 * AWS SDK left to the runtime), unminified and with a source map, at its first invocation (about
 * 0.2 s, once per process); `--bundles` runs the minified bundles of `cdk.out` themselves.
 *
 * flow: invoke --> idle environment? (warm) | start one (cold: import) --> postMessage --> result
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { FunctionSettings, FunctionSpec } from '../shared/service/manifest.js';
import { FUNCTION_DEFAULTS } from '../shared/service/manifest.js';
import { STACK_NAME } from '../infra/function-config.js';

export const LOCAL_ACCOUNT = '000000000000';

/**
 * The waits between the attempts of an asynchronous invocation (bus deliveries, scheduled runs):
 * as many retries as the stack configures on each Lambda (FUNCTION_DEFAULTS.asyncRetryAttempts).
 */
export const ASYNC_RETRY_DELAYS_MS: readonly number[] = Array.from({ length: FUNCTION_DEFAULTS.asyncRetryAttempts }, (_, i) => 200 * 5 ** i);

/**
 * The new space of each environment's heap: V8's default sizes it for a process of its own (16 MB
 * semi-spaces and more); a handler's short-lived objects fit in far less, and one machine runs many.
 */
export const YOUNG_GENERATION_MB = 4;

/** How long an environment stays warm without an invocation (Lambda keeps them for minutes). */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

/**
 * Environments one function may run at once when it has no reserved concurrency: as many as the
 * machine has cores (2 at least). AWS would start one per concurrent invocation, up to the account's
 * limit; one machine is not that: each warm environment holds about 25–30 MB (npm run bench, "one
 * warm isolated function"), and more than the cores only contend for the CPU with DynamoDB Local. A
 * burst beyond this many waits for a free environment instead.
 */
export const DEFAULT_MAX_ENVIRONMENTS = Math.max(2, availableParallelism());

export interface LocalFunction {
  spec: FunctionSpec;
  /** Memory and timeout, as the template sets them on the Lambda. */
  settings: FunctionSettings;
  /** Invokes the handler once; rejects with the handler's error or a timeout. */
  invoke(event: unknown, requestId?: string): Promise<unknown>;
}

/** The AWS name of a manifest function, as the stack names it. */
export const functionName = (spec: Pick<FunctionSpec, 'name'>) => `${STACK_NAME}-${spec.name}`;

export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
}

/** An error the handler threw, carried back from its environment with its name and message. */
export class HandlerError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The functions' code built from the sources, one build per entry and process (the sources do not
 * change under a running runtime). Written below node_modules/.cache so that the bundle resolves the
 * AWS SDK from the repository's node_modules, as Lambda's runtime provides it.
 */
export class SourceBuilds {
  private readonly builds = new Map<string, Promise<string>>();

  constructor(private readonly outDir = path.join(REPO_ROOT, 'node_modules', '.cache', 'provisioning-local', String(process.pid))) {}

  /** The built bundle of the handler at `entry` (an absolute .ts path). */
  bundle(name: string, entry: string): Promise<string> {
    let built = this.builds.get(entry);
    if (!built) {
      if (this.builds.size === 0) {
        process.once('exit', () => rmSync(this.outDir, { recursive: true, force: true }));
        removeBuildsOfExitedProcesses(path.dirname(this.outDir));
      }
      const outfile = path.join(this.outDir, name, 'index.js');
      built = build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        // As infra/service-function.ts bundles it for Lambda, but readable and with a map.
        format: 'cjs',
        target: 'node20',
        mainFields: ['module', 'main'],
        external: ['@aws-sdk/*'],
        sourcemap: 'linked',
        sourcesContent: false,
        logLevel: 'silent',
      }).then(() => outfile);
      // A failed build is tried again at the next cold start.
      built.catch(() => this.builds.delete(entry));
      this.builds.set(entry, built);
    }
    return built;
  }
}

/** Build folders (named by process id) of runtimes that ended without removing theirs (killed). */
function removeBuildsOfExitedProcesses(parent: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

/** The builds every runtime of this process shares unless given its own. */
export const sourceBuilds = new SourceBuilds();

/** The JavaScript file an environment loads (a bundle; built from the sources, it carries a map). */
type LoadedCode = { kind: 'bundle'; file: string; sourceMaps: boolean };

/** What an environment of a function is started with. */
export interface IsolatedFunctionConfig {
  spec: FunctionSpec;
  functionName: string;
  functionArn: string;
  code: { kind: 'source' | 'bundle'; file: string };
  memoryMb: number;
  timeoutSeconds: number;
  reservedConcurrency?: number;
  /** The whole `process.env` of the environment: the template's variables plus what Lambda sets. */
  environment: Readonly<Record<string, string>>;
}

export interface EnvironmentEvents {
  /** A cold start finished (or failed): how long the import took. */
  coldStart?(fn: string, initMs: number, ok: boolean): void;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/** One execution environment: a worker thread running one invocation at a time. */
class Environment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  private pending?: Pending;
  private idleTimer?: NodeJS.Timeout;
  stopped = false;
  /** The configuration it was started with (IsolatedFunction.updateEnvironment counts them). */
  generation = 0;

  constructor(
    private readonly config: IsolatedFunctionConfig,
    code: LoadedCode,
    private readonly onExit: (env: Environment) => void,
    events: EnvironmentEvents,
  ) {
    this.worker = new Worker(new URL('./lambda-worker.mjs', import.meta.url), {
      workerData: {
        code,
        runtimeModules: path.join(REPO_ROOT, 'node_modules'),
        context: { functionName: config.functionName, functionArn: config.functionArn, memoryMb: config.memoryMb, logStreamName: randomUUID() },
      },
      env: { ...config.environment },
      // The function's memory size bounds the heap, as Lambda's bounds the sandbox.
      resourceLimits: { maxOldGenerationSizeMb: config.memoryMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      // No tsx or other loaders of the runtime's own command line: the code is JavaScript, as on Lambda.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string; initMs?: number; error?: { name: string; message: string; stack?: string } }) => {
        if (message.type === 'ready') {
          events.coldStart?.(config.spec.name, message.initMs ?? 0, true);
          resolve();
        } else if (message.type === 'init-error') {
          events.coldStart?.(config.spec.name, 0, false);
          const error = message.error!;
          reject(new HandlerError(error.name, `${config.functionName} failed to initialize: ${error.message}`, error.stack));
        }
      };
      this.worker.once('message', onMessage);
      this.worker.once('error', reject);
    });
    // A rejected init is answered to the invocation that started it; never unhandled.
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: { type: string; ok?: boolean; value?: unknown; error?: { name: string; message: string; stack?: string } }) => {
      if (message.type !== 'result' || !this.pending) return;
      const { resolve, reject, timer } = this.pending;
      this.pending = undefined;
      clearTimeout(timer);
      if (message.ok) resolve(message.value);
      else reject(new HandlerError(message.error!.name, message.error!.message, message.error!.stack));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      this.stopped = true;
      clearTimeout(this.idleTimer);
      this.fail(new HandlerError('Runtime.ExitError', `${config.functionName}: the execution environment exited (code ${code}) during the invocation.`));
      this.onExit(this);
    });
  }

  private fail(error: unknown): void {
    if (!this.pending) return;
    const { reject, timer } = this.pending;
    this.pending = undefined;
    clearTimeout(timer);
    // A heap beyond the memory size kills the environment, as Lambda's OOM does.
    const oom = (error as { code?: string })?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    reject(oom ? new HandlerError('Runtime.OutOfMemory', `${this.config.functionName} ran out of memory (${this.config.memoryMb} MB).`) : error);
  }

  invoke(event: unknown, requestId: string): Promise<unknown> {
    clearTimeout(this.idleTimer);
    const timeoutMs = this.config.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new FunctionTimeoutError(`Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds`));
        // The sandbox is reset after a timeout: the next invocation starts cold.
        void this.stop();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.worker.postMessage({ type: 'invoke', id: requestId, event, requestId, deadline });
    });
  }

  /** Keeps the environment warm for `ms`, then stops it. */
  park(ms: number): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stop(), ms);
    this.idleTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.idleTimer);
    await this.worker.terminate();
  }
}

export interface IsolatedFunctionOptions extends EnvironmentEvents {
  idleTimeoutMs?: number;
  maxEnvironments?: number;
  /** Default: the process's `sourceBuilds`. */
  builds?: SourceBuilds;
}

/**
 * A function of the manifest run in isolated execution environments.
 *
 * @example
 * const fn = new IsolatedFunction(config, { idleTimeoutMs: 60_000 });
 * await fn.invoke(event); // cold: starts an environment and imports the handler
 * await fn.invoke(event); // warm: the same environment
 * await fn.stop();
 */
export class IsolatedFunction implements LocalFunction {
  readonly spec: FunctionSpec;
  readonly settings: FunctionSettings;
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Array<(env: Environment) => void> = [];
  private readonly limit: number;
  private stopping = false;
  readonly stats = { coldStarts: 0, invocations: 0, peakEnvironments: 0 };

  constructor(
    readonly config: IsolatedFunctionConfig,
    private readonly options: IsolatedFunctionOptions = {},
  ) {
    this.spec = config.spec;
    this.settings = { memoryMb: config.memoryMb, timeoutSeconds: config.timeoutSeconds };
    this.limit = config.reservedConcurrency ?? options.maxEnvironments ?? DEFAULT_MAX_ENVIRONMENTS;
  }

  /** Environments running now (warm or busy). */
  get environments(): number {
    return this.all.size;
  }

  invoke = async (event: unknown, requestId: string = randomUUID()): Promise<unknown> => {
    if (this.stopping) throw new HandlerError('ServiceException', `${this.config.functionName} is stopping.`);
    // Built once (source mode) before the first environment starts; the same file for every one.
    this.bundle ??= await this.code();
    const env = await this.acquire();
    this.stats.invocations++;
    try {
      await env.ready;
    } catch (error) {
      // Lambda reports an init failure to the invocation and starts afresh at the next one.
      await env.stop();
      this.release(env);
      throw error;
    }
    try {
      return await env.invoke(event, requestId);
    } finally {
      this.release(env);
    }
  };

  /** The JavaScript file an environment loads: the bundle, or the sources built as the stack bundles them. */
  private async code(): Promise<LoadedCode> {
    const { code } = this.config;
    if (code.kind === 'bundle') return { kind: 'bundle', file: code.file, sourceMaps: false };
    const file = await (this.options.builds ?? sourceBuilds).bundle(this.spec.name, code.file);
    return { kind: 'bundle', file, sourceMaps: true };
  }

  private acquire(): Promise<Environment> {
    const warm = this.idle.pop();
    if (warm) return Promise.resolve(warm);
    if (this.all.size < this.limit) return Promise.resolve(this.start());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private bundle?: LoadedCode;

  private start(): Environment {
    this.stats.coldStarts++;
    const env = new Environment(this.config, this.bundle!, (gone) => this.forget(gone), this.options);
    env.generation = this.generation;
    this.all.add(env);
    this.stats.peakEnvironments = Math.max(this.stats.peakEnvironments, this.all.size);
    return env;
  }

  private forget(env: Environment): void {
    this.all.delete(env);
    const i = this.idle.indexOf(env);
    if (i >= 0) this.idle.splice(i, 1);
    // A waiter gets a new environment in place of the one that went.
    const next = this.waiting.shift();
    if (next && !this.stopping) next(this.start());
  }

  private release(env: Environment): void {
    if (env.stopped) return;
    if (env.generation !== this.generation) {
      void env.stop();
      return;
    }
    const next = this.waiting.shift();
    if (next) return next(env);
    this.idle.push(env);
    env.park(this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  }

  /**
   * Changes the function's environment variables, as Lambda's UpdateFunctionConfiguration does:
   * environments already started keep the old ones until they stop; idle ones are stopped now, so
   * the next invocation starts cold with the new variables.
   */
  async updateEnvironment(environment: Readonly<Record<string, string>>): Promise<void> {
    (this as { config: IsolatedFunctionConfig }).config = { ...this.config, environment };
    this.generation++;
    await this.coolDown();
  }

  private generation = 0;

  /** Stops the idle environments: the next invocation starts cold (as after Lambda reclaimed them). */
  async coolDown(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((env) => env.stop()));
  }

  /** Stops every environment (after the invocations under way, which are not waited for). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.all].map((env) => env.stop()));
  }
}
