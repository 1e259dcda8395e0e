/**
 * The service scheduler: rolling updates (deployment controller ECS), task replacement, the
 * deployment circuit breaker and the service throttle logic, with the events and service event
 * messages ECS writes.
 *
 * Rolling update (awsdocs deployment-type-ecs.md; API DeploymentConfiguration):
 *   - at least ceil(desired × minimumHealthyPercent / 100) tasks stay HEALTHY: old tasks stop only
 *     while that many healthy tasks remain;
 *   - at most floor(desired × maximumPercent / 100) tasks are RUNNING or PENDING: new tasks start
 *     only within that limit;
 *   - a task counts as healthy when its essential containers' health checks pass, its targets are
 *     healthy, or (with neither) 40 s after it is RUNNING;
 *   - when the configuration lets it neither stop nor start a task, ECS writes "…was unable to stop
 *     or start tasks during a deployment because of the service deployment configuration…".
 *
 * Reconciliation is per service and event driven (a task changed, the service was updated, a
 * back-off ended), so a world of many services costs O(tasks of the service) per change.
 */
import {
  breakerAfterHealthyTask,
  circuitBreakerThreshold,
  DEPLOYMENT_ALARM_POLL_MS,
  deploymentBakeMs,
  launchBackoffMs,
  maximumTasks,
  minimumHealthyTasks,
  TASK_TIMINGS,
  TEXT,
} from './constants.ts';
import {
  type DeploymentEventName,
  type EcsContext,
  newDeploymentId,
  type ServiceScheduling,
} from './context.ts';
import type { Deployment, Service, Target, Task, TaskFailure } from './model.ts';
import { compact, isoSeconds } from './shapes.ts';

/** Minimum wait before placing again after a placement failure. */
const PLACEMENT_RETRY_MS = 15_000;

export class Scheduler implements ServiceScheduling {
  constructor(private readonly ecs: EcsContext) {}

  private now(): number {
    return this.ecs.world.now();
  }

  /** Asks for a reconcile of the service after the scheduler's reaction time. */
  markDirty(svc: Service, delayMs: number = TASK_TIMINGS.schedulerDelayMs): void {
    const at = this.now() + Math.max(0, delayMs);
    if (svc.reconcileAt !== undefined && svc.reconcileAt <= at) return;
    svc.reconcileAt = at;
    this.ecs.world.clock.at(at, () => {
      if (svc.reconcileAt !== at) return;
      svc.reconcileAt = undefined;
      this.reconcile(svc);
    });
  }

  // ---------------------------------------------------------------- deployments

  /** A new PRIMARY deployment; the previous PRIMARY becomes ACTIVE. */
  createDeployment(
    svc: Service,
    taskDefinitionArn: string,
    rollbackTo?: string,
    rollingBack: (toId: string) => string = TEXT.rollingBack,
  ): Deployment {
    const now = this.now();
    // A newer deployment during a blue/green, canary or linear one: that one rolls back first (native.ts).
    const inFlight = svc.deployments[0];
    if (!rollbackTo && inFlight?.native && inFlight.rolloutState === 'IN_PROGRESS')
      this.ecs.native.rollback(
        svc,
        inFlight,
        `ECS deployment ${inFlight.id} was replaced by a newer deployment.`,
      );
    const native = !rollbackTo && this.ecs.native.applies(svc);
    const blue = svc.deployments[0];
    const id = newDeploymentId(this.ecs.world.ids);
    const d: Deployment = {
      id,
      arn: this.ecs.world.arn(
        'ecs',
        `service-deployment/${svc.cluster.name}/${svc.name}/${id.slice('ecs-svc/'.length)}`,
      ),
      service: svc,
      status: 'PRIMARY',
      taskDefinitionArn,
      createdAt: now,
      updatedAt: now,
      launchType: svc.capacityProviderStrategy ? undefined : svc.launchType,
      platformVersion: svc.platformVersion,
      networkConfiguration: svc.networkConfiguration,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: rollbackTo ? rollingBack(rollbackTo) : TEXT.deploymentInProgress(id),
      failedTasks: 0,
      breakerDone: false,
      breakerTriggered: false,
      rollbackTo,
      rolloutStateReasonAtStart: rollbackTo ? rollingBack(rollbackTo) : TEXT.deploymentInProgress(id),
      configuration: structuredClone(svc.deploymentConfiguration),
      tasks: new Set(),
      sourceIds: svc.deployments.map((x) => x.id),
    };
    for (const old of svc.deployments) {
      if (old.status === 'PRIMARY') {
        old.status = 'ACTIVE';
        old.updatedAt = now;
      }
    }
    // The service's task definition is the new PRIMARY deployment's, also when the rollback of an
    // in-flight blue/green, canary or linear deployment above put the blue revision back (native.ts
    // rollback): "The task definition to use for tasks in the service. This value is specified when the
    // service is created with CreateService, and it can be modified with UpdateService" (API Service,
    // taskDefinition; https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html), an
    // UpdateService taskDefinition "triggers a new service deployment" (API UpdateService), and PRIMARY is
    // "the most recent deployment of a service" (API Deployment, status). ECS takes a new deployment while
    // another is in progress (lifecycleStage RECONCILE_SERVICE "only happens when you start a new service
    // deployment with more than 1 service revision in an ACTIVE state", API ServiceDeployment).
    svc.taskDefinitionArn = taskDefinitionArn;
    svc.deployments.unshift(d);
    svc.history.push(d);
    this.ecs.deploymentIndex.set(d.arn, d);
    // A new deployment returns the service to a normal, non-throttled state (service-throttle-logic.md).
    svc.startFailures = 0;
    svc.nextLaunchAt = 0;
    svc.steady = false;
    svc.suppressed.clear();
    this.deploymentEvent(svc, d, 'INFO', 'SERVICE_DEPLOYMENT_IN_PROGRESS', d.rolloutStateReason);
    this.watchAlarms(svc, d);
    if (native && blue) this.ecs.native.begin(svc, d, blue);
    this.markDirty(svc);
    return d;
  }

