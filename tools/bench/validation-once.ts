/**
 * The CloudFormation validation of one synth, measured on its own in a fresh process, as the app
 * runs it (lib/compliance/cloudformation-validation.ts): the validation process starts its engine,
 * then validates every template of a synthesized cloud assembly (argv[2]) in one invocation.
 * Prints its stats as JSON: engine start, validation, templates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackgroundCloudFormationValidation } from '../lib/compliance/cloudformation-validation';

function templates(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name.startsWith('assembly-')) return templates(file);
    return entry.isFile() && entry.name.endsWith('.template.json') ? [file] : [];
  });
}

const assembly = process.argv[2];
if (!assembly) throw new Error('usage: validation-once.ts <cloud assembly directory>');
const files = templates(assembly);
const plugin = new BackgroundCloudFormationValidation();
const report = plugin.validate({
  templatePaths: files,
  stackTemplates: files.map((file) => ({
    stackConstructPath: path.basename(file, '.template.json'),
    templatePath: file,
  })),
});
process.stdout.write(`${JSON.stringify({ ...plugin.stats, violations: report.violations.length })}\n`);
