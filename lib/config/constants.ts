/** Named constants shared by the stacks: ports, sizes and fixed retention the design pins. */

export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;
export const APP_PORT = 8080;
export const SSH_PORT = 22;
/** The seed's PostgreSQL port, kept on purpose (AwsSolutions-RDS11 is acknowledged where used). */
export const POSTGRES_PORT = 5432;
/** The seed's Redis port, kept on purpose (AwsSolutions-AEC5 is acknowledged where used). */
export const REDIS_PORT = 6379;

export const VPC_CIDR = '10.0.0.0/16';
export const SUBNET_CIDR_MASK = 24;

export const DATABASE_NAME = 'appdb';
export const DATABASE_USERNAME = 'dbadmin';
/** Characters the seed keeps out of the generated password (they break connection strings). */
export const DATABASE_PASSWORD_EXCLUDED_CHARACTERS = '/@"\'\\;';
export const DATABASE_SLOW_STATEMENT_MS = 1000;
export const DATABASE_MONITORING_INTERVAL_SECONDS = 60;
export const DATABASE_BACKUP_WINDOW = '03:00-04:00';
export const DATABASE_MAINTENANCE_WINDOW = 'Sun:04:00-Sun:05:00';

export const REDIS_ENGINE_VERSION = '7.1';
export const REDIS_PARAMETER_FAMILY = 'redis7';
/** Primary + one replica. */
export const REDIS_NODE_COUNT = 2;
export const REDIS_AUTH_TOKEN_LENGTH = 64;
export const REDIS_SNAPSHOT_RETENTION_DAYS = 5;
export const REDIS_SNAPSHOT_WINDOW = '03:00-05:00';
export const REDIS_MAINTENANCE_WINDOW = 'sun:05:00-sun:06:00';
