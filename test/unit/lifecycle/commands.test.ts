/**
 * The command table (shared/lifecycle/commands.ts) is the one place a lifecycle command is spelled:
 * the manifest's functions, routes and rules, the specs and the event catalog all follow it, and
 * each command's handler serves that command and no other.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { commandDefinitions, commands } from '../../../shared/lifecycle/commands.js';
import type { CommandDefinition } from '../../../shared/lifecycle/commands.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import type { LifecycleCommand } from '../../../shared/lifecycle/domain/types.js';
import type { CommerceCommandType } from '../../../shared/lifecycle/commands.js';
import { executeCommand } from '../../../shared/lifecycle/execute.js';
import { lifecycleFunctions } from '../../../shared/lifecycle/manifest.js';
import { commandSpecs } from '../../../shared/lifecycle/specs.js';
import { eventCatalog } from '../../../shared/service/event-catalog.js';
import { COMMERCE_SOURCE, functions } from '../../../shared/service/manifest.js';
import type { EventTrigger, FunctionSpec, HttpTrigger } from '../../../shared/service/manifest.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';

// The handlers' wiring only: which command reaches the application code (its DynamoDB work is tested elsewhere).
vi.mock('../../../shared/lifecycle/execute.js', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  executeCommand: vi.fn(),
}));

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A valid request of each command: its path ids (as the route writes them) and its body. */
const requests = {
  created: {
    path: {},
    body: { subscriptionId: 'A-S1', namespaceId: 42, planCode: 'premium', seats: 10, startDate: '2026-01-01', endDate: '2027-01-01' },
  },
  renewed: { path: { subscriptionId: 'A-S1' }, body: { startDate: '2027-01-01', endDate: '2028-01-01' } },
  entitlementsUpdated: { path: { subscriptionId: 'A-S1' }, body: { seats: 12 } },
  expired: { path: { subscriptionId: 'A-S1' }, body: { expiredOn: '2026-06-01' } },
  trialStarted: { path: { namespaceId: '42' }, body: { planCode: 'ultimate_trial', trialStartsOn: '2026-01-01', trialEndsOn: '2026-01-30' } },
  trialEnded: { path: { namespaceId: '42' }, body: { endedOn: '2026-01-20' } },
  trialExtended: { path: { namespaceId: '42' }, body: { trialEndsOn: '2026-02-15' } },
  reconciliationCompleted: { path: { subscriptionId: 'A-S1' }, body: { termStartDate: '2026-01-01', seatsBilled: 2 } },
  seatUsageReported: { path: { namespaceId: '42' }, body: { seatsInUse: 3, measuredAt: '2026-01-02T00:00:00Z' } },
} satisfies Record<CommerceCommandType, { path: Record<string, string>; body: Record<string, unknown> }>;

const base = { eventId: 'evt-1', occurredAt: '2026-01-02T00:00:00Z' };
const bodyOf = (type: CommerceCommandType) => ({ ...base, ...requests[type].body });
/** The event detail: the body plus the path ids as JSON values. */
const detailOf = (type: CommerceCommandType) => ({
  ...bodyOf(type),
  ...Object.fromEntries(Object.entries(requests[type].path).map(([k, v]) => [k, k === 'namespaceId' ? Number(v) : v])),
});

