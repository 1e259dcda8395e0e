/**
 * The task lifecycle on the virtual clock. Source for the states and their meaning:
 * awsdocs task-lifecycle.md — PROVISIONING (ENI for awsvpc) → PENDING → ACTIVATING (target group
 * registration) → RUNNING → DEACTIVATING (target group deregistration) → STOPPING →
 * DEPROVISIONING (ENI detached and deleted) → STOPPED. Durations: TASK_TIMINGS (constants.ts).
 *
 * Every change bumps the task's `version`; every change of lastStatus or desiredStatus, and every
 * container state change, puts an `ECS Task State Change` event on the bus (ecs_cwe_events.md).
 */
import { FARGATE_PLATFORM_VERSION, HEALTH_CHECK_DEFAULTS, TASK_TIMINGS, TEXT } from './constants.ts';
import type { CreateTaskOptions, EcsContext, TaskLifecycle } from './context.ts';
import type {
  Container,
  HealthStatus,
  StopCode,
  Task,
  TaskDefinition,
  TaskFailure,
  TaskStatus,
} from './model.ts';
import { taskEventDetail } from './shapes.ts';

export class TaskEngine implements TaskLifecycle {
  private ipCounter = 0;
  private dynamicPort = 32768;

  constructor(private readonly ecs: EcsContext) {}

  private get clock() {
    return this.ecs.world.clock;
  }

  private now(): number {
    return this.ecs.world.now();
  }

  private later(task: Task, ms: number, fn: () => void): void {
    task.timers.push(this.clock.after(ms, fn));
  }

  create(o: CreateTaskOptions): Task {
    const world = this.ecs.world;
    const id = world.ids.hex32();
    const arn = world.arn('ecs', `task/${o.cluster.name}/${id}`);
    const body = o.taskDefinition.body;
    const awsvpc = body.networkMode === 'awsvpc';
    const containers: Container[] = (body.containerDefinitions as any[]).map((d) => ({
      arn: world.arn('ecs', `container/${o.cluster.name}/${id}/${world.ids.uuid()}`),
      name: d.name,
      image: d.image,
      essential: d.essential !== false,
      cpu: d.cpu ?? 0,
      memory: d.memory,
      memoryReservation: d.memoryReservation,
      healthCheck: d.healthCheck
        ? {
            interval: d.healthCheck.interval ?? HEALTH_CHECK_DEFAULTS.interval,
            timeout: d.healthCheck.timeout ?? HEALTH_CHECK_DEFAULTS.timeout,
            retries: d.healthCheck.retries ?? HEALTH_CHECK_DEFAULTS.retries,
            startPeriod: d.healthCheck.startPeriod ?? HEALTH_CHECK_DEFAULTS.startPeriod,
          }
        : undefined,
      portMappings: d.portMappings ?? [],
      lastStatus: 'PENDING',
      healthStatus: 'UNKNOWN',
    }));
    const now = this.now();
    const task: Task = {
      arn,
      id,
      cluster: o.cluster,
      taskDefinition: o.taskDefinition,
      service: o.service,
      deployment: o.deployment,
      group: o.group,
      startedBy: o.startedBy,
      launchType: o.launchType,
      platformVersion:
        o.launchType === 'FARGATE'
          ? !o.platformVersion || o.platformVersion === 'LATEST'
            ? FARGATE_PLATFORM_VERSION
            : o.platformVersion
          : undefined,
      lastStatus: awsvpc ? 'PROVISIONING' : 'PENDING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      createdAt: now,
      updatedAt: now,
      version: 1,
      cpu: String(taskCpu(o.taskDefinition)),
      memory: String(taskMemory(o.taskDefinition)),
      containers,
      availabilityZone: o.containerInstance?.availabilityZone ?? `${world.region}a`,
      containerInstance: o.containerInstance,
      tags: o.tags,
      overrides: o.overrides ?? {
        containerOverrides: containers.map((c) => ({ name: c.name })),
        inferenceAcceleratorOverrides: [],
      },
      enableExecuteCommand: o.enableExecuteCommand ?? false,
      timers: [],
      graceOver: false,
      failure: undefined,
      targets: [],
      requests: 0,
      errors: 0,
      minuteRequests: 0,
    };
    if (awsvpc) {
      const subnets: string[] = o.networkConfiguration?.awsvpcConfiguration?.subnets ?? [];
      const subnetId = subnets.length
        ? subnets[(o.subnetIndex ?? 0) % subnets.length]!
        : `subnet-${world.ids.hex32().slice(0, 17)}`;
      if (!o.containerInstance) task.availabilityZone = this.ecs.availabilityZoneOf(subnetId);
      const n = this.ipCounter++;
      const ip = `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`;
      const hex = world.ids.hex32();
      task.attachment = {
        id: world.ids.uuid(),
        status: 'PRECREATED',
        subnetId,
        networkInterfaceId: `eni-${hex.slice(0, 17)}`,
        macAddress: (hex.slice(17, 29).match(/../g) ?? []).join(':'),
        privateIPv4Address: ip,
        privateDnsName: `ip-${ip.replaceAll('.', '-')}.ec2.internal`,
      };
    } else if (o.containerInstance) {
      for (const c of containers) {
        c.networkBindings = c.portMappings
          .filter((p) => p.containerPort !== undefined)
          .map((p) => ({
            bindIP: '0.0.0.0',
            containerPort: p.containerPort!,
            hostPort:
              body.networkMode === 'host'
                ? p.containerPort!
                : p.hostPort && p.hostPort > 0
                  ? p.hostPort
                  : this.nextDynamicPort(),
            protocol: p.protocol ?? 'tcp',
          }));
      }
    }
    o.cluster.tasks.set(arn, task);
    this.ecs.taskIndex.set(arn, task);
    o.service?.tasks.add(task);
    o.deployment?.tasks.add(task);
    o.containerInstance?.tasks.add(task);
    this.emit(task);
    if (task.lastStatus === 'PROVISIONING')
      this.later(task, TASK_TIMINGS.provisioningMs, () => this.toPending(task));
    else this.later(task, TASK_TIMINGS.toPullStartMs, () => this.pullStart(task));
    return task;
  }

