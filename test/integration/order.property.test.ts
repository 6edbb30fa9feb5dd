/**
 * The order property through the service itself: histories of one subscription (the unit
 * property's generator, dated in the past), each delivered through HTTP in a random order with
 * redeliveries on one namespace, and sorted by business time on another. Both namespaces must end
 * in the same state, field for field but their ids, version and clock. A subscription-addressed
 * command that answers 404 (its subscription not created yet) is sent again at the end, as a
 * retrying caller does. Fewer runs than the unit property: each is some fifty requests.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { commands } from '../../shared/lifecycle/commands.js';
import type { CommerceCommandType } from '../../shared/lifecycle/commands.js';
import { logKey } from '../../shared/lifecycle/domain/log.js';
import type { LifecycleCommand, NamespaceState } from '../../shared/lifecycle/domain/types.js';
import { NS, SUB, scenario } from '../unit/lifecycle/histories.js';
import { client, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

const RUNS = 12;

let runtime: Runtime;
let api: Client;
let nextNamespace = 17_000;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime);
});
afterAll(async () => {
  await runtime?.stop();
});

/** The command on `namespaceId` and its own subscription, with event ids of its own. */
function moved(command: LifecycleCommand, namespaceId: number): LifecycleCommand {
  const fields = command as unknown as Record<string, unknown>;
  return {
    ...fields,
    eventId: `${namespaceId}-${command.eventId}`,
    ...(fields.namespaceId === NS ? { namespaceId } : {}),
    ...(fields.subscriptionId === SUB ? { subscriptionId: `OP-${namespaceId}` } : {}),
  } as unknown as LifecycleCommand;
}

async function send(command: LifecycleCommand) {
  const definition = commands[command.type as CommerceCommandType];
  const { type: _type, ...fields } = command as unknown as Record<string, unknown>;
  const ids = Object.keys(definition.path.shape);
  const path = definition.route.path.replace(/\{(\w+)\}/g, (_m: string, name: string) => encodeURIComponent(String(fields[name])));
  return api.call(definition.route.method, path, Object.fromEntries(Object.entries(fields).filter(([name]) => !ids.includes(name))));
}

async function deliver(sequence: readonly LifecycleCommand[]): Promise<NamespaceState> {
  const namespaceId = nextNamespace++;
  const queue = sequence.map((c) => moved(c, namespaceId));
  for (let i = 0; i < queue.length; i++) {
    const res = await send(queue[i]!);
    if (res.status === 404) queue.push(queue[i]!);
    else expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
  }
  return (await api.call('GET', `/v1/namespaces/${namespaceId}/subscription`)).body as NamespaceState;
}

const bill = ({ namespaceId: _n, subscriptionId: _s, version: _v, updatedAt: _u, previousTerm, ...rest }: NamespaceState) => ({
  ...rest,
  previousTerm: previousTerm && { ...previousTerm, subscriptionId: 'any' },
});

describe('Property: the same events give the same state in any order, through the service', () => {
  it(`holds for ${RUNS} histories delivered over HTTP in a random order with redeliveries`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ h, sequence }) => {
        const sorted = [...h.commands].sort((a, b) => (logKey(a) < logKey(b) ? -1 : 1));
        const expected = await deliver(sorted);
        const actual = await deliver(sequence);
        expect(bill(actual)).toEqual(bill(expected));
      }),
      { numRuns: RUNS, seed: 1616, endOnFailure: true },
    );
  });
});
