/**
 * The bearer tokens `npm start` takes from the environment. A short token can be guessed or brute
 * forced by anything that reaches the port (DynamoDB Local's is reachable from the network, the
 * API's from every local process and, through a browser, from web pages): one of fewer than
 * MIN_TOKEN_LENGTH characters is refused with one line saying why, before anything starts.
 */
import { StartupError } from './dynamodb.js';
import type { Tokens } from './http-server.js';

export const MIN_TOKEN_LENGTH = 32;

const TOKEN_VARIABLES = {
  service: 'PROVISIONING_SERVICE_TOKEN',
  operator: 'PROVISIONING_OPERATOR_TOKEN',
  support: 'PROVISIONING_SUPPORT_TOKEN',
  viewer: 'PROVISIONING_VIEWER_TOKEN',
} as const;

/**
 * @example
 * tokensFromEnvironment({ PROVISIONING_SERVICE_TOKEN: 'x'.repeat(32) }) // { service: 'xxx…', operator: undefined }
 * tokensFromEnvironment({ PROVISIONING_OPERATOR_TOKEN: 'short' }) // throws StartupError
 */
export function tokensFromEnvironment(env: Record<string, string | undefined>): Partial<Tokens> {
  const tokens: Partial<Tokens> = {};
  for (const [kind, variable] of Object.entries(TOKEN_VARIABLES) as Array<[keyof typeof TOKEN_VARIABLES, string]>) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (value.length < MIN_TOKEN_LENGTH) {
      throw new StartupError(
        `${variable} is ${value.length} characters long; tokens must have at least ${MIN_TOKEN_LENGTH}: unset it to get a generated one, or use e.g. $(openssl rand -base64 32).`,
      );
    }
    tokens[kind] = value;
  }
  return tokens;
}
