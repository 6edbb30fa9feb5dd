/**
 * Operators' changes to flags: read the flag, apply the change with the pure rule, write it with its
 * history entry conditional on the version read. A lost race re-reads and applies the change again
 * (a change names whole gates, so applying it to the newer flag is what the operator asked for),
 * unless the operator pinned `expectedVersion`: then the newer flag is a 409 to review first.
 */
import { applyFlagChange } from './domain.js';
import type { Flag, FlagChange } from './domain.js';
import { ConcurrentUpdateExhaustedError } from '../platform/errors.js';
import { retryLostRaces } from '../platform/exactly-once.js';
import { FlagVersionMismatchError } from './errors.js';
import { FlagVersionConflictError, commitFlagChange, getFlag } from './store.js';

export interface FlagChangeOutcome {
  flag: Flag;
  /** The flag did not exist and was created by this change. */
  created: boolean;
  /** False when the change altered nothing: no new version, no history entry. */
  changed: boolean;
}

/**
 * Applies an operator's change to a flag, creating it (every gate off) when it does not exist.
 *
 * @throws FlagVersionMismatchError `expectedVersion` is not the flag's version (409 `version_conflict`)
 * @example
 * await changeFlag('account_data_persistence', { actors: ['cust-1'] }, { operator: 'jwt-sub-of-the-operator' });
 */
export async function changeFlag(
  name: string,
  change: FlagChange,
  options: { operator: string; expectedVersion?: number; now?: () => Date },
): Promise<FlagChangeOutcome> {
  const now = options.now ?? (() => new Date());
  return retryLostRaces(
    async () => {
      const before = await getFlag(name);
      const current = before?.version ?? 0;
      if (options.expectedVersion !== undefined && options.expectedVersion !== current) {
        throw new FlagVersionMismatchError(name, current, options.expectedVersion);
      }
      const result = applyFlagChange(before, name, change, { operator: options.operator, now: now().toISOString() });
      if (!result.changed) return { flag: result.flag, created: false, changed: false };
      await commitFlagChange({ flag: result.flag, history: result.history, previousVersion: current });
      return { flag: result.flag, created: result.created, changed: true };
    },
    {
      isLostRace: (error) => error instanceof FlagVersionConflictError,
      exhausted: (lastError) => new ConcurrentUpdateExhaustedError(`flag ${name}`, { cause: lastError }),
    },
  );
}
