/**
 * One DynamoDB document client per process, created on first use and reused across invocations.
 * The endpoint comes from the SDK's own configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it at
 * DynamoDB Local), so the same code runs in Lambda and in the local runtime.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let documentClient: DynamoDBDocumentClient | undefined;

export function ddb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 3 }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
  );
  return documentClient;
}
