/**
 * A gate alarm reaches the pipeline in each of the three shapes AWS delivers: the EventBridge event
 * (rollout.test.ts), an SNS notification, and an alarm's Lambda action. With the EventBridge rule
 * removed, the rollback still comes at the moment the alarm fires, not at the next tick.
 */
import { describe, expect, it } from 'vitest';
import { fiveXxAlarm, usePipelineWorld } from '../helpers/pipeline-world.ts';

const MIN = 60_000;
const world = usePipelineWorld();

describe('gate alarm delivered without EventBridge', () => {
  it.each([
    ['an alarm Lambda action', (fn: string) => fn],
    ['an SNS notification', () => 'arn:aws:sns:us-east-1:123456789012:web-alarms'],
  ])('as %s rolls back the moment the alarm fires', async (_shape, actionArn) => {
    const action = actionArn('arn:aws:lambda:us-east-1:123456789012:function:ecs-autopilot-alarm');
    const t = await world({
      images: { 'web:v2': { errors: 0.5 } },
      load: 100,
      target: { gateAlarms: ['web-5xx'] },
      alarms: (dimensions) => [fiveXxAlarm(dimensions, { AlarmActions: [action] })],
    });
    // The alarm's action goes to the pipeline's alarm handler; the EventBridge route is removed.
    t.world.functions.set(action, t.world.functions.get(t.functionArns.alarm!)!);
    const events = t.world.events.operations;
    await events.RemoveTargets!({ Rule: 'ecs-autopilot-gate-alarm', Ids: ['alarm'] });
    await events.DeleteRule!({ Name: 'ecs-autopilot-gate-alarm' });

    t.world.ecr.push('web', 'v2');
    await t.world.runFor(10 * MIN);

    const record = (await t.records()).find((r) => r.key === 'prod/web')!;
    const last = record.history.at(-1)!;
    expect(last.outcome).toBe('rolled_back');
    expect(last.reason).toMatch(/^gate alarm web-5xx is in ALARM: Threshold Crossed/);
    const fired = t.world.eventLog.find(
      (e) =>
        e.event['detail-type'] === 'CloudWatch Alarm State Change' && e.event.detail.state.value === 'ALARM',
    )!;
    expect(last.endedAt).toBe(fired.at);
  });
});

describe('a gate too slow for the rollout', () => {
  it('is read from CloudWatch at the push and told once, while the rollout goes on', async () => {
    // 10 of 10 one-minute periods: 10 minutes of breaching data, against 5 minutes of bakes.
    const t = await world({
      target: { gateAlarms: ['web-5xx'] },
      alarms: (dimensions) => [fiveXxAlarm(dimensions, { EvaluationPeriods: 10, DatapointsToAlarm: 10 })],
    });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(3 * MIN);
    const told = t.logs.filter((l) => l.includes('needs at least 10m of breaching data'));
    expect(told.length).toBeGreaterThan(0);
    expect(new Set(told.map((l) => JSON.parse(l).msg))).toEqual(new Set(['pipeline.blocked']));
    const record = (await t.records()).find((r) => r.key === 'prod/web')!;
    expect(record.rollout?.slowGates).toEqual(['web-5xx']);
  });
});
