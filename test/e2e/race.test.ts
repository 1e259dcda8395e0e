/**
 * Two invocations racing on one service, as Lambda runs them: a canary task's STOPPING event (sent
 * straight to ecsEvent by the ecs-task-failing rule) and a gate alarm's ALARM event for the same service, delivered
 * within a few hundred ms with the latency
 * model on, run as concurrent invocations that interleave at their AWS calls (local/core/concurrency.ts).
 * Whoever commits first rolls back; the other's conditional write loses or its action is fenced
 * (lib/lease.ts): one rollback, told once, nothing lost.
 */
import { expect, it } from 'vitest';
import type { InvocationSpan } from '../../local/lambda.ts';
import { InvariantChecker } from '../../local/scenario/invariants.ts';
import { fiveXxAlarm, usePipelineWorld } from '../helpers/pipeline-world.ts';

const pipeline = usePipelineWorld();

/** The first word of the crash: the canary's task stopping, its essential container exited (ECS's STOPPING event). */
const crashedCanaryTask = (event: any) =>
  event?.['detail-type'] === 'ECS Task State Change' &&
  event.detail?.lastStatus === 'STOPPING' &&
  event.detail?.stopCode === 'EssentialContainerExited' &&
  event.detail?.group === 'service:web-canary';

it('a canary crash and a gate alarm at the same moment: concurrent invocations, one rollback, told once', async () => {
  const t = await pipeline({
    latency: true,
    images: { 'web:v2': { crash: { after: '40s', exitCode: 1 } } },
    load: 20,
    target: { gateAlarms: ['web-5xx'] },
    alarms: (dimensions) => [fiveXxAlarm(dimensions)],
  });
  const { world } = t;
  const checker = new InvariantChecker(world, t);
  checker.start();
  const spans: InvocationSpan[] = [];
  t.lambda.onEnd.push((s) => spans.push(s));

  world.ecr.push('web', 'v2');
  // Small steps until the canary's task is stopping (its container exited); then the gate alarm fires at
  // that very moment, so its invocation and the crash's (which rolls back) run at once.
  const crashed = () => world.eventLog.some((e) => crashedCanaryTask(e.event));
  for (let i = 0; i < 20 * 60 * 20 && !crashed(); i++) await world.runFor(50, 50);
  expect(crashed()).toBe(true);
  // Its event goes straight to the function (the ecs-task-failing rule, not the task event queue's
  // batching window): the alarm fires as it goes, so the two invocations run at once.
  const alarmAt = world.now();
  await world.cloudwatch.operations.SetAlarmState!({
    AlarmName: 'web-5xx',
    StateValue: 'ALARM',
    StateReason: 'Threshold Crossed: a burst of 5xx',
  });
  await world.runFor(10 * 60_000);

  // The two invocations overlapped in virtual time: each was still running when the other started.
  const crash = spans.find((s) => s.name === 'ecs-autopilot-ecsEvent' && crashedCanaryTask(s.event));
  const alarm = spans.find(
    (s) => s.name === 'ecs-autopilot-alarm' && s.from >= alarmAt && s.from < alarmAt + 5_000,
  );
  expect(crash).toBeDefined();
  expect(alarm).toBeDefined();
  expect(crash!.from).toBeLessThan(alarm!.to);
  expect(alarm!.from).toBeLessThan(crash!.to);
  expect(world.tasks.counts.maxInFlight).toBeGreaterThanOrEqual(2);

  // One rollback, recorded once and told once; the record's writes all landed in order.
  const record = (await t.records()).find((r) => r.key === 'prod/web')!;
  const rollouts = record.history.filter((h) => h.image.tag === 'v2');
  expect(rollouts.map((h) => h.outcome)).toEqual(['rolled_back']);
  expect(record.rollout).toBeUndefined();
  expect(t.notices.filter((n) => n.notice.kind === 'rolled_back')).toHaveLength(1);
  const canaryToZero = t.actions.filter((a) => a.action.type === 'setCanary' && a.action.desiredCount === 0);
  expect(canaryToZero).toHaveLength(1);
  const primary = (await world.ecs.operations.DescribeServices!({
    cluster: 'prod',
    services: ['web'],
  })) as any;
  expect(primary.services[0].taskDefinition).toMatch(/web:1$/);
  expect(await checker.finish()).toEqual([]);
  checker.stop();
});
