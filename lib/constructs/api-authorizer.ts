import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { type Construct } from 'constructs';

/** How long API Gateway reuses the authorizer's answer for the same token and API key. */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);
/** The request headers the authorizer reads: the Cognito ID token and the API key. */
export const AUTHORIZER_IDENTITY_HEADERS = ['Authorization', 'x-api-key'] as const;

export interface ApiAuthorizerProps {
  /** The authorizer function (its `live` alias, for safe deployments). */
  readonly handler: lambda.IFunction;
}

/**
 * The API's REQUEST Lambda authorizer: it verifies the Cognito token and hands the API key to the
 * usage plan, so both headers are its identity sources (a request missing either is refused before
 * the function runs) and the answer is cached per token and key.
 */
export class ApiAuthorizer extends apigw.RequestAuthorizer {
  constructor(scope: Construct, id: string, props: ApiAuthorizerProps) {
    super(scope, id, {
      handler: props.handler,
      identitySources: AUTHORIZER_IDENTITY_HEADERS.map((name) => apigw.IdentitySource.header(name)),
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
  }
}
