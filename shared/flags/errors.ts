/**
 * The flags' errors (the application error family of shared/platform/errors.ts).
 */
import { ApplicationError } from '../platform/errors.js';

/** The base of every flags error. */
export abstract class FlagsError extends ApplicationError {
  override readonly name: string = 'FlagsError';
}

/**
 * The operator pinned `expectedVersion` and the flag is at another one: 409 `version_conflict`,
 * to review the newer flag before changing it.
 */
export class FlagVersionMismatchError extends FlagsError {
  override readonly name = 'FlagVersionMismatchError';
  readonly kind = 'conflict';

  constructor(
    readonly flag: string,
    readonly version: number,
    readonly expectedVersion: number,
    options: ErrorOptions = {},
  ) {
    super(
      'version_conflict',
      `Flag ${flag} is at version ${version}, not ${expectedVersion}: GET it, review the change, and send it again with expectedVersion ${version}.`,
      { ...options, details: { name: flag, version, expectedVersion } },
    );
  }
}
