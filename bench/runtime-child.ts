/**
 * The local runtime in a process of its own, on a DynamoDB the bench already started, so that the
 * runtime's memory can be read from /proc without the bench's own load generator in it. Started by
 * bench/throughput.ts with `node --import tsx`; talks to it over the IPC channel.
 *
 * While the bench watches the bus (`watchBus`), each `Namespace Subscription Changed` the outbox puts
 * on the local bus is reported back with the time it was dispatched (bench/bus.ts).
 *
 * Environment: BENCH_DYNAMODB_ENDPOINT, BENCH_TABLE_PREFIX, PROVISIONING_SERVICE_TOKEN,
 * PROVISIONING_OPERATOR_TOKEN.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as z from '../shared/platform/zod.js';
import { startRuntime } from '../local/runtime.js';
import { IsolatedFunction } from '../local/functions.js';
import { epochMs } from './clock.js';
import type { EventBridgeEvent } from '../local/put-events.js';
import { SERVICE_SOURCE } from '../shared/platform/manifest-types.js';
import { NAMESPACE_SUBSCRIPTION_CHANGED } from '../shared/lifecycle/outbox.js';

if (!process.send) {
  process.stderr.write('bench/runtime-child.ts is started by npm run bench (it needs an IPC channel)\n');
  process.exit(2);
}

const env = z
  .object({
    BENCH_DYNAMODB_ENDPOINT: z.url(),
    BENCH_TABLE_PREFIX: z.string().check(z.regex(/^[a-zA-Z0-9_.-]{1,64}$/)),
    PROVISIONING_SERVICE_TOKEN: z.string().check(z.minLength(16)),
    PROVISIONING_OPERATOR_TOKEN: z.string().check(z.minLength(16)),
  })
  .parse(process.env);

/** Messages from the bench. */
const request = z.discriminatedUnion('type', [
  z.object({ type: z.literal('settle'), id: z.number() }),
  /** Stop every idle execution environment, as Lambda reclaims idle ones (the next invocations start cold). */
  z.object({ type: z.literal('reclaimIdle'), id: z.number() }),
  /** Profile the CPU from now on (V8's sampling profiler, as node --cpu-prof). */
  z.object({ type: z.literal('profileStart'), id: z.number() }),
  /** Stop profiling and write the profile to `file` (a .cpuprofile). */
  z.object({ type: z.literal('profileStop'), id: z.number(), file: z.string().check(z.minLength(1)) }),
  /** Report every Namespace Subscription Changed put on the bus from now on (`published` messages), until unwatchBus. */
  z.object({ type: z.literal('watchBus'), id: z.number() }),
  z.object({ type: z.literal('unwatchBus'), id: z.number() }),
  z.object({ type: z.literal('stop') }),
]);

export type ChildRequest = z.infer<typeof request>;
export type ChildMessage =
  | { type: 'ready'; url: string; pid: number }
  /** `environments`: after a settle, the warm execution environments of each function that has one. */
  | { type: 'done'; id: number; environments?: Record<string, number> }
  | { type: 'error'; message: string }
  /** A change the outbox published: the command's eventId, and when the bus dispatched it (epoch ms, sub-ms precision). */
  | { type: 'published'; eventId: string; atMs: number };

const send = (message: ChildMessage) => process.send?.(message);

const runtime = await startRuntime({
  port: 0,
  dynamoEndpoint: env.BENCH_DYNAMODB_ENDPOINT,
  tablePrefix: env.BENCH_TABLE_PREFIX,
  tokens: { service: env.PROVISIONING_SERVICE_TOKEN, operator: env.PROVISIONING_OPERATOR_TOKEN },
});

let profiler: Session | undefined;

/** Warm execution environments per function (each function runs isolated: local/functions.ts). */
const environments = (): Record<string, number> =>
  Object.fromEntries([...runtime.functions].flatMap(([name, fn]) => (fn instanceof IsolatedFunction && fn.environments > 0 ? [[name, fn.environments]] : [])));

// The outbox publishes through the bus endpoint, which dispatches each accepted event: wrapped here,
// as local/bus.ts has no listener hook, so the bench sees each change the moment it is on the bus.
let watchingBus = false;
const dispatch = runtime.bus.dispatch.bind(runtime.bus);
runtime.bus.dispatch = (event: EventBridgeEvent) => {
  if (watchingBus && event.source === SERVICE_SOURCE && event['detail-type'] === NAMESPACE_SUBSCRIPTION_CHANGED) {
    const eventId = (event.detail as { eventId?: unknown }).eventId;
    if (typeof eventId === 'string') send({ type: 'published', eventId, atMs: epochMs() });
  }
  dispatch(event);
};

async function handle(message: ChildRequest): Promise<void> {
  switch (message.type) {
    case 'settle':
      await runtime.settle();
      return;
    case 'reclaimIdle':
      await Promise.all([...runtime.functions.values()].map((fn) => (fn instanceof IsolatedFunction ? fn.coolDown() : undefined)));
      return;
    case 'profileStart':
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return;
    case 'profileStop': {
      if (!profiler) throw new Error('profileStop without profileStart');
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(message.file, JSON.stringify(profile));
      profiler.disconnect();
      profiler = undefined;
      return;
    }
    case 'watchBus':
      watchingBus = true;
      return;
    case 'unwatchBus':
      watchingBus = false;
      return;
    case 'stop':
      await runtime.stop();
      process.exit(0);
  }
}

process.on('message', (raw) => {
  const parsed = request.safeParse(raw);
  if (!parsed.success) {
    send({ type: 'error', message: `unknown message: ${JSON.stringify(raw)}` });
    return;
  }
  const message = parsed.data;
  handle(message).then(
    () => 'id' in message && send({ type: 'done', id: message.id, ...((message.type === 'settle' || message.type === 'reclaimIdle') && { environments: environments() }) }),
    (error: unknown) => send({ type: 'error', message: `${message.type} failed: ${(error as Error).message}` }),
  );
});
// The bench went away: do not outlive it.
process.on('disconnect', () => {
  runtime.stop().finally(() => process.exit(0));
});

send({ type: 'ready', url: runtime.url, pid: process.pid });
