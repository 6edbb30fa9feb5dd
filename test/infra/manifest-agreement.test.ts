/**
 * The manifest is the single source of truth: every function, route, rule and stream mapping it
 * lists is in the synthesized template AND in the local runtime's router, bus and stream feed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalBus } from '../../local/bus.js';
import { loadFunctions } from '../../local/functions.js';
import type { LocalFunction } from '../../local/functions.js';
import { buildRouter } from '../../local/http-server.js';
import { REPO_ROOT } from '../../local/runtime.js';
import { createProvisioningApp, STACK_NAME } from '../../infra/provisioning-stack.js';
import { BUS_NAME, functions } from '../../shared/service/manifest.js';

let template: Template;
let local: Map<string, LocalFunction>;

beforeAll(async () => {
  const { app, stack } = createProvisioningApp({ skipBundling: true, outdir: mkdtempSync(path.join(tmpdir(), 'agree-')) });
  template = Template.fromStack(stack);
  void app;
  local = await loadFunctions(REPO_ROOT, 'eu-west-1');
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
