/**
 * The pipeline's ECS and CloudWatch adapter: observe a managed service, and perform the actions
 * `decide()` asks for. Every action is safe to repeat: UpdateService to absolute values,
 * CreateService with a clientToken, RegisterTaskDefinition only after looking for a revision
 * already tagged with the digest.
 */
import { createHash } from 'node:crypto';
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { type CompositeAlarm, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Clients } from './aws.ts';
import { canaryServiceName } from './canary.ts';
import { alignCanary, isRefusal, type SiblingSettings, siblingSettings } from './canary-sibling.ts';
import type { TargetConfig } from './config.ts';
import type { Action } from './decide.ts';
import { log } from './log.ts';
import type { AlarmView, DeploymentView, Observation, ServiceView, TaskView } from './observation.ts';
import { MISSING_SERVICE } from './observation.ts';
import type { ServiceRecord } from './record.ts';
import { RefusedError } from './refusal.ts';
import { cloneForImage, DIGEST_TAG, familyOf } from './revision.ts';
import type { AlarmReading } from './scaling.ts';

export { CANARY_SUFFIX, canaryServiceName } from './canary.ts';

export class UnknownServiceError extends Error {
  override name = 'UnknownServiceError';
}

export interface Observed {
  observation: Observation;
  /** The primary as ECS described it: the canary is created from it. */
  primary: Service;
}

/**
 * Revisions are immutable, so what we learn about one is cached for the life of the container: per
 * ECS client (one per container), so that two worlds sharing a process (a property run's cases, a
 * replayed case file) each make their own calls and a case replays alone as it ran among others.
 */
const healthCheckCache = new WeakMap<object, Map<string, boolean>>();

export async function observe(
  clients: Clients,
  target: TargetConfig,
  record: ServiceRecord,
  learned: { revisionForDigest?: string },
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
    revisionForDigest = await findRevisionByDigest(clients, rollout.fromTaskDefinition, rollout.image.digest);
  }

  let tasks: TaskView[] = [];
  let hasHealthCheck = false;
  const watched = revision ?? revisionForDigest;
  // The new revision runs in the canary during canary steps, and in the primary too once promoted;
  // a rollback needs no tasks (it waits on the services' counts).
  if (rollout && watched && !rollout.rollingBack) {
    const promoted = (rollout.steps[rollout.stepIndex]?.percent ?? 100) >= 100;
    const services = [canary.exists ? canaryName : undefined, promoted ? target.service : undefined].filter(
      (s): s is string => !!s,
    );
    tasks = (await tasksOf(clients, target.cluster, services)).filter((t) => t.taskDefinition === watched);
    hasHealthCheck = await revisionHasHealthCheck(clients, watched);
  }
  const alarms = rollout ? await gateAlarms(clients, target.gateAlarms) : [];
  const scaling = target.scaling ? await scalingObservation(clients, target) : {};
  return {
    observation: { primary, canary, tasks, hasHealthCheck, alarms, revisionForDigest, ...scaling },
    primary: primaryRaw,
  };
}

function toServiceView(s: Service): ServiceView {
  return {
    exists: true,
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
  };
}

/** Running and recently stopped tasks of the services (ECS keeps stopped tasks visible for a while). */
async function tasksOf(clients: Clients, cluster: string, services: string[]): Promise<TaskView[]> {
  const arns: string[] = [];
  for (const serviceName of services) {
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      const out = await clients.ecs.send(
        new ListTasksCommand({ cluster, serviceName, desiredStatus, maxResults: 100 }),
      );
      arns.push(...(out.taskArns ?? []));
    }
  }
  const views: TaskView[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const out = await clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
    views.push(...(out.tasks ?? []).map(toTaskView));
  }
  return views;
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
    containers: (t.containers ?? []).map((c) => ({
      name: c.name ?? '',
      exitCode: c.exitCode ?? undefined,
      reason: c.reason,
    })),
  };
}

async function revisionHasHealthCheck(clients: Clients, taskDefinition: string): Promise<boolean> {
  const known = healthCheckCache.get(clients.ecs) ?? new Map<string, boolean>();
  healthCheckCache.set(clients.ecs, known);
  const cached = known.get(taskDefinition);
  if (cached !== undefined) return cached;
  const out = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
  const has = (out.taskDefinition?.containerDefinitions ?? []).some(
    (c) => c.essential !== false && !!c.healthCheck,
  );
  known.set(taskDefinition, has);
  return has;
}

