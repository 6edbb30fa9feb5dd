/**
 * Counts the calls a DynamoDB client sends, per operation, and the capacity they consumed, with
 * middleware on the client's own stack. A `DynamoDBDocumentClient` shares the middleware stack of
 * the `DynamoDBClient` it wraps, so adding the counter to `ddb()` counts every call the handlers
 * make, named by the wire operation (`BatchGetItem`, `TransactWriteItems`…), whichever command class
 * sent it.
 */
import type { ObservedCall } from '../local/iam-gate.js';
import type { AttributeValue, ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  MiddlewareStack,
} from '@smithy/types';

export interface CallCounts {
  /** HTTP requests sent to DynamoDB: what the database sees and bills (a retry is one more). */
  requests: number;
  /** `send()`s that reached the client: one per call in the code, retries not counted. */
  sends: number;
  /** Requests per operation, e.g. `{ BatchGetItem: 1, TransactWriteItems: 1 }`. */
  byOperation: Record<string, number>;
  /**
   * Read capacity units the answered calls consumed (`ConsumedCapacity`, every table and index).
   * A request that failed (a throttle, a failed condition) answers none, so it adds nothing here.
   */
  readUnits: number;
  /** Write capacity units the answered calls consumed; a transaction's are twice a plain write's. */
  writeUnits: number;
  /**
   * Write units of the answered write calls computed from the items they sent, by DynamoDB's
   * published rules ({@link sizedWriteUnits}). DynamoDB Local (3.3) undercounts TransactWriteItems:
   * per table it adds up only the *distinct* per-item figures (34 Puts of under 1 KB each: 2 units,
   * not 68), so this is the figure to read for a transaction of several items of one table.
   */
  sizedWriteUnits: number;
  /** Items sent in TransactWriteItems requests (Put, Update, Delete, ConditionCheck), summed. */
  transactItems: number;
}

export interface CallCounter {
  /** The counts since the counter was attached or last reset. */
  counts(): CallCounts;
  reset(): void;
  /** Removes the middleware from the client; counts stay readable. */
  detach(): void;
}

/** Anything with a Smithy middleware stack: a DynamoDBClient or a DynamoDBDocumentClient. */
export interface HasMiddlewareStack {
  // A client's stack is typed by its own input and output unions; any client fits here.
  middlewareStack: MiddlewareStack<any, any>;
}

let attached = 0;

/** `TransactWriteItemsCommand` → `TransactWriteItems` (the operation's name on the wire). */
export const operationName = (context: HandlerExecutionContext): string =>
  (context.commandName ?? 'Unknown').replace(/Command$/, '');

/** Operations whose consumed capacity is read capacity; every other one's is write capacity. */
const READ_OPERATIONS: ReadonlySet<string> = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/**
 * The read and write units of one answer's `ConsumedCapacity` (one object, or one per table).
 * DynamoDB in AWS splits them (`ReadCapacityUnits`, `WriteCapacityUnits`); DynamoDB Local (3.3)
 * answers only `CapacityUnits`, which then counts as the operation's kind. Local's figures follow
 * AWS's rules: a write 1 unit per KB, in a transaction 2; a consistent read 1 per 4 KB (a Query sums
 * its items first), an eventual one half; an index whose key attributes change costs its writes too.
 *
 * @example
 * consumedUnits('TransactWriteItems', [{ TableName: 'state', CapacityUnits: 6 }, { TableName: 'idempotency', CapacityUnits: 2 }]);
 * // { readUnits: 0, writeUnits: 8 }
 */
export function consumedUnits(
  operation: string,
  consumed: ConsumedCapacity | ConsumedCapacity[] | undefined,
): { readUnits: number; writeUnits: number } {
  let readUnits = 0;
  let writeUnits = 0;
  for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    if (entry.ReadCapacityUnits !== undefined || entry.WriteCapacityUnits !== undefined) {
      readUnits += entry.ReadCapacityUnits ?? 0;
      writeUnits += entry.WriteCapacityUnits ?? 0;
    } else if (READ_OPERATIONS.has(operation)) readUnits += entry.CapacityUnits ?? 0;
    else writeUnits += entry.CapacityUnits ?? 0;
  }
  return { readUnits, writeUnits };
}

