/**
 * Software composition analysis gate: `npm audit` of the production dependencies fails the build on
 * a high or critical advisory, unless audit-exceptions.json (the one reviewed file of exceptions)
 * excepts that advisory for that package until a date. An expired exception fails the build too, so
 * every exception gets looked at again.
 *
 *   npx tsx scripts/audit-gate.ts                 # runs `npm audit --omit=dev --json`
 *   npx tsx scripts/audit-gate.ts --report <file> # decides on a recorded report instead
 *
 * Writes the report and the decision to build-reports/npm-audit.json (a build artifact; `--output`
 * writes elsewhere).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AUDIT_REPORT_FILE, BUILD_REPORTS_DIR } from '../lib/pipeline/build-reports';

const ROOT = path.join(__dirname, '..');
export const AUDIT_EXCEPTIONS_FILE = path.join(ROOT, 'audit-exceptions.json');
/** Published with the build's other reports (the synth step's `build-reports/` artifact). */
export const AUDIT_OUTPUT_FILE = path.join(ROOT, BUILD_REPORTS_DIR, AUDIT_REPORT_FILE);
export const AUDIT_COMMAND = ['npm', 'audit', '--omit=dev', '--json'] as const;

export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** The same threshold as `npm audit --audit-level=high`. */
export const FAILING_SEVERITY: Severity = 'high';
/** An exception is a deferral, not a waiver: it must be reviewed again within this many days. */
export const MAX_EXCEPTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;
const GHSA_ID = /^GHSA-[2-9cfghjmpqrvwx]{4}-[2-9cfghjmpqrvwx]{4}-[2-9cfghjmpqrvwx]{4}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_LENGTH = 'YYYY-MM-DD'.length;
const MIN_REASON_LENGTH = 20;
const AUDIT_BUFFER_BYTES = 64 * 1024 * 1024;

/** One advisory against one installed package, from a `via` entry of `npm audit --json`. */
export interface Advisory {
  /** The GitHub advisory id (GHSA-xxxx-xxxx-xxxx); the npm source number where the URL has none. */
  readonly id: string;
  readonly package: string;
  readonly severity: Severity;
  readonly title: string;
  readonly url: string;
  /** The vulnerable versions. */
  readonly range: string;
}

/** One entry of audit-exceptions.json. */
export interface AuditException {
  readonly id: string;
  readonly package: string;
  /** Why the advisory does not apply or cannot be fixed yet, and who reviewed it. */
  readonly reason: string;
  /** ISO date (YYYY-MM-DD): the exception stops applying at the start of that day (UTC). */
  readonly expires: string;
}

export interface AuditDecision {
  readonly passed: boolean;
  /** High or critical, not excepted: each fails the build. */
  readonly blocking: readonly Advisory[];
  readonly excepted: ReadonlyArray<{ readonly advisory: Advisory; readonly exception: AuditException }>;
  /** Fail the build: the exception has to be reviewed again (renewed with a new date, or removed). */
  readonly expired: readonly AuditException[];
  /** Below the threshold: reported, never failing. */
  readonly belowThreshold: readonly Advisory[];
  /** Match no advisory any more (the dependency was fixed): reported so someone removes them. */
  readonly unused: readonly AuditException[];
}

export class AuditGateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditGateError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isSeverity = (value: unknown): value is Severity =>
  typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
/** YYYY-MM-DD naming a real day (Date.parse accepts 2026-02-31 as March 3rd). */
const isIsoDate = (value: string) =>
  ISO_DATE.test(value) &&
  !Number.isNaN(Date.parse(value)) &&
  new Date(value).toISOString().slice(0, ISO_DATE_LENGTH) === value;
const atLeast = (severity: Severity, threshold: Severity) =>
  SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);

/**
 * The advisories of an `npm audit --json` report (auditReportVersion 2, npm 7 and later). A
 * vulnerability's `via` holds advisory objects (the package itself is affected) and names of other
 * vulnerable packages (affected through them; their own entries carry the advisories), so only the
 * objects are taken. Anything else, npm's error output when the advisory endpoint cannot be reached
 * included, throws: the gate fails closed.
 */
