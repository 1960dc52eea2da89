import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { type IConstruct } from 'constructs';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../../lib/config';
import {
  CANARY_ARTIFACTS_EXPIRATION,
  CANARY_RUNTIME,
  CANARY_USERNAME,
  canaryCode,
} from '../../../lib/constructs/api-canary';
import { FUNCTION_RUNTIME } from '../../../lib/constructs/app-function';
import {
  CANARY_USER_PROVIDER_ACTIONS,
  CANARY_USER_RESOURCE_TYPE,
  CANARY_USER_SERVICE_TIMEOUT,
} from '../../../lib/constructs/canary-user';
import { templateOf } from '../../support/app';
import { configs, stages } from './stages-fixture';

/**
 * The API canary (CloudWatch Synthetics) of every environment: what it runs, how often, with which
 * credentials, where its artifacts go, and the Monitoring stack's alarm on it. The deploy guard on
 * it is asserted with the other guards (suites/canary-deployment.ts).
 */
const ALL_ENVS = ENVIRONMENT_NAMES.map((env) => [env] as const);
const api = (env: EnvironmentName) => templateOf(stages[env].api);
const monitoring = (env: EnvironmentName) => templateOf(stages[env].monitoring);
const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

describe('the canary', () => {
  test.each(ALL_ENVS)('%s: one canary, the newest Node.js runtime, on the configured schedule', (env) => {
    api(env).resourceCountIs('AWS::Synthetics::Canary', 1);
    api(env).hasResourceProperties('AWS::Synthetics::Canary', {
      Name: `${env}-api`,
      RuntimeVersion: CANARY_RUNTIME.name,
      Schedule: { Expression: `rate(${configs[env].synthetics.schedule.toMinutes()} minutes)` },
      StartCanaryAfterCreation: true,
      Code: { Handler: 'index.handler', Script: canaryCode() },
      ProvisionedResourceCleanup: 'AUTOMATIC',
    });
    expect(configs[env].synthetics.schedule.toMinutes()).toBe(5);
  });

  test('runs the code from canaries/api bundled as CommonJS with the AWS SDK left to the runtime', () => {
    const code = canaryCode();
    expect(code).toMatch(/AWSCognitoIdentityProviderService\.InitiateAuth/);
    expect(code).toMatch(/module\.exports/);
    expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
    expect(code.length).toBeLessThan(64 * 1024);
  });

  test('its code only signs in: no Cognito admin call, no Cognito SDK client', () => {
    const code = canaryCode();
    expect(code).not.toMatch(/Admin[A-Z]\w*(Command)?/);
    expect(code).not.toMatch(/client-cognito-identity-provider/);
  });

  test.each(ALL_ENVS)('%s: gets the API URL, the client and the secret ARNs, never a secret value', (env) => {
    const { canary, userSecret, apiKeySecret } = stages[env].api.canary;
    const resource = api(env).toJSON().Resources[logicalId(canary)] as {
      Properties: { RunConfig: { EnvironmentVariables: Record<string, unknown> } };
    };
    const vars = resource.Properties.RunConfig.EnvironmentVariables;
    expect(Object.keys(vars).sort()).toEqual([
      'API_KEY_SECRET_ARN',
      'API_URL',
      'USER_POOL_CLIENT_ID',
      'USER_SECRET_ARN',
    ]);
    expect(vars.USER_SECRET_ARN).toEqual({ Ref: logicalId(userSecret) });
    expect(vars.API_KEY_SECRET_ARN).toEqual({ Ref: logicalId(apiKeySecret) });
    expect(JSON.stringify(vars)).not.toMatch(/resolve:secretsmanager/);
  });

  test.each(ALL_ENVS)('%s: its role reads its two secrets, and has no Cognito permission at all', (env) => {
    const { canary, userSecret, apiKeySecret } = stages[env].api.canary;
    api(env).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(canary.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: [{ Ref: logicalId(apiKeySecret) }, { Ref: logicalId(userSecret) }],
          }),
        ]),
      },
    });
    const actions = roleActions(env, logicalId(canary.role));
    expect(actions.filter((action) => /^cognito-idp:/i.test(action) || action === '*')).toEqual([]);
    expect(actions.filter((action) => /^cognito-idp:Admin/i.test(action))).toEqual([]);
    // What a run needs: its two secrets, its artifacts, its logs and metrics (the Canary construct's).
    expect(actions.sort()).toEqual([
      'cloudwatch:PutMetricData',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetBucketLocation',
      's3:ListAllMyBuckets',
      's3:PutObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  test.each(ALL_ENVS)('%s: is created after its user exists (its first run signs in)', (env) => {
    const { canary, user } = stages[env].api.canary;
    const resource = api(env).toJSON().Resources[logicalId(canary)] as { DependsOn?: string[] };
    expect(resource.DependsOn).toEqual(expect.arrayContaining([logicalId(user.resource)]));
  });
});

/** Every action any policy attached to the role (inline or AWS::IAM::Policy) allows. */
function roleActions(env: EnvironmentName, roleId: string): string[] {
  const resources = api(env).toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  type Statement = { Effect: string; Action: string | string[] };
  const documents: { Statement: Statement[] }[] = [];
  const role = resources[roleId]!;
  for (const policy of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
    documents.push(policy.PolicyDocument);
  }
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  for (const resource of Object.values(resources)) {
    const roles = resource.Properties.Roles as unknown[] | undefined;
    if (resource.Type === 'AWS::IAM::Policy' && JSON.stringify(roles).includes(`"${roleId}"`)) {
      documents.push(resource.Properties.PolicyDocument as { Statement: Statement[] });
    }
  }
  return documents
    .flatMap((document) => document.Statement)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => [statement.Action].flat());
}

