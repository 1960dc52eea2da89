import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { createRequestAuthorizer } from '../shared/auth/authorizer';
import { requireEnv } from '../shared/env';
import { logger } from '../shared/logger';

/**
 * Created once per container so the pool's JWKS, fetched on first use, is cached across
 * invocations. ID tokens, not access tokens: the API needs the caller's email (users POST stores
 * it), and only the ID token carries it. The verifier checks signature, expiry, issuer (this
 * pool), audience (this app client) and token_use = id.
 * Exported so tests can seed its JWKS cache (`verifier.cacheJwks`) instead of fetching it.
 */
export const verifier = CognitoJwtVerifier.create({
  userPoolId: requireEnv('USER_POOL_ID'),
  clientId: requireEnv('USER_POOL_CLIENT_ID'),
  tokenUse: 'id',
});

export const handler = createRequestAuthorizer(verifier, logger);
