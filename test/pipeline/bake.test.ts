import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { type AlarmStatus, type BakeOptions, bake, type Clock } from '../../lib/pipeline/scripts/bake';

const NAMES = ['prod-API-5XX-Errors', 'prod-API-Canary'];

/** The bake script's watch loop, on a stubbed alarm source and a fake clock: no AWS, no waiting. */
const MINUTE = 60_000;
const BAKE = 10 * MINUTE;
const POLL = MINUTE;

/** A clock that only moves when the bake sleeps. */
function fakeClock(): Clock & { elapsed: () => number } {
  let now = 1_700_000_000_000;
  const start = now;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    elapsed: () => now - start,
  };
}

const ok = (name: string): AlarmStatus => ({ name, state: 'OK' });

function run(
  describe: (names: readonly string[], elapsedMs: number) => readonly AlarmStatus[],
  alarmNames: readonly string[] = NAMES
) {
  const clock = fakeClock();
  const requests: (readonly string[])[] = [];
  const logs: string[] = [];
  const options: BakeOptions = {
    alarmNames,
    durationMs: BAKE,
    pollIntervalMs: POLL,
    clock,
    log: (message) => logs.push(message),
    describeAlarms: (names) => {
      requests.push(names);
      return Promise.resolve(describe(names, clock.elapsed()));
    },
  };
  return { clock, requests, logs, result: bake(options) };
}

describe('bake', () => {
  test('passes when every alarm stays OK for the whole bake, polling from start to end', async () => {
    const { clock, requests, result } = run(() => [ok('prod-API-5XX-Errors'), ok('prod-API-Canary')]);
    await expect(result).resolves.toEqual({ passed: true, polls: 11, alarms: 2 });
    expect(clock.elapsed()).toBe(BAKE);
    // Only the configured alarms, by name: not every `prod-` alarm.
    expect(requests.every((names) => JSON.stringify(names) === JSON.stringify(NAMES))).toBe(true);
  });

  test('fails when an alarm goes to ALARM mid-bake, naming it and why, without waiting out the bake', async () => {
    const { clock, result } = run((_prefix, elapsed) => [
      ok('prod-API-5XX-Errors'),
      elapsed >= 4 * MINUTE
        ? { name: 'prod-API-Canary', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [0.0]' }
        : ok('prod-API-Canary'),
    ]);
    await expect(result).resolves.toEqual({
      passed: false,
      polls: 5,
      reason: '1 alarm(s) in ALARM: prod-API-Canary (Threshold Crossed: 1 datapoint [0.0])',
    });
    expect(clock.elapsed()).toBe(4 * MINUTE);
  });

  test('fails at once when an alarm is already in ALARM when the bake starts', async () => {
    const { result } = run(() => [{ name: 'prod-RDS-High-CPU', state: 'ALARM' }, ok('prod-API-Canary')]);
    await expect(result).resolves.toMatchObject({ passed: false, polls: 1, reason: /prod-RDS-High-CPU/ });
  });

  test('fails when a named alarm does not exist (a misspelt name would watch nothing)', async () => {
    const { result } = run(() => [ok('prod-API-5XX-Errors')]);
    await expect(result).resolves.toMatchObject({
      passed: false,
      polls: 1,
      reason: expect.stringMatching(/^no alarm is named prod-API-Canary:/),
    });
  });

  test('ignores an alarm in ALARM that it was not told to watch (e.g. WAF blocks driven by outside traffic)', async () => {
    const { result } = run(() => [
      ok('prod-API-5XX-Errors'),
      ok('prod-API-Canary'),
      { name: 'prod-API-WAF-Blocked-Requests', state: 'ALARM' },
    ]);
    await expect(result).resolves.toMatchObject({ passed: true });
  });

  test('treats INSUFFICIENT_DATA as quiet, not as a failure', async () => {
    const { result, logs } = run(
      () => [ok('prod-a'), { name: 'prod-b', state: 'INSUFFICIENT_DATA' }],
      ['prod-a', 'prod-b']
    );
    await expect(result).resolves.toMatchObject({ passed: true });
    expect(logs[1]).toMatch(/1 OK, 1 INSUFFICIENT_DATA/);
  });

  test('a bake time shorter than the poll interval still polls at its start and its end', async () => {
    const clock = fakeClock();
    let polls = 0;
    const result = await bake({
      alarmNames: ['prod-a'],
      durationMs: 20_000,
      pollIntervalMs: POLL,
      clock,
      log: () => undefined,
      describeAlarms: () => {
        polls++;
        return Promise.resolve([ok('prod-a')]);
      },
    });
    expect(result).toEqual({ passed: true, polls: 2, alarms: 1 });
    expect(polls).toBe(2);
    expect(clock.elapsed()).toBe(20_000);
  });
});

describe('bake script', () => {
  const SCRIPT = path.join(__dirname, '..', '..', 'lib', 'pipeline', 'scripts', 'bake.ts');
  const TSX = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');

  test.each([
    [
      'no role',
      { BAKE_REGION: 'us-east-1', BAKE_ALARM_NAMES: 'prod-API-Canary', BAKE_DURATION_SECONDS: '600' },
      /BAKE_ROLE_ARN is not set/,
    ],
    [
      'a bad duration',
      {
        BAKE_ROLE_ARN: 'arn:aws:iam::333333333333:role/r',
        BAKE_REGION: 'us-east-1',
        BAKE_ALARM_NAMES: 'prod-API-Canary',
        BAKE_DURATION_SECONDS: '10m',
      },
      /BAKE_DURATION_SECONDS must be a whole number of seconds >= 0, got "10m"/,
    ],
    [
      'an empty alarm name',
      {
        BAKE_ROLE_ARN: 'arn:aws:iam::333333333333:role/r',
        BAKE_REGION: 'us-east-1',
        BAKE_ALARM_NAMES: 'prod-API-Canary,,prod-RDS-High-CPU',
        BAKE_DURATION_SECONDS: '600',
      },
      /BAKE_ALARM_NAMES must list distinct alarm names separated by commas/,
    ],
  ])('exits 2 (misconfigured) with %s, before calling AWS', async (_name, env, message) => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [TSX, SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
