import { type EnvironmentName } from '../../lib/config';
import { type AcknowledgementCounts, ct, describeStageStackNag } from '../support/nag';

/** The Networking stack of every environment under the gate's cdk-nag packs. */
const ACKNOWLEDGED: AcknowledgementCounts = {
  'AwsSolutions-EC23': 1,
  'CloudFormation-Validate::F3002': 1,
  'CloudFormation-Validate::F3003': 1,
  'CloudFormation-Validate::W3010': 1,
};
/** Under the gate's AWS Control Tower pack: the flow-log group and CDK's default-SG handler. */
const CONTROL_TOWER_ACKNOWLEDGED: AcknowledgementCounts = {
  [ct('cloudwatch_log_group_encrypted_check')]: 1,
  [ct('cloudwatch_log_group_retention_period_check')]: 1,
  [ct('lambda_inside_vpc_check')]: 1,
};
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = { dev: {}, staging: {}, prod: {} };

describeStageStackNag('Networking', { ...ACKNOWLEDGED, ...CONTROL_TOWER_ACKNOWLEDGED }, ACKNOWLEDGED_IN);