  /**
   * StopServiceDeployment with ROLLBACK: "rolls back the service deployment to the previous service
   * revision" (API StopServiceDeployment): ECS's strategies shift traffic back (native.ts); a rolling
   * update fails and a new deployment returns to the last completed one.
   */
  stopDeployment(svc: Service, d: Deployment, reason: string): void {
    if (d.native) {
      this.ecs.native.rollback(svc, d, reason);
      return;
    }
    this.failDeployment(svc, d, { rolloutReason: reason, eventReason: reason, rollback: true });
  }

  /**
   * deploymentConfiguration.alarms: "You can configure Amazon ECS to set the deployment to failed
   * when it detects that a specified CloudWatch alarm has gone into the ALARM state", during the
   * rollout and its bake time; an alarm already in ALARM when the deployment starts is ignored for
   * that deployment; with `rollback`, ECS returns to the last completed deployment.
   * Sources: developerguide/deployment-alarm-failure.html, API DeploymentAlarms.
   */
  private watchAlarms(svc: Service, d: Deployment): void {
    const config = d.configuration.alarms;
    const names: string[] =
      config?.enable === true && Array.isArray(config.alarmNames) ? config.alarmNames : [];
    if (names.length === 0) return;
    const alarms = this.ecs.world.alarms;
    d.alarms = {
      names,
      ignored: new Set(names.filter((n) => alarms.alarmState(n) === 'ALARM')),
      status: 'MONITORING',
      triggered: [],
    };
    const poll = () => {
      const watch = d.alarms;
      if (watch?.status !== 'MONITORING' || d.status !== 'PRIMARY' || d.rolloutState !== 'IN_PROGRESS')
        return;
      const firing = watch.names.filter((n) => !watch.ignored.has(n) && alarms.alarmState(n) === 'ALARM');
      // An ignored alarm that recovers is watched again (it was only ignored while already firing).
      for (const n of watch.ignored) if (alarms.alarmState(n) !== 'ALARM') watch.ignored.delete(n);
      if (firing.length > 0) {
        watch.status = 'TRIGGERED';
        watch.triggered = firing;
        this.failDeployment(svc, d, {
          rolloutReason: TEXT.alarmFailedRollout(firing),
          eventReason: TEXT.alarmFailedEvent(firing),
          rollback: config.rollback === true,
          rollingBack: TEXT.alarmRollingBack,
        });
        return;
      }
      this.ecs.world.clock.at(this.now() + DEPLOYMENT_ALARM_POLL_MS, poll);
    };
    this.ecs.world.clock.at(this.now() + DEPLOYMENT_ALARM_POLL_MS, poll);
  }

