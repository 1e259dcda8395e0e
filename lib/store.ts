/**
 * Service records in DynamoDB: one item per service, `pk = service#<cluster>/<service>`, the record
 * as JSON in `data`, and `version` for optimistic concurrency. A write succeeds only if the item
 * still has the version that was read, so of two invocations acting on the same step exactly one
 * commits; the other re-observes and decides again. Single-item conditional writes only: no
 * transactions, no TTL (bounded lists inside the record instead).
 */

import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { PermanentError, TransientError } from './errors.ts';
import { newRecord, type ServiceRecord } from './record.ts';

export class ConflictError extends TransientError {
  constructor(key: string) {
    super(`the record of ${key} changed since it was read`);
    this.name = 'ConflictError';
  }
}

export class CorruptRecordError extends PermanentError {
  constructor(key: string, why: string) {
    super(`the record of ${key} is unreadable: ${why}`);
    this.name = 'CorruptRecordError';
  }
}

export interface RecordStore {
  get(cluster: string, service: string): Promise<ServiceRecord>;
  /** Writes `record` as version `record.version + 1` if the stored version is still `record.version`. */
  put(record: ServiceRecord): Promise<ServiceRecord>;
  list(): Promise<ServiceRecord[]>;
}

const pk = (key: string) => `service#${key}`;

export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly table: string,
  ) {}

  async get(cluster: string, service: string): Promise<ServiceRecord> {
    const key = `${cluster}/${service}`;
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: pk(key) } }, ConsistentRead: true }),
    );
    if (!out.Item) return newRecord(cluster, service);
    return parseItem(key, out.Item);
  }

  async put(record: ServiceRecord): Promise<ServiceRecord> {
    // `writeId` tells our own landed write from a twin's identical decision (see the catch below).
    const next = { ...record, version: record.version + 1, writeId: randomUUID() };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: pk(record.key) },
            version: { N: String(next.version) },
            data: { S: JSON.stringify(next) },
          },
          ConditionExpression: record.version === 0 ? 'attribute_not_exists(pk)' : '#v = :v',
          ...(record.version === 0
            ? {}
            : {
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':v': { N: String(record.version) } },
              }),
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      // The SDK retries a PutItem whose first answer was lost: that write landed, and the retry
      // "conflicts" with it. Finding our own write (its writeId) is a commit, not a lost race; a
      // concurrent invocation that decided the same thing wrote another writeId, and did lose.
      const stored = await this.get(record.cluster, record.service).catch(() => undefined);
      if (stored && JSON.stringify(stored) === JSON.stringify(next)) return next;
      throw new ConflictError(record.key);
    }
    return next;
  }

  async list(): Promise<ServiceRecord[]> {
    const records: ServiceRecord[] = [];
    let start: Record<string, any> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }),
      );
      for (const item of out.Items ?? []) {
        const key = item.pk?.S?.replace(/^service#/, '');
        if (key && item.pk?.S?.startsWith('service#')) records.push(parseItem(key, item));
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return records;
  }
}

function parseItem(key: string, item: Record<string, any>): ServiceRecord {
  const data = item.data?.S;
  if (typeof data !== 'string') throw new CorruptRecordError(key, 'no data attribute');
  let parsed: ServiceRecord;
  try {
    parsed = JSON.parse(data);
  } catch (e) {
    throw new CorruptRecordError(key, `data is not JSON (${(e as Error).message})`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    parsed.key !== key ||
    typeof parsed.version !== 'number'
  ) {
    throw new CorruptRecordError(key, 'data does not describe this service');
  }
  if (!Array.isArray(parsed.history) || typeof parsed.badDigests !== 'object') {
    throw new CorruptRecordError(key, 'history or badDigests missing');
  }
  return parsed;
}

/** The table's definition, shared by serverless.yml's resource and the local set-up. */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  BillingMode: 'PAY_PER_REQUEST' as const,
};
