/**
 * The lifecycle commands (one function each, derived from the command table), their reads and the
 * outbox.
 */
import * as z from '../platform/zod.js';
import { COMMERCE_SOURCE, SERVICE_SOURCE } from '../platform/manifest-types.js';
import { NAMESPACE_SUBSCRIPTION_CHANGED } from './events.js';
import type { FunctionSpec } from '../platform/manifest-types.js';
import { commandDefinitions } from './commands.js';
import type { CommandDefinition } from './commands.js';
import { correctionBody, correctionsReport, namespaceState } from './schemas.js';

const commandTables = { state: 'readWrite', idempotency: 'readWrite' } as const;

/** A command's function: its route and its event rule, both served by functions/<name>/handler.ts. */
const commandFunction = (command: CommandDefinition): FunctionSpec => ({
  name: command.function.name,
  description: command.function.description,
  entry: command.function.entry,
  triggers: [
    {
      kind: 'http',
      method: command.route.method,
      path: command.route.path,
      auth: 'service',
      doc: { summary: command.summary ?? command.detailType, body: command.body, response: namespaceState, dryRun: true },
    },
    { kind: 'event', pattern: { source: [COMMERCE_SOURCE], 'detail-type': [command.detailType] } },
  ],
  tables: commandTables,
  config: ['maxFutureSkewSeconds', 'planCatalog'],
});

const history = z.object({
  subscriptionId: z.string(),
  namespaceId: z.number(),
  items: z.array(
    z.object({
      eventId: z.string(),
      type: z.string(),
      actor: z.string(),
      before: z.nullable(namespaceState),
      after: namespaceState,
      outcome: z.optional(z.enum(['applied', 'refused', 'stale'])).check(z.describe('applied; refused by the rules at its place (kept in the log); stale: older than the log keeps')),
      changed: z.optional(z.boolean()),
      rejection: z.optional(z.object({ code: z.string(), message: z.string() })),
      position: z.optional(z.string().check(z.describe("The command's place in the namespace's log (business order)"))),
      refolded: z.optional(z.int().check(z.describe('It arrived late: how many later commands were folded again'))),
      reactivation: z.optional(z.boolean().check(z.describe('A trial started after an earlier one ended'))),
    }),
  ),
  nextCursor: z.nullable(z.string()),
});

export const lifecycleFunctions: readonly FunctionSpec[] = [
  ...commandDefinitions.map(commandFunction),
  {
    name: 'seat-statistics-corrections',
    description: "Support operators correct a term's peak, with a reason and a note, recorded with their identity.",
    entry: 'functions/seat-statistics-corrections/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'POST',
        path: '/v1/namespaces/{namespaceId}/seat-statistics/corrections',
        auth: 'operator',
        role: 'support',
        doc: {
          summary:
            "Correct a term's peak (operators): it becomes maxSeatsUsed, later measurements above it still raise it; 409 term_not_found for a term that is neither the current nor the previous one",
          body: correctionBody,
          response: namespaceState,
          dryRun: true,
        },
      },
    ],
    tables: commandTables,
    config: ['maxFutureSkewSeconds'],
  },
  {
    name: 'seat-statistics-report',
    description: 'Lists the corrections of seat statistics of a date range, newest first, with counts by reason and by ISO week.',
    entry: 'functions/seat-statistics-report/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/seat-statistics/corrections',
        auth: 'operator',
        role: 'viewer',
        doc: {
          summary: "Corrections of terms' peaks in a date range (operators), newest first, with counts by reason and ISO week; query from, to, limit, cursor",
          response: correctionsReport,
        },
      },
    ],
    tables: { state: 'read' },
  },
  {
    name: 'subscription-reads',
    description: 'Reads a namespace subscription state, a subscription, and its history.',
    entry: 'functions/subscription-reads/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/namespaces/{namespaceId}/subscription',
        auth: 'service',
        doc: { summary: "A namespace's subscription state", response: namespaceState },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/subscriptions/{subscriptionId}',
        auth: 'service',
        doc: {
          summary: 'A subscription and the state of its namespace',
          response: z.object({ subscriptionId: z.string(), namespaceId: z.number(), associatedAt: z.string(), state: namespaceState }),
        },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/subscriptions/{subscriptionId}/history',
        auth: 'service',
        doc: { summary: "A subscription's history, newest first", response: history },
      },
    ],
    tables: { state: 'read' },
  },
  {
    name: 'outbox-publisher',
    description: "Publishes Namespace Subscription Changed from the state table's stream (the outbox), and prunes what a namespace's log no longer keeps.",
    entry: 'functions/outbox-publisher/handler.ts',
    triggers: [{ kind: 'stream', table: 'state', batchSize: 100 }],
    // The log's pruning: a Query of the entries below the floor, BatchWriteItem deletes.
    tables: { state: 'readWrite' },
    publishes: [{ source: SERVICE_SOURCE, detailTypes: [NAMESPACE_SUBSCRIPTION_CHANGED] }],
  },
];
