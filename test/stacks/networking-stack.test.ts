import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  APP_PORT,
  HTTP_PORT,
  HTTPS_PORT,
  POSTGRES_PORT,
  REDIS_PORT,
  SSH_PORT,
  VPC_CIDR,
} from '../../lib/config';
import { NetworkingStack } from '../../lib/stacks/networking-stack';
import { templateOf, testApp } from '../support/app';
import { stageManifest, stageTemplate } from '../support/templates';
import { loadEnvironments } from '../../lib/config';

// Read from the stage app the global setup synthesized for this run.
const dev = stageTemplate('dev', 'Networking');
const prod = stageTemplate('prod', 'Networking');

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Ingress rules of one SG, inline and standalone, as { port, source } pairs. */
function ingressOf(template: Template, sgLogicalIdPrefix: string) {
  const resources = template.toJSON().Resources as Resources;
  const sgId = Object.keys(resources).find(
    (id) => id.startsWith(sgLogicalIdPrefix) && resources[id]!.Type === 'AWS::EC2::SecurityGroup'
  );
  if (!sgId) throw new Error(`no security group ${sgLogicalIdPrefix}`);
  const inline =
    (resources[sgId]!.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [];
  const standalone = Object.values(resources)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')
    .map((r) => r.Properties)
    .filter((p) => JSON.stringify(p.GroupId).includes(sgId));
  return [...inline, ...standalone].map((rule) => ({
    from: rule.FromPort,
    to: rule.ToPort,
    cidr: rule.CidrIp,
    source: JSON.stringify(rule.SourceSecurityGroupId ?? null),
  }));
}

describe('VPC', () => {
  test('is 10.0.0.0/16 with DNS hostnames and support', () => {
    dev.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: VPC_CIDR,
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
  });

  test('has public, private and isolated /24 subnets in each of the three configured AZs', () => {
    for (const template of [dev, prod]) {
      template.resourceCountIs('AWS::EC2::Subnet', 9);
      for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
        template.resourcePropertiesCountIs('AWS::EC2::Subnet', { AvailabilityZone: az }, 3);
      }
      template.allResourcesProperties('AWS::EC2::Subnet', {
        CidrBlock: Match.stringLikeRegexp('^10\\.0\\.\\d+\\.0/24$'),
      });
    }
    for (const tier of ['Public', 'Private', 'Isolated']) {
      dev.resourcePropertiesCountIs(
        'AWS::EC2::Subnet',
        { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: tier }]) },
        3
      );
    }
  });

  test('no subnet, public ones included, assigns public IPs on launch (CT.EC2.PR.11)', () => {
    for (const template of [dev, prod]) {
      template.resourcePropertiesCountIs(
        'AWS::EC2::Subnet',
        {
          Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Public' }]),
          MapPublicIpOnLaunch: false,
        },
        3
      );
      template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 0);
    }
  });

  test('has one NAT gateway in dev and one per AZ in prod', () => {
    dev.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  test('sends ALL flow logs to a log group kept one month', () => {
    dev.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    dev.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('makes no availability-zone lookup (synth needs no credentials)', () => {
    const manifest = stageManifest('dev');
    expect(manifest.missing ?? []).toEqual([]);
  });
});

describe('security groups', () => {
  test('web tier opens 80 and 443 to anywhere', () => {
    expect(ingressOf(dev, 'WebSecurityGroup')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: HTTP_PORT, to: HTTP_PORT, cidr: '0.0.0.0/0' }),
        expect.objectContaining({ from: HTTPS_PORT, to: HTTPS_PORT, cidr: '0.0.0.0/0' }),
      ])
    );
    expect(ingressOf(dev, 'WebSecurityGroup')).toHaveLength(2);
  });

  test('app tier admits 8080 from the web tier only', () => {
    const rules = ingressOf(dev, 'AppSecurityGroup');
    expect(rules).toEqual([expect.objectContaining({ from: APP_PORT, to: APP_PORT, cidr: undefined })]);
    expect(rules[0]!.source).toContain('WebSecurityGroup');
  });

  test('database admits PostgreSQL from the app tier only, and never 3306', () => {
    const rules = ingressOf(dev, 'DatabaseSecurityGroup');
    expect(rules).toEqual([
      expect.objectContaining({ from: POSTGRES_PORT, to: POSTGRES_PORT, cidr: undefined }),
    ]);
    expect(rules[0]!.source).toContain('AppSecurityGroup');
  });

  test('cache admits Redis from the app tier only', () => {
    const rules = ingressOf(dev, 'CacheSecurityGroup');
    expect(rules).toEqual([expect.objectContaining({ from: REDIS_PORT, to: REDIS_PORT, cidr: undefined })]);
    expect(rules[0]!.source).toContain('AppSecurityGroup');
  });

  test('no rule anywhere opens 3306', () => {
    for (const template of [dev, prod]) {
      expect(JSON.stringify(template.toJSON())).not.toMatch(/"(FromPort|ToPort)":3306/);
    }
  });

  test('bastion has no SSH rule when no CIDR is configured', () => {
    expect(ingressOf(dev, 'BastionSecurityGroup')).toEqual([]);
  });

  test('bastion admits SSH from the configured CIDR only', () => {
    const app = testApp({
      context: {
        environments: {
          ...(testApp().node.tryGetContext('environments') as Record<string, unknown>),
          dev: {
            ...((testApp().node.tryGetContext('environments') as Record<string, Record<string, unknown>>)
              .dev ?? {}),
            bastionSshCidr: '203.0.113.0/24',
          },
        },
      },
    });
    const stack = new NetworkingStack(app, 'Net', { config: loadEnvironments(app.node).dev });
    expect(ingressOf(templateOf(stack), 'BastionSecurityGroup')).toEqual([
      expect.objectContaining({ from: SSH_PORT, to: SSH_PORT, cidr: '203.0.113.0/24' }),
    ]);
  });

  test('VPC endpoint SG admits 443 from the VPC CIDR only', () => {
    expect(ingressOf(dev, 'VpcEndpointSG')).toEqual([
      expect.objectContaining({ from: HTTPS_PORT, to: HTTPS_PORT, cidr: VPC_CIDR }),
    ]);
  });

  test('data tiers have no egress', () => {
    for (const id of ['DatabaseSecurityGroup', 'CacheSecurityGroup']) {
      const resources = dev.toJSON().Resources as Resources;
      const sg = Object.entries(resources).find(([logicalId]) => logicalId.startsWith(id))![1];
      expect(sg.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
      ]);
    }
  });
});

