import { Metrics } from '@aws-lambda-powertools/metrics';
import { createRequestAuthorizer } from '../shared/auth/authorizer';
import { createIdTokenVerifier } from '../shared/auth/verifier';
import { METRIC_NAMESPACES } from '../shared/contracts';
import { optionalEnv, requireEnv } from '../shared/env';
import { logger } from '../shared/logger';

/**
 * Created once per container so the pool's JWKS, fetched on first use, is cached across
 * invocations. USER_POOL_JWKS is unset in the cloud (the keys come from Cognito); `npm run dev`
 * sets it to its local key (see createIdTokenVerifier).
 * Exported so tests can seed its JWKS cache (`verifier.cacheJwks`) instead of fetching it.
 */
export const verifier = createIdTokenVerifier({
  userPoolId: requireEnv('USER_POOL_ID'),
  clientId: requireEnv('USER_POOL_CLIENT_ID'),
  jwks: optionalEnv('USER_POOL_JWKS'),
});

/** Its unexpected failures (JWKS, crashes), published as EMF: what the authorizer's alarms watch. */
export const metrics = new Metrics({ namespace: METRIC_NAMESPACES.authorizer });

export const handler = createRequestAuthorizer(verifier, logger, metrics);
