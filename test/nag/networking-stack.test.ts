import { type EnvironmentName } from '../../lib/config';
import { type AcknowledgementCounts, describeStageStackNag } from '../support/nag';

/** The Networking stack of every environment under the gate's cdk-nag packs. */
const ACKNOWLEDGED: AcknowledgementCounts = {
  'AwsSolutions-EC23': 1,
  'CloudFormation-Validate::F3002': 1,
  'CloudFormation-Validate::F3003': 1,
  'CloudFormation-Validate::W3010': 1,
};
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = { dev: {}, staging: {}, prod: {} };

describeStageStackNag('Networking', ACKNOWLEDGED, ACKNOWLEDGED_IN);
