import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments, loadPipelineConfig } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline/pipeline-stack';
import { testApp } from '../support/app';
import { type TemplateValue } from '../support/templates';
import {
  REFERENCE_PLACEHOLDER,
  type ScanResult,
  type SecretFinding,
  TEXT_RULES,
  formatFindings,
  isSafeSecretValue,
  renderLiteral,
  scanDirectory,
  scanFileContent,
} from '../support/secret-scan';

/**
 * Synthesizes the real app once, as `bin/app.ts` does, with Lambda bundling on (the bundles and
 * their source maps are what gets uploaded), and scans every file of the cloud assembly.
 */

interface SynthesizedTemplate {
  /** Relative to the assembly root. */
  readonly file: string;
  readonly template: Template;
}

let outdir: string;
let templates: SynthesizedTemplate[];
let scan: ScanResult;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-scan-'));
  const app = testApp({ bundling: true, outdir });
  new PipelineStack(app, 'PipelineStack', {
    pipelineConfig: loadPipelineConfig(app.node),
    environments: loadEnvironments(app.node),
  });
  const assembly = app.synth();
  templates = assembly.stacksRecursively.map((stack) => ({
    file: path.relative(outdir, stack.templateFullPath),
    template: Template.fromJSON(stack.template as Record<string, unknown>),
  }));
  scan = scanDirectory(outdir);
}, 120_000);

afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
});

const resourcesOfType = (type: string) =>
  templates.flatMap(({ file, template }) =>
    Object.entries(template.findResources(type)).map(([id, r]) => ({
      file,
      id,
      properties: r.Properties ?? {},
    }))
  );
/** The generated secret a resource of `file` refers to. */
const secretIn = (file: string, logicalId: string): TemplateValue =>
  templates.find((t) => t.file === file)!.template.findResources('AWS::SecretsManager::Secret')[logicalId];

