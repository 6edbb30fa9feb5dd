import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, ensureTables, localClient, startDynamoDbLocal } from '../../local/dynamodb.js';
import type { DynamoDbLocal } from '../../local/dynamodb.js';
import { freePort } from '../../local/runtime.js';
import { tables } from '../../shared/platform/tables.js';

// Its own DynamoDB Local: building an index waits for the whole database, which the other test
// files keep busy.
let dynamo: DynamoDbLocal;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ port: await freePort() });
});
afterAll(async () => {
  await dynamo?.stop();
});

describe('Function: ensureTables', () => {
  it('creates the tables from the specs, and adds indexes missing from a table kept from an older version', async () => {
    const endpoint = dynamo.endpoint;
    const client = localClient(endpoint);
    const prefix = `old${Date.now().toString(36)}-`;
    // An "old" errors table: same keys, no indexes yet.
    const old = createTableInput(tables.errors, `${prefix}errors`);
    await client.send(new CreateTableCommand({ ...old, GlobalSecondaryIndexes: undefined, AttributeDefinitions: old.AttributeDefinitions!.filter((a) => a.AttributeName === 'pk' || a.AttributeName === 'sk') }));

    await ensureTables(endpoint, prefix);

    for (const spec of Object.values(tables)) {
      const described = await client.send(new DescribeTableCommand({ TableName: `${prefix}${spec.key}` }));
      expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort() ?? []).toEqual((spec.globalIndexes ?? []).map((i) => i.name).sort());
      expect(Boolean(described.Table?.StreamSpecification?.StreamEnabled)).toBe(Boolean(spec.stream));
    }
    client.destroy();
  });
});
