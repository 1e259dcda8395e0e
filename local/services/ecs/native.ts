/**
 * ECS's own deployment strategies, as the local ECS plays them: BLUE_GREEN, CANARY and LINEAR
 * (deploymentConfiguration.strategy, deployment controller ECS, a load balancer with
 * advancedConfiguration), with Lambda lifecycle hooks and StopServiceDeployment.
 *
 * A deployment goes through its lifecycle stages (API ServiceDeployment.lifecycleStage,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html):
 *   PRE_SCALE_UP (hooks) -> SCALE_UP (the new, "green", revision starts the service's whole count,
 *   registered in the target group not serving production, while the old, "blue", keeps serving)
 *   -> POST_SCALE_UP (hooks, once every green task is healthy) -> TEST_TRAFFIC_SHIFT (the test
 *   listener rule, if any, to green; hooks) -> POST_TEST_TRAFFIC_SHIFT (hooks) -> for every shift:
 *   PRE_PRODUCTION_TRAFFIC_SHIFT (hooks: "invoked before every traffic shift step") and
 *   PRODUCTION_TRAFFIC_SHIFT (the production listener rule's weights move; hooks), then the step's
 *   bake (canaryBakeTimeInMinutes, stepBakeTimeInMinutes) before the next shift
 *   -> POST_PRODUCTION_TRAFFIC_SHIFT (hooks) -> BAKE_TIME (bakeTimeInMinutes, both revisions up)
 *   -> CLEAN_UP (blue stops; the alternate target group is production from now on) -> SUCCESSFUL.
 * Shifts: CANARY [canaryPercent, 100], LINEAR [stepPercent, 2 x stepPercent, …, 100], BLUE_GREEN [100]
 * (developerguide canary-deployment.html, linear-deployment.html, deployment-type-blue-green.html).
 *
 * Hooks (developerguide deployment-lifecycle-hooks.html, lambda-lifecycle-hooks.html): ECS invokes
 * each hook of the stage through the local Lambda runtime (world.functions) with
 * { serviceArn, targetServiceRevisionArn, testTrafficWeights, productionTrafficWeights, hookDetails }
 * and waits: SUCCEEDED goes on; IN_PROGRESS asks again after `callBackDelay` seconds (default 30);
 * FAILED, no valid hookStatus, a function error or a missing function roll the deployment back; a
 * hook still unresolved after timeoutConfiguration.timeoutInMinutes (default 1440) takes its action
 * (default ROLLBACK). On a rollback ECS runs the TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT
 * hooks again with the rollback's weights; here their answers are not waited for (simplified).
 *
 * Rollback (a hook's FAILED, StopServiceDeployment ROLLBACK, the circuit breaker, deployment alarms):
 * production and test traffic return to blue at once, blue is the PRIMARY again, green's tasks stop;
 * the service deployment is ROLLBACK_IN_PROGRESS until they have, then ROLLBACK_SUCCESSFUL.
 * Simplified: ECS's RECONCILE_SERVICE stage (only with more than one ACTIVE revision) is skipped; a
 * new deployment during one of these rolls the earlier one back first (its traffic back to blue), then
 * starts from blue, and the service names the new deployment's revision (scheduler.createDeployment);
 * hookDetails a hook returns are not fed back.
 */
import type { Rule } from '../elbv2/routing.ts';
import { forwardGroups, forwardOf } from '../elbv2/routing.ts';
import type { EcsContext, NativeDeployments } from './context.ts';
import type { Deployment, LoadBalancerRef, NativeDeployment, Service } from './model.ts';

export const NATIVE_STRATEGIES = ['BLUE_GREEN', 'CANARY', 'LINEAR'] as const;
export const HOOK_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
];
/** "By default, the delay is 30 seconds" (lambda-lifecycle-hooks.html). */
export const DEFAULT_CALLBACK_DELAY_S = 30;
/** timeoutConfiguration.timeoutInMinutes default 1440 (API DeploymentLifecycleHookTimeoutConfiguration). */
const DEFAULT_HOOK_TIMEOUT_MIN = 1440;

export const isNativeStrategy = (s: unknown): boolean =>
  typeof s === 'string' && (NATIVE_STRATEGIES as readonly string[]).includes(s);

/**
 * The production shares of each shift.
 *
 *   CANARY {canaryPercent 5}     -> [5, 100]
 *   LINEAR {stepPercent 25}      -> [25, 50, 75, 100]
 *   LINEAR {stepPercent 33.3}    -> [33.3, 66.6, 99.9, 100]
 *   BLUE_GREEN                   -> [100]
 */
