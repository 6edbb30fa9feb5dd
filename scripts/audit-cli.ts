/**
 * The pieces of `npm run audit` (scripts/audit.ts): its arguments, the operator token, calling the
 * running local service until the audit completes, and the summary table. No process globals here,
 * so each piece is unit-tested (test/unit/audit/cli.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as z from '../shared/platform/zod.js';
import { sleep } from '../shared/platform/backoff.js';

export const USAGE = 'usage: npm run audit -- [--as-of YYYY-MM-DD] [--json]';

export class AuditCliError extends Error {
  override readonly name = 'AuditCliError';
}

export interface AuditArgs {
  /** The date to audit for; the service's today when absent. */
  asOf: string | undefined;
  /** Print the summary as JSON instead of a table. */
  json: boolean;
  help: boolean;
  /** The local service, from PORT (3000 by default). */
  baseUrl: string;
}

const isoDate = z.iso.date();

/**
 * Reads the script's arguments and environment.
 * @throws AuditCliError naming what is wrong and how to call it
 *
 * @example
 * parseAuditArgs(['--as-of', '2026-12-01'], {}); // { asOf: '2026-12-01', json: false, help: false, baseUrl: 'http://127.0.0.1:3000' }
 */
export function parseAuditArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): AuditArgs {
  let values: { 'as-of'?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { 'as-of': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new AuditCliError(`${(error as Error).message}\n${USAGE}`);
  }
  const asOf = values['as-of'];
  if (asOf !== undefined && !isoDate.safeParse(asOf).success) {
    throw new AuditCliError(`--as-of must be a date as YYYY-MM-DD (for example 2026-12-01), not "${asOf}".\n${USAGE}`);
  }
  const portText = env.PORT?.trim() || '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new AuditCliError(`PORT must be the port the service listens on, not "${portText}".`);
  return { asOf, json: values.json ?? false, help: values.help ?? false, baseUrl: `http://127.0.0.1:${port}` };
}

/** The operator token: PROVISIONING_OPERATOR_TOKEN, or the one `npm start` keeps in .data/tokens.json. */
export function operatorToken(env: Readonly<Record<string, string | undefined>>, dataDir: string, read: (file: string) => string = (file) => readFileSync(file, 'utf8')): string {
  const fromEnv = env.PROVISIONING_OPERATOR_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, 'tokens.json');
  let stored: unknown;
  try {
    stored = JSON.parse(read(file));
  } catch {
    stored = undefined;
  }
  const token = (stored as { operator?: unknown } | undefined)?.operator;
  if (typeof token === 'string' && token) return token;
  throw new AuditCliError(`No operator token: set PROVISIONING_OPERATOR_TOKEN to the one npm start printed (or start the service with npm start, which keeps it in ${file}).`);
}

/** What the route answers (shared/audit/run.ts summaryOf), as far as the script reads it. */
export interface AuditSummaryView {
  asOf: string;
  status: 'completed' | 'partial' | 'already_completed';
  runId?: string;
  pass?: number;
  phase?: string;
  findings: Record<string, number>;
  total: number;
  new: number;
  resolved: number;
  stillOpen?: number;
  examined: { due: number; changed: number; rechecked: number; total: number };
  changedWindow?: { from: string; through: string };
  capacity?: { readUnits: number; writeUnits: number };
}

export interface Progress {
  /** The answer of the last call (a partial run), or null before the first one. */
  last: AuditSummaryView | null;
  calls: number;
  waitingFor: 'audit' | 'another_run';
}

export interface RunOptions {
  baseUrl: string;
  token: string;
  asOf: string | undefined;
  fetch?: typeof fetch;
  onProgress?: (progress: Progress) => void;
  /** Pause before asking again while another invocation holds the run. */
  busyDelayMs?: number;
  /** Give up after this many calls. */
  maxCalls?: number;
}

/**
 * Runs the audit on the local service until it completes: a partial answer (the run used up one
 * call's time budget) is resumed by calling again; while another run holds it, waits and asks again.
 * @throws AuditCliError with one line saying what to do (service not running, token refused, …)
 */
