/**
 * What the pipeline sees of a service when it decides: plain data, no SDK types, so `decide()`
 * stays pure and table tests can build observations by hand.
 */
import type { Route } from './rollout/traffic.ts';
import type { AlarmReading } from './scaling.ts';

export interface DeploymentView {
  id: string;
  status: string; // PRIMARY | ACTIVE | INACTIVE
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
  rolloutState?: string; // IN_PROGRESS | COMPLETED | FAILED
  rolloutStateReason?: string;
}

export interface ServiceView {
  exists: boolean;
  status?: string; // ACTIVE | DRAINING | INACTIVE
  taskDefinition?: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  deployments: DeploymentView[];
  /** The service's deploymentConfiguration (ECS's defaults 100 and 200 when not set). */
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  /**
   * When ECS last said it "was unable to place a task" for the service (its newest such service
   * event): the cluster has no room for another of its tasks (capacity facts, lib/rollout/capacity.ts).
   */
  placementFailedAt?: number;
  /**
   * When ECS last said it started tasks for the service ("has started N tasks", its newest such
   * service event): a task started during a step's bake, with the count unchanged, replaced one that
   * stopped (lib/observe-rules.ts startedDuringBake).
   */
  tasksStartedAt?: number;
  /** Its tasks take traffic through load balancer target groups (the service's loadBalancers). */
  loadBalanced?: true;
}

export interface TaskView {
  taskArn: string;
  taskDefinition: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus?: string; // HEALTHY | UNHEALTHY | UNKNOWN
  stoppedReason?: string;
  stopCode?: string;
  /** ECS's change counter of the task (DescribeTasks' and the task event's `version`): higher is later. */
  version?: number;
  /** When ECS stopped it (epoch ms); a task stopped before a rollout began is not that rollout's. */
  stoppedAt?: number;
  /**
   * When it reached RUNNING (epoch ms): without a health check or a load balancer, ECS counts it
   * towards minimumHealthyPercent 40 s later (lib/rollout/step.ts servingTasks).
   */
  startedAt?: number;
  containers: { name: string; exitCode?: number; reason?: string }[];
  /**
   * Behind load balancers: whether the task is healthy in every target group of its service (ELB
   * sends a target traffic only then). Undefined where it was not read: a service without target
   * groups, a task not running, or a step whose bake has started.
   */
  inService?: boolean;
  /**
   * Not in service only because a target group is still running its first health checks on it
   * (ELB's `initial` state: registered, its first check not passed yet, none failed); false
   * when a group calls it unhealthy or does not list it. Read with `inService`, only when false.
   */
  checksPending?: boolean;
}

/** ECS's view of one service deployment (DescribeServiceDeployments), for the ecs-* strategies. */
export interface ServiceDeploymentView {
  arn: string;
  /** PENDING | IN_PROGRESS | SUCCESSFUL | STOPPED | STOP_REQUESTED | ROLLBACK_REQUESTED | ROLLBACK_IN_PROGRESS | ROLLBACK_SUCCESSFUL | ROLLBACK_FAILED */
  status: string;
  statusReason?: string;
  /** RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, …, BAKE_TIME, CLEAN_UP */
  lifecycleStage?: string;
  /** The target service revision's ARN. */
  revisionArn?: string;
  /** The target revision's share of production traffic, in percent (requestedProductionTrafficWeight). */
  productionWeight?: number;
  /** The reason of ECS's rollback, when it rolled back on its own (a hook's FAILED, its alarms, its breaker). */
  rollbackReason?: string;
}

export interface AlarmView {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  /** When the alarm entered the state (epoch ms): orders a reading and an event of the same alarm. */
  at?: number;
  /**
   * When the alarm last changed state (a reading's StateTransitionedTimestamp, a state change
   * event's own time): an ALARM that began after the rollout's first step is not the incident the
   * push found, whether or not the OK between was told (lib/rollout/progress.ts).
   */
  began?: number;
  /** The least breaching data before it can go to ALARM (lib/gate-speed.ts): a metric alarm's, as read. */
  fireMs?: number;
  /** Its metric's TargetGroup dimensions, as read (lib/gate-reach.ts); absent when it has none. */
  targetGroups?: string[];
  /**
   * An ALARM told late, after a newer state (its event overtaken): the alarm was in ALARM from `at`,
   * though its state now is another (lib/event-facts.ts foldGates). The latest such one is kept.
   */
  missedAlarm?: {
    at: number;
    reason: string;
    /**
     * `left`: known only from the OK (or INSUFFICIENT_DATA) that followed it, whose previous state it
     * was: its own event never came. Absent: its event came, after a newer state's.
     */
    by?: 'left';
  };
}

/**
 * Weighted traffic (`traffic: weighted`): the primary's target group, the canary's once it exists,
 * and every listener rule or default action that forwards to the primary's group (lib/listener-routes.ts).
 */
export interface TrafficView {
  primaryGroup: string;
  /** The canary's target group ARN; absent until it exists. */
  canaryGroup?: string;
  /** The name the canary's group has (or will have when the pipeline makes it). */
  canaryGroupName: string;
  /** The name of the load balancer whose rules forward to the primary's group (a group has at most one). */
  loadBalancer?: string;
  routes: Route[];
  /** Why the service cannot be weighted as it is (several target groups, none), in words for a person. */
  problem?: string;
}

export interface Observation {
  primary: ServiceView;
  canary: ServiceView;
  /** Tasks of the rollout's revision (running, or stopped recently), in the canary and the primary. */
  tasks: TaskView[];
  /** Whether the rollout's revision defines a container health check (then RUNNING is not enough). */
  hasHealthCheck: boolean;
  /** The gate alarms of the target, as CloudWatch reports them now. */
  alarms: AlarmView[];
  /** Whether the gate alarms were read for this observation (during a rollout, and at a push). */
  gatesRead?: boolean;
  /** The alarms of the target's scaling rules, with their latest datapoint and threshold. */
  scalingAlarms?: AlarmReading[];
  /** An Application Auto Scaling target registered on the service: then the pipeline does not scale it. */
  externalScaler?: string;
  /** The service deployment of the rollout (strategy ecs-*): ECS's own deployment of the revision. */
  serviceDeployment?: ServiceDeploymentView;
  /** The primary's current service deployment ARN (Service.currentServiceDeployment). */
  currentServiceDeployment?: string;
  /** A revision already registered for the rollout's digest (found by its digest tag). */
  revisionForDigest?: string;
  /** Weighted traffic: the target groups and the routes to them (read during a weighted rollout). */
  traffic?: TrafficView;
}

export const MISSING_SERVICE: ServiceView = {
  exists: false,
  desiredCount: 0,
  runningCount: 0,
  pendingCount: 0,
  deployments: [],
};
