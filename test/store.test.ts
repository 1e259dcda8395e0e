import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { newRecord } from '../lib/record.ts';
import { ConflictError, CorruptRecordError } from '../lib/store.ts';
import { sharedStoreWorld } from './helpers/world.ts';

describe('DynamoRecordStore through dynalite', () => {
  const t = sharedStoreWorld();

  it('returns a fresh record at version 0 for a service never seen', async () => {
    expect(await t.store.get('prod', 'new')).toEqual(newRecord('prod', 'new'));
  });

  it('of two writers holding the same version, exactly one commits', async () => {
    const read = await t.store.get('prod', 'web');
    const first = await t.store.put({ ...read, lastGood: { taskDefinition: 'web:1', since: 1 } });
    expect(first.version).toBe(1);
    await expect(
      t.store.put({ ...read, lastGood: { taskDefinition: 'web:9', since: 2 } }),
    ).rejects.toBeInstanceOf(ConflictError);
    const again = await t.store.get('prod', 'web');
    expect(again.lastGood?.taskDefinition).toBe('web:1');
    const second = await t.store.put({ ...again, lastGood: { taskDefinition: 'web:2', since: 3 } });
    expect(second.version).toBe(2);
    await expect(t.store.put(again)).rejects.toBeInstanceOf(ConflictError);
  });

  it('a write that landed but whose answer was lost is a commit when retried, not a conflict', async () => {
    const read = await t.store.get('prod', 'retried');
    const next = { ...read, lastGood: { taskDefinition: 'web:3', since: 1 } };
    // The PutItem lands, its answer is lost, and the SDK sends the very same request again.
    const client = t.dynamodb as unknown as { send: (c: unknown) => Promise<unknown> };
    const send = client.send.bind(client);
    client.send = async (command: unknown) => {
      client.send = send;
      await send(command);
      return send(command);
    };
    const written = await t.store.put(next);
    expect(written.version).toBe(1);
    expect(await t.store.get('prod', 'retried')).toEqual(written);
    // Another invocation that decided the same thing, at the same version, lost the race.
    await expect(t.store.put(next)).rejects.toBeInstanceOf(ConflictError);
  });

  it('lists every record', async () => {
    const keys = (await t.store.list()).map((r) => r.key).sort();
    expect(keys).toContain('prod/web');
  });

  it('the sparse index holds only records with work outstanding, and repository marks', async () => {
    const idle = await t.store.put({
      ...(await t.store.get('sparse', 'idle')),
      lastGood: { taskDefinition: 'a:1', since: 1 },
    });
    const busy = await t.store.put({
      ...(await t.store.get('sparse', 'busy')),
      wake: { at: 5, why: 'bake of step 1 ends' },
    });
    await t.store.putMark('web', { newest: 7, at: 8 });
    let found = await t.store.outstanding();
    expect(found.records.map((r) => r.key)).toContain('sparse/busy');
    expect(found.records.map((r) => r.key)).not.toContain('sparse/idle');
    expect(found.records.find((r) => r.key === 'sparse/busy')).toEqual(busy);
    expect(found.marks.get('web')).toEqual({ newest: 7, at: 8 });
    // Work done: the record leaves the index (DynamoDB drops an item whose key attribute is gone).
    const { wake: _wake, ...done } = busy;
    await t.store.put(done);
    await t.store.put({ ...idle, wake: { at: 9, why: 'Slack retry' } });
    found = await t.store.outstanding();
    expect(found.records.map((r) => r.key)).not.toContain('sparse/busy');
    expect(found.records.map((r) => r.key)).toContain('sparse/idle');
  });

  it.each([
    ['no data attribute', { pk: { S: 'service#prod/bad1' }, version: { N: '1' } }, /no data attribute/],
    [
      'data that is not JSON',
      { pk: { S: 'service#prod/bad2' }, version: { N: '1' }, data: { S: '{oops' } },
      /not JSON/,
    ],
    [
      'data of another service',
      {
        pk: { S: 'service#prod/bad3' },
        version: { N: '1' },
        data: { S: JSON.stringify({ ...newRecord('prod', 'x'), version: 1 }) },
      },
      /does not describe this service/,
    ],
  ])('a corrupt record (%s) is a specific error, not a crash', async (_name, item, reason) => {
    await t.dynamodb.send(new PutItemCommand({ TableName: 'records', Item: item }));
    const service = item.pk.S.split('/')[1]!;
    await expect(t.store.get('prod', service)).rejects.toThrow(CorruptRecordError);
    await expect(t.store.get('prod', service)).rejects.toThrow(reason);
  });
});
