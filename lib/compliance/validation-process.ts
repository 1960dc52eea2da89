import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// Types only: this module must not load aws-cdk-lib (see ValidationProcess).
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';

const PROCESS_SCRIPT = path.join(__dirname, 'cloudformation-validation-process.js');
/**
 * Where the process keeps each template's findings (see cloudformation-validation-process.js):
 * node_modules/.cache, ignored by git, where build tools keep such files.
 */
export const VALIDATION_CACHE_DIR = path.join(
  __dirname,
  '..',
  '..',
  'node_modules',
  '.cache',
  'cfn-validation'
);
/**
 * The engine is a 9 MB WebAssembly module that runs for about a second per synth; measured on
 * this project's 2-core machines, engine start and validation of the 13 templates (median of 3):
 * default 2.8 s wall / 4.0 s CPU, these flags 1.6 s wall / 1.6 s CPU.
 * --liftoff-only: baseline code only; by default V8 also recompiles the module with TurboFan on
 * background threads, which costs more than the faster code saves in so short a run.
 * --single-threaded: no concurrent GC or compiler threads; the engine grows and frees memory all
 * the time, and with other threads running every such change interrupts them too (TLB
 * shootdowns: over a second of system time).
 */
const PROCESS_FLAGS = ['--liftoff-only', '--single-threaded'];
const JOB_FILE = 'job.json';
const REPLY_FILE = 'reply.json';
/** The templates validated ahead so far (see cloudformation-validation-process.js). */
const AHEAD_FILE = 'ahead.json';
/** Longest wait for the report before synth fails (the 13 templates take ~1 s). */
const VALIDATION_TIMEOUT_MS = 5 * 60 * 1000;
/** How often the reply file is looked for while the app waits. */
const POLL_MS = 5;

/** What the validation process measured (reported by `npm run bench`). */
export interface ValidationStats {
  readonly templates: number;
  /** Templates whose findings came from the cache (validated by an earlier synth). */
  readonly cachedTemplates: number;
  /** Templates validated while the app was still synthesizing (nested assemblies written first). */
  readonly validatedAhead: number;
  /** Starting the engine ahead of the templates; undefined if it could not. */
  readonly engineStartMs?: number;
  /** Validating the templates (including the engine start if it was not started ahead). */
  readonly validateMs: number;
  /** Peak resident memory of the validation process, in KiB. */
  readonly maxRssKb: number;
}

/** The process's answer for one set of templates. */
export interface ValidationReply {
  readonly report?: PolicyValidationPluginReport;
  readonly version?: string;
  readonly stats?: ValidationStats;
  readonly error?: string;
}

export interface ValidationProcessOptions {
  /**
   * Keep each template's findings there, and validate only templates not seen before.
   * @default - no cache: every template is validated
   */
  readonly cacheDir?: string;
  /**
   * Where the app writes the cloud assembly: the process validates the nested assemblies' templates
   * there as soon as they are written (CDK Pipelines writes each stage's before the pipeline's).
   * @default - $CDK_OUTDIR, which the CLI sets; none: only when the job arrives
   */
  readonly outdir?: string;
}

/**
 * A Node.js process that runs aws-cdk-lib's CloudFormationValidatePlugin
 * (cloudformation-validation-process.js) beside the app, and the synchronous hand-off to it.
 *
 * A process, not a worker thread: the engine grows and frees WebAssembly memory all the time, and
 * in a shared address space every such change interrupts the app's core too (TLB shootdowns;
 * measured: +2.4 s of system time, which cancelled the gain of running in parallel); and a
 * process can be given V8 flags of its own (PROCESS_FLAGS).
 * It imports nothing of aws-cdk-lib, so an entry point can start it before it loads the CDK
 * (bin/app.ts): the engine then starts while the app loads and builds its stacks. Use it
 * through BackgroundCloudFormationValidation (cloudformation-validation.ts).
 */
export class ValidationProcess {
  private readonly child: ChildProcess;
  /** Where the job and the reply are exchanged: a new temporary directory. */
  private readonly exchange: string;
  /** The templates handed over and not yet collected. */
  private inFlight: string | undefined;

  constructor(options: ValidationProcessOptions = {}) {
    this.exchange = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-validation-'));
    const processOptions = { cacheDir: options.cacheDir, outdir: options.outdir ?? process.env.CDK_OUTDIR };
    const args = [...PROCESS_FLAGS, PROCESS_SCRIPT, this.exchange, JSON.stringify(processOptions)];
    // Plain node (no TypeScript loader); the IPC channel tells it when the app is gone.
    this.child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // Neither may keep the app alive: an app that fails before it synthesizes exits at once.
    this.child.unref();
    this.child.channel?.unref();
    process.once('exit', () => this.dispose());
  }

  /** Hands the templates of `context` to the validation process and returns at once. */
  public start(context: IPolicyValidationContext): void {
    // The construct tree (appConstruct) stays here: the plugin reads only the template files.
    const job = {
      templatePaths: context.templatePaths,
      stackTemplates: context.stackTemplates,
      accountId: context.accountId,
      region: context.region,
    };
    const partial = path.join(this.exchange, `${JOB_FILE}.partial`);
    fs.writeFileSync(partial, JSON.stringify(job));
    fs.renameSync(partial, path.join(this.exchange, JOB_FILE));
    this.inFlight = templatesKey(context);
  }

  /**
   * The reply for the templates of `context`, handing them over first unless start() did.
   * Blocks this thread until it arrives: validation plugins are synchronous.
   */
  public reply(context: IPolicyValidationContext): ValidationReply {
    if (this.inFlight !== templatesKey(context)) this.start(context);
    this.inFlight = undefined;
    const replyFile = path.join(this.exchange, REPLY_FILE);
    const sleeper = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const deadline = Date.now() + VALIDATION_TIMEOUT_MS;
    while (!fs.existsSync(replyFile)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        const reason =
          Date.now() > deadline ? `no report within ${VALIDATION_TIMEOUT_MS / 1000} s` : 'it exited';
        this.dispose();
        return { error: `CloudFormation validation gave no report: ${reason}` };
      }
      Atomics.wait(sleeper, 0, 0, POLL_MS);
    }
    const reply = JSON.parse(fs.readFileSync(replyFile, 'utf8')) as ValidationReply;
    this.dispose();
    return reply;
  }

  /**
   * The template files the process has validated ahead so far: those of the nested assemblies
   * (CDK Pipelines' stages) written by this synth in the output folder, before the job arrives.
   */
  public validatedAhead(): readonly string[] {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.exchange, AHEAD_FILE), 'utf8')) as string[];
    } catch {
      return []; // None yet, or the process is gone.
    }
  }

  private dispose(): void {
    if (this.child.exitCode === null) this.child.kill();
    fs.rmSync(this.exchange, { recursive: true, force: true });
  }
}

function templatesKey(context: IPolicyValidationContext): string {
  return JSON.stringify(context.stackTemplates.map((stack) => stack.templatePath));
}
