import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actionsInBundle, dynamodbActionsOf } from '../../../infra/dynamodb-calls.js';

describe('Function: actionsInBundle', () => {
  it('maps each constructed command to its IAM action, under its local name', () => {
    const code = [
      'import { GetCommand, QueryCommand as QueryCommand2 } from "@aws-sdk/lib-dynamodb";',
      'const a = new GetCommand({}); const b = new QueryCommand2({});',
    ].join('\n');
    expect(actionsInBundle(code)).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('does not count a command that is imported but never constructed', () => {
    const code = 'import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";\nnew GetCommand({});';
    expect(actionsInBundle(code)).toEqual(['dynamodb:GetItem']);
  });

  it('gives a transaction the action of each kind of item it writes, and none of its own', () => {
    const code = [
      'import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";',
      'new TransactWriteCommand({ TransactItems: [{ Put: { Item } }, { ConditionCheck: { Key } }, { Delete: { Key } }] });',
    ].join('\n');
    expect(actionsInBundle(code)).toEqual(['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem']);
  });

  it('maps Scan and BatchWrite, which no grant includes unless the code calls them', () => {
    const code = 'import { ScanCommand, BatchWriteCommand } from "@aws-sdk/lib-dynamodb";\nnew ScanCommand({}); new BatchWriteCommand({});';
    expect(actionsInBundle(code)).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:Scan']);
  });
});

describe('Function: dynamodbActionsOf', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddb-calls-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the calls from the bundle: a helper exported beside a called one but never reached does not count', () => {
    // Prepare
    fs.writeFileSync(
      path.join(dir, 'store.ts'),
      [
        "import { GetCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';",
        'export const read = (send: (c: unknown) => unknown) => send(new GetCommand({ TableName: "t", Key: {} }));',
        'export const remove = (send: (c: unknown) => unknown) => send(new DeleteCommand({ TableName: "t", Key: {} }));',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'handler.ts'), "import { read } from './store.js';\nexport const handler = () => read(() => undefined);\n");
    // Act
    const actions = dynamodbActionsOf(dir, 'handler.ts');
    // Assess
    expect(actions).toEqual(['dynamodb:GetItem']);
  });
});
