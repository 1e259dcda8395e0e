/**
 * Observe: read what the pipeline decides on. ECS (the primary and canary services, the new
 * revision's tasks, whether it has a health check), CloudWatch (gate alarms, scaling alarms) and
 * Application Auto Scaling (another owner of the desired count). Reads only; lib/act.ts writes.
 *
 * Every listing pages, so a big service is seen whole:
 * - ListTasks returns at most 100 ARNs a page and a nextToken; a service runs up to 5,000 tasks
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html,
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html).
 * - DescribeTasks takes at most 100 tasks a call
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
 * - DescribeTargetHealth answers every target of one target group in one call when no Targets are
 *   named (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html):
 *   one call per target group, and only while a step waits for its bake to start.
 * - DescribeAlarms takes at most 100 AlarmNames and returns at most MaxRecords (default 50) a page
 *   with a NextToken (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
 *
 * What is worth remembering between observations lives in an `ObserveMemory` the caller owns
 * (one per Pipeline), never in this module, so two pipelines (two property-test cases) share nothing.
 */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { type CompositeAlarm, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  DescribeContainerInstancesCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  DescribeTasksCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  type LoadBalancer,
  type Service,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clients } from './aws.ts';
import { canaryServiceName } from './canary-service.ts';
import type { TargetConfig } from './config.ts';
import { isEcsStrategy } from './ecs-strategy.ts';
import { PermanentError } from './errors.ts';
import { gatesKnown, mergeTasks, primaryOwnedByPerson, type ServiceHint } from './event-facts.ts';
import { targetGroupsOf } from './gate-reach.ts';
import { fastestFireMs } from './gate-speed.ts';
import type { ImageRef } from './image.ts';
import { readTraffic } from './listener-routes.ts';
import type {
  AlarmView,
  DeploymentView,
  Observation,
  ServiceDeploymentView,
  ServiceView,
  TaskView,
} from './observation.ts';
import { MISSING_SERVICE } from './observation.ts';
import {
  countedBakingTasks,
  countedSteadyTasks,
  listTasksByFamily,
  type SteadyWord,
  startedDuringBake,
  watchesPrimary,
} from './observe-rules.ts';
import type { ServiceRecord } from './record.ts';
import {
  CLONED_FROM_TAG,
  DIGEST_TAG,
  familyOf,
  revisionNumber,
  runsImage,
  sameApartFromImage,
  shortRevision,
} from './revision.ts';
import { failedOnPlacement } from './rollout/capacity.ts';
import { healthyTasks } from './rollout/step.ts';
import type { AlarmReading } from './scaling.ts';

/** Application Auto Scaling targets are rechecked at most this often: registering one is rare. */
const SCALABLE_TARGET_RECHECK_MS = 300_000;

/**
 * What observing learns that stays true for a while, kept for the life of its owner (a Pipeline:
 * one per Lambda container, one per simulated world). `now` is the owner's clock.
 */
export class ObserveMemory {
  /** Revisions are immutable, so whether one has a health check never changes. */
  readonly healthChecks = new Map<string, boolean>();
  /** Scalable targets seen per resource id, with when they were looked at. */
  readonly scalableTargets = new Map<string, { at: number; found?: string }>();
  /**
   * Per service (`cluster/service`), what the last observation showed that lets an event be dropped
   * before any call (lib/event-facts.ts dropBeforeCalls): a hint, refreshed by every observation.
   */
  readonly hints = new Map<string, ServiceHint>();
  constructor(readonly now: () => number) {}
}

/** The service is not there (or not a target): a person has to fix the config or the cluster. */
export class UnknownServiceError extends PermanentError {
  override name = 'UnknownServiceError';
}

export interface Observed {
  observation: Observation;
  /** The primary as ECS described it: the canary is created from it. */
  primary: Service;
  /** The canary as the same DescribeServices showed it (absent: none, or not ACTIVE). */
  canary?: Service;
  /** Whether `observation.alarms` is a reading of every gate alarm from CloudWatch (not what events told). */
  gatesFromAws?: boolean;
}

