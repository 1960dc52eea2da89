import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median } from './stats';

export interface Bundle {
  /** Its folder under functions/. */
  readonly name: string;
  readonly dir: string;
  readonly codeBytes: number;
  readonly mapBytes: number;
}

/**
 * The Lambda bundles of a cloud assembly: its `asset.*` folders holding an index.js, named by the
 * entry point their source map lists (functions/<name>/index.ts).
 */
export function findBundles(assembly: string): Bundle[] {
  const bundles: Bundle[] = [];
  for (const entry of fs.readdirSync(assembly)) {
    const dir = path.resolve(assembly, entry);
    const map = path.join(dir, 'index.js.map');
    if (!entry.startsWith('asset.') || !fs.existsSync(map)) continue;
    const { sources } = JSON.parse(fs.readFileSync(map, 'utf8')) as { sources: string[] };
    const name = sources.map((source) => /functions\/([\w-]+)\/index\.ts$/.exec(source)?.[1]).find(Boolean);
    if (!name) continue;
    const size = (file: string) => fs.statSync(path.join(dir, file)).size;
    bundles.push({ name, dir, codeBytes: size('index.js'), mapBytes: size('index.js.map') });
  }
  return bundles.sort((a, b) => a.name.localeCompare(b.name));
}

/** What the functions read from their environment at module scope, with placeholder values. */
export const FUNCTION_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  POWERTOOLS_SERVICE_NAME: 'bench',
  LOG_LEVEL: 'INFO',
  TABLE_NAME: 'bench-table',
  USER_POOL_ID: 'us-east-1_AbCdEfGhI',
  USER_POOL_CLIENT_ID: 'abcdefghijklmnopqrstuvwxyz',
  CORS_ALLOWED_ORIGINS: 'https://app.example.com',
  ORDER_EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/order-events',
  SLACK_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-webhook-AbCdEf',
  CANARY_USERNAME: 'api-canary@synthetics.invalid',
  USER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canary-user-AbCdEf',
  // The SDK warns about Node.js < 22; Lambda runs Node.js 24.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** The project's node_modules stand in for the Lambda runtime's, which holds the AWS SDK. */
export const NODE_PATH = path.join(__dirname, '..', '..', 'node_modules');

const LOAD = `const cpu = process.cpuUsage(), start = process.hrtime.bigint();
require(process.argv[1]);
const used = process.cpuUsage(cpu);
console.log('LOAD ' + JSON.stringify({ wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: (used.user + used.system) / 1000 }));`;

/**
 * `require()` of a bundle in `runs` fresh Node processes, as Lambda starts a function (with
 * --enable-source-maps, as AppFunction's NODE_OPTIONS): median wall and CPU ms.
 */
export function moduleLoad(bundle: Bundle, runs: number): { wallMs: number; cpuMs: number } {
  const samples = Array.from({ length: runs }, () => {
    const file = path.join(bundle.dir, 'index.js');
    const result = spawnSync(process.execPath, ['--enable-source-maps', '-e', LOAD, file], {
      env: { PATH: process.env.PATH ?? '', NODE_PATH, ...FUNCTION_ENV },
      encoding: 'utf8',
    });
    const line = result.stdout.split('\n').find((l) => l.startsWith('LOAD '));
    if (!line) throw new Error(`loading ${bundle.name} failed (exit ${result.status}):\n${result.stderr}`);
    return JSON.parse(line.slice(5)) as { wall: number; cpu: number };
  });
  return { wallMs: median(samples.map((s) => s.wall)), cpuMs: median(samples.map((s) => s.cpu)) };
}
