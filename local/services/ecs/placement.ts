/**
 * Task placement for the local ECS (EC2 launch type), as pure functions.
 *
 * Sources (Amazon ECS Developer Guide):
 * - "How Amazon ECS places tasks on container instances"
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html) and "Amazon ECS task placement
 *   strategies" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html):
 *   "When Amazon ECS places tasks, it uses the following process to select container instances:
 *    1. Identify the container instances that satisfy the CPU, GPU, memory, and port requirements in the task
 *       definition. 2. Identify the container instances that satisfy the task placement constraints.
 *    3. Identify the container instances that satisfy the task placement strategies. 4. Select the container
 *       instances for task placement." Strategies are best effort; constraints are binding.
 *   - binpack: "the least available amount of CPU or memory"; valid fields `cpu`, `memory`.
 *   - spread: "evenly based on the specified value": `instanceId` (or `host`, same effect) or any platform or custom
 *     attribute such as `attribute:ecs.availability-zone`. "Service tasks are spread based on the tasks from that
 *     service. Standalone tasks are spread based on the tasks from the same task group."
 *   - random: "Place tasks randomly."
 *   - Several strategies apply in order, e.g. spread on AZ then binpack on memory "within each Availability Zone".
 *   - Default for services: "For tasks running as part of an Amazon ECS service, the task placement strategy is
 *     spread using the attribute:ecs.availability-zone." "Update Amazon ECS service parameters"
 *     (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/update-service-parameters.html) details it: sort
 *     by the fewest running tasks of the service in the instance's AZ, then place "favoring container instances with
 *     the fewest number of running tasks for this service" — i.e. spread(attribute:ecs.availability-zone) then
 *     spread(instanceId), which is {@link SERVICE_DEFAULT_STRATEGY}.
 * - "Amazon ECS task placement constraints"
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html):
 *   `distinctInstance` places each task of the group on a different container instance; `memberOf` places tasks on
 *   instances that satisfy a cluster query language expression (see ./cluster-query.ts). Built-in attributes:
 *   ecs.ami-id, ecs.availability-zone, ecs.instance-type, ecs.os-type, ecs.cpu-architecture (plus ecs.vpc-id,
 *   ecs.subnet-id when given in `attributes`).
 * - "Service event messages" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html)
 *   for the failure wording; see {@link placementFailureMessage}.
 * - "API failure reasons" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html)
 *   for RunTask `failures[].reason` codes (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS, ...).
 *
 * Not documented, chosen here (and kept deterministic given `random`):
 * - Strategies narrow the candidate set one after another; whatever ties remain after the last strategy are
 *   broken with `random()` (it is called only when more than one candidate is left).
 * - spread counts tasks of the request's group over every instance passed in (full ones included), so an AZ whose
 *   instances are full still counts its tasks. Instances without the spread attribute share one bucket.
 * - The "closest matching" instance is the one that passes the most checks, in the documented order CPU, memory,
 *   ports, then the constraints in request order; ties go to the first in input order. Its first failing check
 *   names the failure.
 * - With no strategy and a group that is not `service:*` (a standalone task), `random` is used; the guide does
 *   not state a default for standalone tasks.
 */
import { type ClusterQuery, compileClusterQuery, type QueryTarget } from './cluster-query.ts';

// ---------------------------------------------------------------------------------------------------------------
// Contract

/**
 * An instance as placement sees it: what the cluster query language selects on (QueryTarget: its
 * attributes, custom and built-in, the group of each task on it, e.g. 'service:web', and the optional
 * fields beyond the contract; `runningTasksCount` defaults to taskGroups.length), and its room.
 */
export interface InstanceView extends QueryTarget {
  arn: string;
  /** Container instance id, as used in service event messages. */
  id: string;
  availabilityZone: string;
  instanceType: string;
  remaining: { cpu: number; memory: number };
  usedHostPorts: number[];
}

export interface PlacementStrategy {
  type: 'binpack' | 'spread' | 'random';
  field?: string;
}

export interface PlacementConstraint {
  type: 'distinctInstance' | 'memberOf';
  expression?: string;
}

