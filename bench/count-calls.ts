/**
 * Counts the calls a DynamoDB client sends, per operation, with a middleware on the client's own
 * stack. A `DynamoDBDocumentClient` shares the middleware stack of the `DynamoDBClient` it wraps,
 * so adding the counter to `ddb()` counts every call the handlers make, named by the wire operation
 * (`BatchGetItem`, `TransactWriteItems`…), whichever command class sent it.
 */
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

/**
 * Adds a counting middleware to `client` and answers its counter.
 *
 * @example
 * const counter = countDynamoDbCalls(ddb());
 * await executeCommand(command, { actor });
 * counter.counts(); // { requests: 2, sends: 2, byOperation: { BatchGetItem: 1, TransactWriteItems: 1 } }
 * counter.detach();
 */
export function countDynamoDbCalls(client: HasMiddlewareStack): CallCounter {
  const id = ++attached;
  const sendName = `benchCountSends${id}`;
  const requestName = `benchCountRequests${id}`;
  let counts: CallCounts = { requests: 0, sends: 0, byOperation: {} };

  // Initialize runs once per send(); deserialize runs once per attempt, inside the retry loop.
  client.middlewareStack.add(
    <Output extends object>(next: InitializeHandler<object, Output>) =>
      (args: InitializeHandlerArguments<object>) => {
        counts.sends++;
        return next(args);
      },
    { step: 'initialize', priority: 'high', name: sendName },
  );
  client.middlewareStack.add(
    <Output extends object>(next: DeserializeHandler<object, Output>, context: HandlerExecutionContext) =>
      (args: DeserializeHandlerArguments<object>) => {
        counts.requests++;
        const operation = operationName(context);
        counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
        return next(args);
      },
    { step: 'deserialize', priority: 'low', name: requestName },
  );

  return {
    counts: () => ({ ...counts, byOperation: { ...counts.byOperation } }),
    reset: () => {
      counts = { requests: 0, sends: 0, byOperation: {} };
    },
    detach: () => {
      client.middlewareStack.remove(sendName);
      client.middlewareStack.remove(requestName);
    },
  };
}
