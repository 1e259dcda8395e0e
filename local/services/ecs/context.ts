/**
 * What the parts of the local ECS (tasks.ts, scheduler.ts, elb.ts, api.ts, service-deployments.ts)
 * ask of the ECS that holds them. The parts are written against these small interfaces, never
 * against `LocalEcs`, so the layering runs one way, as core/context.ts does for the services:
 * model, constants <- context <- the parts <- index.ts (LocalEcs, which composes them and
 * implements `EcsContext`).
 *
 * The task engine, the scheduler and the load balancer call each other (a task that turns healthy
 * tells the scheduler; the scheduler stops tasks; a stopped task leaves its target group): each is
 * seen here only through the few calls the others make.
 */
import type {
  AlarmsContext,
  FunctionsContext,
  ImagesContext,
  MetricsContext,
  WorldContext,
} from '../../core/context.ts';
import type { Ids } from '../../core/ids.ts';
import type { ImageBehaviour } from '../../core/images.ts';
import type { Action, Listener, Rule } from '../elbv2/routing.ts';
import type { BreakerReading } from './constants.ts';
import type {
  Cluster,
  ContainerInstance,
  Deployment,
  LoadBalancerRef,
  Service,
  StopCode,
  Tag,
  Target,
  TargetGroup,
  Task,
  TaskDefinition,
  TaskFailure,
} from './model.ts';

/** What the local ECS asks of its world: the shared context, images to run, and where to publish metrics. */
export type EcsWorld = WorldContext & ImagesContext & MetricsContext & AlarmsContext & FunctionsContext;

export interface CreateTaskOptions {
  cluster: Cluster;
  taskDefinition: TaskDefinition;
  service?: Service;
  deployment?: Deployment;
  startedBy?: string;
  group: string;
  launchType: string;
  platformVersion?: string;
  networkConfiguration?: any;
  /** For awsvpc tasks: which of the subnets to use. */
  subnetIndex?: number;
  containerInstance?: ContainerInstance;
  tags: Tag[];
  overrides?: any;
  enableExecuteCommand?: boolean;
}

export interface ContainerInstanceOptions {
  instanceType: string;
  /** CPU units (1024 per vCPU). */
  cpu: number;
  /** MiB. */
  memory: number;
  availabilityZone: string;
  attributes?: Record<string, string>;
}

/** Where a task was placed, or why it could not be (reason e.g. RESOURCE:MEMORY; message: the service event). */
export type Placement =
  | { ok: true; instance: ContainerInstance }
  | { ok: false; reason: string; message: string };

export type LaunchResult =
  | { ok: true; task: Task }
  | {
      ok: false /** e.g. RESOURCE:MEMORY */;
      reason: string /** the service event message */;
      message: string;
    };

/** The task lifecycle (tasks.ts), as the scheduler and the API drive it. */
export interface TaskLifecycle {
  create(o: CreateTaskOptions): Task;
  /** Returns false if the task was already stopping. */
  stop(
    task: Task,
    stopCode: StopCode,
    reason: string,
    opts?: { failure?: TaskFailure; drain?: boolean },
  ): boolean;
}

/** The service scheduler (scheduler.ts), as tasks, target groups and the API tell it what happened. */
export interface ServiceScheduling {
  markDirty(svc: Service, delayMs?: number): void;
  createDeployment(
    svc: Service,
    taskDefinitionArn: string,
    rollbackTo?: string,
    rollingBack?: (toId: string) => string,
  ): Deployment;
  addEvent(svc: Service, message: string, dedupe?: boolean): boolean;
  onTaskRunning(task: Task): void;
  onTaskHealthChange(task: Task): void;
  onTargetUnhealthy(task: Task, target: Target): void;
  onTaskFailed(task: Task, kind: TaskFailure): void;
  onTaskStopped(task: Task): void;
  isHealthy(task: Task): boolean;
  deploymentEvent(
    svc: Service,
    d: Deployment,
    eventType: 'INFO' | 'ERROR',
    eventName: DeploymentEventName,
    reason: string,
  ): void;
  /** StopServiceDeployment (ROLLBACK): the deployment fails and returns to the last completed one. */
  stopDeployment(svc: Service, d: Deployment, reason: string): void;
}

/** The eventName of an `ECS Deployment State Change` (ecs_service_deployment_events.html). */
export type DeploymentEventName =
  | 'SERVICE_DEPLOYMENT_IN_PROGRESS'
  | 'SERVICE_DEPLOYMENT_COMPLETED'
  | 'SERVICE_DEPLOYMENT_FAILED';