/** Gate alarms by name, or by prefix when the pattern ends in `*`. */
async function gateAlarms(clients: Clients, patterns: string[]): Promise<AlarmView[]> {
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
      });
    }
  };
  for (let i = 0; i < names.length; i += 100) {
    const out = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNames: names.slice(i, i + 100),
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      }),
    );
    add(out.MetricAlarms);
    add(out.CompositeAlarms);
  }
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const out = await clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: prefix,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          NextToken: token,
        }),
      );
      add(out.MetricAlarms);
      add(out.CompositeAlarms);
      token = out.NextToken;
    } while (token);
  }
  return [...found.values()];
}

/** Application Auto Scaling targets seen per service, rechecked at most every 5 minutes per container (per client). */
const scalableTargetCache = new WeakMap<object, Map<string, { at: number; found?: string }>>();
const SCALABLE_TARGET_RECHECK_MS = 300_000;

/** The scaling rules' alarms with their latest datapoint, and any other owner of the count. */
async function scalingObservation(
  clients: Clients,
  target: TargetConfig,
): Promise<Pick<Observation, 'scalingAlarms' | 'externalScaler'>> {
  const names = target.scaling!.rules.map((r) => r.alarm);
  const scalingAlarms: AlarmReading[] = [];
  for (let i = 0; i < names.length; i += 100) {
    const out = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ['MetricAlarm'] }),
    );
    for (const a of out.MetricAlarms ?? []) {
      if (!a.AlarmName) continue;
      scalingAlarms.push({
        name: a.AlarmName,
        state: (a.StateValue ?? 'INSUFFICIENT_DATA') as AlarmReading['state'],
        ...latestDatapoint(a),
      });
    }
  }
  return { scalingAlarms, externalScaler: await scalableTarget(clients, target) };
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

async function scalableTarget(clients: Clients, target: TargetConfig): Promise<string | undefined> {
  const resourceId = `service/${target.cluster}/${target.service}`;
  const seen = scalableTargetCache.get(clients.applicationAutoScaling) ?? new Map();
  scalableTargetCache.set(clients.applicationAutoScaling, seen);
  const cached = seen.get(resourceId);
  const now = Date.now();
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
  seen.set(resourceId, { at: now, found });
  return found;
}

/** The newest revisions of the family, looked at for the digest tag: a retried push registers nothing twice. */
async function findRevisionByDigest(
  clients: Clients,
  from: string,
  digest: string,
): Promise<string | undefined> {
  const list = await clients.ecs.send(
    new ListTaskDefinitionsCommand({
      familyPrefix: familyOf(from),
      sort: 'DESC',
      maxResults: 5,
      status: 'ACTIVE',
    }),
  );
  for (const arn of list.taskDefinitionArns ?? []) {
    if (familyOf(arn) !== familyOf(from)) continue;
    const out = await clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
    );
    if (out.tags?.some((t) => t.key === DIGEST_TAG && t.value === digest)) return arn;
  }
  return undefined;
}

/** Performs one action. Returns what was learned (a registered revision). */
export async function act(
  clients: Clients,
  target: TargetConfig,
  primary: Service,
  action: Action,
): Promise<{ revisionForDigest?: string }> {
  switch (action.type) {
    case 'registerRevision': {
      const existing = await findRevisionByDigest(clients, action.from, action.image.digest);
      if (existing) return { revisionForDigest: existing };
      const current = await clients.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: action.from, include: ['TAGS'] }),
      );
      if (!current.taskDefinition) throw new Error(`task definition ${action.from} was not found`);
      const input = cloneForImage(current.taskDefinition, current.tags, action.container, action.image);
      const out = await clients.ecs.send(new RegisterTaskDefinitionCommand(input));
      return { revisionForDigest: out.taskDefinition?.taskDefinitionArn };
    }
    case 'setCanary':
      await setCanary(clients, target, primary, action.taskDefinition, action.desiredCount);
      return {};
    case 'setPrimary':
      await clients.ecs.send(
        new UpdateServiceCommand({
          cluster: target.cluster,
          service: target.service,
          taskDefinition: action.taskDefinition,
          ...(action.allAtOnce
            ? {
                // All at once: every new task starts before an old one stops.
                deploymentConfiguration: {
                  ...primary.deploymentConfiguration,
                  maximumPercent: 200,
                  minimumHealthyPercent: 100,
                },
              }
            : {}),
        }),
      );
      return {};
    case 'setCount':
      await clients.ecs.send(
        new UpdateServiceCommand({
          cluster: target.cluster,
          service: target.service,
          desiredCount: action.desiredCount,
        }),
      );
      return {};
  }
}