export async function observe(
  clients: Clients,
  target: TargetConfig,
  record: ServiceRecord,
  /**
   * What this invocation knows: a revision it registered, whether it brings a push (or deploy), and
   * whether it is the sweep (which reads everything from AWS: events may have been lost).
   */
  learned: {
    revisionForDigest?: string;
    pushing?: boolean;
    sweep?: boolean;
    readGates?: boolean;
    /**
     * The record's gates hold a reading this invocation took (lib/pipeline.ts reconcile): the sweep
     * and a bake's end need not read them again. A push still reads (no rollout may hold them yet).
     */
    gatesInHand?: boolean;
    /**
     * The stops the trigger told roll the rollout back on their own (lib/rollout/failures.ts
     * rollbackInHand): no task is listed, the record's (its told stops) stand for them.
     */
    rollbackInHand?: boolean;
    /**
     * ECS's word, the trigger of this look, that a service is steady (lib/observe-rules.ts
     * countedSteadyTasks): a step waiting for its tasks then starts its bake on ECS's counts.
     */
    steady?: SteadyWord;
  },
  /** Without one, nothing is remembered past this call. */
  memory: ObserveMemory = new ObserveMemory(() => 0),
): Promise<Observed> {
  const canaryName = canaryServiceName(target.service);
  const described = await clients.ecs.send(
    new DescribeServicesCommand({
      cluster: target.cluster,
      services: [target.service, canaryName],
      include: ['TAGS'],
    }),
  );
  const primaryRaw = described.services?.find(
    (s) => s.serviceName === target.service && s.status !== 'INACTIVE',
  );
  if (!primaryRaw) {
    throw new UnknownServiceError(
      `service ${target.service} does not exist in cluster ${target.cluster} (or is INACTIVE)`,
    );
  }
  const canaryRaw = described.services?.find((s) => s.serviceName === canaryName && s.status === 'ACTIVE');
  const primary = toServiceView(primaryRaw);
  const canary = canaryRaw ? toServiceView(canaryRaw) : MISSING_SERVICE;

  const rollout = record.rollout;
  const revision = rollout?.taskDefinition ?? learned.revisionForDigest;
  let revisionForDigest = learned.revisionForDigest;
  if (rollout && !revision) {
    revisionForDigest = await findRevisionByDigest(
      clients,
      rollout.fromTaskDefinition,
      rollout.image,
      target.container,
    );
  }

  // Weighted traffic: the routes and target groups, during a rollout and at a push (lib/listener-routes.ts).
  const weighted =
    target.traffic === 'weighted' &&
    (rollout !== undefined || learned.pushing === true) &&
    !(rollout && isEcsStrategy(rollout.strategy));
  const traffic = weighted ? await readTraffic(clients, target, primaryRaw) : undefined;

  let tasks: TaskView[] = [];
  let hasHealthCheck = false;
  const watched = revision ?? revisionForDigest;
  // The new revision runs in the canary during canary steps, and in the primary too once promoted;
  // a rollback needs no tasks (it waits on the services' counts).
  // Under ECS's own strategies the new tasks are the primary's (its green revision) from the start.
  const native = rollout !== undefined && isEcsStrategy(rollout.strategy);
  if (rollout && learned.rollbackInHand) {
    tasks = record.taskFacts ?? [];
    hasHealthCheck = rollout.healthCheck ?? false;
  } else if (rollout && watched && !rollout.rollingBack) {
    const promoted = watchesPrimary(rollout, learned.readGates === true);
    const services = [canary.exists ? canaryName : undefined, promoted ? target.service : undefined].filter(
      (s): s is string => !!s,
    );
    // Stopped tasks are what events tell (folded into the record, lib/event-facts.ts): listed only
    // by the sweep, which repairs a lost event, and while trading capacity, where a task still
    // stopping holds its slot.
    // And when ECS failed the revision's deployment while it could not place tasks: whether the
    // image failed too is told by its stopped tasks, whose events may come late, and the verdict
    // must not take a failing image for a full cluster (lib/rollout/progress.ts ecsVerdict).
    // And when ECS started a task of a watched service during the step's bake: the count unchanged,
    // it replaced one that stopped, whose event may never come (lib/observe-rules.ts startedDuringBake).
    const views = [canary.exists ? canary : undefined, promoted ? primary : undefined].filter(
      (v): v is ServiceView => !!v,
    );
    const stopped =
      learned.sweep === true ||
      rollout.room !== undefined ||
      failedOnPlacement(primary, watched, rollout.startedAt) ||
      startedDuringBake(views, rollout.steps[rollout.stepIndex]);
    hasHealthCheck =
      (rollout.taskDefinition === watched ? rollout.healthCheck : undefined) ??
      (await revisionHasHealthCheck(clients, memory, watched));
    // While the step bakes, ECS's counts stand for the listing when the step runs as it began
    // (lib/observe-rules.ts countedBakingTasks); what changed since is told by events.
    const listsAll = stopped || learned.pushing === true;
    const counted =
      countedBakingTasks(rollout, views, watched, listsAll) ??
      countedSteadyTasks(rollout, views, watched, learned.steady, listsAll);
    const raw =
      counted !== undefined
        ? []
        : (await tasksOf(clients, target.cluster, services, stopped, familyOf(watched))).filter(
            (t) => t.taskDefinitionArn === watched,
          );
    const listed = counted !== undefined ? countedTasks(watched, counted) : raw.map(toTaskView);
    tasks = mergeTasks(listed, record.taskFacts ?? []);
    // The bake counts from when ELB sends the new tasks traffic: read that until the step's bake
    // starts, and only once ECS calls every running new task healthy (before, the step is not ready anyway).
    const step = rollout.steps[rollout.stepIndex];
    const running = tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING');
    // Tasks counted on ECS's steady word are in service by that word (countedSteadyTasks).
    if (
      step?.healthyAt === undefined &&
      counted === undefined &&
      running.length > 0 &&
      healthyTasks(running, watched, hasHealthCheck) === running.length
    ) {
      // Weighted traffic: the canary's tasks are in service in the canary's own target group.
      const canaryGroup = traffic?.canaryGroup;
      const lbs = (primaryRaw.loadBalancers ?? []).map((lb) =>
        canaryGroup && lb.targetGroupArn
          ? {
              ...lb,
              advancedConfiguration: { ...lb.advancedConfiguration, alternateTargetGroupArn: canaryGroup },
            }
          : lb,
      ) as LoadBalancer[];
      const inService = await tasksInService(clients, target.cluster, lbs, raw);
      tasks = tasks.map((t) => {
        const fact = inService.get(t.taskArn);
        if (fact === undefined) return t;
        return fact.inService
          ? { ...t, inService: true }
          : { ...t, inService: false, checksPending: fact.pending };
      });
    }
  }
  // Read at a push too: an alarm already in ALARM then is the running revision's (ignored until OK),
  // and a gate alarm that does not exist stops the rollout before anything is registered.
  const gatesRead = rollout !== undefined || learned.pushing === true;
  // What alarm events told stands for a DescribeAlarms between the push's reading and the sweep's.
  const told = gatesKnown(record, target, {
    pushing: learned.pushing === true,
    sweep: (learned.sweep === true || learned.readGates === true) && learned.gatesInHand !== true,
  });
  const alarms = !gatesRead ? [] : told ? (record.gates ?? []) : await gateAlarms(clients, target.gateAlarms);
  memory.hints.set(record.key, {
    revision: rollout?.taskDefinition ?? revisionForDigest ?? primary.taskDefinition,
    loadBalanced: primary.loadBalanced === true,
    canaryStep: primaryOwnedByPerson(rollout),
  });
  const scaling = target.scaling ? await scalingObservation(clients, memory, target) : {};
  // ECS's deployment of the revision: the one recorded, or the primary's current one once it runs the revision.
  const currentServiceDeployment = primaryRaw.currentServiceDeployment;
  const deploymentArn =
    rollout?.ecsDeployment?.arn ??
    (native && watched && primaryRaw.taskDefinition === watched ? currentServiceDeployment : undefined);
  const serviceDeployment = deploymentArn ? await serviceDeploymentView(clients, deploymentArn) : undefined;
  return {
    observation: {
      primary,
      canary,
      tasks,
      hasHealthCheck,
      alarms,
      gatesRead,
      revisionForDigest,
      ...(traffic && { traffic }),
      ...scaling,
      ...(native && { currentServiceDeployment }),
      ...(serviceDeployment && { serviceDeployment }),
    },
    primary: primaryRaw,
    ...(canaryRaw && { canary: canaryRaw }),
    gatesFromAws: gatesRead && !told && target.gateAlarms.length > 0,
  };
}

