import {
  type ApiModel,
  type ApiRoute,
  GATEWAY_RESPONSES,
  type GatewayResponseType,
} from '../../lib/api/routes';
import { headerValue, type RequestParts } from './api-gateway';
import { isRecord } from './authorizer-policy';

/** Request validation and the errors API Gateway answers itself, for the local gateway. */

/** The parameters a method declares as required that the request lacks (path ones always match). */
export function missingParameters(route: ApiRoute, parts: RequestParts): string[] {
  return Object.entries(route.requestParameters ?? {})
    .filter(([, required]) => required)
    .map(([name]) => /^method\.request\.(querystring|header)\.(.+)$/.exec(name))
    .filter((found): found is RegExpExecArray => found !== null)
    .filter(([, location, name = '']) =>
      location === 'querystring'
        ? parts.queryStringParameters?.[name] === undefined
        : headerValue(parts, name) === undefined
    )
    .map(([, , name = '']) => name);
}

function schemaType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Checks a JSON body against a body model as the request validator does (JSON Schema draft 4,
 * the subset the models use), returning API Gateway's validationErrorString, or undefined when valid.
 */
export function validateBody(model: ApiModel, body: string | undefined): string | undefined {
  let value: unknown = null;
  if (body !== undefined && body.trim() !== '') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return '[Invalid input: the request body is not JSON]';
    }
  }
  if (!isRecord(value)) {
    return `[instance type (${schemaType(value)}) does not match any allowed primitive type (allowed: ["object"])]`;
  }
  const errors: string[] = [];
  const missing = model.required.filter((name) => !(name in value)).sort();
  if (missing.length > 0) {
    errors.push(`object has missing required properties (${JSON.stringify(missing)})`);
  }
  for (const [name, property] of Object.entries(model.properties)) {
    if (!(name in value)) continue;
    const actual = value[name];
    if (typeof actual !== 'string') {
      errors.push(
        `instance type (${schemaType(actual)}) does not match any allowed primitive type (allowed: ["string"])`
      );
    } else if ([...actual].length < property.minLength) {
      errors.push(
        `string ${JSON.stringify(actual)} is too short (length: ${[...actual].length}, required minimum: ${property.minLength})`
      );
    } else if ([...actual].length > property.maxLength) {
      errors.push(
        `string ${JSON.stringify(actual)} is too long (length: ${[...actual].length}, maximum allowed: ${property.maxLength})`
      );
    }
  }
  return errors.length === 0 ? undefined : `[${errors.join(', ')}]`;
}

/** The errors API Gateway answers itself here, with its status, message and x-amzn-ErrorType. */
export const GATEWAY_ERRORS = {
  UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized', errorType: 'UnauthorizedException' },
  ACCESS_DENIED: {
    statusCode: 403,
    message: 'User is not authorized to access this resource with an explicit deny',
    errorType: 'AccessDeniedException',
  },
  MISSING_AUTHENTICATION_TOKEN: {
    statusCode: 403,
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
  },
  INVALID_API_KEY: { statusCode: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  BAD_REQUEST_BODY: { statusCode: 400, message: 'Invalid request body', errorType: 'BadRequestException' },
  BAD_REQUEST_PARAMETERS: {
    statusCode: 400,
    message: 'Missing required request parameters',
    errorType: 'BadRequestException',
  },
  REQUEST_TOO_LARGE: { statusCode: 413, message: 'Request Too Long', errorType: 'RequestTooLongException' },
  AUTHORIZER_FAILURE: {
    statusCode: 500,
    message: 'Internal server error',
    errorType: 'AuthorizerConfigurationException',
  },
  /** A Lambda integration that threw, or answered something that is no proxy response. */
  LAMBDA_ERROR: {
    statusCode: 502,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  },
} as const;

export type GatewayErrorType = keyof typeof GATEWAY_ERRORS;

export interface TemplateValues {
  readonly message: string;
  readonly validationErrorString: string;
  readonly requestTime: string;
}

/** The VTL expressions the stack's templates use; rendering anything else fails loudly. */
const TEMPLATE_EXPRESSIONS: ReadonlyArray<readonly [string, (values: TemplateValues) => string]> = [
  [
    String.raw`$util.escapeJavaScript($context.error.validationErrorString).replaceAll("\\'","'")`,
    // escapeJavaScript escapes quotes, backslashes and control characters; the replaceAll undoes `\'`.
    (values) => JSON.stringify(values.validationErrorString).slice(1, -1),
  ],
  // API Gateway's messageString is the message in double quotes.
  ['$context.error.messageString', (values) => JSON.stringify(values.message)],
  ['$context.requestTime', (values) => values.requestTime],
];

/** Throws when a template uses an expression this renderer does not know. */
export function assertRenderable(template: string): void {
  const rest = TEMPLATE_EXPRESSIONS.reduce((text, [expression]) => text.split(expression).join(''), template);
  const unknown = /\$[A-Za-z{!]/.exec(rest);
  if (unknown) {
    throw new Error(
      `The local API cannot render this template (add the expression to tools/local-api/api-gateway.ts): ${template}`
    );
  }
}

export function renderTemplate(template: string, values: TemplateValues): string {
  assertRenderable(template);
  return TEMPLATE_EXPRESSIONS.reduce(
    (text, [expression, render]) => text.split(expression).join(render(values)),
    template
  );
}

const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/** The status API Gateway answers for an error: the stack's override for its type, else its own. */
export function gatewayResponseStatus(type: GatewayErrorType): number {
  const override = GATEWAY_RESPONSES.find((response) => response.type === type)?.statusCode;
  return override === undefined ? GATEWAY_ERRORS[type].statusCode : Number(override);
}

/** The body template API Gateway uses for an error: its own type, else DEFAULT_4XX/5XX, else its default. */
export function gatewayResponseTemplate(type: GatewayErrorType): string {
  const statusCode = GATEWAY_ERRORS[type].statusCode;
  const fallback: GatewayResponseType = statusCode >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const byType = (wanted: string) => GATEWAY_RESPONSES.find((response) => response.type === wanted);
  return (byType(type) ?? byType(fallback))?.template ?? DEFAULT_TEMPLATE;
}
