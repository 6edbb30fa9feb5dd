/**
 * Feature flags: the gates, how a flag is evaluated for an actor, and how an operator's change
 * applies to a flag. Pure: no I/O, so every rule is a unit test away.
 *
 * Gates are evaluated in Flipper's order — boolean, actor, percentage of actors — and the first
 * open gate enables the flag.
 */
import { crc32 } from 'node:zlib';

/** The gates of a flag, as stored and as operators set them. */
export interface FlagGates {
  /** The boolean gate: on for everyone. */
  enabled: boolean;
  /** The actor gate: on for exactly these actor ids (for billing flags: customer ids). */
  actors: string[];
  /** The percentage-of-actors gate, 0–100 with at most three decimals. */
  percentageOfActors: number;
}

export interface Flag extends FlagGates {
  name: string;
  /** 1 after creation, +1 per change: every write is conditional on it. */
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The operator who made the last change. */
  updatedBy: string;
}

/** An operator's change: the gates it names are replaced, the others kept. */
export type FlagChange = Partial<FlagGates>;

/** One applied change, kept forever: who changed what, from what, to what. */
export interface FlagHistoryEntry {
  name: string;
  version: number;
  operator: string;
  before: FlagGates | null;
  after: FlagGates;
  changedAt: string;
}

/** A flag that does not exist yet is created with every gate off: creating it never enables anything. */
export const ALL_GATES_OFF: Readonly<FlagGates> = Object.freeze({ enabled: false, actors: [], percentageOfActors: 0 });

export const FLAG_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Flipper's scaling factor: percentages keep three decimals, buckets run 0–99 999. */
const SCALING_FACTOR = 1_000;
const BUCKETS = 100 * SCALING_FACTOR;

/**
 * The actor's bucket for a flag, 0–99 999: `crc32(flagName + actorId) % 100000`, exactly as
 * Flipper's percentage-of-actors gate computes it (UTF-8 bytes, CRC-32/ISO-HDLC). Stable per flag
 * and actor, different across flags, so each flag rolls out to its own cohort.
 *
 * @example
 * percentageBucket('account_data_persistence', 'cust-1'); // 4806
 */
export function percentageBucket(flagName: string, actorId: string): number {
  return crc32(`${flagName}${actorId}`) % BUCKETS;
}

/**
 * Whether the percentage gate lets an actor in. The comparison is Flipper's own
 * (`bucket < percentage * 1000`, in floating point as Ruby does), so an actor enabled at some
 * percentage stays enabled as it widens, and a cohort moved from Flipper is the same cohort.
 */
export function inPercentage(flagName: string, actorId: string, percentage: number): boolean {
  if (percentage <= 0) return false;
  if (percentage >= 100) return true;
  return percentageBucket(flagName, actorId) < percentage * SCALING_FACTOR;
}

/** Which gate decided: null when none is open. */
export type OpenGate = 'boolean' | 'actor' | 'percentageOfActors';

export interface FlagEvaluation {
  enabled: boolean;
  gate: OpenGate | null;
}

/**
 * Evaluates a flag's gates for an actor: boolean, then actor, then percentage. Without an actor
 * only the boolean gate can open.
 *
 * @example
 * evaluateFlag('account_data_persistence', { enabled: false, actors: ['c-1'], percentageOfActors: 0 }, 'c-1');
 * // { enabled: true, gate: 'actor' }
 */
export function evaluateFlag(flagName: string, gates: FlagGates, actorId?: string): FlagEvaluation {
  if (gates.enabled) return { enabled: true, gate: 'boolean' };
  if (actorId === undefined || actorId === '') return { enabled: false, gate: null };
  if (gates.actors.includes(actorId)) return { enabled: true, gate: 'actor' };
  if (inPercentage(flagName, actorId, gates.percentageOfActors)) return { enabled: true, gate: 'percentageOfActors' };
  return { enabled: false, gate: null };
}

/** Whether any gate can open: a flag with none is fully off (OpenFeature's DISABLED). */
export const anyGateOpen = (gates: FlagGates): boolean => gates.enabled || gates.actors.length > 0 || gates.percentageOfActors > 0;

/** 0–100 with at most three decimals: Flipper's precision, so every percentage maps to whole buckets. */
export function isValidPercentage(value: number): boolean {
  return Number.isFinite(value) && value >= 0 && value <= 100 && Math.round(value * SCALING_FACTOR) / SCALING_FACTOR === value;
}

export const gatesOf = (flag: FlagGates): FlagGates => ({
  enabled: flag.enabled,
  actors: [...flag.actors],
  percentageOfActors: flag.percentageOfActors,
});

const sameGates = (a: FlagGates, b: FlagGates): boolean =>
  a.enabled === b.enabled &&
  a.percentageOfActors === b.percentageOfActors &&
  a.actors.length === b.actors.length &&
  a.actors.every((actor, i) => b.actors[i] === actor);

export type FlagChangeResult =
  | { changed: false; flag: Flag }
  | { changed: true; created: boolean; flag: Flag; history: FlagHistoryEntry };

/**
 * Applies an operator's change to a flag (null: the flag does not exist yet and is created with
 * every gate off, then changed). A change that alters nothing is not a new version: sending the
 * same change twice writes once.
 *
 * @example
 * applyFlagChange(null, 'account_data_persistence', { actors: ['c-1'] }, { operator: 'sub-1', now: '2026-05-01T10:00:00.000Z' });
 */
export function applyFlagChange(
  before: Flag | null,
  name: string,
  change: FlagChange,
  context: { operator: string; now: string },
): FlagChangeResult {
  const current = before ? gatesOf(before) : gatesOf(ALL_GATES_OFF);
  const after: FlagGates = {
    enabled: change.enabled ?? current.enabled,
    // An actor listed twice is one actor: the gate is a set, kept in the order given.
    actors: change.actors ? [...new Set(change.actors)] : current.actors,
    percentageOfActors: change.percentageOfActors ?? current.percentageOfActors,
  };
  if (before && sameGates(current, after)) return { changed: false, flag: before };
  const version = (before?.version ?? 0) + 1;
  const flag: Flag = {
    name,
    ...after,
    version,
    createdAt: before?.createdAt ?? context.now,
    updatedAt: context.now,
    updatedBy: context.operator,
  };
  return {
    changed: true,
    created: before === null,
    flag,
    history: { name, version, operator: context.operator, before: before ? current : null, after: gatesOf(after), changedAt: context.now },
  };
}
