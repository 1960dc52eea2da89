import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * A secret-literal scanner for a synthesized cloud assembly (templates, Lambda bundles and their
 * source maps, buildspecs, manifests).
 *
 * Two kinds of rules:
 * - text rules run on every file: credential formats that are unmistakable wherever they appear
 *   (AWS access key ids, PEM private keys, JWTs, GitHub/Stripe/Slack tokens, webhook URLs);
 * - the key/value rule runs on configuration only (CloudFormation templates, JSON embedded in
 *   them, buildspec YAML): a property *named* like a secret (Password, AuthToken, SecretString,
 *   an API key's Value...) must not hold a literal. Code is exempt on purpose: the bundled AWS SDK
 *   and Powertools use `secretAccessKey`, `token`, `password` as identifiers everywhere.
 *
 * The only accepted way for a secret to reach a template is a dynamic reference
 * (`{{resolve:secretsmanager:...}}` or `{{resolve:ssm-secure:...}}`), written literally or produced
 * by Fn::Join/Fn::Sub around a Ref/GetAtt, or a bare Ref/GetAtt (no literal text at all).
 */

export interface SecretFinding {
  /** Path relative to the scanned directory (or the name given to `scanFileContent`). */
  readonly file: string;
  readonly rule: string;
  /** `line <n>` for text rules, the JSON path for the key/value rule. */
  readonly location: string;
  /** The offending value, mostly masked, so a test failure does not print the secret again. */
  readonly excerpt: string;
}

export interface ScanResult {
  /** Every file read, relative to the scanned directory, sorted. */
  readonly files: readonly string[];
  readonly findings: readonly SecretFinding[];
}

interface TextRule {
  readonly id: string;
  /** Global flag required: every match is reported. */
  readonly pattern: RegExp;
}

/** Formats narrow enough to hold in minified code and source maps without false positives. */
export const TEXT_RULES: readonly TextRule[] = [
  {
    id: 'slack-webhook-url',
    pattern:
      /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]{6,}\/[A-Za-z0-9]{6,}(?:\/[A-Za-z0-9]+)*/g,
  },
  {
    id: 'discord-webhook-url',
    pattern: /discord(?:app)?\.com\/api\/webhooks\/\d{6,}\/[\w-]{20,}/g,
  },
  {
    id: 'teams-webhook-url',
    pattern: /\.webhook\.office\.com\/webhookb2\/[\w@-]{20,}/g,
  },
  { id: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { id: 'aws-access-key-id', pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  {
    // The 40-character key right after a name that says what it is (quotes optional, JSON-escaped ok).
    id: 'aws-secret-access-key',
    pattern:
      /(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/gi,
  },
  { id: 'private-key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
  { id: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { id: 'stripe-secret-key', pattern: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
];

/**
 * Property names (lower-cased, non-alphanumerics removed) that hold a secret. Anchored at the end,
 * so `PasswordLength`, `SecretStringTemplate`, `SecretArn`, `ApiKeyRequired`, `GenerateSecret`
 * (a boolean, ignored anyway) or `RefreshTokenValidity` are not secrets.
 */
const SENSITIVE_NAME =
  /(?:password|passwd|passphrase|secret|secretstring|secretkey|accesskey|token|apikey|privatekey|credentials?|webhookurl)$/;

/** Secret-like names that are not secrets: a custom resource's provider ARN. */
const NOT_SECRET_NAMES = new Set(['servicetoken']);
/**
 * Maps whose values are no secrets though their keys sound like it: buildspec `env` maps naming a
 * secret instead of holding it, and Cognito's `TokenValidityUnits` (`AccessToken: 'minutes'`).
 */
const NAME_ONLY_MAPS = new Set(['secretsmanager', 'parameterstore', 'tokenvalidityunits']);
const REFERENCE_VARIABLE_TYPES = new Set(['SECRETS_MANAGER', 'PARAMETER_STORE']);

const DYNAMIC_REFERENCE = /^\{\{resolve:(?:secretsmanager|ssm-secure):[^{}]+\}\}$/;
/** Stands for a value no literal produced (Ref, GetAtt, ImportValue) in `renderLiteral`. */
export const REFERENCE_PLACEHOLDER = '\u0000';

function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function isSensitiveName(name: string): boolean {
  const normalized = normalizedName(name);
  return SENSITIVE_NAME.test(normalized) && !NOT_SECRET_NAMES.has(normalized);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref: ... }` or `{ 'Fn::X': ... }`: a CloudFormation intrinsic function. */
function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const fn = keys[0]!;
  return fn === 'Ref' || fn.startsWith('Fn::') ? [fn, value[fn]] : undefined;
}

/**
 * The text a value evaluates to, as far as literals decide it: references become
 * REFERENCE_PLACEHOLDER, Fn::Join and Fn::Sub are expanded. An intrinsic this does not know (e.g.
 * Fn::FindInMap, which can read a literal from Mappings) renders as `?`, i.e. as literal text.
 */
export function renderLiteral(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const fn = intrinsic(value);
  if (!fn) return '?';
  const [name, arg] = fn;
  switch (name) {
    case 'Ref':
    case 'Fn::GetAtt':
    case 'Fn::ImportValue':
      return REFERENCE_PLACEHOLDER;
    case 'Fn::Join': {
      const [separator, parts] = Array.isArray(arg) ? (arg as [unknown, unknown]) : [undefined, undefined];
      if (typeof separator !== 'string') return '?';
      // A Join over a Ref to a list (no literal parts).
      if (!Array.isArray(parts)) return intrinsic(parts) ? REFERENCE_PLACEHOLDER : '?';
      return parts.map(renderLiteral).join(separator);
    }
    case 'Fn::Sub': {
      const [template, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? arg : [];
      if (typeof template !== 'string') return '?';
      const vars = isRecord(variables) ? variables : {};
      return template.replace(/\$\{([^}!][^}]*)\}/g, (_, variable: string) =>
        variable in vars ? renderLiteral(vars[variable]) : REFERENCE_PLACEHOLDER
      );
    }
    case 'Fn::Base64':
      return renderLiteral(arg);
    case 'Fn::Select': {
      const [index, list] = Array.isArray(arg) ? (arg as [unknown, unknown]) : [undefined, undefined];
      if (Array.isArray(list) && typeof index === 'number') return renderLiteral(list[index]);
      return intrinsic(list) ? REFERENCE_PLACEHOLDER : '?';
    }
    default:
      return '?';
  }
}

/**
 * Whether a value may stand where a secret goes: a dynamic reference (possibly built by Join/Sub),
 * a pure reference, or an empty/absent value. Any literal text makes it a literal secret.
 */
export function isSafeSecretValue(value: unknown): boolean {
  if (value === undefined || value === null || typeof value === 'boolean') return true;
  const fn = intrinsic(value);
  if (fn && fn[0] === 'Fn::If' && Array.isArray(fn[1])) {
    const [, whenTrue, whenFalse] = fn[1] as unknown[];
    return isSafeSecretValue(whenTrue) && isSafeSecretValue(whenFalse);
  }
  const text = renderLiteral(value);
  return DYNAMIC_REFERENCE.test(text) || text.split(REFERENCE_PLACEHOLDER).join('') === '';
}

/** A value (as opposed to a nested structure) that could carry a literal secret. */
function isScalarOrIntrinsic(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || intrinsic(value) !== undefined;
}

function mask(text: string): string {
  const visible = text.split(REFERENCE_PLACEHOLDER).join('<ref>');
  return visible.length <= 12
    ? `${visible.slice(0, 3)}…`
    : `${visible.slice(0, 8)}…(${visible.length} chars)`;
}

/** Text rules over any file's content. */
export function scanText(file: string, text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const rule of TEXT_RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      const line = text.slice(0, match.index).split('\n').length;
      // PEM headers are not secret themselves: show them whole.
      const excerpt = rule.id === 'private-key' ? match[0] : mask(match[0]);
      findings.push({ file, rule: rule.id, location: `line ${line}`, excerpt });
    }
  }
  return findings;
}

/**
 * The key/value rule over a parsed template (or buildspec): a secret-named property, parameter
 * default, output or Name/Value pair holding literal text, an AWS::ApiGateway::ApiKey with a
 * Value, and the same inside JSON documents embedded as strings (build specs, policies).
 */
export function scanTemplate(file: string, template: unknown): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const report = (rule: string, location: string, value: unknown) =>
    findings.push({ file, rule, location, excerpt: mask(renderLiteral(value)) });

  if (isRecord(template)) {
    for (const [id, parameter] of Object.entries(isRecord(template.Parameters) ? template.Parameters : {})) {
      if (isSensitiveName(id) && isRecord(parameter) && !isSafeSecretValue(parameter.Default)) {
        report('literal-secret-parameter-default', `Parameters.${id}.Default`, parameter.Default);
      }
    }
    for (const [id, resource] of Object.entries(isRecord(template.Resources) ? template.Resources : {})) {
      if (!isRecord(resource) || resource.Type !== 'AWS::ApiGateway::ApiKey') continue;
      const value = isRecord(resource.Properties) ? resource.Properties.Value : undefined;
      // API Gateway generates the key when Value is absent; a value set here must come from Secrets
      // Manager by dynamic reference (the API canary's key), anything else is in the template.
      if (!isSafeSecretValue(value)) report('api-key-value', `Resources.${id}.Properties.Value`, value);
    }
    for (const [id, output] of Object.entries(isRecord(template.Outputs) ? template.Outputs : {})) {
      if (isSensitiveName(id) && isRecord(output) && !isSafeSecretValue(output.Value)) {
        report('literal-secret-output', `Outputs.${id}.Value`, output.Value);
      }
    }
  }

  const walk = (node: unknown, at: string, parentName: string): void => {
    if (typeof node === 'string') {
      const trimmed = node.trimStart();
      if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        let embedded: unknown;
        try {
          embedded = JSON.parse(node);
        } catch {
          return;
        }
        walk(embedded, `${at}<json>`, '');
      }
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${at}[${i}]`, parentName));
      return;
    }
    if (!isRecord(node)) return;

    // { Name|Key: 'DB_PASSWORD', Value: 'literal', Type?: 'PLAINTEXT' } (CodeBuild variables, tags...).
    const pairName = typeof node.Name === 'string' ? node.Name : typeof node.Key === 'string' ? node.Key : '';
    if (
      pairName &&
      'Value' in node &&
      isSensitiveName(pairName) &&
      !(typeof node.Type === 'string' && REFERENCE_VARIABLE_TYPES.has(node.Type)) &&
      !isSafeSecretValue(node.Value)
    ) {
      report('literal-secret-property', `${at}{${pairName}}.Value`, node.Value);
    }

    const valuesAreNoSecrets = NAME_ONLY_MAPS.has(normalizedName(parentName));
    for (const [key, value] of Object.entries(node)) {
      const location = at ? `${at}.${key}` : key;
      if (
        !valuesAreNoSecrets &&
        isSensitiveName(key) &&
        isScalarOrIntrinsic(value) &&
        !isSafeSecretValue(value)
      ) {
        report('literal-secret-property', location, value);
      }
      walk(value, location, key);
    }
  };
  walk(template, '', '');
  return findings;
}

const TEMPLATE_FILE = /\.template\.json$/;
const BUILDSPEC_FILE = /(?:^|\/)buildspec[^/]*\.ya?ml$/;

/** Every rule that applies to a file of this name: text rules always, key/value on configuration. */
export function scanFileContent(file: string, text: string): SecretFinding[] {
  const findings = scanText(file, text);
  let parsed: unknown;
  try {
    if (TEMPLATE_FILE.test(file)) parsed = JSON.parse(text);
    else if (BUILDSPEC_FILE.test(file)) parsed = parseYaml(text);
    else return findings;
  } catch (error) {
    // Configuration that does not parse cannot be checked: that is a finding too.
    return [...findings, { file, rule: 'unparseable-configuration', location: '', excerpt: String(error) }];
  }
  return [...findings, ...scanTemplate(file, parsed)];
}

function listFiles(root: string, dir = ''): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return listFiles(root, relative);
      return entry.isFile() ? [relative] : [];
    })
    .sort();
}

/** Reads every file under `root` (recursively) and applies `scanFileContent` to it. */
export function scanDirectory(root: string): ScanResult {
  const files = listFiles(root);
  const findings = files.flatMap((file) =>
    scanFileContent(file, fs.readFileSync(path.join(root, file), 'utf8'))
  );
  return { files, findings };
}

/** One line per finding, for a readable test failure. */
export function formatFindings(findings: readonly SecretFinding[]): string[] {
  return findings.map((f) => `${f.file} ${f.location}: ${f.rule} (${f.excerpt})`);
}
