import { type CfnOutput, Stage, type StageProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { type EnvironmentConfig } from '../lib/config';
import { DatabaseStack } from '../lib/stacks/database-stack';
import { MonitoringStack } from '../lib/stacks/monitoring-stack';
import { NetworkingStack } from '../lib/stacks/networking-stack';
import { ServerlessApiStack } from '../lib/stacks/serverless-api-stack';

export interface AppStageProps extends StageProps {
  readonly config: EnvironmentConfig;
  /**
   * The account of the pipeline that deploys this stage: trusted by the bake role where the config
   * asks for a bake time, and by the integration-test role where it runs integration tests.
   * @default - neither role
   */
  readonly pipelineAccount?: string;
}

/** One copy of the application: the same stacks in every environment, its settings from config. */
export class AppStage extends Stage {
  public readonly networking: NetworkingStack;
  public readonly database: DatabaseStack;
  public readonly api: ServerlessApiStack;
  public readonly monitoring: MonitoringStack;
  /** The API's base URL (ends with `/<stage>/`), for the pipeline's post-deploy health check. */
  public readonly apiUrl: CfnOutput;

  constructor(scope: Construct, id: string, props: AppStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });

    this.networking = new NetworkingStack(this, 'Networking', { config });
    this.database = new DatabaseStack(this, 'Database', {
      config,
      vpc: this.networking.vpc,
      databaseSecurityGroup: this.networking.databaseSecurityGroup,
      cacheSecurityGroup: this.networking.cacheSecurityGroup,
    });
    this.api = new ServerlessApiStack(this, 'ServerlessApi', {
      config,
      pipelineAccount: props.pipelineAccount,
    });
    this.monitoring = new MonitoringStack(this, 'Monitoring', {
      config,
      api: this.api.api,
      functions: Object.fromEntries(
        Object.entries(this.api.functions).map(([name, fn]) => [name, fn.function])
      ),
      database: this.database.database,
      table: this.api.table,
      orderEventsQueue: this.api.orderEventsQueue,
      orderEventsDeadLetterQueue: this.api.orderEventsDeadLetterQueue,
      redisReplicationGroupId: this.database.redis.ref,
      wafWebAclName: this.api.waf?.webAclName,
      canarySuccessPercent: this.api.canary.metricSuccessPercent(),
      pipelineAccount: props.pipelineAccount,
    });
    this.apiUrl = this.api.apiUrlOutput;
  }
}
