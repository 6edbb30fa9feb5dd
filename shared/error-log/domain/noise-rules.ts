/**
 * Noise rules, as pure rules: what an operator's rule looks like, which occurrences it silences,
 * and the built-in rules that `ERROR_LOG_NOISE_CODES` becomes.
 *
 * "Unnecessary noise will be filtered out and not saved": a matching occurrence is not stored and
 * not announced; it is only counted on the rule. A rule names at least one of `code`, `system`,
 * `integration`, `flow`, `messageContains`; every field it names must match (`messageContains` is a
 * case-insensitive substring of the redacted message). No I/O, no clock: `now` is given.
 */
import type { Flow, Occurrence } from './sources.js';
import { DEFAULT_NOISE_CODES } from './noise.js';

/** What a rule says (without its bookkeeping): what it matches, why, until when. */
/** What a rule matches: every field it names must match; at least one field. */
export interface NoiseMatch {
  code?: string;
  system?: string;
  integration?: string;
  flow?: Flow;
  messageContains?: string;
}

export interface NoiseRuleSpec {
  match: NoiseMatch;
  reason: string;
  /** ISO instant; absent: the rule never expires. */
  expiresAt?: string;
}

/** A rule in force (or expired) as the writer and the API see it. */
export interface NoiseRule extends NoiseRuleSpec {
  id: string;
  /** `default`: built from ERROR_LOG_NOISE_CODES, never saved; `stored`: saved by an operator. */
  source: 'default' | 'stored';
  /** 0 for a built-in rule that no operator changed. */
  version: number;
}

/** The spec of a body, normalised (no undefined fields), so two equal bodies compare equal. */
export function specOf(body: { match: NoiseMatch; reason: string; expiresAt?: string }): NoiseRuleSpec {
  const match: NoiseMatch = {};
  for (const key of ['code', 'system', 'integration', 'flow', 'messageContains'] as const) {
    if (body.match[key] !== undefined) (match as Record<string, string>)[key] = body.match[key];
  }
  return { match, reason: body.reason, ...(body.expiresAt ? { expiresAt: new Date(body.expiresAt).toISOString() } : {}) };
}

/** Whether two specs say the same (the same PUT again makes no new version). */
export function sameSpec(a: NoiseRuleSpec | null, b: NoiseRuleSpec | null): boolean {
  if (a === null || b === null) return a === b;
  const keys = ['code', 'system', 'integration', 'flow', 'messageContains'] as const;
  return a.reason === b.reason && (a.expiresAt ?? null) === (b.expiresAt ?? null) && keys.every((k) => a.match[k] === b.match[k]);
}

/** Whether the rule is in force at `now` (ISO instant): no expiry, or an expiry after now. */
export const isActive = (rule: NoiseRuleSpec, now: string): boolean => rule.expiresAt === undefined || rule.expiresAt > now;

/**
 * Whether `occurrence` is what `rule` silences: every field the rule names matches.
 *
 * @example
 * matches({ match: { code: 'VALIDATION_ERROR', integration: 'zuora' }, reason: 'r' }, occurrence)
 */
export function matches(rule: NoiseRuleSpec, occurrence: Pick<Occurrence, 'code' | 'system' | 'integration' | 'flow' | 'message'>): boolean {
  const m = rule.match;
  if (m.code !== undefined && m.code !== occurrence.code) return false;
  if (m.system !== undefined && m.system !== occurrence.system) return false;
  if (m.integration !== undefined && m.integration !== occurrence.integration) return false;
  if (m.flow !== undefined && m.flow !== occurrence.flow) return false;
  if (m.messageContains !== undefined && !occurrence.message.toLowerCase().includes(m.messageContains.toLowerCase())) return false;
  return true;
}

/**
 * The rule that silences `occurrence` at `now`, if any: the first active match by rule id, so the
 * same rules and the same occurrence always name the same rule (the one its count goes to).
 */
export function silencingRule<R extends NoiseRule>(rules: readonly R[], occurrence: Parameters<typeof matches>[1], now: string): R | undefined {
  return [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).find((rule) => isActive(rule, now) && matches(rule, occurrence));
}

/** The id of the built-in rule of a noise code: `stale_event` → `default-stale-event`. */
export function defaultRuleId(code: string): string {
  const slug = code
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 55)
    .replace(/-+$/, '');
  return `default-${slug || 'code'}`;
}

/**
 * The built-in rules of `ERROR_LOG_NOISE_CODES`: one rule `default-<code>` per code (unset: the
 * service's default codes; empty: none). They apply while no operator saved or deleted a rule of
 * that id; an operator overrides one with PUT and removes one with DELETE (which is remembered).
 */
export function defaultRules(configured: string | undefined): NoiseRule[] {
  const codes =
    configured === undefined
      ? DEFAULT_NOISE_CODES
      : configured
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
  const seen = new Set<string>();
  const rules: NoiseRule[] = [];
  for (const code of codes) {
    const id = defaultRuleId(code);
    if (seen.has(id)) continue;
    seen.add(id);
    rules.push({ id, source: 'default', version: 0, match: { code }, reason: `Built-in: ERROR_LOG_NOISE_CODES lists ${code}` });
  }
  return rules;
}

/** A saved rule as the store keeps it: its spec, or null once deleted (a tombstone). */
export interface StoredRuleState {
  id: string;
  version: number;
  spec: NoiseRuleSpec | null;
}

/**
 * The rules in force: every saved rule that is not deleted, and every built-in rule whose id no
 * operator saved or deleted (a deleted built-in rule stays deleted).
 */
export function effectiveRules(stored: readonly StoredRuleState[], defaults: readonly NoiseRule[]): NoiseRule[] {
  const touched = new Set(stored.map((s) => s.id));
  const saved = stored.flatMap((s): NoiseRule[] => (s.spec ? [{ id: s.id, source: 'stored', version: s.version, ...s.spec }] : []));
  return [...saved, ...defaults.filter((d) => !touched.has(d.id))].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