export function parseAuditReport(report: unknown): Advisory[] {
  if (!isRecord(report)) throw new AuditGateError('npm audit did not print a JSON object');
  if (report.auditReportVersion !== 2 || !isRecord(report.vulnerabilities)) {
    const error = isRecord(report.error) ? report.error : {};
    const detail = [report.message, error.code, error.summary].filter(
      (part) => typeof part === 'string' && part !== ''
    );
    throw new AuditGateError(
      `npm audit gave no report (${detail.join(': ') || JSON.stringify(report).slice(0, 200)}); ` +
        'the build cannot pass without one'
    );
  }
  const advisories = new Map<string, Advisory>();
  for (const [name, vulnerability] of Object.entries(report.vulnerabilities)) {
    const via = isRecord(vulnerability) && Array.isArray(vulnerability.via) ? vulnerability.via : undefined;
    if (via === undefined) throw new AuditGateError(`npm audit: vulnerability ${name} has no 'via' list`);
    for (const entry of via) {
      if (typeof entry === 'string') continue;
      if (!isRecord(entry) || !isSeverity(entry.severity) || typeof entry.url !== 'string') {
        throw new AuditGateError(`npm audit: unexpected advisory under ${name}: ${JSON.stringify(entry)}`);
      }
      const ghsa = /GHSA-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}/.exec(entry.url)?.[0];
      const advisory: Advisory = {
        id: ghsa ?? String(entry.source),
        package: typeof entry.name === 'string' ? entry.name : name,
        severity: entry.severity,
        title: typeof entry.title === 'string' ? entry.title : '',
        url: entry.url,
        range: typeof entry.range === 'string' ? entry.range : '',
      };
      advisories.set(`${advisory.id} ${advisory.package}`, advisory);
    }
  }
  return [...advisories.values()];
}

/** Validates audit-exceptions.json: every field present and meaningful, one entry per advisory and package. */
export function parseExceptions(json: unknown, today: Date): AuditException[] {
  const list = isRecord(json) ? json.exceptions : undefined;
  if (!Array.isArray(list)) {
    throw new AuditGateError('audit-exceptions.json must be {"exceptions": [...]}');
  }
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const where = `audit-exceptions.json exceptions[${i}]`;
    if (!isRecord(entry))
      throw new AuditGateError(`${where} must be an object, got ${JSON.stringify(entry)}`);
    const { id, package: pkg, reason, expires } = entry;
    if (typeof id !== 'string' || !(GHSA_ID.test(id) || /^\d+$/.test(id))) {
      throw new AuditGateError(
        `${where}.id must be a GHSA id (GHSA-xxxx-xxxx-xxxx), got ${JSON.stringify(id)}`
      );
    }
    if (typeof pkg !== 'string' || pkg === '') {
      throw new AuditGateError(`${where}.package must name the affected package, got ${JSON.stringify(pkg)}`);
    }
    if (typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH) {
      throw new AuditGateError(
        `${where}.reason must say why (at least ${MIN_REASON_LENGTH} characters), got ${JSON.stringify(reason)}`
      );
    }
    if (typeof expires !== 'string' || !isIsoDate(expires)) {
      throw new AuditGateError(`${where}.expires must be a date YYYY-MM-DD, got ${JSON.stringify(expires)}`);
    }
    if (Date.parse(expires) - today.getTime() > MAX_EXCEPTION_DAYS * DAY_MS) {
      throw new AuditGateError(
        `${where}.expires must be at most ${MAX_EXCEPTION_DAYS} days ahead, got ${expires}`
      );
    }
    const key = `${id} ${pkg}`;
    if (seen.has(key)) throw new AuditGateError(`${where} repeats ${key}`);
    seen.add(key);
    return { id, package: pkg, reason, expires };
  });
}