export function shiftsOf(config: Record<string, any>): number[] {
  if (config.strategy === 'CANARY') {
    const p = config.canaryConfiguration?.canaryPercent ?? 5;
    return p >= 100 ? [100] : [p, 100];
  }
  if (config.strategy === 'LINEAR') {
    const step = config.linearConfiguration?.stepPercent ?? 10;
    const out: number[] = [];
    for (let k = 1; Math.round(k * step * 10) / 10 < 100; k++) out.push(Math.round(k * step * 10) / 10);
    return [...out, 100];
  }
  return [100];
}

/** The bake after shift `i` (none after the last: bakeTimeInMinutes follows it). */
function bakeAfterShiftMs(config: Record<string, any>, i: number, count: number): number {
  if (i >= count - 1) return 0;
  const min =
    config.strategy === 'CANARY'
      ? (config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10)
      : (config.linearConfiguration?.stepBakeTimeInMinutes ?? 6);
  return min * 60_000;
}

/**
 * ELB weights are whole numbers 0–999 (API_TargetGroupTuple): a share in tenths of a percent out of
 * 1000, or in percent out of 100 when it is whole.
 *
 *   10   -> blue 90, green 10
 *   2.5  -> blue 975, green 25
 *   100  -> blue 0, green 100
 */
export function ruleWeights(greenPercent: number): { blue: number; green: number } {
  const tenths = Math.round(greenPercent * 10);
  if (tenths % 10 === 0) return { blue: 100 - tenths / 10, green: tenths / 10 };
  return { blue: 1000 - tenths, green: tenths };
}

const tenthsIn = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && v >= min && v <= max && Math.abs(v * 10 - Math.round(v * 10)) < 1e-9;
const minutesIn = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1440;

/**
 * What CreateService and UpdateService refuse in a strategy, as ECS documents its limits (API
 * DeploymentConfiguration, CanaryConfiguration, LinearConfiguration, DeploymentLifecycleHook,
 * AdvancedConfiguration); the wording is chosen here. Undefined when it is fine.
 *
 *   strategy CANARY, canaryPercent 0.05          -> 'canaryConfiguration.canaryPercent must be …'
 *   strategy BLUE_GREEN, no bakeTimeInMinutes    -> fine (ECS fills its default)
 *   strategy LINEAR, a load balancer without advancedConfiguration -> 'LINEAR deployments need …'
 *   a hook without roleArn                        -> 'lifecycleHooks[0].roleArn is required …'
 */
export function strategyProblem(
  config: Record<string, any>,
  loadBalancers: LoadBalancerRef[],
  controller: string,
  ruleExists: (arn: string) => boolean,
): string | undefined {
  const strategy = config.strategy ?? 'ROLLING';
  if (!['ROLLING', ...NATIVE_STRATEGIES].includes(strategy))
    return `deploymentConfiguration.strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY; got ${strategy}.`;
  if (config.bakeTimeInMinutes !== undefined && !minutesIn(config.bakeTimeInMinutes))
    return 'deploymentConfiguration.bakeTimeInMinutes must be an integer from 0 to 1440.';
  const canary = config.canaryConfiguration;
  if (canary?.canaryPercent !== undefined && !tenthsIn(canary.canaryPercent, 0.1, 100))
    return 'canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1 to 100.';
  if (canary?.canaryBakeTimeInMinutes !== undefined && !minutesIn(canary.canaryBakeTimeInMinutes))
    return 'canaryConfiguration.canaryBakeTimeInMinutes must be an integer from 0 to 1440.';
  const linear = config.linearConfiguration;
  if (linear?.stepPercent !== undefined && !tenthsIn(linear.stepPercent, 3, 100))
    return 'linearConfiguration.stepPercent must be a multiple of 0.1 from 3 to 100.';
  if (linear?.stepBakeTimeInMinutes !== undefined && !minutesIn(linear.stepBakeTimeInMinutes))
    return 'linearConfiguration.stepBakeTimeInMinutes must be an integer from 0 to 1440.';
  if (canary && strategy !== 'CANARY') return 'canaryConfiguration is valid only with strategy CANARY.';
  if (linear && strategy !== 'LINEAR') return 'linearConfiguration is valid only with strategy LINEAR.';
  const hooks: any[] = config.lifecycleHooks ?? [];
  for (const [i, h] of hooks.entries()) {
    if ((h.targetType ?? 'AWS_LAMBDA') === 'AWS_LAMBDA') {
      if (typeof h.hookTargetArn !== 'string' || !/^arn:aws[a-z-]*:lambda:/.test(h.hookTargetArn))
        return `lifecycleHooks[${i}].hookTargetArn must be a Lambda function ARN.`;
      if (typeof h.roleArn !== 'string' || !h.roleArn.includes(':role/'))
        return `lifecycleHooks[${i}].roleArn is required: the IAM role that grants Amazon ECS permission to call the Lambda function.`;
    }
    const stages: unknown[] = h.lifecycleStages ?? [];
    if (stages.length === 0) return `lifecycleHooks[${i}].lifecycleStages is required.`;
    const bad = stages.find((x) => !HOOK_STAGES.includes(String(x)));
    if (bad !== undefined)
      return `lifecycleHooks[${i}].lifecycleStages: ${String(bad)} is not a lifecycle stage.`;
  }
  if (strategy === 'ROLLING') return undefined;
  if (controller !== 'ECS') return `The ${strategy} strategy requires the ECS deployment controller.`;
  if (loadBalancers.length === 0)
    return `${strategy} deployments need a load balancer with advancedConfiguration (or Service Connect, which the local ECS does not model).`;
  for (const lb of loadBalancers) {
    const adv = lb.advancedConfiguration;
    if (!adv?.alternateTargetGroupArn || !adv.productionListenerRule || !adv.roleArn)
      return `${strategy} deployments need loadBalancers[].advancedConfiguration with alternateTargetGroupArn, productionListenerRule and roleArn.`;
    if (!ruleExists(adv.productionListenerRule))
      return `The production listener rule ${adv.productionListenerRule} does not exist.`;
    if (adv.testListenerRule && !ruleExists(adv.testListenerRule))
      return `The test listener rule ${adv.testListenerRule} does not exist.`;
  }
  return undefined;
}