describe('VPC endpoints', () => {
  test('S3 and DynamoDB gateway endpoints serve the private and isolated route tables', () => {
    for (const service of ['s3', 'dynamodb']) {
      dev.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`.${service}`])] }),
      });
    }
    const gateways = dev.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Gateway' },
    });
    for (const endpoint of Object.values(gateways)) {
      // 3 private + 3 isolated route tables; none public.
      expect((endpoint.Properties.RouteTableIds as unknown[]).length).toBe(6);
      expect(JSON.stringify(endpoint.Properties.RouteTableIds)).not.toContain('Public');
    }
  });

  test.each(['ecr.api', 'ecr.dkr', 'lambda', 'secretsmanager', 'ssm', 'ssmmessages', 'ec2messages'])(
    '%s interface endpoint sits on the private subnets behind the endpoint SG',
    (service) => {
      dev.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: `com.amazonaws.us-east-1.${service}`,
        PrivateDnsEnabled: true,
        SubnetIds: [
          { Ref: Match.stringLikeRegexp('PrivateSubnet1') },
          { Ref: Match.stringLikeRegexp('PrivateSubnet2') },
          { Ref: Match.stringLikeRegexp('PrivateSubnet3') },
        ],
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^VpcEndpointSG'), 'GroupId'] }],
      });
    }
  );
});

test('outputs the VPC id, CIDR and the subnet ids of each tier', () => {
  for (const name of ['VpcId', 'VpcCidr', 'PublicSubnetIds', 'PrivateSubnetIds', 'DatabaseSubnetIds']) {
    dev.hasOutput(name, {});
  }
});

test('pins the logical id of the VPC (renaming it would replace the network)', () => {
  expect(Object.keys(dev.findResources('AWS::EC2::VPC'))).toEqual(['MainVPC83A193D2']);
});
