import { type Template } from 'aws-cdk-lib/assertions';
import { type EnvironmentConfig, type EnvironmentName, type PipelineConfig } from '../../../lib/config';
import { type PipelineStack } from '../../../lib/pipeline/pipeline-stack';

/**
 * The one PipelineStack (with its three stages) that test/pipeline/pipeline-stack.test.ts builds
 * and hands to the suites of this folder: building it per test file cost ~2 s of CPU each.
 */
export interface PipelineFixture {
  readonly stack: PipelineStack;
  readonly template: Template;
  readonly environments: Record<EnvironmentName, EnvironmentConfig>;
  readonly pipelineConfig: PipelineConfig;
}
