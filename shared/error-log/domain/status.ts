/**
 * The error workflow, as pure functions. Operators move a record `open → resolved` (a quick fix)
 * or `open → needs_attention → in_progress → resolved` (work tracked to the end); nothing else.
 */
export const errorStatuses = ['open', 'needs_attention', 'in_progress', 'resolved'] as const;
export type ErrorStatus = (typeof errorStatuses)[number];

/** The statuses an engineer still has to act on (the digests list these as "still open"). */
export const unresolvedStatuses: readonly ErrorStatus[] = ['open', 'needs_attention', 'in_progress'];

const NEXT: Readonly<Record<ErrorStatus, readonly ErrorStatus[]>> = {
  open: ['resolved', 'needs_attention'],
  needs_attention: ['in_progress'],
  in_progress: ['resolved'],
  resolved: [],
};

export type Transition =
  | { kind: 'move'; from: ErrorStatus; to: ErrorStatus }
  /** Asking for the status a record already has changes nothing: a retried PATCH is safe. */
  | { kind: 'unchanged'; status: ErrorStatus }
  | { kind: 'invalid'; from: ErrorStatus; to: ErrorStatus; allowed: readonly ErrorStatus[] };

/**
 * Decides an operator's move from `from` to `to`.
 *
 * @example
 * transition('open', 'in_progress') // { kind: 'invalid', allowed: ['resolved', 'needs_attention'] }
 */
export function transition(from: ErrorStatus, to: ErrorStatus): Transition {
  if (from === to) return { kind: 'unchanged', status: from };
  const allowed = NEXT[from];
  return allowed.includes(to) ? { kind: 'move', from, to } : { kind: 'invalid', from, to, allowed };
}

/**
 * The moves that take a record from `from` to `resolved` along the workflow (shortest first), for
 * resolutions made by the system (a closed GitLab issue): every recorded step is a legal move.
 * Empty when already resolved.
 */
export function pathToResolved(from: ErrorStatus): ErrorStatus[] {
  const path: ErrorStatus[] = [];
  let at = from;
  while (at !== 'resolved') {
    const next: ErrorStatus = NEXT[at].includes('resolved') ? 'resolved' : NEXT[at][0]!;
    path.push(next);
    at = next;
  }
  return path;
}