  /** The bake of a deployment with alarms: true once it is over (or there is none). */
  private baked(svc: Service, d: Deployment): boolean {
    const watch = d.alarms;
    if (watch?.status !== 'MONITORING') return true;
    const now = this.now();
    if (watch.bakeUntil === undefined) {
      const windows = watch.names
        .map((n) => this.ecs.world.alarms.alarmWindowMs(n))
        .filter((w): w is number => w !== undefined);
      watch.bakeUntil = now + deploymentBakeMs(windows);
    }
    if (now < watch.bakeUntil) {
      // A reconcile at the bake's end (an earlier one may replace it, and then asks again).
      this.markDirty(svc, watch.bakeUntil - now);
      return false;
    }
    watch.status = 'MONITORING_COMPLETE';
    return true;
  }

  /**
   * The circuit breaker trips: the deployment is FAILED and launches no new tasks; with rollback,
   * a new deployment returns to the last COMPLETED deployment's task definition.
   * Sources: API DeploymentCircuitBreaker; ecs_service_deployment_events.html.
   */
  private tripBreaker(svc: Service, d: Deployment): void {
    d.breakerTriggered = true;
    this.failDeployment(svc, d, {
      rolloutReason: TEXT.breakerFailedRollout,
      eventReason: TEXT.breakerFailedEvent,
      rollback: svc.deploymentConfiguration.deploymentCircuitBreaker.rollback,
    });
  }

  /** The deployment is FAILED (breaker or alarms); with rollback, a new one returns to the last COMPLETED. */
  private failDeployment(
    svc: Service,
    d: Deployment,
    how: {
      rolloutReason: string;
      eventReason: string;
      rollback: boolean;
      rollingBack?: (toId: string) => string;
    },
  ): void {
    // ECS's own strategies roll back by shifting traffic back to the revision still running (native.ts).
    if (d.native && this.ecs.native.rollback(svc, d, how.rolloutReason)) return;
    const now = this.now();
    d.rolloutState = 'FAILED';
    d.rolloutStateReason = how.rolloutReason;
    d.updatedAt = now;
    d.finishedAt = now;
    this.addEvent(svc, TEXT.deploymentFailedEvent(svc.name, d.id));
    this.deploymentEvent(svc, d, 'ERROR', 'SERVICE_DEPLOYMENT_FAILED', how.eventReason);
    const target = svc.lastCompleted;
    if (how.rollback && target && !d.rollbackTo) {
      svc.taskDefinitionArn = target.taskDefinitionArn;
      this.addEvent(svc, TEXT.rollingBackEvent(svc.name, target.id));
      d.rolledBackBy = this.createDeployment(svc, target.taskDefinitionArn, target.id, how.rollingBack);
    }
    this.markDirty(svc);
  }

  private countFailure(svc: Service, d: Deployment | undefined): void {
    if (d?.status !== 'PRIMARY' || d.rolloutState !== 'IN_PROGRESS' || d.breakerDone) return;
    d.failedTasks++;
    d.updatedAt = this.now();
    const cb = svc.deploymentConfiguration.deploymentCircuitBreaker;
    if (cb.enable && d.failedTasks >= circuitBreakerThreshold(svc.desiredCount, cb.thresholdConfiguration))
      this.tripBreaker(svc, d);
  }

  // ---------------------------------------------------------------- task notifications

  isHealthy(t: Task): boolean {
    if (t.desiredStatus !== 'RUNNING' || t.lastStatus !== 'RUNNING') return false;
    const hasCheck = t.containers.some((c) => c.essential && c.healthCheck);
    const hasTargets = t.targets.length > 0;
    if (hasCheck && t.healthStatus !== 'HEALTHY') return false;
    if (hasTargets && !t.targets.every((x) => x.state === 'healthy')) return false;
    if (!hasCheck && !hasTargets && !t.graceOver) return false;
    return true;
  }

  onTaskRunning(task: Task): void {
    const svc = task.service;
    if (!svc) return;
    // Tasks that reach RUNNING end the throttle (only PENDING → STOPPED counts).
    svc.startFailures = 0;
    svc.nextLaunchAt = 0;
    this.markDirty(svc);
  }

