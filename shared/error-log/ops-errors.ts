/**
 * The errors of what operators manage without a deploy (noise rules, runbooks), in the error log's
 * application error family (./errors.ts): a version that moved, a rule or runbook that is not there.
 */
import { ErrorLogError } from './errors.js';

/**
 * The operator pinned `expectedVersion` and the item is at another one: 409 `version_conflict`, to
 * review the newer item before changing it.
 */
export class ConfigVersionMismatchError extends ErrorLogError {
  override readonly name = 'ConfigVersionMismatchError';
  readonly kind = 'conflict';

  constructor(
    readonly label: string,
    readonly id: string,
    readonly version: number,
    readonly expectedVersion: number,
    options: ErrorOptions = {},
  ) {
    super(
      'version_conflict',
      `The ${label} ${id} is at version ${version}, not ${expectedVersion}: GET it, review the change, and send it again with expectedVersion ${version}.`,
      { ...options, details: { id, version, expectedVersion } },
    );
  }
}

/** No noise rule (saved or built-in) under this id: 404. */
export class UnknownNoiseRuleError extends ErrorLogError {
  override readonly name = 'UnknownNoiseRuleError';
  readonly kind = 'not_found';

  constructor(
    readonly ruleId: string,
    options: ErrorOptions = {},
  ) {
    super('not_found', `No noise rule ${ruleId}: list them with GET /v1/noise-rules.`, options);
  }
}

/** No runbook (saved or shipped) for this code: 404. */
export class UnknownRunbookError extends ErrorLogError {
  override readonly name = 'UnknownRunbookError';
  readonly kind = 'not_found';

  constructor(
    readonly errorCode: string,
    options: ErrorOptions = {},
  ) {
    super('not_found', `No runbook for ${errorCode}: write one with PUT /v1/runbooks/${errorCode}, or list them with GET /v1/runbooks.`, options);
  }
}