/**
 * The step's running tasks as ECS's counts tell them during its bake (countedBakingTasks): running,
 * meant to, and passing their checks, as the look that started the bake found each. They stand
 * only for a count (the decision counts healthy tasks); a stop an event told of is a real task,
 * merged beside them. Named for what they are, so a log or a report never passes one for a task.
 *   web:2, 2 -> [counted web:2 #1, counted web:2 #2], each RUNNING/RUNNING HEALTHY
 */
export function countedTasks(revision: string, n: number): TaskView[] {
  return Array.from({ length: n }, (_, i) => ({
    taskArn: `counted ${revision} #${i + 1}`,
    taskDefinition: revision,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    containers: [],
  }));
}

/**
 * One service deployment as ECS describes it (DescribeServiceDeployments: status, lifecycleStage, the
 * target revision's requestedProductionTrafficWeight, the rollback's reason;
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html).
 */
async function serviceDeploymentView(
  clients: Clients,
  arn: string,
): Promise<ServiceDeploymentView | undefined> {
  const out = await clients.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  const sd = out.serviceDeployments?.find((x) => x.serviceDeploymentArn === arn);
  if (!sd) return undefined;
  return {
    arn,
    status: sd.status ?? 'PENDING',
    ...(sd.statusReason && { statusReason: sd.statusReason }),
    ...(sd.lifecycleStage && { lifecycleStage: sd.lifecycleStage }),
    ...(sd.targetServiceRevision?.arn && { revisionArn: sd.targetServiceRevision.arn }),
    ...(sd.targetServiceRevision?.requestedProductionTrafficWeight !== undefined && {
      productionWeight: sd.targetServiceRevision.requestedProductionTrafficWeight,
    }),
    ...(sd.rollback?.reason && { rollbackReason: sd.rollback.reason }),
  };
}

