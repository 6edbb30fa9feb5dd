/**
 * Noise rules, the application: operators save and delete rules (kept with their history, see
 * ./versioned-store.ts), the writer asks which rule silences an occurrence and counts it there.
 * Keys in the `errors` table:
 *   NOISE / RULE#<id>          a saved rule (or the tombstone of a deleted one)
 *   NOISE#<id> / CHANGE#<v>    its history
 *   NOISE / COUNT#<id>         how many occurrences it silenced, and the last time (an atomic ADD;
 *                              apart from the rule, so a count never races an operator's change)
 *   OCC#<eventId> / NOISE      the marker of a silenced event (TTL 7 days): a redelivery counts once
 * The whole partition `NOISE` is small (one item per rule and per counter): GET /v1/noise-rules
 * is one Query of it, and the writer reads the `RULE#` part of it once per event.
 *
 * This module is the writer's side (read the rules, count); operators' changes are in
 * ./noise-rule-admin.ts, so the writer's bundle carries none of their code.
 *
 * flow: writer --> this module --> domain/noise-rules.ts (pure)
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../platform/tables.js';
import { ddb } from '../platform/dynamodb/client.js';
import { translate } from '../platform/dynamodb/translate.js';
import { queryAll } from '../platform/dynamodb/query.js';
import { transactWrite } from '../platform/dynamodb/transaction.js';
import { ConditionFailedError } from '../platform/dynamodb/errors.js';
import { defaultRules, effectiveRules } from './domain/noise-rules.js';
import type { NoiseRule, NoiseRuleSpec, StoredRuleState } from './domain/noise-rules.js';

export const NOISE_PARTITION = 'NOISE';
export const RULE_PREFIX = 'RULE#';

const countKey = (id: string) => ({ pk: NOISE_PARTITION, sk: `${COUNT_PREFIX}${id}` });
const silencedMarkerKey = (occurrenceId: string) => ({ pk: `OCC#${occurrenceId}`, sk: 'NOISE' });
/** As long as the occurrence markers of the error records: the same redeliveries are recognised. */
const MARKER_TTL_SECONDS = 7 * 24 * 3600;

/** The built-in rules of this process's configuration (`ERROR_LOG_NOISE_CODES`). */
export const configuredDefaults = (): NoiseRule[] => defaultRules(process.env.ERROR_LOG_NOISE_CODES);

/**
 * Counts one silenced occurrence on its rule: the marker of the event and the rule's counter in one
 * transaction, so a redelivered event counts once (`duplicate`).
 */
export async function countSilenced(ruleId: string, occurrenceId: string, now = new Date().toISOString()): Promise<'counted' | 'duplicate'> {
  const table = tableName('errors');
  try {
    await transactWrite(
      [
        {
          Put: {
            TableName: table,
            Item: { ...silencedMarkerKey(occurrenceId), ruleId, expiresAt: Math.floor(Date.parse(now) / 1000) + MARKER_TTL_SECONDS },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: table,
            Key: countKey(ruleId),
            UpdateExpression: 'ADD matched :one SET ruleId = :id, lastMatchedAt = :now',
            ExpressionAttributeValues: { ':one': 1, ':id': ruleId, ':now': now },
          },
        },
      ],
      () => undefined,
    );
    return 'counted';
  } catch (error) {
    if (error instanceof ConditionFailedError) return 'duplicate';
    throw error;
  }
}

/** The saved rules, tombstones included: one strongly consistent Query of `NOISE / RULE#`. */
export async function loadRuleStates(): Promise<StoredRuleState[]> {
  const items = await queryAll({
    TableName: tableName('errors'),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rule)',
    ExpressionAttributeValues: { ':pk': NOISE_PARTITION, ':rule': RULE_PREFIX },
    ProjectionExpression: '#id, #version, #body',
    ExpressionAttributeNames: { '#id': 'id', '#version': 'version', '#body': 'body' },
    ConsistentRead: true,
  });
  return items.map((item) => ({ id: String(item.id), version: Number(item.version), spec: (item.body ?? null) as NoiseRuleSpec | null }));
}

/** The counters of every rule, by rule id (part of the same partition). */
export const COUNT_PREFIX = 'COUNT#';

/** A rule's counter alone (tests, and a rule view after a change): one strongly consistent GetItem. */
export async function readCount(ruleId: string): Promise<{ matched: number; lastMatchedAt: string | null }> {
  const out = await translate(() => ddb().send(new GetCommand({ TableName: tableName('errors'), Key: countKey(ruleId), ConsistentRead: true })));
  return { matched: Number(out.Item?.matched ?? 0), lastMatchedAt: out.Item?.lastMatchedAt ? String(out.Item.lastMatchedAt) : null };
}

export interface NoiseRuleSourceOptions {
  /** How long a process trusts the rules it read. Default 0: read on every event ("a rule applies to every report received after it is saved"). */
  ttlMs?: number;
  /** The saved rules (tombstones included); default one strongly consistent Query of `NOISE / RULE#`. */
  load?: () => Promise<StoredRuleState[]>;
  /** The built-in rules; default from `ERROR_LOG_NOISE_CODES`, read each time (a changed setting applies locally without a restart). */
  defaults?: () => readonly NoiseRule[];
  now?: () => number;
}

/**
 * The rules the writer applies, read through this object (a test replaces it). With the default
 * TTL of 0 every event reads the rules: one Query (0.5 read unit for a few rules, strongly
 * consistent) — a rule saved before a report is received applies to it.
 */
export class NoiseRuleSource {
  private cached: { rules: StoredRuleState[]; at: number } | undefined;
  private readonly ttlMs: number;
  private readonly load: () => Promise<StoredRuleState[]>;
  private readonly defaults: () => readonly NoiseRule[];
  private readonly now: () => number;

  constructor(options: NoiseRuleSourceOptions = {}) {
    this.ttlMs = options.ttlMs ?? 0;
    this.load = options.load ?? loadRuleStates;
    this.defaults = options.defaults ?? configuredDefaults;
    this.now = options.now ?? Date.now;
  }

  /** The rules in force, expired ones included (the matcher checks expiry at the occurrence's time). */
  async rules(): Promise<NoiseRule[]> {
    if (!this.cached || this.now() - this.cached.at >= this.ttlMs) this.cached = { rules: await this.load(), at: this.now() };
    return effectiveRules(this.cached.rules, this.defaults());
  }

  /** Forgets what was read. */
  clear(): void {
    this.cached = undefined;
  }
}