interface Invocation {
  svc: Service;
  d: NativeDeployment;
  deployment: Deployment;
  stage: string;
  hook: number;
  /** The generation of the deployment's run: a rollback or a newer deployment voids older ones. */
  generation: number;
  /** Rollback-direction invocations: not waited for. */
  fireAndForget?: boolean;
}

export class NativeStrategies implements NativeDeployments {
  private queue: Invocation[] = [];

  constructor(private readonly ecs: EcsContext) {}

  private now() {
    return this.ecs.world.now();
  }

  /** Whether a new deployment of `svc` runs as ECS's strategy: one of them, and a blue revision to shift from. */
  applies(svc: Service): boolean {
    return (
      svc.deploymentController === 'ECS' &&
      isNativeStrategy(svc.deploymentConfiguration.strategy) &&
      svc.deployments.some((x) => x.tasks.size > 0)
    );
  }

  /** A deployment of one of ECS's strategies starts (scheduler.createDeployment, after it is PRIMARY). */
  begin(svc: Service, d: Deployment, blue: Deployment): void {
    const config = d.configuration;
    d.native = {
      strategy: config.strategy,
      stage: 'PRE_SCALE_UP',
      shifts: shiftsOf(config),
      shiftIndex: 0,
      weight: 0,
      testWeight: 0,
      blue,
      generation: 1,
      hookStartedAt: this.now(),
    };
    this.runHooks(svc, d, 'PRE_SCALE_UP', () => this.enter(svc, d, 'SCALE_UP'));
  }

  /** The target group serving production for the service's load balancer `index`. */
  private liveGroup(svc: Service, index: number, lb: LoadBalancerRef): string | undefined {
    return svc.liveTargetGroups?.[index] || lb.targetGroupArn;
  }

  /** The other of the pair: where a new revision registers. */
  private greenGroup(svc: Service, index: number, lb: LoadBalancerRef): string | undefined {
    const alternate = lb.advancedConfiguration?.alternateTargetGroupArn;
    const live = this.liveGroup(svc, index, lb);
    if (!alternate) return live;
    return live === alternate ? lb.targetGroupArn : alternate;
  }

  /** The target group a task registers in: green in the one not serving production, blue in the one that is. */
  targetGroupFor(
    svc: Service,
    task: { deployment?: Deployment },
    index: number,
    lb: LoadBalancerRef,
  ): string | undefined {
    return task.deployment && this.holdsBlue(task.deployment)
      ? this.greenGroup(svc, index, lb)
      : this.liveGroup(svc, index, lb);
  }

