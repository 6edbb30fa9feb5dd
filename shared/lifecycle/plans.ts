/**
 * This process's plan catalog: `PLAN_CATALOG` (a setting the stack passes from the
 * `provisioning:planCatalog` context) when set, GitLab's plans otherwise. Read once per process;
 * a test or the local runtime replaces it with `planCatalog.use(…)`.
 */
import { readSetting } from '../platform/config.js';
import { ProcessDefault } from '../platform/process-default.js';
import { DEFAULT_PLAN_CATALOG, parsePlanCatalog } from './domain/plans.js';
import type { PlanCatalog } from './domain/plans.js';

export const planCatalog = new ProcessDefault<PlanCatalog>(() => {
  const configured = readSetting('planCatalog');
  return configured ? parsePlanCatalog(configured) : DEFAULT_PLAN_CATALOG;
});
