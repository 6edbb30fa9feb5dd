/**
 * Which DynamoDB actions a function's code calls, read from the code itself: its handler is bundled
 * as the deploy bundles it (esbuild, tree-shaken, the AWS SDK external) and the SDK commands that
 * the bundle constructs are mapped to IAM actions. The stack grants exactly these (on the tables the
 * manifest names), so a grant cannot drift from the code: a new call is granted by the next synth,
 * a removed one is no longer granted.
 *
 * flow: manifest entry --> esbuild bundle --> `new XCommand(` in the bundle --> IAM actions
 */
import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** The document client's and the low-level client's commands, and the IAM actions each needs. */
const COMMAND_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  GetCommand: ['dynamodb:GetItem'],
  GetItemCommand: ['dynamodb:GetItem'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  BatchGetItemCommand: ['dynamodb:BatchGetItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  PutCommand: ['dynamodb:PutItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  BatchWriteItemCommand: ['dynamodb:BatchWriteItem'],
  TransactGetCommand: ['dynamodb:GetItem'],
  TransactGetItemsCommand: ['dynamodb:GetItem'],
  // A transaction has no action of its own: each item needs the action it writes with (below).
  TransactWriteCommand: [],
  TransactWriteItemsCommand: [],
};

/** What a TransactWriteItems item needs, by its key (`{ Put: {...} }`, `{ ConditionCheck: {...} }`). */
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** The actions that only read: what a table the manifest marks `read` may get. */
export const READ_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem'];

const SDK_IMPORT = /import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/(?:lib|client)-dynamodb"/g;

/**
 * The DynamoDB actions a bundle's code calls: each imported command that the bundle constructs
 * (`new GetCommand(`), and for a transaction the kinds of item it writes. Tree-shaking has removed
 * code no path of the handler reaches, so a helper a module exports but the handler never calls
 * does not count.
 *
 * @example
 * actionsInBundle('import { GetCommand } from "@aws-sdk/lib-dynamodb"; new GetCommand(x);') // ['dynamodb:GetItem']
 */
export function actionsInBundle(code: string): string[] {
  const actions = new Set<string>();
  for (const match of code.matchAll(SDK_IMPORT)) {
    for (const specifier of match[1]!.split(',')) {
      const [imported, local = imported] = specifier.trim().split(/\s+as\s+/) as [string, string?];
      const needs = COMMAND_ACTIONS[imported];
      if (!needs || !new RegExp(`\\bnew ${local}\\(`).test(code)) continue;
      for (const action of needs) actions.add(action);
      if (imported.startsWith('TransactWrite')) {
        for (const item of code.matchAll(/\b(Put|Update|Delete|ConditionCheck):\s*\{/g)) actions.add(TRANSACT_ITEM_ACTIONS[item[1]!]!);
      }
    }
  }
  return [...actions].sort();
}

const bundles = new Map<string, string>();

/**
 * The handler at `entry` (relative to `repoRoot`) bundled as ES module text, tree-shaken, the SDK
 * external. Bundled once per entry and process (about 0.15 s each).
 */
export function bundleOf(repoRoot: string, entry: string): string {
  const file = path.resolve(repoRoot, entry);
  const known = bundles.get(file);
  if (known !== undefined) return known;
  const out = buildSync({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: 'node',
    // ES modules: esbuild keeps the SDK's named imports readable (the deploy bundle is CommonJS).
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  const code = out.outputFiles.map((f) => f.text).join('\n');
  bundles.set(file, code);
  return code;
}

/** The DynamoDB actions the handler at `entry` (relative to `repoRoot`) calls, from its bundle. */
export function dynamodbActionsOf(repoRoot: string, entry: string): readonly string[] {
  return actionsInBundle(bundleOf(repoRoot, entry));
}