export interface CountOptions {
  /**
   * Whether the call under way counts: asked when it is sent, in the caller's async context. The
   * bench counts only the calls of the handler serving its request, not those of work the same
   * process runs beside it (the stream's outbox pruning a log). Default: every call.
   */
  include?: () => boolean;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: one byte per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

const binarySize = (value: unknown): number => (typeof value === 'string' ? Buffer.from(value, 'base64').length : (value as Uint8Array).byteLength);

/** The size of one attribute value, by DynamoDB's published rules (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html). */
function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  // On the wire (what the gate sees) a binary value is base64 text.
  if (value.B !== undefined) return binarySize(value.B as unknown);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, v) => sum + utf8(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, v) => sum + numberSize(v), 0);
  if (value.BS !== undefined) return (value.BS as unknown[]).reduce((sum: number, v) => sum + binarySize(v), 0);
  // A map or a list: 3 bytes, and 1 byte per element besides its content.
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + utf8(name) + valueSize(v) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + valueSize(v) + 1, 0);
  return 0;
}

/**
 * An item's size as DynamoDB bills it: its attribute names and values, in bytes.
 *
 * @example
 * itemSize({ pk: { S: 'NS#1' }, sk: { S: 'STATE' } }); // 2 + 4 + 2 + 5 = 13
 */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

const KB = 1024;
const writeUnitsOf = (item: Record<string, AttributeValue> | undefined) => (item ? Math.max(1, Math.ceil(itemSize(item) / KB)) : 1);

interface WriteInput {
  Item?: Record<string, AttributeValue>;
  TransactItems?: Array<{ Put?: { Item?: Record<string, AttributeValue> } }>;
  RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, AttributeValue> } }>>;
}

/**
 * The write units a write call costs for the items it sends (marshalled, as they go on the wire),
 * by DynamoDB's rules: one per KB of each item, rounded up per item; twice that in a transaction.
 * Only what the request shows: a Put's new item (a Put that replaces a larger item costs the larger
 * one's size), 1 KB for an Update, a Delete or a ConditionCheck, and no index writes. 0 for reads.
 *
 * @example
 * sizedWriteUnits('TransactWriteItems', { TransactItems: [{ Put: { Item: smallItem } }, { Put: { Item: smallItem } }] }); // 4
 */
export function sizedWriteUnits(operation: string, input: unknown): number {
  const write = (input ?? {}) as WriteInput;
  switch (operation) {
    case 'PutItem':
      return writeUnitsOf(write.Item);
    case 'UpdateItem':
    case 'DeleteItem':
      return 1;
    case 'TransactWriteItems':
      return (write.TransactItems ?? []).reduce((sum, item) => sum + 2 * writeUnitsOf(item.Put?.Item), 0);
    case 'BatchWriteItem':
      return Object.values(write.RequestItems ?? {}).flat().reduce((sum, request) => sum + writeUnitsOf(request.PutRequest?.Item), 0);
    default:
      return 0;
  }
}

const zero = (): CallCounts => ({ requests: 0, sends: 0, byOperation: {}, readUnits: 0, writeUnits: 0, sizedWriteUnits: 0, transactItems: 0 });

/**
 * Adds a counting middleware to `client` and answers its counter. Every call it sends asks for its
 * consumed capacity (`ReturnConsumedCapacity: 'TOTAL'`) unless the caller asked for something
 * itself (`INDEXES`, or `NONE`: then that call's units are not counted).
 *
 * @example
 * const counter = countDynamoDbCalls(ddb());
 * await executeCommand(command, { actor });
 * counter.counts();
 * // { requests: 2, sends: 2, byOperation: { BatchGetItem: 1, TransactWriteItems: 1 }, readUnits: 1, writeUnits: 8, sizedWriteUnits: 10, transactItems: 4 }
 * counter.detach();
 */