/**
 * ECS's service event when no container instance can take a task: "service NAME was unable to place
 * a task because no container instance met all of its requirements" (developerguide,
 * service-event-messages.html). DescribeServices returns the newest events first.
 */
const UNABLE_TO_PLACE = /was unable to place a task/;

/** "(service web) has started 2 tasks: (task …) (task …)." (developerguide, service-event-messages.html) */
const HAS_STARTED = /has started \d+ tasks?/;

function toServiceView(s: Service): ServiceView {
  // ECS lists a service's events newest first.
  const placementFailure = (s.events ?? []).find((e) => UNABLE_TO_PLACE.test(e.message ?? ''));
  const started = (s.events ?? []).find((e) => HAS_STARTED.test(e.message ?? ''));
  const loadBalanced = (s.loadBalancers ?? []).some((lb) => !!lb.targetGroupArn);
  return {
    exists: true,
    ...(loadBalanced && { loadBalanced }),
    status: s.status,
    taskDefinition: s.taskDefinition,
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    deployments: (s.deployments ?? [])
      .filter((d) => d.status !== 'INACTIVE')
      .map(
        (d): DeploymentView => ({
          id: d.id ?? '',
          status: d.status ?? '',
          taskDefinition: d.taskDefinition ?? '',
          desiredCount: d.desiredCount ?? 0,
          runningCount: d.runningCount ?? 0,
          pendingCount: d.pendingCount ?? 0,
          failedTasks: d.failedTasks ?? 0,
          rolloutState: d.rolloutState,
          rolloutStateReason: d.rolloutStateReason,
        }),
      ),
    minimumHealthyPercent: s.deploymentConfiguration?.minimumHealthyPercent,
    maximumPercent: s.deploymentConfiguration?.maximumPercent,
    placementFailedAt: placementFailure?.createdAt?.getTime(),
    tasksStartedAt: started?.createdAt?.getTime(),
  };
}

/**
 * Running tasks of the services, and with `stopped` the recently stopped ones too (ECS keeps them
 * visible for a while): ListTasks lists one desiredStatus a call, RUNNING when none is named. Two
 * services are listed at once by the task definition family (lib/observe-rules.ts
 * listTasksByFamily), and only their tasks kept: a service's task has the group `service:NAME`
 * (ECS API Reference, Task.group: "The name of the task group that's associated with the task";
 * ListTasks `family`: "Specifying a family limits the results to tasks that belong to that family").
 */
async function tasksOf(
  clients: Clients,
  cluster: string,
  services: string[],
  stopped: boolean,
  family: string,
): Promise<Task[]> {
  const byFamily = listTasksByFamily(services);
  const listings = byFamily ? [{ family }] : services.map((serviceName) => ({ serviceName }));
  const arns: string[] = [];
  for (const listing of listings) {
    for (const desiredStatus of stopped ? (['RUNNING', 'STOPPED'] as const) : (['RUNNING'] as const)) {
      let nextToken: string | undefined;
      do {
        const out = await clients.ecs.send(
          new ListTasksCommand({ cluster, ...listing, desiredStatus, maxResults: 100, nextToken }),
        );
        arns.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
      } while (nextToken);
    }
  }
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const out = await clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
    tasks.push(...(out.tasks ?? []));
  }
  if (!byFamily) return tasks;
  const groups = new Set(services.map((s) => `service:${s}`));
  return tasks.filter((t) => t.group !== undefined && groups.has(t.group));
}

/**
 * Whether each running task is healthy in every target group of the service (the canary shares the
 * primary's). ELB routes requests only to healthy targets (ELB User Guide, "Health checks for
 * Application Load Balancer target groups"), so a RUNNING task serves nothing until it passes its
 * first check ("After your target is registered, it must pass one health check to be considered
 * healthy", same page): up to an interval, 30 s with the defaults. A task registers by its ENI's private IPv4
 * address with awsvpc (target type ip), or by its container instance's EC2 instance id and host
 * port otherwise (target type instance); "If the target type is ip, specify an IP address"
 * (ELBv2 API Reference, TargetDescription). A target the group does not list yet is not in service.
 * Calls: one DescribeTargetHealth per target group; one DescribeContainerInstances per 100
 * instances, only for tasks without an ENI.
 */
