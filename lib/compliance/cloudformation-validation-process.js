// @ts-check
/**
 * The validation process of lib/compliance/validation-process.ts: aws-cdk-lib's own
 * CloudFormationValidatePlugin, started as soon as the app starts so that its engine (a 9 MB
 * WebAssembly module, ~1.5 s to start) is ready by the time the templates are written.
 *
 * Usage: node cloudformation-validation-process.js <exchange directory>. It starts the engine,
 * waits for `job.json` there (written by the app once the templates exist), validates them and
 * writes `reply.json`. It exits with its parent (IPC disconnect) or after replying.
 *
 * Plain CommonJS run by plain node: it needs no TypeScript loader and none of the project's code.
 * validation-process.ts starts it with the V8 flags that make it cheap (see there).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** How often the job file is looked for, once the engine is ready. */
const POLL_MS = 5;

const exchange = process.argv[2];
if (!exchange) throw new Error('usage: cloudformation-validation-process.js <exchange directory>');
// The app is gone (it failed, or was stopped): nothing will ever ask for a report.
process.on('disconnect', () => process.exit(0));

// The plugin's module is not in aws-cdk-lib's `exports` map; loading it by file path keeps this
// process from importing all of aws-cdk-lib (the plugin's module loads only what it uses).
const cdkRoot = path.dirname(require.resolve('aws-cdk-lib/package.json'));
const { CloudFormationValidatePlugin } = require(
  path.join(cdkRoot, 'core', 'lib', 'validation', 'cloudformation-validate-plugin.js')
);
const plugin = new CloudFormationValidatePlugin();

/** Whether the engine was started ahead of the templates (reported in the stats). */
let prestarted = false;
const engineStart = performance.now();
try {
  // The engine is built for the resource types of the templates it will see (it loads the rules
  // written for those types) and rebuilt when a template holds a type outside that set. Starting
  // it for a set that contains every type builds it once, with every built-in rule: today one
  // rule file, for GameLift, which no template here uses.
  plugin.initializeEngine({ has: () => true });
  prestarted = true;
} catch {
  // A future aws-cdk-lib without this private method: validate() starts the engine itself.
}
const engineStartMs = performance.now() - engineStart;

/** @param {string} name @param {unknown} value */
function writeAtomically(name, value) {
  const partial = path.join(exchange, `${name}.partial`);
  fs.writeFileSync(partial, JSON.stringify(value));
  fs.renameSync(partial, path.join(exchange, name));
}

const timer = setInterval(() => {
  const jobFile = path.join(exchange, 'job.json');
  if (!fs.existsSync(jobFile)) return;
  clearInterval(timer);
  /** @type {unknown} */
  let reply;
  try {
    /** @type {import('aws-cdk-lib').IPolicyValidationContext} */
    const context = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
    const start = performance.now();
    const report = plugin.validate(context);
    const stats = {
      templates: context.stackTemplates.length,
      engineStartMs: prestarted ? engineStartMs : undefined,
      validateMs: performance.now() - start,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    reply = { report, version: plugin.version, stats };
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  writeAtomically('reply.json', reply);
  process.exit(0);
}, POLL_MS);
