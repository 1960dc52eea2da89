import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import * as path from 'node:path';

/** Needed by the DynamoDB Local jar; said in every error about a missing or old Java. */
export const JAVA_INSTALL_HINT =
  'DynamoDB Local needs a Java 17+ runtime on the PATH: install one, e.g. ' +
  '`sudo apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu) or `brew install openjdk@17` (macOS)';
const START_TIMEOUT_MS = 30_000;

/**
 * Amazon's DynamoDB Local, started from the jar that ships inside the npm package
 * amplify-dynamodb-simulator. Real DynamoDB semantics (transactions, conditions, GSIs),
 * no network and no Docker. Used by the jest global setup (in memory) and by `npm run dev`
 * (on disk under .local/).
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Keep data in this folder (survives restarts), in one database for every credential and region
   * (`-sharedDb`), so the handlers and the seeding see the same tables. @default - in memory
   */
  readonly dbPath?: string;
  /** @default - a free port */
  readonly port?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function emulatorDir(): string {
  return path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const dir = emulatorDir();
  const storage = options.dbPath ? ['-dbPath', options.dbPath, '-sharedDb'] : ['-inMemory'];
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(dir, 'DynamoDBLocal.jar'),
      ...storage,
      '-port',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );

  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`DynamoDB Local did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('CorsParams')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new Error(`java was not found. ${JAVA_INSTALL_HINT}`) : err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      // An older Java cannot load the jar's classes.
      const hint = output.includes('UnsupportedClassVersionError') ? `\n${JAVA_INSTALL_HINT}` : '';
      reject(new Error(`DynamoDB Local exited with code ${code}:\n${output}${hint}`));
    });
  });

  // It logs its settings a few seconds before the port accepts connections.
  await waitForPort(port);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
