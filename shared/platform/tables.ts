/**
 * Table definitions: keys, indexes, streams and TTL, written once. The CDK stack builds its
 * `dynamodb.Table`s from them and the local runtime creates the same tables in DynamoDB Local.
 */
export type AttributeType = 'S' | 'N';

export interface KeySpec {
  readonly name: string;
  readonly type: AttributeType;
}

export interface GlobalIndexSpec {
  readonly name: string;
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  /** `ALL` copies the whole item; `KEYS_ONLY` only the table and index keys. */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableSpec {
  /** Short name used by the manifest and in environment variables (`TABLE_<KEY>`). */
  readonly key: TableKey;
  readonly description: string;
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  readonly globalIndexes?: readonly GlobalIndexSpec[];
  readonly stream?: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE';
  readonly ttlAttribute?: string;
}

export type TableKey = 'state' | 'idempotency' | 'errors' | 'flags';

export const tables: Readonly<Record<TableKey, TableSpec>> = {
  state: {
    key: 'state',
    description:
      'Namespace subscription state, its history, subscription pointers. Its stream is the outbox of Namespace Subscription Changed.',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    stream: 'NEW_AND_OLD_IMAGES',
    // The reconciliation audit's sparse indexes (shared/audit/domain.ts). A state item carries a due
    // date per kind only while that kind is pending, so a Query up to the audit's date reads what is
    // due, not every subscription. byChangedOn: states, pointers and customers by the day their
    // association or billing account last changed. Keys only: a write that keeps these keys (a
    // seat-usage report) writes no index; the audit reads the items by key.
    globalIndexes: [
      { name: 'byRenewalDue', partitionKey: { name: 'dueShard', type: 'N' }, sortKey: { name: 'renewalDue', type: 'S' }, projection: 'KEYS_ONLY' },
      { name: 'byReconciliationDue', partitionKey: { name: 'dueShard', type: 'N' }, sortKey: { name: 'reconciliationDue', type: 'S' }, projection: 'KEYS_ONLY' },
      { name: 'byExpiryDue', partitionKey: { name: 'dueShard', type: 'N' }, sortKey: { name: 'expiryDue', type: 'S' }, projection: 'KEYS_ONLY' },
      { name: 'byTrialEndDue', partitionKey: { name: 'dueShard', type: 'N' }, sortKey: { name: 'trialEndDue', type: 'S' }, projection: 'KEYS_ONLY' },
      { name: 'byChangedOn', partitionKey: { name: 'changedOn', type: 'S' }, sortKey: { name: 'pk', type: 'S' }, projection: 'KEYS_ONLY' },
    ],
  },
  idempotency: {
    key: 'idempotency',
    description: 'One record per applied eventId: the hash of the request and the result it produced.',
    partitionKey: { name: 'eventId', type: 'S' },
    ttlAttribute: 'expiresAt',
  },
  errors: {
    key: 'errors',
    description:
      'The error log: one record per failure fingerprint (ERR#<id>), with its status workflow; occurrence markers (TTL) and digest runs.',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    // Sparse: only error records carry these attributes. Lists are newest first by createdAt. Keys
    // only: counting an occurrence changes no index key, so it writes no index (a failure storm
    // costs one item write per occurrence); lists read the records by key after the query.
    globalIndexes: [
      { name: 'byStatus', partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'createdAt', type: 'S' }, projection: 'KEYS_ONLY' },
      { name: 'byCreatedAt', partitionKey: { name: 'entity', type: 'S' }, sortKey: { name: 'createdAt', type: 'S' }, projection: 'KEYS_ONLY' },
      { name: 'byIssue', partitionKey: { name: 'gitlabIssueLink', type: 'S' }, sortKey: { name: 'pk', type: 'S' }, projection: 'KEYS_ONLY' },
    ],
    ttlAttribute: 'expiresAt',
  },
  flags: {
    key: 'flags',
    description: 'Feature flags (boolean, actor and percentage gates) and their change history.',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
};

export const tableSpecs: readonly TableSpec[] = Object.values(tables);

/** The environment variable that carries a table's physical name to a function. */
export const tableEnvVar = (key: TableKey): string => `TABLE_${key.toUpperCase()}`;

/** The physical table name for this process: from the environment, as the stack or the local runtime set it. */
export function tableName(key: TableKey): string {
  const name = process.env[tableEnvVar(key)];
  if (!name) throw new Error(`${tableEnvVar(key)} is not set: the stack or the local runtime must pass the table name`);
  return name;
}
