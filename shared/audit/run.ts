/**
 * One run of the reconciliation audit for a date (`asOf`), in phases:
 *   renewal, reconciliation, expiry, trialEnd  the sparse due indexes up to `asOf` (shared/audit/domain.ts)
 *   changed                                     states, pointers and customers changed since the last
 *                                               completed run (index byChangedOn): associations and drift
 *   resolve                                     the unresolved audit records not reported by this run,
 *                                               re-checked by key; what no longer holds is resolved
 * Each page (at most 100 keys) is read, judged by the pure rules, its findings put on the bus as
 * `Audit Finding` (the error-log writer keeps one record per code and subject), and then the run
 * item records how far the run got. An invocation that fails, or runs out of its time budget,
 * leaves the phase and cursor there; the next invocation for the same date resumes from them.
 * Reads grow with what is due and what changed, not with the number of subscriptions.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobName } from '../jobs/index.js';
import {
  AUDIT_CODES,
  DUE_CODE,
  associationFinding,
  changedWindow,
  datesFrom,
  driftFinding,
  dueFindings,
  findingHolds,
  isAuditCode,
  lagHours,
  mayResolve,
  needsMembershipLookup,
  parseSubject,
  resolutionNote,
} from './domain.js';
import type { AuditCode, Finding, PointerView } from './domain.js';
import { DUE_KINDS, DUE_SHARDS } from '../lifecycle/domain/due.js';
import type { DueKind } from '../lifecycle/domain/due.js';
import type { Customer } from '../billing-accounts/domain.js';
import type { NamespaceState } from '../lifecycle/domain/types.js';
import { errorIdOf, fingerprintOf } from '../error-log/domain/origin.js';
import type { AuditFinding } from '../platform/failure-events.js';
import { AuditInProgressError } from './errors.js';
import { customerKey, membershipKey, toCustomer } from '../billing-accounts/index.js';
import { nsKey, subKey, toState } from '../lifecycle/index.js';
import { AUDIT_PHASES, RunTakenOverError, keyId } from './store.js';
import type { AuditPhase, AuditRecordView, AuditRun, AuditStore, Item, Key, RunCounts } from './store.js';

export const AUDIT_JOB = 'reconciliation-audit' satisfies JobName;
/** Without a completed run to start from, the first run looks at changes of this many days back. */
export const FIRST_RUN_LOOKBACK_DAYS = 30;
/** Unresolved records re-checked per page of the resolve phase. */
const RECHECK_PAGE = 50;
/** Confirmed record ids kept on the run item (a string set; ~30 bytes each, well under 400 KB). */
const MAX_PERSISTED_CONFIRMED = 5_000;

export interface AuditMetricsPort {
  /** Hours since the last completed run, when a run starts. */
  lagHours(hours: number): void;
  completed(): void;
  findings(code: AuditCode, count: number): void;
}

/** What the audit needs from outside: its store, the bus, the error log, metrics and a clock. */
export interface AuditDeps {
  store: AuditStore;
  /** Puts findings on the bus as `Audit Finding`; throws when some could not be put. */
  publish(findings: readonly AuditFinding[]): Promise<void>;
  /** Resolves an error record along the workflow with `note`, as the audit. */
  resolve(recordId: string, note: string): Promise<'resolved' | 'already_resolved' | 'skipped'>;
  metrics: AuditMetricsPort;
  now(): Date;
  log: Logger;
}

export interface AuditRunOptions {
  asOf: string;
  trigger: 'schedule' | 'manual';
  /** `schedule` or the operator's id. */
  actor: string;
  /** The invocation stops after the page during which this much time has passed; the next one resumes. */
  budgetMs: number;
  /** How long the run is held for this invocation (extended at every checkpoint). */
  leaseMs: number;
  firstRunLookbackDays?: number;
}

export type AuditStatus = 'completed' | 'partial' | 'already_completed';
export type AuditSummary = Record<string, unknown> & { status: AuditStatus };

