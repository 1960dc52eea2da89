import { friendlyName, resolveResources } from './intrinsics';
import { type AssemblyModel, type CfnResource, type StackArtifact, compareText, isRecord } from './model';
import { edge, flowchart, mermaidId, node } from './mermaid';

export interface ApiMethod {
  readonly path: string;
  readonly httpMethod: string;
  /** `NONE`, `AWS_IAM`, `COGNITO_USER_POOLS` or `CUSTOM`, with the authorizer's kind. */
  readonly authorization: string;
  readonly apiKeyRequired: boolean;
  /** `MOCK`, `Lambda <function>` (through an alias: `Lambda <function>:<alias>`), or the integration type. */
  readonly integration: string;
}

export interface ApiRoutes {
  readonly name: string;
  readonly paths: readonly string[];
  readonly methods: readonly ApiMethod[];
  /** CORS preflight methods (OPTIONS, MOCK, no authorization), summarised rather than drawn. */
  readonly preflightPaths: readonly string[];
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function refTarget(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/** `Lambda UsersFunction:live` for an alias, `Lambda UsersFunction` for a function. */
function lambdaTarget(model: AssemblyModel, stack: StackArtifact, value: unknown): string | undefined {
  for (const target of resolveResources(model, stack, value)) {
    const resource = target.stack.template.resources[target.logicalId];
    if (resource?.type === 'AWS::Lambda::Function') return `Lambda ${friendlyName(target.logicalId)}`;
    if (resource?.type === 'AWS::Lambda::Alias') {
      const fn = refTarget(resource.properties.FunctionName);
      return `Lambda ${fn ? friendlyName(fn) : '?'}:${String(resource.properties.Name)}`;
    }
  }
  return undefined;
}

function integrationOf(model: AssemblyModel, stack: StackArtifact, method: CfnResource): string {
  const integration = isRecord(method.properties.Integration) ? method.properties.Integration : {};
  const type = text(integration.Type, 'NONE');
  if (type === 'AWS_PROXY' || type === 'AWS')
    return lambdaTarget(model, stack, integration.Uri) ?? `${type} integration`;
  return type;
}

function authorizationOf(model: AssemblyModel, stack: StackArtifact, method: CfnResource): string {
  const type = text(method.properties.AuthorizationType, 'NONE');
  const authorizerId = refTarget(method.properties.AuthorizerId);
  const authorizer = authorizerId ? stack.template.resources[authorizerId] : undefined;
  if (!authorizer) return type;
  const fn = lambdaTarget(model, stack, authorizer.properties.AuthorizerUri);
  return `${type}: ${String(authorizer.properties.Type)} authorizer${fn ? ` (${fn})` : ''}`;
}

/** Full paths of a REST API's resources, from their ParentId chain. */
function resourcePaths(stack: StackArtifact, apiId: string): Map<string, string> {
  const resources = stack.template.resources;
  const paths = new Map<string, string>();
  const pathOf = (id: string, depth: number): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const resource = resources[id];
    if (!resource || depth > 50) throw new Error(`Cannot resolve the path of API resource ${id}`);
    const parent = refTarget(resource.properties.ParentId);
    const parentPath = parent === undefined || parent === apiId ? '' : pathOf(parent, depth + 1);
    const path = `${parentPath}/${String(resource.properties.PathPart)}`;
    paths.set(id, path);
    return path;
  };
  for (const [id, r] of Object.entries(resources)) {
    if (r.type === 'AWS::ApiGateway::Resource' && refTarget(r.properties.RestApiId) === apiId) pathOf(id, 0);
  }
  return paths;
}

/** Every route of the stage's first REST API with its integration and authorization. */
export function apiRoutes(model: AssemblyModel, stacks: readonly StackArtifact[]): ApiRoutes {
  const apis = stacks.flatMap((stack) =>
    Object.keys(stack.template.resources)
      .sort()
      .filter((id) => stack.template.resources[id]?.type === 'AWS::ApiGateway::RestApi')
      .map((id) => ({ stack, id }))
  );
  const [api] = apis;
  if (!api) throw new Error(`No AWS::ApiGateway::RestApi in ${stacks.map((s) => s.displayName).join(', ')}`);
  const { stack } = api;
  const paths = resourcePaths(stack, api.id);
  const methods: ApiMethod[] = [];
  const preflight: string[] = [];
  for (const method of Object.values(stack.template.resources)) {
    if (method.type !== 'AWS::ApiGateway::Method' || refTarget(method.properties.RestApiId) !== api.id)
      continue;
    const resourceId = refTarget(method.properties.ResourceId);
    const path = resourceId === api.id || resourceId === undefined ? '/' : (paths.get(resourceId) ?? '?');
    const entry: ApiMethod = {
      path,
      httpMethod: String(method.properties.HttpMethod),
      authorization: authorizationOf(model, stack, method),
      apiKeyRequired: method.properties.ApiKeyRequired === true,
      integration: integrationOf(model, stack, method),
    };
    const isPreflight =
      entry.httpMethod === 'OPTIONS' && entry.integration === 'MOCK' && entry.authorization === 'NONE';
    if (isPreflight) preflight.push(path);
    else methods.push(entry);
  }
  const order = (a: ApiMethod, b: ApiMethod): number =>
    compareText(a.path, b.path) || compareText(a.httpMethod, b.httpMethod);
  return {
    name: friendlyName(api.id),
    paths: ['/', ...[...paths.values()].sort()],
    methods: methods.sort(order),
    preflightPaths: preflight.sort(),
  };
}

export const apiPathId = (path: string): string => mermaidId('api', 'path', path === '/' ? 'root' : path);
export const apiIntegrationId = (integration: string): string => mermaidId('api', 'integration', integration);

function parentPath(path: string): string | undefined {
  if (path === '/') return undefined;
  const parent = path.slice(0, path.lastIndexOf('/'));
  return parent === '' ? '/' : parent;
}

/** `/v1/users/{userId}` → `/{userId}`: a path node shows the segment its parent doesn't. */
function pathLabel(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/'));
}

/** What a method needs from a caller: `an API key and <authorization>`, `no authorization`. */
export function describeAuthorization(m: ApiMethod): string {
  const auth = m.authorization === 'NONE' ? 'no authorization' : `the ${m.authorization}`;
  return m.apiKeyRequired ? `an API key and ${auth}` : auth;
}

/**
 * The prose sentence on authorization, said once instead of on every method box: what most methods
 * need, then the methods that need something else.
 */
export function authorizationSummary(routes: ApiRoutes): string {
  const groups = new Map<string, ApiMethod[]>();
  for (const m of routes.methods) {
    const key = describeAuthorization(m);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const [main, ...others] = [...groups.entries()].sort(
    (a, b) => b[1].length - a[1].length || compareText(a[0], b[0])
  );
  if (!main) return 'The API has no methods.';
  if (others.length === 0) return `Every method needs ${main[0]}.`;
  const exceptions = others.map(
    ([auth, methods]) =>
      `${methods.map((m) => `\`${m.httpMethod} ${m.path}\``).join(', ')}, which need${methods.length > 1 ? '' : 's'} ${auth}`
  );
  return `Every method needs ${main[0]}, except ${exceptions.join('; ')}.`;
}

/**
 * The resource tree left to right, each path showing its own segment; each path's methods grouped
 * by (authorization, API key, integration) into one box of verbs, which points at its integration
 * (shared boxes per function / MOCK).
 */
export function renderApi(routes: ApiRoutes): string {
  const body: string[] = routes.paths.map((p) => node(apiPathId(p), pathLabel(p), 'stadium'));
  for (const p of routes.paths) {
    const parent = parentPath(p);
    if (parent !== undefined && routes.paths.includes(parent))
      body.push(edge(apiPathId(parent), apiPathId(p)));
  }
  const integrations = [...new Set(routes.methods.map((m) => m.integration))].sort();
  body.push(
    ...integrations.map((i) =>
      node(
        apiIntegrationId(i),
        i === 'MOCK' ? 'MOCK' : i.replace(/^Lambda /, ''),
        i === 'MOCK' ? 'hexagon' : 'subroutine'
      )
    )
  );
  const groups = new Map<string, ApiMethod[]>();
  for (const m of routes.methods) {
    const key = JSON.stringify([m.path, m.authorization, m.apiKeyRequired, m.integration]);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  for (const group of groups.values()) {
    const [first] = group;
    if (!first) continue;
    const verbs = group.map((m) => m.httpMethod);
    const id = mermaidId('api', 'methods', first.path === '/' ? 'root' : first.path, ...verbs);
    body.push(node(id, verbs.join(', '), 'rect'));
    body.push(edge(apiPathId(first.path), id));
    body.push(edge(id, apiIntegrationId(first.integration)));
  }
  return flowchart('LR', body);
}