  /** Whether the scheduler must hold the blue tasks (a deployment of these strategies before its clean-up). */
  holdsBlue(d: Deployment): boolean {
    return !!d.native && !d.native.rollback && d.native.stage !== 'CLEAN_UP' && d.native.stage !== 'DONE';
  }

  /** Whether the green revision may start tasks yet. */
  scaling(d: Deployment): boolean {
    return d.native?.stage !== 'PRE_SCALE_UP';
  }

  /** After every reconcile of the service: scale-up done, clean-up done, rollback done. */
  onReconcile(svc: Service): void {
    const d = svc.deployments[0];
    if (d?.native && !d.native.rollback) {
      if (d.native.stage === 'SCALE_UP' && this.greenHealthy(svc, d)) {
        this.runHooks(svc, d, 'POST_SCALE_UP', () => this.testShift(svc, d), 'POST_SCALE_UP');
      }
      if (d.native.stage === 'CLEAN_UP' && d.native.blue.tasks.size === 0 && d.rolloutState === 'COMPLETED') {
        d.native.stage = 'DONE';
      }
    }
    for (const x of svc.history.slice(-5)) {
      const rb = x.native?.rollback;
      if (rb?.state === 'ROLLBACK_IN_PROGRESS' && x.tasks.size === 0) {
        rb.state = 'ROLLBACK_SUCCESSFUL';
        rb.finishedAt = this.now();
        x.updatedAt = this.now();
      }
    }
  }

  private greenHealthy(svc: Service, d: Deployment): boolean {
    let healthy = 0;
    for (const t of d.tasks) if (this.ecs.scheduler.isHealthy(t)) healthy++;
    return healthy >= svc.desiredCount;
  }

  private enter(svc: Service, d: Deployment, stage: string): void {
    if (!d.native || d.native.rollback) return;
    d.native.stage = stage;
    d.updatedAt = this.now();
    if (stage === 'SCALE_UP') this.ecs.scheduler.markDirty(svc, 0);
  }

  private testShift(svc: Service, d: Deployment): void {
    const n = d.native!;
    n.stage = 'TEST_TRAFFIC_SHIFT';
    n.testWeight = 100;
    this.setTestWeights(svc, 100);
    this.runHooks(svc, d, 'TEST_TRAFFIC_SHIFT', () =>
      this.runHooks(
        svc,
        d,
        'POST_TEST_TRAFFIC_SHIFT',
        () => this.productionShift(svc, d),
        'POST_TEST_TRAFFIC_SHIFT',
      ),
    );
  }

  /** One production shift: its hooks before, the weights, its hooks during, then its bake. */
  private productionShift(svc: Service, d: Deployment): void {
    const n = d.native!;
    const i = n.shiftIndex;
    const share = n.shifts[i]!;
    this.runHooks(
      svc,
      d,
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
      () => {
        n.stage = 'PRODUCTION_TRAFFIC_SHIFT';
        n.weight = share;
        d.updatedAt = this.now();
        this.setProductionWeights(svc, share);
        this.runHooks(
          svc,
          d,
          'PRODUCTION_TRAFFIC_SHIFT',
          () => {
            n.shiftIndex = i + 1;
            if (n.shiftIndex < n.shifts.length) {
              const bake = bakeAfterShiftMs(d.configuration, i, n.shifts.length);
              const generation = n.generation;
              this.ecs.world.clock.at(this.now() + bake, () => {
                if (n.generation === generation && !n.rollback) this.productionShift(svc, d);
              });
              return;
            }
            this.runHooks(
              svc,
              d,
              'POST_PRODUCTION_TRAFFIC_SHIFT',
              () => this.bake(svc, d),
              'POST_PRODUCTION_TRAFFIC_SHIFT',
            );
          },
          'PRODUCTION_TRAFFIC_SHIFT',
        );
      },
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
    );
  }

  /** BAKE_TIME: both revisions run, all production traffic on green, for bakeTimeInMinutes; then CLEAN_UP. */
  private bake(svc: Service, d: Deployment): void {
    const n = d.native!;
    n.stage = 'BAKE_TIME';
    d.updatedAt = this.now();
    const generation = n.generation;
    const ms = (d.configuration.bakeTimeInMinutes ?? 0) * 60_000;
    this.ecs.world.clock.at(this.now() + ms, () => {
      if (n.generation !== generation || n.rollback) return;
      n.stage = 'CLEAN_UP';
      d.updatedAt = this.now();
      // The alternate target group serves production from now on; the next deployment shifts back.
      svc.liveTargetGroups = svc.loadBalancers.map((lb, i) => this.greenGroup(svc, i, lb) ?? '');
      this.ecs.scheduler.markDirty(svc, 0);
    });
  }

