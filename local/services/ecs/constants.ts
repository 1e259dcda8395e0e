/**
 * Numbers and texts the local ECS takes from AWS: task lifecycle durations, the deployment
 * arithmetic (rounding of minimumHealthyPercent / maximumPercent, circuit breaker threshold), the
 * scheduler's launch back-off, and the exact messages ECS writes.
 */

/**
 * How long each step of a task's life takes on the virtual clock (ms). Defaults follow the
 * documented Fargate sample task (ecs_cwe_events.md "Task state change events":
 * createdAt 17:57:34.4 → connectivityAt 17:57:38.4 → pullStartedAt 17:57:52.1 → pullStoppedAt
 * 17:57:55.1 → startedAt 17:57:58.1) and a real stopped task (stoppingAt 14:26:43.8 →
 * executionStoppedAt 14:26:44 → stoppedAt 14:27:07.3). The time from the end of the pull to RUNNING
 * is the image's own `startupSeconds` (local/core/images.ts).
 *
 *   PROVISIONING ─provisioning→ PENDING ─toPullStart→ (pull) ─pull→ [startup] ─(LB: activating)→ RUNNING
 *   RUNNING ─(LB: deregistration delay, DEACTIVATING)→ STOPPING ─stopping→ DEPROVISIONING ─deprovisioning→ STOPPED
 */
export const TASK_TIMINGS = {
  /** PROVISIONING → PENDING: the task's ENI is created and attached (sample: 4 s). */
  provisioningMs: 4_000,
  /** PENDING until the image pull starts (sample: 14 s). */
  toPullStartMs: 14_000,
  /** The image pull (sample: 3 s). */
  pullMs: 3_000,
  /** A pull that cannot succeed: the agent retries, then gives up with CannotPullContainerError. */
  pullErrorMs: 30_000,
  /** ACTIVATING (target group registration) for tasks behind a load balancer. */
  activatingMs: 1_000,
  /** STOPPING: SIGTERM until the containers have exited (sample: ~1 s). */
  stoppingMs: 1_000,
  /** STOPPING when the container does not exit on SIGTERM: the default stopTimeout, then SIGKILL. */
  stopTimeoutMs: 30_000,
  /** DEPROVISIONING: the ENI is detached and deleted (sample: ~23 s). */
  deprovisioningMs: 23_000,
  /**
   * Without a container health check and without a load balancer, the scheduler counts a task as
   * healthy 40 s after it is RUNNING. Source: API model DeploymentConfiguration.minimumHealthyPercent.
   */
  healthyWithoutChecksMs: 40_000,
  /** Time the scheduler takes to react to a change (UpdateService, a task state change). */
  schedulerDelayMs: 1_000,
  /**
   * Stopped tasks stay visible to DescribeTasks/ListTasks "for at least 1 hour after the task
   * stops". Source: stopped-task-errors.md.
   */
  stoppedRetentionMs: 3_600_000,
  /** Duplicate service event messages are omitted for six hours. Source: service-event-messages.md. */
  duplicateEventSuppressionMs: 6 * 3_600_000,
} as const;

/** Container health check defaults. Source: API model HealthCheck (interval 30, timeout 5, retries 3, startPeriod off). */
export const HEALTH_CHECK_DEFAULTS = { interval: 30, timeout: 5, retries: 3, startPeriod: 0 };

/**
 * Target group defaults of an ALB target group (ELB API CreateTargetGroup: HealthCheckIntervalSeconds
 * 30, HealthyThresholdCount 5, UnhealthyThresholdCount 2; deregistration_delay.timeout_seconds 300).
 */
export const TARGET_GROUP_DEFAULTS = {
  intervalSeconds: 30,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  deregistrationDelaySeconds: 300,
};

/** Fargate platform version that `LATEST` resolves to. */
export const FARGATE_PLATFORM_VERSION = '1.4.0';

/**
 * The lower limit of healthy tasks during a deployment: minimumHealthyPercent of desiredCount,
 * ROUNDED UP (50% of 4 → 2; 75% of 2 → 2, so no task can stop).
 * Source: awsdocs deployment-type-ecs.md / service-event-messages.md.
 */
export function minimumHealthyTasks(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((desiredCount * minimumHealthyPercent) / 100);
}

/**
 * The upper limit of RUNNING + PENDING tasks during a deployment: maximumPercent of desiredCount,
 * ROUNDED DOWN (200% of 4 → 8; 125% of 3 → 3, so no extra task can start).
 * Source: awsdocs deployment-type-ecs.md / service-event-messages.md.
 */
