// @ts-check
/**
 * The validation process of lib/compliance/validation-process.ts: aws-cdk-lib's own
 * CloudFormationValidatePlugin, started as soon as the app starts so that its engine (a 9 MB
 * WebAssembly module, ~0.7 s to start) is ready by the time the templates are written.
 *
 * Usage: node cloudformation-validation-process.js <exchange directory> [<options JSON>]. It
 * starts the engine, waits for `job.json` there (written by the app once the templates exist),
 * validates them and writes `reply.json`. It exits with its parent (IPC disconnect) or after
 * replying.
 *
 * With a cache directory (option cacheDir), each template's findings are kept under a key of
 * everything they depend on (the template's bytes, its stack's path, account and region, the
 * aws-cdk-lib and engine versions), and a template seen before is not validated again: a synth
 * after a change to one stack validates that stack's template only. The report is the same either
 * way: the templates are validated one by one and their findings merged as the plugin merges them
 * in one call.
 *
 * While the app constructs and synthesizes, the process also validates ahead the templates of the
 * nested assemblies the app has finished (CDK Pipelines synthesizes each stage's assembly before
 * the pipeline's own template), found in the app's output folder (option outdir): when the job
 * arrives, only the templates written last are left. A template is used as validated ahead only if
 * its bytes, stack path, account and region are those of the job.
 *
 * Plain CommonJS run by plain node: it needs no TypeScript loader and none of the project's code.
 * validation-process.ts starts it with the V8 flags that make it cheap (see there).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** How often the job file is looked for, once the engine is ready. */
const POLL_MS = 5;
/** Bump when the cache entries' format changes. */
const CACHE_FORMAT = 1;
/** Cache entries unused for this long are removed. */
const CACHE_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

const [exchange, optionsJson] = process.argv.slice(2);
if (!exchange)
  throw new Error('usage: cloudformation-validation-process.js <exchange directory> [<options JSON>]');
/** @type {{ cacheDir?: string, outdir?: string }} see ValidationProcessOptions */
const { cacheDir, outdir } = JSON.parse(optionsJson ?? '{}');
// The app is gone (it failed, or was stopped): nothing will ever ask for a report.
process.on('disconnect', () => process.exit(0));

// The plugin's module is not in aws-cdk-lib's `exports` map; loading it by file path keeps this
// process from importing all of aws-cdk-lib (the plugin's module loads only what it uses).
const cdkRoot = path.dirname(require.resolve('aws-cdk-lib/package.json'));
const cdkVersion = JSON.parse(fs.readFileSync(path.join(cdkRoot, 'package.json'), 'utf8')).version;
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

/** Nested assemblies are written by this synth if their manifest is newer than this process. */
const processStart = Date.now() - performance.now();
/** Nested assembly folders validated ahead. */
const assembliesAhead = new Set();
/** Findings of the templates validated ahead, by cache key. */
const validatedAhead = new Map();
/** @type {string[]} The template files validated ahead. */
const progress = [];

/** @param {string} file @param {unknown} value */
function writeAtomically(file, value) {
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, JSON.stringify(value));
  fs.renameSync(partial, file);
}

/**
 * @typedef {import('aws-cdk-lib').IPolicyValidationContext} Context
 * @typedef {Context['stackTemplates'][number]} StackTemplate
 * @typedef {import('aws-cdk-lib').PolicyViolation} Violation
 * @typedef {{ type: string, environment?: string, displayName?: string, properties?: { templateFile?: string } }} ManifestArtifact
 *   What validateAhead() reads of a nested assembly's manifest.json.
 */

/** @param {StackTemplate} stack @param {string} template */
function cacheKey(stack, template) {
  return crypto
    .createHash('sha256')
    .update(
      JSON.stringify([
        CACHE_FORMAT,
        cdkVersion,
        plugin.version,
        stack.stackConstructPath,
        stack.accountId,
        stack.region,
      ])
    )
    .update('\0')
    .update(template)
    .digest('hex');
}

/**
 * Merges the findings of the templates, in their order, as the plugin does within one call: one
 * violation per rule, severity and description, listing every resource it was found on.
 * @param {Violation[][]} perTemplate
 * @returns {Violation[]}
 */
function merge(perTemplate) {
  /** @type {Violation[]} */
  const merged = [];
  for (const violations of perTemplate) {
    for (const violation of violations) {
      const existing = merged.find(
        (v) =>
          v.ruleName === violation.ruleName &&
          v.severity === violation.severity &&
          v.description === violation.description
      );
      if (existing) existing.violatingResources.push(...violation.violatingResources);
      else merged.push({ ...violation, violatingResources: [...violation.violatingResources] });
    }
  }
  return merged;
}

/** @param {Context} context @param {StackTemplate} stack @returns {Violation[]} */
function validateOne(context, stack) {
  return plugin.validate({ ...context, stackTemplates: [stack], templatePaths: [stack.templatePath] })
    .violations;
}

