/**
 * The messages: the words people read, and Slack's Block Kit limits, checked by the same payload
 * check the loopback Slack applies (local/slack.ts, written from Slack's documentation, not from
 * lib/slack's own limits).
 */
import { describe, expect, it } from 'vitest';
import { bounded, clip, type Notice } from '../lib/notice.ts';
import type { Rollout } from '../lib/record.ts';
import {
  type Block,
  fitBlocks,
  render,
  serviceConsoleUrl,
  taskDefinitionConsoleUrl,
} from '../lib/slack/message.ts';
import { checkPayload } from '../local/services/slack/index.ts';

const M = 60_000;
const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const DIGEST = 'sha256:7f5b3c0e9a1d2b4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5';
const ctx = { cluster: 'prod', service: 'web', region: 'eu-west-1', at: Date.UTC(2026, 0, 1, 9, 5, 12) };

function rollout(overrides: Partial<Rollout> = {}): Rollout {
  return {
    id: '2026-01-01T09:00:00.000Z-7f5b3c0e9a1d',
    image: {
      repository: 'web',
      tag: 'v2',
      digest: DIGEST,
      uri: `123.dkr.ecr.eu-west-1.amazonaws.com/web@${DIGEST}`,
    },
    strategy: 'canary',
    steps: [
      { percent: 10, bakeMs: 2 * M },
      { percent: 50, bakeMs: 2 * M },
      { percent: 100, bakeMs: M },
    ],
    stepIndex: 0,
    fromTaskDefinition: TD(41),
    taskDefinition: TD(42),
    startedAt: Date.UTC(2026, 0, 1, 9),
    failures: [],
    ignoredAlarms: [],
    ...overrides,
  };
}

