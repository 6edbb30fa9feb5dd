/**
 * What the error log offers other features: its store and the workflow's resolution (the audit
 * resolves what it reported once it no longer holds). The error log's domain (statuses, sources,
 * records) may be imported directly; nothing else of this folder.
 */
export { ErrorStore } from './store.js';
export { resolveAlongWorkflow } from './workflow.js';
export type { ResolveOptions } from './workflow.js';
