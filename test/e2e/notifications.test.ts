/**
 * Slack, end to end: the real handlers woken by the real rules, the webhook URL in the local SSM,
 * and the loopback Slack (local/slack.ts) taking the messages, or failing to, as Slack would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { webhookParameters } from '../../lib/config.ts';
import { DEFAULT_WEBHOOK_PARAMETER } from '../../lib/slack/webhook.ts';
import { type PipelineWorld, pipelineWorld } from '../helpers/pipeline-world.ts';

const MIN = 60_000;
const TEAM = DEFAULT_WEBHOOK_PARAMETER;
const ONCALL = '/ecs-autopilot/slack-oncall';
const CRASH = { 'web:v2': { crash: { after: '20s', exitCode: 1 } } };

let worlds: PipelineWorld[] = [];
afterEach(async () => {
  for (const t of worlds) {
    // The webhook URL, or its secret path, is in no log line.
    const config = t.pipeline.config;
    for (const name of webhookParameters(config, TEAM)) {
      const url = (t.world.ssm.operations.GetParameter({ Name: name, WithDecryption: true }) as any).Parameter
        .Value as string;
      const path = new URL(url).pathname;
      expect(t.logs.some((l) => l.includes('notification.'))).toBe(true);
      expect(
        t.logs.filter((l) => l.includes(url) || l.includes(path) || l.includes(path.split('/').at(-1)!)),
      ).toEqual([]);
    }
    await t.stop();
  }
  worlds = [];
});

async function start(options: Parameters<typeof pipelineWorld>[0]): Promise<PipelineWorld> {
  const t = await pipelineWorld({ ...options, slack: { timeoutMs: 300, ...options?.slack } });
  worlds.push(t);
  return t;
}

const texts = (t: PipelineWorld, channel?: string) => t.slack!.messages(channel).map((p) => p.text as string);
const kinds = async (t: PipelineWorld) => (await t.notificationsReport()).map((n) => n.kind);
/** What the pipeline did to ECS, and when (virtual time). */
const timeline = (t: PipelineWorld) => t.actions.map((a) => [a.at, a.action.type, JSON.stringify(a.action)]);

describe('Slack hears of a rollout', () => {
  it('as it happens: started, each step, succeeded, each at the moment it was decided, each once', async () => {
    const t = await start({});
    const pushed = t.world.ecr.push('web', 'v2');
    await t.world.runFor(20 * MIN);

    const short = `${pushed.digest.slice(0, 11)}…`;
    expect(texts(t)).toEqual([
      `prod/web: rolling out web:v2 (${short}) from web:1 to web:2, canary: 10% for 2m → 50% for 2m → 100% for 1m`,
      'prod/web: web:v2 (web:2) at step 1 of 3: 20% of traffic (1 canary task; the step asks for 10%)',
      'prod/web: web:v2 (web:2) at step 2 of 3: 50% of traffic (4 canary tasks)',
      'prod/web: promoting web:v2 (web:2) to the primary service, step 3 of 3',
      expect.stringMatching(
        new RegExp(
          `^prod/web: web:v2 \\(${short.replace('…', '')}…\\) is live on web:2, rolled out in \\d+m`,
        ),
      ),
    ]);
    // Delivered at the virtual instant of the decision: nothing waited for the tick.
    expect(t.slack!.received.map((r) => r.at)).toEqual(t.notices.map((n) => n.at));

    const report = await t.notificationsReport();
    expect(report.map((n) => [n.kind, n.service, n.outcome, n.attempts.map((a) => a.result)])).toEqual([
      ['started', 'prod/web', 'sent', ['200 ok']],
      ['step', 'prod/web', 'sent', ['200 ok']],
      ['step', 'prod/web', 'sent', ['200 ok']],
      ['step', 'prod/web', 'sent', ['200 ok']],
      ['succeeded', 'prod/web', 'sent', ['200 ok']],
    ]);
    expect(report.map((n) => n.text)).toEqual(texts(t));
    expect(report.map((n) => n.at)).toEqual(t.notices.map((n) => new Date(n.at).toISOString()));
    expect((await t.records())[0]!.outbox).toEqual([]);
  });

  it('a rollback names the failed task, its stop reason and exit code, and the revision returned to', async () => {
    const t = await start({ images: CRASH });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(8 * MIN);
    expect(texts(t).at(-1)).toMatch(
      /^prod\/web: rolled back web:v2 \(sha256:[0-9a-f]{4}…\) to web:1 — 1 new task failed: Essential container in task exited \(web exit code 1\)$/,
    );
    const blocks = JSON.stringify(t.slack!.messages().at(-1).blocks);
    expect(blocks).toContain('*1 new task failed*');
    expect(blocks).toContain(
      '/ecs/v2/task-definitions/web/1/containers?region=us-east-1|task definition web:1>',
    );
    expect(blocks).toContain(
      '/ecs/v2/clusters/prod/services/web/health?region=us-east-1|web in the ECS console>',
    );
  });
});