  onTaskHealthChange(task: Task): void {
    const svc = task.service;
    if (!svc || task.desiredStatus !== 'RUNNING') return;
    if (task.healthStatus === 'UNHEALTHY') {
      if (this.inGracePeriod(svc, task, () => this.onTaskHealthChange(task))) return;
      this.addEvent(svc, TEXT.taskFailedContainerHealthChecks(svc.name, task.id));
      this.stopForFailure(svc, task, TEXT.failedContainerHealthChecks);
      return;
    }
    if (task.healthySince === undefined && this.isHealthy(task)) {
      task.healthySince = this.now();
      const d = task.deployment;
      // "Once a service deployment has one or more successfully running tasks, the failed task count
      // resets to zero and stops being evaluated" (API Deployment.failedTasks; resetOnHealthyTask, default true).
      // Two documented readings of resetOnHealthyTask (constants.ts breakerAfterHealthyTask).
      if (d && !d.breakerDone) {
        const after = breakerAfterHealthyTask(
          this.ecs.breakerReading,
          svc.deploymentConfiguration.deploymentCircuitBreaker.resetOnHealthyTask,
          d.failedTasks,
        );
        d.failedTasks = after.failedTasks;
        d.breakerDone = !after.counting;
      }
    }
    this.markDirty(svc);
  }

  onTargetUnhealthy(task: Task, target: Target): void {
    const svc = task.service;
    if (!svc || task.desiredStatus !== 'RUNNING' || target.state !== 'unhealthy') return;
    if (this.inGracePeriod(svc, task, () => this.onTargetUnhealthy(task, target))) return;
    this.addEvent(svc, TEXT.taskUnhealthyInTargetGroup(svc.name, task.id, target.port, target.group.arn));
    this.stopForFailure(svc, task, TEXT.failedElbHealthChecks(target.group.arn));
  }

  /** healthCheckGracePeriodSeconds: unhealthy checks are ignored for that long after the task started. */
  private inGracePeriod(svc: Service, task: Task, retry: () => void): boolean {
    const grace = (svc.healthCheckGracePeriodSeconds ?? 0) * 1000;
    const until = (task.startedAt ?? this.now()) + grace;
    if (this.now() >= until) return false;
    task.timers.push(this.ecs.world.clock.at(until, retry));
    return true;
  }

  private stopForFailure(svc: Service, task: Task, reason: string): void {
    if (!this.ecs.tasks.stop(task, 'ServiceSchedulerInitiated', reason, { failure: 'health' })) return;
    this.tasksStopped(svc, [task]);
    this.onTaskFailed(task, 'health');
  }

  /** A task failed (never started, crashed, or failed its health checks). */
  onTaskFailed(task: Task, kind: TaskFailure): void {
    const svc = task.service;
    if (!svc) return;
    if (kind === 'start') this.startFailed(svc);
    this.countFailure(svc, task.deployment);
    this.markDirty(svc);
  }

  /** Service throttle logic (service-throttle-logic.md). */
  private startFailed(svc: Service): void {
    svc.startFailures++;
    const wait = launchBackoffMs(svc.startFailures);
    svc.nextLaunchAt = this.now() + wait;
    if (wait > 0 && this.addEvent(svc, TEXT.unableToConsistentlyStart(svc.name), true))
      this.serviceAction(svc, 'WARN', 'SERVICE_TASK_START_IMPAIRED');
  }

  onTaskStopped(task: Task): void {
    if (task.service) this.markDirty(task.service);
  }

  // ---------------------------------------------------------------- reconcile