export interface PlacementRequest {
  cpu: number;
  memory: number;
  /** Fixed host ports; 0 = dynamic, not listed (ignored if present). */
  hostPorts: number[];
  group: string;
  strategy: PlacementStrategy[];
  constraints: PlacementConstraint[];
}

/** Why a task could not be placed. */
export type PlacementFailureCause =
  | { kind: 'no-instances' }
  | { kind: 'cpu' | 'memory' | 'ports'; instanceId: string }
  | { kind: 'constraint'; constraint: 'MemberOf' | 'DistinctInstance'; instanceId: string };

export type PlacementResult =
  | { ok: true; instance: InstanceView }
  | {
      ok: false;
      /**
       * For a service (group `service:<name>`): the service event message ECS writes. For a standalone task: the
       * RunTask `failures[].reason` (e.g. `RESOURCE:MEMORY`), or the InvalidParameterException message when the
       * cluster has no container instances.
       */
      reason: string;
      cause?: PlacementFailureCause;
      /** The closest matching instance, when there was any instance. */
      closest?: InstanceView;
    };

// ---------------------------------------------------------------------------------------------------------------
// Defaults and validation

/** ECS's default for service tasks (see the header): spread across AZs, then across instances. */
export const SERVICE_DEFAULT_STRATEGY: readonly PlacementStrategy[] = Object.freeze([
  Object.freeze({ type: 'spread' as const, field: 'attribute:ecs.availability-zone' }),
  Object.freeze({ type: 'spread' as const, field: 'instanceId' }),
]);

/** Used for standalone tasks given no strategy (not documented; see the header). */
export const STANDALONE_DEFAULT_STRATEGY: readonly PlacementStrategy[] = Object.freeze([
  Object.freeze({ type: 'random' as const }),
]);

/** API limits: CreateService/RunTask accept at most 5 strategy rules and 10 constraints; expressions ≤ 2000 chars. */
export const MAX_STRATEGIES = 5;
export const MAX_CONSTRAINTS = 10;
export const MAX_EXPRESSION_LENGTH = 2000;

export function isServiceGroup(group: string): boolean {
  return group.startsWith('service:');
}

export function effectiveStrategy(
  req: Pick<PlacementRequest, 'strategy' | 'group'>,
): readonly PlacementStrategy[] {
  if (req.strategy.length > 0) return req.strategy;
  return isServiceGroup(req.group) ? SERVICE_DEFAULT_STRATEGY : STANDALONE_DEFAULT_STRATEGY;
}

type StrategyRule =
  | { type: 'binpack'; resource: 'cpu' | 'memory' }
  | { type: 'spread'; by: { kind: 'instance' } | { kind: 'attribute'; name: string } }
  | { type: 'random' };

type ConstraintRule = { type: 'distinctInstance' } | { type: 'memberOf'; query: ClusterQuery };

interface Prepared {
  req: PlacementRequest;
  ports: number[];
  strategies: StrategyRule[];
  constraints: ConstraintRule[];
}

/**
 * Checks strategies and constraints and compiles memberOf expressions. Throws an Error naming the problem (the ECS
 * model turns it into InvalidParameterException); cluster query errors are ClusterQueryError.
 */
export function validatePlacement(req: Pick<PlacementRequest, 'strategy' | 'constraints' | 'group'>): void {
  prepareRules(req);
}

function prepareRules(req: Pick<PlacementRequest, 'strategy' | 'constraints' | 'group'>): {
  strategies: StrategyRule[];
  constraints: ConstraintRule[];
} {
  if (req.strategy.length > MAX_STRATEGIES) {
    throw new Error(
      `You can specify a maximum of ${MAX_STRATEGIES} placement strategies; got ${req.strategy.length}.`,
    );
  }
  if (req.constraints.length > MAX_CONSTRAINTS) {
    throw new Error(
      `You can specify a maximum of ${MAX_CONSTRAINTS} placement constraints; got ${req.constraints.length}.`,
    );
  }
  const strategies = effectiveStrategy(req).map(strategyRule);
  const constraints = req.constraints.map(constraintRule);
  return { strategies, constraints };
}