export async function runUntilComplete(options: RunOptions): Promise<AuditSummaryView> {
  const call = options.fetch ?? fetch;
  const url = `${options.baseUrl}/v1/jobs/reconciliation-audit/runs`;
  const progress: Progress = { last: null, calls: 0, waitingFor: 'audit' };
  for (let calls = 1; calls <= (options.maxCalls ?? 1_000); calls++) {
    progress.calls = calls;
    options.onProgress?.(progress);
    let response: Response;
    try {
      response = await call(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(options.asOf ? { asOf: options.asOf } : {}),
      });
    } catch (error) {
      throw new AuditCliError(`The provisioning service is not running at ${options.baseUrl} (${causeOf(error)}): start it with npm start (or set PORT to the port it listens on).`);
    }
    const body = (await response.json().catch(() => null)) as (AuditSummaryView & { error?: { code?: string; message?: string } }) | null;
    if (response.status === 401 || response.status === 403) {
      throw new AuditCliError(`The service refused the operator token (${response.status}): set PROVISIONING_OPERATOR_TOKEN to the operator token npm start printed.`);
    }
    if (response.status === 409 && body?.error?.code === 'audit_in_progress') {
      progress.waitingFor = 'another_run';
      options.onProgress?.(progress);
      await sleep(options.busyDelayMs ?? 2_000);
      continue;
    }
    if (!response.ok || !body) {
      throw new AuditCliError(`The audit failed (${response.status}${body?.error?.code ? ` ${body.error.code}` : ''}): ${body?.error?.message ?? 'no answer'}`);
    }
    progress.waitingFor = 'audit';
    progress.last = body;
    if (body.status !== 'partial') return body;
  }
  throw new AuditCliError(`The audit did not complete after ${options.maxCalls ?? 1_000} calls; run npm run audit again to resume it.`);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? 'no connection';
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The one-line progress shown on a terminal while the audit runs. */
export function progressLine(progress: Progress, asOf: string | undefined, elapsedMs: number, frame: number): string {
  const seconds = Math.floor(elapsedMs / 1000);
  const what = progress.waitingFor === 'another_run' ? 'waiting for another run of it to finish' : progress.last ? `phase ${progress.last.phase ?? '…'}` : 'starting';
  const counts = progress.last ? ` · ${progress.last.examined.total} items examined · ${progress.last.total} findings` : '';
  return `${SPINNER[frame % SPINNER.length]} reconciliation audit${asOf ? ` as of ${asOf}` : ''} · ${what}${counts} · ${seconds}s`;
}

/**
 * The summary as a table, findings by code first.
 *
 * @example
 * renderSummary(summary);
 * // Reconciliation audit as of 2026-12-01: completed (pass 1)
 * //   finding                         count
 * //   renewal_not_processed               2 …
 */
export function renderSummary(summary: AuditSummaryView): string {
  const codes = Object.entries(summary.findings);
  const width = Math.max('finding'.length, ...codes.map(([code]) => code.length), 'total'.length);
  const row = (label: string, value: number | string) => `  ${label.padEnd(width)}  ${String(value).padStart(6)}`;
  const lines = [
    `Reconciliation audit as of ${summary.asOf}: ${summary.status.replace('_', ' ')}${summary.pass ? ` (pass ${summary.pass})` : ''}`,
    row('finding', 'count'),
    row('-'.repeat(width), '------'),
    ...codes.map(([code, count]) => row(code, count)),
    row('-'.repeat(width), '------'),
    row('total', summary.total),
    '',
    `  new ${summary.new} · resolved ${summary.resolved}${summary.stillOpen !== undefined ? ` · still open ${summary.stillOpen}` : ''}`,
    `  items examined ${summary.examined.total}: ${summary.examined.due} due, ${summary.examined.changed} changed, ${summary.examined.rechecked} re-checked`,
  ];
  if (summary.changedWindow) lines.push(`  changes looked at: ${summary.changedWindow.from} to ${summary.changedWindow.through}`);
  if (summary.capacity) lines.push(`  read units ${summary.capacity.readUnits} · write units ${summary.capacity.writeUnits}`);
  return `${lines.join('\n')}\n`;
}
