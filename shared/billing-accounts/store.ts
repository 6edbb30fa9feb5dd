/**
 * The DynamoDB adapter for customers and billing accounts, in the state table:
 *   CUST#<customerId> / CUSTOMER                  the customer: its zuoraAccountId, version, changedOn
 *   BA#<zuoraAccountId> / ACCOUNT                 a billing account, kept while account_data_persistence is on
 *   BA#<zuoraAccountId> / MEMBER#<customerId>     a customer's membership of that billing account
 * One consistent BatchGetItem before a change (the customer and the idempotency record), one
 * TransactWriteItems to apply it: the customer (conditional on its version), the idempotency record
 * and, with the flag on, the billing account and the memberships — all or nothing.
 *
 * None of these sort keys starts with `HIST#`, so the outbox (the state table's stream) ignores them.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Customer, MembershipChange } from './domain.js';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { ConcurrentUpdateError, StoreError } from '../platform/dynamodb/errors.js';
import { translate } from '../platform/dynamodb/translate.js';
import { batchGetAll } from '../platform/dynamodb/batch-get.js';
import { queryPage } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import type { TransactItem } from '../platform/dynamodb/transaction.js';
import { keyCursor } from '../platform/dynamodb/cursor.js';
import { duplicateFrom, idempotencyPut } from '../platform/dynamodb/idempotency.js';
import type { StoredIdempotencyRecord } from '../platform/dynamodb/idempotency.js';

export const customerKey = (customerId: string) => ({ pk: `CUST#${customerId}`, sk: 'CUSTOMER' });
export const billingAccountKey = (zuoraAccountId: string) => ({ pk: `BA#${zuoraAccountId}`, sk: 'ACCOUNT' });
export const membershipKey = (zuoraAccountId: string, customerId: string) => ({ pk: `BA#${zuoraAccountId}`, sk: `MEMBER#${customerId}` });

/** The idempotency record of a billing-account change: its result is the customer it produced. */
export type CustomerIdempotencyRecord = Omit<StoredIdempotencyRecord<Customer>, 'namespaceId'> & { customerId: string };

const CUSTOMER_FIELDS: ReadonlyArray<keyof Customer> = [
  'customerId', 'zuoraAccountId', 'membershipZuoraAccountId', 'accountDataPersisted', 'changedOn', 'lastOccurredAt',
  'lastEventId', 'updatedAt', 'version',
];

/** The customer as the API shows it: exactly its fields, in a stable order. */
export function toCustomer(item: Record<string, unknown>): Customer {
  const customer = {} as Record<string, unknown>;
  for (const field of CUSTOMER_FIELDS) customer[field] = item[field] ?? null;
  return customer as unknown as Customer;
}

export interface CustomerReadSet {
  customer: Customer | null;
  idempotency: CustomerIdempotencyRecord | null;
}

/** One consistent read of what a billing-account change needs, in one BatchGetItem. */
export async function readForBillingAccountSet(keys: { customerId: string; eventId: string }): Promise<CustomerReadSet> {
  const stateTable = tableName('state');
  const idemTable = tableName('idempotency');
  const read = await batchGetAll({
    [stateTable]: { keys: [customerKey(keys.customerId)], consistent: true },
    [idemTable]: { keys: [{ eventId: keys.eventId }], consistent: true },
  });
  const customer = read[stateTable]![0];
  const idempotency = read[idemTable]![0];
  return {
    customer: customer ? toCustomer(customer) : null,
    idempotency: (idempotency as CustomerIdempotencyRecord | undefined) ?? null,
  };
}

export async function getCustomer(customerId: string): Promise<Customer | null> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('state'), Key: customerKey(customerId) })));
  return out.Item ? toCustomer(out.Item) : null;
}

/** The event was applied by a concurrent request: here is what it stored. */
export class CustomerEventAppliedError extends StoreError {
  override readonly name = 'CustomerEventAppliedError';
  constructor(readonly record: CustomerIdempotencyRecord) {
    super(`event ${record.eventId} was applied concurrently`);
  }
}