async function tasksInService(
  clients: Clients,
  cluster: string,
  loadBalancers: LoadBalancer[],
  tasks: Task[],
): Promise<Map<string, { inService: boolean; pending: boolean }>> {
  const found = new Map<string, { inService: boolean; pending: boolean }>();
  // Under ECS's blue/green strategies a new task registers in whichever of the pair is not serving
  // production (the alternate target group, advancedConfiguration): either counts.
  const pairOf = (lb: LoadBalancer) =>
    [lb.targetGroupArn, lb.advancedConfiguration?.alternateTargetGroupArn].filter((a): a is string => !!a);
  const groups = [...new Set(loadBalancers.flatMap(pairOf))];
  const running = tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING');
  if (groups.length === 0 || running.length === 0) return found;

  const instanceArns = [
    ...new Set(
      running
        .filter((t) => !ipOf(t))
        .map((t) => t.containerInstanceArn)
        .filter((a): a is string => !!a),
    ),
  ];
  const ec2 = new Map<string, string>();
  for (const containerInstances of chunks(instanceArns, 100)) {
    const out = await clients.ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances }),
    );
    for (const ci of out.containerInstances ?? [])
      if (ci.containerInstanceArn && ci.ec2InstanceId) ec2.set(ci.containerInstanceArn, ci.ec2InstanceId);
  }

  const healthy = new Set<string>(); // `<group> <id>:<port>`
  // `initial`: the load balancer is registering the target or running its initial health checks,
  // before the first one passed (ELBv2 API Reference, TargetHealth State / Reason Elb.InitialHealthChecking).
  const initial = new Set<string>();
  for (const group of groups) {
    const out = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }));
    for (const d of out.TargetHealthDescriptions ?? []) {
      const key = `${group} ${d.Target?.Id}:${d.Target?.Port}`;
      if (d.TargetHealth?.State === 'healthy') healthy.add(key);
      else if (d.TargetHealth?.State === 'initial') initial.add(key);
    }
  }
  for (const t of running) {
    const ip = ipOf(t);
    const id = ip ?? (t.containerInstanceArn ? ec2.get(t.containerInstanceArn) : undefined);
    const state = (lb: LoadBalancer): 'healthy' | 'initial' | 'other' => {
      if (!lb.targetGroupArn) return 'healthy';
      const port = ip ? lb.containerPort : hostPort(t, lb);
      if (id === undefined) return 'other';
      if (pairOf(lb).some((g) => healthy.has(`${g} ${id}:${port}`))) return 'healthy';
      return pairOf(lb).some((g) => initial.has(`${g} ${id}:${port}`)) ? 'initial' : 'other';
    };
    const states = loadBalancers.map(state);
    found.set(t.taskArn ?? '', {
      inService: states.every((s) => s === 'healthy'),
      pending: states.every((s) => s !== 'other'),
    });
  }
  return found;
}

/** The private IPv4 address of the task's ENI (awsvpc), from DescribeTasks' attachment details. */
function ipOf(t: Task): string | undefined {
  for (const a of t.attachments ?? [])
    if (a.type === 'ElasticNetworkInterface')
      for (const d of a.details ?? []) if (d.name === 'privateIPv4Address' && d.value) return d.value;
  return undefined;
}

/** The host port the load balancer's container port is bound to (bridge and host network modes). */
function hostPort(t: Task, lb: LoadBalancer): number | undefined {
  const c = t.containers?.find((x) => x.name === lb.containerName);
  return c?.networkBindings?.find((b) => b.containerPort === lb.containerPort)?.hostPort;
}

function toTaskView(t: Task): TaskView {
  return {
    taskArn: t.taskArn ?? '',
    taskDefinition: t.taskDefinitionArn ?? '',
    lastStatus: t.lastStatus ?? '',
    desiredStatus: t.desiredStatus ?? '',
    healthStatus: t.healthStatus,
    stoppedReason: t.stoppedReason,
    stopCode: t.stopCode,
    ...(t.version !== undefined ? { version: t.version } : {}),
    ...(t.stoppedAt ? { stoppedAt: t.stoppedAt.getTime() } : {}),
    ...(t.startedAt ? { startedAt: t.startedAt.getTime() } : {}),
    containers: (t.containers ?? []).map((c) => ({
      name: c.name ?? '',
      exitCode: c.exitCode ?? undefined,
      reason: c.reason,
    })),
  };
}

