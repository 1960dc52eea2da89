import { CfnOutput, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { type Construct } from 'constructs';
import {
  APP_PORT,
  HTTP_PORT,
  HTTPS_PORT,
  POSTGRES_PORT,
  REDIS_PORT,
  SSH_PORT,
  SUBNET_CIDR_MASK,
  VPC_CIDR,
} from '../config';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack';

export type NetworkingStackProps = EnvironmentStackProps;

/** Subnet group names; CDK allocates the /24s of each tier in order. */
export const SUBNET_NAMES = { public: 'Public', private: 'Private', database: 'Database' } as const;

/** Interface endpoints on the private subnets: keep AWS API traffic off the NAT gateways. */
const INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
  Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
};

/** Flow-log retention is fixed by the design, independent of the environment. */
const FLOW_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * The VPC (public, private-with-egress and isolated database tiers over three AZs), the tier
 * security groups and the VPC endpoints.
 */
export class NetworkingStack extends EnvironmentStack {
  public readonly vpc: ec2.Vpc;
  public readonly webSecurityGroup: ec2.SecurityGroup;
  public readonly appSecurityGroup: ec2.SecurityGroup;
  public readonly databaseSecurityGroup: ec2.SecurityGroup;
  public readonly cacheSecurityGroup: ec2.SecurityGroup;
  public readonly bastionSecurityGroup: ec2.SecurityGroup;
  public readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkingStackProps) {
    super(scope, id, props);
    const { config } = props;

    const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogsGroup', {
      retention: FLOW_LOG_RETENTION,
      removalPolicy: config.removalPolicy,
    });

    this.vpc = new ec2.Vpc(this, 'MainVPC', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      availabilityZones: [...config.availabilityZones],
      natGateways: config.network.natGateways,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      subnetConfiguration: [
        {
          name: SUBNET_NAMES.public,
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: SUBNET_CIDR_MASK,
          // Only the NAT gateways live here, with their own Elastic IPs: nothing launched into a
          // public subnet gets a public address by accident.
          mapPublicIpOnLaunch: false,
        },
        {
          name: SUBNET_NAMES.private,
          subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
          cidrMask: SUBNET_CIDR_MASK,
        },
        {
          name: SUBNET_NAMES.database,
          subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: SUBNET_CIDR_MASK,
        },
      ],
      flowLogs: {
        FlowLogsCloudWatch: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'AZs are explicit config so synth needs no AWS lookup; each environment names its own.',
    });

    this.webSecurityGroup = this.securityGroup(
      'WebSecurityGroup',
      'Web tier: HTTP/HTTPS from the internet',
      true
    );
    this.webSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTP_PORT), 'Allow HTTP');
    this.webSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS_PORT), 'Allow HTTPS');
    Validations.of(this.webSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'The web tier is the public entry point: only 80 and 443 are open to the internet.',
    });

    this.appSecurityGroup = this.securityGroup(
      'AppSecurityGroup',
      'App tier: traffic from the web tier only',
      true
    );
    this.appSecurityGroup.addIngressRule(
      this.webSecurityGroup,
      ec2.Port.tcp(APP_PORT),
      'Allow traffic from web tier'
    );

    // Data tiers need no egress: they only answer connections.
    this.databaseSecurityGroup = this.securityGroup(
      'DatabaseSecurityGroup',
      'PostgreSQL from the app tier',
      false
    );
    this.databaseSecurityGroup.addIngressRule(
      this.appSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'Allow PostgreSQL from app tier'
    );

    this.cacheSecurityGroup = this.securityGroup('CacheSecurityGroup', 'Redis from the app tier', false);
    this.cacheSecurityGroup.addIngressRule(
      this.appSecurityGroup,
      ec2.Port.tcp(REDIS_PORT),
      'Allow Redis from app tier'
    );

    this.bastionSecurityGroup = this.securityGroup(
      'BastionSecurityGroup',
      'Bastion host management access',
      true
    );
    if (config.network.bastionSshCidr) {
      this.bastionSecurityGroup.addIngressRule(
        ec2.Peer.ipv4(config.network.bastionSshCidr),
        ec2.Port.tcp(SSH_PORT),
        'Allow SSH from the configured company network'
      );
    }

    this.endpointSecurityGroup = this.securityGroup('VpcEndpointSG', 'Interface VPC endpoints', false);
    this.endpointSecurityGroup.addIngressRule(
      // The literal CIDR (not the VPC's token) so the rule checks can read it.
      ec2.Peer.ipv4(VPC_CIDR),
      ec2.Port.tcp(HTTPS_PORT),
      'Allow HTTPS from VPC'
    );

    const privateAndIsolated = [
      { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ];
    this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: privateAndIsolated,
    });
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: privateAndIsolated,
    });
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.endpointSecurityGroup],
        // The endpoint SG's own rule above already admits the VPC; `open` would add a second one.
        open: false,
        privateDnsEnabled: true,
      });
    }

    new CfnOutput(this, 'VpcId', { value: this.vpc.vpcId });
    new CfnOutput(this, 'VpcCidr', { value: this.vpc.vpcCidrBlock });
    new CfnOutput(this, 'PublicSubnetIds', { value: this.subnetIds(this.vpc.publicSubnets) });
    new CfnOutput(this, 'PrivateSubnetIds', { value: this.subnetIds(this.vpc.privateSubnets) });
    new CfnOutput(this, 'DatabaseSubnetIds', { value: this.subnetIds(this.vpc.isolatedSubnets) });
  }

  private securityGroup(id: string, description: string, allowAllOutbound: boolean): ec2.SecurityGroup {
    return new ec2.SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound });
  }

  private subnetIds(subnets: ec2.ISubnet[]): string {
    return subnets.map((s) => s.subnetId).join(',');
  }
}
