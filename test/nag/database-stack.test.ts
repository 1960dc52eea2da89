import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/config';
import { type PipelineStack } from '../../lib/pipeline/pipeline-stack';
import {
  type AcknowledgementCounts,
  acknowledgementCounts,
  buildPipelineStack,
  NAG_PACK_NAMES,
  nagFindings,
  stageStack,
} from '../support/nag';

/** The Database stack of every environment under the gate's cdk-nag packs. */
const ACKNOWLEDGED: AcknowledgementCounts = {
  'AwsSolutions-AEC5': 1,
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 1,
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]': 1,
  'AwsSolutions-IAM5[Resource::*]': 1,
  'AwsSolutions-RDS11': 2,
  'AwsSolutions-RDS13': 1,
  'AwsSolutions-RDS2': 1,
  'AwsSolutions-SMG4': 1,
};
/** Where the environment's config makes the finding true. */
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = {
  // Single-AZ and destroyable database.
  dev: { 'AwsSolutions-RDS10': 2, 'AwsSolutions-RDS3': 2 },
  staging: { 'AwsSolutions-RDS10': 2 },
  prod: {},
};

let pipeline: PipelineStack;
beforeAll(() => {
  pipeline = buildPipelineStack();
});

describe.each(ENVIRONMENT_NAMES)('%s Database', (env) => {
  test.each(NAG_PACK_NAMES)('has no unacknowledged %s finding', (pack) => {
    expect(nagFindings(pack, stageStack(pipeline, env, 'Database'))).toEqual({ success: true, findings: [] });
  });

  test('acknowledges exactly the expected rules, as often as expected', () => {
    expect(acknowledgementCounts(stageStack(pipeline, env, 'Database'))).toEqual({
      ...ACKNOWLEDGED,
      ...ACKNOWLEDGED_IN[env],
    });
  });
});
