import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** The project's node_modules: stands in for the Lambda runtime's NODE_PATH (which holds the AWS SDK). */
export const PROJECT_NODE_MODULES = path.join(__dirname, '..', '..', '..', 'node_modules');

/**
 * What the functions need in their environment to load (module scope reads it once), as the
 * stacks set it, with placeholder values. Loading makes no network call.
 */
export const FUNCTION_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  POWERTOOLS_SERVICE_NAME: 'api-service',
  LOG_LEVEL: 'INFO',
  TABLE_NAME: 'bench-table',
  USER_POOL_ID: 'us-east-1_AbCdEfGhI',
  USER_POOL_CLIENT_ID: 'abcdefghijklmnopqrstuvwxyz',
  CORS_ALLOWED_ORIGINS: 'https://app.example.com',
  ORDER_EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/order-events',
  SLACK_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-webhook-AbCdEf',
  CANARY_USERNAME: 'api-canary@synthetics.invalid',
  USER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canary-user-AbCdEf',
};

/** The SDK warns about Node.js < 22 when a client is created; Lambda runs Node.js 24, where it does not. */
export const QUIET_SDK: Readonly<Record<string, string>> = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface LoadSample {
  /** Wall time of `require(bundle)`, in a fresh Node process. */
  readonly wallMs: number;
  /** CPU time (user + system) of the same require: far less sensitive to a busy machine. */
  readonly cpuMs: number;
}

const CHILD = `
const file = process.argv[1];
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
require(file);
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
const used = process.cpuUsage(cpu);
process.stdout.write('\\nMODULE_LOAD ' + JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }) + '\\n');
`;

/**
 * Requires `file` in `runs` fresh Node processes, one after the other, the way Lambda starts a
 * function: NODE_OPTIONS=--enable-source-maps (AppFunction sets it, and it makes Node read the
 * source map while loading), the functions' environment, the SDK resolved through NODE_PATH.
 */
export function measureModuleLoad(file: string, runs: number): LoadSample[] {
  const samples: LoadSample[] = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ['--enable-source-maps', '-e', CHILD, file], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH: PROJECT_NODE_MODULES,
        ...QUIET_SDK,
        ...FUNCTION_ENV,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = result.stdout.split('\n').find((l) => l.startsWith('MODULE_LOAD '));
    if (result.status !== 0 || !line) {
      throw new Error(`loading ${file} failed (exit ${result.status}):\n${result.stderr}`);
    }
    samples.push(JSON.parse(line.slice('MODULE_LOAD '.length)) as LoadSample);
  }
  return samples;
}
