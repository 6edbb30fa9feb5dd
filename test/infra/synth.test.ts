/**
 * `npm run synth` works offline, through the CLI as a user runs it, and bundles every function.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../local/runtime.js';
import type { Runtime } from '../../local/runtime.js';
import { functions } from '../../shared/service/manifest.js';
import { runEndToEndFlow } from '../integration/e2e-flow.js';

/** A synth bundles every function with esbuild: a minute and a half on a quiet 2-core machine, more on a busy one. */
const SYNTH_TIMEOUT_MS = 300_000;

describe('cdk synth', () => {
  // Inside the repository (below node_modules/.cache, which git ignores): the bundles resolve the AWS
  // SDK from the repository's node_modules, as Lambda's runtime provides it to require and import().
  mkdirSync(path.resolve('node_modules/.cache'), { recursive: true });
  const out = mkdtempSync(path.resolve('node_modules/.cache/synth-'));
  let runtime: Runtime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('synthesizes offline with cdk-nag and bundles each manifest function', { timeout: SYNTH_TIMEOUT_MS + 30_000 }, async () => {
    await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--output', out], { env: { ...process.env, CI: 'true' }, timeout: SYNTH_TIMEOUT_MS });
    const template = JSON.parse(readFileSync(path.join(out, 'ProvisioningService.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { FunctionName?: string }; Metadata?: Record<string, string> }>;
    };
    const lambdas = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    for (const fn of functions) {
      const resource = lambdas.find((r) => r.Properties.FunctionName === `ProvisioningService-${fn.name}`);
      expect(resource, fn.name).toBeDefined();
      const asset = resource!.Metadata?.['aws:asset:path'];
      expect(asset && existsSync(path.join(out, asset, 'index.js')), `${fn.name} bundle`).toBe(true);
    }
    // Each bundle loads as Lambda's runtime loads a CommonJS handler (require), with the SDK from
    // outside the bundle, and exports its handler.
    const bundles = functions.map((fn) => {
      const resource = lambdas.find((r) => r.Properties.FunctionName === `ProvisioningService-${fn.name}`);
      return path.join(out, resource!.Metadata!['aws:asset:path']!, 'index.js');
    });
    const probe = 'process.stdout.write(JSON.stringify(process.argv.slice(1).map((f) => typeof require(f).handler)));';
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe, ...bundles], {
      cwd: out,
      env: { PATH: process.env.PATH, NODE_PATH: path.resolve('node_modules'), AWS_REGION: 'eu-west-1', POWERTOOLS_SERVICE_NAME: 'provisioning' },
    });
    expect(JSON.parse(stdout)).toEqual(functions.map(() => 'function'));
    expect(readdirSync(out).some((f) => f === 'validation-report.json') ? JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8')).pluginReports?.flatMap((p: { violations: unknown[] }) => p.violations) ?? [] : []).toEqual([]);
  });

  // The deployed artifact is what is tested: the bundles just synthesized, with the template's
  // environment, policies and settings, through the end-to-end flow (npm start -- --bundles).
  it('runs the end-to-end flow on the bundles of cdk.out', { timeout: 180_000 }, async () => {
    expect(existsSync(path.join(out, 'ProvisioningService.template.json')), 'the synth above ran').toBe(true);
    runtime = await startRuntime({
      port: 0,
      bundles: { cdkOut: out },
      tokens: { service: 'service-token-for-the-bundle-test', operator: 'operator-token-for-the-bundle-test' },
      retryDelaysMs: [20, 50],
      streamPollIntervalMs: 20,
    });
    expect(runtime.definitions.get('subscription-created')?.code).toEqual({ kind: 'bundle', file: expect.stringMatching(/asset\.[0-9a-f]+\/index\.js$/) });
    await runEndToEndFlow(runtime, 7_200_001);
    expect(runtime.iam.denials).toEqual([]);
  });
});