  private nextDynamicPort(): number {
    const p = this.dynamicPort++;
    if (this.dynamicPort > 60999) this.dynamicPort = 32768;
    return p;
  }

  private toPending(task: Task): void {
    const now = this.now();
    task.connectivityAt = now;
    if (task.attachment) task.attachment.status = 'ATTACHED';
    this.setStatus(task, 'PENDING');
    this.later(task, TASK_TIMINGS.toPullStartMs, () => this.pullStart(task));
  }

  private pullStart(task: Task): void {
    task.pullStartedAt = this.now();
    this.touch(task);
    let failed: Container | undefined;
    for (const c of task.containers) {
      const resolved = this.ecs.resolveImage(c.image);
      if (!resolved || resolved.behaviour.pullError) {
        failed ??= c;
        continue;
      }
      c.behaviour = resolved.behaviour;
      c.resolvedDigest = resolved.digest;
    }
    if (failed) {
      const c = failed;
      this.later(task, TASK_TIMINGS.pullErrorMs, () => this.failToStart(task, c));
      return;
    }
    this.later(task, TASK_TIMINGS.pullMs, () => this.pullDone(task));
  }

  private pullDone(task: Task): void {
    task.pullStoppedAt = this.now();
    for (const c of task.containers) c.imageDigest = c.resolvedDigest;
    this.touch(task);
    const startupMs = Math.max(0, ...task.containers.map((c) => (c.behaviour?.startupSeconds ?? 0) * 1000));
    this.later(task, startupMs, () => {
      if (task.service?.loadBalancers.some((lb) => lb.targetGroupArn)) this.activate(task);
      else this.run(task);
    });
  }

  /** CannotPullContainerError: the task never reaches RUNNING (stopCode TaskFailedToStart). */
  private failToStart(task: Task, container: Container): void {
    const now = this.now();
    const reason = TEXT.cannotPull(container.image);
    task.pullStoppedAt = now;
    container.reason = reason;
    for (const c of task.containers) c.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = now;
    task.executionStoppedAt = now;
    task.stopCode = 'TaskFailedToStart';
    task.stoppedReason = reason;
    task.failure = 'start';
    this.cancelTimers(task);
    this.ecs.scheduler.onTaskFailed(task, 'start');
    this.deprovision(task);
  }

