/**
 * The manifest: every function of the service, what triggers it and which tables it may touch.
 * It is the single source of truth. The CDK stack (infra/) builds each function, route, rule,
 * schedule, stream mapping and IAM grant from it; the local runtime (local/) serves the same routes,
 * routes the same events and feeds the same streams from it. Adding a function is one entry in the
 * list of its area (shared/manifest/*.ts) plus its handler under functions/.
 */
import { auditFunctions } from './manifest/audit.js';
import { errorLogFunctions } from './manifest/error-log.js';
import { flagFunctions } from './manifest/flags.js';
import { lifecycleFunctions } from './manifest/lifecycle.js';
import { operatorFunctions } from './manifest/operators.js';
import { reassociationFunctions } from './manifest/reassociation.js';
import type { FunctionSpec, HttpTrigger } from './manifest/types.js';

export * from './manifest/types.js';

export const functions: readonly FunctionSpec[] = [
  ...lifecycleFunctions,
  ...flagFunctions,
  ...reassociationFunctions,
  ...errorLogFunctions,
  ...auditFunctions,
  ...operatorFunctions,
];

export const httpRoutes = (): Array<HttpTrigger & { fn: FunctionSpec }> =>
  functions.flatMap((fn) =>
    fn.triggers.filter((t): t is HttpTrigger => t.kind === 'http').map((t) => ({ ...t, fn })),
  );
