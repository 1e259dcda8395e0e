/**
 * The EventBridge rules that wake the pipeline, as narrow as the config allows: only the
 * configured repositories, only the managed clusters, services and canaries, only the task states
 * that matter, only the gate alarms. One definition serves serverless.yml (lib/deploy-config.ts,
 * with CloudFormation ARNs) and the local world (literal ARNs).
 */
import { canaryServiceName } from './canary-service.ts';
import { type Config, sweepMsOf } from './config.ts';
import { isEcsStrategy } from './ecs-strategy.ts';

export type FunctionKey = 'ecrPush' | 'ecsEvent' | 'alarm' | 'tick';

export interface RuleSpec {
  /** Suffix of the rule's name. */
  name: string;
  function: FunctionKey;
  description: string;
  pattern?: Record<string, unknown>;
  schedule?: string;
  /**
   * Delivered through the task event queue (lib/task-queue.ts), which `function` reads in batches,
   * instead of invoking the function once per event.
   */
  via?: 'task-queue';
}

/** Task states that matter to a rollout: a task came up, or stopped. */
export const TASK_STATES = ['RUNNING', 'STOPPED'];
/**
 * A task's states up to its stopping (ECS Developer Guide, "Task lifecycle"): the first event that
 * says ECS will stop a failing task comes in whichever of them the task was (RUNNING, or already
 * DEACTIVATING or STOPPING); DEPROVISIONING and STOPPED come later, through the queue.
 */
export const BEFORE_DEPROVISIONING = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
];
/** Stop codes of tasks that failed (lib/rollout/failures.ts asFailure counts the same). */
export const FAILURE_STOP_CODES = ['EssentialContainerExited', 'TaskFailedToStart'];

const unique = <T>(xs: T[]) => [...new Set(xs)];

/** ECS's event for a deployment that starts. */
export const DEPLOYMENT_STARTING = 'SERVICE_DEPLOYMENT_IN_PROGRESS';

/**
 * Which deployments starting the ecs-deployment rule brings. A deployment of a service the pipeline
 * steps itself starts by its own UpdateService or CreateService (a step, a promotion, a rollback) or
 * by a person's deploy, and none of them is decided on when it starts: what follows comes as the
 * deployment's COMPLETED or FAILED, task events, the health recheck and the bake's end, and a
 * person's deploy during a rollout is seen at the next look, as before (lib/observe-rules.ts
 * serviceEventWorthALook dropped it after a record read: one GetItem a step, for nothing). So only
 * the services under ECS's own strategies (ecs-canary, ecs-linear, ecs-blue-green), whose
 * deployment the pipeline follows from its start, get it.
 *   no target under ECS's strategies     -> every deployment event but IN_PROGRESS
 *   every target under ECS's strategies  -> every deployment event
 *   some of each                         -> IN_PROGRESS of those targets' services only
 */
function deploymentsStarting<A>(native: A[], allNative: boolean): Record<string, unknown> {
  const notStarting = { detail: { eventName: [{ 'anything-but': [DEPLOYMENT_STARTING] }] } };
  if (native.length === 0) return notStarting;
  if (allNative) return {};
  return { $or: [{ resources: native }, notStarting] };
}

