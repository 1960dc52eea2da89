import * as path from 'node:path';
import { Duration, type RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { type FunctionConfig } from './app-function';
import { CanaryUser } from './canary-user';
import { controlTowerRule } from '../config/rule-packs';

/** The newest Node.js Synthetics runtime of the installed aws-cdk-lib (Node.js 22, SDK v3 included). */
/**
 * Control Tower controls that fit long-lived data, not a canary's short-lived run artifacts
 * (screenshots, HAR files, logs of synthetic requests by a test user, never customer data).
 */
const CANARY_ARTIFACTS_CONTROL_TOWER_FINDINGS = [
  {
    id: controlTowerRule('s3_bucket_default_encryption_kms_check'),
    reason:
      'SSE-S3 encrypts the canary run artifacts at rest; a customer key would add a key-policy grant ' +
      'for the Synthetics role and cost, and protect nothing a test run produces.',
  },
  {
    id: controlTowerRule('s3_bucket_logging_enabled_check'),
    reason:
      "Only the canary's own role writes here; CloudTrail records access to the bucket, so server " +
      'access logs would add a log bucket and no information.',
  },
  {
    id: controlTowerRule('s3_bucket_versioning_enabled_check'),
    reason:
      'Each canary run writes new keys and never overwrites one; versions would only keep expired artifacts.',
  },
  {
    id: controlTowerRule('s3_bucket_object_lock_enabled_check'),
    reason:
      'Object Lock would stop the lifecycle rule from expiring canary run artifacts; no retention ' +
      'obligation applies to them.',
  },
  {
    id: controlTowerRule('s3_event_notifications_enabled_check'),
    reason:
      'Nothing consumes the artifacts as they arrive: the canary reports through CloudWatch metrics and alarms.',
  },
];

export const CANARY_RUNTIME = synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0;
/** The canary's source: checks.ts over a thin handler, bundled into the template at synth. */
export const CANARY_ENTRY = path.join(__dirname, '..', '..', 'canaries', 'api', 'index.ts');
/** Synthetics canary names: lowercase letters, digits, `-` and `_`, at most 21 characters. */
const CANARY_NAME = /^[0-9a-z_-]{1,21}$/;
/** Signs in as this user; `.invalid` (RFC 2606) can never be a real mailbox. Cognito sends it nothing. */
export const CANARY_USERNAME = 'api-canary@synthetics.invalid';
/** One run never takes long: two API calls and one sign-in, 10 s timeout each. */
export const CANARY_TIMEOUT = Duration.minutes(1);
/** Screenshots and HAR files of runs: a week of passes and a month of failures to compare against. */
export const CANARY_SUCCESS_RETENTION = Duration.days(7);
export const CANARY_FAILURE_RETENTION = Duration.days(31);
/** The artifacts bucket drops run artifacts after the longest retention above. */
export const CANARY_ARTIFACTS_EXPIRATION = CANARY_FAILURE_RETENTION;
/** The canary's own usage plan: a run is three requests every few minutes. */
export const CANARY_THROTTLE = { rateLimit: 1, burstLimit: 5 } as const;
const CANARY_PASSWORD_LENGTH = 32;
const CANARY_API_KEY_LENGTH = 40;

let bundledCode: string | undefined;
/** The canary bundle (CommonJS for Node.js 22; the runtime provides the AWS SDK): built once per synth. */
export function canaryCode(): string {
  bundledCode ??= buildSync({
    entryPoints: [CANARY_ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    logLevel: 'warning',
  }).outputFiles[0]?.text;
  if (!bundledCode) throw new Error(`esbuild produced no output for ${CANARY_ENTRY}`);
  return bundledCode;
}

export interface ApiCanaryProps {
  /** The environment's name: the canary is `<name>-api`; descriptions name it. */
  readonly environmentName: string;
  /** How often the canary runs (one run per interval). */
  readonly schedule: Duration;
  /** Of the artifacts bucket and the two secrets. */
  readonly removalPolicy: RemovalPolicy;
  /** Log retention and level of the canary user's provider function. */
  readonly providerLogging: Pick<FunctionConfig, 'logRetention' | 'logLevel'>;
  /** Called at `url` (`/health`, `/v1/products`); the canary's API key joins its own usage plan. */
  readonly api: apigw.RestApi;
  /** The canary user is made here at deploy ({@link CanaryUser}); the canary only signs in. */
  readonly userPool: cognito.IUserPool;
  /** The client whose ID tokens the API's authorizer accepts. */
  readonly userPoolClient: cognito.IUserPoolClient;
}

/**
 * A CloudWatch Synthetics canary that calls the API like a client, on the configured schedule:
 * GET /health, sign in to Cognito as a dedicated canary user, and GET /v1/products with the ID
 * token and the canary's own API key. A run fails on any unexpected answer; the SuccessPercent of
 * the runs is what the deploy guard and the Monitoring stack's alarm watch.
 *
 * Credentials without secrets in code: the canary user's password and the canary's API key are
 * generated by Secrets Manager at deploy (the key reaches API Gateway as a dynamic reference, never
 * in the template). The canary user is made at deploy too, before the canary exists, by a custom
 * resource ({@link CanaryUser}) that sets its password from the secret. The canary's role can only
 * read its two secrets (and write its artifacts and metrics): no Cognito admin action, which IAM
 * could not scope to one user. At run time the canary reads both secrets and signs in like any
 * client (InitiateAuth needs no IAM permission); a refused password fails the run, which alarms.
 */
export class ApiCanary extends Construct {
  public readonly canary: synthetics.Canary;
  /** Run artifacts (logs, HAR files): encrypted, SSL-only, expiring. */
  public readonly artifactsBucket: s3.Bucket;
  /** `{"username", "password"}` of the canary user. */
  public readonly userSecret: secretsmanager.Secret;
  /** Makes the canary user at deploy, from {@link userSecret}; the canary is created after it. */
  public readonly user: CanaryUser;
  /** The value of the canary's API key. */
  public readonly apiKeySecret: secretsmanager.Secret;
  public readonly apiKey: apigw.ApiKey;
  public readonly usagePlan: apigw.UsagePlan;

  private readonly schedule: Duration;

  constructor(scope: Construct, id: string, props: ApiCanaryProps) {
    super(scope, id);
    const { environmentName, removalPolicy, api } = props;
    this.schedule = props.schedule;
    const canaryName = `${environmentName}-api`;
    if (!CANARY_NAME.test(canaryName)) {
      throw new Error(`canary name must match ${CANARY_NAME.source}, got ${JSON.stringify(canaryName)}`);
    }

    this.artifactsBucket = new s3.Bucket(this, 'ArtifactsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: CANARY_ARTIFACTS_EXPIRATION }],
      // Like every stateful resource; in dev, deleting the stack needs the bucket emptied first.
      removalPolicy,
    });
    Validations.of(this.artifactsBucket).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason:
          "Only the canary's own role writes run artifacts (logs, HAR files) here, and they expire after " +
          `${CANARY_ARTIFACTS_EXPIRATION.toDays()} days; CloudTrail records access to the bucket.`,
      },
      ...CANARY_ARTIFACTS_CONTROL_TOWER_FINDINGS
    );

    this.userSecret = new secretsmanager.Secret(this, 'UserSecret', {
      description: `Sign-in of the ${environmentName} API canary's Cognito user`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: CANARY_USERNAME }),
        generateStringKey: 'password',
        passwordLength: CANARY_PASSWORD_LENGTH,
        // Upper, lower, digit and symbol: the user pool's password policy requires each.
        requireEachIncludedType: true,
      },
      removalPolicy,
    });
    this.apiKeySecret = new secretsmanager.Secret(this, 'ApiKeySecret', {
      description: `Value of the ${environmentName} API canary's API key`,
      generateSecretString: { excludePunctuation: true, passwordLength: CANARY_API_KEY_LENGTH },
      removalPolicy,
    });
    Validations.of(this.userSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "A rotation function would need Cognito admin rights on the customers' pool all year; instead " +
        'the password changes by a deploy that replaces this secret (new value, new ARN), which the ' +
        'CanaryUser resource then sets on the user. The user is an ordinary customer of the API.',
    });
    Validations.of(this.apiKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An API key identifies a client for throttling, it does not authenticate (the Cognito token does); ' +
        'API Gateway reads it at deploy through a dynamic reference, so it is rotated by a new value and a deploy.',
    });

    this.user = new CanaryUser(this, 'User', {
      functionConfig: { name: environmentName, removalPolicy, ...props.providerLogging },
      userPool: props.userPool,
      username: CANARY_USERNAME,
      secret: this.userSecret,
    });

    this.apiKey = new apigw.ApiKey(this, 'ApiKey', {
      description: `The ${environmentName} API canary`,
      value: this.apiKeySecret.secretValue.unsafeUnwrap(),
    });
    this.usagePlan = new apigw.UsagePlan(this, 'UsagePlan', {
      description: 'The API canary alone: identifies its requests in the usage metrics',
      apiStages: [{ api, stage: api.deploymentStage }],
      throttle: CANARY_THROTTLE,
    });
    this.usagePlan.addApiKey(this.apiKey);

    this.canary = new synthetics.Canary(this, 'Canary', {
      canaryName,
      runtime: CANARY_RUNTIME,
      test: synthetics.Test.custom({
        code: synthetics.Code.fromInline(canaryCode()),
        handler: 'index.handler',
      }),
      schedule: synthetics.Schedule.rate(props.schedule),
      timeout: CANARY_TIMEOUT,
      environmentVariables: {
        API_URL: api.url,
        USER_POOL_CLIENT_ID: props.userPoolClient.userPoolClientId,
        USER_SECRET_ARN: this.userSecret.secretArn,
        API_KEY_SECRET_ARN: this.apiKeySecret.secretArn,
      },
      artifactsBucketLocation: { bucket: this.artifactsBucket },
      artifactS3EncryptionMode: synthetics.ArtifactsEncryptionMode.S3_MANAGED,
      successRetentionPeriod: CANARY_SUCCESS_RETENTION,
      failureRetentionPeriod: CANARY_FAILURE_RETENTION,
      // Deleting the canary deletes the Lambda function and layer Synthetics made for it.
      provisionedResourceCleanup: true,
    });
    this.userSecret.grantRead(this.canary.role);
    this.apiKeySecret.grantRead(this.canary.role);
    // Its first run (StartCanaryAfterCreation) signs in: the user and its password exist by then.
    this.canary.node.addDependency(this.user);
    this.acknowledgeCanaryRoleFindings();
  }

  /** The role the Canary construct generates: the policy CloudWatch Synthetics documents for canaries. */
  private acknowledgeCanaryRoleFindings(): void {
    const stack = Stack.of(this);
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const bucketId = stack.getLogicalId(this.artifactsBucket.node.defaultChild as s3.CfnBucket);
    Validations.of(this.canary.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Generated by the Canary construct: s3:ListAllMyBuckets (no resource scoping exists) and ' +
          'cloudwatch:PutMetricData limited by condition to the CloudWatchSynthetics namespace.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
        reason: "Writes run artifacts under generated keys of the canary's own artifacts bucket.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:logs:${stack.region}:${stack.account}:log-group:/aws/lambda/cwsyn-*]`,
        reason:
          'The log groups of the Lambda functions CloudWatch Synthetics creates for canaries: named ' +
          'cwsyn-<canary>-<generated id>, so the id is not known at synth.',
      },
      {
        id: 'Serverless-LambdaStarPermissions',
        reason:
          'The wildcards are those of the Synthetics-generated function names (cwsyn-*) and the two ' +
          'unscopable actions above; every write is limited to this canary bucket, log groups and namespace.',
      }
    );
  }

  /** Percentage of the runs that passed, per schedule interval (one run each). */
  public metricSuccessPercent(): cloudwatch.Metric {
    return this.canary.metricSuccessPercent({
      statistic: cloudwatch.Stats.AVERAGE,
      period: this.schedule,
    });
  }
}
