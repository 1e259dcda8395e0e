import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../lib/aws.ts';
import { setLogSink } from '../lib/log.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { budget, createSlack, deliver, queue, type Slack } from '../lib/slack/deliver.ts';
import { LEASE_MS, leased } from '../lib/slack/outbox.ts';
import type { DynamoRecordStore } from '../lib/store.ts';
import { LocalSlack } from '../local/services/slack/index.ts';
import { World } from '../local/world.ts';
import { localClientConfig, recordStore } from './helpers/world.ts';

const S = 1000;
const M = 60_000;
const TEAM = '/ecs-autopilot/slack-webhook-url';
const ONCALL = '/ecs-autopilot/slack-oncall';

let world: World;
let store: DynamoRecordStore;
let clients: ReturnType<typeof createClients>;
let slack: LocalSlack;
let urls: string[];
let now: number;
let lines: string[];
let restoreSink: (line: string) => void;

beforeEach(async () => {
  lines = [];
  restoreSink = setLogSink((line) => lines.push(line));
  now = Date.UTC(2026, 0, 1, 9);
  world = new World();
  const endpoint = await world.start();
  clients = createClients(localClientConfig(endpoint));
  store = await recordStore(clients.dynamodb);
  slack = new LocalSlack({ now: () => now });
  await slack.start();
  urls = [TEAM, ONCALL].map((name) => {
    const url = slack.webhook(name);
    world.ssm.operations.PutParameter({ Name: name, Value: url, Type: 'SecureString' });
    return url;
  });
});

afterEach(async () => {
  setLogSink(restoreSink);
  await slack?.stop();
  await world?.stop();
  // The webhook URL, its path and its token appear in no log line, errors included.
  const secrets = urls.flatMap((u) => [u, new URL(u).pathname, new URL(u).pathname.split('/').at(-1)!]);
  expect(lines.filter((l) => secrets.some((s) => l.includes(s)))).toEqual([]);
});

/** A Lambda container's Slack: its own URL cache and pacing; its waits move the test's clock. */
function container(timeoutMs = 1000): Slack {
  return createSlack({
    ssm: clients.ssm,
    region: 'us-east-1',
    defaultWebhook: TEAM,
    timeoutMs,
    sleep: async (ms) => {
      now += ms;
    },
  });
}

async function seed(service: string, texts: string[], webhook = TEAM): Promise<ServiceRecord> {
  const record = await store.get('prod', service);
  return store.put(
    queue(
      record,
      texts.map((reason) => ({ kind: 'blocked' as const, reason })),
      () => [webhook],
      now,
    ),
  );
}

/** One delivery call, as an invocation makes it: the record as read now, the test's one container by default. */
let defaultContainer: Slack;
beforeEach(() => {
  defaultContainer = container();
});
const run = async (service = 'web', from = defaultContainer) =>
  deliver(store, await store.get('prod', service), from, () => now);

/** What Slack took, by the words after the dash. */
const taken = (channel?: string) => slack.messages(channel).map((p) => String(p.text).split('— ')[1]);
const logged = (msg: string) => lines.map((l) => JSON.parse(l)).filter((l) => l.msg === msg);
const outbox = async (service = 'web') => (await store.get('prod', service)).outbox ?? [];

describe('every message exactly once, in order, once Slack recovers', () => {
  it('through a 500, a 429 with Retry-After, a refused connection and a slow answer', async () => {
    await seed('web', ['m1', 'm2', 'm3']);
    slack.answers.push({ status: 500 }, { status: 429, retryAfter: 20 });

    await run(); // 500: m1 waits 10 s, and m2, m3 wait behind it
    expect(slack.received.map((r) => r.status)).toEqual([500]);
    now += 5 * S;
    await run();
    expect(slack.received).toHaveLength(1);

    now += 5 * S;
    await run(); // 429: Retry-After 20 s
    expect(slack.received.map((r) => r.status)).toEqual([500, 429]);
    expect((await outbox())[0]!.nextAt).toBe(now + 20 * S);

    now += 20 * S;
    await slack.refuse();
    await run(); // refused: back-off after the third attempt, 1 m
    expect((await outbox())[0]).toMatchObject({
      attempts: 3,
      lastError: 'could not connect (ECONNREFUSED)',
      nextAt: now + M,
    });

    await slack.recover();
    slack.answers.push({ slow: 200 });
    now += M;
    await run(); // a slow answer within the timeout, then the two behind it, a second apart
    expect(taken()).toEqual(['m1', 'm2', 'm3']);
    expect(await outbox()).toEqual([]);

    await run();
    // 500, 429, then the three messages: the refused attempt never reached it.
    expect(slack.received.map((r) => r.status)).toEqual([500, 429, 200, 200, 200]);
    expect(logged('notification.sent').map((l) => l.attempts)).toEqual([4, 1, 1]);
    expect(logged('notification.retry')).toHaveLength(3);
  });

  it('a message Slack refuses for good (400 invalid_payload) is reported once, removed, and holds back nothing', async () => {
    await seed('web', ['m1', 'm2']);
    slack.answers.push({ status: 400, body: 'invalid_payload' });
    await run();
    await run();
    await run();
    expect(taken()).toEqual(['m2']);
    const failed = logged('notification.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 'error',
      kind: 'blocked',
      reason: '400 invalid_payload',
      service: 'prod/web',
    });
    expect(failed[0].text).toContain('m1');
    expect(await outbox()).toEqual([]);
  });

  it('a webhook that is down holds back nothing of another webhook', async () => {
    await seed('web', ['m1'], ONCALL);
    await seed('web', ['m2'], TEAM);
    slack.answers.push({ status: 500 });
    await run();
    expect(taken(TEAM)).toEqual(['m2']);
    expect(taken(ONCALL)).toEqual([]);
    now += 10 * S;
    await run();
    expect(taken(ONCALL)).toEqual(['m1']);
  });

  it('gives up 24 h after the decision, logging it once', async () => {
    await seed('web', ['m1']);
    await slack.refuse();
    let attempts = 0;
    while ((await outbox()).length > 0) {
      await run();
      attempts += 1;
      const next = (await outbox())[0];
      if (next) now = next.nextAt;
    }
    const failed = logged('notification.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toBe(
      `gave up after ${attempts} attempts over 24h; the last: could not connect (ECONNREFUSED)`,
    );
    expect(attempts).toBeGreaterThan(100);
  });
});