/**
 * Runs (or resumes) the audit of `options.asOf` and answers its summary: findings by code, new,
 * resolved, items examined. A completed date answers `already_completed` to its schedule, and is
 * audited again as a new pass when an operator asks (findings are idempotent: no duplicate records).
 *
 * @throws AuditInProgressError (409 `audit_in_progress`) while another invocation holds the run
 */
export async function runAudit(options: AuditRunOptions, deps: AuditDeps): Promise<AuditSummary> {
  const startedAt = deps.now();
  const latest = await deps.store.latest();
  if (latest) deps.metrics.lagHours(lagHours(latest.completedAt, startedAt));
  const window = changedWindow(latest?.watermark ?? null, startedAt.toISOString().slice(0, 10), options.firstRunLookbackDays ?? FIRST_RUN_LOOKBACK_DAYS);
  const begun = await deps.store.beginRun({
    asOf: options.asOf,
    runId: randomUUID(),
    trigger: options.trigger,
    actor: options.actor,
    now: startedAt.toISOString(),
    leaseUntil: new Date(startedAt.getTime() + options.leaseMs).toISOString(),
    window,
    rerun: options.trigger === 'manual',
  });
  if (begun.kind === 'done') return { ...summaryOf(begun.run, begun.run.counts), ...(begun.run.summary ?? {}), status: 'already_completed' };
  if (begun.kind === 'busy') {
    throw new AuditInProgressError(
      options.asOf,
      begun.run.runId,
      `The audit of ${options.asOf} is under way (run ${begun.run.runId}, held until ${begun.run.leaseUntil}): wait for it to finish, or retry after that time to resume it.`,
      { runId: begun.run.runId, leaseUntil: begun.run.leaseUntil, phase: begun.run.phase },
    );
  }
  const pass = new Pass(begun.run, options, deps, startedAt.getTime() + options.budgetMs);
  deps.log.info('audit run begun', { asOf: options.asOf, runId: begun.run.runId, pass: begun.run.pass, begun: begun.kind, phase: begun.run.phase, window });
  try {
    return await pass.execute();
  } catch (error) {
    deps.log.error('audit run failed; the next run resumes from its checkpoint', { asOf: options.asOf, runId: begun.run.runId, phase: pass.phase, error: error as Error });
    await deps.store.releaseLease(begun.run, deps.now().toISOString());
    if (error instanceof RunTakenOverError) {
      throw new AuditInProgressError(options.asOf, begun.run.runId, error.message, { runId: begun.run.runId }, { cause: error });
    }
    throw error;
  }
}

const CODE_KIND: Readonly<Partial<Record<AuditCode, DueKind>>> = Object.fromEntries(DUE_KINDS.map((kind) => [DUE_CODE[kind], kind]));

/** The pieces of one invocation's work on a run: counts, confirmed findings, where it is. */
class Pass {
  phase: AuditPhase;
  private cursor: string | null;
  private readonly counts: RunCounts;
  private readonly confirmed: Set<string>;
  private newlyConfirmed: string[] = [];
  private persistedConfirmed: number;
  private unresolved = new Map<string, AuditRecordView>();
  private readonly capacityAtStart: { read: number; write: number };
  private readonly base: { read: number; write: number };

  constructor(
    private readonly run: AuditRun,
    private readonly options: AuditRunOptions,
    private readonly deps: AuditDeps,
    private readonly deadline: number,
  ) {
    this.phase = run.phase;
    this.cursor = run.cursor;
    this.counts = structuredClone(run.counts);
    this.confirmed = new Set(run.confirmed);
    this.persistedConfirmed = run.confirmed.length;
    this.capacityAtStart = { read: deps.store.capacity.readUnits, write: deps.store.capacity.writeUnits };
    this.base = { read: run.counts.readUnits, write: run.counts.writeUnits };
  }

  private get asOf(): string {
    return this.options.asOf;
  }

