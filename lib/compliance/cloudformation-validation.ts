import * as path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  type App,
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Validations,
} from 'aws-cdk-lib';

const WORKER_FILE = path.join(__dirname, 'cloudformation-validation-worker.js');
/** Longest wait for the worker's report before synth fails (the 13 templates take ~2 s). */
const VALIDATION_TIMEOUT_MS = 5 * 60 * 1000;

/** What the worker measured (reported by `npm run bench`). */
export interface ValidationStats {
  readonly templates: number;
  /** Starting the engine ahead of the templates, on the worker; undefined if it could not. */
  readonly engineStartMs?: number;
  /** Validating the templates (including the engine start if it was not started ahead). */
  readonly validateMs: number;
}

interface WorkerReply {
  readonly report?: PolicyValidationPluginReport;
  readonly version?: string;
  readonly stats?: ValidationStats;
  readonly error?: string;
}

/**
 * CDK's built-in CloudFormation validation (aws-cdk-lib's CloudFormationValidatePlugin: the
 * same engine, rules and severity mapping), run in a worker thread that starts with the app.
 *
 * Starting the validation engine (a WASM build of the CloudFormation linter) takes ~2 s; in the
 * default plugin it happens after the templates are written, on the app's only thread. Here it
 * happens on a second core while the app is loading and constructing the stacks, so a full
 * synth pays only for validating the templates (`npm run bench` measures both).
 *
 * The framework runs validation plugins one after the other, in the order they were added. To
 * let the worker validate while other plugins (cdk-nag) run on this thread, the templates are
 * handed over by {@link dispatcher}, added before them, and the report is collected by this
 * plugin, added after them: see {@link addCloudFormationValidation}.
 *
 * The plugin carries the default plugin's name, so acknowledgements (`CloudFormation-Validate::
 * F3002`) and the framework's handling of its findings stay as they are. Use it on an App created
 * with `builtinCloudFormationValidation: false`, or two validations would run.
 */
export class BackgroundCloudFormationValidation implements IPolicyValidationPlugin {
  public readonly name = CloudFormationValidatePlugin.PLUGIN_NAME;
  private readonly worker: Worker;
  private readonly replies: MessagePort;
  private readonly done = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private engineVersion: string | undefined;
  private lastStats: ValidationStats | undefined;
  /** The templates handed to the worker and not yet collected. */
  private inFlight: string | undefined;

  /**
   * Hands the templates to the worker and returns at once with an empty report (omitted from the
   * validation report): the findings are reported by this plugin's own validate().
   */
  public readonly dispatcher: IPolicyValidationPlugin = {
    name: `${CloudFormationValidatePlugin.PLUGIN_NAME} (started)`,
    validate: (context) => {
      this.dispatch(context);
      return { success: true, violations: [] };
    },
  };

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    this.worker = new Worker(WORKER_FILE, {
      workerData: { signal: this.done.buffer, port: port2 },
      transferList: [port2],
    });
    // Neither may keep the process alive: an app that fails during construction exits at once.
    this.worker.unref();
    this.replies.unref();
  }

  public get version(): string | undefined {
    return this.engineVersion;
  }

  /** What the worker measured in the last validate(); undefined before it ran. */
  public get stats(): ValidationStats | undefined {
    return this.lastStats;
  }

  /**
   * Waits for the worker's report on the templates (handing them over first unless the
   * dispatcher did). The framework calls plugins synchronously, so the wait blocks this thread
   * (Atomics.wait); the worker, on its own thread, signals when its reply is on the port.
   */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    if (this.inFlight !== templatesKey(context)) this.dispatch(context);
    this.inFlight = undefined;
    if (Atomics.wait(this.done, 0, 0, VALIDATION_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`CloudFormation validation gave no report within ${VALIDATION_TIMEOUT_MS / 1000} s`);
    }
    const reply = receiveMessageOnPort(this.replies)?.message as WorkerReply | undefined;
    void this.worker.terminate();
    if (!reply?.report) throw new Error(`CloudFormation validation failed: ${reply?.error ?? 'no reply'}`);
    this.engineVersion = reply.version;
    this.lastStats = reply.stats;
    return reply.report;
  }

  private dispatch(context: IPolicyValidationContext): void {
    Atomics.store(this.done, 0, 0);
    // The construct tree (appConstruct) stays here: the plugin reads only the template files.
    this.worker.postMessage({
      templatePaths: context.templatePaths,
      stackTemplates: context.stackTemplates,
      accountId: context.accountId,
      region: context.region,
    });
    this.inFlight = templatesKey(context);
  }
}

function templatesKey(context: IPolicyValidationContext): string {
  return JSON.stringify(context.stackTemplates.map((stack) => stack.templatePath));
}

/**
 * Registers {@link BackgroundCloudFormationValidation} on the app around the validation plugins
 * that `addOthers` adds (cdk-nag): its dispatcher before them, its report collector after them,
 * so that the worker validates while they run. Create the plugin first thing, before the stacks
 * are constructed, so that its engine starts early.
 *
 * Validation can be switched off (the CLI's `--no-validation` sets CDK_VALIDATION=false for the
 * app process): the caller decides, and then does not create the plugin.
 */
export function addCloudFormationValidation(
  app: App,
  plugin: BackgroundCloudFormationValidation = new BackgroundCloudFormationValidation(),
  addOthers: () => void = () => undefined
): BackgroundCloudFormationValidation {
  Validations.of(app).addPlugins(plugin.dispatcher);
  addOthers();
  Validations.of(app).addPlugins(plugin);
  return plugin;
}
