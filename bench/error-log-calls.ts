/**
 * What the error-log writer costs per reported failure: its DynamoDB calls and write units for a
 * report that makes a new record, a repeat of it (another eventId, same fingerprint), the same
 * report delivered again (its eventId's marker answers), and an old replay after the record was
 * resolved (recognised by its time: nothing written). The writer is invoked as the bus invokes it
 * (`Revenue Error Reported` from `customers-portal`), in its own isolated environment; its calls are
 * counted at the runtime's IAM gate, by function. Slack is not configured here: announcing a new record costs its claim and its
 * finish (two UpdateItems) and no HTTP call.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Runtime } from '../local/runtime.js';
import { ErrorStore } from '../shared/error-log/store.js';
import { countGateCalls } from './count-calls.js';
import type { CallCounts } from './count-calls.js';
import type { Units } from './results.js';

export const ERROR_LOG_REPORT_KINDS = ['newRecord', 'repeat', 'redelivered', 'oldReplay'] as const;
export type ErrorLogReportKind = (typeof ERROR_LOG_REPORT_KINDS)[number];

export interface ErrorLogReportCost extends Units {
  calls: number;
  byOperation: Record<string, number>;
  /** What the writer answered: created, repeated, duplicate, stale. */
  outcome: string;
}

export type ErrorLogWriterCosts = Record<ErrorLogReportKind, ErrorLogReportCost>;

const round1 = (value: number) => Math.round(value * 10) / 10;

export async function countErrorLogWriterCalls(runtime: Runtime): Promise<ErrorLogWriterCosts> {
  const writer = runtime.functions.get('error-log-writer');
  if (!writer) throw new Error('the runtime has no error-log-writer function');
  // The writer runs isolated: its calls are counted at the runtime's IAM gate, by function.
  const counter = countGateCalls(runtime.iam, (fn) => fn === 'error-log-writer');
  // The bench resolves a record itself, on the runtime's tables.
  Object.assign(process.env, runtime.directAccess);
  const run = randomBytes(3).toString('hex');
  const report = (eventId: string, occurredAt: string) => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Revenue Error Reported',
    source: 'customers-portal',
    account: '000000000000',
    time: occurredAt,
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventId,
      occurredAt,
      system: 'customers-portal',
      integration: 'zuora',
      flow: 'renewal',
      code: 'VALIDATION_ERROR',
      errorType: 'Subscription update failed',
      message: 'Zuora rejected the amendment: Invalid value for field TermEndDate',
      subject: `A-bench-${run}`,
      subjectKind: 'zuora_account',
      payload: { subscriptionId: `A-S-bench-${run}`, zuoraRequestId: 'f1e2d3c4' },
      backtrace: ["app/services/zuora/renewal.rb:42:in `amend!'", "app/jobs/renewal_job.rb:17:in `perform'"],
    },
  });
  const measure = async (event: unknown): Promise<ErrorLogReportCost> => {
    await runtime.settle();
    counter.reset();
    const result = (await writer.invoke(event)) as { outcome: string };
    const counts: CallCounts = counter.counts();
    return {
      calls: counts.requests,
      byOperation: counts.byOperation,
      outcome: result.outcome,
      readUnits: round1(counts.readUnits),
      writeUnits: round1(counts.sizedWriteUnits),
      answeredWriteUnits: round1(counts.writeUnits),
    };
  };
  try {
    const first = report(`bench-${run}-1`, new Date(Date.now() - 60_000).toISOString());
    const newRecord = await measure(first);
    const repeat = await measure(report(`bench-${run}-2`, new Date(Date.now() - 30_000).toISOString()));
    const redelivered = await measure({ ...first, id: randomUUID() });
    // Resolve the record, then replay an event older than the resolution with a new eventId (its marker long gone).
    const store = new ErrorStore();
    const id = (await writer.invoke(report(`bench-${run}-3`, new Date(Date.now() - 20_000).toISOString())) as { id: string }).id;
    const record = await store.get(id);
    await store.applyChanges(id, record!.revision, { status: 'resolved' }, [{ at: new Date().toISOString(), actor: 'bench', field: 'status', from: record!.status, to: 'resolved' }]);
    const oldReplay = await measure(report(`bench-${run}-old`, new Date(Date.now() - 3_600_000).toISOString()));
    const expected: Record<ErrorLogReportKind, string> = { newRecord: 'created', repeat: 'repeated', redelivered: 'duplicate', oldReplay: 'stale' };
    const costs: ErrorLogWriterCosts = { newRecord, repeat, redelivered, oldReplay };
    for (const kind of ERROR_LOG_REPORT_KINDS) {
      if (costs[kind].outcome !== expected[kind]) throw new Error(`error-log writer, ${kind}: expected ${expected[kind]}, the writer answered ${costs[kind].outcome}`);
    }
    return costs;
  } finally {
    counter.detach();
  }
}
