/**
 * The operator roles. Each operator route names the least role that may call it (the manifest);
 * a higher role may do everything a lower one may:
 *
 * | role    | may                                                                             |
 * |---------|---------------------------------------------------------------------------------|
 * | viewer  | every operator read (errors, namespaces, reports, flags, metrics, noise rules…)  |
 * | support | viewer + force reassociation, peak corrections, the error workflow (PATCH)        |
 * | admin   | support + flag changes, job runs, noise rule and runbook changes                  |
 *
 * In AWS a role is an OAuth scope on the operator's access token (configurable, defaults below):
 * the JWT authorizer requires one of the route's scopes, the handler checks the role again.
 * Locally each of the three operator tokens is one role. Pure: imported by handlers, infra and the
 * local runtime alike.
 */

export const OPERATOR_ROLES = ['viewer', 'support', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** The OAuth scope that grants each role, unless the stack's context says otherwise. */
export const DEFAULT_ROLE_SCOPES: Readonly<Record<OperatorRole, string>> = {
  viewer: 'provisioning/read',
  support: 'provisioning/support',
  admin: 'provisioning/admin',
};

const rank = (role: OperatorRole) => OPERATOR_ROLES.indexOf(role);

/**
 * Whether a caller with role `has` may call a route that needs `needs`.
 *
 * @example
 * roleAllows('admin', 'support') // true
 * roleAllows('viewer', 'support') // false
 */
export const roleAllows = (has: OperatorRole, needs: OperatorRole): boolean => rank(has) >= rank(needs);

/** The roles that may call a route needing `needs`: it and every higher one. */
export const rolesAllowed = (needs: OperatorRole): OperatorRole[] => OPERATOR_ROLES.filter((r) => roleAllows(r, needs));

/**
 * The scopes a route needing `needs` lists on the JWT authorizer: its role's and every higher role's
 * (API Gateway lets a token through when it carries any one of them).
 *
 * @example
 * routeScopes('support') // ['provisioning/support', 'provisioning/admin']
 */
export const routeScopes = (needs: OperatorRole, scopes: Readonly<Record<OperatorRole, string>> = DEFAULT_ROLE_SCOPES): string[] =>
  rolesAllowed(needs).map((r) => scopes[r]);

/**
 * The highest role a token's scopes grant, or undefined for none. `scope` is OAuth's
 * space-separated string (RFC 8693 / Cognito, Okta); `scp` an array or string (Entra, Okta).
 *
 * @example
 * roleOfScopes('openid provisioning/read provisioning/support') // 'support'
 */
export function roleOfScopes(scope: unknown, scopes: Readonly<Record<OperatorRole, string>> = DEFAULT_ROLE_SCOPES): OperatorRole | undefined {
  const granted = new Set(Array.isArray(scope) ? scope.map(String) : typeof scope === 'string' ? scope.split(/\s+/) : []);
  return [...OPERATOR_ROLES].reverse().find((r) => granted.has(scopes[r]));
}

/** The environment variable that gives an HTTP function its operator routes' roles (`{ routeKey: role }`, JSON). */
export const OPERATOR_ROUTES_ENV = 'OPERATOR_ROUTES';
/** The environment variable that gives the role scopes when they are not the defaults (JSON). */
export const OPERATOR_SCOPES_ENV = 'OPERATOR_SCOPES';

/**
 * `{ routeKey: role }` of the operator routes among `routes` (OPERATOR_ROUTES_ENV's value).
 *
 * @example
 * operatorRouteRoles([{ method: 'PUT', path: '/v1/flags/{name}', auth: 'operator', role: 'admin' }]) // { 'PUT /v1/flags/{name}': 'admin' }
 */
export function operatorRouteRoles(routes: ReadonlyArray<{ method: string; path: string; auth: string; role?: OperatorRole }>): Record<string, OperatorRole> {
  const roles: Record<string, OperatorRole> = {};
  for (const r of routes) if (r.auth === 'operator' && r.role) roles[`${r.method} ${r.path}`] = r.role;
  return roles;
}

/** What the stack gives an operator function for verifying the JWT again (shared/platform/http/operator-token.ts). */
export const OPERATOR_JWT_ENV = {
  issuer: 'OPERATOR_JWT_ISSUER',
  audience: 'OPERATOR_JWT_AUDIENCE',
  maxAgeSeconds: 'OPERATOR_JWT_MAX_AGE_SECONDS',
  nameClaim: 'OPERATOR_NAME_CLAIM',
} as const;

/** Operator tokens older than this (from `iat`) are refused unless the stack says otherwise: 12 hours. */
export const DEFAULT_MAX_AGE_SECONDS = 12 * 60 * 60;
