/**
 * A Slack request is acted on once. Its key (verify.ts `replayKey`) is written to the records'
 * table with one conditional PutItem, `attribute_not_exists(pk)`: of two deliveries of the same
 * request (a replay, or two clicks racing through two containers), exactly one write succeeds, and
 * only that one acts. DynamoDB's documented behaviour for a failed condition is
 * ConditionalCheckFailedException and no write ("Condition expressions", DynamoDB developer guide);
 * dynalite does the same. No transactions and no TTL are needed: the key is claimed before the
 * action, so a request whose action then fails is not retried by a replay (Slack does not resend
 * interactions; the person clicks again, which is a new request).
 *
 * A request older than 5 minutes is refused by its timestamp (verify.ts), so a key only has to be
 * remembered 5 minutes. The item carries `expiresAt` (Unix seconds): turn on DynamoDB's TTL on that
 * attribute to have old keys removed; without it they stay (a few hundred bytes a click).
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';

/** How long a key is kept when TTL is on: the 5-minute window, and some slack for clock skew. */
const KEEP_SECONDS = 15 * 60;

/** True: this request is seen for the first time and may act; false: it was seen before. */
export async function claimRequest(
  dynamodb: DynamoDBClient,
  table: string,
  key: string,
  what: { user: string; action: string; at: number },
): Promise<boolean> {
  const claim = randomUUID();
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: key },
          claim: { S: claim },
          user: { S: what.user },
          action: { S: what.action },
          at: { N: String(what.at) },
          expiresAt: { N: String(Math.floor(what.at / 1000) + KEEP_SECONDS) },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    // The SDK retries a PutItem whose answer was lost: finding our own claim there is our write
    // (as lib/store.ts does with writeId), not a replay.
    const out = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }),
    );
    return out.Item?.claim?.S === claim;
  }
}
