import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AUDIT_EXCEPTIONS_FILE,
  type AuditException,
  AuditGateError,
  MAX_EXCEPTION_DAYS,
  decide,
  parseAuditReport,
  parseExceptions,
  summarize,
} from '../../scripts/audit-gate';

/**
 * The npm audit gate's decisions, on reports shaped like npm 11's `npm audit --omit=dev --json`
 * (fixtures/): no network. The error fixtures are what npm printed here when the advisory endpoint
 * refused the request and when there was no lockfile.
 */
const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as unknown;
const TODAY = new Date('2026-06-01T12:00:00Z');

const exception = (overrides: Partial<AuditException> = {}): AuditException => ({
  id: 'GHSA-8hc4-vh64-cxmj',
  package: 'axios',
  reason:
    'Only ever called with our own fixed URLs; upgrade blocked by the SDK pin (reviewed by A. N. Other)',
  expires: '2026-07-01',
  ...overrides,
});

describe('parseAuditReport', () => {
  test('takes each advisory once, from the package it affects, with its GHSA id', () => {
    const advisories = parseAuditReport(fixture('npm-audit-vulnerable.json'));
    expect(advisories.map((a) => `${a.severity} ${a.package} ${a.id}`).sort()).toEqual([
      'critical path-to-regexp GHSA-9wv6-86v2-598j',
      'high axios GHSA-8hc4-vh64-cxmj',
      'high body-parser GHSA-qwcr-r2fm-qrc7',
      'low cookie GHSA-pxg6-pf52-xh8x',
    ]);
  });

  test('a clean report has no advisories', () => {
    expect(parseAuditReport(fixture('npm-audit-clean.json'))).toEqual([]);
  });

  test.each([
    ['the advisory endpoint refused the request', 'npm-audit-endpoint-error.json', /405 Method Not Allowed/],
    [
      'there is no lockfile',
      'npm-audit-no-lockfile.json',
      /ENOLOCK: This command requires an existing lockfile/,
    ],
  ])('throws (fails closed) when %s', (_, file, message) => {
    expect(() => parseAuditReport(fixture(file))).toThrow(AuditGateError);
    expect(() => parseAuditReport(fixture(file))).toThrow(message);
  });

  test('throws on an advisory it cannot read', () => {
    const report = {
      auditReportVersion: 2,
      vulnerabilities: { x: { via: [{ severity: 'severe', url: 'u' }] } },
    };
    expect(() => parseAuditReport(report)).toThrow(/unexpected advisory under x/);
  });
});

describe('decide', () => {
  const advisories = parseAuditReport(fixture('npm-audit-vulnerable.json'));

  test('fails on every high and critical advisory without an exception; low ones only show', () => {
    const decision = decide(advisories, [], TODAY);
    expect(decision.passed).toBe(false);
    expect(decision.blocking.map((a) => a.package).sort()).toEqual([
      'axios',
      'body-parser',
      'path-to-regexp',
    ]);
    expect(decision.belowThreshold.map((a) => a.package)).toEqual(['cookie']);
  });

  test('passes on a clean report, and on low and moderate advisories alone', () => {
    expect(decide([], [], TODAY).passed).toBe(true);
    expect(
      decide(
        advisories.filter((a) => a.package === 'cookie'),
        [],
        TODAY
      ).passed
    ).toBe(true);
  });

  test('passes when every blocking advisory has a current exception for that package', () => {
    const exceptions = [
      exception(),
      exception({ id: 'GHSA-qwcr-r2fm-qrc7', package: 'body-parser' }),
      exception({ id: 'GHSA-9wv6-86v2-598j', package: 'path-to-regexp' }),
    ];
    const decision = decide(advisories, exceptions, TODAY);
    expect(decision.passed).toBe(true);
    expect(decision.excepted).toHaveLength(3);
    expect(summarize(decision).at(-1)).toMatch(/passed \(0 blocking, 3 excepted, 1 below high\)/);
  });

  test('an exception covers its advisory on its package only', () => {
    const decision = decide(advisories, [exception({ package: 'body-parser' })], TODAY);
    expect(decision.blocking.map((a) => a.package)).toContain('axios');
    expect(decision.unused.map((e) => e.package)).toEqual(['body-parser']);
  });

  test('fails on an expired exception, from the start of its expiry day, even with its advisory gone', () => {
    const expiresToday = exception({ expires: '2026-06-01' });
    const decision = decide([], [expiresToday], TODAY);
    expect(decision.passed).toBe(false);
    expect(decision.expired).toEqual([expiresToday]);
    expect(summarize(decision).join('\n')).toMatch(/EXPIRED EXCEPTION GHSA-8hc4-vh64-cxmj axios/);
    // The day before it expires, it still applies.
    expect(decide(advisories.slice(0, 1), [expiresToday], new Date('2026-05-31T23:59:59Z')).passed).toBe(
      true
    );
  });

  test('names each blocking advisory in the log, with its link', () => {
    const lines = summarize(decide(advisories, [], TODAY));
    expect(lines).toContain(
      'BLOCKING critical path-to-regexp GHSA-9wv6-86v2-598j path-to-regexp outputs backtracking regular ' +
        'expressions (<0.1.10) https://github.com/advisories/GHSA-9wv6-86v2-598j'
    );
    expect(lines.at(-1)).toBe('npm audit gate FAILED: 3 blocking advisories, 0 expired exceptions');
  });
});

