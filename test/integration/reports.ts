/**
 * What the operators' report tests share (GET /v1/reassociations, GET /v1/seat-statistics/corrections):
 * records of a past range written with the store's key scheme, and reading a report page by page.
 */
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { localClient } from '../../local/dynamodb.js';
import type { Runtime } from '../../local/runtime.js';
import type { Client } from './helpers.js';

/** Writes report records straight into the state table, under `keyOf(appliedAt, eventId)`, so their dates are known. */
export async function seedReportRecords<T extends { appliedAt: string; eventId: string }>(
  runtime: Runtime,
  keyOf: (appliedAt: string, eventId: string) => { pk: string; sk: string },
  records: readonly T[],
): Promise<T[]> {
  const ddb = DynamoDBDocumentClient.from(localClient(runtime.dynamoEndpoint));
  try {
    for (const record of records) await ddb.send(new PutCommand({ TableName: runtime.tables.state, Item: { ...keyOf(record.appliedAt, record.eventId), ...record } }));
  } finally {
    ddb.destroy();
  }
  return [...records];
}

/**
 * Reads a report to its last page (`limit` per page, at most 10 pages), checking each page with
 * `onPage`; answers the event ids in the order listed.
 */
export async function eventIdsOfAllPages(ops: Client, route: string, query: string, onPage: (page: any) => void = () => {}): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await ops.call('GET', `${route}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    onPage(res.body);
    seen.push(...res.body.items.map((r: { eventId: string }) => r.eventId));
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  return seen;
}
