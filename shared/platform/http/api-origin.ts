/**
 * Where a request event came from. API Gateway puts its own API id in every event it sends; the
 * stack gives each HTTP function that id (HTTP_API_ID) and the local runtime gives its own. An
 * event naming another API, or none, was not sent by the API: someone with `lambda:InvokeFunction`
 * wrote it, requestContext.authorizer included, and it must not act as a service or an operator.
 *
 * What remains: a direct invoke that copies the right API id is still believed. Only a check of
 * something the caller cannot forge closes that: the operator's JWT itself, verified in the handler
 * (issuer, audience, RS256, max age, with jose: the operator roles' work), at `operatorClaims` in
 * ./handler.ts.
 */

/** The environment variable holding the id of the HTTP API allowed to invoke the function. */
export const HTTP_API_ID_ENV = 'HTTP_API_ID';

/**
 * Whether the event came through the API the function belongs to. Without HTTP_API_ID (a unit test
 * calling a handler directly) nothing is checked.
 *
 * @example
 * cameThroughApi({ apiId: 'a1b2c3' }, { HTTP_API_ID: 'a1b2c3' }) // true
 * cameThroughApi({ apiId: 'forged' }, { HTTP_API_ID: 'a1b2c3' }) // false
 */
export function cameThroughApi(requestContext: { apiId?: unknown } | undefined, env: Record<string, string | undefined> = process.env): boolean {
  const expected = env[HTTP_API_ID_ENV];
  if (!expected) return true;
  return requestContext?.apiId === expected;
}