async function revisionHasHealthCheck(
  clients: Clients,
  memory: ObserveMemory,
  taskDefinition: string,
): Promise<boolean> {
  const cached = memory.healthChecks.get(taskDefinition);
  if (cached !== undefined) return cached;
  const out = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
  const has = withHealthCheck(out.taskDefinition);
  memory.healthChecks.set(taskDefinition, has);
  return has;
}

/** A metric alarm's fastest firing (a composite's is its children's: not told), and its target groups. */
const fireOf = (a: MetricAlarm | CompositeAlarm): { fireMs?: number; targetGroups?: string[] } => {
  if (!('EvaluationPeriods' in a)) return {};
  const fireMs = fastestFireMs(a);
  const targetGroups = targetGroupsOf(a);
  return {
    ...(fireMs === undefined ? {} : { fireMs }),
    ...(targetGroups.length > 0 ? { targetGroups } : {}),
  };
};

/** Gate alarms by name, or by prefix when the pattern ends in `*`. */
export async function gateAlarms(clients: Clients, patterns: string[]): Promise<AlarmView[]> {
  if (patterns.length === 0) return [];
  const names = patterns.filter((p) => !p.endsWith('*'));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  const found = new Map<string, AlarmView>();
  const add = (alarms: (MetricAlarm | CompositeAlarm)[] | undefined) => {
    for (const a of alarms ?? []) {
      if (!a.AlarmName) continue;
      found.set(a.AlarmName, {
        name: a.AlarmName,
        state: (a.StateValue ?? 'INSUFFICIENT_DATA') as AlarmView['state'],
        reason: a.StateReason ?? '',
        ...(a.StateUpdatedTimestamp ? { at: a.StateUpdatedTimestamp.getTime() } : {}),
        ...(a.StateTransitionedTimestamp ? { began: a.StateTransitionedTimestamp.getTime() } : {}),
        ...fireOf(a),
      });
    }
  };
  const queries = [
    ...chunks(names, 100).map((AlarmNames) => ({ AlarmNames })),
    ...prefixes.map((AlarmNamePrefix) => ({ AlarmNamePrefix })),
  ];
  for (const query of queries) {
    for await (const page of alarmPages(clients, {
      ...query,
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    })) {
      add(page.MetricAlarms);
      add(page.CompositeAlarms);
    }
  }
  return [...found.values()];
}

/** The scaling rules' alarms with their latest datapoint, and any other owner of the count. */
async function scalingObservation(
  clients: Clients,
  memory: ObserveMemory,
  target: TargetConfig,
): Promise<Pick<Observation, 'scalingAlarms' | 'externalScaler'>> {
  const names = target.scaling!.rules.map((r) => r.alarm);
  const scalingAlarms: AlarmReading[] = [];
  for (const AlarmNames of chunks(names, 100)) {
    for await (const out of alarmPages(clients, { AlarmNames, AlarmTypes: ['MetricAlarm'] })) {
      for (const a of out.MetricAlarms ?? []) {
        if (!a.AlarmName) continue;
        scalingAlarms.push({
          name: a.AlarmName,
          state: (a.StateValue ?? 'INSUFFICIENT_DATA') as AlarmReading['state'],
          ...latestDatapoint(a),
        });
      }
    }
  }
  return { scalingAlarms, externalScaler: await scalableTarget(clients, memory, target) };
}

/**
 * Which of the scaling rules' alarms `names` are in ALARM now: one DescribeAlarms per 100 names,
 * asking for ALARM only (`StateValue`), so an answer is short however many alarms there are. The
 * sweep's repair of a scaling alarm whose ALARM event was lost (lib/pipeline.ts onTick).
 */
export async function scalingAlarmsInAlarm(clients: Clients, names: string[]): Promise<Set<string>> {
  const firing = new Set<string>();
  for (const AlarmNames of chunks([...new Set(names)], 100)) {
    for await (const out of alarmPages(clients, {
      AlarmNames,
      AlarmTypes: ['MetricAlarm'],
      StateValue: 'ALARM',
    })) {
      for (const a of out.MetricAlarms ?? [])
        if (a.AlarmName && a.StateValue === 'ALARM') firing.add(a.AlarmName);
    }
  }
  return firing;
}

/** Every page of one DescribeAlarms query, following NextToken. */
async function* alarmPages(
  clients: Clients,
  query: {
    AlarmNames?: string[];
    AlarmNamePrefix?: string;
    AlarmTypes: ('MetricAlarm' | 'CompositeAlarm')[];
    StateValue?: 'ALARM';
  },
) {
  let NextToken: string | undefined;
  do {
    const out = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ ...query, MaxRecords: 100, NextToken }),
    );
    yield out;
    NextToken = out.NextToken;
  } while (NextToken);
}

