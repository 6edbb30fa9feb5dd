/**
 * One DynamoDB document client per process, created on first use and reused across invocations.
 * The endpoint comes from the SDK's own configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it at
 * DynamoDB Local), so the same code runs in Lambda and in the local runtime.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let documentClient: DynamoDBDocumentClient | undefined;

export function ddb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 3 }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
  );
  return documentClient;
}

/** What every helper of this folder takes besides its request. */
export interface CallOptions {
  /** The client to send with; the process's `ddb()` by default (the audit and the bench pass their own). */
  client?: DynamoDBDocumentClient;
  /**
   * Asks DynamoDB for the capacity each call consumed (`ReturnConsumedCapacity: 'TOTAL'`) and hands
   * it over once per call sent, so a caller can report exactly what it cost.
   */
  onConsumedCapacity?: (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) => void;
}

/** The input fields that ask for consumed capacity, when `options` wants it. */
export const capacityRequest = (options: CallOptions): { ReturnConsumedCapacity?: 'TOTAL' } =>
  options.onConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
