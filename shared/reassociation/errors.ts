/**
 * Force reassociation's errors (the application error family of shared/platform/errors.ts): a
 * move the guard rails refused, and a subscription that has no namespace to move from.
 */
import { ApplicationError } from '../platform/errors.js';
import type { ReassociationRejectionCode } from './domain.js';
import type { Detachment } from './store.js';

/** The base of every reassociation error. */
export abstract class ReassociationError extends ApplicationError {
  override readonly name: string = 'ReassociationError';
}

/**
 * A guard rail refused the move (reassociation/domain.ts): `subscription_expired`,
 * `already_associated`, `target_has_subscription`, `association_broken`. A conflict with the
 * current state; nothing was written.
 */
export class ReassociationRejectedError extends ReassociationError {
  override readonly name = 'ReassociationRejectedError';
  readonly kind = 'conflict';

  constructor(
    readonly subscriptionId: string,
    rejection: { code: ReassociationRejectionCode; message: string },
    options: ErrorOptions = {},
  ) {
    super(rejection.code, rejection.message, options);
  }
}

/** No namespace holds the subscription: never created, or replaced by another reassociation (`detachment`). 404. */
export class SubscriptionWithoutNamespaceError extends ReassociationError {
  override readonly name = 'SubscriptionWithoutNamespaceError';
  readonly kind = 'not_found';

  constructor(
    readonly subscriptionId: string,
    readonly detachment: Detachment | null,
    options: ErrorOptions = {},
  ) {
    super(
      'not_found',
      detachment
        ? `Subscription ${subscriptionId} has no namespace: reassociation ${detachment.eventId} replaced it on namespace ` +
            `${detachment.namespaceId} with ${detachment.replacedBySubscriptionId} at ${detachment.detachedAt}. ` +
            'Send Subscription Created for it on the namespace it belongs to.'
        : `Subscription ${subscriptionId} is unknown: send Subscription Created for it first.`,
      options,
    );
  }
}
