/**
 * The local ECS: the ECS API over the real wire protocol (JSON 1.1, `AmazonEC2ContainerServiceV20141113`)
 * and a model of what ECS does behind it — tasks that go through their lifecycle on the virtual
 * clock, a service scheduler that rolls deployments out within minimumHealthyPercent/maximumPercent,
 * a deployment circuit breaker that rolls back, target groups that receive traffic, and the events
 * and metrics ECS publishes. See constants.ts (numbers and texts, with sources), tasks.ts
 * (lifecycle), scheduler.ts (deployments), elb.ts (load balancing, metrics), api.ts (operations);
 * the parts see this class only through context.ts (`EcsContext`), so this file sits on top of them.
 *
 * In-process set-up (no API call counted): `world.ecs.operations.X(input)`, and
 *   createTargetGroup({ name, healthCheck?, deregistrationDelaySeconds? }) → target group ARN
 *   setLoad(targetGroupArn, requestsPerSecond)
 *   registerContainerInstance(cluster, { instanceType, cpu, memory, availabilityZone, attributes? })
 *   setExternalImage(uri, behaviour)     behaviour of a non-ECR image (default: healthy)
 *   interruptTask(taskArn)               a Fargate Spot interruption (stopCode SpotInterruption)
 *   trafficByTask(), targetHealth(arn), targetGroupDimensions(arn)   for reports and alarms
 */

import { AwsError } from '../../core/errors.ts';
import { HEALTHY, type ImageBehaviour } from '../../core/images.ts';
import { Random } from '../../core/random.ts';
import type { LocalService } from '../../core/service.ts';
import { buildOperations } from './api.ts';
import type { BreakerReading } from './constants.ts';
import {
  type ContainerInstanceOptions,
  clusterNameOf,
  type EcsContext,
  type EcsWorld,
  type LaunchResult,
  launchTypeOf,
  type Placement,
} from './context.ts';
import { type CreateTargetGroupOptions, LoadBalancing, type TargetHealth } from './elb.ts';
import { checkJsonTypes } from './input-types.ts';
import type { Cluster, ContainerInstance, Deployment, Service, Tag, Task, TaskDefinition } from './model.ts';
import { NativeStrategies } from './native.ts';
import { type InstanceView, placementFailureMessage, placeTask, runTaskFailureReason } from './placement.ts';
import { Scheduler } from './scheduler.ts';
import { TaskEngine, taskCpu, taskMemory } from './tasks.ts';

export { circuitBreakerThreshold, maximumTasks, minimumHealthyTasks, TASK_TIMINGS } from './constants.ts';
export type { BreakerReading };

export interface TaskTraffic {
  taskArn: string;
  taskId: string;
  serviceName?: string;
  taskDefinitionArn: string;
  deploymentId?: string;
  lastStatus: string;
  /** Requests served and answered with a 5xx (fractional: traffic is split evenly, not sampled). */
  requests: number;
  errors: number;
}

const ECR_URI = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//;

export type { ContainerInstanceOptions };

export class LocalEcs implements LocalService, EcsContext {
  readonly name = 'ecs';
  readonly target = 'AmazonEC2ContainerServiceV20141113';
  readonly protocol = 'json1.1' as const;
  readonly operations: Record<string, (input: any) => unknown>;

  /** By cluster name. */
  readonly clusters = new Map<string, Cluster>();
  /** Task definitions by ARN, and the revisions of each family in order. */
  readonly taskDefinitions = new Map<string, TaskDefinition>();
  readonly families = new Map<string, TaskDefinition[]>();
  /** Every task still visible, by ARN. */
  readonly taskIndex = new Map<string, Task>();
  /** Every deployment, by service deployment ARN. */
  readonly deploymentIndex = new Map<string, Deployment>();
  readonly tasks: TaskEngine;
  readonly scheduler: Scheduler;
  readonly elb: LoadBalancing;
  /** ECS's BLUE_GREEN, CANARY and LINEAR strategies with their lifecycle hooks. */
  readonly native: NativeStrategies;
  /** Behaviours of images outside ECR, by URI (others run as `HEALTHY`). */
  readonly externalImages = new Map<string, ImageBehaviour>();

