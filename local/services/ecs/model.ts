/** The local ECS's state: clusters, task definitions, services, deployments, tasks, target groups. */
import type { ImageBehaviour } from '../../core/images.ts';

export interface Tag {
  key: string;
  value: string;
}

export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface Cluster {
  arn: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
  settings: { name: string; value: string }[];
  /** By service name: the current service of that name (ACTIVE, DRAINING or INACTIVE). */
  services: Map<string, Service>;
  /** By task ARN, stopped tasks included until they expire. */
  tasks: Map<string, Task>;
  /** By container instance ARN. */
  instances: Map<string, ContainerInstance>;
  /** CreateCluster / PutClusterCapacityProviders: kept and answered, not used to place tasks. */
  capacityProviders: string[];
  defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[];
}

export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  /** The `taskDefinition` object as DescribeTaskDefinition returns it (without status/deregisteredAt). */
  body: Record<string, any>;
  tags: Tag[];
  registeredAt: number;
  deregisteredAt?: number;
}

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface Deployment {
  id: string;
  /** `arn:aws:ecs:…:service-deployment/<cluster>/<service>/<id digits>` */
  arn: string;
  service: Service;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinitionArn: string;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: any;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** Consecutive failed tasks (DescribeServices `failedTasks`). */
  failedTasks: number;
  /** The breaker stopped evaluating this deployment (a task became healthy, resetOnHealthyTask). */
  breakerDone: boolean;
  breakerTriggered: boolean;
  /** deploymentConfiguration.alarms, when enabled: what was watched, and how it ended. */
  alarms?: {
    names: string[];
    /** Listed alarms already in ALARM when the deployment started: "ignored for that deployment". */
    ignored: Set<string>;
    status: 'MONITORING' | 'TRIGGERED' | 'MONITORING_COMPLETE';
    triggered: string[];
    /** When the bake ends (set once the new tasks are steady). */
    bakeUntil?: number;
  };
  /** Started by the circuit breaker to return to `rollbackTo`. */
  rollbackTo?: string;
  /** The rollback deployment the breaker started when this one failed. */
  rolledBackBy?: Deployment;
  rolloutStateReasonAtStart: string;
  /** The service's deployment configuration when this deployment started. */
  configuration: DeploymentConfiguration;
  /** Tasks of this deployment that are not STOPPED yet. */
  tasks: Set<Task>;
  /** Deployments this one replaced (for DescribeServiceDeployments). */
  sourceIds: string[];
  /** A deployment of ECS's BLUE_GREEN, CANARY or LINEAR strategy (native.ts). */
  native?: NativeDeployment;
}

