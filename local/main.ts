/**
 * `npm start`: the whole service on this machine. `npm start -- --in-memory` keeps nothing;
 * `npm start -- --bundles` runs the bundles of cdk.out (synthesizing first when they are missing or stale).
 * Environment: PORT (3000), DYNAMODB_PORT (a free one), PROVISIONING_SERVICE_TOKEN and
 * PROVISIONING_OPERATOR_TOKEN (generated when unset; 32 characters at least), LOG_LEVEL (INFO).
 */
// The SDK's notice about Node 20 is known (TOOLCHAIN.md): versions are pinned.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { StartupError } from './dynamodb.js';
import { tokensFromEnvironment } from './environment.js';
import { REPO_ROOT, startRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';

const USAGE = 'usage: npm start [-- --in-memory] [--port N] [--data-dir DIR] [--bundles [--synth]]';

const TEMPLATE = 'ProvisioningService.template.json';

/** The newest modification time of the files a synth reads (infra, shared, functions, cdk.json, the lockfile). */
function newestSource(): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of ['infra', 'shared', 'functions']) visit(path.join(REPO_ROOT, dir));
  for (const file of ['cdk.json', 'package-lock.json']) newest = Math.max(newest, statSync(path.join(REPO_ROOT, file)).mtimeMs);
  return newest;
}

/**
 * cdk.out as `cdk deploy` would upload it: synthesized now when it is missing, older than the
 * sources, or `--synth` is given (about a minute and a half: every function is bundled).
 */
function ensureAssembly(force: boolean): string {
  const cdkOut = path.join(REPO_ROOT, 'cdk.out');
  const template = path.join(cdkOut, TEMPLATE);
  const reason = force ? '--synth was given' : !existsSync(template) ? 'cdk.out has no template yet' : statSync(template).mtimeMs < newestSource() ? 'the sources changed since the last synth' : undefined;
  if (reason) {
    process.stdout.write(`provisioning: synthesizing the stack (${reason}; about 1–2 minutes: every function is bundled)...\n`);
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet'], { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, CI: 'true' } });
    if (run.status !== 0) fail('cdk synth failed (see above): fix it, or start without --bundles.');
  }
  return cdkOut;
}

function fail(message: string): never {
  process.stderr.write(`provisioning: ${message}\n`);
  process.exit(1);
}

/**
 * The GitLab webhook's secret: from the environment, else kept in .data/ (persisted runs), else new;
 * so POST /v1/webhooks/gitlab can be tried locally without configuring anything.
 */
function ensureWebhookSecret(dataDir: string | undefined): boolean {
  if (process.env.GITLAB_WEBHOOK_SECRET) return false;
  const file = dataDir ? path.join(dataDir, 'gitlab-webhook-secret') : undefined;
  let secret = file && existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!secret) {
    secret = randomBytes(24).toString('base64url');
    if (file) {
      mkdirSync(dataDir!, { recursive: true, mode: 0o700 });
      writeFileSync(file, secret, { mode: 0o600 });
    }
  }
  process.env.GITLAB_WEBHOOK_SECRET = secret;
  return true;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        'in-memory': { type: 'boolean', default: false },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        bundles: { type: 'boolean', default: false },
        synth: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const portText = args.port ?? process.env.PORT ?? '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, not "${portText}".`);
  const dynamoPort = process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : 0;
  const dataDir = args['in-memory'] ? undefined : path.resolve(args['data-dir'] ?? path.join(REPO_ROOT, '.data'));
  process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'INFO';

  const webhookSecretGenerated = ensureWebhookSecret(dataDir);
  const started = Date.now();
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      port,
      dynamoPort,
      dataDir,
      tokens: tokensFromEnvironment(process.env),
      ...(args.bundles && { bundles: { cdkOut: ensureAssembly(args.synth) } }),
    });
  } catch (error) {
    if (error instanceof StartupError) fail(error.message);
    throw error;
  }

  const shown = (token: string, generated: boolean) => (generated ? `${token}  (generated${dataDir ? ', kept in .data/tokens.json' : ''})` : '(from the environment)');
  process.stdout.write(
    [
      '',
      `Provisioning Service is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s; ${args.bundles ? 'the bundles of cdk.out with the template\'s environment and IAM policies' : 'each function isolated, built from the sources, with its template environment and IAM policy'})`,
      `  API                 ${runtime.url}   (GET /health, GET /openapi.json)`,
      `  Admin page          ${runtime.url}/admin   (sign in with an operator token: admin, support or viewer)`,
      `  EventBridge bus     ${runtime.url}/eventbridge   (bus "provisioning"; SigV4: access key provisioning-local, secret = the service token)`,
      `  DynamoDB endpoint   ${runtime.dynamoEndpoint}   (${dataDir ? `data in ${path.relative(process.cwd(), dataDir) || dataDir}/` : 'in memory: nothing is kept'})`,
      `  Service token       PROVISIONING_SERVICE_TOKEN=${shown(runtime.tokens.service, runtime.tokensGenerated.service)}`,
      `  Operator tokens     (admin)   PROVISIONING_OPERATOR_TOKEN=${shown(runtime.tokens.operator, runtime.tokensGenerated.operator)}`,
      `                      (support) PROVISIONING_SUPPORT_TOKEN=${shown(runtime.tokens.support, runtime.tokensGenerated.support)}`,
      `                      (viewer)  PROVISIONING_VIEWER_TOKEN=${shown(runtime.tokens.viewer, runtime.tokensGenerated.viewer)}`,
      `  GitLab webhook      GITLAB_WEBHOOK_SECRET=${webhookSecretGenerated ? `${process.env.GITLAB_WEBHOOK_SECRET}  (generated${dataDir ? ', kept in .data/gitlab-webhook-secret' : ''}; the webhook's secret token)` : '(from the environment)'}`,
      '',
      `Try: curl -s -H "Authorization: Bearer $PROVISIONING_SERVICE_TOKEN" ${runtime.url}/v1/namespaces/1/subscription`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write('provisioning: stopping already; press Ctrl-C again in a few seconds to force it\n');
      stopping = false; // a third signal forces
      return;
    }
    stopping = true;
    process.stderr.write(`provisioning: ${signal} received, finishing work under way and stopping DynamoDB Local...\n`);
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`provisioning: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}

main().catch((error: unknown) => {
  process.stderr.write(`provisioning: could not start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
