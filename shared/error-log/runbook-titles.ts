/**
 * The runbook titles a Slack message and a digest link (the saved title, else the shipped one):
 * reads only the title, so those bundles carry neither the runbooks' steps nor their history code.
 * Keys as in ./runbooks.ts: RUNBOOKS / RUNBOOK#<code>, the runbook under `body`.
 *
 * flow: writer / digest-job --> this module --> DynamoDB + domain/runbook-titles.ts
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { translate } from '../platform/dynamodb/translate.js';
import { queryAll } from '../platform/dynamodb/query.js';
import { DEFAULT_RUNBOOK_TITLES, defaultRunbookTitle } from './domain/runbook-titles.js';

export const RUNBOOKS_PARTITION = 'RUNBOOKS';
export const RUNBOOK_PREFIX = 'RUNBOOK#';

const TITLE_ONLY = { ProjectionExpression: '#id, #body.#title', ExpressionAttributeNames: { '#id': 'id', '#body': 'body', '#title': 'title' } };

/** The title of the runbook of `code` (saved, else shipped), or null when it has none: one GetItem of the title. */
export async function runbookTitle(code: string): Promise<{ code: string; title: string } | null> {
  const out = await translate(() =>
    ddb().send(new GetCommand({ TableName: tableName('errors'), Key: { pk: RUNBOOKS_PARTITION, sk: `${RUNBOOK_PREFIX}${code}` }, ...TITLE_ONLY })),
  );
  const title = (out.Item?.body as { title?: string } | undefined)?.title ?? defaultRunbookTitle(code);
  return title === undefined ? null : { code, title };
}

/** Every runbook's title by code (saved over shipped): one Query of the titles. */
export async function runbookTitles(): Promise<Record<string, string>> {
  const items = await queryAll({
    TableName: tableName('errors'),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': RUNBOOKS_PARTITION, ':prefix': RUNBOOK_PREFIX },
    ...TITLE_ONLY,
  });
  const titles: Record<string, string> = { ...DEFAULT_RUNBOOK_TITLES };
  for (const item of items) {
    const title = (item.body as { title?: string } | undefined)?.title;
    if (typeof title === 'string') titles[String(item.id)] = title;
  }
  return titles;
}
