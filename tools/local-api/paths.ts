import * as path from 'node:path';

/**
 * Local state of `npm run dev`, under the project's git-ignored .local/ folder: DynamoDB Local's
 * data (kept across restarts) and the local user pool's key pair and API key. Delete the folder
 * to start over.
 */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');
export const LOCAL_DIR = path.join(PROJECT_ROOT, '.local');
export const LOCAL_DYNAMODB_DIR = path.join(LOCAL_DIR, 'dynamodb');
export const LOCAL_AUTH_DIR = path.join(LOCAL_DIR, 'auth');
/** The table's name in DynamoDB Local (the stack generates the real one). */
export const LOCAL_TABLE_NAME = 'api-data';