  reconcile(svc: Service): void {
    if (svc.status === 'INACTIVE') return;
    const now = this.now();
    if (svc.status === 'DRAINING') {
      const stopped: Task[] = [];
      for (const t of svc.tasks) {
        const reason = TEXT.scalingActivity(t.deployment?.id ?? svc.deployments[0]?.id ?? '');
        if (this.ecs.tasks.stop(t, 'ServiceSchedulerInitiated', reason)) stopped.push(t);
      }
      if (stopped.length) this.tasksStopped(svc, stopped);
      if (svc.tasks.size === 0) {
        svc.status = 'INACTIVE';
        for (const d of svc.deployments) d.status = 'INACTIVE';
      }
      return;
    }

    // Deployments whose tasks are all gone have been completely replaced: INACTIVE.
    for (const d of svc.deployments.slice(1)) {
      if (d.tasks.size === 0) {
        d.status = 'INACTIVE';
        d.updatedAt = now;
        svc.deployments.splice(svc.deployments.indexOf(d), 1);
      }
    }

    const primary = svc.deployments[0]!;
    const desired = svc.desiredCount;
    const cfg = svc.deploymentConfiguration;
    const minHealthy = minimumHealthyTasks(desired, cfg.minimumHealthyPercent);
    const maxTasks = maximumTasks(desired, cfg.maximumPercent);
    const live: Task[] = [];
    for (const t of svc.tasks) if (t.desiredStatus === 'RUNNING') live.push(t);
    let healthy = 0;
    for (const t of live) if (this.isHealthy(t)) healthy++;
    const oldLive = live.filter((t) => t.deployment !== primary);
    const primaryLive = live.filter((t) => t.deployment === primary);
    // "A deployment in FAILED state doesn't launch any new tasks" (API Deployment.rolloutState).
    const frozen = primary.rolloutState === 'FAILED';
    let total = live.length;
    const stopped: Task[] = [];

    const tryStop = (t: Task): boolean => {
      const isHealthy = this.isHealthy(t);
      if (isHealthy && healthy - 1 < minHealthy) return false;
      const reason = TEXT.scalingActivity(t.deployment?.id ?? primary.id);
      if (!this.ecs.tasks.stop(t, 'ServiceSchedulerInitiated', reason)) return false;
      if (isHealthy) healthy--;
      total--;
      stopped.push(t);
      return true;
    };

    // Blue/green, canary, linear: the old revision serves until the clean-up; the new one starts whole.
    const holding = this.ecs.native.holdsBlue(primary);
    // 1. Old deployments' tasks: those not (yet) healthy first, then the oldest.
    if (!frozen && !holding) {
      const order = oldLive.sort(
        (a, b) => Number(this.isHealthy(a)) - Number(this.isHealthy(b)) || a.createdAt - b.createdAt,
      );
      for (const t of order) tryStop(t);
    }
    // 2. Scale-in: the newest tasks beyond desiredCount, not-yet-healthy ones first.
    let excess = primaryLive.length - desired;
    let primaryCount = primaryLive.length;
    if (excess > 0) {
      const order = [...primaryLive].sort(
        (a, b) => Number(this.isHealthy(a)) - Number(this.isHealthy(b)) || b.createdAt - a.createdAt,
      );
      for (const t of order) {
        if (excess <= 0) break;
        if (tryStop(t)) {
          excess--;
          primaryCount--;
        }
      }
    }

    // 3. Start the PRIMARY deployment's tasks within maximumPercent.
    const need = desired - primaryCount;
    // maximumPercent bounds deployments; outside one the scheduler keeps desiredCount tasks.
    const room = holding
      ? this.ecs.native.scaling(primary)
        ? need
        : 0
      : (oldLive.length > 0 ? maxTasks : Math.max(maxTasks, desired)) - total;
    let started: Task[] = [];
    let waiting = false;
    if (!frozen && need > 0 && room > 0) {
      if (now < svc.nextLaunchAt) {
        waiting = true;
        this.markDirty(svc, svc.nextLaunchAt - now);
      } else {
        started = this.launch(svc, primary, Math.min(need, room));
      }
    }

    if (stopped.length) this.tasksStopped(svc, stopped);
    if (started.length)
      this.addEvent(
        svc,
        TEXT.startedTasks(
          svc.name,
          started.map((t) => t.id),
        ),
      );

    // 4. Nothing can move and nothing is in flight: the configuration blocks the deployment.
    if (
      !frozen &&
      !holding &&
      !waiting &&
      stopped.length === 0 &&
      started.length === 0 &&
      oldLive.length > 0 &&
      need > 0 &&
      room <= 0 &&
      live.every((t) => this.isHealthy(t))
    ) {
      this.addEvent(svc, TEXT.unableToStopOrStart(svc.name), true);
    }

    this.checkSteady(svc);
    this.ecs.native.onReconcile(svc);
  }

