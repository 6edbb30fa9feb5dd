import { commandHandler } from '../../shared/lifecycle/handler.js';

export const handler = commandHandler('reconciliationCompleted');
