import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createTableInput, ensureTables, localClient } from '../../local/dynamodb.js';
import { tables } from '../../shared/tables.js';

describe('Function: ensureTables', () => {
  it('creates the tables from the specs, and adds indexes missing from a table kept from an older version', async () => {
    const endpoint = inject('dynamoEndpoint');
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