/** Where a deployment of ECS's own strategies is (native.ts). */
export interface NativeDeployment {
  strategy: string;
  /** ServiceDeployment.lifecycleStage; DONE once CLEAN_UP has finished. */
  stage: string;
  /** Production shares of the shifts, in order, and how many are done. */
  shifts: number[];
  shiftIndex: number;
  /** Production and test traffic on the new revision, in percent. */
  weight: number;
  testWeight: number;
  /** The revision it shifts from. */
  blue: Deployment;
  /** Bumped by a rollback: timers and hook answers of an earlier run are void. */
  generation: number;
  /** When the hook now waited for was first invoked (its timeout counts from here). */
  hookStartedAt: number;
  pending?: { stage: string; hook: number; next: () => void };
  rollback?: {
    reason: string;
    startedAt: number;
    state: 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED';
    finishedAt?: number;
  };
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface LoadBalancerRef {
  targetGroupArn?: string;
  loadBalancerName?: string;
  containerName?: string;
  containerPort?: number;
  /** Blue/green, canary and linear strategies (API AdvancedConfiguration). */
  advancedConfiguration?: {
    alternateTargetGroupArn?: string;
    productionListenerRule?: string;
    testListenerRule?: string;
    roleArn?: string;
  };
}

export interface Service {
  arn: string;
  name: string;
  cluster: Cluster;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinitionArn: string;
  launchType?: string;
  capacityProviderStrategy?: any[];
  platformVersion?: string;
  deploymentConfiguration: DeploymentConfiguration;
  /** PRIMARY first, then ACTIVE ones, newest first. INACTIVE deployments leave this list. */
  deployments: Deployment[];
  /** Every deployment ever made, oldest first. */
  history: Deployment[];
  /** Newest first, at most 100. */
  events: ServiceEvent[];
  loadBalancers: LoadBalancerRef[];
  /** Per load balancer, the target group serving production after blue/green deployments (native.ts). */
  liveTargetGroups?: string[];
  serviceRegistries: any[];
  networkConfiguration?: any;
  placementConstraints: any[];
  placementStrategy: any[];
  healthCheckGracePeriodSeconds?: number;
  tags: Tag[];
  createdAt: number;
  createdBy: string;
  /**
   * ECS (rolling update, modelled), or CODE_DEPLOY / EXTERNAL: the service runs its first tasks, but
   * its task definition can then change only through CodeDeploy or task sets, which the local ECS
   * does not model (UpdateService of the task definition is refused, as ECS refuses it).
   */
  deploymentController: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  enableECSManagedTags: boolean;
  propagateTags: string;
  enableExecuteCommand: boolean;
  roleArn?: string;
  clientToken?: string;
  /** The CreateService request as received, to tell an idempotent retry from a conflict. */
  createRequestKey: string;
  /** The last deployment that reached COMPLETED (what the breaker rolls back to). */
  lastCompleted?: Deployment;
  /** Tasks of the service that are not STOPPED yet. */
  tasks: Set<Task>;
  // scheduler bookkeeping
  /** When the next reconcile is due, if one is scheduled. */
  reconcileAt?: number;
  /** Consecutive tasks that failed to reach RUNNING (service throttle logic). */
  startFailures: number;
  nextLaunchAt: number;
  steady: boolean;
  /** message → when it was last written, for duplicate suppression. */
  suppressed: Map<string, number>;
  subnetCursor: number;
}

export interface DeploymentConfiguration {
  maximumPercent: number;
  minimumHealthyPercent: number;
  deploymentCircuitBreaker: {
    enable: boolean;
    rollback: boolean;
    resetOnHealthyTask?: boolean;
    thresholdConfiguration?: { type?: string; value?: number };
  };
  [key: string]: any;
}

export interface Container {
  arn: string;
  name: string;
  image: string;
  essential: boolean;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  healthCheck?: { interval: number; timeout: number; retries: number; startPeriod: number };
  portMappings: { containerPort?: number; hostPort?: number; protocol?: string }[];
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  exitCode?: number;
  reason?: string;
  imageDigest?: string;
  runtimeId?: string;
  /** Resolved at pull time; undefined means the image does not exist (pull error). */
  behaviour?: ImageBehaviour;
  resolvedDigest?: string;
  networkBindings?: { bindIP: string; containerPort: number; hostPort: number; protocol: string }[];
}

export interface Attachment {
  id: string;
  status: 'PRECREATED' | 'ATTACHED' | 'DETACHED' | 'DELETED';
  subnetId: string;
  networkInterfaceId: string;
  macAddress: string;
  privateIPv4Address: string;
  privateDnsName: string;
}

export type StopCode =
  | 'TaskFailedToStart'
  | 'EssentialContainerExited'
  | 'UserInitiated'
  | 'ServiceSchedulerInitiated'
  | 'SpotInterruption'
  | 'TerminationNotice';

/** Why a task failed, from the scheduler's and the circuit breaker's point of view. */
export type TaskFailure = 'start' | 'crash' | 'health' | undefined;

export interface Task {
  arn: string;
  id: string;
  cluster: Cluster;
  taskDefinition: TaskDefinition;
  service?: Service;
  deployment?: Deployment;
  group: string;
  startedBy?: string;
  launchType: string;
  capacityProviderName?: string;
  platformVersion?: string;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  createdAt: number;
  updatedAt: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: StopCode;
  stoppedReason?: string;
  version: number;
  cpu: string;
  memory: string;
  containers: Container[];
  attachment?: Attachment;
  availabilityZone: string;
  containerInstance?: ContainerInstance;
  tags: Tag[];
  overrides: any;
  enableExecuteCommand: boolean;
  /** Pending lifecycle timers (cancel functions). */
  timers: (() => void)[];
  /** When the scheduler started counting the task as healthy (undefined: not healthy). */
  healthySince?: number;
  /** The 40 s wait for tasks without health checks has passed. */
  graceOver: boolean;
  failure: TaskFailure;
  /** Target group registrations. */
  targets: Target[];
  /** Requests served and answered with 5xx (fractional, accumulated deterministically). */
  requests: number;
  errors: number;
  /** Requests in the current metric minute (for CPU/memory). */
  minuteRequests: number;
}

export interface ContainerInstance {
  arn: string;
  id: string;
  cluster: Cluster;
  ec2InstanceId: string;
  instanceType: string;
  availabilityZone: string;
  attributes: Record<string, string>;
  registered: { cpu: number; memory: number };
  remaining: { cpu: number; memory: number };
  usedHostPorts: number[];
  tasks: Set<Task>;
  status: 'ACTIVE' | 'DRAINING';
  registeredAt: number;
  version: number;
  tags: Tag[];
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining';

export interface TargetGroup {
  arn: string;
  name: string;
  /** `targetgroup/<name>/<id>`: the CloudWatch TargetGroup dimension. */
  dimension: string;
  /** `app/<name>/<id>`: the CloudWatch LoadBalancer dimension. */
  loadBalancerDimension: string;
  healthCheck: { intervalSeconds: number; healthyThreshold: number; unhealthyThreshold: number };
  deregistrationDelaySeconds: number;
  /** The traffic protocol and port (CreateTargetGroup's Protocol, Port), and what it holds. */
  protocol: string;
  port: number;
  targetType: 'ip' | 'instance';
  /** The rest of the health check, as CreateTargetGroup took it (path, matcher, …), echoed by Describe. */
  healthCheckSettings: {
    protocol: string;
    port: string;
    path?: string;
    timeoutSeconds: number;
    matcher?: string;
  };
  /** Attributes other than the deregistration delay (stickiness, algorithm, …), by key. */
  attributes: Map<string, string>;
  createdAt: number;
  targets: Set<Target>;
  /** Requests per second sent to this group's routes (a scenario's load); see elbv2/routing.ts. */
  offered: number;
  /** Requests per second the group receives, after the rules' weights. */
  requestsPerSecond: number;
  lastFlush: number;
  minuteRequests: number;
  minuteErrors: number;
}

export interface Target {
  group: TargetGroup;
  task: Task;
  containerName: string;
  port: number;
  state: TargetState;
  since: number;
  timers: (() => void)[];
}