const failure = (i: number, reason = 'Essential container in task exited') => ({
  taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/${String(i).padStart(32, '0')}`,
  taskDefinition: TD(42),
  stoppedReason: reason,
  stopCode: 'EssentialContainerExited',
  container: 'web',
  exitCode: 1,
  at: 0,
});

function rolledBack(overrides: Partial<Extract<Notice, { kind: 'rolled_back' }>> = {}): Notice {
  return {
    kind: 'rolled_back',
    rollout: rollout(),
    reason: '2 new tasks failed: Essential container in task exited (web exit code 1)',
    failures: [failure(1), failure(2)],
    toTaskDefinition: TD(41),
    ...overrides,
  };
}

const ALL: Notice[] = [
  bounded({
    kind: 'started',
    rollout: rollout({ taskDefinition: undefined }),
    fromTaskDefinition: TD(41),
  }),
  bounded({ kind: 'step', rollout: rollout(), stepIndex: 0, percent: 10, canaryTasks: 1, share: 20 }),
  bounded({ kind: 'step', rollout: rollout(), stepIndex: 2, percent: 100, canaryTasks: 0, share: 100 }),
  bounded({ kind: 'succeeded', rollout: rollout(), durationMs: 12 * M + 30_000 }),
  bounded(rolledBack()),
  bounded({
    kind: 'superseded',
    rollout: rollout(),
    by: { repository: 'web', tag: 'v3', digest: 'sha256:ab12cd', uri: 'x' },
  }),
  bounded({ kind: 'paused', rollout: rollout({ stepIndex: 1 }) }),
  bounded({ kind: 'resumed', rollout: rollout({ stepIndex: 1 }) }),
  bounded({
    kind: 'ignored',
    image: rollout().image,
    reason: 'tag v2 does not match the glob "release-*"',
  }),
  {
    kind: 'scaled',
    from: 4,
    to: 6,
    alarm: { name: 'web-cpu-high', state: 'ALARM', value: 91, threshold: 80 },
    reason: 'Threshold Crossed: 1 datapoint [91.0] was greater than 80.0',
  },
  { kind: 'blocked', reason: 'task definition web has no container "app" (it has web, envoy)' },
];

describe('the words', () => {
  it.each([
    [
      0,
      'prod/web: rolling out web:v2 (sha256:7f5b…) from web:41, canary: 10% for 2m → 50% for 2m → 100% for 1m',
    ],
    [1, 'prod/web: web:v2 (web:42) at step 1 of 3: 20% of traffic (1 canary task; the step asks for 10%)'],
    [2, 'prod/web: promoting web:v2 (web:42) to the primary service, step 3 of 3'],
    [3, 'prod/web: web:v2 (sha256:7f5b…) is live on web:42, rolled out in 12m30s'],
    [
      4,
      'prod/web: rolled back web:v2 (sha256:7f5b…) to web:41 — 2 new tasks failed: Essential container in task exited (web exit code 1)',
    ],
    [5, 'prod/web: web:v2 (sha256:7f5b…) was superseded by web:v3 (sha256:ab12…) before it finished'],
    [6, 'prod/web: the rollout of web:v2 (sha256:7f5b…) is paused at step 2 of 3 (50%)'],
    [7, 'prod/web: the rollout of web:v2 (sha256:7f5b…) is resumed at step 2 of 3 (50%)'],
    [8, 'prod/web: ignored the push of web:v2 (sha256:7f5b…): tag v2 does not match the glob "release-*"'],
    [
      9,
      'prod/web: scaled out from 4 to 6 tasks — alarm web-cpu-high is in ALARM: Threshold Crossed: 1 datapoint [91.0] was greater than 80.0',
    ],
    [
      10,
      'prod/web: the pipeline needs a person — task definition web has no container "app" (it has web, envoy)',
    ],
  ])('notification %i: %s', (i, text) => {
    expect(render(ALL[i]!, ctx).text).toBe(text);
  });

  it('a rollback by a gate alarm names the alarm and its reason; one by failed tasks lists them with exit codes', () => {
    const byAlarm = render(
      bounded(
        rolledBack({
          reason: 'gate alarm web-5xx is in ALARM: Threshold Crossed',
          alarm: {
            name: 'web-5xx',
            state: 'ALARM',
            reason: 'Threshold Crossed: 1 datapoint [57.0] was greater than 20.0',
          },
          failures: [],
        }),
      ),
      ctx,
    );
    const alarmText = JSON.stringify(byAlarm.blocks);
    expect(alarmText).toContain('*Gate alarm* `web-5xx` is in ALARM');
    expect(alarmText).toContain('1 datapoint [57.0] was greater than 20.0');
    expect(alarmText).not.toContain('tasks failed*');

    const byTasks = JSON.stringify(render(bounded(rolledBack()), ctx).blocks);
    expect(byTasks).toContain('*2 new tasks failed*');
    expect(byTasks).toContain('• `000000000000` Essential container in task exited (`web` exit code 1)');
    expect(byTasks).toContain('*Returned to*\\n`web:41`');
  });

  it('the started message names the new revision once known, and says it is being registered before', () => {
    const before = JSON.stringify(render(ALL[0]!, ctx).blocks);
    expect(before).toContain('_being registered_');
    const after = render(
      {
        kind: 'started',
        rollout: { ...(ALL[0] as any).rollout, taskDefinition: TD(42) },
        fromTaskDefinition: TD(41),
      },
      ctx,
    );
    expect(after.text).toContain('from web:41 to web:42');
  });

  it('links the service and the revision in the ECS console, in the ARN region', () => {
    const blocks = JSON.stringify(render(ALL[3]!, { ...ctx, region: 'us-east-1' }).blocks);
    expect(blocks).toContain(
      '<https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/health?region=us-east-1|web in the ECS console>',
    );
    expect(blocks).toContain(
      '<https://eu-west-1.console.aws.amazon.com/ecs/v2/task-definitions/web/42/containers?region=eu-west-1|task definition web:42>',
    );
    expect(serviceConsoleUrl('eu-west-1', 'prod', 'web')).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/health?region=eu-west-1',
    );
    expect(taskDefinitionConsoleUrl('us-east-1', TD(42))).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/task-definitions/web/42/containers?region=eu-west-1',
    );
  });

  it('says when it happened, in the reader’s time zone, with a fallback', () => {
    const context = render(ALL[3]!, ctx).blocks.at(-1) as Extract<Block, { type: 'context' }>;
    expect(context.elements[0]!.text).toBe(
      '<!date^1767258312^{date_short_pretty} {time_secs}|2026-01-01T09:05:12Z>',
    );
  });

  it('escapes what Slack asks to be escaped, so a stop reason cannot make a link', () => {
    const n = bounded(rolledBack({ reason: 'exit <1> & <https://evil|click>' }));
    const { text } = render(n, ctx);
    expect(text).toContain('exit &lt;1&gt; &amp; &lt;https://evil|click&gt;');
  });
});

describe('Slack’s limits', () => {
  it('every kind of message passes the payload check', () => {
    for (const n of ALL) expect(checkPayload(render(n, ctx)), n.kind).toBeUndefined();
  });

  it('stays within every limit with the longest names and reasons, and says what it left out', () => {
    const long = 'x'.repeat(255);
    const huge = `${'Essential container in task exited & restarted <again> '.repeat(400)}`;
    const n = bounded(
      rolledBack({
        reason: huge,
        alarm: { name: long, state: 'ALARM', reason: huge },
        failures: Array.from({ length: 500 }, (_, i) => failure(i, huge)),
        rollout: rollout({ image: { repository: long, tag: 'v'.repeat(128), digest: DIGEST, uri: 'x' } }),
      }),
    );
    const message = render(n, { ...ctx, cluster: long, service: long });
    expect(checkPayload(message)).toBeUndefined();
    const header = message.blocks[0] as Extract<Block, { type: 'header' }>;
    expect(header.text.text).toHaveLength(150);
    expect(header.text.text.endsWith('…')).toBe(true);
    expect(message.text.length).toBeLessThanOrEqual(3000);
    expect(message.text.endsWith('…')).toBe(true);
    expect(JSON.stringify(message.blocks)).toMatch(/…and \d+ more/);
    expect(JSON.stringify(message.blocks)).toContain('*500 new tasks failed*');
  });

  const OK = render(ALL[3]!, ctx);
  it.each([
    [
      'more than 50 blocks',
      { ...OK, blocks: [...OK.blocks, ...Array(50).fill({ type: 'divider' })] },
      { why: expect.stringMatching(/more than 50/) },
    ],
    [
      'a header over 150 characters',
      { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] },
      { why: expect.stringMatching(/more than 150/) },
    ],
    [
      'a section over 3000 characters',
      { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }] },
      { why: expect.stringMatching(/more than 3000/) },
    ],
    [
      'a text over 4000 characters',
      { text: 'x'.repeat(4001) },
      { why: expect.stringMatching(/more than 4000/) },
    ],
    ['no text', { blocks: [] }, { error: 'no_text' }],
  ])('the payload check itself refuses what Slack refuses: %s', (_, payload, refusal) => {
    expect(checkPayload(payload)).toMatchObject(refusal);
  });

  it('a message of more than 50 blocks keeps 49 and says how many it left out', () => {
    const blocks: Block[] = Array.from({ length: 80 }, (_, i) => ({
      type: 'section',
      text: { type: 'mrkdwn', text: `b${i}` },
    }));
    const fitted = fitBlocks(blocks);
    expect(fitted).toHaveLength(50);
    expect(fitted[48]).toEqual(blocks[48]);
    expect(fitted[49]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '…and 31 more blocks not shown' }],
    });
    expect(fitBlocks(blocks.slice(0, 50))).toHaveLength(50);
  });

  it.each([
    ['rolled back', 6, 'rolle…'],
    ['a &amp; b', 6, 'a …'],
    ['see <https://x|x>', 10, 'see …'],
    ['short', 5, 'short'],
    ['ok 🚀🚀', 5, 'ok …'],
  ])('clip(%j, %i) = %j', (text, max, clipped) => {
    expect(clip(text, max)).toBe(clipped);
    expect(clip(text, max).length).toBeLessThanOrEqual(max);
  });
});