  async execute(): Promise<AuditSummary> {
    this.unresolved = new Map((await this.deps.store.unresolvedAuditRecords()).map((r) => [r.id, r]));
    for (let index = Math.max(0, AUDIT_PHASES.indexOf(this.phase)); index < AUDIT_PHASES.length; index++) {
      this.phase = AUDIT_PHASES[index]!;
      const finished = await this.runPhase(this.phase);
      if (!finished) return this.pause();
      const next = AUDIT_PHASES[index + 1];
      if (next) {
        this.phase = next;
        this.cursor = null;
        await this.checkpoint();
        if (this.outOfTime()) return this.pause();
      }
    }
    return this.complete();
  }

  private runPhase(phase: AuditPhase): Promise<boolean> {
    if (phase === 'changed') return this.changedPhase();
    if (phase === 'resolve') return this.resolvePhase();
    return this.duePhase(phase);
  }

  // -------------------------------------------------------------------------------------------
  // Phases. Each answers true when done, false when it stopped for time (after a checkpoint).

  private async duePhase(kind: DueKind): Promise<boolean> {
    const at = this.cursor ? (JSON.parse(this.cursor) as { shard: number; key?: Item }) : { shard: 0 };
    for (let shard = at.shard; shard < DUE_SHARDS; shard++) {
      let start = shard === at.shard ? at.key : undefined;
      do {
        const page = await this.deps.store.dueKeys(kind, shard, this.asOf, start);
        const items = await this.deps.store.stateItems(page.keys);
        this.counts.examined.due += items.size;
        await this.report([...items.values()].flatMap((item) => dueFindings(toState(item), this.asOf, [kind])));
        start = page.next;
        const next = start ? { shard, key: start } : shard + 1 < DUE_SHARDS ? { shard: shard + 1 } : null;
        if (!next) return true;
        if (!(await this.pageDone(JSON.stringify(next)))) return false;
      } while (start);
    }
    return true;
  }

  private async changedPhase(): Promise<boolean> {
    const days = datesFrom(this.run.window.from, this.run.window.through);
    const at = this.cursor ? (JSON.parse(this.cursor) as { day: string; key?: Item }) : { day: days[0]! };
    for (let d = Math.max(0, days.indexOf(at.day)); d < days.length; d++) {
      const day = days[d]!;
      let start = day === at.day ? at.key : undefined;
      do {
        const page = await this.deps.store.changedKeys(day, start);
        await this.report(await this.checkChanged(page.keys));
        start = page.next;
        const next = start ? { day, key: start } : d + 1 < days.length ? { day: days[d + 1]! } : null;
        if (!next) return true;
        if (!(await this.pageDone(JSON.stringify(next)))) return false;
      } while (start);
    }
    return true;
  }

