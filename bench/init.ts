/**
 * Bundle size and cold import time of each function `npm run synth` bundles (the manifest's and the
 * webhook authorizer), beside a bare bundle that only imports the DynamoDB client, built with the
 * stack's own esbuild options.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { webhookAuthorizerFunction } from '../shared/error-log/manifest.js';
import { httpRoutes, functions as manifestFunctions } from '../shared/service/manifest.js';
import type { FunctionSpec } from '../shared/service/manifest.js';
import { REPO_ROOT } from '../local/runtime.js';
import type { InitFigures } from './results.js';
import { median } from './results.js';
import type { Progress } from './progress.js';
import { firstError } from './text.js';

export interface InitOptions {
  runs: number;
  /** Import each bundle once, untimed, before the timed runs (the files are then in the page cache). */
  warmImports: boolean;
  /**
   * When cdk.out is missing or stale: `synth` runs npm run synth; `esbuild` (a quick look) builds
   * each manifest function with the stack's esbuild options instead, in a second or two.
   */
  whenStale: 'synth' | 'esbuild';
  progress: Progress;
}

/**
 * What the stack's functions run with: no NODE_OPTIONS (infra/service-function.ts). Their stack
 * traces are mapped at the first one (shared/platform/stack-traces.ts), not with --enable-source-maps.
 */
export const LAMBDA_NODE_OPTIONS: string[] = [];

/**
 * The bundling options of infra/service-function.ts (NodejsFunction `bundling`), as esbuild options.
 * Importing that module would load aws-cdk-lib; instead the bench checks that these options rebuild
 * one of the synthesized bundles byte for byte and says so when they no longer do.
 */
export const STACK_ESBUILD_OPTIONS: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  logLevel: 'silent',
};

/**
 * Bench builds live where they resolve `@aws-sdk/*` from the project's node_modules, and git ignores
 * them. Its package.json makes the `.js` bundles CommonJS, as in Lambda's /var/task (the repository's
 * own package.json says `"type": "module"`).
 */
const BUILD_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'provisioning-bench');

function prepareBuildDir(): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  writeFileSync(path.join(BUILD_DIR, 'package.json'), '{ "type": "commonjs" }\n');
}

/**
 * A synthesized bundle copied (with its source map) below BUILD_DIR: in cdk.out, inside the
 * repository, Node would read `index.js` as an ES module.
 */
function stage(fn: SynthesizedFunction): SynthesizedFunction {
  const dir = path.join(BUILD_DIR, 'synth', fn.name);
  mkdirSync(dir, { recursive: true });
  const bundle = path.join(dir, path.basename(fn.bundle));
  copyFileSync(fn.bundle, bundle);
  if (existsSync(`${fn.bundle}.map`)) copyFileSync(`${fn.bundle}.map`, `${bundle}.map`);
  return { ...fn, bundle };
}
const CDK_OUT = path.join(REPO_ROOT, 'cdk.out');
const SOURCES = ['shared', 'functions', 'infra', 'package-lock.json', 'cdk.json', 'tsconfig.json'];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/**
 * Every function the stack bundles: the manifest's, and the webhook authorizer, which the stack
 * builds outside the manifest once a route uses `webhook` auth (infra/provisioning-stack.ts).
 */
export function bundledFunctions(): FunctionSpec[] {
  const authorizer = httpRoutes().some((route) => route.auth === 'webhook') ? [webhookAuthorizerFunction] : [];
  return [...manifestFunctions, ...authorizer];
}

