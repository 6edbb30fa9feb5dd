/**
 * The audit's errors (the application error family of shared/platform/errors.ts).
 */
import { ApplicationError } from '../platform/errors.js';

/** The base of every audit error. */
export abstract class AuditError extends ApplicationError {
  override readonly name: string = 'AuditError';
}

/**
 * Another invocation holds the run of this date (its lease): 409 `audit_in_progress`. Wait for it,
 * or retry after the lease to resume it.
 */
export class AuditInProgressError extends AuditError {
  override readonly name = 'AuditInProgressError';
  readonly kind = 'conflict';

  constructor(
    readonly asOf: string,
    readonly runId: string,
    message: string,
    details: Record<string, unknown>,
    options: ErrorOptions = {},
  ) {
    super('audit_in_progress', message, { ...options, details });
  }
}
