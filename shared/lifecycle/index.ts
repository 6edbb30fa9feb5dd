/**
 * What the lifecycle offers other features besides its domain (./domain/) and its events
 * (./events.ts, with the namespace state's schema): the store functions that read and write the
 * state items (reassociation moves a term between two states, with the moved pointer's copy of
 * the target's state, and reads what the target measured within it; the audit reads states by key).
 * Nothing else of this folder is imported from outside it.
 */
export {
  POINTER_COPY,
  STATE_COPY,
  getPointer,
  getState,
  historySk,
  logItem,
  nsKey,
  readForCommand,
  readMeasurements,
  readState,
  stateAuditAttributes,
  stateCopy,
  subKey,
  toState,
} from './store.js';
export type { HistoryEntry, LogBoundsRead, LoggedMeasurement, StateRead, SubscriptionPointer } from './store.js';
