/**
 * Held-out traffic scenarios (scenarios/held-out/traffic/, written from README.md alone), played as
 * `autopilot sim --json` plays them: weighted steps serve their asked share within ±2 points (from
 * the local load balancer's request counts) for 2 and 7 tasks, through a rule and a default action,
 * behind an NLB; a crashing image loses its traffic (weight 0) in the invocation that sees the first
 * failure, before anything stops; ECS's canary strategy is stopped at the first failure.
 */
import { fileURLToPath } from 'node:url';
import {
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { playTraffic } from './helpers/traffic-play.ts';
import { localClientConfig } from './helpers/world.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/traffic/', import.meta.url));
const MODIFY = ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:ModifyListener'];
const STOPS = ['ecs:UpdateService', 'ecs:StopTask', 'ecs:StopServiceDeployment'];

async function play(name: string) {
  const run = await playTraffic(`${DIR}${name}.yml`, { latency: true });
  expect(run.report.violations, name).toEqual([]);
  return run;
}

/** When the first task of the new revision stopped (its ECS Task State Change). */
function firstStop(report: any, revision: string): number {
  const e = report.events.find(
    (x: any) =>
      x.event['detail-type'] === 'ECS Task State Change' &&
      x.event.detail.lastStatus === 'STOPPED' &&
      x.event.detail.taskDefinitionArn.endsWith(revision),
  );
  return Date.parse(e.event.detail.stoppingAt ?? e.event.detail.stoppedAt);
}

describe('held-out: weighted steps serve their asked share', () => {
  it.each([
    ['weighted-2-task', [3, 17, 64, 100]],
    ['weighted-7-task', [1, 33, 90, 100]],
    ['two-listeners-rule-and-default', [5, 40, 100]],
    ['nlb', [8, 50, 100]],
  ])(
    '%s',
    async (name, percents) => {
      const { report, calls } = await play(name);
      const [rollout] = report.rollouts;
      expect(rollout.outcome).toBe('succeeded');
      expect(rollout.steps.map((s: any) => s.percent)).toEqual(percents);
      for (const s of rollout.steps) {
        expect(s.requests, `${s.percent}%`).toBeGreaterThan(1000);
        expect(Math.abs(s.servedShare - s.percent), `${s.percent}%`).toBeLessThanOrEqual(2);
      }
      if (name === 'two-listeners-rule-and-default') {
        const rules = calls.filter((c) => c.op === MODIFY[0]).length;
        expect(rules).toBeGreaterThan(0);
        expect(calls.filter((c) => c.op === MODIFY[1])).toHaveLength(rules);
      }
    },
    240_000,
  );
});

describe('held-out: the first failure', () => {
  it('weighted-crash: every route to weight 0 in the invocation that sees it, before anything stops', async () => {
    const { report, calls } = await play('weighted-crash');
    expect(report.rollouts[0]).toMatchObject({
      outcome: 'rolled_back',
      reason: expect.stringMatching(/exit code 137/),
    });
    const t = firstStop(report, 'api:2');
    const after = calls.map((c, i) => ({ ...c, i })).filter((c) => c.at >= t);
    const back = after.filter((c) => MODIFY.includes(c.op)).slice(0, 2);
    expect(back.map((c) => c.op).sort()).toEqual([...MODIFY].sort());
    expect(back[0]!.inv).toBeDefined();
    expect(back[1]!.inv).toBe(back[0]!.inv);
    expect(back[0]!.at - t).toBeLessThan(30_000);
    // Nothing stopped or resized anything between the failure and the move, in any invocation.
    expect(after.filter((c) => STOPS.includes(c.op) && c.i < back[1]!.i)).toEqual([]);
    // The invocation that moved the routes then stopped the canary.
    expect(
      after.some((c) => c.inv === back[0]!.inv && c.op === 'ecs:UpdateService' && c.i > back[1]!.i),
    ).toBe(true);
  }, 240_000);

  it('ecs-canary-crash: StopServiceDeployment at the first failed task, where ECS waits for 3', async () => {
    const { report, calls } = await play('ecs-canary-crash');
    // The canary's tasks crash within the same second: their events come in one batch from the
    // task event queue (lib/task-queue.ts), and the rollback counts every failure it was told.
    expect(report.rollouts[0]).toMatchObject({
      outcome: 'rolled_back',
      reason: expect.stringMatching(/^\d+ new tasks? failed: Essential container in task exited/),
    });
    const t = firstStop(report, 'orders:2');
    const stops = calls.filter((c) => c.op === 'ecs:StopServiceDeployment');
    expect(stops).toHaveLength(1);
    expect(stops[0]!.at - t).toBeGreaterThanOrEqual(0);
    expect(stops[0]!.at - t).toBeLessThan(30_000);
  }, 240_000);
});

describe('held-out: a misconfigured weighted target is refused at the push', () => {
  const forward = (...groups: string[]) => [
    {
      Type: 'forward' as const,
      ForwardConfig: { TargetGroups: groups.map((TargetGroupArn) => ({ TargetGroupArn, Weight: 1 })) },
    },
  ];
  it.each([
    [
      'refused-other-load-balancer',
      undefined,
      /behind load balancer internal, which autopilot.yml does not name/,
    ],
    ['misrouted', 'no listener', /no listener forwards to it/],
    ['misrouted', 'two groups', /also forwards to/],
  ] as const)(
    '%s %s',
    async (name, misroute, why) => {
      const run = await playTraffic(`${DIR}${name}.yml`, {
        prepare: async (world) => {
          if (!misroute) return;
          const elb = world.ecs.elb;
          const [http, https] = elb.loadBalancerNamed('edge')!.listeners;
          const group = (n: string) => [...elb.groups.values()].find((g) => g.name === n)!.arn;
          const client = new ElasticLoadBalancingV2Client(localClientConfig(world.endpoint!));
          const rule = https!.rules.find((r) => r.priority !== 'default')!.arn;
          if (misroute === 'no listener') {
            await client.send(
              new ModifyListenerCommand({ ListenerArn: http!.arn, DefaultActions: forward(group('www')) }),
            );
            await client.send(new ModifyRuleCommand({ RuleArn: rule, Actions: forward(group('www')) }));
          } else {
            await client.send(
              new ModifyRuleCommand({ RuleArn: rule, Actions: forward(group('api'), group('www')) }),
            );
          }
        },
      });
      expect(run.report.apiCalls['ecs:RegisterTaskDefinition'] ?? 0).toBe(0);
      expect(run.report.rollouts).toEqual([]);
      const told = run.report.notifications.filter((n: any) => n.kind === 'blocked');
      expect(told).toHaveLength(1);
      expect(told[0].text).toMatch(why);
      expect(told[0].text).toMatch(/Nothing was registered and the image is not marked bad/);
      const api = run.records.find((r) => r.service === 'api')!;
      expect(api.rollout).toBeUndefined();
      expect(api.badDigests).toEqual({});
    },
    240_000,
  );
});
