import { GetCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { EMPTY_HISTORY, type PipelineHistory } from './compute';
import { DELIVERY_METRICS_TABLE_SCHEMA } from './table-schema';

const { partitionKey: PK, sortKey: SK, timeToLiveAttribute } = DELIVERY_METRICS_TABLE_SCHEMA;

export const deliveryKeys = {
  history: (pipeline: string) => ({ [PK]: `PIPELINE#${pipeline}`, [SK]: 'HISTORY' }),
  event: (eventId: string) => ({ [PK]: `EVENT#${eventId}`, [SK]: 'EVENT' }),
} as const;

/** EventBridge retries a delivery for at most 24 hours: a marker outlives every duplicate. */
export const EVENT_MARKER_TTL_SECONDS = 2 * 24 * 60 * 60;

export interface StoredHistory {
  readonly history: PipelineHistory;
  /** Optimistic lock: 0 before the first save. */
  readonly version: number;
}

export type SaveOutcome = 'saved' | 'duplicate' | 'conflict';

export interface DeliveryMetricsRepository {
  load(pipeline: string): Promise<StoredHistory>;
  /**
   * Stores the history if nobody saved another version meanwhile, together with a marker of the
   * event: `duplicate` when the event was already applied, `conflict` when the version moved.
   */
  save(
    pipeline: string,
    history: PipelineHistory,
    expectedVersion: number,
    eventId: string,
    now: number
  ): Promise<SaveOutcome>;
}

export class DynamoDbDeliveryMetricsRepository implements DeliveryMetricsRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string
  ) {}

  async load(pipeline: string): Promise<StoredHistory> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: deliveryKeys.history(pipeline), ConsistentRead: true })
    );
    if (!Item) return { history: EMPTY_HISTORY, version: 0 };
    return {
      history: { ...EMPTY_HISTORY, ...(Item.history as PipelineHistory) },
      version: Item.version as number,
    };
  }

  async save(
    pipeline: string,
    history: PipelineHistory,
    expectedVersion: number,
    eventId: string,
    now: number
  ): Promise<SaveOutcome> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...deliveryKeys.event(eventId),
                  pipeline,
                  [timeToLiveAttribute]: Math.floor(now / 1000) + EVENT_MARKER_TTL_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PK },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                // Through JSON: unset optional fields are dropped whatever the client's marshalling.
                Item: {
                  ...deliveryKeys.history(pipeline),
                  pipeline,
                  history: JSON.parse(JSON.stringify(history)) as PipelineHistory,
                  version: expectedVersion + 1,
                },
                ConditionExpression:
                  expectedVersion === 0 ? 'attribute_not_exists(#pk)' : '#version = :expected',
                ExpressionAttributeNames: expectedVersion === 0 ? { '#pk': PK } : { '#version': 'version' },
                ...(expectedVersion === 0
                  ? {}
                  : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
              },
            },
          ],
        })
      );
      return 'saved';
    } catch (error) {
      if (!(error instanceof Error && error.name === 'TransactionCanceledException')) throw error;
      // Which condition failed: the marker exists (a duplicate) or the history moved on (a race).
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: deliveryKeys.event(eventId), ConsistentRead: true })
      );
      return Item ? 'duplicate' : 'conflict';
    }
  }
}