describe('parseExceptions (audit-exceptions.json)', () => {
  test('the committed file is valid', () => {
    expect(() =>
      parseExceptions(JSON.parse(fs.readFileSync(AUDIT_EXCEPTIONS_FILE, 'utf8')), new Date())
    ).not.toThrow();
  });

  test.each([
    ['a list that is not under "exceptions"', [exception()], /must be \{"exceptions"/],
    [
      'an id that is not a GHSA id',
      { exceptions: [exception({ id: 'CVE-2024-1234' })] },
      /id must be a GHSA id/,
    ],
    ['no package', { exceptions: [exception({ package: '' })] }, /package must name/],
    ['an empty reason', { exceptions: [exception({ reason: '  ' })] }, /reason must say why/],
    [
      'a date that is not ISO',
      { exceptions: [exception({ expires: '01/07/2026' })] },
      /expires must be a date/,
    ],
    ['an impossible date', { exceptions: [exception({ expires: '2026-02-31' })] }, /expires must be a date/],
    [
      `an expiry more than ${MAX_EXCEPTION_DAYS} days ahead`,
      { exceptions: [exception({ expires: '2027-01-01' })] },
      /at most 90 days ahead/,
    ],
    ['the same advisory and package twice', { exceptions: [exception(), exception()] }, /repeats GHSA/],
  ])('rejects %s', (_, json, message) => {
    expect(() => parseExceptions(json, TODAY)).toThrow(message);
  });
});

describe('the command', () => {
  const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const run = (
    report: string
  ): Promise<{ code: number; stdout: string; stderr: string; output: unknown }> => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-gate-')), 'npm-audit.json');
    return new Promise((resolve) => {
      execFile(
        TSX,
        ['scripts/audit-gate.ts', '--report', path.join(FIXTURES, report), '--output', out],
        { cwd: ROOT, timeout: 60_000 },
        (error, stdout, stderr) => {
          const output = fs.existsSync(out)
            ? (JSON.parse(fs.readFileSync(out, 'utf8')) as unknown)
            : undefined;
          fs.rmSync(path.dirname(out), { recursive: true, force: true });
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, output });
        }
      );
    });
  };

  test('exits 1 on a blocking advisory, 1 without a report, 0 on a clean one; writes the decision', async () => {
    const [vulnerable, failed, clean] = await Promise.all([
      run('npm-audit-vulnerable.json'),
      run('npm-audit-endpoint-error.json'),
      run('npm-audit-clean.json'),
    ]);
    expect(vulnerable.code).toBe(1);
    expect(vulnerable.stderr).toMatch(/BLOCKING high axios GHSA-8hc4-vh64-cxmj/);
    expect(vulnerable.output).toMatchObject({ decision: { passed: false } });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/npm audit gate FAILED: npm audit gave no report \(405/);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/npm audit gate passed/);
    expect(clean.output).toMatchObject({ decision: { passed: true }, report: { auditReportVersion: 2 } });
  }, 90_000);
});