/** Validates the templates of the nested assemblies finished since the last look. */
function validateAhead() {
  if (!outdir) return;
  let folders;
  try {
    folders = fs
      .readdirSync(outdir)
      .filter((name) => name.startsWith('assembly-') && !assembliesAhead.has(name));
  } catch {
    return; // Not created yet.
  }
  for (const folder of folders) {
    const manifestFile = path.join(outdir, folder, 'manifest.json');
    /** @type {{ artifacts?: Record<string, ManifestArtifact> }} */
    let manifest;
    try {
      // Older: left by an earlier synth, and maybe rewritten by this one later.
      if (fs.statSync(manifestFile).mtimeMs < processStart) continue;
      manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    } catch {
      continue; // Not written (completely) yet.
    }
    assembliesAhead.add(folder);
    /** @type {string[]} */
    const templates = [];
    for (const artifact of Object.values(manifest.artifacts ?? {})) {
      const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
      const templateFile = artifact.properties?.templateFile;
      if (artifact.type !== 'aws:cloudformation:stack' || !env || !templateFile || !artifact.displayName)
        continue;
      /** @type {StackTemplate} */
      const stack = {
        stackConstructPath: artifact.displayName,
        templatePath: path.join(outdir, folder, templateFile),
        accountId: env[1] ?? '',
        region: env[2] ?? '',
      };
      const template = fs.readFileSync(stack.templatePath, 'utf8');
      const key = cacheKey(stack, template);
      if (validatedAhead.has(key) || (cacheDir && fs.existsSync(path.join(cacheDir, `${key}.json`))))
        continue;
      const context = {
        templatePaths: [stack.templatePath],
        stackTemplates: [stack],
        accountId: '',
        region: '',
      };
      validatedAhead.set(key, validateOne(/** @type {Context} */ (/** @type {unknown} */ (context)), stack));
      templates.push(stack.templatePath);
    }
    // What was validated ahead, for the app's information (ValidationProcess.validatedAhead()).
    progress.push(...templates);
    writeAtomically(path.join(exchange, 'ahead.json'), progress);
  }
}

/**
 * The templates in the order aws-cdk-lib hands them to its built-in plugin, so that the merged
 * findings list their resources in the same order. A plugin registered on the App (this one) gets
 * the root assembly's stacks first and then the nested assemblies'; the built-in plugin gets them
 * assembly by assembly in post-order, a nested assembly (a pipeline stage) before the one holding it.
 * Nested assemblies are folders inside their parent's folder.
 * @param {readonly StackTemplate[]} stackTemplates
 */
function builtInOrder(stackTemplates) {
  const folders = stackTemplates.map((stack) => path.dirname(stack.templatePath));
  const root = folders.reduce((a, b) => (b.length < a.length ? b : a), folders[0] ?? '');
  /** @type {Map<string, string[]>} each folder's nested folders, in order of appearance */
  const nested = new Map();
  for (const folder of folders) {
    for (let child = folder; child !== root && child.startsWith(root); child = path.dirname(child)) {
      const parent = path.dirname(child);
      const siblings = nested.get(parent) ?? [];
      if (!siblings.includes(child)) siblings.push(child);
      nested.set(parent, siblings);
    }
  }
  /** @type {Map<string, number>} */
  const rank = new Map();
  /** @param {string} folder */
  const postOrder = (folder) => {
    for (const child of nested.get(folder) ?? []) postOrder(child);
    rank.set(folder, rank.size);
  };
  postOrder(root);
  return [...stackTemplates].sort(
    (a, b) => (rank.get(path.dirname(a.templatePath)) ?? 0) - (rank.get(path.dirname(b.templatePath)) ?? 0)
  );
}

/** @param {Context} context */
function validate(context) {
  /** @type {Array<{ file: string, violations: Violation[] }>} */
  const fresh = [];
  let cached = 0;
  let ahead = 0;
  const perTemplate = builtInOrder(context.stackTemplates).map((stack) => {
    const template = fs.readFileSync(stack.templatePath, 'utf8');
    const key = cacheKey(stack, template);
    const file = cacheDir && path.join(cacheDir, `${key}.json`);
    if (file && fs.existsSync(file)) {
      /** @type {Violation[]} */
      const violations = JSON.parse(fs.readFileSync(file, 'utf8'));
      cached++;
      fs.utimesSync(file, new Date(), new Date());
      // The same template may sit under another output folder than when it was cached.
      for (const violation of violations) {
        for (const resource of violation.violatingResources) resource.templatePath = stack.templatePath;
      }
      return violations;
    }
    const early = validatedAhead.get(key);
    if (early) ahead++;
    const violations = early ?? validateOne(context, stack);
    if (file) fresh.push({ file, violations });
    return violations;
  });
  const violations = merge(perTemplate);
  const success = violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal');
  return { report: { success, violations }, cached, ahead, fresh };
}

/** Stores the new entries (a few ms) and removes those unused for {@link CACHE_MAX_AGE_MS}. */
function updateCache(/** @type {Array<{ file: string, violations: Violation[] }>} */ fresh) {
  if (!cacheDir) return;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const { file, violations } of fresh) writeAtomically(file, violations);
    const now = Date.now();
    for (const name of fs.readdirSync(cacheDir)) {
      const file = path.join(cacheDir, name);
      if (now - fs.statSync(file).mtimeMs > CACHE_MAX_AGE_MS) fs.rmSync(file, { force: true });
    }
  } catch {
    // A cache that cannot be written costs time on the next synth, not correctness.
  }
}

const timer = setInterval(() => {
  const jobFile = path.join(exchange, 'job.json');
  if (!fs.existsSync(jobFile)) {
    validateAhead();
    return;
  }
  clearInterval(timer);
  /** @type {unknown} */
  let reply;
  /** @type {Array<{ file: string, violations: Violation[] }>} */
  let fresh = [];
  try {
    /** @type {Context} */
    const context = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
    const start = performance.now();
    const result = validate(context);
    fresh = result.fresh;
    const stats = {
      templates: context.stackTemplates.length,
      cachedTemplates: result.cached,
      validatedAhead: result.ahead,
      engineStartMs: prestarted ? engineStartMs : undefined,
      validateMs: performance.now() - start,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    reply = { report: result.report, version: plugin.version, stats };
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  // Before the reply: once the app has it, it may end this process.
  updateCache(fresh);
  writeAtomically(path.join(exchange, 'reply.json'), reply);
  process.exit(0);
}, POLL_MS);