  /**
   * The deployment rolls back: traffic to blue at once, blue PRIMARY again, green's tasks stop.
   * Returns false when there is nothing to roll back (already rolling back, or finished).
   */
  rollback(svc: Service, d: Deployment, reason: string): boolean {
    const n = d.native;
    if (!n || n.rollback || n.stage === 'CLEAN_UP' || n.stage === 'DONE') return false;
    const now = this.now();
    n.generation++;
    n.rollback = { reason, startedAt: now, state: 'ROLLBACK_IN_PROGRESS' };
    const shifted = n.weight > 0 || n.testWeight > 0;
    n.weight = 0;
    n.testWeight = 0;
    this.setProductionWeights(svc, 0);
    this.setTestWeights(svc, 0);
    d.rolloutState = 'FAILED';
    d.rolloutStateReason = reason;
    d.status = 'ACTIVE';
    d.updatedAt = now;
    d.finishedAt = now;
    const blue = n.blue;
    if (blue.status !== 'INACTIVE') {
      blue.status = 'PRIMARY';
      blue.updatedAt = now;
      svc.deployments.splice(svc.deployments.indexOf(blue), 1);
      svc.deployments.unshift(blue);
      svc.taskDefinitionArn = blue.taskDefinitionArn;
    }
    this.ecs.scheduler.addEvent(svc, `(service ${svc.name}) deployment ${d.id} is rolling back: ${reason}`);
    this.ecs.scheduler.deploymentEvent(svc, d, 'ERROR', 'SERVICE_DEPLOYMENT_FAILED', reason);
    if (shifted) {
      for (const stage of ['PRODUCTION_TRAFFIC_SHIFT', 'TEST_TRAFFIC_SHIFT'])
        this.hooksAt(d, stage).forEach((hook) => {
          this.queue.push({
            svc,
            d: n,
            deployment: d,
            stage,
            hook,
            generation: n.generation,
            fireAndForget: true,
          });
        });
    }
    if (n.rollback.state === 'ROLLBACK_IN_PROGRESS' && d.tasks.size === 0) {
      n.rollback.state = 'ROLLBACK_SUCCESSFUL';
      n.rollback.finishedAt = now;
    }
    this.ecs.scheduler.markDirty(svc, 0);
    return true;
  }

  // ------------------------------------------------------------- traffic

  private pairs(svc: Service) {
    return svc.loadBalancers.flatMap((lb, i) => {
      const adv = lb.advancedConfiguration;
      const blue = this.liveGroup(svc, i, lb);
      const green = this.greenGroup(svc, i, lb);
      if (!adv?.alternateTargetGroupArn || !blue || !green) return [];
      return [{ blue, green, production: adv.productionListenerRule, test: adv.testListenerRule }];
    });
  }

  private setProductionWeights(svc: Service, green: number): void {
    for (const p of this.pairs(svc)) this.forward(p.production, p.blue, p.green, green);
  }

  private setTestWeights(svc: Service, green: number): void {
    for (const p of this.pairs(svc)) if (p.test) this.forward(p.test, p.blue, p.green, green);
  }