function strategyRule(s: PlacementStrategy): StrategyRule {
  switch (s.type) {
    case 'binpack': {
      const field = s.field?.toLowerCase();
      if (field !== 'cpu' && field !== 'memory') {
        throw new Error(
          `Invalid placement strategy field '${s.field ?? ''}' for binpack: expected cpu or memory.`,
        );
      }
      return { type: 'binpack', resource: field };
    }
    case 'spread': {
      const field = s.field ?? '';
      if (field.toLowerCase() === 'instanceid' || field.toLowerCase() === 'host') {
        return { type: 'spread', by: { kind: 'instance' } };
      }
      if (field.startsWith('attribute:') && field.length > 'attribute:'.length) {
        return { type: 'spread', by: { kind: 'attribute', name: field.slice('attribute:'.length) } };
      }
      throw new Error(
        `Invalid placement strategy field '${field}' for spread: expected instanceId, host or attribute:<name>.`,
      );
    }
    case 'random':
      return { type: 'random' };
    default:
      throw new Error(`Invalid placement strategy type '${(s as { type: string }).type}'.`);
  }
}

function constraintRule(c: PlacementConstraint): ConstraintRule {
  switch (c.type) {
    case 'distinctInstance':
      if (c.expression)
        throw new Error('You cannot specify an expression if the constraint type is distinctInstance.');
      return { type: 'distinctInstance' };
    case 'memberOf': {
      if (!c.expression?.trim()) throw new Error('A memberOf placement constraint needs an expression.');
      if (c.expression.length > MAX_EXPRESSION_LENGTH) {
        throw new Error(
          `Placement constraint expressions are limited to ${MAX_EXPRESSION_LENGTH} characters.`,
        );
      }
      return { type: 'memberOf', query: compileClusterQuery(c.expression) };
    }
    default:
      throw new Error(`Invalid placement constraint type '${(c as { type: string }).type}'.`);
  }
}

