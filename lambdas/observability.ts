/**
 * Shared Powertools instances. Logs are structured JSON; the request id and project id are added
 * per invocation, and no key or raw IP is ever passed to them. Metrics speak through the logger, so
 * even their own warnings are structured lines with the invocation's request id.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger({ serviceName: 'tidemark' });
export const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'tidemark', logger });