describe('the canary user, provisioned at deploy (Custom::ApiCanaryUser)', () => {
  test.each(ALL_ENVS)(
    '%s: one resource, on this pool, this username and the user secret, answered by its provider',
    (env) => {
      const { user, userSecret } = stages[env].api.canary;
      api(env).resourceCountIs(CANARY_USER_RESOURCE_TYPE, 1);
      const resource = api(env).toJSON().Resources[logicalId(user.resource)] as {
        Type: string;
        Properties: Record<string, unknown>;
      };
      expect(resource.Type).toBe(CANARY_USER_RESOURCE_TYPE);
      expect(resource.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [logicalId(user.provider.function), 'Arn'] },
        ServiceTimeout: String(CANARY_USER_SERVICE_TIMEOUT.toSeconds()),
        UserPoolId: { Ref: logicalId(stages[env].api.userPool) },
        Username: CANARY_USERNAME,
        // The ARN, never the value: the provider reads the password itself.
        UserSecretArn: { Ref: logicalId(userSecret) },
      });
    }
  );

  test.each(ALL_ENVS)('%s: no password reaches the template: no dynamic reference, no literal', (env) => {
    const { user } = stages[env].api.canary;
    const json = JSON.stringify(api(env).toJSON().Resources[logicalId(user.resource)]);
    expect(json).not.toMatch(/resolve:secretsmanager/);
    expect(json).not.toMatch(/password/i);
    const provider = JSON.stringify(api(env).toJSON().Resources[logicalId(user.provider.function)]);
    expect(provider).not.toMatch(/resolve:secretsmanager/);
  });

  test.each(ALL_ENVS)(
    '%s: its provider is the one user, by environment: this pool, this username, the secret ARN',
    (env) => {
      const { user, userSecret } = stages[env].api.canary;
      api(env).hasResourceProperties('AWS::Lambda::Function', {
        Runtime: FUNCTION_RUNTIME.name,
        Environment: {
          Variables: Match.objectLike({
            USER_POOL_ID: { Ref: logicalId(stages[env].api.userPool) },
            CANARY_USERNAME: CANARY_USERNAME,
            USER_SECRET_ARN: { Ref: logicalId(userSecret) },
          }),
        },
        Role: { 'Fn::GetAtt': [logicalId(user.provider.role), 'Arn'] },
      });
    }
  );

  test.each(ALL_ENVS)(
    "%s: its provider's role may create, set the password of and delete users in this pool, and read the user secret",
    (env) => {
      const { user, userSecret } = stages[env].api.canary;
      api(env).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(user.provider.role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: [...CANARY_USER_PROVIDER_ACTIONS].sort(),
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [logicalId(stages[env].api.userPool), 'Arn'] },
            },
            Match.objectLike({
              Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
              Resource: { Ref: logicalId(userSecret) },
            }),
          ]),
        },
      });
      expect(roleActions(env, logicalId(user.provider.role)).sort()).toEqual([
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminSetUserPassword',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  );

  test.each(ALL_ENVS)('%s: the resource is deleted before its provider (Delete removes the user)', (env) => {
    const { user } = stages[env].api.canary;
    const resource = api(env).toJSON().Resources[logicalId(user.resource)] as { DependsOn?: string[] };
    expect(resource.DependsOn).toEqual(
      expect.arrayContaining([logicalId(user.provider.function), logicalId(user.provider.role)])
    );
  });
});

describe('credentials', () => {
  test.each(ALL_ENVS)('%s: the user password is generated by Secrets Manager beside the username', (env) => {
    api(env).hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ username: CANARY_USERNAME }),
        GenerateStringKey: 'password',
        RequireEachIncludedType: true,
      },
    });
  });

  test.each(ALL_ENVS)(
    "%s: the canary's API key takes its generated value by dynamic reference, in its own usage plan",
    (env) => {
      const { apiKey, apiKeySecret, usagePlan } = stages[env].api.canary;
      api(env).hasResourceProperties('AWS::ApiGateway::ApiKey', {
        Value: {
          'Fn::Join': [
            '',
            ['{{resolve:secretsmanager:', { Ref: logicalId(apiKeySecret) }, ':SecretString:::}}'],
          ],
        },
      });
      api(env).hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
        KeyId: { Ref: logicalId(apiKey) },
        UsagePlanId: { Ref: logicalId(usagePlan) },
      });
    }
  );
});

describe('artifacts bucket', () => {
  test.each(ALL_ENVS)(
    '%s: encrypted, private, SSL-only, expiring; the canary writes there encrypted',
    (env) => {
      const { artifactsBucket, canary } = stages[env].api.canary;
      const bucketId = logicalId(artifactsBucket);
      api(env).hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [{ ExpirationInDays: CANARY_ARTIFACTS_EXPIRATION.toDays(), Status: 'Enabled' }],
        },
      });
      api(env).hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      const resource = api(env).toJSON().Resources[logicalId(canary)] as {
        Properties: Record<string, unknown>;
      };
      expect(resource.Properties).toMatchObject({
        ArtifactConfig: { S3Encryption: { EncryptionMode: 'SSE_S3' } },
        ArtifactS3Location: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }]] },
      });
    }
  );
});

describe('the notifying alarm (Monitoring stack)', () => {
  test.each(ALL_ENVS)(
    "%s: fires below the configured SuccessPercent, on the canary's runs, and notifies the alarm topic",
    (env) => {
      const { monitoring: stack } = stages[env];
      const topic = { Ref: logicalId(stack.alarmTopic) };
      monitoring(env).hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${env}-API-Canary`,
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'SuccessPercent',
        Dimensions: [{ Name: 'CanaryName', Value: Match.anyValue() }],
        Threshold: configs[env].synthetics.successPercentThreshold,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  );
});
