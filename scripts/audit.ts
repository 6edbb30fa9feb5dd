/**
 * `npm run audit -- --as-of 2026-12-01`: runs the reconciliation audit against the local service's
 * data — it calls the running service (`npm start`) at POST /v1/jobs/reconciliation-audit/runs
 * with the operator token, resuming a run that answers `partial` until it completes. A progress
 * line on a terminal while it runs, the summary table at the end (`--json` prints the summary).
 * Environment: PORT (3000), PROVISIONING_OPERATOR_TOKEN (else .data/tokens.json).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditCliError, USAGE, operatorToken, parseAuditArgs, progressLine, renderSummary, runUntilComplete } from './audit-cli.js';
import type { Progress } from './audit-cli.js';

const DATA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.data');

async function main(): Promise<void> {
  const args = parseAuditArgs(process.argv.slice(2), process.env);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const token = operatorToken(process.env, DATA_DIR);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let progress: Progress = { last: null, calls: 0, waitingFor: 'audit' };
  let frame = 0;
  const draw = () => process.stderr.write(`\r\x1b[2K${progressLine(progress, args.asOf, Date.now() - started, frame++)}`);
  const ticker = tty ? setInterval(draw, 120) : undefined;
  try {
    const summary = await runUntilComplete({
      baseUrl: args.baseUrl,
      token,
      asOf: args.asOf,
      onProgress: (p) => {
        progress = { ...p };
        if (tty) draw();
      },
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

main().catch((error: unknown) => {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  process.stderr.write(`audit: ${error instanceof AuditCliError ? error.message : (error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