export function countDynamoDbCalls(client: HasMiddlewareStack, options: CountOptions = {}): CallCounter {
  const include = options.include ?? (() => true);
  const id = ++attached;
  const sendName = `benchCountSends${id}`;
  const requestName = `benchCountRequests${id}`;
  const capacityName = `benchCountCapacity${id}`;
  let counts = zero();

  // Initialize runs once per send(); deserialize runs once per attempt, inside the retry loop.
  client.middlewareStack.add(
    <Output extends object>(next: InitializeHandler<object, Output>) =>
      (args: InitializeHandlerArguments<object>) => {
        if (!include()) return next(args);
        counts.sends++;
        const input = args.input as { ReturnConsumedCapacity?: string };
        // A copy: the caller's input object is left as it was.
        return next(input.ReturnConsumedCapacity === undefined ? { ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } } : args);
      },
    { step: 'initialize', priority: 'high', name: sendName },
  );
  // Innermost of the deserialize step: counts every request sent, answered or not.
  client.middlewareStack.add(
    <Output extends object>(next: DeserializeHandler<object, Output>, context: HandlerExecutionContext) =>
      (args: DeserializeHandlerArguments<object>) => {
        if (!include()) return next(args);
        counts.requests++;
        const operation = operationName(context);
        counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
        if (operation === 'TransactWriteItems') counts.transactItems += (args.input as { TransactItems?: unknown[] }).TransactItems?.length ?? 0;
        return next(args);
      },
    { step: 'deserialize', priority: 'low', name: requestName },
  );
  // Outermost of the deserialize step, around the deserializer: sees each answer's parsed output.
  client.middlewareStack.add(
    <Output extends object>(next: DeserializeHandler<object, Output>, context: HandlerExecutionContext) =>
      async (args: DeserializeHandlerArguments<object>) => {
        if (!include()) return next(args);
        const result = await next(args);
        const operation = operationName(context);
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        const units = consumedUnits(operation, output?.ConsumedCapacity);
        counts.readUnits += units.readUnits;
        counts.writeUnits += units.writeUnits;
        counts.sizedWriteUnits += sizedWriteUnits(operation, args.input);
        return result;
      },
    { step: 'deserialize', priority: 'high', name: capacityName },
  );

  return {
    counts: () => ({ ...counts, byOperation: { ...counts.byOperation } }),
    reset: () => {
      counts = zero();
    },
    detach: () => {
      client.middlewareStack.remove(sendName);
      client.middlewareStack.remove(requestName);
      client.middlewareStack.remove(capacityName);
    },
  };
}

/** What the local runtime's IAM gate lets an observer see of each call. */
export type GateCall = ObservedCall;

/** Anything that reports the calls functions make: the local runtime's IAM gate. */
export interface CallSource {
  observe(observer: (call: GateCall) => void): () => void;
}

/**
 * Counts the DynamoDB calls of the functions `include` names, as the local runtime's IAM gate sees
 * them: every request a function sends (a retry is one more), per operation, with the capacity each
 * answer reports (the gate asks for it) and the write units of the items sent. Each function runs
 * isolated, so counting at the gate, by function, is counting what that function's code does.
 *
 * @example
 * const counter = countGateCalls(runtime.iam, (fn) => fn === 'subscription-renewed');
 * await renew();
 * counter.counts(); // { requests: 2, byOperation: { BatchGetItem: 1, TransactWriteItems: 1 }, … }
 */
export function countGateCalls(source: CallSource, include: (fn: string) => boolean = () => true): CallCounter {
  let counts = zero();
  const detach = source.observe((call) => {
    if (!include(call.function)) return;
    counts.requests++;
    counts.sends++;
    counts.byOperation[call.operation] = (counts.byOperation[call.operation] ?? 0) + 1;
    if (call.operation === 'TransactWriteItems') counts.transactItems += (call.request.TransactItems as unknown[] | undefined)?.length ?? 0;
    if (call.status !== 200) return;
    const units = consumedUnits(call.operation, call.response?.ConsumedCapacity as ConsumedCapacity | ConsumedCapacity[] | undefined);
    counts.readUnits += units.readUnits;
    counts.writeUnits += units.writeUnits;
    counts.sizedWriteUnits += sizedWriteUnits(call.operation, call.request);
  });
  return {
    counts: () => ({ ...counts, byOperation: { ...counts.byOperation } }),
    reset: () => {
      counts = zero();
    },
    detach,
  };
}
