/**
 * The Lambda request authorizer of webhook routes (API Gateway HTTP API, payload 2.0, simple
 * responses): X-Gitlab-Token must be the GitLab webhook secret. The route's handler checks it again.
 */
import { readSecret } from '../../shared/platform/config.js';
import { webhookTokenMatches } from '../../shared/error-log/domain/gitlab-webhook.js';

interface AuthorizerEvent {
  headers?: Record<string, string | undefined>;
  identitySource?: string[] | null;
}

export const handler = async (event: AuthorizerEvent): Promise<{ isAuthorized: boolean; context: Record<string, string> }> => {
  const presented = event.headers?.['x-gitlab-token'] ?? event.identitySource?.[0];
  const secret = await readSecret('gitlabWebhookSecret');
  return { isAuthorized: webhookTokenMatches(presented, secret), context: { webhook: 'gitlab' } };
};
