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
import { fitRecord } from './record-size.ts';

export class ConflictError extends TransientError {
  constructor(key: string) {
    super(`the record of ${key} changed since it was read`);
    this.name = 'ConflictError';
  }
}

/** A write that may or may not have landed, and its record could not be read back to tell. */
export class UnknownWriteError extends TransientError {
  constructor(key: string) {
    super(`the write of ${key}'s record may have landed: no answer, and it could not be read back`);
    this.name = 'UnknownWriteError';
  }
}

/** Reads of a record after a write without a clear answer (see DynamoRecordStore.readBack). */
export const READ_BACK_ATTEMPTS = 3;

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
    // Within the byte budget (lib/record-size.ts): failures folded into counts, history trimmed.
    const next = fitRecord({ ...record, version: record.version + 1, writeId: randomUUID() });
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
      // Either way the write may have landed, and a landed write's notices are told only by this
      // invocation (no later one decides them again): read it back, and our writeId there is a commit.
      // - ConditionalCheckFailed: the SDK retried a PutItem whose first answer was lost; the retry
      //   "conflicts" with our own write, or a concurrent invocation did win (another writeId).
      // - no answer at all (the SDK gave up: throttled, timed out, reset): landed or not, unknown.
      // Property seed 3: a landed write, its answer lost, then its retries (or the read-back) throttled.
      const stored = await this.readBack(record);
      if (stored === 'unreadable')
        throw e instanceof ConditionalCheckFailedException ? new UnknownWriteError(record.key) : e;
      if (JSON.stringify(stored) === JSON.stringify(next)) return next;
      if (e instanceof ConditionalCheckFailedException) throw new ConflictError(record.key);
      throw e;
    }
    return next;
  }

  /**
   * The stored record after a write without a clear answer. Up to READ_BACK_ATTEMPTS reads (each with
   * the SDK's own retries): throttling that outlasted the write's retries usually ends within them.
   */
  private async readBack(record: ServiceRecord): Promise<ServiceRecord | 'unreadable'> {
    for (let attempt = 0; attempt < READ_BACK_ATTEMPTS; attempt++) {
      try {
        return await this.get(record.cluster, record.service);
      } catch {
        // Try again: the answer decides whether this write's notices are told.
      }
    }
    return 'unreadable';
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