function prepare(req: PlacementRequest): Prepared {
  const { strategies, constraints } = prepareRules(req);
  return { req, ports: [...new Set(req.hostPorts.filter((p) => p > 0))], strategies, constraints };
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes

/** ECS's built-in attributes for an instance, merged with its own. The view's AZ and type always win. */
export function instanceAttributes(
  v: Pick<InstanceView, 'instanceType' | 'availabilityZone' | 'attributes'>,
): Record<string, string> {
  return {
    'ecs.os-type': 'linux',
    'ecs.os-family': 'LINUX',
    'ecs.cpu-architecture': guessCpuArchitecture(v.instanceType),
    ...v.attributes,
    'ecs.instance-type': v.instanceType,
    'ecs.availability-zone': v.availabilityZone,
  };
}

/** Graviton families (a1, t4g, m6g, c7gn, g5g, ...) are arm64; the rest x86_64. Overridden by attributes. */
function guessCpuArchitecture(instanceType: string): string {
  return /^(?:a1|[a-z]+\d+g[a-z]*)\./.test(instanceType) ? 'arm64' : 'x86_64';
}

/** The cluster-query view of an instance. */
export function queryTarget(v: InstanceView): QueryTarget {
  return {
    attributes: instanceAttributes(v),
    taskGroups: v.taskGroups,
    ec2InstanceId: v.ec2InstanceId ?? (v.id.startsWith('i-') ? v.id : undefined),
    agentConnected: v.agentConnected,
    agentVersion: v.agentVersion,
    registeredAt: v.registeredAt,
    runningTasksCount: v.runningTasksCount ?? v.taskGroups.length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

export const TROUBLESHOOTING_SENTENCE =
  'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

/**
 * The service event ECS writes when it cannot place a task ("Service event messages" in the guide):
 *
 *   service <name> was unable to place a task because no container instance met all of its requirements.
 *   The closest matching container-instance <id> has insufficient memory available. For more information, see the
 *   Troubleshooting section of the Amazon ECS Developer Guide.
 *
 * Variants: "has insufficient CPU units available", "is already using a port required by your task",
 * `encountered error "MemberOf placement constraint unsatisfied.".`, and with no instances
 * "Reason: No Container Instances were found in your cluster.". Older events end with just "For more information,
 * see the Troubleshooting section."; current ones (2023 onward) add "of the Amazon ECS Developer Guide".
 */
export function placementFailureMessage(serviceName: string, cause: PlacementFailureCause): string {
  const head = `service ${serviceName} was unable to place a task because no container instance met all of its requirements.`;
  const closest = (id: string) => `The closest matching container-instance ${id}`;
  switch (cause.kind) {
    case 'no-instances':
      return `${head} Reason: No Container Instances were found in your cluster. ${TROUBLESHOOTING_SENTENCE}`;
    case 'cpu':
      return `${head} ${closest(cause.instanceId)} has insufficient CPU units available. ${TROUBLESHOOTING_SENTENCE}`;
    case 'memory':
      return `${head} ${closest(cause.instanceId)} has insufficient memory available. ${TROUBLESHOOTING_SENTENCE}`;
    case 'ports':
      return `${head} ${closest(cause.instanceId)} is already using a port required by your task. ${TROUBLESHOOTING_SENTENCE}`;
    case 'constraint':
      return `${head} ${closest(cause.instanceId)} encountered error "${cause.constraint} placement constraint unsatisfied.". ${TROUBLESHOOTING_SENTENCE}`;
  }
}

/**
 * RunTask's `failures[].reason` for a standalone task ("API failure reasons"); for no instances at all, RunTask
 * instead throws InvalidParameterException with "No Container Instances were found in your cluster.".
 */
export function runTaskFailureReason(cause: PlacementFailureCause): string {
  switch (cause.kind) {
    case 'no-instances':
      return 'No Container Instances were found in your cluster.';
    case 'cpu':
      return 'RESOURCE:CPU';
    case 'memory':
      return 'RESOURCE:MEMORY';
    case 'ports':
      return 'RESOURCE:PORTS';
    case 'constraint':
      return `${cause.constraint} placement constraint unsatisfied.`;
  }
}

function failureReason(group: string, cause: PlacementFailureCause): string {
  return isServiceGroup(group)
    ? placementFailureMessage(group.slice('service:'.length), cause)
    : runTaskFailureReason(cause);
}

// ---------------------------------------------------------------------------------------------------------------
// Placement

/** Places one task. Throws on an invalid request (bad strategy field, bad memberOf expression). */
export function placeTask(
  instances: InstanceView[],
  req: PlacementRequest,
  random: () => number,
): PlacementResult {
  const prepared = prepare(req);
  const picked = placeOne(instances, prepared, random);
  if ('index' in picked) return { ok: true, instance: instances[picked.index]! };
  return failure(instances, req.group, picked);
}

/**
 * Places `count` copies one after another. Between placements, a copy of the views is updated (remaining cpu and
 * memory, used host ports, task groups), so later copies see earlier ones. Each result's `instance` is the
 * caller's original view object; the caller's views are not modified.
 */
export function placeTasks(
  instances: InstanceView[],
  req: PlacementRequest,
  count: number,
  random: () => number,
): PlacementResult[] {
  const prepared = prepare(req);
  const views = instances.map(cloneView);
  const results: PlacementResult[] = [];
  for (let n = 0; n < count; n++) {
    const picked = placeOne(views, prepared, random);
    if ('index' in picked) {
      views[picked.index] = applyPlacement(views[picked.index]!, req);
      results.push({ ok: true, instance: instances[picked.index]! });
    } else {
      results.push(failure(instances, req.group, picked));
    }
  }
  return results;
}

/** A copy of `view` with one task of `req` placed on it. */
export function applyPlacement(view: InstanceView, req: PlacementRequest): InstanceView {
  const next = cloneView(view);
  next.remaining = { cpu: view.remaining.cpu - req.cpu, memory: view.remaining.memory - req.memory };
  next.usedHostPorts = [...view.usedHostPorts, ...req.hostPorts.filter((p) => p > 0)];
  next.taskGroups = [...view.taskGroups, req.group];
  if (view.runningTasksCount !== undefined) next.runningTasksCount = view.runningTasksCount + 1;
  return next;
}

function cloneView(v: InstanceView): InstanceView {
  return {
    ...v,
    attributes: { ...v.attributes },
    remaining: { ...v.remaining },
    usedHostPorts: [...v.usedHostPorts],
    taskGroups: [...v.taskGroups],
  };
}

type Picked = { index: number } | { cause: PlacementFailureCause; closestIndex?: number };

function failure(instances: InstanceView[], group: string, picked: Exclude<Picked, { index: number }>) {
  const result: PlacementResult = {
    ok: false,
    reason: failureReason(group, picked.cause),
    cause: picked.cause,
  };
  if (picked.closestIndex !== undefined) result.closest = instances[picked.closestIndex]!;
  return result;
}

/** Runs the checks in documented order; returns how many passed and the first failure, if any. */
function check(
  view: InstanceView,
  p: Prepared,
): { passed: number; cause?: PlacementFailureCause & { instanceId: string } } {
  const instanceId = view.id;
  if (view.remaining.cpu < p.req.cpu) return { passed: 0, cause: { kind: 'cpu', instanceId } };
  if (view.remaining.memory < p.req.memory) return { passed: 1, cause: { kind: 'memory', instanceId } };
  if (p.ports.some((port) => view.usedHostPorts.includes(port))) {
    return { passed: 2, cause: { kind: 'ports', instanceId } };
  }
  let passed = 3;
  let target: QueryTarget | undefined;
  for (const c of p.constraints) {
    if (c.type === 'distinctInstance') {
      if (view.taskGroups.includes(p.req.group)) {
        return { passed, cause: { kind: 'constraint', constraint: 'DistinctInstance', instanceId } };
      }
    } else {
      target ??= queryTarget(view);
      if (!c.query.matches(target)) {
        return { passed, cause: { kind: 'constraint', constraint: 'MemberOf', instanceId } };
      }
    }
    passed++;
  }
  return { passed };
}

function placeOne(views: InstanceView[], p: Prepared, random: () => number): Picked {
  if (views.length === 0) return { cause: { kind: 'no-instances' } };

  const checks = views.map((v) => check(v, p));
  let pool = views.map((_, i) => i).filter((i) => !checks[i]!.cause);

  if (pool.length === 0) {
    let closest = 0;
    for (let i = 1; i < checks.length; i++) if (checks[i]!.passed > checks[closest]!.passed) closest = i;
    return { cause: checks[closest]!.cause!, closestIndex: closest };
  }

  for (const s of p.strategies) {
    if (pool.length <= 1) break;
    pool = narrow(pool, s, views, p.req.group, random);
  }
  return { index: pool.length === 1 ? pool[0]! : pool[pick(random, pool.length)]! };
}

function pick(random: () => number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.floor(random() * n)));
}

/** Keeps the candidates a strategy prefers most. */
function narrow(
  pool: number[],
  s: StrategyRule,
  views: InstanceView[],
  group: string,
  random: () => number,
): number[] {
  switch (s.type) {
    case 'random':
      return [pool[pick(random, pool.length)]!];
    case 'binpack': {
      const left = (i: number) => views[i]!.remaining[s.resource];
      const least = Math.min(...pool.map(left));
      return pool.filter((i) => left(i) === least);
    }
    case 'spread': {
      const key = (v: InstanceView): string | undefined =>
        s.by.kind === 'instance' ? v.arn : instanceAttributes(v)[s.by.name];
      const tasksPerValue = new Map<string | undefined, number>();
      for (const v of views) {
        const k = key(v);
        const n = v.taskGroups.filter((g) => g === group).length;
        tasksPerValue.set(k, (tasksPerValue.get(k) ?? 0) + n);
      }
      const count = (i: number) => tasksPerValue.get(key(views[i]!)) ?? 0;
      const fewest = Math.min(...pool.map(count));
      return pool.filter((i) => count(i) === fewest);
    }
  }
}
