import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { type RouteFunctionName } from '../../lib/api/routes';
import { isRecord } from './authorizer-policy';
import { SERVICE_NAMES } from '../../lib/config';
import { type DevServerProps } from './dev-server';
import { LOCAL_CLIENT_ID, LOCAL_USER_POOL_ID } from './local-auth';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-table';

/** The Lambda side of a proxy integration, for the local gateway: the context and the result. */

/** API Gateway's payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** The stack's functions' timeout (AppFunction's default), reported by `getRemainingTimeInMillis`. */
const FUNCTION_TIMEOUT_MS = 30_000;

export function lambdaContext(accountId: string, functionName: string): Context {
  const deadline = Date.now() + FUNCTION_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

const PROXY_RESULT_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

/** A Lambda proxy result as API Gateway accepts it, or undefined for a "malformed Lambda proxy response". */
export function fromProxyResult(result: unknown): HttpAnswer | undefined {
  if (!isRecord(result) || Object.keys(result).some((key) => !PROXY_RESULT_KEYS.has(key))) return undefined;
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return undefined;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(isRecord(result.headers) ? result.headers : {})) {
    headers[name] = String(value);
  }
  for (const [name, values] of Object.entries(
    isRecord(result.multiValueHeaders) ? result.multiValueHeaders : {}
  )) {
    if (!Array.isArray(values)) return undefined;
    const existing = headers[name];
    headers[name] = [
      ...(existing === undefined ? [] : [existing].flat()),
      ...values.map((v) => String(v as string)),
    ];
  }
  const body = typeof result.body === 'string' ? result.body : '';
  return {
    statusCode,
    headers,
    body: Buffer.from(body, result.isBase64Encoded === true ? 'base64' : 'utf8'),
  };
}

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context
) => Promise<APIGatewayAuthorizerResult>;

/** The Lambda entry points, exactly the files the stack bundles (functions/<name>/index.ts). */
export const FUNCTION_MODULES: Record<RouteFunctionName, () => Promise<{ handler: ProxyHandler }>> = {
  users: () => import('../../functions/users/index'),
  products: () => import('../../functions/products/index'),
  orders: () => import('../../functions/orders/index'),
};

export class PayloadTooLarge extends Error {
  override readonly name = 'PayloadTooLarge';
}

export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_PAYLOAD_BYTES) throw new PayloadTooLarge();
    chunks.push(buffer);
  }
  return chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}

/**
 * The environment the stack gives the functions, pointed at local stand-ins. The handlers read it
 * once, at import, so one process serves one configuration.
 */
export function configureFunctionEnvironment(
  props: Pick<DevServerProps, 'tableName' | 'jwks' | 'corsOrigins' | 'logLevel' | 'dynamoDbEndpoint'>
): void {
  Object.assign(process.env, {
    TABLE_NAME: props.tableName,
    USER_POOL_ID: LOCAL_USER_POOL_ID,
    USER_POOL_CLIENT_ID: LOCAL_CLIENT_ID,
    USER_POOL_JWKS: props.jwks,
    CORS_ALLOWED_ORIGINS: (props.corsOrigins ?? []).join(','),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.api,
    LOG_LEVEL: props.logLevel ?? 'INFO',
    AWS_REGION: LOCAL_REGION,
    AWS_ENDPOINT_URL_DYNAMODB: props.dynamoDbEndpoint,
    // Dummy credentials for DynamoDB Local; they also keep any real ones of the shell out of reach.
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  });
  delete process.env.AWS_SESSION_TOKEN;
  // No queue locally: the orders function then logs its events instead of sending them.
  delete process.env.ORDER_EVENTS_QUEUE_URL;
}
