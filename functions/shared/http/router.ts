import type { APIGatewayProxyEvent } from 'aws-lambda';
import { MethodNotAllowedError, RouteNotFoundError } from './errors';
import { type ApiRequest } from './request';
import { type ApiResponse } from './response';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  /** Path pattern with `{name}` for one segment, e.g. `/v1/orders/{orderId}/cancel`. */
  readonly path: string;
  readonly handler: (request: ApiRequest) => Promise<ApiResponse>;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/**
 * The request path as segments, rebuilt from the API Gateway resource and its path parameters
 * rather than from `event.path`, which changes with custom-domain base paths. A greedy
 * `{proxy+}` expands into several segments; `{name}` stays one segment even if it holds a `/`.
 */
function requestSegments(event: APIGatewayProxyEvent): string[] {
  const template = event.resource || event.path;
  return template
    .split('/')
    .filter((segment) => segment !== '')
    .flatMap((segment) => {
      const placeholder = /^\{(.+?)(\+?)\}$/.exec(segment);
      if (!placeholder) return [segment];
      const [, name = '', greedy] = placeholder;
      const value = event.pathParameters?.[name] ?? '';
      return greedy ? value.split('/') : [value];
    });
}

function matchSegments(
  pattern: readonly string[],
  actual: readonly string[]
): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of pattern.entries()) {
    const value = actual[index] ?? '';
    const placeholder = /^\{(.+)\}$/.exec(expected);
    if (placeholder?.[1] !== undefined) {
      if (value === '') return undefined;
      params[placeholder[1]] = value;
    } else if (expected !== value) {
      return undefined;
    }
  }
  return params;
}

/**
 * Routes a proxy event to one of `routes`. A path that no route has is a 404; a known path with
 * the wrong method is a 405 that lists the allowed methods (the ANY resources send us everything).
 */
export class Router {
  private readonly routes: { route: Route; pattern: string[] }[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((route) => ({ route, pattern: route.path.split('/').filter((s) => s !== '') }));
  }

  match(event: APIGatewayProxyEvent): RouteMatch {
    const segments = requestSegments(event);
    const method = event.httpMethod.toUpperCase();
    const onPath = this.routes.flatMap(({ route, pattern }) => {
      const params = matchSegments(pattern, segments);
      return params ? [{ route, params }] : [];
    });
    if (onPath.length === 0) throw new RouteNotFoundError(method, `/${segments.join('/')}`);
    const match = onPath.find(({ route }) => route.method === method);
    if (!match)
      throw new MethodNotAllowedError(method, [...new Set(onPath.map(({ route }) => route.method))]);
    return match;
  }
}