export function maximumTasks(desiredCount: number, maximumPercent: number): number {
  return Math.floor((desiredCount * maximumPercent) / 100);
}

export interface ThresholdConfiguration {
  type?: 'COUNT' | 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT' | string;
  value?: number;
}

/**
 * The deployment circuit breaker's failure threshold: clamp(ceil(0.5 × desiredCount), 3, 200).
 * "The deployment circuit breaker has a minimum threshold of 3 and a maximum threshold of 200 ...
 * 0.5 * desired task count" (API_ServiceDeploymentCircuitBreaker `threshold`); the value is rounded
 * up (awsdocs deployment-circuit-breaker.md "Failure threshold", where the minimum was still 10).
 *
 *   desired 1   → 0.5  → 3   (below the minimum)
 *   desired 6   → 3    → 3
 *   desired 25  → 12.5 → 13  (rounded up)
 *   desired 400 → 200  → 200
 *   desired 800 → 400  → 200 (above the maximum)
 *
 * With `thresholdConfiguration` (API ThresholdConfiguration): COUNT uses `value` itself;
 * BOUNDED_PERCENT (default, value 50) multiplies by desiredCount and clamps to 3..200;
 * UNBOUNDED_PERCENT multiplies without the clamp (at least 1).
 */
export function circuitBreakerThreshold(desiredCount: number, config?: ThresholdConfiguration): number {
  const type = config?.type ?? 'BOUNDED_PERCENT';
  const value = config?.value ?? 50;
  if (type === 'COUNT') return Math.max(1, Math.floor(value));
  const raw = Math.ceil((desiredCount * value) / 100);
  if (type === 'UNBOUNDED_PERCENT') return Math.max(1, raw);
  return Math.min(200, Math.max(3, raw));
}

/**
 * How `resetOnHealthyTask` is read. The API documents it twice, and the two texts differ:
 * - `stops-evaluating` (API Deployment.failedTasks): "Once a service deployment has one or more
 *   successfully running tasks, the failed task count resets to zero and stops being evaluated."
 * - `resets-count` (API DeploymentCircuitBreaker.resetOnHealthyTask): "When set to true, a task that
 *   reaches a healthy state resets the failure count to 0" — and later failures count again.
 * With `resetOnHealthyTask: false` both agree: "Amazon ECS does not reset the failure count".
 */
export type BreakerReading = 'stops-evaluating' | 'resets-count';

/**
 * The breaker's count after a task of the deployment became healthy.
 *
 *   reading           resetOnHealthyTask  failedTasks  →  failedTasks  counting
 *   stops-evaluating  true (default)      2               0            no
 *   resets-count      true (default)      2               0            yes
 *   stops-evaluating  false               2               2            yes
 *   resets-count      false               2               2            yes
 */
export function breakerAfterHealthyTask(
  reading: BreakerReading,
  resetOnHealthyTask: boolean | undefined,
  failedTasks: number,
): { failedTasks: number; counting: boolean } {
  if (resetOnHealthyTask === false) return { failedTasks, counting: true };
  return { failedTasks: 0, counting: reading === 'resets-count' };
}

/**
 * How often the local ECS reads a deployment's alarms. ECS "polls alarms with DescribeAlarms"
 * (deployment-alarm-failure.html) and does not say how often; 10 s is ours, CloudWatch's fastest
 * evaluation cadence (high-resolution alarms are evaluated every 10 s).
 */
export const DEPLOYMENT_ALARM_POLL_MS = 10_000;

/**
 * The bake time of a deployment with alarms: after the new tasks are steady, ECS keeps the
 * deployment IN_PROGRESS and watches the alarms; "Amazon ECS computes this time period based on the
 * alarm configuration associated with the deployment. You can't set this value."
 * (developerguide/deployment-alarm-failure.html). The formula is not published; ours is the longest
 * window any listed alarm evaluates (Period × EvaluationPeriods), so each alarm sees a whole window of
 * the new revision, and at least one poll.
 *
 *   windows (ms)          → bake (ms)
 *   []                    → 10 000   (no listed alarm exists: one poll)
 *   [60 000]              → 60 000   (Period 60, EvaluationPeriods 1)
 *   [180 000, 600 000]    → 600 000
 */
export function deploymentBakeMs(windowsMs: readonly number[]): number {
  return Math.max(DEPLOYMENT_ALARM_POLL_MS, ...windowsMs);
}

