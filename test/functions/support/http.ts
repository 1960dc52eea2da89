import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { apiEvent, type ApiEventOptions, lambdaContext } from '../../support/events';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ErrorBody {
  error: string;
  message: string;
}

export interface Response<T> {
  readonly status: number;
  readonly headers: Record<string, string | number | boolean>;
  readonly body: T;
  readonly raw: APIGatewayProxyResult;
}

/** Invokes a real handler with an API Gateway proxy event and parses the JSON response. */
export async function invoke<T = ErrorBody>(
  handler: ProxyHandler,
  options: ApiEventOptions
): Promise<Response<T>> {
  const result = await handler(apiEvent(options), lambdaContext());
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: (result.body === '' ? undefined : JSON.parse(result.body)) as T,
    raw: result,
  };
}
