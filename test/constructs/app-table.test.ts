import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TABLE_SCHEMA } from '../../lib/config';
import { AppTable, type AppTableProps } from '../../lib/constructs/app-table';

function synth(props: AppTableProps): Template {
  const stack = new Stack(new App(), 'Test');
  new AppTable(stack, 'Data', props);
  return Template.fromStack(stack);
}

describe('AppTable', () => {
  const retained = synth({ deletionProtection: true, removalPolicy: RemovalPolicy.RETAIN });

  test('uses the key schema of TABLE_SCHEMA, its TTL attribute, on demand, with PITR', () => {
    retained.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: TABLE_SCHEMA.gsi1.indexName })],
    });
  });

  test('retains the table with deletion protection when asked', () => {
    retained.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  test('does not protect or retain the table when not asked', () => {
    synth({ deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY }).hasResource(
      'AWS::DynamoDB::Table',
      { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) }
    );
  });
});
