import { describe, expect, it, vi } from 'vitest';
import { AuditCliError, operatorToken, parseAuditArgs, progressLine, renderSummary, runUntilComplete } from '../../../scripts/audit-cli.js';
import type { AuditSummaryView } from '../../../scripts/audit-cli.js';

const summary = (over: Partial<AuditSummaryView> = {}): AuditSummaryView => ({
  asOf: '2026-12-01',
  status: 'completed',
  pass: 1,
  findings: { renewal_not_processed: 2, reconciliation_not_processed: 0, expiry_not_processed: 1, trial_not_ended: 0, broken_association: 0, billing_account_drift: 0 },
  total: 3,
  new: 2,
  resolved: 1,
  stillOpen: 0,
  examined: { due: 3, changed: 12, rechecked: 1, total: 16 },
  changedWindow: { from: '2026-11-30', through: '2026-12-01' },
  capacity: { readUnits: 19.5, writeUnits: 14 },
  ...over,
});

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('Function: parseAuditArgs', () => {
  it('reads --as-of in both forms, --json, and the port from PORT', () => {
    expect(parseAuditArgs(['--as-of', '2026-12-01'], {})).toEqual({ asOf: '2026-12-01', json: false, help: false, baseUrl: 'http://127.0.0.1:3000' });
    expect(parseAuditArgs(['--as-of=2026-12-01', '--json'], { PORT: '3100' })).toEqual({ asOf: '2026-12-01', json: true, help: false, baseUrl: 'http://127.0.0.1:3100' });
    expect(parseAuditArgs([], {})).toMatchObject({ asOf: undefined });
    expect(parseAuditArgs(['-h'], {})).toMatchObject({ help: true });
  });

  it('throws a usage error for a bad date, an unknown option, a stray argument or a bad PORT', () => {
    expect(() => parseAuditArgs(['--as-of', '2026-13-01'], {})).toThrow(/--as-of must be a date as YYYY-MM-DD .*"2026-13-01"/);
    expect(() => parseAuditArgs(['--as-of', '2026-02-30'], {})).toThrow(AuditCliError);
    expect(() => parseAuditArgs(['--asof', '2026-12-01'], {})).toThrow(/usage: npm run audit/);
    expect(() => parseAuditArgs(['2026-12-01'], {})).toThrow(AuditCliError);
    expect(() => parseAuditArgs(['--as-of'], {})).toThrow(AuditCliError);
    expect(() => parseAuditArgs([], { PORT: 'http' })).toThrow(/PORT must be/);
  });
});

describe('Function: operatorToken', () => {
  it('prefers PROVISIONING_OPERATOR_TOKEN, else the one npm start keeps in .data/tokens.json', () => {
    const read = vi.fn(() => JSON.stringify({ service: 's', operator: 'from-file' }));
    expect(operatorToken({ PROVISIONING_OPERATOR_TOKEN: 'from-env' }, '/repo/.data', read)).toBe('from-env');
    expect(read).not.toHaveBeenCalled();
    expect(operatorToken({}, '/repo/.data', read)).toBe('from-file');
    expect(read).toHaveBeenCalledWith('/repo/.data/tokens.json');
  });

  it('says what to do when there is none', () => {
    const missing = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    expect(() => operatorToken({}, '/repo/.data', missing)).toThrow(/No operator token: set PROVISIONING_OPERATOR_TOKEN/);
  });
});

describe('Function: runUntilComplete', () => {
  it('resumes a partial run until it completes, with the operator token and the date', async () => {
    const answers = [json(200, summary({ status: 'partial', phase: 'changed' })), json(200, summary())];
    const fetch = vi.fn(async () => answers.shift()!);
    const seen: Array<string | undefined> = [];
    const result = await runUntilComplete({ baseUrl: 'http://127.0.0.1:3000', token: 'op', asOf: '2026-12-01', fetch, onProgress: (p) => seen.push(p.last?.phase) });
    expect(result.status).toBe('completed');
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch).toHaveBeenCalledWith('http://127.0.0.1:3000/v1/jobs/reconciliation-audit/runs', {
      method: 'POST',
      headers: { authorization: 'Bearer op', 'content-type': 'application/json' },
      body: '{"asOf":"2026-12-01"}',
    });
    expect(seen).toEqual([undefined, 'changed']);
  });

  it('waits while another run holds the audit', async () => {
    const answers = [json(409, { error: { code: 'audit_in_progress', message: 'under way' } }), json(200, summary())];
    const fetch = vi.fn(async () => answers.shift()!);
    await expect(runUntilComplete({ baseUrl: 'http://x', token: 'op', asOf: undefined, fetch, busyDelayMs: 1 })).resolves.toMatchObject({ status: 'completed' });
  });

  it('says in one line to start the service when nothing listens', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    await expect(runUntilComplete({ baseUrl: 'http://127.0.0.1:3000', token: 'op', asOf: undefined, fetch })).rejects.toThrow(
      'The provisioning service is not running at http://127.0.0.1:3000 (ECONNREFUSED): start it with npm start (or set PORT to the port it listens on).',
    );
  });

  it('says the token was refused, and passes on other errors with their code', async () => {
    await expect(runUntilComplete({ baseUrl: 'http://x', token: 'bad', asOf: undefined, fetch: async () => json(401, { error: { code: 'unauthorized' } }) })).rejects.toThrow(/refused the operator token \(401\)/);
    await expect(
      runUntilComplete({ baseUrl: 'http://x', token: 'op', asOf: undefined, fetch: async () => json(400, { error: { code: 'validation_failed', message: 'asOf: bad date' } }) }),
    ).rejects.toThrow('The audit failed (400 validation_failed): asOf: bad date');
  });
});

describe('Output', () => {
  it('renders the summary as a table, findings by code first', () => {
    const text = renderSummary(summary());
    expect(text).toContain('Reconciliation audit as of 2026-12-01: completed (pass 1)');
    expect(text).toMatch(/renewal_not_processed\s+2\n/);
    expect(text).toMatch(/total\s+3\n/);
    expect(text).toContain('new 2 · resolved 1 · still open 0');
    expect(text).toContain('items examined 16: 3 due, 12 changed, 1 re-checked');
    expect(text).toContain('changes looked at: 2026-11-30 to 2026-12-01');
  });

  it('shows progress on one line', () => {
    expect(progressLine({ last: null, calls: 1, waitingFor: 'audit' }, '2026-12-01', 2_500, 0)).toBe('⠋ reconciliation audit as of 2026-12-01 · starting · 2s');
    expect(progressLine({ last: summary({ status: 'partial', phase: 'changed' }), calls: 2, waitingFor: 'audit' }, undefined, 12_000, 1)).toBe(
      '⠙ reconciliation audit · phase changed · 16 items examined · 3 findings · 12s',
    );
  });
});

