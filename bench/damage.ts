/**
 * Item 1, damage from a bad release: a service of 20 tasks behind an ALB target group, a bad
 * image, and what it costs before traffic is back on the good revision, for the pipeline's canary
 * and rolling strategies and for ECS's own rolling update with the circuit breaker (rollback on),
 * in the same world, all on the virtual clock, sampled every virtual second.
 *
 *   task-seconds in service  ∫ new-revision tasks registered healthy in the target group (they get traffic)
 *   task-seconds running     ∫ new-revision tasks RUNNING (whether or not the ALB sends them traffic)
 *   tasks launched           new-revision tasks started (every one of them bad); `failed`: those that failed
 *   signal → rollback        first failure signal (first failed new task stopping, or the gate alarm
 *                            going to ALARM) to the rollback call (the pipeline's first action after it
 *                            decided to roll back; the breaker's rollback deployment for ECS)
 *   recovered                push → the rollback was called and no new-revision task is RUNNING or
 *                            healthy in the target group any more (traffic back on the good revision)
 */
import type { Task } from '../local/services/ecs/model.ts';
import {
  ALB_DEFAULT_HEALTH,
  type BenchWorld,
  benchWorld,
  MIN,
  registerRevision,
  type TargetGroupHealth,
} from './world.ts';

export interface DamageCase {
  key: string;
  label: string;
  image: unknown;
  healthCheck?: boolean;
  alarm?: boolean;
  targetGroupHealth?: TargetGroupHealth;
}

export type Contender = 'canary' | 'rolling' | 'ecs';

export interface DamageResult {
  taskSecondsInService: number;
  taskSecondsRunning: number;
  tasksLaunched: number;
  tasksFailed: number;
  /** ms after the push (or UpdateService) */
  firstSignalMs?: number;
  rollbackCallMs?: number;
  signalToRollbackMs?: number;
  recoveredMs?: number;
  /** Not back on the good revision within the horizon: the figures are lower bounds. */
  censored: boolean;
  requestsServed: number;
  errorsServed: number;
  outcome: string;
  realMs: number;
}

export const DESIRED = 20;
export const LOAD = 100;
export const HORIZON_MS = 30 * MIN;

export async function runDamage(c: DamageCase, who: Contender): Promise<DamageResult> {
  const real0 = performance.now();
  const b = await benchWorld({
    seed: `damage-${c.key}`,
    desiredCount: DESIRED,
    images: { 'web:v2': c.image },
    healthCheck: c.healthCheck,
    targetGroupHealth: c.targetGroupHealth ?? ALB_DEFAULT_HEALTH,
    load: LOAD,
    alarms: c.alarm,
    pipeline:
      who === 'ecs'
        ? undefined
        : { ...(who === 'rolling' ? { strategy: 'rolling' } : {}), gateAlarms: c.alarm ? ['web-5xx'] : [] },
  });
  try {
    return await measure(b, c, who, real0);
  } finally {
    await b.stop();
  }
}

async function measure(b: BenchWorld, c: DamageCase, who: Contender, real0: number): Promise<DamageResult> {
  const { world } = b;
  const tg = world.ecs.elb.groups.get(b.services[0]!.targetGroupArn)!;
  const t0 = world.now();
  let revision: string | undefined;
  if (who === 'ecs') {
    world.ecr.push('web', 'v2');
    revision = await registerRevision(world, 'v2', !!c.healthCheck);
    await world.ecs.operations.UpdateService!({ cluster: 'prod', service: 'web', taskDefinition: revision });
  } else {
    world.ecr.push('web', 'v2');
  }
  const newRevision = () => {
    if (revision) return revision;
    const revs = world.ecs.families.get('web') ?? [];
    revision = revs.length > 1 ? revs.at(-1)!.arn : undefined;
    return revision;
  };
  const rollbackCall = (): number | undefined => {
    if (who === 'ecs') {
      const d = world.ecs.service('prod', 'web')!.history.find((x) => x.rollbackTo && x.createdAt >= t0);
      return d?.createdAt;
    }
    const notice = b.pipeline!.notices.find((n) => n.notice.kind === 'rolled_back');
    if (!notice) return undefined;
    return b.pipeline!.actions.find((a) => a.at >= notice.at)?.at ?? notice.at;
  };

  let inService = 0;
  let running = 0;
  let recovered: number | undefined;
  for (let elapsed = 0; elapsed < HORIZON_MS; ) {
    await world.runFor(1000);
    elapsed = world.now() - t0;
    const rev = newRevision();
    if (!rev) continue;
    let serving = 0;
    for (const t of tg.targets) if (t.state === 'healthy' && t.task.taskDefinition.arn === rev) serving++;
    let up = 0;
    let live = 0;
    for (const name of ['web', 'web-canary']) {
      for (const t of world.ecs.service('prod', name)?.tasks ?? []) {
        if (t.taskDefinition.arn !== rev) continue;
        if (t.lastStatus === 'RUNNING') up++;
        if (t.lastStatus === 'RUNNING' || t.targets.some((x) => x.state === 'healthy')) live++;
      }
    }
    inService += serving;
    running += up;
    // Recovered: the rollback was called and no new-revision task runs or serves any more.
    if (live === 0 && rollbackCall() !== undefined) {
      recovered = elapsed;
      break;
    }
  }

  const rev = newRevision();
  const tasks: Task[] = [];
  world.ecs.trafficByTask(); // flushes the request accounting
  for (const t of world.ecs.taskIndex.values())
    if (t.taskDefinition.arn === rev && t.createdAt >= t0) tasks.push(t);
  const failed = tasks.filter((t) => t.failure !== undefined);
  const stops = failed.map((t) => t.stoppingAt ?? t.stoppedAt ?? Number.POSITIVE_INFINITY);
  const alarmAt = world.eventLog.find(
    (e) =>
      e.at >= t0 &&
      e.event['detail-type'] === 'CloudWatch Alarm State Change' &&
      e.event.detail?.state?.value === 'ALARM',
  )?.at;
  const first = Math.min(...stops, alarmAt ?? Number.POSITIVE_INFINITY);
  const rb = rollbackCall();
  const firstSignalMs = Number.isFinite(first) ? first - t0 : undefined;
  const rollbackCallMs = rb === undefined ? undefined : rb - t0;
  const outcome =
    who === 'ecs'
      ? rb !== undefined
        ? 'circuit breaker rolled back'
        : 'not rolled back'
      : (b.pipeline!.notices.find((n) => n.notice.kind === 'rolled_back' || n.notice.kind === 'succeeded')
          ?.notice.kind ?? 'in progress');
  return {
    taskSecondsInService: inService,
    taskSecondsRunning: running,
    tasksLaunched: tasks.length,
    tasksFailed: failed.length,
    firstSignalMs,
    rollbackCallMs,
    signalToRollbackMs:
      firstSignalMs !== undefined && rollbackCallMs !== undefined
        ? rollbackCallMs - firstSignalMs
        : undefined,
    recoveredMs: recovered,
    censored: recovered === undefined,
    requestsServed: Math.round(tasks.reduce((s, t) => s + t.requests, 0)),
    errorsServed: Math.round(tasks.reduce((s, t) => s + t.errors, 0)),
    outcome,
    realMs: performance.now() - real0,
  };
}