  /** Which of the two documented readings of `resetOnHealthyTask` this ECS follows (constants.ts). */
  breakerReading: BreakerReading = 'stops-evaluating';

  private digests = new Map<string, string>();
  private subnetZones = new Map<string, string>();
  private metricsStarted = false;

  constructor(readonly world: EcsWorld) {
    this.tasks = new TaskEngine(this);
    this.scheduler = new Scheduler(this);
    this.elb = new LoadBalancing(this);
    this.native = new NativeStrategies(this);
    // Every request's JSON types are checked first, as AWS deserializes against the model first.
    this.operations = Object.fromEntries(
      Object.entries(buildOperations(this)).map(([name, op]) => [
        name,
        (input: any) => {
          checkJsonTypes(input);
          return op(input);
        },
      ]),
    );
  }

  // ------------------------------------------------------------------ in-process set-up

  createTargetGroup(options: CreateTargetGroupOptions): string {
    this.startMetrics();
    return this.elb.createTargetGroup(options);
  }

  setLoad(targetGroupArn: string, requestsPerSecond: number): void {
    this.elb.setLoad(targetGroupArn, requestsPerSecond);
  }

  /** Invokes the lifecycle hooks that are due (world.settle); how many were invoked. */
  drainHooks(): Promise<number> {
    return this.native.drain();
  }

  targetHealth(targetGroupArn: string): TargetHealth[] {
    return this.elb.targetHealth(targetGroupArn);
  }

  /** The CloudWatch dimension values of a target group's AWS/ApplicationELB metrics. */
  targetGroupDimensions(targetGroupArn: string): { TargetGroup: string; LoadBalancer: string } {
    const g = this.elb.groups.get(targetGroupArn);
    if (!g) throw new Error(`no target group ${targetGroupArn}`);
    return { TargetGroup: g.dimension, LoadBalancer: g.loadBalancerDimension };
  }

  /**
   * A Fargate Spot interruption: the task stops with stopCode SpotInterruption ("Your Spot Task was
   * interrupted."); a service replaces it. Returns false if the task was already stopping.
   */
  interruptTask(taskArn: string): boolean {
    const task = this.taskIndex.get(taskArn);
    if (!task) throw new Error(`no task ${taskArn}`);
    return this.tasks.stop(task, 'SpotInterruption', 'Your Spot Task was interrupted.');
  }

  setExternalImage(uri: string, behaviour: ImageBehaviour): void {
    this.externalImages.set(uri, behaviour);
  }

  /** Registers an EC2 container instance (its tasks then launch with the EC2 launch type). */
  registerContainerInstance(clusterRef: string, o: ContainerInstanceOptions): string {
    const cluster = this.cluster(clusterRef);
    const world = this.world;
    const id = world.ids.hex32();
    const inst: ContainerInstance = {
      arn: world.arn('ecs', `container-instance/${cluster.name}/${id}`),
      id,
      cluster,
      ec2InstanceId: `i-${world.ids.hex32().slice(0, 17)}`,
      instanceType: o.instanceType,
      availabilityZone: o.availabilityZone,
      attributes: { ...(o.attributes ?? {}) },
      registered: { cpu: o.cpu, memory: o.memory },
      remaining: { cpu: o.cpu, memory: o.memory },
      usedHostPorts: [],
      tasks: new Set(),
      status: 'ACTIVE',
      registeredAt: world.now(),
      version: 1,
      tags: [],
    };
    cluster.instances.set(inst.arn, inst);
    for (const s of cluster.services.values()) if (s.status === 'ACTIVE') this.scheduler.markDirty(s);
    return inst.arn;
  }

