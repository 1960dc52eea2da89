import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Fetcher } from 'aws-jwt-verify/https';
import { assertIsJwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';

export interface IdTokenVerifierConfig {
  readonly userPoolId: string;
  /** The app client the tokens must be issued to (their `aud`). */
  readonly clientId: string;
  /**
   * The pool's public keys as a JWKS document (JSON), for where there is no Cognito to fetch them
   * from: `npm run dev` passes the key it generated locally (tools/local-api/).
   * @default - fetched from the pool's JWKS URL on first use and cached
   */
  readonly jwks?: string;
}

/**
 * Answers every JWKS request with the configured document, never touching the network: a token
 * whose key is not in it fails verification (JwkNotFound) instead of triggering a fetch.
 */
class StaticJwksFetcher implements Fetcher {
  private readonly document: ArrayBuffer;

  constructor(jwks: string) {
    // Checked once, at cold start, so a malformed setting fails loudly rather than per request.
    assertIsJwks(JSON.parse(jwks) as Parameters<typeof assertIsJwks>[0]);
    const bytes = Buffer.from(jwks, 'utf8');
    this.document = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  fetch(): Promise<ArrayBuffer> {
    return Promise.resolve(this.document);
  }
}

/**
 * A verifier of this pool's ID tokens, not access tokens: the API needs the caller's email, and
 * only the ID token carries it. It checks signature, expiry, issuer (this pool), audience (this
 * app client) and token_use = id. Create it once per container so the JWKS stays cached.
 */
export function createIdTokenVerifier({ userPoolId, clientId, jwks }: IdTokenVerifierConfig) {
  const properties = { userPoolId, clientId, tokenUse: 'id' } as const;
  return jwks === undefined
    ? CognitoJwtVerifier.create(properties)
    : CognitoJwtVerifier.create(properties, {
        jwksCache: new SimpleJwksCache({ fetcher: new StaticJwksFetcher(jwks) }),
      });
}