/** ECS's BLUE_GREEN, CANARY and LINEAR strategies (native.ts), as the scheduler and target groups ask. */
export interface NativeDeployments {
  applies(svc: Service): boolean;
  begin(svc: Service, d: Deployment, blue: Deployment): void;
  targetGroupFor(
    svc: Service,
    task: { deployment?: Deployment },
    index: number,
    lb: LoadBalancerRef,
  ): string | undefined;
  /** Whether the deployment keeps the old revision's tasks (before its clean-up). */
  holdsBlue(d: Deployment): boolean;
  /** Whether the deployment's tasks may start (past PRE_SCALE_UP). */
  scaling(d: Deployment): boolean;
  onReconcile(svc: Service): void;
  rollback(svc: Service, d: Deployment, reason: string): boolean;
}

/** Target groups (elb.ts), as the task lifecycle registers tasks in them and the API reads them. */
export interface TargetRegistration {
  readonly groups: ReadonlyMap<string, TargetGroup>;
  register(task: Task): void;
  /** Returns the deregistration delay the task drains for, in ms. */
  deregister(task: Task, drain: boolean): number;
  forget(task: Task): void;
  /** Every listener rule of the local load balancers; a listener by ARN; a rule's new actions (ModifyRule). */
  allRules(): Rule[];
  listener(arn: string): Listener | undefined;
  setActions(rule: Rule, actions: Action[]): void;
  /** The load balancers whose listeners forward to a group (none: ECS refuses it for a service). */
  loadBalancersOf(targetGroupArn: string): { arn: string }[];
}

/** The local ECS as its parts see it: its state, its three engines and the few helpers they share. */
export interface EcsContext {
  readonly world: EcsWorld;
  /** By cluster name. */
  readonly clusters: Map<string, Cluster>;
  /** Task definitions by ARN, and the revisions of each family in order. */
  readonly taskDefinitions: Map<string, TaskDefinition>;
  readonly families: Map<string, TaskDefinition[]>;
  /** Every task still visible, by ARN. */
  readonly taskIndex: Map<string, Task>;
  /** Every deployment, by service deployment ARN. */
  readonly deploymentIndex: Map<string, Deployment>;
  readonly tasks: TaskLifecycle;
  readonly scheduler: ServiceScheduling;
  readonly elb: TargetRegistration;
  readonly native: NativeDeployments;
  /** Which of the two documented readings of `resetOnHealthyTask` this ECS follows (constants.ts). */
  readonly breakerReading: BreakerReading;

  /** The cluster by name or ARN (default `default`); ClusterNotFoundException otherwise. */
  cluster(ref?: string): Cluster;
  /** What an image runs as; undefined when the registry has no such image (CannotPullContainerError). */
  resolveImage(uri: string): { digest: string; behaviour: ImageBehaviour } | undefined;
  /** Subnets map to the Region's AZs in the order they are first seen (a, b, c, a, …). */
  availabilityZoneOf(subnetId: string): string;
  /** Starts one task of a service deployment (placing it on a container instance for EC2). */
  launchServiceTask(svc: Service, d: Deployment): LaunchResult;
  /** Places a task on the cluster's container instances and reserves its resources. */
  place(cluster: Cluster, td: TaskDefinition, group: string, strategy: any[], constraints: any[]): Placement;
  releaseResources(inst: ContainerInstance, task: Task): void;
  /** Registers an EC2 container instance (its tasks then launch with the EC2 launch type). */
  registerContainerInstance(clusterRef: string, o: ContainerInstanceOptions): string;
  /** Publishes metrics at every whole minute, from the first target group or service on. */
  startMetrics(): void;
}

/** `arn:aws:ecs:…:cluster/name` or `name` → `name`. */
export function clusterNameOf(ref: string): string {
  const i = ref.indexOf(':cluster/');
  return i >= 0 ? ref.slice(i + ':cluster/'.length) : ref;
}

/** The launch type a service's tasks run with. */
export function launchTypeOf(svc: Service): string {
  if (svc.launchType) return svc.launchType;
  if (svc.capacityProviderStrategy?.length) {
    const cp = svc.capacityProviderStrategy[0]?.capacityProvider;
    return cp === 'FARGATE' || cp === 'FARGATE_SPOT' ? 'FARGATE' : 'EC2';
  }
  return svc.cluster.instances.size > 0 ? 'EC2' : 'FARGATE';
}

/** `ecs-svc/` and 19 digits, deterministic. */
export function newDeploymentId(ids: Ids): string {
  const h = BigInt(`0x${ids.hex32().slice(0, 16)}`);
  return `ecs-svc/${(h % 9_000_000_000_000_000_000n) + 1_000_000_000_000_000_000n}`;
}