/** The gate's decision; `today` is passed in so tests pin the clock. */
export function decide(
  advisories: readonly Advisory[],
  exceptions: readonly AuditException[],
  today: Date
): AuditDecision {
  const isExpired = (e: AuditException) => Date.parse(e.expires) <= today.getTime();
  const matching = (a: Advisory) => exceptions.find((e) => e.id === a.id && e.package === a.package);

  const failing = advisories.filter((a) => atLeast(a.severity, FAILING_SEVERITY));
  const blocking: Advisory[] = [];
  const excepted: Array<{ advisory: Advisory; exception: AuditException }> = [];
  for (const advisory of failing) {
    const exception = matching(advisory);
    if (exception && !isExpired(exception)) excepted.push({ advisory, exception });
    else blocking.push(advisory);
  }
  const expired = exceptions.filter(isExpired);
  const unused = exceptions.filter(
    (e) => !isExpired(e) && !advisories.some((a) => a.id === e.id && a.package === e.package)
  );
  return {
    passed: blocking.length === 0 && expired.length === 0,
    blocking,
    excepted,
    expired,
    belowThreshold: advisories.filter((a) => !atLeast(a.severity, FAILING_SEVERITY)),
    unused,
  };
}

/** What the build log shows. */
export function summarize(decision: AuditDecision): string[] {
  const line = (a: Advisory) => `${a.severity} ${a.package} ${a.id} ${a.title} (${a.range}) ${a.url}`;
  return [
    ...decision.blocking.map((a) => `BLOCKING ${line(a)}`),
    ...decision.expired.map(
      (e) => `EXPIRED EXCEPTION ${e.id} ${e.package} (expired ${e.expires}): review it and renew or remove it`
    ),
    ...decision.excepted.map(
      ({ advisory, exception }) =>
        `excepted until ${exception.expires}: ${line(advisory)}: ${exception.reason}`
    ),
    ...decision.belowThreshold.map((a) => `below ${FAILING_SEVERITY}: ${line(a)}`),
    ...decision.unused.map((e) => `unused exception ${e.id} ${e.package}: the advisory is gone, remove it`),
    decision.passed
      ? `npm audit gate passed (${decision.blocking.length} blocking, ${decision.excepted.length} excepted, ` +
        `${decision.belowThreshold.length} below ${FAILING_SEVERITY})`
      : `npm audit gate FAILED: ${decision.blocking.length} blocking advisories, ` +
        `${decision.expired.length} expired exceptions`,
  ];
}

function runAudit(): unknown {
  const [command, ...args] = AUDIT_COMMAND;
  // Exit code 1 just means "vulnerabilities found": the JSON on stdout is what counts.
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: AUDIT_BUFFER_BYTES });
  if (result.error)
    throw new AuditGateError(`could not run ${AUDIT_COMMAND.join(' ')}: ${result.error.message}`);
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch {
    throw new AuditGateError(`${AUDIT_COMMAND.join(' ')} printed no JSON: ${result.stderr.trim()}`);
  }
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(argv: readonly string[]): number {
  const today = new Date();
  const reportFile = flag(argv, '--report');
  const outputFile = flag(argv, '--output') ?? AUDIT_OUTPUT_FILE;
  try {
    const exceptions = parseExceptions(JSON.parse(fs.readFileSync(AUDIT_EXCEPTIONS_FILE, 'utf8')), today);
    const report = reportFile ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as unknown) : runAudit();
    const decision = decide(parseAuditReport(report), exceptions, today);
    fs.mkdirSync(path.dirname(outputFile), { recursive: true });
    fs.writeFileSync(outputFile, `${JSON.stringify({ decision, report }, null, 2)}\n`);
    const lines = summarize(decision);
    (decision.passed ? console.log : console.error)(lines.join('\n'));
    return decision.passed ? 0 : 1;
  } catch (err) {
    if (!(err instanceof AuditGateError || err instanceof SyntaxError)) throw err;
    console.error(`npm audit gate FAILED: ${err.message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
