/**
 * The local CloudWatch Logs (local/services/logs) through the real @aws-sdk/client-cloudwatch-logs
 * over HTTP, and the local Lambda runtime writing each invocation's lines into `/aws/lambda/<fn>`.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { log } from '../../lib/log.ts';
import type { Latency } from '../../local/core/latency.ts';
import { LocalLambda, logStreamName } from '../../local/lambda.ts';
import { compilePattern } from '../../local/services/logs/pattern.ts';
import { startWorld, type TestWorld } from '../helpers/world.ts';

let t: TestWorld | undefined;
afterEach(async () => {
  await t?.world.stop();
  t = undefined;
});

async function logsWorld(latency?: Latency) {
  t = await startWorld({ start: Date.UTC(2026, 0, 1, 9), ...(latency ? { latency } : {}) });
  const client = new CloudWatchLogsClient({
    endpoint: t.endpoint,
    region: t.world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { t, client };
}

describe('filter patterns (local/services/logs/pattern.ts)', () => {
  const json = (o: unknown) => JSON.stringify(o);
  it.each([
    ['{ $.level = "error" }', json({ level: 'error', msg: 'x' }), true],
    ['{ $.service = "prod/web" && $.level = "warn" }', json({ level: 'info', service: 'prod/web' }), false],
    ['{ $.service = "prod/*" }', json({ service: 'prod/web' }), true],
    ['{ $.service = "prod/*" }', json({ service: 'staging/web' }), false],
    ['{ $.level = "info" || ($.level = "warn" && $.n > 2) }', json({ level: 'warn', n: 3 }), true],
    ['{ $.level = "info" || ($.level = "warn" && $.n > 2) }', json({ level: 'warn', n: 2 }), false],
    ['{ $.error.name = "ThrottlingException" }', json({ error: { name: 'ThrottlingException' } }), true],
    ['{ $.level != "info" }', json({ level: 'warn' }), true],
    ['{ $.level != "info" }', json({ msg: 'no level' }), false],
    ['{ $.level = "error" }', 'START RequestId: 1 Version: $LATEST', false],
    ['{ $.level = * }', json({ level: 'debug' }), true],
    ['', 'anything', true],
    ['ERROR', 'an ERROR here', true],
    ['ERROR', 'an error here', false],
    ['ERROR Throttling', 'ERROR: Throttling', true],
    ['ERROR Throttling', 'ERROR: timeout', false],
    ['"Task timed out"', '2026-01-01T09:00:00Z id Task timed out after 3.00 seconds', true],
    ['?ERROR ?WARN', 'a WARN line', true],
    ['ERROR -Throttling', 'ERROR: Throttling', false],
  ])('%s on %s: %s', (pattern, line, want) => {
    expect(compilePattern(pattern)(line)).toBe(want);
  });

  it.each([
    ['[ip, user]', /space-delimited/],
    ['{ $.level IS NULL }', /IS TRUE\/FALSE\/NULL/],
    ['{ $.a[0] = 1 }', /array selectors/],
    ['{ $.level = "error" ', /expected "}"/],
    ['{ level = "error" }', /expected a selector/],
  ])('refuses %s, naming what it cannot read', (pattern, message) => {
    expect(() => compilePattern(pattern)).toThrow(message);
  });
});

describe('FilterLogEvents', () => {
  it('filters by time (both ends inclusive), pattern and stream; pages by limit and nextToken', async () => {
    const { t, client } = await logsWorld();
    const group = '/aws/lambda/ecs-autopilot-tick';
    const at = (s: number) => Date.UTC(2026, 0, 1, 9, 0, s);
    t.world.logs.put(group, 'a', [
      { timestamp: at(1), message: JSON.stringify({ level: 'info', msg: 'one', service: 'prod/web' }) },
      { timestamp: at(2), message: JSON.stringify({ level: 'error', msg: 'two', service: 'prod/web' }) },
      { timestamp: at(3), message: 'END RequestId: r' },
    ]);
    t.world.logs.put(group, 'b', [
      { timestamp: at(2), message: JSON.stringify({ level: 'warn', msg: 'three', service: 'prod/api' }) },
    ]);

    const all = await client.send(new FilterLogEventsCommand({ logGroupName: group }));
    expect(all.events?.map((e) => e.timestamp)).toEqual([at(1), at(2), at(2), at(3)]);
    expect(all.events?.[0]).toMatchObject({ logStreamName: 'a', eventId: expect.any(String) });
    expect(all.nextToken).toBeUndefined();

    const window = await client.send(
      new FilterLogEventsCommand({ logGroupName: group, startTime: at(2), endTime: at(2) }),
    );
    expect(window.events?.map((e) => e.message)).toHaveLength(2);

    const web = await client.send(
      new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.service = "prod/web" }' }),
    );
    expect(web.events?.map((e) => JSON.parse(e.message!).msg)).toEqual(['one', 'two']);

    const streamB = await client.send(
      new FilterLogEventsCommand({ logGroupName: group, logStreamNames: ['b'] }),
    );
    expect(streamB.events?.map((e) => e.logStreamName)).toEqual(['b']);

    const first = await client.send(new FilterLogEventsCommand({ logGroupIdentifier: group, limit: 3 }));
    expect(first.events).toHaveLength(3);
    const rest = await client.send(
      new FilterLogEventsCommand({ logGroupIdentifier: group, limit: 3, nextToken: first.nextToken }),
    );
    expect(rest.events?.map((e) => e.message)).toEqual(['END RequestId: r']);
    expect(rest.nextToken).toBeUndefined();

    const byArn = await client.send(
      new FilterLogEventsCommand({ logGroupIdentifier: t.world.arn('logs', `log-group:${group}:*`) }),
    );
    expect(byArn.events).toHaveLength(4);
  });

  it('answers AWS errors: a missing group, both names, a bad limit, a pattern it cannot read', async () => {
    const { client } = await logsWorld();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/g' }));
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
    });
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: '/g', logGroupIdentifier: '/g' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: '/g', limit: 0 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining("Value '0' at 'limit'"),
    });
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: '/g', filterPattern: '{ $.a IS NULL }' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: /Invalid filter pattern/ });
    await expect(client.send(new CreateLogGroupCommand({ logGroupName: '/g' }))).rejects.toMatchObject({
      name: 'ResourceAlreadyExistsException',
    });
    const groups = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/g' }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(['/g']);
  });
});

describe('the local Lambda runtime writes its logs', () => {
  it("into /aws/lambda/<function>, between Lambda's START, END and REPORT lines, at the invocation's time", async () => {
    const { t, client } = await logsWorld();
    const lambda = new LocalLambda(t.world);
    const fn = lambda.function(
      'ecs-autopilot-tick',
      async () => {
        log.info('rollout.started', { service: 'prod/web' });
        await t.ecs.send(new ListClustersCommand({}));
        log.warn('push.missed', { service: 'prod/web' });
      },
      { timeoutMs: 60_000 },
    );
    // Lines logged outside an invocation belong to no function.
    log.info('not.in.lambda');
    await fn({});
    t.world.clock.advanceTo(t.world.now() + 60_000);
    await fn({});
    lambda.dispose();
    log.info('after.dispose');

    const out = await client.send(
      new FilterLogEventsCommand({ logGroupName: '/aws/lambda/ecs-autopilot-tick' }),
    );
    const messages = out.events!.map((e) => e.message!);
    expect(messages).toHaveLength(10);
    expect(messages[0]).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/);
    expect(JSON.parse(messages[1]!)).toMatchObject({
      level: 'info',
      msg: 'rollout.started',
      service: 'prod/web',
    });
    expect(JSON.parse(messages[2]!)).toMatchObject({ level: 'warn', msg: 'push.missed' });
    expect(messages[3]).toMatch(/^END RequestId: /);
    expect(messages[4]).toMatch(
      /^REPORT RequestId: \S+\tDuration: 0\.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB$/,
    );
    expect(messages.join('\n')).not.toMatch(/not\.in\.lambda|after\.dispose/);
    // Warm: the second invocation writes to the same environment's stream, a minute later.
    const streams = new Set(out.events!.map((e) => e.logStreamName));
    expect(streams.size).toBe(1);
    expect([...streams][0]).toMatch(/^2026\/01\/01\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(logStreamName(Date.UTC(2026, 0, 1, 9), 'ab')).toBe('2026/01/01/[$LATEST]ab');
    expect(out.events![5]!.timestamp! - out.events![0]!.timestamp!).toBe(60_000);
  });

  it('a timed-out invocation says so in its log', async () => {
    const { t, client } = await logsWorld({ delivery: () => 0, start: () => 0, call: () => 40_000 });
    const lambda = new LocalLambda(t.world);
    const fn = lambda.function(
      'ecs-autopilot-ecsEvent',
      async () => {
        await t.ecs.send(new ListClustersCommand({}));
        await t.ecs.send(new ListClustersCommand({}));
      },
      { timeoutMs: 60_000 },
    );
    await expect(fn({})).rejects.toThrow('Task timed out after 60.00 seconds');
    lambda.dispose();
    const out = await client.send(
      new FilterLogEventsCommand({
        logGroupName: '/aws/lambda/ecs-autopilot-ecsEvent',
        filterPattern: '"timed out"',
      }),
    );
    expect(out.events?.map((e) => e.message)).toEqual([
      expect.stringMatching(/^2026-01-01T09:01:00\.000Z [0-9a-f-]{36} Task timed out after 60\.00 seconds$/),
    ]);
  });
});
