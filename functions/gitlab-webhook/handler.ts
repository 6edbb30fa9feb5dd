/**
 * `POST /v1/webhooks/gitlab`: GitLab's issue webhook. Checks X-Gitlab-Token in constant time; a
 * closed issue resolves the errors linked to it.
 */
import { readSecret } from '../../shared/platform/config.js';
import { issueHookPayload, meaningOf, webhookTokenMatches } from '../../shared/error-log/domain/gitlab-webhook.js';
import { resolveLinked } from '../../shared/error-log/workflow.js';
import { UnauthorizedError } from '../../shared/platform/http/errors.js';
import { headerOf, httpHandler, parseBody } from '../../shared/platform/http/handler.js';
import { ErrorStore } from '../../shared/error-log/store.js';

const store = new ErrorStore();

export const handler = httpHandler(
  async (event, { log }) => {
    const secret = await readSecret('gitlabWebhookSecret');
    if (!secret) {
      // Nothing can be verified, so nothing is accepted.
      log.error('GITLAB_WEBHOOK_SECRET is not set: every GitLab delivery is refused');
      throw new UnauthorizedError('The GitLab webhook is not configured on this service (GITLAB_WEBHOOK_SECRET): deliveries are refused.');
    }
    if (!webhookTokenMatches(headerOf(event, 'x-gitlab-token'), secret)) {
      throw new UnauthorizedError('Missing or wrong X-Gitlab-Token: set the webhook\'s secret token to the one the service was given.');
    }
    const meaning = meaningOf(parseBody(event, issueHookPayload));
    if (meaning.kind === 'ignored') {
      log.info('gitlab webhook ignored', { reason: meaning.reason });
      return { body: { ignored: true, reason: meaning.reason } };
    }
    const summary = await resolveLinked(store, meaning.url, 'gitlab-webhook', `GitLab issue #${meaning.iid} was closed`);
    log.info('errors resolved by a closed issue', { issueIid: meaning.iid, resolved: summary.resolved.length, alreadyResolved: summary.alreadyResolved.length });
    return { body: { issue: meaning.url, ...summary } };
  },
  { webhook: 'gitlab' },
);