/** `xs` in runs of at most `size`: chunks([1,2,3], 2) is [[1,2],[3]]; chunks([], 2) is []. */
function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** The newest datapoint the alarm judged, from its StateReasonData (`recentDatapoints`), and its threshold. */
function latestDatapoint(a: MetricAlarm): { value?: number; threshold?: number } {
  try {
    const data = JSON.parse(a.StateReasonData ?? '{}') as { recentDatapoints?: number[]; threshold?: number };
    const value = data.recentDatapoints?.at(-1);
    const threshold = a.Threshold ?? data.threshold;
    return { ...(value !== undefined ? { value } : {}), ...(threshold !== undefined ? { threshold } : {}) };
  } catch {
    return a.Threshold !== undefined ? { threshold: a.Threshold } : {};
  }
}

async function scalableTarget(
  clients: Clients,
  memory: ObserveMemory,
  target: TargetConfig,
): Promise<string | undefined> {
  const resourceId = `service/${target.cluster}/${target.service}`;
  const cached = memory.scalableTargets.get(resourceId);
  const now = memory.now();
  if (cached && now - cached.at < SCALABLE_TARGET_RECHECK_MS) return cached.found;
  const out = await clients.applicationAutoScaling.send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: 'ecs',
      ResourceIds: [resourceId],
      ScalableDimension: 'ecs:service:DesiredCount',
    }),
  );
  const t = out.ScalableTargets?.[0];
  const found = t
    ? `Application Auto Scaling has a scalable target on ${resourceId} (min ${t.MinCapacity}, max ${t.MaxCapacity}); deregister it or remove this target's scaling section`
    : undefined;
  memory.scalableTargets.set(resourceId, { at: now, found });
  return found;
}

/**
 * Task definitions as DescribeTaskDefinition returned them (with their tags), by ARN, for one
 * reconcile: a push describes the service's revision to check its containers, to look for the
 * digest tag and to clone it, three calls for one answer. A revision's containers never change
 * ("task definitions are immutable", RegisterTaskDefinition), and its digest tag is written with it
 * (the tags of RegisterTaskDefinition), so within one reconcile the first answer stands for all.
 * Keyed by ARN, and by family for the family's newest revision (describeRunning), which the
 * reconcile's own registration replaces (lib/act.ts): a lost race that decides again must find the
 * revision it registered, not register another.
 */
export type TaskDefinitions = Map<string, TaskDefinitionAnswer>;

/** What DescribeTaskDefinition (with TAGS) and RegisterTaskDefinition both answer. */
export type TaskDefinitionAnswer = Pick<DescribeTaskDefinitionCommandOutput, 'taskDefinition' | 'tags'>;

/** DescribeTaskDefinition with its tags, once per ARN for the holder of `known`. */
export async function describeTaskDefinition(
  clients: Clients,
  taskDefinition: string,
  known: TaskDefinitions = new Map(),
): Promise<TaskDefinitionAnswer> {
  const had = known.get(taskDefinition);
  if (had) return had;
  const out = await clients.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }),
  );
  known.set(taskDefinition, out);
  if (out.taskDefinition?.taskDefinitionArn) known.set(out.taskDefinition.taskDefinitionArn, out);
  return out;
}

/** Whether an essential container of the revision has a container health check (ECS then reports HEALTHY). */
export function withHealthCheck(td: TaskDefinition | undefined): boolean {
  return (td?.containerDefinitions ?? []).some((c) => c.essential !== false && !!c.healthCheck);
}

/**
 * The family's newest ACTIVE revision (DescribeTaskDefinition by family: "the latest ACTIVE
 * revision", API reference), or undefined when it has none (all deregistered: ECS answers
 * ClientException, and a service may still run an INACTIVE revision).
 */
async function describeNewest(
  clients: Clients,
  family: string,
  known: TaskDefinitions,
): Promise<TaskDefinitionAnswer | undefined> {
  try {
    return await describeTaskDefinition(clients, family, known);
  } catch (e) {
    if ((e as Error).name === 'ClientException') return undefined;
    throw e;
  }
}

/**
 * The revision a service runs, with its tags, read as the family's newest when it is that one (a
 * service usually runs its family's newest revision): the same answer then tells a push's digest
 * check (findRevisionByDigest) that nothing was registered after it, with no ListTaskDefinitions.
 * Otherwise the revision itself is described too.
 *   runs web:7, the family's newest is web:7   -> web:7, one call
 *   runs web:6, the newest is web:7 (a rollback, a person's registration) -> web:6, two calls
 */