const busEvent = (detailType: string, detail: unknown) => ({
  version: '0',
  id: 'eb-1',
  'detail-type': detailType,
  source: COMMERCE_SOURCE,
  account: '123456789012',
  time: '2026-01-02T00:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

const functionOf = (command: CommandDefinition): FunctionSpec => {
  const fn = functions.find((f) => f.name === command.function.name);
  if (!fn) throw new Error(`${command.function.name} is not in the manifest`);
  return fn;
};
const httpTriggers = (fn: FunctionSpec) => fn.triggers.filter((t): t is HttpTrigger => t.kind === 'http');
const eventTriggers = (fn: FunctionSpec) => fn.triggers.filter((t): t is EventTrigger => t.kind === 'event');

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const loadHandler = async (command: CommandDefinition): Promise<Handler> =>
  ((await import(path.join(REPO_ROOT, command.function.entry))) as { handler: Handler }).handler;

describe('Module: lifecycle/commands (the command table)', () => {
  it('has one entry per command type, keyed by it, with unique functions, routes and detail-types', () => {
    expect(Object.keys(commandSpecs).sort()).toEqual(Object.keys(commands).sort());
    for (const [type, command] of Object.entries(commands)) expect(command.type).toBe(type);
    const unique = (values: string[]) => expect(new Set(values).size).toBe(values.length);
    unique(commandDefinitions.map((c) => c.function.name));
    unique(commandDefinitions.map((c) => `${c.route.method} ${c.route.path}`));
    unique(commandDefinitions.map((c) => c.detailType));
  });

  it.each(commandDefinitions.map((c) => [c.type, c] as const))("%s: the path schema names exactly the route's path parameters", (_type, command) => {
    const params = [...command.route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name).sort();
    expect(Object.keys(command.path.shape).sort()).toEqual(params);
    expect(command.function.entry).toBe(`functions/${command.function.name}/handler.ts`);
  });

  it("writes each detail-type in the table and nowhere else in the service's code", () => {
    const files = ['shared', 'functions', 'local', 'infra'].flatMap((dir) =>
      readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(dir, f)),
    );
    for (const { detailType } of commandDefinitions) {
      const literal = new RegExp(`['"\`]${detailType}['"\`]`);
      const spelledIn = files.filter((f) => literal.test(readFileSync(path.join(REPO_ROOT, f), 'utf8')));
      expect(spelledIn, detailType).toEqual([path.join('shared', 'lifecycle', 'commands.ts')]);
    }
  });
});

describe('Manifest: every lifecycle function follows its command', () => {
  it('the lifecycle functions with an event rule are exactly the commands', () => {
    const withRule = lifecycleFunctions.filter((f) => eventTriggers(f).length > 0).map((f) => f.name);
    expect(withRule.sort()).toEqual(commandDefinitions.map((c) => c.function.name).sort());
  });

  it.each(commandDefinitions.map((c) => [c.type, c] as const))("%s: its function's rule matches the command's detail-type, its route is the table's", (type, command) => {
    const fn = functionOf(command);
    expect(fn.entry).toBe(command.function.entry);
    expect(fn.description).toBe(command.function.description);
    expect(eventTriggers(fn).map((t) => t.pattern)).toEqual([{ source: [COMMERCE_SOURCE], 'detail-type': [command.detailType] }]);
    expect(httpTriggers(fn).map((t) => ({ method: t.method, path: t.path, auth: t.auth }))).toEqual([{ ...command.route, auth: 'service' }]);
    expect(httpTriggers(fn)[0]!.doc).toMatchObject({ summary: command.summary ?? command.detailType, body: command.body, dryRun: true });
    expect(commandSpecs[type].detailType).toBe(command.detailType);
  });

  it('no other function listens to a command detail-type', () => {
    const detailTypes = new Set(commandDefinitions.map((c) => c.detailType));
    const listeners = functions.flatMap((f) =>
      eventTriggers(f).flatMap((t) => ((t.pattern['detail-type'] as string[] | undefined) ?? []).filter((d) => detailTypes.has(d)).map(() => f.name)),
    );
    expect(listeners.sort()).toEqual(commandDefinitions.map((c) => c.function.name).sort());
  });

  it('the event catalog lists every command as an inbound event with its detail schema', () => {
    for (const { type, detailType } of commandDefinitions) {
      const entry = eventCatalog.find((e) => e.detailType === detailType);
      expect(entry).toMatchObject({ source: COMMERCE_SOURCE, direction: 'in', detail: commandSpecs[type].detail });
    }
  });
});

describe('Module: lifecycle/specs (derived)', () => {
  it.each(commandDefinitions.map((c) => [c.type] as const))('%s: the same command from the HTTP request and from the event detail', (type) => {
    const spec = commandSpecs[type];
    const fromHttp = spec.toCommand(spec.path.parse(requests[type].path) as Record<string, unknown>, spec.body.parse(bodyOf(type)) as Record<string, unknown>);
    const detail = spec.detail.parse(detailOf(type)) as Record<string, unknown>;
    expect(fromHttp).toEqual({ type, ...detailOf(type) });
    expect(spec.toCommand(detail, detail)).toEqual(fromHttp);
  });
});

describe('Functions: each lifecycle handler serves its own command', () => {
  const execute = vi.mocked(executeCommand);
  beforeEach(() => {
    execute.mockImplementation(async () => ({ state: emptyState(42), replayed: false, dryRun: false }));
  });
  afterEach(() => {
    execute.mockReset();
  });
  const received = () => execute.mock.calls.map(([command]) => (command as LifecycleCommand).type);

  it.each(commandDefinitions.map((c) => [c.function.name, c] as const))('functions/%s/handler.ts applies its command from its route and from its rule', async (_name, command) => {
    const handler = await loadHandler(command);

    const res = (await handler(
      apiGatewayEvent(`${command.route.method} ${command.route.path}`, { pathParameters: requests[command.type].path, body: bodyOf(command.type) }),
      lambdaContext,
    )) as { statusCode: number };
    expect(res.statusCode).toBe(200);
    await handler(busEvent(command.detailType, detailOf(command.type)), lambdaContext);

    expect(received()).toEqual([command.type, command.type]);
  });

  it.each(commandDefinitions.map((c) => [c.function.name, c] as const))("functions/%s/handler.ts refuses every other command's event", async (_name, command) => {
    const handler = await loadHandler(command);
    for (const other of commandDefinitions.filter((c) => c.type !== command.type)) {
      await expect(handler(busEvent(other.detailType, detailOf(other.type)), lambdaContext), other.detailType).rejects.toThrow();
    }
    expect(execute).not.toHaveBeenCalled();
  });
});