export interface BillingAccountSetWrite {
  /** The customer as read (null when never stored). */
  before: Customer | null;
  after: Customer;
  membership: MembershipChange;
  idempotency: CustomerIdempotencyRecord;
}

// Named condition pieces: each reads as the rule it enforces.
const itemDoesNotExist = 'attribute_not_exists(pk)';
const versionMatches = '#version = :version';

/**
 * Applies one billing-account change atomically: the customer (conditional on its version, or on
 * not existing), the idempotency record (conditional on not existing), and the membership changes
 * the rule decided — the billing account created or touched, the customer's membership put, the
 * old one deleted.
 */
export async function commitBillingAccountSet(write: BillingAccountSetWrite): Promise<void> {
  const state = tableName('state');
  const { before, after, membership } = write;
  const customerCondition = before
    ? { ConditionExpression: versionMatches, ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': before.version } }
    : { ConditionExpression: itemDoesNotExist };
  const items: TransactItem[] = [
    { Put: { TableName: state, Item: { ...customerKey(after.customerId), ...after }, ...customerCondition } },
    // idempotencyPut only reads eventId; a customer's record carries customerId instead of a namespaceId.
    idempotencyPut(write.idempotency as unknown as StoredIdempotencyRecord<unknown>),
  ];
  if (membership.join) {
    items.push(
      {
        Update: {
          TableName: state,
          Key: billingAccountKey(membership.join),
          UpdateExpression: 'SET zuoraAccountId = :z, createdAt = if_not_exists(createdAt, :now), updatedAt = :now',
          ExpressionAttributeValues: { ':z': membership.join, ':now': after.updatedAt },
        },
      },
      {
        Update: {
          TableName: state,
          Key: membershipKey(membership.join, after.customerId),
          // `since` is when the customer joined; a later confirmation of the same account keeps it.
          UpdateExpression: 'SET customerId = :c, zuoraAccountId = :z, since = if_not_exists(since, :since), eventId = :e, updatedAt = :now',
          ExpressionAttributeValues: { ':c': after.customerId, ':z': membership.join, ':since': after.lastOccurredAt, ':e': after.lastEventId, ':now': after.updatedAt },
        },
      },
    );
  }
  if (membership.leave) {
    items.push({ Delete: { TableName: state, Key: membershipKey(membership.leave, after.customerId) } });
  }
  await transactWrite(items, (failed) => {
    // The idempotency record is the transaction's second item.
    const duplicate = duplicateFrom<Customer>(failed.at(1));
    if (duplicate) return new CustomerEventAppliedError(duplicate as unknown as CustomerIdempotencyRecord);
    return new ConcurrentUpdateError(`customer ${after.customerId} or its billing account changed concurrently`, { cause: failed });
  });
}

export interface BillingAccount {
  zuoraAccountId: string;
  createdAt: string;
  updatedAt: string;
}

export interface Membership {
  customerId: string;
  since: string;
  eventId: string;
}

export async function getBillingAccount(zuoraAccountId: string): Promise<BillingAccount | null> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('state'), Key: billingAccountKey(zuoraAccountId) })));
  if (!out.Item) return null;
  return { zuoraAccountId: out.Item.zuoraAccountId as string, createdAt: out.Item.createdAt as string, updatedAt: out.Item.updatedAt as string };
}

export interface MembersPage {
  members: Membership[];
  nextCursor: string | null;
}

/** A billing account's members by customer id, a page at a time (a Query on the account's partition). */
export async function listMembers(zuoraAccountId: string, options: { limit: number; cursor?: string }): Promise<MembersPage> {
  const page = await queryPage(
    {
      TableName: tableName('state'),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :member)',
      ExpressionAttributeValues: { ':pk': `BA#${zuoraAccountId}`, ':member': 'MEMBER#' },
      Limit: options.limit,
    },
    { cursor: options.cursor || undefined, codec: keyCursor((pk, sk) => pk === `BA#${zuoraAccountId}` && sk.startsWith('MEMBER#')) },
  );
  return {
    members: page.items.map((item) => ({ customerId: item.customerId as string, since: item.since as string, eventId: item.eventId as string })),
    nextCursor: page.nextCursor,
  };
}
