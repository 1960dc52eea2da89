import { fork } from 'node:child_process';
import * as path from 'node:path';
import { startDynamoDbLocal } from '../local-api/dynamodb-local';
import { LOCAL_CREDENTIALS } from '../local-api/local-table';
import { type Bundle, FUNCTION_ENV, NODE_PATH } from './bundles';
import { type LatencySamples, type WorkerInput } from './latency-worker';
import { percentile } from './stats';

export interface LatencyRow {
  readonly scenario: string;
  readonly handler: { readonly p50: number; readonly p99: number };
  readonly bare: { readonly p50: number; readonly p99: number };
}

/**
 * The products and orders bundles against DynamoDB Local, in a worker process with the functions'
 * environment (its stdout, the handlers' log lines, is dropped). No ORDER_EVENTS_QUEUE_URL: order
 * events are logged.
 */
export async function benchLatency(bundles: readonly Bundle[], input: Omit<WorkerInput, 'bundles'>) {
  const db = await startDynamoDbLocal();
  try {
    const worker = fork(path.join(__dirname, 'latency-worker.ts'), {
      execArgv: ['--import', 'tsx', '--enable-source-maps'],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH,
        ...FUNCTION_ENV,
        ORDER_EVENTS_QUEUE_URL: '', // none: events are logged
        TABLE_NAME: 'bench',
        AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const workerInput: WorkerInput = {
      ...input,
      bundles: Object.fromEntries(bundles.map((bundle) => [bundle.name, bundle.dir])),
    };
    worker.send(workerInput);
    const samples = await new Promise<LatencySamples>((resolve, reject) => {
      worker.once('message', (message) => resolve(message as LatencySamples));
      worker.once('exit', (code) => reject(new Error(`latency worker exited with ${code}`)));
    });
    const p = (values: readonly number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
    const rows: LatencyRow[] = Object.entries(samples.scenarios).map(([scenario, { handler, bare }]) => ({
      scenario,
      handler: p(handler),
      bare: p(bare),
    }));
    return { rows, failures: samples.failures };
  } finally {
    await db.stop();
  }
}
