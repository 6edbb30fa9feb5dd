/**
 * The manifest is the single source of truth: every function, route, rule and stream mapping it
 * lists is in the synthesized template AND in the local runtime's router, bus and stream feed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalBus, asyncInvokeSettings } from '../../local/bus.js';
import { streamSourceSettings } from '../../local/streams.js';
import { ASYNC_RETRY_DELAYS_MS, IsolatedFunction } from '../../local/functions.js';
import type { LocalFunction } from '../../local/functions.js';
import { definitionsFromSource } from '../../local/definitions.js';
import { buildRouter } from '../../local/http-server.js';
import { REPO_ROOT } from '../../local/runtime.js';
import { createProvisioningApp, STACK_NAME } from '../../infra/provisioning-stack.js';
import { BUS_NAME, functions } from '../../shared/service/manifest.js';
import { tableSpecs } from '../../shared/platform/tables.js';
import type { TableKey } from '../../shared/platform/tables.js';

let template: Template;
let local: Map<string, LocalFunction>;

beforeAll(async () => {
  const { app, stack } = createProvisioningApp({ skipBundling: true, outdir: mkdtempSync(path.join(tmpdir(), 'agree-')) });
  template = Template.fromStack(stack);
  void app;
  // The runtime's functions, as npm start defines them (no environment is started: that happens at a first invocation).
  const tables = Object.fromEntries(tableSpecs.map((t) => [t.key, `provisioning-${t.key}`])) as Record<TableKey, string>;
  const definitions = definitionsFromSource({ region: 'eu-west-1', account: '000000000000', tables, busName: BUS_NAME, apiId: 'local', apiUrl: 'http://127.0.0.1:3000' }, { repoRoot: REPO_ROOT });
  local = new Map(
    definitions.flatMap((d) => {
      const spec = functions.find((f) => f.name === d.name);
      if (!spec) return [];
      const config = { spec, functionName: d.functionName, functionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${d.functionName}`, code: d.code, memoryMb: d.memoryMb, timeoutSeconds: d.timeoutSeconds, environment: d.environment };
      return [[d.name, new IsolatedFunction(config)] as const];
    }),
  );
});

describe('Manifest: the stack and the local runtime agree', () => {
  it.each(functions.map((f) => [f.name, f] as const))('%s is a Lambda in the template and a loaded handler locally', (name) => {
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: `${STACK_NAME}-${name}` });
    expect(local.get(name)?.spec.name).toBe(name);
  });

  it('serves exactly the manifest routes, in the template and in the local router', () => {
    const expected = functions.flatMap((f) => f.triggers.flatMap((t) => (t.kind === 'http' ? [`${t.method} ${t.path}`] : []))).sort();
    const inTemplate = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string).sort();
    const router = buildRouter(local);
    expect(inTemplate).toEqual(expected);
    expect([...router.routeKeys].sort()).toEqual(expected);
    for (const key of expected) {
      const [method, routePath] = key.split(' ') as [string, string];
      const concrete = routePath.replace(/\{namespaceId\}/g, '42').replace(/\{(\w+)\}/g, 'x-1');
      expect(router.match(method, concrete)?.routeKey).toBe(key);
    }
  });

  it('routes each manifest event pattern to its function, in the template and on the local bus', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties);
    const bus = new LocalBus({ busName: BUS_NAME, region: 'eu-west-1', functions: local, log: () => undefined });
    expect(bus).toBeDefined();
    for (const fn of functions) {
      for (const trigger of fn.triggers) {
        if (trigger.kind !== 'event') continue;
        expect(rules.some((r) => JSON.stringify(r.EventPattern) === JSON.stringify(trigger.pattern))).toBe(true);
      }
    }
  });

  it('maps each stream trigger to an event source mapping', () => {
    const streamFunctions = functions.filter((f) => f.triggers.some((t) => t.kind === 'stream'));
    expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(streamFunctions.length);
  });

  it('consumes each stream with the same batch size, bisect, retry limit, record age and partial failures in the template and in the local poller', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((r) => r.Properties);
    const lambdas = template.findResources('AWS::Lambda::Function');
    for (const spec of functions) {
      for (const trigger of spec.triggers) {
        if (trigger.kind !== 'stream') continue;
        const logicalId = Object.keys(lambdas).find((id) => lambdas[id]!.Properties.FunctionName === `${STACK_NAME}-${spec.name}`);
        const mapping = mappings.find((m) => (m.FunctionName as { Ref?: string }).Ref === logicalId);
        // The local runtime builds its sources from the trigger alone (local/runtime.ts): the defaults apply.
        const localSettings = streamSourceSettings({ tableName: trigger.table, fn: local.get(spec.name)!, batchSize: trigger.batchSize });
        expect(
          {
            batchSize: mapping?.BatchSize,
            bisectBatchOnError: mapping?.BisectBatchOnFunctionError,
            maximumRetryAttempts: mapping?.MaximumRetryAttempts ?? -1,
            maximumRecordAgeSeconds: mapping?.MaximumRecordAgeInSeconds ?? -1,
            reportBatchItemFailures: (mapping?.FunctionResponseTypes as string[] | undefined)?.includes('ReportBatchItemFailures') ?? false,
          },
          spec.name,
        ).toEqual(localSettings);
      }
    }
  });
});

describe('Function settings: the template and the local runtime apply the same', () => {
  const lambdaOf = (name: string) => {
    const [logicalId, resource] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, r]) => r.Properties.FunctionName === `${STACK_NAME}-${name}`,
    )!;
    return { logicalId, properties: resource.Properties as { MemorySize: number; Timeout: number } };
  };

  // What a handler sees of them (its context, its timeout) is test/unit/local/isolated-function.test.ts's.
  it.each(functions.map((f) => [f.name, f] as const))('%s: memory and timeout', (name) => {
    const { properties } = lambdaOf(name);
    expect(local.get(name)!.settings).toEqual({ memoryMb: properties.MemorySize, timeoutSeconds: properties.Timeout });
  });

  it('retries a failed asynchronous invocation as often in the template as on the local bus and scheduler', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map((r) => r.Properties);
    const asyncFunctions = functions.filter((f) => f.triggers.some((t) => t.kind === 'event' || t.kind === 'schedule'));
    expect(asyncFunctions.length).toBeGreaterThan(0);
    for (const fn of asyncFunctions) {
      const { logicalId } = lambdaOf(fn.name);
      const config = configs.find((c) => (c.FunctionName as { Ref?: string }).Ref === logicalId);
      expect(config?.MaximumRetryAttempts, fn.name).toBe(ASYNC_RETRY_DELAYS_MS.length);
      // The local bus and scheduler run with these unless told otherwise.
      expect({ maximumRetryAttempts: config?.MaximumRetryAttempts, maximumEventAgeSeconds: config?.MaximumEventAgeInSeconds }, fn.name).toEqual(asyncInvokeSettings());
    }
  });
});

describe('Event schemas', () => {
  it('registers every event of the catalog in the schema registry', async () => {
    const { eventCatalog } = await import('../../shared/service/event-catalog.js');
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema')).map((r) => r.Properties);
    expect(schemas).toHaveLength(eventCatalog.length);
    for (const entry of eventCatalog) {
      const found = schemas.find((s) => s.SchemaName === `${entry.source}@${entry.detailType.replace(/\s+/g, '')}`);
      expect(found?.Type, entry.detailType).toBe('JSONSchemaDraft4');
      expect(JSON.parse(found!.Content as string).title).toBe(entry.detailType);
    }
  });
});