async function setCanary(
  clients: Clients,
  target: TargetConfig,
  primary: Service,
  taskDefinition: string,
  desiredCount: number,
) {
  const serviceName = canaryServiceName(target.service);
  const described = await clients.ecs.send(
    new DescribeServicesCommand({ cluster: target.cluster, services: [serviceName] }),
  );
  const existing = described.services?.find((s) => s.status === 'ACTIVE');
  if (existing) {
    // A true sibling: brought in line with the primary as it is now (lib/canary-sibling.ts).
    const aligned = desiredCount > 0 ? alignCanary(target.cluster, existing, canarySettings(primary)) : {};
    if (aligned.recreate) log.warn('canary.unaligned', { service: serviceName, reason: aligned.recreate });
    if (
      existing.taskDefinition === taskDefinition &&
      existing.desiredCount === desiredCount &&
      !aligned.update
    )
      return;
    const { cluster: _cluster, service: _service, ...changes } = aligned.update ?? { service: serviceName };
    if (aligned.update) log.info('canary.aligned', { service: serviceName, ...changes });
    await clients.ecs.send(
      new UpdateServiceCommand({
        ...changes,
        cluster: target.cluster,
        service: serviceName,
        taskDefinition,
        desiredCount,
      }),
    );
    return;
  }
  if (desiredCount === 0) return;
  await clients.ecs.send(
    new CreateServiceCommand(canaryServiceInput(target, primary, taskDefinition, desiredCount)),
  );
}

/** The primary's settings a canary copies, or the push is refused with why (lib/refusal.ts checks first). */
function canarySettings(primary: Service): SiblingSettings {
  const sibling = siblingSettings(primary);
  if (isRefusal(sibling)) throw new RefusedError(sibling.reason);
  return sibling;
}

/**
 * The canary is a sibling of the primary: same cluster, network, load balancer target groups,
 * capacity, placement and tags, so it takes its share of the primary's traffic. Its own
 * circuit breaker is off: the pipeline watches it, faster.
 */
export function canaryServiceInput(
  target: TargetConfig,
  primary: Service,
  taskDefinition: string,
  desiredCount: number,
): CreateServiceCommandInput {
  const serviceName = canaryServiceName(target.service);
  const sibling = canarySettings(primary);
  const tags = (primary.tags ?? []).filter(
    (t) => t.key && !t.key.startsWith('aws:') && !t.key.startsWith('ecs-autopilot:'),
  );
  return {
    cluster: target.cluster,
    serviceName,
    taskDefinition,
    desiredCount,
    // Same token for the same canary and revision: a retried create returns the service instead of a second one.
    clientToken: createHash('sha256')
      .update(`${target.cluster}/${serviceName}/${taskDefinition}`)
      .digest('hex')
      .slice(0, 32),
    // Network, load balancers, capacity, placement, Cloud Map, Service Connect (as a client), volumes.
    ...sibling,
    ...(sibling.serviceRegistries.length === 0 && { serviceRegistries: undefined }),
    ...(sibling.volumeConfigurations.length === 0 && { volumeConfigurations: undefined }),
    healthCheckGracePeriodSeconds: primary.healthCheckGracePeriodSeconds,
    enableECSManagedTags: primary.enableECSManagedTags,
    propagateTags: primary.propagateTags,
    enableExecuteCommand: primary.enableExecuteCommand,
    schedulingStrategy: 'REPLICA',
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    },
    tags: [
      ...tags,
      { key: 'ecs-autopilot:role', value: 'canary' },
      { key: 'ecs-autopilot:primary', value: target.service },
    ],
  };
}