  private async resolvePhase(): Promise<boolean> {
    const after = this.cursor ? (JSON.parse(this.cursor) as { after: string }).after : '';
    const candidates = [...this.unresolved.values()]
      .filter((r) => isAuditCode(r.code) && !this.confirmed.has(r.id) && r.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (let i = 0; i < candidates.length; i += RECHECK_PAGE) {
      const chunk = candidates.slice(i, i + RECHECK_PAGE);
      const holding = await this.recheck(chunk);
      for (const record of chunk) {
        const code = record.code as AuditCode;
        const holds = holding.get(record.id);
        this.counts.examined.rechecked++;
        if (holds === undefined) {
          this.deps.log.warn('audit record left alone: its subject names nothing the audit can re-check', { id: record.id, code, subject: record.subject });
          continue;
        }
        if (holds) {
          this.counts.stillOpen++;
          this.counts.findings[code] = (this.counts.findings[code] ?? 0) + 1;
          this.confirm(record.id);
          continue;
        }
        if (!mayResolve(code, record.reportedAsOf, this.asOf)) continue;
        const outcome = await this.deps.resolve(record.id, resolutionNote(code, record.subject, this.asOf));
        if (outcome === 'resolved') {
          this.counts.resolved++;
          this.deps.log.info('audit finding resolved', { id: record.id, code, subject: record.subject, asOf: this.asOf });
        }
      }
      if (i + RECHECK_PAGE >= candidates.length) return true;
      if (!(await this.pageDone(JSON.stringify({ after: chunk.at(-1)!.id })))) return false;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Judging

  /** Associations of changed states and pointers, drift of changed customers. */
  private async checkChanged(keys: readonly Key[]): Promise<Finding[]> {
    const items = await this.deps.store.stateItems(keys);
    this.counts.examined.changed += items.size;
    const states = new Map<number, NamespaceState | null>();
    const pointers = new Map<string, PointerView | null>();
    const subjects = new Set<string>();
    const customers: Customer[] = [];
    for (const item of items.values()) {
      const pk = String(item.pk);
      if (pk.startsWith('NS#') && item.sk === 'STATE') {
        const state = toState(item);
        states.set(state.namespaceId, state);
        if (state.subscriptionId !== null) subjects.add(state.subscriptionId);
      } else if (pk.startsWith('SUB#') && item.sk === 'SUB') {
        const pointer = { subscriptionId: String(item.subscriptionId), namespaceId: Number(item.namespaceId) };
        pointers.set(pointer.subscriptionId, pointer);
        subjects.add(pointer.subscriptionId);
      } else if (pk.startsWith('CUST#') && item.sk === 'CUSTOMER') {
        customers.push(toCustomer(item));
      }
    }
    // The other side of each association: the pointers of the subscriptions states hold, then the
    // states the pointers name; and the memberships customers should have.
    await this.loadPointers([...subjects].filter((s) => !pointers.has(s)), pointers);
    await this.loadStates([...pointers.values()].flatMap((p) => (p && !states.has(p.namespaceId) ? [p.namespaceId] : [])), states);
    const memberships = await this.deps.store.stateItems(customers.filter(needsMembershipLookup).map((c) => membershipKey(c.membershipZuoraAccountId!, c.customerId)));
    return [
      ...[...subjects].sort().flatMap((s) => associationFinding(s, pointers.get(s) ?? null, states) ?? []),
      ...customers.flatMap(
        (c) => driftFinding(c, { membershipFound: needsMembershipLookup(c) && memberships.has(keyId(membershipKey(c.membershipZuoraAccountId!, c.customerId))) }) ?? [],
      ),
    ];
  }

  /**
   * Whether each unresolved record still holds, read by key: true, false, or absent when its code
   * and subject name nothing the audit can re-check.
   */
  private async recheck(records: readonly AuditRecordView[]): Promise<Map<string, boolean>> {
    const states = new Map<number, NamespaceState | null>();
    const pointers = new Map<string, PointerView | null>();
    const customers = new Map<string, Customer | null>();
    const namespaceIds = new Set<number>();
    const subscriptionIds = new Set<string>();
    const customerIds = new Set<string>();
    for (const record of records) {
      const subject = parseSubject(record.subject);
      if (subject?.kind === 'subscription' || subject?.kind === 'term') subscriptionIds.add(subject.subscriptionId);
      if (subject?.kind === 'namespace') namespaceIds.add(subject.namespaceId);
      if (subject?.kind === 'customer') customerIds.add(subject.customerId);
      for (const id of payloadNamespaceIds(record.payload)) namespaceIds.add(id);
    }
    const first = await this.deps.store.stateItems([
      ...[...subscriptionIds].map(subKey),
      ...[...namespaceIds].map(nsKey),
      ...[...customerIds].map((id) => customerKey(id)),
    ]);
    for (const id of subscriptionIds) {
      const item = first.get(keyId(subKey(id)));
      pointers.set(id, item ? { subscriptionId: id, namespaceId: Number(item.namespaceId) } : null);
    }
    for (const id of namespaceIds) {
      const item = first.get(keyId(nsKey(id)));
      states.set(id, item ? toState(item) : null);
    }
    for (const id of customerIds) {
      const item = first.get(keyId(customerKey(id)));
      customers.set(id, item ? toCustomer(item) : null);
    }
    await this.loadStates([...pointers.values()].flatMap((p) => (p && !states.has(p.namespaceId) ? [p.namespaceId] : [])), states);
    const expected = [...customers.values()].filter((c): c is Customer => c !== null && needsMembershipLookup(c));
    const memberships = await this.deps.store.stateItems(expected.map((c) => membershipKey(c.membershipZuoraAccountId!, c.customerId)));

    const result = new Map<string, boolean>();
    for (const record of records) {
      const code = record.code as AuditCode;
      const subject = parseSubject(record.subject);
      const same = (f: Finding) => findingHolds(record, f);
      const kind = CODE_KIND[code];
      if (kind && (subject?.kind === 'subscription' || subject?.kind === 'term')) {
        // Among the states read (the one its pointer names, the one its payload names), the subject
        // compared whole says which finding: a term's subject names the term.
        const read = [...states.values()].filter((s): s is NamespaceState => s !== null);
        result.set(record.id, read.some((s) => dueFindings(s, this.asOf, [kind]).some(same)));
      } else if (kind && subject?.kind === 'namespace') {
        const state = states.get(subject.namespaceId);
        result.set(record.id, state ? dueFindings(state, this.asOf, [kind]).some(same) : false);
      } else if (code === 'broken_association' && subject?.kind === 'subscription') {
        result.set(record.id, associationFinding(subject.subscriptionId, pointers.get(subject.subscriptionId) ?? null, states) !== null);
      } else if (code === 'billing_account_drift' && subject?.kind === 'customer') {
        const customer = customers.get(subject.customerId);
        const found = customer ? memberships.has(keyId(membershipKey(customer.membershipZuoraAccountId ?? '', customer.customerId))) : false;
        result.set(record.id, customer ? driftFinding(customer, { membershipFound: found }) !== null : false);
      }
    }
    return result;
  }

  private async loadPointers(subscriptionIds: readonly string[], into: Map<string, PointerView | null>): Promise<void> {
    if (subscriptionIds.length === 0) return;
    const items = await this.deps.store.stateItems(subscriptionIds.map(subKey));
    for (const id of subscriptionIds) {
      const item = items.get(keyId(subKey(id)));
      into.set(id, item ? { subscriptionId: id, namespaceId: Number(item.namespaceId) } : null);
    }
  }

  private async loadStates(namespaceIds: readonly number[], into: Map<number, NamespaceState | null>): Promise<void> {
    const ids = [...new Set(namespaceIds)];
    if (ids.length === 0) return;
    const items = await this.deps.store.stateItems(ids.map(nsKey));
    for (const id of ids) {
      const item = items.get(keyId(nsKey(id)));
      into.set(id, item ? toState(item) : null);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reporting and progress

  /** Publishes the findings this pass has not reported yet, counting them. */
  private async report(findings: readonly Finding[]): Promise<void> {
    const fresh: Finding[] = [];
    for (const finding of findings) {
      const id = errorIdOf(fingerprintOf(finding.code, finding.subject));
      if (this.confirmed.has(id)) continue;
      this.confirm(id);
      fresh.push(finding);
      this.counts.findings[finding.code] = (this.counts.findings[finding.code] ?? 0) + 1;
      this.counts.published++;
      if (!this.unresolved.has(id)) this.counts.new++;
    }
    if (fresh.length === 0) return;
    await this.deps.publish(fresh.map((f) => ({ ...f, asOf: this.asOf })));
  }

  private confirm(id: string): void {
    this.confirmed.add(id);
    if (this.persistedConfirmed + this.newlyConfirmed.length < MAX_PERSISTED_CONFIRMED) this.newlyConfirmed.push(id);
  }

  /** After a page: record the cursor of the next one; false when the time budget is used up. */
  private async pageDone(cursor: string): Promise<boolean> {
    this.cursor = cursor;
    await this.checkpoint();
    return !this.outOfTime();
  }

  private outOfTime(): boolean {
    return this.deps.now().getTime() >= this.deadline;
  }

  private currentCounts(): RunCounts {
    const capacity = this.deps.store.capacity;
    return {
      ...this.counts,
      readUnits: round(this.base.read + capacity.readUnits - this.capacityAtStart.read),
      writeUnits: round(this.base.write + capacity.writeUnits - this.capacityAtStart.write),
    };
  }

  private async checkpoint(): Promise<void> {
    const now = this.deps.now();
    const confirmed = this.newlyConfirmed;
    await this.deps.store.checkpoint(this.run, {
      phase: this.phase,
      cursor: this.cursor,
      counts: this.currentCounts(),
      confirmed,
      leaseUntil: new Date(now.getTime() + this.options.leaseMs).toISOString(),
      now: now.toISOString(),
    });
    this.persistedConfirmed += confirmed.length;
    this.newlyConfirmed = [];
  }

  private async pause(): Promise<AuditSummary> {
    await this.deps.store.releaseLease(this.run, this.deps.now().toISOString());
    const left = AUDIT_PHASES.slice(AUDIT_PHASES.indexOf(this.phase));
    this.deps.log.info('audit run paused: time budget used up', { asOf: this.asOf, runId: this.run.runId, phase: this.phase });
    return {
      ...summaryOf(this.run, this.currentCounts()),
      status: 'partial',
      phase: this.phase,
      phasesLeft: left,
      message: `The audit of ${this.asOf} used up this invocation's time in phase ${this.phase}; its progress is recorded. Run it again (POST /v1/jobs/${AUDIT_JOB}/runs with the same asOf) to resume where it stopped.`,
    };
  }

  private async complete(): Promise<AuditSummary> {
    const completedAt = this.deps.now().toISOString();
    const counts = this.currentCounts();
    const summary: AuditSummary = { ...summaryOf({ ...this.run, completedAt }, counts), status: 'completed' };
    await this.deps.store.complete(this.run, { counts, summary, completedAt });
    for (const code of AUDIT_CODES) this.deps.metrics.findings(code, counts.findings[code] ?? 0);
    this.deps.metrics.completed();
    this.deps.log.info('audit run completed', { asOf: this.asOf, runId: this.run.runId, findings: summary.findings, new: counts.new, resolved: counts.resolved, examined: summary.examined, capacity: summary.capacity });
    return summary;
  }
}

/** The summary the route and the script show (and the run item keeps once completed). */
export function summaryOf(run: Pick<AuditRun, 'asOf' | 'runId' | 'pass' | 'startedAt' | 'completedAt' | 'window'>, counts: RunCounts): Record<string, unknown> {
  const findings = Object.fromEntries(AUDIT_CODES.map((code) => [code, counts.findings[code] ?? 0])) as Record<AuditCode, number>;
  const examined = { ...counts.examined, total: counts.examined.due + counts.examined.changed + counts.examined.rechecked };
  return {
    job: AUDIT_JOB,
    asOf: run.asOf,
    runId: run.runId,
    pass: run.pass,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    changedWindow: run.window,
    findings,
    total: Object.values(findings).reduce((sum, n) => sum + n, 0),
    new: counts.new,
    resolved: counts.resolved,
    stillOpen: counts.stillOpen,
    published: counts.published,
    examined,
    capacity: { readUnits: counts.readUnits, writeUnits: counts.writeUnits },
  };
}

/** The namespaces a finding's payload names (where to look again when re-checking it); store.ts AUDIT_RECORD_ATTRIBUTES reads exactly these. */
function payloadNamespaceIds(payload: Record<string, unknown>): number[] {
  const ids = [payload.namespaceId, payload.pointerNamespaceId, ...(Array.isArray(payload.holderNamespaceIds) ? payload.holderNamespaceIds : [])];
  return ids.filter((id): id is number => typeof id === 'number' && Number.isSafeInteger(id) && id > 0);
}

const round = (n: number) => Math.round(n * 10) / 10;