  private checkSteady(svc: Service): void {
    const primary = svc.deployments[0]!;
    const desired = svc.desiredCount;
    let healthyPrimary = 0;
    for (const t of svc.tasks) {
      if (t.deployment !== primary || !this.isHealthy(t)) {
        svc.steady = false;
        return;
      }
      healthyPrimary++;
    }
    if (svc.deployments.length !== 1 || healthyPrimary !== desired) {
      svc.steady = false;
      return;
    }
    const now = this.now();
    if (primary.rolloutState === 'IN_PROGRESS' && this.baked(svc, primary)) {
      // SERVICE_DEPLOYMENT_COMPLETED "is sent once a service reaches a steady state after a deployment".
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = TEXT.deploymentCompleted(primary.id);
      primary.updatedAt = now;
      primary.finishedAt = now;
      svc.lastCompleted = primary;
      this.addEvent(svc, TEXT.deploymentCompletedEvent(svc.name, primary.id));
      this.deploymentEvent(svc, primary, 'INFO', 'SERVICE_DEPLOYMENT_COMPLETED', primary.rolloutStateReason);
    }
    if (!svc.steady) {
      svc.steady = true;
      svc.suppressed.clear();
      this.addEvent(svc, TEXT.steadyState(svc.name));
      this.serviceAction(svc, 'INFO', 'SERVICE_STEADY_STATE');
    }
  }

  /** Launches up to `count` tasks of the deployment; stops at the first placement failure. */
  private launch(svc: Service, d: Deployment, count: number): Task[] {
    const started: Task[] = [];
    for (let i = 0; i < count; i++) {
      const result = this.ecs.launchServiceTask(svc, d);
      if (result.ok) {
        started.push(result.task);
        continue;
      }
      // "service X was unable to place a task because no container instance met all of its
      // requirements" + SERVICE_TASK_PLACEMENT_FAILURE (service-event-messages.md, ecs_cwe_events.md).
      if (this.addEvent(svc, result.message, true))
        this.serviceAction(svc, 'ERROR', 'SERVICE_TASK_PLACEMENT_FAILURE', { reason: result.reason });
      this.startFailed(svc);
      svc.nextLaunchAt = Math.max(svc.nextLaunchAt, this.now() + PLACEMENT_RETRY_MS);
      this.countFailure(svc, d);
      this.markDirty(svc, svc.nextLaunchAt - this.now());
      break;
    }
    return started;
  }

  // ---------------------------------------------------------------- events

  /** "(service X) has stopped N running tasks: …" and the TASKS_STOPPED service action (ecs_service_events). */
  private tasksStopped(svc: Service, tasks: Task[]): void {
    this.addEvent(
      svc,
      TEXT.stoppedTasks(
        svc.name,
        tasks.map((t) => t.id),
      ),
    );
    this.serviceAction(svc, 'INFO', 'TASKS_STOPPED', { taskArns: tasks.map((t) => t.arn) });
  }

  /**
   * Writes a service event message (newest first, the 100 most recent). With `dedupe`, the same
   * message is not repeated for six hours unless the service reached a steady state or a new
   * deployment started in between (service-event-messages.md). Returns whether it was written.
   */
  addEvent(svc: Service, message: string, dedupe = false): boolean {
    const now = this.now();
    if (dedupe) {
      const last = svc.suppressed.get(message);
      if (last !== undefined && now - last < TASK_TIMINGS.duplicateEventSuppressionMs) return false;
      svc.suppressed.set(message, now);
    }
    svc.events.unshift({ id: this.ecs.world.ids.uuid(), createdAt: now, message });
    if (svc.events.length > 100) svc.events.length = 100;
    return true;
  }

  /** `ECS Service Action` (ecs_cwe_events.md "Service action events"). */
  serviceAction(
    svc: Service,
    eventType: 'INFO' | 'WARN' | 'ERROR',
    eventName: string,
    extra: Record<string, unknown> = {},
  ): void {
    this.ecs.world.emit(
      'aws.ecs',
      'ECS Service Action',
      compact({
        eventType,
        eventName,
        clusterArn: svc.cluster.arn,
        ...extra,
        createdAt: new Date(this.now()).toISOString(),
      }),
      [svc.arn],
    );
  }

  /** `ECS Deployment State Change` (ecs_service_deployment_events.html). */
  deploymentEvent(
    svc: Service,
    d: Deployment,
    eventType: 'INFO' | 'ERROR',
    eventName: DeploymentEventName,
    reason: string,
  ): void {
    this.ecs.world.emit(
      'aws.ecs',
      'ECS Deployment State Change',
      { eventType, eventName, deploymentId: d.id, updatedAt: isoSeconds(this.now()), reason },
      [svc.arn],
    );
  }
}
