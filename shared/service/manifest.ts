/**
 * The manifest: every function of the service, what triggers it and which tables it may touch.
 * It is the single source of truth. The CDK stack (infra/) builds each function, route, rule,
 * schedule, stream mapping and IAM grant from it; the local runtime (local/) serves the same routes,
 * routes the same events and feeds the same streams from it. Each feature lists its own functions
 * (shared/<feature>/manifest.ts); this module only assembles them, with the service's own
 * functions (the OpenAPI document). Adding a function is one entry in its feature's list plus its
 * handler under functions/.
 */
import { auditFunctions } from '../audit/manifest.js';
import { errorLogFunctions } from '../error-log/manifest.js';
import { billingAccountFunctions } from '../billing-accounts/manifest.js';
import { flagFunctions } from '../flags/manifest.js';
import { lifecycleFunctions } from '../lifecycle/manifest.js';
import { operatorFunctions } from '../operator/manifest.js';
import { reassociationFunctions } from '../reassociation/manifest.js';
import * as z from '../platform/zod.js';
import type { FunctionSpec, HttpTrigger } from '../platform/manifest-types.js';

/** The service's own functions: what describes the whole API. */
const serviceFunctions: readonly FunctionSpec[] = [
  {
    name: 'openapi',
    description: 'Serves the API as OpenAPI 3.1, generated from the zod schemas.',
    entry: 'functions/openapi/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/openapi.json',
        auth: 'service',
        doc: { summary: 'This document', response: z.looseObject({ openapi: z.string() }) },
      },
    ],
    tables: {},
  },
];

export * from '../platform/manifest-types.js';

export const functions: readonly FunctionSpec[] = [
  ...lifecycleFunctions,
  ...flagFunctions,
  ...billingAccountFunctions,
  ...reassociationFunctions,
  ...errorLogFunctions,
  ...auditFunctions,
  ...operatorFunctions,
  ...serviceFunctions,
];

export const httpRoutes = (): Array<HttpTrigger & { fn: FunctionSpec }> =>
  functions.flatMap((fn) =>
    fn.triggers.filter((t): t is HttpTrigger => t.kind === 'http').map((t) => ({ ...t, fn })),
  );
