/**
 * The manifest: every function of the service, what triggers it and which tables it may touch.
 * It is the single source of truth. The CDK stack (infra/) builds each function, route, rule,
 * schedule, stream mapping and IAM grant from it; the local runtime (local/) serves the same routes,
 * routes the same events and feeds the same streams from it. Adding a function is one entry in the
 * list of its area (shared/manifest/*.ts) plus its handler under functions/.
 */
import { auditFunctions } from '../audit/manifest.js';
import { errorLogFunctions } from '../error-log/manifest.js';
import { flagFunctions } from '../flags/manifest.js';
import { lifecycleFunctions } from '../lifecycle/manifest.js';
import { operatorFunctions } from '../operator/manifest.js';
import { reassociationFunctions } from '../reassociation/manifest.js';
import type { FunctionSpec, HttpTrigger } from '../platform/manifest-types.js';

export * from '../platform/manifest-types.js';

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