/** `arn(service, resource)` builds an ARN: a literal locally, an `Fn::Sub` for CloudFormation. */
export function eventRules<A>(config: Config, arn: (service: string, resource: string) => A): RuleSpec[] {
  const targets = config.targets;
  const services = unique(targets.flatMap((t) => [t.service, canaryServiceName(t.service)]));
  const serviceArns = unique([
    ...targets.map((t) => `${t.cluster}/${t.service}`),
    ...targets.map((t) => `${t.cluster}/${canaryServiceName(t.service)}`),
  ]).map((s) => arn('ecs', `service/${s}`));
  const canaryArns = unique(targets.map((t) => `${t.cluster}/${canaryServiceName(t.service)}`)).map((s) =>
    arn('ecs', `service/${s}`),
  );
  const clusterArns = unique(targets.map((t) => t.cluster)).map((c) => arn('ecs', `cluster/${c}`));
  const nativeArns = unique(
    targets.filter((t) => isEcsStrategy(t.strategy)).map((t) => `${t.cluster}/${t.service}`),
  ).map((s) => arn('ecs', `service/${s}`));
  const alarms = unique(
    targets.flatMap((t) => [...t.gateAlarms, ...(t.scaling?.rules.map((r) => r.alarm) ?? [])]),
  );
  const alarmNames = alarms.filter((a) => !a.endsWith('*'));
  const alarmPrefixes = alarms.filter((a) => a.endsWith('*')).map((a) => ({ prefix: a.slice(0, -1) }));

  // The task events of the managed services and their canaries, and those of a failing task.
  const taskEvents = {
    source: ['aws.ecs'],
    'detail-type': ['ECS Task State Change'],
    detail: { clusterArn: clusterArns, group: services.map((s) => `service:${s}`) },
  };
  const failing = [
    { desiredStatus: ['STOPPED'], stopCode: FAILURE_STOP_CODES },
    { desiredStatus: ['STOPPED'], stoppedReason: [{ prefix: 'Task failed' }] },
  ];

  const rules: RuleSpec[] = [
    {
      name: 'ecr-push',
      function: 'ecrPush',
      description: 'A new image in a repository that feeds a target',
      pattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': unique(targets.map((t) => t.repository)),
        },
      },
    },
    {
      name: 'ecs-task',
      function: 'ecsEvent',
      // A burst of task events in one invocation: one record read and one look per service.
      via: 'task-queue',
      description: 'A task of a managed service (or its canary) came up or stopped',
      pattern: {
        ...taskEvents,
        // A task that came up or stopped; and a failing task as soon as ECS decides to stop it
        // (desiredStatus STOPPED, with the stop code or reason), some 20-50 s before it is STOPPED.
        // And a task behind a load balancer that ECS began to stop (DEACTIVATING: deregistering,
        // its connections draining): a person's scale-in of the primary re-sizes the canary now,
        // not once the deregistration delay (up to an hour) has passed and it is STOPPED
        // (scenarios/held-out/stranger10/08-*.yml: the canary held 25 % of the traffic for 4 minutes).
        detail: {
          ...taskEvents.detail,
          $or: [
            { lastStatus: TASK_STATES },
            { lastStatus: ['DEACTIVATING'], desiredStatus: ['STOPPED'] },
            ...failing,
          ],
        },
      },
    },
    {
      name: 'ecs-task-failing',
      function: 'ecsEvent',
      // The first word of a failing task, straight to the function: through the queue it would wait
      // out the batching window (a second) before the rollback; the queue still brings it, and what
      // follows, with the rest (a doubled event is deduplicated by its `version`).
      description: 'A task of a managed service (or its canary) is failing: ECS decided to stop it',
      pattern: {
        ...taskEvents,
        detail: { ...taskEvents.detail, lastStatus: BEFORE_DEPROVISIONING, $or: failing },
      },
    },
    {
      name: 'ecs-deployment',
      function: 'ecsEvent',
      description: 'A deployment of a managed service (or its canary) changed state',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change'],
        resources: serviceArns,
        ...deploymentsStarting(
          nativeArns,
          targets.every((t) => isEcsStrategy(t.strategy)),
        ),
      },
    },
    {
      name: 'ecs-service-action',
      function: 'ecsEvent',
      description: 'A managed service warns or fails (tasks cannot be placed, ...)',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Service Action'],
        resources: serviceArns,
        detail: { eventType: ['WARN', 'ERROR'] },
      },
    },
    {
      // A step's bake starts when its new tasks are in service; no task event says when a target
      // group's health check passes, but ECS says when the canary is healthy at its count.
      name: 'ecs-canary-steady',
      function: 'ecsEvent',
      description: 'A canary service is healthy at its count: its tasks are in service',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Service Action'],
        resources: canaryArns,
        detail: { eventName: ['SERVICE_STEADY_STATE'] },
      },
    },
  ];
  if (alarms.length > 0) {
    rules.push({
      name: 'gate-alarm',
      function: 'alarm',
      description: 'A gate or scaling alarm of a target changed state',
      pattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [...alarmNames, ...alarmPrefixes] },
      },
    });
  }
  const minutes = sweepMsOf(config) / 60_000;
  rules.push({
    name: 'tick',
    function: 'tick',
    description: `Every ${minutes} minute(s): the safety sweep finishes what lost events left`,
    schedule: sweepSchedule(minutes),
  });
  return rules;
}

/**
 * The sweep's EventBridge schedule: "If the value is equal to 1, then the unit must be singular"
 * (EventBridge User Guide, rate expressions).
 *   1 -> 'rate(1 minute)';  30 -> 'rate(30 minutes)'
 */
export function sweepSchedule(minutes: number): string {
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
}