  private activate(task: Task): void {
    this.setStatus(task, 'ACTIVATING');
    this.ecs.elb.register(task);
    this.later(task, TASK_TIMINGS.activatingMs, () => this.run(task));
  }

  private run(task: Task): void {
    const now = this.now();
    task.startedAt = now;
    for (const c of task.containers) {
      c.lastStatus = 'RUNNING';
      c.runtimeId = this.ecs.world.ids.hex32() + this.ecs.world.ids.hex32();
      if (c.healthCheck) c.healthStatus = 'UNKNOWN';
    }
    this.setStatus(task, 'RUNNING');
    if (task.targets.length === 0 && task.service) this.ecs.elb.register(task);
    this.ecs.scheduler.onTaskRunning(task);
    // An essential container that exits stops the task.
    for (const c of task.containers) {
      const crash = c.behaviour?.crash;
      if (crash)
        this.later(task, crash.afterSeconds * 1000, () => this.containerExited(task, c, crash.exitCode));
    }
    for (const c of task.containers) if (c.healthCheck) this.scheduleHealth(task, c);
    // Without health checks the scheduler counts the task as healthy 40 s after RUNNING.
    this.later(task, TASK_TIMINGS.healthyWithoutChecksMs, () => {
      task.graceOver = true;
      this.ecs.scheduler.onTaskHealthChange(task);
    });
  }

  /**
   * Container health check (API HealthCheck): the first check runs `interval` s after the container
   * starts; a success makes the container HEALTHY (also within startPeriod); a failure counts only
   * once startPeriod has passed, and `retries` consecutive counted failures make it UNHEALTHY. A
   * failing check of an app that does not answer takes `timeout` s.
   */
  private scheduleHealth(task: Task, c: Container): void {
    const hc = c.healthCheck!;
    const b = c.behaviour;
    // An image that turns bad later ({ unhealthy: { after } }) passes its checks until then.
    const afterSeconds = b?.unhealthy ? (b.unhealthyAfterSeconds ?? 0) : Number.POSITIVE_INFINITY;
    if (hc.interval < afterSeconds)
      this.later(task, hc.interval * 1000, () => this.setContainerHealth(task, c, 'HEALTHY'));
    if (afterSeconds === Number.POSITIVE_INFINITY) return;
    // The k-th check runs k × interval after start; those at or after `after` fail.
    const firstCounted = Math.max(
      1,
      Math.ceil(hc.startPeriod / hc.interval),
      Math.ceil(afterSeconds / hc.interval),
    );
    const at = (firstCounted + hc.retries - 1) * hc.interval + hc.timeout;
    this.later(task, at * 1000, () => this.setContainerHealth(task, c, 'UNHEALTHY'));
  }

  private setContainerHealth(task: Task, c: Container, status: HealthStatus): void {
    if (task.desiredStatus !== 'RUNNING' || c.healthStatus === status) return;
    c.healthStatus = status;
    const checked = task.containers.filter((x) => x.essential && x.healthCheck);
    let taskHealth: HealthStatus = 'UNKNOWN';
    if (checked.some((x) => x.healthStatus === 'UNHEALTHY')) taskHealth = 'UNHEALTHY';
    else if (checked.length > 0 && checked.every((x) => x.healthStatus === 'HEALTHY')) taskHealth = 'HEALTHY';
    task.healthStatus = taskHealth;
    this.touch(task);
    this.ecs.scheduler.onTaskHealthChange(task);
  }

  /** A container exits on its own (the image's crash behaviour). */
  private containerExited(task: Task, c: Container, exitCode: number): void {
    if (task.desiredStatus !== 'RUNNING') return;
    c.lastStatus = 'STOPPED';
    c.exitCode = exitCode;
    if (!c.essential) {
      this.touch(task);
      this.emit(task);
      return;
    }
    // "Essential container in task exited" (stopped-task-errors.md), stopCode EssentialContainerExited.
    this.stop(task, 'EssentialContainerExited', TEXT.essentialContainerExited, {
      failure: 'crash',
      drain: false,
    });
    this.ecs.scheduler.onTaskFailed(task, 'crash');
  }

