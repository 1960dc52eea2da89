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

/** The Networking stack of every environment under the gate's cdk-nag packs. */
const ACKNOWLEDGED: AcknowledgementCounts = {
  'AwsSolutions-EC23': 1,
  'CloudFormation-Validate::F3002': 1,
  'CloudFormation-Validate::F3003': 1,
  'CloudFormation-Validate::W3010': 1,
};
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = { dev: {}, staging: {}, prod: {} };

let pipeline: PipelineStack;
beforeAll(() => {
  pipeline = buildPipelineStack();
});

describe.each(ENVIRONMENT_NAMES)('%s Networking', (env) => {
  test.each(NAG_PACK_NAMES)('has no unacknowledged %s finding', (pack) => {
    expect(nagFindings(pack, stageStack(pipeline, env, 'Networking'))).toEqual({
      success: true,
      findings: [],
    });
  });

  test('acknowledges exactly the expected rules, as often as expected', () => {
    expect(acknowledgementCounts(stageStack(pipeline, env, 'Networking'))).toEqual({
      ...ACKNOWLEDGED,
      ...ACKNOWLEDGED_IN[env],
    });
  });
});
