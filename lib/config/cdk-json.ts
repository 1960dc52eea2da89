import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ContextSource } from './load-config';

/** The repository root (this file is lib/config/cdk-json.ts). */
const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * The context in cdk.json: what `cdk synth` gives the app. For the tools that build or read the app
 * without the CDK CLI (the local API, `npm run diagram`, the tests), so they see the same settings.
 */
export function cdkJsonContext(projectRoot = PROJECT_ROOT): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as unknown;
  const context =
    typeof cdkJson === 'object' && cdkJson !== null ? (cdkJson as { context?: unknown }).context : undefined;
  if (typeof context !== 'object' || context === null) throw new Error('cdk.json has no context object');
  return context as Record<string, unknown>;
}

/** A context object as the loaders read it from a construct's node (`loadEnvironments(...)`). */
export function contextSource(context: Record<string, unknown>): ContextSource {
  return { tryGetContext: (key) => context[key] };
}
