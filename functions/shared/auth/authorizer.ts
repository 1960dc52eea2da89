import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { type Logger } from '@aws-lambda-powertools/logger';
import { FetchError } from 'aws-jwt-verify/error';

/** Claims we read from a verified token (aws-jwt-verify's Cognito payload satisfies this). */
export interface VerifiedClaims {
  readonly sub: string;
  readonly [claim: string]: unknown;
}

/**
 * The one method of aws-jwt-verify's CognitoJwtVerifier we need. Verification (signature against
 * the pool's JWKS, expiry, issuer, client id, token use) is configured on the verifier itself.
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
}

export type RequestAuthorizer = (
  event: APIGatewayRequestAuthorizerEvent,
  context?: Context
) => Promise<APIGatewayAuthorizerResult>;

/** Thrown internally for a request we refuse; turned into API Gateway's 'Unauthorized' below. */
class Denied extends Error {
  override readonly name: string = 'Denied';
}

/** Header names are case-insensitive; API Gateway passes them through as the client sent them. */
function header(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  const value = entry?.[1]?.trim();
  return value === '' ? undefined : value;
}

/** `Bearer <token>`, the scheme name case-insensitive (RFC 9110). */
function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

/**
 * `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>` →
 * `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/*\/*`. API Gateway caches the policy per
 * identity (token + API key) and reuses it for every route, so a policy naming only this method
 * would make the caller's next, different request fail with 403 until the cache expires.
 */
export function stageWideResource(methodArn: string): string | undefined {
  const stage = /^(arn:[^:]+:execute-api:[^:]+:[^:]+:[^/]+\/[^/]+)\//.exec(methodArn)?.[1];
  return stage === undefined ? undefined : `${stage}/*/*`;
}

/**
 * The API's REQUEST authorizer: a valid Cognito token of this user pool and app client, plus an
 * API key. It answers an Allow policy for the whole stage with the caller's identity in the
 * context ({ sub, email, groups }), and hands the x-api-key value back as `usageIdentifierKey`:
 * the API uses API key source AUTHORIZER, so API Gateway meters and throttles each client by the
 * usage plan of that key (and rejects a key that is in no usage plan with 403).
 * Everything else is refused with `Error('Unauthorized')`, which API Gateway turns into a 401.
 */
export function createRequestAuthorizer(verifier: TokenVerifier, logger: Logger): RequestAuthorizer {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      // The two `=== undefined` checks below test presence, not a secret value: no timing leak.
      // API Gateway checks the key itself; aws-jwt-verify checks the token's signature.
      const apiKey = header(event, 'x-api-key');
      // eslint-disable-next-line security/detect-possible-timing-attacks -- presence check, see above
      if (apiKey === undefined) throw new Denied('missing x-api-key header');
      const token = bearerToken(header(event, 'authorization'));
      // eslint-disable-next-line security/detect-possible-timing-attacks -- presence check, see above
      if (token === undefined) throw new Denied('missing or malformed Authorization header');
      const resource = stageWideResource(event.methodArn);
      if (resource === undefined) throw new Denied(`unexpected methodArn ${event.methodArn}`);

      const claims = await verifier.verify(token);
      const groups = claims['cognito:groups'];
      const email = claims.email;
      return {
        principalId: claims.sub,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
        },
        // Context values must be strings, numbers or booleans, hence groups as a comma-separated string.
        context: {
          sub: claims.sub,
          email: typeof email === 'string' ? email : '',
          groups: Array.isArray(groups)
            ? groups.filter((g): g is string => typeof g === 'string').join(',')
            : '',
        },
        usageIdentifierKey: apiKey,
      };
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (error instanceof FetchError) {
        // Not the caller's fault: the JWKS could not be fetched, so every caller is being refused.
        logger.error('Could not fetch the user pool JWKS; refusing the request', { reason });
      } else {
        // Never log the token itself; the reason says enough (expired, wrong client, bad signature...).
        logger.info('Request not authorized', { reason });
      }
      throw new Error('Unauthorized');
    }
  };
}
