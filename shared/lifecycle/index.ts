/**
 * What the lifecycle offers other features besides its domain (./domain/) and its events
 * (./events.ts): the namespace state's schema, and the store functions that read and write the
 * state items (reassociation moves a term between two states; the audit reads states by key).
 * Nothing else of this folder is imported from outside it.
 */
export { namespaceState } from './schemas.js';
export { getPointer, getState, historySk, logItem, nsKey, readForCommand, readState, stateAuditAttributes, subKey, toState } from './store.js';
export type { HistoryEntry, LogBoundsRead, StateRead, SubscriptionPointer } from './store.js';