describe('no message twice', () => {
  it('a push event delivered three times starts one rollout and one "started" message', async () => {
    const t = await start({});
    t.world.ecr.push('web', 'v2');
    const pushEvent = t.world.eventLog.at(-1)!.event;
    t.world.events.put(pushEvent);
    t.world.events.put(pushEvent);
    await t.world.runFor(20 * MIN);
    expect(await kinds(t)).toEqual(['started', 'step', 'step', 'step', 'succeeded']);
    expect(t.slack!.received).toHaveLength(5);
  });
});

describe('a Slack outage', () => {
  it('delays no rollback, and once Slack is back every message arrives once, in order', async () => {
    const healthy = await start({ images: CRASH });
    healthy.world.ecr.push('web', 'v2');
    await healthy.world.runFor(8 * MIN);

    const t = await start({ images: CRASH });
    await t.slack!.refuse();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(4 * MIN);
    await t.slack!.recover();
    t.slack!.answers.push({ status: 500 }, { status: 429, retryAfter: 30 }, { slow: 1000 }, { slow: 100 });
    await t.world.runFor(4 * MIN);

    // The pipeline did the same to ECS at the same virtual moments, Slack down or not.
    expect(timeline(t)).toEqual(timeline(healthy));
    expect((await t.records())[0]!.history.at(-1)!.outcome).toBe('rolled_back');

    // The back-off is at 5 minutes by now: the retries after the 500, the 429 and the timeout come within 12.
    await t.world.runFor(12 * MIN);
    const sent = t
      .slack!.received.filter((r) => r.status === 200 && !r.abandoned)
      .map((r) => (r.payload as any).text);
    expect(sent).toEqual(texts(healthy));
    expect(await kinds(t)).toEqual(['started', 'step', 'rolled_back']);
    const first = (await t.notificationsReport())[0]!;
    expect(first.attempts.map((a) => a.result)).toEqual(
      expect.arrayContaining([
        'could not connect (ECONNREFUSED)',
        '500 rollup_error',
        '429 rate_limited',
        '200 ok',
      ]),
    );
    expect(first.attempts.at(-1)!.result).toBe('200 ok');
    expect((await t.records())[0]!.outbox).toEqual([]);
  });
});

describe('routing and noise', () => {
  it('steps switched off, rollbacks to the on-call webhook', async () => {
    const t = await start({
      images: CRASH,
      notifications: { steps: false, routes: { rolled_back: [ONCALL] } },
    });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(8 * MIN);
    expect(texts(t, TEAM)).toEqual([expect.stringMatching(/^prod\/web: rolling out web:v2/)]);
    expect(texts(t, ONCALL)).toEqual([expect.stringMatching(/^prod\/web: rolled back web:v2/)]);
  });

  it('an error that needs a person is told at once, and once, though it is met again', async () => {
    const t = await start({ target: { container: 'app' } });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(2 * MIN);
    t.world.ecr.push('web', 'v3');
    await t.world.runFor(3 * MIN);
    expect(t.logs.filter((l) => l.includes('"pipeline.error"')).length).toBeGreaterThan(1);
    // Refused at the push (lib/refusal.ts): nothing rolled out, nothing registered.
    expect(texts(t)).toEqual([
      expect.stringMatching(
        /^prod\/web: the pipeline needs a person — task definition web:1 has no container "app" \(it has web\); set "container"/,
      ),
    ]);
  });
});
