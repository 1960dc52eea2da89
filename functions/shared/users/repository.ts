import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from '../dynamodb';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../pagination';
import { TABLE_SCHEMA } from '../table-schema';
import { type User, type UserProfileInput } from './model';

const { partitionKey: PK, sortKey: SK, gsi1 } = TABLE_SCHEMA;

/** Key layout of user profiles; see ../README.md for the whole table. */
export const userKeys = {
  pk: (userId: string) => `USER#${userId}`,
  sk: 'PROFILE',
  /** All profiles share one GSI1 partition so admins can page through them without a Scan. */
  gsi1pk: 'USERS',
  gsi1sk: (userId: string) => `USER#${userId}`,
} as const;

export interface UserRepository {
  /** Returns false, writing nothing, when a profile with this id already exists. */
  create(user: User): Promise<boolean>;
  get(userId: string): Promise<User | undefined>;
  /** Returns undefined, writing nothing, when there is no such profile. */
  update(userId: string, profile: UserProfileInput, updatedAt: string): Promise<User | undefined>;
  /** Returns false when there was no such profile. */
  delete(userId: string): Promise<boolean>;
  list(page: PageRequest): Promise<Page<User>>;
}

/** Copies the entity attributes only, so keys and bookkeeping never leak into responses. */
function toUser(item: Record<string, unknown>): User {
  const stored = item as unknown as User;
  return {
    userId: stored.userId,
    email: stored.email,
    givenName: stored.givenName,
    familyName: stored.familyName,
    phoneNumber: stored.phoneNumber,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

export class DynamoDbUserRepository implements UserRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string
  ) {}

  async create(user: User): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: userKeys.pk(user.userId),
            [SK]: userKeys.sk,
            [gsi1.partitionKey]: userKeys.gsi1pk,
            [gsi1.sortKey]: userKeys.gsi1sk(user.userId),
            entityType: 'User',
            ...user,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        })
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async get(userId: string): Promise<User | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: userKeys.pk(userId), [SK]: userKeys.sk } })
    );
    return Item ? toUser(Item) : undefined;
  }

  async update(userId: string, profile: UserProfileInput, updatedAt: string): Promise<User | undefined> {
    // PUT replaces the editable fields, so an omitted phone number is removed, not kept.
    const phone = profile.phoneNumber === undefined ? ' REMOVE phoneNumber' : ', phoneNumber = :phone';
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: userKeys.pk(userId), [SK]: userKeys.sk },
          UpdateExpression: `SET givenName = :given, familyName = :family, updatedAt = :now${phone}`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: {
            ':given': profile.givenName,
            ':family': profile.familyName,
            ':now': updatedAt,
            ...(profile.phoneNumber === undefined ? {} : { ':phone': profile.phoneNumber }),
          },
          ReturnValues: 'ALL_NEW',
        })
      );
      return Attributes ? toUser(Attributes) : undefined;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  async delete(userId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: userKeys.pk(userId), [SK]: userKeys.sk },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        })
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async list({ limit, cursor }: PageRequest): Promise<Page<User>> {
    const startKey =
      cursor === undefined
        ? undefined
        : decodeCursor(
            cursor,
            [PK, SK, gsi1.partitionKey, gsi1.sortKey],
            (key) =>
              key[gsi1.partitionKey] === userKeys.gsi1pk &&
              key[SK] === userKeys.sk &&
              key[PK]?.startsWith('USER#') === true &&
              key[gsi1.sortKey] === key[PK]
          );
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: gsi1.indexName,
        KeyConditionExpression: '#gsi1pk = :users',
        ExpressionAttributeNames: { '#gsi1pk': gsi1.partitionKey },
        ExpressionAttributeValues: { ':users': userKeys.gsi1pk },
        Limit: limit,
        ExclusiveStartKey: startKey,
      })
    );
    return { items: Items.map(toUser), nextCursor: encodeCursor(LastEvaluatedKey) };
  }
}