describe('the synthesized cloud assembly', () => {
  test('is scanned whole: the pipeline and every stage template, each Lambda bundle with its source map, the buildspec', () => {
    // PipelineStack + Networking, Database, ServerlessApi, Monitoring in dev, staging and prod.
    expect(templates.length).toBeGreaterThanOrEqual(13);
    for (const stage of ['Dev', 'Staging', 'Prod']) {
      const inStage = templates.filter((t) => t.file.startsWith(`assembly-PipelineStack-${stage}/`));
      for (const stack of ['Networking', 'Database', 'ServerlessApi', 'Monitoring']) {
        expect(inStage.map((t) => t.file)).toContainEqual(expect.stringContaining(`${stage}${stack}`));
      }
    }
    expect(scan.files).toEqual(expect.arrayContaining(templates.map((t) => t.file)));

    // Every Lambda function whose code is a file asset: its asset directory was read.
    const functions = resourcesOfType('AWS::Lambda::Function');
    const assetDirs = functions.flatMap(({ properties }) => {
      const key: unknown = properties.Code?.S3Key;
      return typeof key === 'string' && key.endsWith('.zip')
        ? [`asset.${key.slice(0, -'.zip'.length)}/`]
        : [];
    });
    expect(assetDirs.length).toBeGreaterThan(0);
    for (const dir of new Set(assetDirs)) {
      expect(scan.files.filter((f) => f.startsWith(dir))).not.toEqual([]);
    }

    // Our esbuild bundles (source maps on): both the code and its map, where original sources live.
    const bundles = functions.filter(
      ({ properties }) => properties.Environment?.Variables?.NODE_OPTIONS === '--enable-source-maps'
    );
    expect(bundles.length).toBeGreaterThanOrEqual(7);
    for (const { properties } of bundles) {
      const hash = String(properties.Code.S3Key).replace(/\.zip$/, '');
      expect(scan.files).toEqual(
        expect.arrayContaining([`asset.${hash}/index.js`, `asset.${hash}/index.js.map`])
      );
    }
    expect(scan.files.some((f) => /(^|\/)buildspec[^/]*\.ya?ml$/.test(f))).toBe(true);
  });

  test('contains no secret literal in any file', () => {
    expect(formatFindings(scan.findings)).toEqual([]);
  });

  test('passes the Redis AUTH token as a Secrets Manager dynamic reference to a generated secret', () => {
    const groups = resourcesOfType('AWS::ElastiCache::ReplicationGroup');
    expect(groups.map((g) => g.file.split('/')[0])).toEqual(
      expect.arrayContaining([
        'assembly-PipelineStack-Dev',
        'assembly-PipelineStack-Staging',
        'assembly-PipelineStack-Prod',
      ])
    );
    for (const { file, properties } of groups) {
      expect(renderLiteral(properties.AuthToken)).toBe(
        `{{resolve:secretsmanager:${REFERENCE_PLACEHOLDER}:SecretString:token::}}`
      );
      const secretId = properties.AuthToken['Fn::Join'][1][1].Ref as string;
      expect(secretIn(file, secretId)?.Properties).toHaveProperty(
        'GenerateSecretString.GenerateStringKey',
        'token'
      );
    }
  });

  test("gives the canary user's provider the secret's ARN only: no password, not even by reference", () => {
    const users = resourcesOfType('Custom::ApiCanaryUser');
    expect(users).toHaveLength(3);
    for (const { file, properties } of users) {
      expect(JSON.stringify(properties)).not.toMatch(/resolve:|password/i);
      const secretId = properties.UserSecretArn.Ref as string;
      expect(secretIn(file, secretId)?.Properties).toHaveProperty(
        'GenerateSecretString.GenerateStringKey',
        'password'
      );
    }
  });

  test('every Secrets Manager secret is generated by the service, never given a SecretString', () => {
    const secrets = resourcesOfType('AWS::SecretsManager::Secret');
    expect(secrets.length).toBeGreaterThan(0);
    for (const { file, id, properties } of secrets) {
      expect({ file, id, SecretString: properties.SecretString }).toEqual({
        file,
        id,
        SecretString: undefined,
      });
      expect(properties.GenerateSecretString).toBeDefined();
    }
  });

  test('no API key carries a literal value: API Gateway generates it, or Secrets Manager (the canary key)', () => {
    const apiKeys = resourcesOfType('AWS::ApiGateway::ApiKey');
    expect(apiKeys.length).toBeGreaterThanOrEqual(3);
    expect(
      apiKeys
        .filter((k) => 'Value' in k.properties && !isSafeSecretValue(k.properties.Value))
        .map((k) => `${k.file} ${k.id}`)
    ).toEqual([]);
    // The canary's key, one per environment, is the only one with a value: a dynamic reference.
    expect(apiKeys.filter((k) => 'Value' in k.properties)).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------
// The scanner itself: planted secrets must be reported, or the scan above could pass silently.
// Fake values are assembled at run time so this file never holds a credential-shaped literal.
// ---------------------------------------------------------------------------------------------

const FAKE = {
  accessKeyId: ['AKIA', 'QW3RTY7UIOPASDF5'].join(''),
  sessionKeyId: ['ASIA', 'ZXCVBNM123456789'].join(''),
  secretAccessKey: ['wJalrXUtnFEMI/K7MDENG', '/bPxRfiCY', 'F'.repeat(10)].join(''),
  slackWebhook: ['https://hooks.slack.com/services/', 'T0FAKE000/B0FAKE000/', 'x'.repeat(24)].join(''),
  slackToken: ['xoxb', '1234567890', 'fakefakefake'].join('-'),
  discordWebhook: ['https://discord.com/api/webhooks/', '123456789012', '/', 'a'.repeat(40)].join(''),
  teamsWebhook: ['https://acme.webhook.office.com/webhookb2/', 'f'.repeat(36), '@', 'e'.repeat(36)].join(''),
  pemHeader: ['-----BEGIN', 'RSA PRIVATE KEY-----'].join(' '),
  jwt: ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiJmYWtlLXVzZXIifQ', 'c2lnbmF0dXJlLWZha2U'].join('.'),
  githubToken: ['ghp', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('_'),
  stripeKey: ['sk', 'live', '0a1b2c3d4e5f6g7h8i9j0k1l'].join('_'),
};

const template = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Resources: resources, ...extra });
const resource = (Type: string, Properties: Record<string, unknown>) => ({ R: { Type, Properties } });
const rules = (findings: readonly SecretFinding[]) => findings.map((f) => f.rule);

describe('the scanner', () => {
  const planted: Array<[string, string, string, string]> = [
    [
      'an AWS access key id in a bundle',
      'asset.a/index.js',
      `var k="${FAKE.accessKeyId}";`,
      'aws-access-key-id',
    ],
    [
      'an STS key id in a map',
      'asset.a/index.js.map',
      `{"sourcesContent":["${FAKE.sessionKeyId}"]}`,
      'aws-access-key-id',
    ],
    [
      'a secret access key next to its name (JSON-escaped in a source map)',
      'asset.a/index.js.map',
      `{"sourcesContent":["const c = { secretAccessKey: \\"${FAKE.secretAccessKey}\\" };"]}`,
      'aws-secret-access-key',
    ],
    [
      'an aws_secret_access_key in a buildspec',
      'buildspec-x.yaml',
      `env:\n  variables:\n    AWS_SECRET_ACCESS_KEY=${FAKE.secretAccessKey}\n`,
      'aws-secret-access-key',
    ],
    [
      'a Slack webhook in a buildspec',
      'buildspec-x.yaml',
      `env:\n  variables:\n    HOOK: ${FAKE.slackWebhook}\n`,
      'slack-webhook-url',
    ],
    ['a Slack token', 'asset.a/index.js', `t="${FAKE.slackToken}"`, 'slack-token'],
    ['a Discord webhook', 'asset.a/index.js', `u="${FAKE.discordWebhook}"`, 'discord-webhook-url'],
    ['a Teams webhook', 'manifest.json', `{"u":"${FAKE.teamsWebhook}"}`, 'teams-webhook-url'],
    ['a PEM private key', 'asset.a/index.js', `const pem = "${FAKE.pemHeader}\\nMIIEfake";`, 'private-key'],
    ['a JWT', 'X.metadata.json', `{"token":"${FAKE.jwt}"}`, 'jwt'],
    ['a GitHub token', 'asset.a/index.js', `h={Authorization:"token ${FAKE.githubToken}"}`, 'github-token'],
    ['a Stripe live key', 'asset.a/index.js', `s("${FAKE.stripeKey}")`, 'stripe-secret-key'],
    [
      'a literal Redis AuthToken',
      'S.template.json',
      template(resource('AWS::ElastiCache::ReplicationGroup', { AuthToken: 'my-secure-auth-token-here' })),
      'literal-secret-property',
    ],
    [
      'a MasterUserPassword joined from literals',
      'S.template.json',
      template(
        resource('AWS::RDS::DBInstance', { MasterUserPassword: { 'Fn::Join': ['', ['hun', 'ter2']] } })
      ),
      'literal-secret-property',
    ],
    [
      'a literal SecretString',
      'S.template.json',
      template(resource('AWS::SecretsManager::Secret', { SecretString: '{"password":"x"}' })),
      'literal-secret-property',
    ],
    [
      'a password in a secret template string',
      'S.template.json',
      template(
        resource('AWS::SecretsManager::Secret', {
          GenerateSecretString: { SecretStringTemplate: '{"username":"u","password":"p4ss"}' },
        })
      ),
      'literal-secret-property',
    ],
    [
      'a Fn::Sub with literal text',
      'S.template.json',
      template(resource('AWS::RDS::DBInstance', { MasterUserPassword: { 'Fn::Sub': 'pw-${AWS::Region}' } })),
      'literal-secret-property',
    ],
    [
      'a value read from Mappings',
      'S.template.json',
      template(
        resource('AWS::RDS::DBInstance', { MasterUserPassword: { 'Fn::FindInMap': ['M', 'k', 'v'] } })
      ),
      'literal-secret-property',
    ],
    [
      'a literal API key value',
      'S.template.json',
      template(resource('AWS::ApiGateway::ApiKey', { Value: 'client-key-0123456789abcdef' })),
      'api-key-value',
    ],
    [
      'a literal in a Lambda environment variable',
      'S.template.json',
      template(
        resource('AWS::Lambda::Function', { Environment: { Variables: { STRIPE_API_KEY: 'abc123' } } })
      ),
      'literal-secret-property',
    ],
    [
      'a plaintext CodeBuild variable',
      'S.template.json',
      template(
        resource('AWS::CodeBuild::Project', {
          Environment: { EnvironmentVariables: [{ Name: 'GITHUB_TOKEN', Type: 'PLAINTEXT', Value: 'abc' }] },
        })
      ),
      'literal-secret-property',
    ],
    [
      'a literal in a build spec embedded as JSON',
      'S.template.json',
      template(
        resource('AWS::CodeBuild::Project', {
          Source: { BuildSpec: JSON.stringify({ env: { variables: { DB_PASSWORD: 'changeme' } } }) },
        })
      ),
      'literal-secret-property',
    ],
    [
      'a parameter default',
      'S.template.json',
      template({}, { Parameters: { DbPassword: { Type: 'String', Default: 'changeme' } } }),
      'literal-secret-parameter-default',
    ],
    [
      'an output',
      'S.template.json',
      template({}, { Outputs: { AdminPassword: { Value: 'changeme' } } }),
      'literal-secret-output',
    ],
    [
      'a buildspec variable',
      'buildspec-x.yaml',
      'env:\n  variables:\n    DB_PASSWORD: changeme\n',
      'literal-secret-property',
    ],
  ];

  test.each(planted)('reports %s', (_, file, content, rule) => {
    expect(rules(scanFileContent(file, content))).toContain(rule);
  });

  test('has a planted sample for every text rule', () => {
    const covered = new Set(planted.map(([, , , rule]) => rule));
    expect(TEXT_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  const clean: Array<[string, string, string]> = [
    [
      'SDK and Powertools identifiers in a bundle (the key/value rule is for configuration only)',
      'asset.a/index.js',
      'a.secretAccessKey=e.SecretAccessKey;const password=process.env.PASSWORD,token=t.token;' +
        'var api_key=o.apiKey;"https://hooks.slack.com/services/...";',
    ],
    [
      'dynamic references, references and generated secrets in a template',
      'S.template.json',
      template(
        {
          Redis: {
            Type: 'AWS::ElastiCache::ReplicationGroup',
            Properties: {
              AuthToken: {
                'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'Token' }, ':SecretString:token::}}']],
              },
            },
          },
          Db: {
            Type: 'AWS::RDS::DBInstance',
            Properties: {
              MasterUserPassword:
                '{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:x:SecretString:password::}}',
              MasterUsername: { 'Fn::If': ['C', { Ref: 'A' }, { Ref: 'AWS::NoValue' }] },
            },
          },
          Token: {
            Type: 'AWS::SecretsManager::Secret',
            Properties: {
              GenerateSecretString: {
                SecretStringTemplate: '{"username":"dbadmin"}',
                GenerateStringKey: 'password',
                PasswordLength: 64,
              },
            },
          },
          Key: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: true } },
          Client: {
            Type: 'AWS::Cognito::UserPoolClient',
            Properties: {
              GenerateSecret: false,
              TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
              RefreshTokenValidity: 30,
            },
          },
          Fn: {
            Type: 'AWS::Lambda::Function',
            Properties: {
              Environment: { Variables: { SLACK_WEBHOOK_SECRET_ARN: { Ref: 'Token' } } },
            },
          },
          Custom: {
            Type: 'Custom::X',
            Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:1:function:f' },
          },
          Build: {
            Type: 'AWS::CodeBuild::Project',
            Properties: {
              Environment: {
                EnvironmentVariables: [{ Name: 'GITHUB_TOKEN', Type: 'SECRETS_MANAGER', Value: 'gh:token' }],
              },
            },
          },
        },
        { Parameters: { DbPassword: { Type: 'String', NoEcho: true } } }
      ),
    ],
    [
      'a buildspec naming its secrets',
      'buildspec-x.yaml',
      'env:\n  secrets-manager:\n    DB_PASSWORD: prod/db:password\n  parameter-store:\n    API_KEY: /app/key\n',
    ],
  ];

  test.each(clean)('does not report %s', (_, file, content) => {
    expect(formatFindings(scanFileContent(file, content))).toEqual([]);
  });

  test('walks a whole directory tree: bundles, maps, templates and buildspecs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-scan-planted-'));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      };
      write('asset.abc/index.js', `var k="${FAKE.accessKeyId}";`);
      write('asset.abc/index.js.map', `{"sourcesContent":["const pem = \\"${FAKE.pemHeader}\\""]}`);
      write('buildspec-abc.yaml', `phases:\n  build:\n    commands:\n      - curl ${FAKE.slackWebhook}\n`);
      write(
        'assembly-X/S.template.json',
        template(resource('AWS::ElastiCache::ReplicationGroup', { AuthToken: 'literal-token' }))
      );
      write('assembly-X/clean.txt', 'nothing to see');

      const result = scanDirectory(dir);
      expect(result.files).toHaveLength(5);
      expect(result.findings.map((f) => `${f.file}: ${f.rule}`).sort()).toEqual([
        'assembly-X/S.template.json: literal-secret-property',
        'asset.abc/index.js.map: private-key',
        'asset.abc/index.js: aws-access-key-id',
        'buildspec-abc.yaml: slack-webhook-url',
      ]);
      // Findings mask what they found.
      expect(JSON.stringify(result.findings)).not.toContain(FAKE.accessKeyId);
      expect(JSON.stringify(result.findings)).not.toContain(FAKE.slackWebhook);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