export async function describeRunning(
  clients: Clients,
  taskDefinition: string,
  known: TaskDefinitions = new Map(),
): Promise<TaskDefinitionAnswer> {
  const newest = await describeNewest(clients, familyOf(taskDefinition), known);
  if (newest?.taskDefinition?.taskDefinitionArn === taskDefinition) return newest;
  return describeTaskDefinition(clients, taskDefinition, known);
}

/** Whether a revision carries the digest tag of `digest` (written by its registration). */
function taggedWith(answer: TaskDefinitionAnswer | undefined, digest: string): boolean {
  return answer?.tags?.some((t) => t.key === DIGEST_TAG && t.value === digest) === true;
}

/**
 * The revision registered already for `image` that this service may run, looked for by its digest
 * tag: a retried push registers nothing twice, and a digest rolled out before runs its own revision
 * again (one revision per digest and source). A revision carrying the digest tag is taken only when
 * it is what this push would register: a clone of `from` (the service's revision) with the target
 * container (`container`, or the only one) running the image. Two services of one family may run
 * different revisions (prod/web on web:1, staging/web on web:2 with a sidecar): a clone of web:1 is
 * no clone of web:2, though both carry the digest. A tagged revision is a clone of `from` when
 *   - it is `from` itself (the service runs it already);
 *   - its cloned-from tag names `from` (lib/revision.ts cloneForImage): no call more;
 *   - else (cloned from another revision: an older one of this service's, the digest's own revision
 *     from before a newer release, or another service's; or registered before the cloned-from tag,
 *     with none) when its definition is `from`'s, the target container's image apart
 *     (sameApartFromImage: `from` described once, and registerRevision needs it next anyway).
 * The family's newest revision first: a push retried after registering finds its own there. A clone
 * of `from` is registered after it, so when the newest is `from` itself none exists; only a digest
 * the service rolled out before (`seenBefore`: its record's history and bad digests name it) may
 * have its own older revision that is what a clone of `from` would be, and only then are older ones
 * listed. Otherwise the newest five are looked at, for a new digest down to `from` (older ones
 * cannot be its clones).
 *   newest web:8 tagged, cloned from from=web:7          -> web:8 (one DescribeTaskDefinition)
 *   newest web:7 = from, not tagged, a new digest        -> none (one DescribeTaskDefinition, often in hand)
 *   newest web:7 = from, not tagged, seen before (web:5) -> web:5 when it equals web:7 apart from the
 *                                                          image (listed: a tag moved back, a re-push);
 *                                                          none when web:6 changed more (a person's)
 *   newest web:9 (a person's), web:8 tagged, from web:7  -> web:8 (listed)
 *   newest web:3 tagged, cloned from web:1, from=web:2   -> none: another service's clone (listed: web:2
 *     (staging's revision with a sidecar)                   is from, not tagged; web:1 is older than from)
 */
export async function findRevisionByDigest(
  clients: Clients,
  from: string,
  image: Pick<ImageRef, 'digest' | 'uri'>,
  container: string | undefined,
  known: TaskDefinitions = new Map(),
  seenBefore = true,
): Promise<string | undefined> {
  const family = familyOf(from);
  const cloneOfFrom = async (answer: TaskDefinitionAnswer | undefined): Promise<boolean> => {
    const td = answer?.taskDefinition;
    if (!td || !taggedWith(answer, image.digest) || !runsImage(td, container, image)) return false;
    if (td.taskDefinitionArn === from) return true;
    const source = answer?.tags?.find((t) => t.key === CLONED_FROM_TAG)?.value;
    if (source === shortRevision(from)) return true;
    const base = (await describeTaskDefinition(clients, from, known)).taskDefinition;
    return base !== undefined && sameApartFromImage(td, base, container);
  };
  const newest = await describeNewest(clients, family, known);
  const newestArn = newest?.taskDefinition?.taskDefinitionArn;
  if (await cloneOfFrom(newest)) return newestArn;
  if (newestArn === from && !seenBefore) return undefined;
  const list = await clients.ecs.send(
    new ListTaskDefinitionsCommand({
      familyPrefix: family,
      sort: 'DESC',
      maxResults: 5,
      status: 'ACTIVE',
    }),
  );
  for (const arn of list.taskDefinitionArns ?? []) {
    if (familyOf(arn) !== family || arn === newestArn) continue;
    if (!seenBefore && revisionNumber(arn) < revisionNumber(from)) break;
    if (await cloneOfFrom(await describeTaskDefinition(clients, arn, known))) return arn;
  }
  return undefined;
}
