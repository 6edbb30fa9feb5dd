import { commandHandler } from '../../shared/commands/handler.js';

export const handler = commandHandler('expired');
