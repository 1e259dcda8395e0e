/**
 * The local CloudWatch Logs (local/services/logs) through the real @aws-sdk/client-cloudwatch-logs
 * over HTTP, and the local Lambda runtime writing each invocation's lines into `/aws/lambda/<fn>`.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  type GetLogEventsCommandInput,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { log } from '../../lib/log.ts';
import type { Latency } from '../../local/core/latency.ts';
import { LocalLambda, logStreamName } from '../../local/lambda.ts';
import { getEventsWindow, putBatchVerdict } from '../../local/services/logs/index.ts';
import { compilePattern } from '../../local/services/logs/pattern.ts';
import { startWorld, worldPerTest } from '../helpers/world.ts';

const world = worldPerTest(
  (latency?: Latency) => startWorld({ start: Date.UTC(2026, 0, 1, 9), ...(latency ? { latency } : {}) }),
  (tw) => tw.world.stop(),
);

async function logsWorld(latency?: Latency) {
  const t = await world(latency);
  const client = new CloudWatchLogsClient({
    endpoint: t.endpoint,
    region: t.world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { t, client };
}

/** Each call, in turn, fails with the named AWS error (and a message that matches, where one is given). */
async function expectAwsErrors(
  cases: [what: string, call: () => Promise<unknown>, name: string, message?: RegExp][],
): Promise<void> {
  for (const [what, call, name, message] of cases)
    await expect(call(), what).rejects.toMatchObject({
      name,
      ...(message && { message: expect.stringMatching(message) }),
    });
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
    await expectAwsErrors([
      [
        'a missing group',
        () => client.send(new FilterLogEventsCommand({ logGroupName: '/nope' })),
        'ResourceNotFoundException',
        /^The specified log group does not exist\.$/,
      ],
      [
        'both a name and an identifier',
        () => client.send(new FilterLogEventsCommand({ logGroupName: '/g', logGroupIdentifier: '/g' })),
        'InvalidParameterException',
      ],
      [
        'limit 0',
        () => client.send(new FilterLogEventsCommand({ logGroupName: '/g', limit: 0 })),
        'InvalidParameterException',
        /Value '0' at 'limit'/,
      ],
      [
        'a pattern it cannot read',
        () =>
          client.send(new FilterLogEventsCommand({ logGroupName: '/g', filterPattern: '{ $.a IS NULL }' })),
        'InvalidParameterException',
        /Invalid filter pattern/,
      ],
      [
        'a group twice',
        () => client.send(new CreateLogGroupCommand({ logGroupName: '/g' })),
        'ResourceAlreadyExistsException',
      ],
    ]);
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

describe('PutLogEvents batch rules (putBatchVerdict, the examples of its comment)', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const now = 1000 * DAY;
  const at = (...ts: number[]) => ts.map((timestamp) => ({ timestamp, bytes: 30 }));
  it.each([
    [
      'too old, valid, too new',
      at(now - 15 * DAY, now - HOUR, now, now + 3 * HOUR),
      { ok: true, accept: [1, 3], tooOldEnd: 1, tooNewStart: 3 },
    ],
    [
      'out of order',
      at(now - HOUR, now - 2 * HOUR),
      { ok: false, message: expect.stringMatching(/chronological order/) },
    ],
    [
      'valid events over 24 h',
      at(now - 13 * DAY, now),
      { ok: false, message: expect.stringMatching(/span more than 24 hours/) },
    ],
    ['only too old', at(now - 15 * DAY), { ok: true, accept: [1, 1], tooOldEnd: 1 }],
    [
      '10,001 events',
      at(...Array(10_001).fill(now)),
      { ok: false, message: expect.stringMatching(/less than or equal to 10000/) },
    ],
    ['no event', at(), { ok: false, message: expect.stringMatching(/greater than or equal to 1/) }],
    [
      '1,048,577 bytes',
      [{ timestamp: now, bytes: 1_048_577 }],
      { ok: false, message: 'Upload too large: 1048577 bytes exceeds limit of 1048576' },
    ],
    [
      'exactly 2 h ahead and 14 days back',
      at(now - 14 * DAY + 1, now + 2 * HOUR),
      { ok: false, message: expect.stringMatching(/24 hours/) },
    ],
    ['exactly 2 h ahead', at(now, now + 2 * HOUR), { ok: true, accept: [0, 2] }],
  ])('%s', (_name, events, want) => {
    expect(putBatchVerdict(events, now)).toEqual(want);
  });
});

describe('GetLogEvents paging (getEventsWindow, the examples of its comment)', () => {
  it.each([
    [5, 2, undefined, false, [3, 5]],
    [5, 2, undefined, true, [0, 2]],
    [5, 2, { direction: 'f', at: 2 }, false, [2, 4]],
    [5, 2, { direction: 'f', at: 5 }, false, [5, 5]],
    [5, 2, { direction: 'b', at: 3 }, false, [1, 3]],
    [5, 2, { direction: 'b', at: 0 }, false, [0, 0]],
  ] as const)('total %i, limit %i, token %o, startFromHead %s → %o', (total, limit, position, head, want) => {
    expect(getEventsWindow(total, limit, position, head)).toEqual(want);
  });
});

