import {
  type App,
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Validations,
} from 'aws-cdk-lib';
import { ValidationProcess, type ValidationStats } from './validation-process';

export type { ValidationStats } from './validation-process';

/**
 * CDK's built-in CloudFormation validation (aws-cdk-lib's CloudFormationValidatePlugin: the
 * same engine, rules and severity mapping), run in a separate process that starts with the app
 * (validation-process.ts).
 *
 * Starting the validation engine (a WebAssembly build of the CloudFormation linter) takes ~1.5 s;
 * in the default plugin it happens after the templates are written, on the app's only thread.
 * Here it happens on the second core while the app loads and constructs the stacks, so a full
 * synth waits only for the templates to be validated (`npm run bench` measures both).
 *
 * The framework runs validation plugins one after the other, in the order they were added. To
 * let the process validate while other plugins (cdk-nag) run on this thread, the templates are
 * handed over by {@link dispatcher}, added before them, and the report is collected by this
 * plugin, added after them: see {@link addCloudFormationValidation}.
 *
 * The plugin carries the default plugin's name, so acknowledgements (`CloudFormation-Validate::
 * F3002`) and the framework's handling of its findings stay as they are. Use it on an App created
 * with `builtinCloudFormationValidation: false`, or two validations would run.
 */
export class BackgroundCloudFormationValidation implements IPolicyValidationPlugin {
  public readonly name = CloudFormationValidatePlugin.PLUGIN_NAME;
  private engineVersion: string | undefined;
  private lastStats: ValidationStats | undefined;

  /**
   * Hands the templates to the validation process and returns at once with an empty report (omitted from the
   * validation report): the findings are reported by this plugin's own validate().
   */
  public readonly dispatcher: IPolicyValidationPlugin = {
    name: `${CloudFormationValidatePlugin.PLUGIN_NAME} (started)`,
    validate: (context) => {
      this.validationProcess.start(context);
      return { success: true, violations: [] };
    },
  };

  /** @param validationProcess started early by the entry point (bin/app.ts), or now */
  constructor(private readonly validationProcess: ValidationProcess = new ValidationProcess()) {}

  public get version(): string | undefined {
    return this.engineVersion;
  }

  /** What the validation process measured in the last validate(); undefined before it ran. */
  public get stats(): ValidationStats | undefined {
    return this.lastStats;
  }

  /** The validation process's report on the templates (blocks until it arrives). */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const reply = this.validationProcess.reply(context);
    if (!reply.report) throw new Error(`CloudFormation validation failed: ${reply.error ?? 'no report'}`);
    this.engineVersion = reply.version;
    this.lastStats = reply.stats;
    return reply.report;
  }
}

/**
 * Registers {@link BackgroundCloudFormationValidation} on the app around the validation plugins
 * that `addOthers` adds (cdk-nag): its dispatcher before them, its report collector after them,
 * so that the process validates while they run. Create the plugin first thing, before the stacks
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
