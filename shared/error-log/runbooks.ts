/**
 * Runbooks, the application: operators save them (kept with their history, see
 * ./versioned-store.ts); a record, a Slack message and a digest show the runbook of their code —
 * the saved one, else the one the service ships (./domain/runbooks.ts). Keys in the `errors` table:
 *   RUNBOOKS / RUNBOOK#<code>     a saved runbook (all in one partition: listing is one Query)
 *   RUNBOOKS#<code> / CHANGE#<v>  its history
 *
 * flow: handlers / writer / digest --> this module --> domain/runbooks.ts (pure) + versioned-store.ts
 */
import { DEFAULT_RUNBOOKS, runbookFor, sameRunbook } from './domain/runbooks.js';
import type { Runbook, RunbookSpec } from './domain/runbooks.js';
import { UnknownRunbookError } from './ops-errors.js';
import { RUNBOOKS_PARTITION, RUNBOOK_PREFIX } from './runbook-titles.js';
import { VersionedStore, saveVersioned } from './versioned-store.js';
import type { SaveOutcome } from './versioned-store.js';

export const runbookStore = new VersionedStore<RunbookSpec>({ list: RUNBOOKS_PARTITION, prefix: RUNBOOK_PREFIX, label: 'runbook' });

/** A runbook as the API shows it: with its version (0: shipped, never saved) and who changed it last. */
export interface RunbookView extends Runbook {
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** The runbook of `code` (saved, else shipped), or null: one strongly consistent GetItem. */
export async function getRunbook(code: string): Promise<RunbookView | null> {
  const saved = await runbookStore.get(code);
  const runbook = runbookFor(code, saved?.body);
  return runbook ? { ...runbook, version: saved?.version ?? 0, updatedAt: saved?.updatedAt ?? null, updatedBy: saved?.updatedBy ?? null } : null;
}

/**
 * Every runbook, saved and shipped, by code: one Query (pages followed). `withSteps: false` leaves
 * the steps out of the answer (the list and the digest need only titles).
 */
export async function listRunbooks(options: { withSteps?: boolean } = {}): Promise<RunbookView[]> {
  const saved = await runbookStore.list();
  const byCode = new Map(saved.map((s) => [s.id, s]));
  const codes = [...new Set([...Object.keys(DEFAULT_RUNBOOKS), ...byCode.keys()])].sort();
  return codes.flatMap((code) => {
    const item = byCode.get(code);
    const runbook = runbookFor(code, item?.body);
    if (!runbook) return [];
    const view: RunbookView = { ...runbook, version: item?.version ?? 0, updatedAt: item?.updatedAt ?? null, updatedBy: item?.updatedBy ?? null };
    if (options.withSteps === false) view.steps = '';
    return [view];
  });
}

/**
 * Saves the runbook of `code` (it replaces the shipped one). The same runbook again changes nothing.
 *
 * @throws ConfigVersionMismatchError `expectedVersion` is not the runbook's version (409)
 */
export async function saveRunbook(code: string, spec: RunbookSpec, options: { operator: string; expectedVersion?: number }): Promise<SaveOutcome<RunbookSpec>> {
  return saveVersioned(runbookStore, code, spec, { ...options, same: sameRunbook });
}

/**
 * A runbook's saved versions, newest first.
 *
 * @throws UnknownRunbookError no runbook, saved or shipped, for `code` (404)
 */
export async function runbookHistory(code: string, options: { limit: number; cursor?: string }) {
  const page = await runbookStore.history(code, options);
  if (page.items.length === 0 && !options.cursor && !Object.hasOwn(DEFAULT_RUNBOOKS, code)) throw new UnknownRunbookError(code);
  return page;
}
