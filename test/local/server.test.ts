import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { sharedWorld } from '../helpers/world.ts';

describe('local AWS endpoint', () => {
  const t = sharedWorld();

  it('serves SSM SecureStrings, decrypting only when asked', async () => {
    await t.ssm.send(
      new PutParameterCommand({
        Name: '/autopilot/slack',
        Value: 'https://hooks.example/x',
        Type: 'SecureString',
      }),
    );
    const plain = await t.ssm.send(
      new GetParameterCommand({ Name: '/autopilot/slack', WithDecryption: true }),
    );
    expect(plain.Parameter?.Value).toBe('https://hooks.example/x');
    const cipher = await t.ssm.send(new GetParameterCommand({ Name: '/autopilot/slack' }));
    expect(cipher.Parameter?.Value).not.toContain('hooks.example');
    await expect(t.ssm.send(new GetParameterCommand({ Name: '/missing' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
  });

  it('forwards DynamoDB to dynalite and counts the calls', async () => {
    await t.dynamodb.send(
      new CreateTableCommand({
        TableName: 'records',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await t.dynamodb.send(
      new PutItemCommand({ TableName: 'records', Item: { pk: { S: 'a' }, n: { N: '1' } } }),
    );
    const got = await t.dynamodb.send(new GetItemCommand({ TableName: 'records', Key: { pk: { S: 'a' } } }));
    expect(got.Item?.n?.N).toBe('1');
    expect(t.world.apiCalls['dynamodb:GetItem']).toBe(1);
    expect(t.world.apiCalls['ssm:GetParameter']).toBe(3);
  });
});
