import { describe, expect, it, vi } from 'vitest';
import { recordView } from '../../../shared/error-log/record-view.js';
import type { ErrorRecord } from '../../../shared/error-log/domain/record.js';

const record = {
  id: 'err_0123456789abcdef01234567',
  code: 'VALIDATION_ERROR',
  subject: 'A00001/2',
  subjectKind: 'zuora_account',
  revision: 3,
  notification: 'sent',
  changes: [],
} as unknown as ErrorRecord;

describe('Function: recordView', () => {
  it("adds the code's runbook and the links of its subjectKind, and leaves bookkeeping out", async () => {
    const runbook = vi.fn(async (code: string) => ({ code, source: 'stored' as const, title: 'Zuora validation', steps: '- check the account', owner: undefined }));
    const view = await recordView(record, {
      runbook,
      templates: () => ({ zuora_account: 'https://zuora.example.com/accounts/{subject}' }),
      adminBaseUrl: () => undefined,
    });
    expect(runbook).toHaveBeenCalledWith('VALIDATION_ERROR');
    expect(view.runbook).toEqual({ code: 'VALIDATION_ERROR', source: 'stored', title: 'Zuora validation', steps: '- check the account' });
    expect(view.links).toEqual([{ kind: 'zuora_account', url: 'https://zuora.example.com/accounts/A00001%2F2' }]);
    expect(view).not.toHaveProperty('revision');
    expect(view).not.toHaveProperty('notification');
  });

  it('says null when no runbook exists, and no links without templates', async () => {
    const view = await recordView(record, { runbook: async () => null, templates: () => ({}), adminBaseUrl: () => 'https://admin.example.com' });
    expect(view.runbook).toBeNull();
    expect(view.links).toEqual([]);
  });
});
