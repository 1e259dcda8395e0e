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
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { PermanentError, TransientError } from './errors.ts';
import { newRecord, type ServiceRecord } from './record.ts';
import { fitRecord } from './record-size.ts';
import { outstanding } from './wake.ts';

export class ConflictError extends TransientError {
  constructor(
    key: string,
    /** The record as stored, read back (consistently) to tell the conflict from our own landed write. */
    readonly stored?: ServiceRecord,
  ) {
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
  /** Every record (a Scan): reports and the CLI, never the pipeline's own rounds. */
  list(): Promise<ServiceRecord[]>;
  /** The records with work outstanding and the repositories' marks: one Query of the sparse index. */
  outstanding(): Promise<Outstanding>;
  /** Records what the last look in a repository found (lib/missed-pushes.ts). */
  putMark(repository: string, mark: RepositoryMark): Promise<void>;
}

/** The newest push a look in the repository found: a look that finds none newer reads no record. */
export interface RepositoryMark {
  newest: number;
  at: number;
}

export interface Outstanding {
  records: ServiceRecord[];
  marks: Map<string, RepositoryMark>;
}

const pk = (key: string) => `service#${key}`;
const markKey = (repository: string) => `repository#${repository}`;

/**
 * The sparse index the sweep reads: an item is in it only while it carries `outstanding`, which
 * the store writes only on records with work outstanding (lib/wake.ts) and on repository marks.
 * One key value, so one Query returns them all; an idle fleet's records are not in it at all.
 */
export const OUTSTANDING_INDEX = 'outstanding';
const OUTSTANDING = { S: 'work' };

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
            ...(outstanding(next) && { [OUTSTANDING_INDEX]: OUTSTANDING }),
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
      if (e instanceof ConditionalCheckFailedException) throw new ConflictError(record.key, stored);
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

  async outstanding(): Promise<Outstanding> {
    const records: ServiceRecord[] = [];
    const marks = new Map<string, RepositoryMark>();
    let start: Record<string, any> | undefined;
    do {
      // The index is eventually consistent: a record read here may be a write behind, which the
      // conditional write of any decision taken from it catches (ConflictError, read again).
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: OUTSTANDING_INDEX,
          KeyConditionExpression: '#o = :o',
          ExpressionAttributeNames: { '#o': OUTSTANDING_INDEX },
          ExpressionAttributeValues: { ':o': OUTSTANDING },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const key = item.pk?.S ?? '';
        if (key.startsWith('service#')) records.push(parseItem(key.slice('service#'.length), item));
        else if (key.startsWith('repository#')) {
          const mark = parseMark(item);
          if (mark) marks.set(key.slice('repository#'.length), mark);
        }
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return { records, marks };
  }

  async putMark(repository: string, mark: RepositoryMark): Promise<void> {
    // Unconditional: two looks write what they found, and either is a true mark.
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: markKey(repository) },
          data: { S: JSON.stringify(mark) },
          [OUTSTANDING_INDEX]: OUTSTANDING,
        },
      }),
    );
  }
}

/** A repository mark, or nothing when it is unreadable (the next look writes a good one). */
function parseMark(item: Record<string, any>): RepositoryMark | undefined {
  try {
    const mark = JSON.parse(item.data?.S ?? '');
    return typeof mark?.newest === 'number' && typeof mark?.at === 'number' ? mark : undefined;
  } catch {
    return undefined;
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
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: OUTSTANDING_INDEX, AttributeType: 'S' as const },
  ],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  BillingMode: 'PAY_PER_REQUEST' as const,
  GlobalSecondaryIndexes: [
    {
      IndexName: OUTSTANDING_INDEX,
      KeySchema: [{ AttributeName: OUTSTANDING_INDEX, KeyType: 'HASH' as const }],
      // The whole record: the sweep decides from what the Query returned, with no GetItem each.
      Projection: { ProjectionType: 'ALL' as const },
    },
  ],
};
