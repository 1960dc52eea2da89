import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'lib', 'pipeline', 'scripts', 'health-check.mjs');
/** Makes the pauses between attempts instant and prints them: no test waits or reads a clock. */
const INSTANT_SLEEP = join(__dirname, 'fixtures', 'instant-sleep.mjs');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script as the pipeline does, with only the variables given (plus PATH). */
function runHealthCheck(env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', INSTANT_SLEEP, SCRIPT], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The attempts and pauses the script printed, in order. */
const attemptsAndPauses = (stdout: string) =>
  stdout.split('\n').filter((line) => /^(attempt |\[sleep )/.test(line));

type Reply = (request: IncomingMessage, response: ServerResponse) => void;

function json(status: number, body: unknown): Reply {
  return text(status, 'application/json', JSON.stringify(body));
}

function text(status: number, contentType: string, body: string): Reply {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(body);
  };
}

/** Stands in for API Gateway: answers each request with the next reply (the last one repeats). */
let replies: Reply[] = [];
let requestPaths: string[] = [];
let server: Server;
let baseUrl: string;

const FAST = { HEALTH_CHECK_ATTEMPTS: '3', HEALTH_CHECK_DELAY_MS: '20', HEALTH_CHECK_TIMEOUT_MS: '1000' };

beforeAll(async () => {
  server = createServer((request, response) => {
    requestPaths.push(request.url ?? '');
    const reply = replies[Math.min(requestPaths.length, replies.length) - 1];
    reply?.(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  // Drops the sockets a never-answering reply left open.
  server.closeAllConnections();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  replies = [];
  requestPaths = [];
});

describe('health-check script', () => {
  it('exits 0 when /health answers 200 {"status":"healthy"}', async () => {
    replies = [json(200, { status: 'healthy', timestamp: '01/May/2024:12:34:56 +0000' })];

    const result = await runHealthCheck({ ...FAST, API_URL: `${baseUrl}/prod/` });

    expect(result.code).toBe(0);
    expect(requestPaths).toEqual(['/prod/health']);
    expect(result.stdout).toContain('attempt 1/3: healthy: HTTP 200, status "healthy"');
  });

  it('keeps the stage path when API_URL has no trailing slash', async () => {
    replies = [json(200, { status: 'healthy' })];

    const result = await runHealthCheck({ ...FAST, API_URL: `${baseUrl}/prod` });

    expect(result.code).toBe(0);
    expect(requestPaths).toEqual(['/prod/health']);
  });

  it('retries after a 503 and exits 0 once healthy', async () => {
    replies = [json(503, { message: 'Service Unavailable' }), json(200, { status: 'healthy' })];

    const result = await runHealthCheck({ ...FAST, API_URL: `${baseUrl}/prod/` });

    expect(result.code).toBe(0);
    expect(requestPaths).toHaveLength(2);
    expect(result.stdout).toMatch(/attempt 1\/3: not healthy: HTTP 503 \(expected 200\)/);
    expect(result.stdout).toMatch(/attempt 2\/3: healthy/);
  });

  it('exits 1 with the last reason when every attempt answers 503', async () => {
    replies = [json(503, { message: 'Service Unavailable' })];

    const result = await runHealthCheck({ ...FAST, API_URL: `${baseUrl}/prod/` });

    expect(result.code).toBe(1);
    expect(requestPaths).toHaveLength(3);
    expect(result.stdout.match(/^attempt \d\/3: not healthy: HTTP 503/gm)).toHaveLength(3);
    expect(result.stderr).toContain(
      `${baseUrl}/prod/health was not healthy after 3 attempts; last: HTTP 503`
    );
  });

  it('waits HEALTH_CHECK_DELAY_MS between attempts but not after the last one', async () => {
    replies = [json(503, { message: 'Service Unavailable' })];

    const result = await runHealthCheck({
      ...FAST,
      API_URL: `${baseUrl}/prod/`,
      HEALTH_CHECK_DELAY_MS: '700',
    });

    expect(result.code).toBe(1);
    expect(attemptsAndPauses(result.stdout)).toEqual([
      expect.stringMatching(/^attempt 1\/3: not healthy/),
      '[sleep 700 ms]',
      expect.stringMatching(/^attempt 2\/3: not healthy/),
      '[sleep 700 ms]',
      expect.stringMatching(/^attempt 3\/3: not healthy/),
    ]);
  });

  it.each([
    ['status "degraded"', json(200, { status: 'degraded' }), 'status is "degraded"'],
    ['no status field', json(200, { ok: true }), 'status is undefined'],
    ['a non-JSON body', text(200, 'text/html', '<html>ok</html>'), 'the body is not JSON'],
  ])('exits 1 when the 200 answer has %s', async (_label, reply, reason) => {
    replies = [reply];

    const result = await runHealthCheck({ ...FAST, API_URL: `${baseUrl}/prod/` });

    expect(result.code).toBe(1);
    expect(requestPaths).toHaveLength(3);
    expect(result.stderr).toContain(reason);
  });

  it('gives up on each attempt after HEALTH_CHECK_TIMEOUT_MS when the server never answers, and exits 1', async () => {
    replies = [() => undefined];

    const result = await runHealthCheck({
      API_URL: `${baseUrl}/prod/`,
      HEALTH_CHECK_ATTEMPTS: '2',
      HEALTH_CHECK_DELAY_MS: '20',
      HEALTH_CHECK_TIMEOUT_MS: '300',
    });

    expect(result.code).toBe(1);
    expect(requestPaths).toHaveLength(2);
    // The configured timeout, not the 5 s default.
    expect(attemptsAndPauses(result.stdout)).toEqual([
      'attempt 1/2: not healthy: no answer within 300 ms',
      '[sleep 20 ms]',
      'attempt 2/2: not healthy: no answer within 300 ms',
    ]);
  });

  it('exits 1 when nothing listens on the port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const result = await runHealthCheck({ ...FAST, API_URL: `http://127.0.0.1:${port}/prod/` });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('last: request failed: ECONNREFUSED');
  });

  it('exits 2 with a message when API_URL is missing', async () => {
    const result = await runHealthCheck({ ...FAST });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('API_URL is not set');
    expect(requestPaths).toEqual([]);
  });

  it('exits 2 when a tuning variable is not a positive integer', async () => {
    const result = await runHealthCheck({ ...FAST, API_URL: `${baseUrl}/prod/`, HEALTH_CHECK_ATTEMPTS: '0' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HEALTH_CHECK_ATTEMPTS must be an integer >= 1, got "0"');
  });
});
