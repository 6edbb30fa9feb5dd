/**
 * The throughput load generators in a process of their own: seat-usage reports over HTTP to the
 * runtime (the service side) and the same DynamoDB calls sent straight (the raw sides). Neither
 * shares a process with the runtime, nor with the bench, which only orders rounds and reads CPU
 * times. Started by bench/throughput.ts with `node --import tsx`; talks to it over the IPC channel.
 *
 * Environment: BENCH_LOAD (JSON of LoadChildSetup).
 */
import * as z from '../shared/platform/zod.js';
import { RawSide, ServiceSide, closedLoop } from './throughput.js';
import type { LoopResult } from './throughput.js';

if (!process.send) {
  process.stderr.write('bench/load-child.ts is started by npm run bench (it needs an IPC channel)\n');
  process.exit(2);
}

const setup = z.object({
  runtimeUrl: z.url(),
  serviceToken: z.string().check(z.minLength(16)),
  dynamoEndpoint: z.url(),
  tables: z.object({ state: z.string(), idempotency: z.string() }),
  concurrency: z.int().check(z.positive()),
  namespacesPerWorker: z.int().check(z.positive()),
  runId: z.string(),
});
export type LoadChildSetup = z.infer<typeof setup>;

const side = z.enum(['service', 'raw', 'rawReadWrite']);
export type LoadSide = z.infer<typeof side>;

const request = z.discriminatedUnion('type', [
  /** A paid subscription on every namespace of both sides. */
  z.object({ type: z.literal('seed'), id: z.number() }),
  /** One closed loop of `side` for `ms`. */
  z.object({ type: z.literal('run'), id: z.number(), side, ms: z.number() }),
  z.object({ type: z.literal('stop') }),
]);
export type LoadRequest = z.infer<typeof request>;
export type LoadMessage =
  | { type: 'ready'; pid: number }
  | { type: 'done'; id: number; result: LoopResult | null; itemBytes: RawSide['itemBytes'] }
  | { type: 'error'; id?: number; message: string };

const send = (message: LoadMessage) => process.send?.(message);
const options = setup.parse(JSON.parse(process.env.BENCH_LOAD ?? '{}'));
const service = new ServiceSide(options.runtimeUrl, options.serviceToken, options.concurrency, options.namespacesPerWorker, options.runId);
const raw = new RawSide(options.dynamoEndpoint, options.tables, options.concurrency, options.namespacesPerWorker, options.runId);
const ops = { service: service.report, raw: raw.write, rawReadWrite: raw.readThenWrite } as const;

async function handle(message: Exclude<LoadRequest, { type: 'stop' }>): Promise<LoopResult | null> {
  switch (message.type) {
    case 'seed':
      await service.seed(options.concurrency);
      await raw.seed(options.concurrency);
      return null;
    case 'run':
      return closedLoop(options.concurrency, message.ms, ops[message.side]);
  }
}

process.on('message', (input) => {
  const parsed = request.safeParse(input);
  if (!parsed.success) {
    send({ type: 'error', message: `unknown message: ${JSON.stringify(input)}` });
    return;
  }
  const message = parsed.data;
  if (message.type === 'stop') {
    service.close();
    raw.close();
    process.exit(0);
  }
  handle(message).then(
    (result) => send({ type: 'done', id: message.id, result, itemBytes: raw.itemBytes }),
    (error: unknown) => send({ type: 'error', id: message.id, message: `${message.type} failed: ${(error as Error).message}` }),
  );
});
process.on('disconnect', () => process.exit(0));

send({ type: 'ready', pid: process.pid });