/**
 * Service throttle logic: when a service's tasks repeatedly fail to reach RUNNING (PENDING →
 * STOPPED, or cannot be placed), "the time between subsequent restart attempts is incrementally
 * increased up to a maximum of 15 minutes". Tasks that stop after reaching RUNNING do not count.
 * A new task definition resets it. Source: awsdocs service-throttle-logic.md. The steps are ours
 * (the docs give only the cap): no wait after the first failure, then 30 s doubling to 15 min.
 */
export function launchBackoffMs(consecutiveStartFailures: number): number {
  if (consecutiveStartFailures <= 1) return 0;
  return Math.min(15 * 60_000, 30_000 * 2 ** (consecutiveStartFailures - 2));
}

/** Exact ECS texts. Sources are given per group. */
export const TEXT = {
  // Task stoppedReason values. Sources: stopped-task-errors.md, real DescribeTasks output.
  essentialContainerExited: 'Essential container in task exited',
  scalingActivity: (deploymentId: string) => `Scaling activity initiated by (deployment ${deploymentId})`,
  failedContainerHealthChecks: 'Task failed container health checks',
  failedElbHealthChecks: (targetGroupArn: string) =>
    `Task failed ELB health checks in (target-group ${targetGroupArn})`,
  stoppedByUser: 'Task stopped by user',
  cannotPull: (image: string) =>
    `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: ${image}: not found`,

  // ECS Deployment State Change reasons. Source: ecs_service_deployment_events.html.
  deploymentInProgress: (id: string) => `ECS deployment ${id} in progress.`,
  deploymentCompleted: (id: string) => `ECS deployment ${id} completed.`,
  rollingBack: (toId: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${toId}.`,
  /** The documented SERVICE_DEPLOYMENT_FAILED event reason (event sample). */
  breakerFailedEvent: 'ECS deployment circuit breaker: task failed to start.',
  /**
   * rolloutStateReason of a deployment the breaker failed, as DescribeServices shows it in real
   * accounts (plural; the same text for health-check failures). Sources: aws/containers-roadmap#1488
   * ("When tasks fail the health checks ... the reason: `ECS deployment circuit breaker: tasks
   * failed to start.`"), boto3 test fixtures of DescribeServices.
   */
  breakerFailedRollout: 'ECS deployment circuit breaker: tasks failed to start.',
  // Alarm-based failure. ECS does not document these texts; ours follow the breaker's.
  alarmFailedRollout: (alarms: string[]) =>
    `ECS deployment alarms: alarm ${alarms.join(', ')} in ALARM state.`,
  alarmFailedEvent: (alarms: string[]) =>
    `ECS deployment alarms: deployment failed, alarm ${alarms.join(', ')} in ALARM state.`,
  alarmRollingBack: (toId: string) => `ECS deployment alarms: rolling back to deploymentId ${toId}.`,

  // Service event messages. Source: service-event-messages.md and real DescribeServices events.
  steadyState: (svc: string) => `(service ${svc}) has reached a steady state.`,
  startedTasks: (svc: string, ids: string[]) =>
    `(service ${svc}) has started ${ids.length} tasks: ${ids.map((i) => `(task ${i})`).join(' ')}.`,
  stoppedTasks: (svc: string, ids: string[]) =>
    `(service ${svc}) has stopped ${ids.length} running tasks: ${ids.map((i) => `(task ${i})`).join(' ')}.`,
  deploymentCompletedEvent: (svc: string, id: string) =>
    `(service ${svc}) (deployment ${id}) deployment completed.`,
  deploymentFailedEvent: (svc: string, id: string) =>
    `(service ${svc}) (deployment ${id}) deployment failed: tasks failed to start.`,
  rollingBackEvent: (svc: string, toId: string) => `(service ${svc}) rolling back to deployment ${toId}.`,
  taskFailedContainerHealthChecks: (svc: string, taskId: string) =>
    `(service ${svc}) (task ${taskId}) failed container health checks.`,
  taskUnhealthyInTargetGroup: (svc: string, taskId: string, port: number, tg: string) =>
    `(service ${svc}) (task ${taskId}) (port ${port}) is unhealthy in (target-group ${tg}) due to (reason Health checks failed).`,
  registeredTargets: (svc: string, n: number, tg: string) =>
    `(service ${svc}) registered ${n} targets in (target-group ${tg})`,
  drainingConnections: (svc: string, n: number) =>
    `(service ${svc}) has begun draining connections on ${n} tasks.`,
  deregisteredTargets: (svc: string, n: number, tg: string) =>
    `(service ${svc}) deregistered ${n} targets in (target-group ${tg})`,
  unableToStopOrStart: (svc: string) =>
    `(service ${svc}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  unableToConsistentlyStart: (svc: string) =>
    `(service ${svc}) is unable to consistently start tasks successfully.`,
};