  /** A listener rule's (or a listener's default rule's) forward action, weighted between the pair. */
  private forward(
    ruleOrListener: string | undefined,
    blue: string,
    green: string,
    greenPercent: number,
  ): void {
    if (!ruleOrListener) return;
    const elb = this.ecs.elb;
    const rule: Rule | undefined =
      elb.allRules().find((r) => r.arn === ruleOrListener) ?? elb.listener(ruleOrListener)?.rules.at(-1);
    if (!rule) return;
    const w = ruleWeights(greenPercent);
    const others = forwardOf(rule)
      ? forwardGroups(forwardOf(rule)!).filter((g) => g.TargetGroupArn !== blue && g.TargetGroupArn !== green)
      : [];
    elb.setActions(rule, [
      ...rule.actions.filter((a) => a.Type !== 'forward'),
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: blue, Weight: w.blue },
            { TargetGroupArn: green, Weight: w.green },
            ...others,
          ],
        },
      },
    ]);
  }

  // ------------------------------------------------------------- hooks

  private hooksAt(d: Deployment, stage: string): number[] {
    const hooks: any[] = d.configuration.lifecycleHooks ?? [];
    return hooks.flatMap((h, i) => ((h.lifecycleStages ?? []).includes(stage) ? [i] : []));
  }

  /** Runs the stage's hooks one after another, then `then`; `stage` shows as the lifecycle stage meanwhile. */
  private runHooks(
    svc: Service,
    d: Deployment,
    hookStage: string,
    then: () => void,
    shownStage?: string,
  ): void {
    const n = d.native!;
    if (shownStage) n.stage = shownStage;
    const indexes = this.hooksAt(d, hookStage);
    const generation = n.generation;
    const next = (k: number) => {
      if (n.generation !== generation || n.rollback) return;
      if (k >= indexes.length) {
        n.pending = undefined;
        then();
        return;
      }
      n.hookStartedAt = this.now();
      n.pending = { stage: hookStage, hook: indexes[k]!, next: () => next(k + 1) };
      this.queue.push({ svc, d: n, deployment: d, stage: hookStage, hook: indexes[k]!, generation });
    };
    next(0);
  }

  /** Invokes the hooks that are due (world.settle calls this), one at a time. */
  async drain(): Promise<number> {
    let n = 0;
    while (this.queue.length > 0) {
      const inv = this.queue.shift()!;
      n++;
      await this.invoke(inv);
    }
    return n;
  }

  private payload(inv: Invocation): Record<string, unknown> {
    const { svc, deployment: d, d: n } = inv;
    const green = this.revisionArn(d);
    const blue = this.revisionArn(n.blue);
    const hook = (d.configuration.lifecycleHooks ?? [])[inv.hook] ?? {};
    return {
      serviceArn: svc.arn,
      targetServiceRevisionArn: green,
      testTrafficWeights: { [blue]: 100 - n.testWeight, [green]: n.testWeight },
      productionTrafficWeights: { [blue]: 100 - n.weight, [green]: n.weight },
      ...(hook.hookDetails !== undefined && { hookDetails: hook.hookDetails }),
    };
  }

  private revisionArn(d: Deployment): string {
    const s = d.service;
    return this.ecs.world.arn(
      'ecs',
      `service-revision/${s.cluster.name}/${s.name}/${d.id.slice('ecs-svc/'.length)}`,
    );
  }

  private async invoke(inv: Invocation): Promise<void> {
    const n = inv.d;
    if (!inv.fireAndForget && (n.generation !== inv.generation || n.rollback)) return;
    const hook = (inv.deployment.configuration.lifecycleHooks ?? [])[inv.hook] ?? {};
    const fn = this.ecs.world.functions.get(hook.hookTargetArn);
    let answer: any;
    let error: string | undefined;
    if (!fn) error = `the lifecycle hook ${hook.hookTargetArn} could not be invoked (function not found)`;
    else {
      try {
        answer = await fn(this.payload(inv));
      } catch (e) {
        error = `the lifecycle hook ${hook.hookTargetArn} failed: ${(e as Error).message}`;
      }
    }
    if (inv.fireAndForget) return;
    if (n.generation !== inv.generation || n.rollback) return;
    const { svc, deployment: d } = inv;
    const status = answer?.hookStatus;
    if (!error && status === 'SUCCEEDED') {
      n.pending?.next();
      return;
    }
    if (!error && status === 'IN_PROGRESS') {
      const timeoutMin = hook.timeoutConfiguration?.timeoutInMinutes ?? DEFAULT_HOOK_TIMEOUT_MIN;
      if (this.now() - n.hookStartedAt >= timeoutMin * 60_000) {
        if ((hook.timeoutConfiguration?.action ?? 'ROLLBACK') === 'CONTINUE') n.pending?.next();
        else this.rollback(svc, d, `the lifecycle hook ${hook.hookTargetArn} timed out at ${inv.stage}`);
        return;
      }
      const delay =
        Number.isFinite(answer.callBackDelay) && answer.callBackDelay >= 0
          ? answer.callBackDelay
          : DEFAULT_CALLBACK_DELAY_S;
      const generation = inv.generation;
      this.ecs.world.clock.at(this.now() + delay * 1000, () => {
        if (n.generation === generation && !n.rollback) this.queue.push({ ...inv });
      });
      return;
    }
    const why =
      error ??
      (status === 'FAILED'
        ? `the lifecycle hook ${hook.hookTargetArn} returned FAILED at ${inv.stage}`
        : `the lifecycle hook ${hook.hookTargetArn} returned no valid hookStatus at ${inv.stage}`);
    this.rollback(svc, d, why);
  }
}