  /**
   * Stops a task: desiredStatus STOPPED now; behind a load balancer the task first drains
   * (DEACTIVATING for the target group's deregistration delay) unless `drain` is false.
   * Returns false if the task was already stopping.
   */
  stop(
    task: Task,
    stopCode: StopCode,
    reason: string,
    opts: { failure?: TaskFailure; drain?: boolean } = {},
  ): boolean {
    if (task.desiredStatus === 'STOPPED') return false;
    const now = this.now();
    this.cancelTimers(task);
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = now;
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.failure = opts.failure;
    if (task.healthySince !== undefined) task.healthySince = undefined;
    const status = task.lastStatus;
    if (status === 'RUNNING' || status === 'ACTIVATING') {
      const drainMs = this.ecs.elb.deregister(task, opts.drain !== false);
      if (drainMs > 0) {
        this.setStatus(task, 'DEACTIVATING');
        this.later(task, drainMs, () => this.stopping(task));
      } else {
        this.stopping(task);
      }
    } else if (status === 'PROVISIONING' || status === 'PENDING') {
      for (const c of task.containers) c.lastStatus = 'STOPPED';
      task.executionStoppedAt = now;
      this.deprovision(task);
    }
    return true;
  }

  private stopping(task: Task): void {
    this.setStatus(task, 'STOPPING');
    this.later(task, TASK_TIMINGS.stoppingMs, () => {
      task.executionStoppedAt = this.now();
      for (const c of task.containers) {
        if (c.lastStatus === 'RUNNING') c.exitCode ??= 0;
        c.lastStatus = 'STOPPED';
      }
      this.deprovision(task);
    });
  }

  private deprovision(task: Task): void {
    if (task.attachment) {
      this.setStatus(task, 'DEPROVISIONING');
      this.later(task, TASK_TIMINGS.deprovisioningMs, () => this.stopped(task));
    } else {
      this.stopped(task);
    }
  }

  private stopped(task: Task): void {
    const now = this.now();
    task.stoppedAt = now;
    task.executionStoppedAt ??= now;
    if (task.attachment) task.attachment.status = 'DELETED';
    for (const c of task.containers) c.lastStatus = 'STOPPED';
    this.setStatus(task, 'STOPPED');
    this.cancelTimers(task);
    this.ecs.elb.forget(task);
    const inst = task.containerInstance;
    if (inst?.tasks.delete(task)) this.ecs.releaseResources(inst, task);
    task.service?.tasks.delete(task);
    task.deployment?.tasks.delete(task);
    this.ecs.scheduler.onTaskStopped(task);
    // Stopped tasks stay visible for an hour, then expire.
    this.clock.after(TASK_TIMINGS.stoppedRetentionMs, () => {
      task.cluster.tasks.delete(task.arn);
      this.ecs.taskIndex.delete(task.arn);
    });
  }

  private setStatus(task: Task, status: TaskStatus): void {
    task.lastStatus = status;
    this.touch(task);
    this.emit(task);
  }

  private touch(task: Task): void {
    task.version++;
    task.updatedAt = this.now();
  }

  private cancelTimers(task: Task): void {
    for (const cancel of task.timers) cancel();
    task.timers = [];
  }

  emit(task: Task): void {
    this.ecs.world.emit('aws.ecs', 'ECS Task State Change', taskEventDetail(task), [task.arn]);
  }
}

/** Task-level CPU units: the task's `cpu`, else the sum of the containers'. */
export function taskCpu(td: TaskDefinition): number {
  const v = parseSize(td.body.cpu, 'cpu');
  if (v !== undefined) return v;
  return (td.body.containerDefinitions as any[]).reduce((s, c) => s + (c.cpu ?? 0), 0);
}

/** Task-level memory MiB: the task's `memory`, else the sum of the containers' memory (or reservation). */
export function taskMemory(td: TaskDefinition): number {
  const v = parseSize(td.body.memory, 'memory');
  if (v !== undefined) return v;
  return (td.body.containerDefinitions as any[]).reduce(
    (s, c) => s + (c.memory ?? c.memoryReservation ?? 0),
    0,
  );
}

/** `"256"`, `"1 vCPU"`, `"2 GB"` → CPU units / MiB. */
export function parseSize(v: unknown, kind: 'cpu' | 'memory'): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)\s*(vcpu|gb)?$/i.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  // "1 vCPU" is 1024 CPU units; "2 GB" is 2048 MiB.
  if (m[2]) return Math.round(n * 1024);
  return kind === 'cpu' ? Math.round(n) : n;
}
