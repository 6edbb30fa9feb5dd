/** Force reassociation (operators) and the report that measures why it is still needed. */
import type { FunctionSpec } from '../platform/manifest-types.js';
import { reassociationBody, reassociationReport, reassociationResult } from './schemas.js';

export const reassociationFunctions: readonly FunctionSpec[] = [
  {
    name: 'reassociate',
    description: 'Force reassociation: moves a subscription and its term to another namespace in one transaction, with a reason.',
    entry: 'functions/reassociate/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'POST',
        path: '/v1/subscriptions/{subscriptionId}/reassociations',
        auth: 'operator',
        role: 'support',
        doc: {
          summary:
            'Force reassociation (operators): move a subscription and its term to another namespace; 409 subscription_expired, already_associated, target_has_subscription',
          body: reassociationBody,
          response: reassociationResult,
          dryRun: true,
        },
      },
    ],
    tables: { state: 'readWrite', idempotency: 'readWrite' },
  },
  {
    name: 'reassociation-report',
    description: 'Lists reassociations of a date range, newest first, with counts by reason and by ISO week.',
    entry: 'functions/reassociation-report/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/reassociations',
        auth: 'operator',
        role: 'viewer',
        doc: {
          summary: 'Reassociations of a date range (operators), newest first, with counts by reason and ISO week; query from, to, limit, cursor',
          response: reassociationReport,
        },
      },
    ],
    tables: { state: 'read' },
  },
];