  /** Requests and 5xx answers per task, for reports (stopped tasks included while visible). */
  trafficByTask(): TaskTraffic[] {
    for (const g of this.elb.groups.values()) this.elb.flush(g);
    const out: TaskTraffic[] = [];
    for (const t of this.taskIndex.values()) {
      out.push({
        taskArn: t.arn,
        taskId: t.id,
        serviceName: t.service?.name,
        taskDefinitionArn: t.taskDefinition.arn,
        deploymentId: t.deployment?.id,
        lastStatus: t.lastStatus,
        requests: t.requests,
        errors: t.errors,
      });
    }
    return out;
  }

  /** The service of that name (any status), for tests and reports. */
  service(clusterRef: string, name: string): Service | undefined {
    return this.clusters.get(clusterNameOf(clusterRef))?.services.get(name);
  }

  task(arn: string): Task | undefined {
    return this.taskIndex.get(arn);
  }

  deploymentByArn(arn: string): Deployment | undefined {
    return this.deploymentIndex.get(arn);
  }

  // ------------------------------------------------------------------ helpers for the model

  /** The cluster by name or ARN (default `default`); ClusterNotFoundException otherwise. */
  cluster(ref?: string): Cluster {
    const c = this.clusters.get(clusterNameOf(ref ?? 'default'));
    if (c?.status !== 'ACTIVE') throw notFound('ClusterNotFoundException', 'Cluster not found.');
    return c;
  }

  /** What an image runs as; undefined when the registry has no such image (CannotPullContainerError). */
  resolveImage(uri: string): { digest: string; behaviour: ImageBehaviour } | undefined {
    const resolved = this.world.resolveImage(uri);
    if (resolved) return { digest: resolved.digest, behaviour: resolved.behaviour };
    const external = this.externalImages.get(uri);
    if (external) return { digest: this.digestOf(uri), behaviour: external };
    if (ECR_URI.test(uri)) return undefined;
    return { digest: this.digestOf(uri), behaviour: HEALTHY };
  }

  private digestOf(uri: string): string {
    let d = this.digests.get(uri);
    if (!d) {
      d = this.world.ids.digest(uri);
      this.digests.set(uri, d);
    }
    return d;
  }

  /** Subnets map to the Region's AZs in the order they are first seen (a, b, c, a, …). */
  availabilityZoneOf(subnetId: string): string {
    let az = this.subnetZones.get(subnetId);
    if (!az) {
      az = `${this.world.region}${'abc'[this.subnetZones.size % 3]}`;
      this.subnetZones.set(subnetId, az);
    }
    return az;
  }

  /** Placement ties draw from a stream of their own, so other draws do not move tasks. */
  random = new Random(0x9e3779b9).next;

  /** Starts one task of a service deployment (placing it on a container instance for EC2). */
  launchServiceTask(svc: Service, d: Deployment): LaunchResult {
    const td = this.taskDefinitions.get(d.taskDefinitionArn)!;
    const launchType = d.launchType ?? launchTypeOf(svc);
    const group = `service:${svc.name}`;
    let instance: ContainerInstance | undefined;
    if (launchType === 'EC2' || launchType === 'EXTERNAL') {
      const placed = this.place(svc.cluster, td, group, svc.placementStrategy, svc.placementConstraints);
      if (!placed.ok) return placed;
      instance = placed.instance;
    }
    const tags: Tag[] = [];
    if (svc.propagateTags === 'SERVICE') tags.push(...svc.tags);
    else if (svc.propagateTags === 'TASK_DEFINITION') tags.push(...td.tags);
    if (svc.enableECSManagedTags)
      tags.push(
        { key: 'aws:ecs:clusterName', value: svc.cluster.name },
        { key: 'aws:ecs:serviceName', value: svc.name },
      );
    const task = this.tasks.create({
      cluster: svc.cluster,
      taskDefinition: td,
      service: svc,
      deployment: d,
      startedBy: d.id,
      group,
      launchType,
      platformVersion: svc.platformVersion,
      networkConfiguration: d.networkConfiguration,
      subnetIndex: svc.subnetCursor++,
      containerInstance: instance,
      tags,
      enableExecuteCommand: svc.enableExecuteCommand,
    });
    if (svc.capacityProviderStrategy?.length)
      task.capacityProviderName = svc.capacityProviderStrategy[0]?.capacityProvider;
    return { ok: true, task };
  }

