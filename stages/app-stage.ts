import { Stage, type StageProps } from 'aws-cdk-lib';
import { type Construct } from 'constructs';
import { type EnvironmentConfig } from '../lib/config';
import { DatabaseStack } from '../lib/stacks/database-stack';
import { NetworkingStack } from '../lib/stacks/networking-stack';

export interface AppStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/** One copy of the application: the same stacks in every environment, its settings from config. */
export class AppStage extends Stage {
  public readonly networking: NetworkingStack;
  public readonly database: DatabaseStack;

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
  }
}
