/**
 * The plan catalog: which plan codes are free, which are trials (never billed) and which are paid
 * (their overage is billed). GitLab's own split (`Plan::PAID_HOSTED_PLANS`, the trial plans) is the
 * default; a deployment may replace it (`PLAN_CATALOG`, shared/lifecycle/plans.ts). The HTTP edge
 * refuses a code the catalog does not know, a `created` or renewal with a code that is not paid, and
 * a trial start with a code that is not a trial. Pure.
 */

export type PlanKind = 'free' | 'trial' | 'paid';

export interface PlanCatalog {
  readonly free: readonly string[];
  readonly trial: readonly string[];
  readonly paid: readonly string[];
}

/** GitLab.com's plans. */
export const DEFAULT_PLAN_CATALOG: PlanCatalog = {
  free: ['free', 'default'],
  trial: ['premium_trial', 'ultimate_trial', 'ultimate_trial_paid_customer'],
  paid: ['bronze', 'silver', 'gold', 'premium', 'ultimate', 'opensource'],
};

/**
 * What kind of plan `code` is in `catalog`, or null when the catalog does not know it.
 *
 * @example
 * planKind(DEFAULT_PLAN_CATALOG, 'ultimate_trial'); // 'trial'
 * planKind(DEFAULT_PLAN_CATALOG, 'platinum');       // null: refused as invalid input
 */
export function planKind(catalog: PlanCatalog, code: string): PlanKind | null {
  if (catalog.paid.includes(code)) return 'paid';
  if (catalog.trial.includes(code)) return 'trial';
  if (catalog.free.includes(code)) return 'free';
  return null;
}

/**
 * A catalog from its JSON form (`{"free": [...], "trial": [...], "paid": [...]}`), checked: three
 * lists of plan codes, no code in two of them, at least one paid and one free plan.
 *
 * @throws Error naming what is wrong (a deployment with a broken catalog must not start billing)
 */
export function parsePlanCatalog(json: string): PlanCatalog {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('PLAN_CATALOG is not JSON: give {"free": [...], "trial": [...], "paid": [...]}');
  }
  const lists = value as Record<string, unknown>;
  const catalog = {} as Record<PlanKind, string[]>;
  for (const kind of ['free', 'trial', 'paid'] as const) {
    const codes = lists?.[kind];
    if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(c))) {
      throw new Error(`PLAN_CATALOG.${kind} must be a list of plan codes (lower case, digits and _)`);
    }
    catalog[kind] = codes as string[];
  }
  const all = [...catalog.free, ...catalog.trial, ...catalog.paid];
  const twice = all.filter((code, i) => all.indexOf(code) !== i);
  if (twice.length) throw new Error(`PLAN_CATALOG lists ${[...new Set(twice)].join(', ')} in more than one kind`);
  if (!catalog.paid.length || !catalog.free.length) throw new Error('PLAN_CATALOG needs at least one paid and one free plan');
  return catalog;
}
