import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { type Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FetchError, JwkValidationError, JwksValidationError, JwtBaseError } from 'aws-jwt-verify/error';
import { AUTHORIZER_METRICS } from '../contracts';

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

/** Thrown internally for a request we refuse; turned into a Deny policy below. */
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
 * The caller's groups as a JSON array of strings (`["support,admins"]`): API Gateway context values
 * must be strings, numbers or booleans, and a separator-joined list would let a group whose name
 * contains the separator pass for several groups. Non-string entries are dropped.
 */
export function groupsContext(claim: unknown): string {
  const groups = Array.isArray(claim) ? claim.filter((g): g is string => typeof g === 'string') : [];
  return JSON.stringify(groups);
}

/**
 * The token's e-mail only when Cognito vouches for it (`email_verified`), else ''. Cognito puts a
 * boolean in ID tokens; federated identities may carry the string 'true'.
 */
export function verifiedEmail(claims: VerifiedClaims): string {
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  return verified && typeof claims.email === 'string' ? claims.email : '';
}

/**
 * Failures that are not the caller's doing: the pool's JWKS could not be fetched or is invalid, or
 * something crashed. Everything else aws-jwt-verify throws is about the token the caller sent.
 */
function isUnexpected(error: unknown): boolean {
  if (error instanceof Denied) return false;
  if (
    error instanceof FetchError ||
    error instanceof JwksValidationError ||
    error instanceof JwkValidationError
  ) {
    return true;
  }
  return !(error instanceof JwtBaseError);
}

/** Refuses the caller on every route of the stage (API Gateway caches it like an Allow). */
function denyPolicy(methodArn: string): APIGatewayAuthorizerResult {
  return {
    principalId: 'unauthorized',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: stageWideResource(methodArn) ?? '*' },
      ],
    },
  };
}

/**
 * The API's REQUEST authorizer: a valid Cognito token of this user pool and app client, plus an
 * API key. It answers an Allow policy for the whole stage with the caller's identity in the
 * context ({ sub, email, groups }: email only when verified, groups as a JSON array), and hands
 * the x-api-key value back as `usageIdentifierKey`: the API uses API key source AUTHORIZER, so API
 * Gateway meters and throttles each client by the usage plan of that key (and rejects a key that
 * is in no usage plan with 403).
 *
 * Refused credentials get a Deny policy (ACCESS_DENIED, answered 401 by lib/api/routes.ts), not an
 * error: anyone can send junk tokens, and a thrown refusal would count as a Lambda error of the
 * authorizer and trip its alarms. Only unexpected failures (JWKS unavailable or invalid, a crash) throw (API
 * Gateway answers 500) and add one `UnexpectedFailures` metric, which the alarms watch.
 */
export function createRequestAuthorizer(
  verifier: TokenVerifier,
  logger: Logger,
  metrics: Metrics
): RequestAuthorizer {
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
      return {
        principalId: claims.sub,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
        },
        context: {
          sub: claims.sub,
          email: verifiedEmail(claims),
          groups: groupsContext(claims['cognito:groups']),
        },
        usageIdentifierKey: apiKey,
      };
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (isUnexpected(error)) {
        // Not the caller's fault: every caller is being refused, so this one alarms.
        logger.error('Authorizer failure; answering 500', { reason });
        metrics.addMetric(AUTHORIZER_METRICS.unexpectedFailures, MetricUnit.Count, 1);
        metrics.publishStoredMetrics();
        throw new Error('Authorizer failure');
      }
      // Never log the token itself; the reason says enough (expired, wrong client, bad signature...).
      logger.info('Request not authorized', { reason });
      return denyPolicy(event.methodArn);
    }
  };
}