  /** Places a task on the cluster's container instances (placement.ts) and reserves its resources. */
  place(cluster: Cluster, td: TaskDefinition, group: string, strategy: any[], constraints: any[]): Placement {
    const views: InstanceView[] = [];
    for (const i of cluster.instances.values()) {
      if (i.status !== 'ACTIVE') continue;
      views.push({
        arn: i.arn,
        id: i.id,
        availabilityZone: i.availabilityZone,
        instanceType: i.instanceType,
        attributes: i.attributes,
        remaining: { ...i.remaining },
        usedHostPorts: [...i.usedHostPorts],
        taskGroups: [...i.tasks].map((t) => t.group),
        ec2InstanceId: i.ec2InstanceId,
        agentConnected: true,
        registeredAt: i.registeredAt,
      });
    }
    const cpu = taskCpu(td);
    const memory = taskMemory(td);
    const hostPorts = fixedHostPorts(td);
    const result = placeTask(
      views,
      {
        cpu,
        memory,
        hostPorts,
        group,
        strategy: strategy ?? [],
        constraints: [...(constraints ?? []), ...(td.body.placementConstraints ?? [])],
      },
      this.random,
    );
    if (!result.ok) {
      const cause = result.cause ?? { kind: 'no-instances' as const };
      const name = group.startsWith('service:') ? group.slice('service:'.length) : group;
      // Our service event messages all read "(service <name>) …".
      const message = placementFailureMessage(name, cause).replace(/^service (\S+)/, '(service $1)');
      return { ok: false, reason: runTaskFailureReason(cause), message };
    }
    const inst = cluster.instances.get(result.instance.arn)!;
    inst.remaining.cpu -= cpu;
    inst.remaining.memory -= memory;
    inst.usedHostPorts.push(...hostPorts);
    inst.version++;
    return { ok: true, instance: inst };
  }

  releaseResources(inst: ContainerInstance, task: Task): void {
    inst.remaining.cpu += taskCpu(task.taskDefinition);
    inst.remaining.memory += taskMemory(task.taskDefinition);
    for (const p of fixedHostPorts(task.taskDefinition)) {
      const i = inst.usedHostPorts.indexOf(p);
      if (i >= 0) inst.usedHostPorts.splice(i, 1);
    }
    inst.version++;
    if (inst.cluster.status === 'ACTIVE')
      for (const s of inst.cluster.services.values())
        if (s.status === 'ACTIVE' && s.nextLaunchAt > 0) this.scheduler.markDirty(s);
  }

  /** Publishes metrics at every whole minute, from the first target group or service on. */
  startMetrics(): void {
    if (this.metricsStarted) return;
    this.metricsStarted = true;
    const clock = this.world.clock;
    const next = Math.floor(clock.now() / 60_000) * 60_000 + 60_000;
    clock.at(next, () => {
      this.elb.publishMinute();
      clock.every(60_000, () => this.elb.publishMinute());
    });
  }
}

function fixedHostPorts(td: TaskDefinition): number[] {
  const mode = td.body.networkMode ?? 'bridge';
  if (mode === 'awsvpc') return [];
  const ports: number[] = [];
  for (const c of td.body.containerDefinitions as any[]) {
    for (const p of c.portMappings ?? []) {
      const port = mode === 'host' ? p.containerPort : p.hostPort;
      if (port && port > 0) ports.push(port);
    }
  }
  return ports;
}

function notFound(code: string, message: string) {
  return new AwsError(code, message);
}
