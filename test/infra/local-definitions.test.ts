/**
 * `npm start` runs each function with what its template gives it, without a synth: the definitions
 * built from the manifest and infra/function-config.ts (source mode) equal, function by function,
 * those read from the synthesized template (`--bundles` mode) — environment, memory, timeout,
 * async-invoke and stream settings, and the policy statements a handler's calls are checked against.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../infra/function-config.js';
import { createProvisioningApp, REPO_ROOT, STACK_NAME } from '../../infra/provisioning-stack.js';
import { definitionsFromSource, type FunctionDefinition, LOCAL_ENVIRONMENT_DIFFERENCES, type LocalResources, localArns } from '../../local/definitions.js';
import { definitionsFromTemplate, TemplateError } from '../../local/template.js';
import { OPERATOR_JWT_ENV } from '../../shared/platform/operator-roles.js';

const resources: LocalResources = {
  region: 'eu-west-1',
  account: '000000000000',
  tables: { state: 'provisioning-state', idempotency: 'provisioning-idempotency', errors: 'provisioning-errors', flags: 'provisioning-flags' },
  busName: 'provisioning',
  apiId: 'local',
  apiUrl: 'http://127.0.0.1:3000',
};

// Settings given to the stack as context are given to the local runtime as its environment.
const catalog = { free: ['free'], trial: ['gold_trial'], paid: ['gold'] };
const context = { 'provisioning:planCatalog': catalog, 'provisioning:gitlabUrl': 'https://gitlab.example.com' };
const env = { PLAN_CATALOG: JSON.stringify(catalog), GITLAB_URL: 'https://gitlab.example.com' };

/**
 * Statements the CDK adds for the platform's own work, which no handler code calls: Lambda writes
 * the function's logs, sends a failed async invocation to an SQS destination or a failed stream
 * batch to its DLQ, and the event source mapping reads the stream. The local runtime does these
 * itself (stdout, its failure queue, its stream poller), so they are not part of what a handler is
 * checked against.
 */
const platformOnly = (s: PolicyStatement): boolean =>
  s.actions.every((a) => a.startsWith('logs:') || a.startsWith('sqs:') || ['dynamodb:ListStreams', 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].includes(a));

const normalized = (statements: readonly PolicyStatement[]) =>
  statements
    .map((s) => ({
      effect: s.effect,
      actions: [...s.actions].sort(),
      resources: [...s.resources].sort(),
      conditions: Object.fromEntries(
        Object.entries(s.conditions ?? {}).map(([op, block]) => [op, Object.fromEntries(Object.entries(block).map(([k, v]) => [k, typeof v === 'string' ? [v] : [...v].sort()]))]),
      ),
    }))
    .map((s) => JSON.stringify(s))
    .sort();

let outdir: string;
let fromTemplate: Map<string, FunctionDefinition>;
let fromSource: Map<string, FunctionDefinition>;
let rawTemplate: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'local-defs-'));
  createProvisioningApp({ skipBundling: true, outdir, context }).app.synth();
  rawTemplate = JSON.parse(readFileSync(path.join(outdir, `${STACK_NAME}.template.json`), 'utf8'));
  // Bundling skipped: the asset is the repository itself, with no index.js in it.
  fromTemplate = new Map(definitionsFromTemplate(outdir, resources, { checkBundles: false }).map((d) => [d.name, d]));
  fromSource = new Map(definitionsFromSource(resources, { env }).map((d) => [d.name, d]));
});

