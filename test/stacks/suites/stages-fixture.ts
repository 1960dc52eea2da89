import { type ApiFunctionName } from '../../../lib/stacks/serverless-api-stack';
import { synthAllStages } from '../../support/app';

/**
 * The AppStage of every environment, built once for test/stacks/stage-stacks.test.ts and every
 * suite of this folder it imports (one module instance per test file): these suites need the
 * construct objects (logical ids, props, cdk-nag's validateScope), not just templates, and each
 * building its own cost ~1.3 s of CPU per file. Suites that only read templates use
 * test/support/templates.ts instead.
 */
export const { configs, stages } = synthAllStages();

/** The API stack's functions, as the suites expect them (each suite checks its own aspect of all). */
export const API_FUNCTION_NAMES: readonly ApiFunctionName[] = [
  'users',
  'products',
  'orders',
  'authorizer',
  'orderEvents',
];
