// @ts-check
/**
 * The worker thread of lib/compliance/cloudformation-validation.ts: aws-cdk-lib's own
 * CloudFormationValidatePlugin, started as soon as the app starts so that its WASM engine
 * (~2 s to start) is ready by the time the templates are written.
 *
 * Plain CommonJS: a worker thread does not inherit the TypeScript loader of every app command
 * (tsx, ts-node, jest), and this file needs none of the project's code.
 */
'use strict';
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');

/** @type {{ signal: SharedArrayBuffer, port: import('node:worker_threads').MessagePort }} */
const { signal, port } = workerData;
const done = new Int32Array(signal);

// The plugin's module is not in aws-cdk-lib's `exports` map; loading it by file path keeps the
// worker from importing all of aws-cdk-lib (the plugin's module loads only what it uses).
const cdkRoot = path.dirname(require.resolve('aws-cdk-lib/package.json'));
const { CloudFormationValidatePlugin } = require(
  path.join(cdkRoot, 'core', 'lib', 'validation', 'cloudformation-validate-plugin.js')
);
const plugin = new CloudFormationValidatePlugin();

/** Whether the engine was started ahead of the first template (reported to the main thread). */
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

parentPort?.on('message', (/** @type {import('aws-cdk-lib').IPolicyValidationContext} */ context) => {
  /** @type {unknown} */
  let reply;
  try {
    const start = performance.now();
    const report = plugin.validate(context);
    const stats = {
      templates: context.stackTemplates.length,
      engineStartMs: prestarted ? engineStartMs : undefined,
      validateMs: performance.now() - start,
    };
    reply = { report, version: plugin.version, stats };
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
