import startDynamoDbLocal from '../../support/global-setup';
import { targetKind } from './target';

/**
 * `npm run test:integration`'s global setup: the shared DynamoDB Local (test/support) for the local
 * target only, so the pipeline's run against the deployed API needs no Java.
 */
export default async function globalSetup(): Promise<void> {
  if (targetKind(process.env) === 'local') await startDynamoDbLocal();
}
