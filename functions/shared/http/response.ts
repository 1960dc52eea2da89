import type { APIGatewayProxyResult } from 'aws-lambda';

export type ApiResponse = APIGatewayProxyResult;

/** Every response, errors and 204s included, says what it is. */
const BASE_HEADERS = { 'Content-Type': 'application/json' } as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): ApiResponse {
  return { statusCode: 204, headers: { ...BASE_HEADERS }, body: '' };
}

/** The one error body shape of the API. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}