/** cdk.out is missing or older than a source it is built from. */
export function synthIsStale(): boolean {
  const manifest = path.join(CDK_OUT, 'manifest.json');
  if (!existsSync(manifest)) return true;
  const built = statSync(manifest).mtimeMs;
  return SOURCES.some((source) => newestMtime(path.join(REPO_ROOT, source)) > built);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

interface SynthesizedFunction {
  name: string;
  entry: string;
  bundle: string;
}

/** Each bundled function's bundle in cdk.out, found by the template's `aws:asset:path` metadata. */
export function synthesizedFunctions(): SynthesizedFunction[] {
  const assembly = JSON.parse(readFileSync(path.join(CDK_OUT, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const found = new Map<string, string>();
  for (const artifact of Object.values(assembly.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(path.join(CDK_OUT, artifact.properties.templateFile), 'utf8')) as {
      Resources?: Record<string, { Type: string; Properties?: { Handler?: string }; Metadata?: Record<string, string> }>;
    };
    for (const resource of Object.values(template.Resources ?? {})) {
      const asset = resource.Metadata?.['aws:asset:path'];
      const constructPath = resource.Metadata?.['aws:cdk:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || !asset || !constructPath) continue;
      // ProvisioningService/<function name>/Function/Resource
      const name = constructPath.split('/')[1] ?? '';
      const file = (resource.Properties?.Handler ?? 'index.handler').replace(/\.[^.]+$/, '');
      const bundle = ['.mjs', '.js'].map((ext) => path.join(CDK_OUT, asset, `${file}${ext}`)).find((candidate) => existsSync(candidate));
      if (bundle) found.set(name, bundle);
    }
  }
  return bundledFunctions().map((spec) => {
    const bundle = found.get(spec.name);
    if (!bundle) throw new Error(`cdk.out has no bundle for ${spec.name}: run npm run synth and look at its output`);
    return { name: spec.name, entry: spec.entry, bundle };
  });
}

async function build(entry: string, outfile: string): Promise<void> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  await esbuild.build({ ...STACK_ESBUILD_OPTIONS, entryPoints: [entry], outfile, absWorkingDir: REPO_ROOT });
}

export interface BundlePart {
  /** A package (`zod`, `@aws-lambda-powertools/logger`) or `(service code)`. */
  part: string;
  bytes: number;
}

/** What a bundle is made of, largest first: a package, or the repository's own code. */
export function composition(inputs: Record<string, { bytesInOutput: number }>, top = 4): BundlePart[] {
  const parts = new Map<string, number>();
  for (const [file, input] of Object.entries(inputs)) {
    const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const part = dependency ? dependency[1]! : '(service code)';
    parts.set(part, (parts.get(part) ?? 0) + input.bytesInOutput);
  }
  return [...parts].map(([part, bytes]) => ({ part, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, top);
}

/** Rebuilds an entry with the stack's options, in memory: its size and what it is made of. */
async function analyze(entry: string): Promise<{ bytes: number; parts: BundlePart[] }> {
  const result = await esbuild.build({
    ...STACK_ESBUILD_OPTIONS,
    entryPoints: [entry],
    outfile: path.join(BUILD_DIR, 'analyze', 'index.js'),
    absWorkingDir: REPO_ROOT,
    write: false,
    metafile: true,
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.js'))?.[1];
  if (!output) throw new Error(`esbuild produced no bundle for ${entry}`);
  return { bytes: output.bytes, parts: composition(output.inputs) };
}

/** How many function imports there are between two imports of the bare bundle in a round. */
const BARE_EVERY = 5;

/** Rebuilt sizes within this share of the synthesized ones: the options are the stack's (sources may move during a run). */
const SAME_OPTIONS_TOLERANCE = 0.02;

/** Each function bundled as the stack would (without a synth): a quick run's bundles. */
async function buildFunctions(): Promise<SynthesizedFunction[]> {
  return Promise.all(
    bundledFunctions().map(async (spec) => {
      const bundle = path.join(BUILD_DIR, 'functions', spec.name, 'index.js');
      await build(path.join(REPO_ROOT, spec.entry), bundle);
      return { name: spec.name, entry: spec.entry, bundle };
    }),
  );
}

/** The bare bundle: a handler that only imports the DynamoDB client. */
async function buildBare(): Promise<string> {
  const source = path.join(BUILD_DIR, 'bare', 'handler.ts');
  mkdirSync(path.dirname(source), { recursive: true });
  writeFileSync(
    source,
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
      'let client: DynamoDBClient | undefined;\n' +
      'export const handler = async () => ((client ??= new DynamoDBClient({})), { statusCode: 200 });\n',
  );
  const outfile = path.join(BUILD_DIR, 'bare', 'index.js');
  await build(source, outfile);
  return outfile;
}

/**
 * Loads the bundle as Lambda's Node.js runtime loads a handler: a CommonJS `.js` with require(), an
 * `.mjs` with import().
 */
const IMPORT_PROBE = [
  'const started = performance.now();',
  'const cpu = process.cpuUsage();',
  'const done = () => { const used = process.cpuUsage(cpu);',
  'process.stdout.write(JSON.stringify({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 })); };',
  'const file = process.argv[1];',
  "if (file.endsWith('.mjs')) import(require('node:url').pathToFileURL(file).href).then(done); else { require(file); done(); }",
].join(' ');

interface ImportTime {
  /** Wall-clock time of the import: what a cold start waits. */
  ms: number;
  /** CPU time of the process during the import: steadier on a busy machine. */
  cpuMs: number;
}

/** Time to import `file` in a fresh Node process (Node's own start-up not included). */
async function importTime(file: string): Promise<ImportTime> {
  const { code, output } = await run(process.execPath, [...LAMBDA_NODE_OPTIONS, '-e', IMPORT_PROBE, file], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // Externals resolve from the project's node_modules (the bundles sit below it; NODE_PATH for require()).
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    AWS_REGION: 'eu-west-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'provisioning',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  const match = /\{"ms":[0-9.e+-]+,"cpuMs":[0-9.e+-]+\}/.exec(output);
  if (code !== 0 || !match) throw new Error(`importing ${path.relative(REPO_ROOT, file)} failed: ${output.trim().slice(-500)}`);
  return JSON.parse(match[0]) as ImportTime;
}

export async function measureInit(options: InitOptions): Promise<InitFigures> {
  const { progress } = options;
  let source: InitFigures['source'] = 'cdk.out';
  const stale = synthIsStale();
  if (stale && options.whenStale === 'synth') {
    progress.start('init: npm run synth (cdk.out is missing or older than the sources)');
    const { code, output } = await run('npm', ['run', 'synth'], { ...process.env, CI: 'true' });
    if (code !== 0) throw new Error(`npm run synth failed (run it to see why): ${firstError(output)}`);
    source = 'npm run synth';
    progress.done('cdk.out is up to date');
  } else if (stale) source = 'esbuild with the stack\'s options';

  progress.start('init: bundles');
  prepareBuildDir();
  const fns = source === 'esbuild with the stack\'s options' ? await buildFunctions() : synthesizedFunctions().map(stage);
  const bare = await buildBare();
  // Each function rebuilt with the bench's options: what it is made of, and a check that the
  // options still are the stack's (the bare bundle must be built the same way to be comparable).
  const analyzed = new Map<string, Awaited<ReturnType<typeof analyze>>>();
  for (const fn of fns) analyzed.set(fn.name, await analyze(path.join(REPO_ROOT, fn.entry)));
  const mismatched = fns.filter((fn) => Math.abs(analyzed.get(fn.name)!.bytes - statSync(fn.bundle).size) > SAME_OPTIONS_TOLERANCE * statSync(fn.bundle).size);
  const bundlingMatchesSynth = mismatched.length === 0;
  progress.done(
    `${fns.length} functions, bare bundle ${statSync(bare).size} bytes` +
      (bundlingMatchesSynth ? '' : ` (rebuilt sizes differ from cdk.out for ${mismatched.map((fn) => fn.name).join(', ')})`),
  );

  const targets = [{ name: '(bare)', file: bare }, ...fns.map((fn) => ({ name: fn.name, file: fn.bundle }))];
  const times = new Map<string, ImportTime[]>(targets.map((t) => [t.name, []]));
  progress.start(`init: importing each bundle ${options.runs}× in a fresh node`);
  // One untimed import each: the files are in the page cache before anything is timed.
  if (options.warmImports) for (const target of targets) await importTime(target.file);
  for (let round = 0; round < options.runs; round++) {
    // A different order each round: a burst of load on the machine spreads over every bundle. The
    // bare bundle, which every ratio divides by, is imported again after every BARE_EVERY functions:
    // one slow sample of it would otherwise move every ratio.
    const order = targets.map((_, i) => targets[(i + round * 3) % targets.length]!);
    const withBare = order.flatMap((target, i) => (i % BARE_EVERY === BARE_EVERY - 1 && target.name !== '(bare)' ? [target, targets[0]!] : [target]));
    for (const target of withBare) {
      progress.update(`round ${round + 1}/${options.runs}: ${target.name}`);
      times.get(target.name)!.push(await importTime(target.file));
    }
  }
  const ms = (name: string) => median(times.get(name)!.map((t) => t.ms));
  const cpuMs = (name: string) => median(times.get(name)!.map((t) => t.cpuMs));
  const figures: InitFigures = {
    bareMs: ms('(bare)'),
    bareCpuMs: cpuMs('(bare)'),
    bareBytes: statSync(bare).size,
    functions: Object.fromEntries(fns.map((fn) => [fn.name, { bytes: statSync(fn.bundle).size, initMs: ms(fn.name), initCpuMs: cpuMs(fn.name) }])),
    composition: Object.fromEntries(fns.map((fn) => [fn.name, analyzed.get(fn.name)!.parts])),
    runs: options.runs,
    bareImports: times.get('(bare)')!.length,
    nodeOptions: LAMBDA_NODE_OPTIONS,
    bundlingMatchesSynth,
    source,
  };
  progress.done(`bare ${figures.bareMs.toFixed(0)} ms; functions ${Object.values(figures.functions).map((f) => f.initMs.toFixed(0)).join(' ')} ms`);
  return figures;
}