describe('a client writing its own logs: CreateLogStream, PutLogEvents, GetLogEvents, DescribeLogStreams', () => {
  it('stores what it puts, reads it back a page at a time both ways, and describes its streams', async () => {
    const { t, client } = await logsWorld();
    const now = t.world.now();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/app' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/app', logStreamName: 'b' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/app', logStreamName: 'a' }));
    const put = await client.send(
      new PutLogEventsCommand({
        logGroupName: '/app',
        logStreamName: 'a',
        // Ignored since 2023: a made-up token is accepted.
        sequenceToken: 'not-a-token',
        logEvents: [1, 2, 3, 4, 5].map((i) => ({ timestamp: now - 10_000 + i * 1000, message: `line ${i}` })),
      }),
    );
    expect(put.rejectedLogEventsInfo).toBeUndefined();
    await client
      .send(
        new PutLogEventsCommand({
          logGroupName: '/app',
          logStreamName: 'b',
          logEvents: [
            { timestamp: now - 15 * 86_400_000, message: 'too old' },
            { timestamp: now, message: 'kept' },
            { timestamp: now + 3 * 3_600_000, message: 'too new' },
          ],
        }),
      )
      .then((out) =>
        expect(out.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 2 }),
      );

    // The latest page first (startFromHead false), then backwards, then forwards to the end.
    const read = (more: Omit<GetLogEventsCommandInput, 'logGroupName' | 'logStreamName'>) =>
      client.send(new GetLogEventsCommand({ logGroupName: '/app', logStreamName: 'a', ...more }));
    const last = await read({ limit: 2 });
    expect(last.events?.map((e) => e.message)).toEqual(['line 4', 'line 5']);
    expect(last.events?.[0]).toMatchObject({ timestamp: now - 6000, ingestionTime: now });
    const before = await read({ limit: 2, nextToken: last.nextBackwardToken });
    expect(before.events?.map((e) => e.message)).toEqual(['line 2', 'line 3']);
    const head = await read({ limit: 3, startFromHead: true });
    expect(head.events?.map((e) => e.message)).toEqual(['line 1', 'line 2', 'line 3']);
    const rest = await read({ limit: 3, nextToken: head.nextForwardToken });
    expect(rest.events?.map((e) => e.message)).toEqual(['line 4', 'line 5']);
    const end = await read({ nextToken: rest.nextForwardToken });
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(rest.nextForwardToken);
    // startTime inclusive, endTime exclusive.
    const window = await read({ startTime: now - 8000, endTime: now - 6000 });
    expect(window.events?.map((e) => e.message)).toEqual(['line 2', 'line 3']);

    const byName = await client.send(new DescribeLogStreamsCommand({ logGroupName: '/app' }));
    expect(byName.logStreams?.map((s) => s.logStreamName)).toEqual(['a', 'b']);
    expect(byName.logStreams?.[0]).toMatchObject({
      firstEventTimestamp: now - 9000,
      lastEventTimestamp: now - 5000,
      lastIngestionTime: now,
      storedBytes: 0,
      arn: t.world.arn('logs', 'log-group:/app:log-stream:a'),
    });
    const latest = await client.send(
      new DescribeLogStreamsCommand({
        logGroupName: '/app',
        orderBy: 'LastEventTime',
        descending: true,
        limit: 1,
      }),
    );
    expect(latest.logStreams?.map((s) => s.logStreamName)).toEqual(['b']);
    const next = await client.send(
      new DescribeLogStreamsCommand({
        logGroupName: '/app',
        orderBy: 'LastEventTime',
        descending: true,
        limit: 1,
        nextToken: latest.nextToken,
      }),
    );
    expect(next.logStreams?.map((s) => s.logStreamName)).toEqual(['a']);
    expect(next.nextToken).toBeUndefined();
    // FilterLogEvents reads what a client put, beside what Lambda wrote.
    const filtered = await client.send(
      new FilterLogEventsCommand({ logGroupName: '/app', filterPattern: 'kept' }),
    );
    expect(filtered.events?.map((e) => [e.logStreamName, e.message])).toEqual([['b', 'kept']]);
  });

  it('answers AWS errors: missing group or stream, a stream twice, a bad name, a batch out of order, a bad order', async () => {
    const { client } = await logsWorld();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/app' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/app', logStreamName: 's' }));
    const t0 = Date.UTC(2026, 0, 1, 9);
    const put = (logStreamName: string, ...logEvents: { timestamp: number; message: string }[]) =>
      client.send(new PutLogEventsCommand({ logGroupName: '/app', logStreamName, logEvents }));
    await expectAwsErrors([
      [
        'a stream in a missing group',
        () => client.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 's' })),
        'ResourceNotFoundException',
        /log group does not exist/,
      ],
      [
        'a stream twice',
        () => client.send(new CreateLogStreamCommand({ logGroupName: '/app', logStreamName: 's' })),
        'ResourceAlreadyExistsException',
        /log stream already exists/,
      ],
      [
        'a stream name with a colon',
        () => client.send(new CreateLogStreamCommand({ logGroupName: '/app', logStreamName: 'a:b' })),
        'InvalidParameterException',
        /regular expression pattern/,
      ],
      [
        'a put to a missing stream',
        () => put('nope', { timestamp: t0, message: 'x' }),
        'ResourceNotFoundException',
        /log stream does not exist/,
      ],
      [
        'a batch out of order',
        () => put('s', { timestamp: t0, message: 'b' }, { timestamp: t0 - 1, message: 'a' }),
        'InvalidParameterException',
        /chronological order/,
      ],
      [
        'a batch over 1 MiB',
        () => put('s', { timestamp: t0, message: 'x'.repeat(1_048_576) }),
        'InvalidParameterException',
        /Upload too large: 1048602 bytes/,
      ],
      [
        'a read of a missing stream',
        () => client.send(new GetLogEventsCommand({ logGroupName: '/app', logStreamName: 'nope' })),
        'ResourceNotFoundException',
        /log stream does not exist/,
      ],
      [
        'ordering by LastEventTime with a prefix',
        () =>
          client.send(
            new DescribeLogStreamsCommand({
              logGroupName: '/app',
              orderBy: 'LastEventTime',
              logStreamNamePrefix: 's',
            }),
          ),
        'InvalidParameterException',
        /Cannot order by LastEventTime/,
      ],
    ]);
  });
});
