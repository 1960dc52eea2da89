import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDynamoDbLocal } from '../test/support/dynamodb-local';
import { createTestTable } from '../test/support/table';
import { FUNCTION_ENV, PROJECT_NODE_MODULES, QUIET_SDK } from '../test/constructs/support/module-load';
import { type LatencyWorkerConfig, type LatencyWorkerResult } from './latency-worker';
import { tail } from './lib/exec';
import { percentile } from './lib/stats';

export interface LatencyRow {
  readonly scenario: string;
  readonly requests: number;
  readonly handler: { readonly p50: number; readonly p99: number };
  readonly bare: { readonly p50: number; readonly p99: number };
  /** Requests (handler and bare together) per second over the scenario. */
  readonly throughput: number;
}

export interface LatencyBench {
  readonly rows: readonly LatencyRow[];
  readonly failures: readonly string[];
}

export interface LatencyBenchOptions {
  readonly projectRoot: string;
  readonly workRoot: string;
  readonly logRoot: string;
  readonly bundlesDir: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
}

/**
 * Starts DynamoDB Local, creates a table with the production key schema, and runs
 * bench/latency-worker.ts in a fresh Node process with the functions' environment (as Lambda:
 * --enable-source-maps, the SDK from NODE_PATH, no ORDER_EVENTS_QUEUE_URL: events are logged).
 */
export async function runLatencyBench(options: LatencyBenchOptions): Promise<LatencyBench> {
  const db = await startDynamoDbLocal();
  try {
    process.env.DYNAMODB_LOCAL_ENDPOINT = db.endpoint;
    const table = await createTestTable('bench');
    const configFile = path.join(options.workRoot, 'latency-config.json');
    const resultFile = path.join(options.workRoot, 'latency-result.json');
    const config: LatencyWorkerConfig = {
      bundlesDir: options.bundlesDir,
      tableName: table.tableName,
      requests: options.requests,
      concurrency: options.concurrency,
      warmup: options.warmup,
    };
    fs.writeFileSync(configFile, JSON.stringify(config));
    fs.rmSync(resultFile, { force: true });
    const functionEnv = Object.fromEntries(
      Object.entries(FUNCTION_ENV).filter(([name]) => name !== 'ORDER_EVENTS_QUEUE_URL')
    );
    const logFile = path.join(options.logRoot, 'latency-worker.log');
    const log = fs.openSync(logFile, 'w');
    const worker = spawnSync(
      process.execPath,
      [
        '--enable-source-maps',
        '--import',
        'tsx',
        path.join(__dirname, 'latency-worker.ts'),
        configFile,
        resultFile,
      ],
      {
        cwd: options.projectRoot,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          NODE_PATH: PROJECT_NODE_MODULES,
          NODE_NO_WARNINGS: '1',
          ...QUIET_SDK,
          ...functionEnv,
          TABLE_NAME: table.tableName,
          AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
        // The handlers log every request (LOG_LEVEL=INFO, as in prod) to stdout: not kept.
        stdio: ['ignore', 'ignore', log],
        timeout: 30 * 60_000,
      }
    );
    fs.closeSync(log);
    await table.destroy();
    if (worker.status !== 0 || !fs.existsSync(resultFile)) {
      throw new Error(`latency worker failed (exit ${worker.status}):\n${tail(logFile)}`);
    }
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as LatencyWorkerResult;
    const rows = Object.entries(result.scenarios).map(([scenario, { handlerMs, bareMs, wallMs }]) => ({
      scenario,
      requests: handlerMs.length,
      handler: { p50: percentile(handlerMs, 50), p99: percentile(handlerMs, 99) },
      bare: { p50: percentile(bareMs, 50), p99: percentile(bareMs, 99) },
      throughput: ((handlerMs.length + bareMs.length) / wallMs) * 1000,
    }));
    return { rows, failures: result.failures };
  } finally {
    await db.stop();
  }
}
