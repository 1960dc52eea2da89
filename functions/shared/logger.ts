import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One Logger per function container. Service name and level come from POWERTOOLS_SERVICE_NAME
 * and LOG_LEVEL, which the stack sets per function, so this module stays the same everywhere.
 */
export const logger = new Logger();

/** The slice of a logger that domain code needs, so services can be tested without Powertools. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
