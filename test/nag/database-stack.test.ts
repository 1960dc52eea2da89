import { type EnvironmentName } from '../../lib/config';
import { type AcknowledgementCounts, describeStageStackNag } from '../support/nag';

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

describeStageStackNag('Database', ACKNOWLEDGED, ACKNOWLEDGED_IN);
