import { type EnvironmentName } from '../../lib/config';
import { type AcknowledgementCounts, ct, describeStageStackNag } from '../support/nag';

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
/** Under the gate's AWS Control Tower pack: the ports, Redis AUTH, CDK's log-retention handler and the slow log. */
const CONTROL_TOWER_ACKNOWLEDGED: AcknowledgementCounts = {
  [ct('rds_instance_no_default_ports_check')]: 1,
  [ct('elasticache_repl_grp_rbac_auth_enabled_check')]: 1,
  [ct('lambda_inside_vpc_check')]: 1,
  [ct('cloudwatch_log_group_encrypted_check')]: 1,
  [ct('cloudwatch_log_group_retention_period_check')]: 1,
};
/** Where the environment's config makes the finding true. */
const ACKNOWLEDGED_IN: Record<EnvironmentName, AcknowledgementCounts> = {
  // Single-AZ and destroyable database, one day of backups.
  dev: {
    'AwsSolutions-RDS10': 2,
    'AwsSolutions-RDS3': 2,
    [ct('rds_instance_deletion_protection_enabled_check')]: 1,
    [ct('rds_instance_multi_az_support_check')]: 1,
    [ct('rds_instance_backup_enabled_check')]: 1,
  },
  staging: { 'AwsSolutions-RDS10': 2, [ct('rds_instance_deletion_protection_enabled_check')]: 1 },
  prod: {},
};

describeStageStackNag('Database', { ...ACKNOWLEDGED, ...CONTROL_TOWER_ACKNOWLEDGED }, ACKNOWLEDGED_IN);