describe('no message twice', () => {
  it('two invocations at once (the tick beside an event), Slack answering slowly: each message once', async () => {
    await seed('web', ['m1', 'm2', 'm3']);
    slack.answers.push({ slow: 300 });
    const a = container();
    const b = container();
    await Promise.all([run('web', a), run('web', b)]);
    await Promise.all([run('web', a), run('web', b)]);
    expect(taken()).toEqual(['m1', 'm2', 'm3']);
    expect(slack.received).toHaveLength(3);
  });

  it('a retried invocation, with the record as it first read it, sends nothing again', async () => {
    const first = await seed('web', ['m1', 'm2']);
    const slackOfContainer = container();
    await deliver(store, first, slackOfContainer, () => now);
    await deliver(store, first, slackOfContainer, () => now);
    await deliver(store, first, container(), () => now);
    expect(taken()).toEqual(['m1', 'm2']);
  });

  it('a send that died with its lease held is tried again only once the lease runs out, once', async () => {
    const record = await seed('web', ['m1', 'm2']);
    // An invocation leased m1 and died before recording an outcome (a timeout mid-post).
    await store.put({
      ...record,
      outbox: record.outbox!.map((e, i) => (i === 0 ? leased(e, 'dead', now) : e)),
    });
    now += M;
    await run();
    expect(slack.received).toEqual([]);
    now += LEASE_MS - M;
    await run();
    expect(taken()).toEqual(['m1', 'm2']);
    expect(logged('notification.lease_expired')).toHaveLength(1);
    expect(logged('notification.sent').map((l) => l.attempts)).toEqual([2, 1]);
  });

  it('no answer within the timeout: retried later (Slack may have posted it: the one duplicate possible)', async () => {
    await seed('web', ['m1']);
    slack.answers.push({ slow: 600 });
    const started = performance.now();
    await run('web', container(150));
    expect(performance.now() - started).toBeLessThan(550);
    expect((await outbox())[0]).toMatchObject({ attempts: 1, lastError: 'no answer within 150ms' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    now += 10 * S;
    await run();
    expect(await outbox()).toEqual([]);
    expect(slack.received.map((r) => [r.status, r.abandoned ?? false])).toEqual([
      [200, true],
      [200, false],
    ]);
  });
});

describe('what an invocation spends', () => {
  it('the messages behind a leased one go before its write, which records every outcome: three messages, two writes', async () => {
    const seeded = await seed('web', ['m1', 'm2', 'm3']);
    const puts = world.apiCalls['dynamodb:PutItem'] ?? 0;
    await run();
    expect(taken()).toEqual(['m1', 'm2', 'm3']);
    expect(await outbox()).toEqual([]);
    // m1's lease, then the three outcomes.
    expect((world.apiCalls['dynamodb:PutItem'] ?? 0) - puts).toBe(2);
    expect(logged('notification.sent').map((l) => [l.id, l.attempts])).toEqual(
      seeded.outbox!.map((e) => [e.id, 1]),
    );
  });

  it('one sent behind a leased message that Slack refuses for now keeps its place: it and those behind it wait', async () => {
    await seed('web', ['m1', 'm2', 'm3']);
    slack.answers.push({ status: 200 }, { status: 429, retryAfter: 30 });
    await run();
    expect(taken()).toEqual(['m1']);
    expect(slack.received.map((r) => r.status)).toEqual([200, 429]);
    const left = await outbox();
    expect(left.map((e) => [e.attempts, e.lease])).toEqual([
      [1, undefined],
      [0, undefined],
    ]);
    expect(left[0]!.nextAt).toBe(now + 30 * S);
    now += 30 * S;
    await run();
    expect(taken()).toEqual(['m1', 'm2', 'm3']);
    expect(await outbox()).toEqual([]);
  });

  it('an invocation that died after posting a message and the ones behind it: all go again once the lease runs out, none lost', async () => {
    const record = await seed('web', ['m1', 'm2']);
    const dying = container();
    // Its one write after posting fails for good, as a Lambda that times out there never makes it.
    const put = store.put.bind(store);
    let writes = 0;
    store.put = async (r) => {
      if (++writes === 2) throw new Error('the invocation died');
      return put(r);
    };
    await expect(deliver(store, record, dying, () => now)).rejects.toThrow('the invocation died');
    store.put = put;
    expect(taken()).toEqual(['m1', 'm2']);
    await run();
    expect(taken()).toEqual(['m1', 'm2']);
    now += LEASE_MS;
    await run();
    expect(taken()).toEqual(['m1', 'm2', 'm1', 'm2']);
    expect(await outbox()).toEqual([]);
  });

  it('a message its reconcile’s last write leased for this invocation is sent with no lease write of its own', async () => {
    const record = await seed('web', ['m1', 'm2']);
    const mine = await store.put({
      ...record,
      outbox: [leased(record.outbox![0]!, 'mine', now), record.outbox![1]!],
    });
    const puts = world.apiCalls['dynamodb:PutItem'] ?? 0;
    await deliver(store, mine, defaultContainer, () => now, budget(), new Set(['mine']));
    expect(taken()).toEqual(['m1', 'm2']);
    expect(await outbox()).toEqual([]);
    // m2 goes behind m1, whose lease this invocation holds: one write records both outcomes.
    expect((world.apiCalls['dynamodb:PutItem'] ?? 0) - puts).toBe(1);
    expect(logged('notification.sent').map((l) => l.attempts)).toEqual([1, 1]);
    expect(logged('notification.lease_expired')).toEqual([]);
  });

  it('one leased for this invocation that its budget cannot send is given back, due as it was', async () => {
    const record = await seed('web', ['m1']);
    const mine = await store.put({ ...record, outbox: [leased(record.outbox![0]!, 'mine', now)] });
    await deliver(store, mine, defaultContainer, () => now, { sends: 0, skip: new Set() }, new Set(['mine']));
    expect(slack.received).toEqual([]);
    expect(await outbox()).toEqual([expect.objectContaining({ id: record.outbox![0]!.id, attempts: 0 })]);
    expect((await outbox())[0]!.lease).toBeUndefined();
    // Another's lease is not taken for ours: a delivery that does not own it leaves it alone.
    const other = await store.put({
      ...(await store.get('prod', 'web')),
      outbox: [leased(record.outbox![0]!, 'theirs', now)],
    });
    await deliver(store, other, defaultContainer, () => now, budget(), new Set(['mine']));
    expect(slack.received).toEqual([]);
  });

  it('an invocation that died with the next message leased by its last settle: that one goes once, after the lease', async () => {
    const record = await seed('web', ['m1', 'm2']);
    // m1 was sent and settled; the same write leased m2, and the invocation died before posting it.
    await store.put({ ...record, outbox: [leased(record.outbox![1]!, 'dead', now)] });
    await run();
    expect(slack.received).toEqual([]);
    now += LEASE_MS;
    await run();
    await run();
    expect(taken()).toEqual(['m2']);
  });

  it('a webhook that is down costs one attempt per invocation, however many services wait on it', async () => {
    await seed('web', ['w1']);
    await seed('api', ['a1']);
    await slack.refuse();
    const spend = budget();
    for (const service of ['web', 'api']) {
      await deliver(store, await store.get('prod', service), defaultContainer, () => now, spend);
    }
    expect(logged('notification.retry').map((l) => l.service)).toEqual(['prod/web']);
    expect(await outbox('api')).toMatchObject([{ attempts: 0 }]);
  });

  it('sends at most 10 messages, the rest wait for a later invocation', async () => {
    await seed(
      'web',
      Array.from({ length: 12 }, (_, i) => `m${i + 1}`),
    );
    await run();
    expect(taken()).toHaveLength(10);
    await run();
    expect(taken()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
  });
});

describe('pacing', () => {
  it('one message a second per webhook', async () => {
    await seed('web', ['m1', 'm2', 'm3']);
    const t0 = now;
    await run();
    expect(slack.received.map((r) => r.at - t0)).toEqual([0, S, 2 * S]);
  });

  it('a 429 holds the webhook back for every service of the container, for its Retry-After', async () => {
    await seed('web', ['w1']);
    await seed('api', ['a1']);
    const c = container();
    slack.answers.push({ status: 429, retryAfter: 30 });
    await run('web', c);
    await run('api', c);
    expect(slack.received.map((r) => r.status)).toEqual([429]);
    now += 30 * S;
    await run('api', c);
    await run('web', c);
    expect(taken()).toEqual(['a1', 'w1']);
  });
});