describe('Local definitions: source mode equals the synthesized template', () => {
  it('defines the same functions, with the same AWS names', () => {
    expect([...fromSource.keys()].sort()).toEqual([...fromTemplate.keys()].sort());
    expect(fromTemplate.size).toBeGreaterThan(30);
    for (const [name, def] of fromTemplate) expect(def.functionName).toBe(fromSource.get(name)!.functionName);
  });

  it('gives every function the same environment, function by function', () => {
    for (const [name, def] of fromTemplate) expect({ name, environment: fromSource.get(name)!.environment }).toEqual({ name, environment: def.environment });
    // What the comparison covers: settings from context/environment, secrets, the stage URL as the local API's.
    expect(fromSource.get('subscription-created')!.environment.PLAN_CATALOG).toBe(JSON.stringify(catalog));
    expect(fromTemplate.get('daily-digest')!.environment).toMatchObject({ GITLAB_URL: 'https://gitlab.example.com', ADMIN_BASE_URL: resources.apiUrl, GITLAB_TOKEN_SECRET_ID: localArns(resources).secret('gitlabToken') });
  });

  it('drops from the template exactly the listed local differences (the operator JWT issuer)', () => {
    const operatorFunctions = Object.values(rawTemplate.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && OPERATOR_JWT_ENV.issuer in ((r.Properties.Environment as { Variables: object }).Variables ?? {}),
    );
    expect(operatorFunctions.length).toBeGreaterThan(0);
    for (const r of operatorFunctions) {
      const name = String(r.Properties.FunctionName).slice(STACK_NAME.length + 1);
      const templateVariables = Object.keys((r.Properties.Environment as { Variables: object }).Variables).sort();
      const dropped = templateVariables.filter((v) => !(v in fromTemplate.get(name)!.environment));
      expect(dropped).toEqual(LOCAL_ENVIRONMENT_DIFFERENCES.map((d) => d.variable));
    }
  });

  it('gives every function the same memory, timeout, concurrency, async-invoke and stream settings', () => {
    const settings = (d: FunctionDefinition) => ({ memoryMb: d.memoryMb, timeoutSeconds: d.timeoutSeconds, reservedConcurrency: d.reservedConcurrency, asyncInvoke: d.asyncInvoke, streams: d.streams });
    for (const [name, def] of fromTemplate) expect({ name, ...settings(fromSource.get(name)!) }).toEqual({ name, ...settings(def) });
    expect(fromTemplate.get('outbox-publisher')!.streams).toHaveLength(1);
    expect([...fromTemplate.values()].filter((d) => d.asyncInvoke).length).toBeGreaterThan(5);
  });

  it("grants every function the same statements as its role's policies, less the platform's own", () => {
    for (const [name, def] of fromTemplate) {
      const template = def.policy().filter((s) => !platformOnly(s));
      expect({ name, statements: normalized(fromSource.get(name)!.policy()) }).toEqual({ name, statements: normalized(template) });
    }
    // What the exclusion removes: every function's log writes, and the stream consumer's reads.
    expect(fromTemplate.get('outbox-publisher')!.policy().filter(platformOnly).flatMap((s) => s.actions)).toEqual(
      expect.arrayContaining(['logs:PutLogEvents', 'dynamodb:GetRecords', 'sqs:SendMessage']),
    );
    expect(fromTemplate.get('outbox-publisher')!.policy().find((s) => s.actions.includes('dynamodb:GetRecords'))!.resources).toEqual([localArns(resources).stream('state')]);
  });

  it('maps each function to the bundle of its own asset', () => {
    const assets = JSON.parse(readFileSync(path.join(outdir, `${STACK_NAME}.assets.json`), 'utf8')) as { files: Record<string, { displayName?: string; source: { path: string } }> };
    for (const [name, def] of fromTemplate) {
      const asset = Object.values(assets.files).find((f) => f.displayName === `${name}/Function/Code`);
      expect(def.code).toEqual({ kind: 'bundle', file: path.resolve(outdir, asset!.source.path, 'index.js') });
    }
  });

  it('refuses to start from a template whose bundles are missing, saying what to run', () => {
    expect(() => definitionsFromTemplate(outdir, resources)).toThrow(/npm run synth/);
    expect(() => definitionsFromTemplate(path.join(outdir, 'nowhere'), resources)).toThrow(TemplateError);
  });

  // The cdk.out of `npm run synth` (with the real bundles), when there is one.
  it.runIf(existsSync(path.join(REPO_ROOT, 'cdk.out', `${STACK_NAME}.template.json`)))('finds every bundle of the cdk.out that npm run synth wrote', () => {
    for (const def of definitionsFromTemplate(path.join(REPO_ROOT, 'cdk.out'), resources)) {
      expect(def.code.kind).toBe('bundle');
      expect(existsSync(def.code.file)).toBe(true);
    }
  });
});
