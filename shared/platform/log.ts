/**
 * One structured JSON logger per process (Powertools Logger). Handlers append the request or event
 * id; nothing logs tokens or request bodies with personal data.
 */
import './stack-traces.js';
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'provisioning' });
