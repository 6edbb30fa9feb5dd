/**
 * Noise rules, the operators' side: list them with their counts, save and delete them, each
 * change kept with its operator (./versioned-store.ts). Keys: see ./noise-rules.ts.
 *
 * flow: functions/error-log-admin --> this module --> domain/noise-rules.ts (pure) + versioned-store.ts
 */
import { tableName } from '../platform/tables.js';
import { queryAll } from '../platform/dynamodb/query.js';
import { effectiveRules, isActive, sameSpec } from './domain/noise-rules.js';
import type { NoiseRule, NoiseRuleSpec, StoredRuleState } from './domain/noise-rules.js';
import { UnknownNoiseRuleError } from './ops-errors.js';
import { COUNT_PREFIX, NOISE_PARTITION, RULE_PREFIX, configuredDefaults } from './noise-rules.js';
import { VersionedStore, saveVersioned } from './versioned-store.js';
import type { SaveOutcome, Versioned } from './versioned-store.js';

export const noiseRuleStore = new VersionedStore<NoiseRuleSpec>({ list: NOISE_PARTITION, prefix: RULE_PREFIX, label: 'noise rule' });

const stateOf = (item: Versioned<NoiseRuleSpec>): StoredRuleState => ({ id: item.id, version: item.version, spec: item.body });

/** A rule as GET /v1/noise-rules shows it: the rule, whether it is in force, and its count. */
export interface NoiseRuleView extends NoiseRule {
  active: boolean;
  matched: number;
  lastMatchedAt: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

/**
 * Every rule in force or expired (saved and built-in, deleted ones left out), with its count: one
 * Query of the `NOISE` partition.
 */
export async function listNoiseRules(options: { defaults?: readonly NoiseRule[]; now?: string } = {}): Promise<NoiseRuleView[]> {
  const items = await queryAll({
    TableName: tableName('errors'),
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': NOISE_PARTITION },
    ConsistentRead: true,
  });
  const saved = items.filter((i) => String(i.sk).startsWith(RULE_PREFIX)).map((i) => noiseRuleStore.toVersioned(i));
  const counts = new Map(items.filter((i) => String(i.sk).startsWith(COUNT_PREFIX)).map((i) => [String(i.sk).slice(COUNT_PREFIX.length), i]));
  const byId = new Map(saved.map((s) => [s.id, s]));
  const now = options.now ?? new Date().toISOString();
  return effectiveRules(saved.map(stateOf), options.defaults ?? configuredDefaults()).map((rule) => {
    const count = counts.get(rule.id);
    const item = byId.get(rule.id);
    return {
      ...rule,
      active: isActive(rule, now),
      matched: Number(count?.matched ?? 0),
      lastMatchedAt: count?.lastMatchedAt ? String(count.lastMatchedAt) : null,
      updatedAt: item?.updatedAt ?? null,
      updatedBy: item?.updatedBy ?? null,
    };
  });
}

/**
 * Saves a rule (creating it, or overriding a built-in one of the same id). The same rule again
 * changes nothing.
 *
 * @throws ConfigVersionMismatchError `expectedVersion` is not the rule's version (409)
 * @example
 * await saveNoiseRule('zuora-sandbox', { match: { integration: 'zuora', messageContains: 'sandbox' }, reason: 'test tenants' }, { operator });
 */
export async function saveNoiseRule(id: string, spec: NoiseRuleSpec, options: { operator: string; expectedVersion?: number }): Promise<SaveOutcome<NoiseRuleSpec>> {
  return saveVersioned(noiseRuleStore, id, spec, { ...options, same: sameSpec });
}

/**
 * Deletes a rule: its item stays as a tombstone with the history entry, so a deleted built-in
 * rule stays deleted. Deleting it again changes nothing.
 *
 * @throws UnknownNoiseRuleError no saved or built-in rule has this id (404)
 * @throws ConfigVersionMismatchError `expectedVersion` is not the rule's version (409)
 */
export async function deleteNoiseRule(
  id: string,
  options: { operator: string; expectedVersion?: number; defaults?: readonly NoiseRule[] },
): Promise<SaveOutcome<NoiseRuleSpec>> {
  const isDefault = (options.defaults ?? configuredDefaults()).some((d) => d.id === id);
  const saved = await noiseRuleStore.get(id);
  if (!saved && !isDefault) throw new UnknownNoiseRuleError(id);
  return saveVersioned(noiseRuleStore, id, null, { ...options, same: sameSpec, tombstoneMissing: isDefault });
}
