import { describe, expect, it } from 'vitest';
import { issueHookPayload, meaningOf, webhookTokenMatches } from '../../../shared/error-log/domain/gitlab-webhook.js';

describe('Function: webhookTokenMatches', () => {
  it.each([
    ['s3cret', 's3cret', true],
    ['s3cret', 's3cre', false],
    ['s3cret!', 's3cret', false],
    [undefined, 's3cret', false],
    ['', '', false],
    ['anything', undefined, false],
  ])('%j against %j: %s', (presented, expected, ok) => {
    expect(webhookTokenMatches(presented, expected)).toBe(ok);
  });
});

describe('Function: meaningOf', () => {
  const issue = (attributes: Record<string, unknown>) => issueHookPayload.parse({ object_kind: 'issue', object_attributes: { iid: 3, url: 'https://gitlab.example.com/g/p/-/issues/3', ...attributes } });

  it('resolves on a close', () => {
    expect(meaningOf(issue({ action: 'close', state: 'closed' }))).toEqual({ kind: 'issue_closed', url: 'https://gitlab.example.com/g/p/-/issues/3', iid: 3 });
  });

  it.each([{ action: 'reopen', state: 'opened' }, { action: 'update', state: 'closed' }, { action: 'open' }])('ignores %j', (attributes) => {
    expect(meaningOf(issue(attributes)).kind).toBe('ignored');
  });

  it('ignores other hooks', () => {
    expect(meaningOf(issueHookPayload.parse({ object_kind: 'note' })).kind).toBe('ignored');
  });
});

describe('Function: webhook-authorizer handler', () => {
  it('authorizes only the configured secret (simple response), from the header or the identity source', async () => {
    const { handler } = await import('../../../functions/webhook-authorizer/handler.js');
    const saved = process.env.GITLAB_WEBHOOK_SECRET;
    process.env.GITLAB_WEBHOOK_SECRET = 'the-secret';
    try {
      expect(await handler({ headers: { 'x-gitlab-token': 'the-secret' } })).toEqual({ isAuthorized: true, context: { webhook: 'gitlab' } });
      expect((await handler({ identitySource: ['the-secret'] })).isAuthorized).toBe(true);
      expect((await handler({ headers: { 'x-gitlab-token': 'the-secreT' } })).isAuthorized).toBe(false);
      expect((await handler({})).isAuthorized).toBe(false);
      delete process.env.GITLAB_WEBHOOK_SECRET;
      expect((await handler({ headers: { 'x-gitlab-token': '' } })).isAuthorized).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.GITLAB_WEBHOOK_SECRET;
      else process.env.GITLAB_WEBHOOK_SECRET = saved;
    }
  });
});
