import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readSecret, readSetting } from '../../../shared/platform/config.js';

const secrets = mockClient(SecretsManagerClient);

afterEach(() => {
  secrets.reset();
  for (const key of ['SLACK_WEBHOOK_URL', 'SLACK_WEBHOOK_SECRET_ID', 'GITLAB_URL']) delete process.env[key];
});

describe('Function: readSecret', () => {
  it('reads the value from Secrets Manager when the stack passed the secret id (AWS)', async () => {
    process.env.AWS_REGION ??= 'eu-west-1';
    process.env.SLACK_WEBHOOK_SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:1:secret:slack-AbCdEf';
    process.env.SLACK_WEBHOOK_URL = 'http://ignored.example.com';
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:slack-AbCdEf' }).resolves({ SecretString: ' https://hooks.slack.com/services/T/B/X ' });
    expect(await readSecret('slackWebhookUrl')).toBe('https://hooks.slack.com/services/T/B/X');
  });

  it('reads the plain variable locally, and treats blank as unset', async () => {
    process.env.SLACK_WEBHOOK_URL = 'http://127.0.0.1:9/hook';
    expect(await readSecret('slackWebhookUrl')).toBe('http://127.0.0.1:9/hook');
    process.env.SLACK_WEBHOOK_URL = '  ';
    expect(await readSecret('slackWebhookUrl')).toBeUndefined();
    expect(secrets.calls()).toHaveLength(0);
  });
});

describe('Function: readSetting', () => {
  it('trims and treats blank as unset', () => {
    process.env.GITLAB_URL = ' https://gitlab.example.com ';
    expect(readSetting('gitlabUrl')).toBe('https://gitlab.example.com');
    process.env.GITLAB_URL = '';
    expect(readSetting('gitlabUrl')).toBeUndefined();
  });
});
