import { type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../config';
import { keepParentLogicalIds } from './logical-ids';

export interface AppTableProps {
  /** Whether DynamoDB refuses to delete the table. */
  readonly deletionProtection: boolean;
  /** What happens to the table (and its data) when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The application's single DynamoDB table: the key schema of TABLE_SCHEMA (shared with the
 * handlers and the DynamoDB Local tests) with its one GSI, on demand, streamed, with
 * point-in-time recovery and a TTL attribute for idempotency records.
 */
export class AppTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AppTableProps) {
    super(scope, id);
    // Its table was deployed at the stack's top level: keep its logical id.
    keepParentLogicalIds(this);

    this.table = new dynamodb.Table(this, 'ApiDataTable', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.gsi1.indexName,
      partitionKey: { name: TABLE_SCHEMA.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
