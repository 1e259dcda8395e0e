/**
 * What the deployment needs from autopilot.yml: the EventBridge rules and the IAM statements, each
 * as narrow as the configured targets allow. Pure (no I/O): `scripts/serverless-config.cjs` reads the
 * files and serverless.yml takes the result as `custom.autopilot`.
 *
 * Worked example, targets `[{ cluster: prod, service: api, repository: api, gateAlarms: [api-5xx, api-p99-*] }]`:
 *   ECR push rule         detail.repository-name [api]
 *   task rule             detail.clusterArn [arn:…:cluster/prod], detail.group [service:api, service:api-canary],
 *                         detail.lastStatus [RUNNING, STOPPED]
 *   deployment rule       resources [arn:…:service/prod/api, arn:…:service/prod/api-canary]
 *   gate alarm rule       detail.alarmName [api-5xx, { prefix: api-p99- }]
 *   ecs:UpdateService     arn:…:service/prod/api, arn:…:service/prod/api-canary
 *   ecs:CreateService     arn:…:service/prod/api-canary
 * ARNs are CloudFormation `Fn::Sub` strings, so the partition, region and account are the stack's own.
 */

import { CANARY_SUFFIX, canaryServiceName } from './canary-service.ts';
import { type Config, type TargetConfig, webhookParameters } from './config.ts';
import { isEcsStrategy } from './ecs-strategy.ts';
import { eventRules, type FunctionKey } from './rules.ts';
import { OUTSTANDING_INDEX } from './store.ts';
import { TASK_QUEUE_BATCH_SIZE, TASK_QUEUE_BATCHING_WINDOW_S } from './task-queue.ts';
import { canaryGroupOf } from './traffic-config.ts';

export type { FunctionKey } from './rules.ts';

/** A CloudFormation value: a literal, or an intrinsic function CloudFormation resolves at deploy time. */
export type Cfn =
  | string
  | { 'Fn::Sub': string }
  | { 'Fn::GetAtt': [string, string] }
  | { Ref: string }
  | { 'Fn::Join': [string, Cfn[]] };

/** Deploy-time settings from serverless.yml (`custom.deploy`). */
export interface DeploySettings {
  /** `service` and stage of the stack: rule names are `<service>-<stage>-<rule>`. */
  service: string;
  stage: string;
  /** The one SSM parameter the pipeline reads: the Slack webhook URL (SecureString). */
  slackWebhookParameter: string;
  /**
   * Roles the pipeline may pass to ECS tasks (the task and execution roles of the managed services'
   * task definitions). Required: `['none']` when no task definition names a role (no iam:PassRole at all).
   */
  taskRoleArns: string[];
  /** Task definition families it may register revisions of (the managed services' families). Required. */
  taskDefinitionFamilies: string[];
}

export interface RetryPolicy {
  maximumEventAge: number;
  maximumRetryAttempts: number;
}

/** One `eventBridge` event, in the shape osls expects under `functions.<name>.events`. */
export interface EventBridgeEvent {
  eventBridge: {
    name: string;
    description: string;
    pattern?: Record<string, unknown>;
    schedule?: string;
    retryPolicy: RetryPolicy;
    deadLetterQueueArn: Cfn;
  };
}

/**
 * One `sqs` event (osls `functions.<name>.events`): the function reads the queue in batches through
 * a Lambda event source mapping, reporting the messages to retry (ReportBatchItemFailures).
 */
export interface SqsEvent {
  sqs: {
    arn: Cfn;
    batchSize: number;
    maximumBatchingWindow: number;
    functionResponseType: 'ReportBatchItemFailures';
  };
}

/**
 * A rule osls cannot make (its `eventBridge` event targets only the function itself): an
 * AWS::Events::Rule resource whose target is a queue.
 */
export interface QueueRuleResource {
  Type: 'AWS::Events::Rule';
  Properties: {
    Name: string;
    Description: string;
    EventPattern: Record<string, unknown>;
    State: 'ENABLED';
    Targets: {
      Id: string;
      Arn: Cfn;
      RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
      DeadLetterConfig: { Arn: Cfn };
    }[];
  };
}

export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Cfn[];
  Condition?: Record<string, Record<string, Cfn | Cfn[]>>;
}

export interface DeployConfig {
  events: Record<FunctionKey, (EventBridgeEvent | SqsEvent)[]>;
  /** The `ecs-task` rule, to the task event queue (serverless.yml TaskEventRule). */
  taskEventRule: QueueRuleResource;
  /** Its ARN: the only source the task event queue accepts messages from (TaskEventQueuePolicy). */
  taskEventRuleArn: Cfn;
  iamStatements: IamStatement[];
  /** Every rule's ARN: the only sources allowed to send to the dead-letter queue. */
  deadLetterSourceArns: Cfn[];
  /**
   * The lifecycle hook ECS invokes for the ecs-* strategies (functions/lifecycle-hook.ts), as an ARN
   * built from the stack's names: the functions' environment cannot refer to a function of the same
   * stack by GetAtt without a circular dependency.
   */
  lifecycleHookArn: Cfn;
}

/** Logical IDs of the resources serverless.yml defines and this file refers to. */
export const DEAD_LETTER_QUEUE = 'DeadLetterQueue';
export const TABLE = 'AutopilotTable';
/** The wake-up queue (lib/waker.ts): each record's next moment, as a delayed message. */
export const WAKE_QUEUE = 'WakeQueue';
/** The task event queue (lib/task-queue.ts): ECS's task events, read by `ecsEvent` in batches. */
export const TASK_EVENT_QUEUE = 'TaskEventQueue';
/** The role ECS assumes to invoke the lifecycle hook (serverless.yml EcsLifecycleHookRole). */
export const LIFECYCLE_HOOK_ROLE = 'EcsLifecycleHookRole';

/**
 * EventBridge-to-Lambda delivery retries (aws-facts.md §5). An event undelivered after an hour is
 * stale (the tick has reconciled since), so it goes to the dead-letter queue, kept 14 days for a
 * person to look at. A tick is stale after a minute.
 */
export const EVENT_RETRY: RetryPolicy = { maximumEventAge: 3600, maximumRetryAttempts: 185 };
export const TICK_RETRY: RetryPolicy = { maximumEventAge: 60, maximumRetryAttempts: 2 };

/** The task states that decide anything: a new task is up (health changes arrive as RUNNING too), or one stopped. */

export class DeployConfigError extends Error {
  override name = 'DeployConfigError';
}

/** An ARN in this stack's partition, region and account. */
const arn = (service: string, resource: string): Cfn => ({
  'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
});
const unique = <T>(xs: T[]) => [...new Set(xs)];

/** A validated autopilot.yml (config.ts `parseConfig`: defaults applied) -> the rules and permissions. */
export function deployConfig(config: Config, settings: DeploySettings): DeployConfig {
  const targets = config.targets;
  const clusters = unique(targets.map((t) => t.cluster));
  // Each target's primary service and its sibling canary service (lib/canary.ts); only canaries are created.
  const canaryArns = unique(targets.map((t) => `${t.cluster}/${canaryServiceName(t.service)}`)).map((s) =>
    arn('ecs', `service/${s}`),
  );
  const serviceArns = [
    ...unique(targets.map((t) => `${t.cluster}/${t.service}`)).map((s) => arn('ecs', `service/${s}`)),
    ...canaryArns,
  ];
  const clusterArns = clusters.map((c) => arn('ecs', `cluster/${c}`));
  const repositories = unique(targets.map((t) => t.repository));
  // Names, or prefixes ending in * (config.ts matchesGateAlarm).
  const alarms = unique(
    targets.flatMap((t) => [...t.gateAlarms, ...(t.scaling?.rules.map((r) => r.alarm) ?? [])]),
  );
  const scales = targets.some((t) => t.scaling);
  // ECS's own strategies (lib/ecs-strategy.ts): their service deployments are followed and stopped.
  const nativeDeploymentArns = unique(
    targets.filter((t) => isEcsStrategy(t.strategy)).map((t) => `${t.cluster}/${t.service}`),
  ).map((s) => arn('ecs', `service-deployment/${s}/*`));

  const dlq: Cfn = { 'Fn::GetAtt': [DEAD_LETTER_QUEUE, 'Arn'] };
  const ruleNames: string[] = [];
  const rule = (
    suffix: string,
    description: string,
    spec: { pattern: Record<string, unknown> } | { schedule: string },
  ) => {
    const name = `${settings.service}-${settings.stage}-${suffix}`;
    if (name.length > 64)
      throw new DeployConfigError(
        `rule name ${name} is longer than EventBridge's 64 characters: use a shorter stage`,
      );
    ruleNames.push(name);
    const retryPolicy = 'schedule' in spec ? TICK_RETRY : EVENT_RETRY;
    return { eventBridge: { name, description, ...spec, retryPolicy, deadLetterQueueArn: dlq } };
  };

  const events: DeployConfig['events'] = { ecrPush: [], ecsEvent: [], alarm: [], tick: [] };
  let taskEventRule: QueueRuleResource | undefined;
  for (const spec of eventRules(config, arn)) {
    const made = rule(
      spec.name,
      spec.description,
      spec.schedule ? { schedule: spec.schedule } : { pattern: spec.pattern! },
    );
    if (spec.via !== 'task-queue') {
      events[spec.function].push(made);
      continue;
    }
    // The rule sends each event to the queue as its message body (EventBridge User Guide, "Amazon
    // SQS" targets, the whole event unless an input is set), with the same retries and dead letters.
    const queue: Cfn = { 'Fn::GetAtt': [TASK_EVENT_QUEUE, 'Arn'] };
    const { name, description, retryPolicy } = made.eventBridge;
    const pattern = spec.pattern;
    if (!pattern) throw new DeployConfigError(`rule ${spec.name} to the task event queue has no pattern`);
    taskEventRule = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: name,
        Description: description,
        EventPattern: pattern,
        State: 'ENABLED',
        Targets: [
          {
            Id: TASK_EVENT_QUEUE,
            Arn: queue,
            RetryPolicy: {
              MaximumRetryAttempts: retryPolicy.maximumRetryAttempts,
              MaximumEventAgeInSeconds: retryPolicy.maximumEventAge,
            },
            DeadLetterConfig: { Arn: dlq },
          },
        ],
      },
    };
    events[spec.function].push({
      sqs: {
        arn: queue,
        batchSize: TASK_QUEUE_BATCH_SIZE,
        maximumBatchingWindow: TASK_QUEUE_BATCHING_WINDOW_S,
        functionResponseType: 'ReportBatchItemFailures',
      },
    });
  }
  if (!taskEventRule) throw new DeployConfigError('no rule goes through the task event queue');

  // autopilot.yml's names are checked by config.ts; the settings are checked here, as they go into ARNs.
  if (!/^[A-Za-z0-9_.\-/]{1,2048}$/.test(settings.slackWebhookParameter)) {
    throw new DeployConfigError(
      `slackWebhookParameter must be an SSM parameter name, got "${settings.slackWebhookParameter}"`,
    );
  }
  // Neither can be read from autopilot.yml, nor from AWS at package time (offline): a person names
  // them, and a missing one stops the package with what to pass, rather than a broad default.
  if (settings.taskDefinitionFamilies.length === 0) {
    throw new DeployConfigError(
      'taskDefinitionFamilies is required: the task definition families of the managed services, comma-separated ' +
        `(${unique(targets.map((t) => t.service)).join(',')} if they are named after their services), ` +
        'e.g. --param="taskDefinitionFamilies=web,api"',
    );
  }
  for (const family of settings.taskDefinitionFamilies) {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
      throw new DeployConfigError(`taskDefinitionFamilies: "${family}" is not a task definition family name`);
    }
  }
  if (settings.taskRoleArns.length === 0) {
    throw new DeployConfigError(
      "taskRoleArns is required: the task and execution roles named by the managed services' task definitions, " +
        'comma-separated (e.g. --param="taskRoleArns=arn:aws:iam::123456789012:role/ecsTaskExecutionRole"), ' +
        'or --param="taskRoleArns=none" if they name none',
    );
  }
  const passesNoRole = settings.taskRoleArns.length === 1 && settings.taskRoleArns[0] === 'none';
  for (const role of passesNoRole ? [] : settings.taskRoleArns) {
    if (!/^arn:[a-z-]+:iam::\d{12}:role\/\S+$/.test(role)) {
      throw new DeployConfigError(`taskRoleArns: "${role}" is not an IAM role ARN (or the one word none)`);
    }
  }
  // The default webhook and every one the config routes to (lib/config.ts webhookParameters).
  const parameterArns = webhookParameters(config, settings.slackWebhookParameter).map((name) =>
    arn('ssm', `parameter/${name.replace(/^\//, '')}`),
  );
  const taskDefinitionArns = settings.taskDefinitionFamilies.map((f) => arn('ecs', `task-definition/${f}:*`));

  // `*` resources only where AWS requires them; test/package.test.ts keeps the list and the reasons.
  const iamStatements: IamStatement[] = [
    {
      Sid: 'ManagedServices',
      Effect: 'Allow',
      Action: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListTagsForResource'],
      Resource: serviceArns,
    },
    {
      // Created for a rollout; deleted when its primary is gone (lib/retire.ts).
      Sid: 'CreateCanaryServices',
      Effect: 'Allow',
      Action: ['ecs:CreateService', 'ecs:DeleteService'],
      Resource: canaryArns,
    },
    {
      // A target taken out of autopilot.yml mid-rollout leaves a canary this policy no longer names:
      // it is retired (scaled to 0, deleted) through its tag, which only the pipeline sets, and only
      // in the clusters still managed (ECS supports aws:ResourceTag on its service resource).
      Sid: 'RetireCanariesOfRemovedTargets',
      Effect: 'Allow',
      Action: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:DeleteService'],
      Resource: clusters.map((c) => arn('ecs', `service/${c}/*${CANARY_SUFFIX}`)),
      Condition: { StringEquals: { 'aws:ResourceTag/ecs-autopilot:role': 'canary' } },
    },
    {
      Sid: 'TasksOfManagedClusters',
      Effect: 'Allow',
      Action: ['ecs:DescribeTasks'],
      Resource: clusters.map((c) => arn('ecs', `task/${c}/*`)),
    },
    {
      // Tasks on EC2 in bridge or host mode register in target groups by their instance's EC2 id,
      // which only DescribeContainerInstances tells (lib/observe.ts, in service).
      Sid: 'ContainerInstancesOfManagedClusters',
      Effect: 'Allow',
      Action: ['ecs:DescribeContainerInstances'],
      Resource: clusters.map((c) => arn('ecs', `container-instance/${c}/*`)),
    },
    {
      // ListTasks' only resource type is container-instance, which a listing by service (Fargate) has
      // none of: scoped by the ecs:cluster condition key instead.
      Sid: 'ListTasksOfManagedClusters',
      Effect: 'Allow',
      Action: ['ecs:ListTasks'],
      Resource: ['*'],
      Condition: { ArnEquals: { 'ecs:cluster': clusterArns } },
    },
    {
      // No resource types: "you must specify all resources ("*")" (Service Authorization Reference, ECS).
      Sid: 'ReadTaskDefinitions',
      Effect: 'Allow',
      Action: ['ecs:DescribeTaskDefinition', 'ecs:ListTaskDefinitions'],
      Resource: ['*'],
    },
    {
      Sid: 'TaskDefinitionRevisions',
      Effect: 'Allow',
      Action: ['ecs:RegisterTaskDefinition', 'ecs:ListTagsForResource'],
      Resource: taskDefinitionArns,
    },
    {
      // Tags on RegisterTaskDefinition and CreateService need ecs:TagResource; never on existing resources.
      Sid: 'TagOnCreate',
      Effect: 'Allow',
      Action: ['ecs:TagResource'],
      Resource: [...taskDefinitionArns, ...canaryArns],
      Condition: { StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'CreateService'] } },
    },
    ...(passesNoRole
      ? []
      : [
          {
            Sid: 'PassTaskRoles',
            Effect: 'Allow' as const,
            Action: ['iam:PassRole'],
            Resource: settings.taskRoleArns,
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          },
        ]),
    ...(alarms.length === 0
      ? []
      : [
          {
            // Composite alarms are returned only to a DescribeAlarms permission "scoped to *"
            // (CloudWatch API Reference, DescribeAlarms); gate alarms may be composite. Scaling alarms too.
            Sid: 'ReadAlarms',
            Effect: 'Allow' as const,
            Action: ['cloudwatch:DescribeAlarms'],
            Resource: ['*'],
          },
        ]),
    ...(scales
      ? [
          {
            // Another owner of desiredCount makes the pipeline stand aside; DescribeScalableTargets has no
            // resource types (Service Authorization Reference, Application Auto Scaling).
            Sid: 'FindOtherScalers',
            Effect: 'Allow' as const,
            Action: ['application-autoscaling:DescribeScalableTargets'],
            Resource: ['*'],
          },
        ]
      : []),
    ...(nativeDeploymentArns.length === 0
      ? []
      : [
          {
            // strategy ecs-*: ECS's deployment is followed (lib/observe.ts) and, at the first failure,
            // stopped with ROLLBACK (lib/act.ts); only the deployments of those services.
            Sid: 'EcsStrategyDeployments',
            Effect: 'Allow' as const,
            Action: ['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'],
            Resource: nativeDeploymentArns,
          },
          {
            // UpdateService names the role ECS invokes the pipeline's lifecycle hook with: passed only to ECS.
            Sid: 'PassLifecycleHookRole',
            Effect: 'Allow' as const,
            Action: ['iam:PassRole'],
            Resource: [{ 'Fn::GetAtt': [LIFECYCLE_HOOK_ROLE, 'Arn'] } as Cfn],
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
          },
        ]),
    {
      // The bake counts from when the new tasks are in service behind their target groups (lib/observe.ts).
      // ELBv2's Describe* actions support no resource-level permissions: "you must specify all
      // resources ("*")" (Service Authorization Reference, Elastic Load Balancing V2: no resource types).
      Sid: 'ReadTargetHealth',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:DescribeTargetHealth'],
      Resource: ['*'],
    },
    ...weightedStatements(targets),
    // Reads and writes only of service records (lib/store.ts keys them `service#<cluster>/<service>`).
    itemsUnder('RolloutRecords', 'service#'),
    // The repositories' marks: what the last look for missed pushes found (lib/store.ts putMark).
    itemsUnder('RepositoryMarks', 'repository#'),
    {
      // The sweep reads the records with work outstanding: a Query of the sparse index only (no Scan).
      Sid: 'SweepOutstandingRecords',
      Effect: 'Allow',
      Action: ['dynamodb:Query'],
      Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [TABLE, 'Arn'] }, `/index/${OUTSTANDING_INDEX}`]] }],
    },
    {
      // Every record write schedules its next wake-up (lib/waker.ts): only on the stack's own queue.
      Sid: 'ScheduleWakeUps',
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: [{ 'Fn::GetAtt': [WAKE_QUEUE, 'Arn'] }],
    },
    {
      Sid: 'FindMissedPushes',
      Effect: 'Allow',
      Action: ['ecr:DescribeImages'],
      Resource: repositories.map((r) => arn('ecr', `repository/${r}`)),
    },
    ...secureStrings('SlackWebhookParameter', parameterArns),
  ];

  return {
    events,
    taskEventRule,
    taskEventRuleArn: arn('events', `rule/${taskEventRule.Properties.Name}`),
    iamStatements,
    deadLetterSourceArns: ruleNames.map((name) => arn('events', `rule/${name}`)),
    lifecycleHookArn: arn('lambda', `function:${settings.service}-${settings.stage}-lifecycleHook`),
  };
}

/**
 * Reading these SSM SecureStrings, and no others: GetParameter on them (`sid`) and their KMS key's
 * Decrypt (`Decrypt<sid>`) only through SSM and only for these parameters' encryption context.
 *   secureStrings('SlackSecrets', [arnA]) -> SlackSecrets (ssm:GetParameter on arnA),
 *     DecryptSlackSecrets (kms:Decrypt, kms:ViaService ssm.<region>, PARAMETER_ARN arnA)
 */
export function secureStrings(sid: string, parameterArns: Cfn[]): IamStatement[] {
  return [
    { Sid: sid, Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameterArns },
    {
      Sid: `Decrypt${sid}`,
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [arn('kms', 'key/*')],
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` },
          'kms:EncryptionContext:PARAMETER_ARN':
            parameterArns.length === 1 ? parameterArns[0]! : parameterArns,
        },
      },
    },
  ];
}

/**
 * GetItem and PutItem on the table's items whose key starts with `prefix`, and no others:
 *   itemsUnder('RolloutRecords', 'service#') -> LeadingKeys ['service#*']
 */
export function itemsUnder(sid: string, prefix: string): IamStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    Resource: [{ 'Fn::GetAtt': [TABLE, 'Arn'] }],
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
  };
}

/**
 * `traffic: weighted` (lib/listener-routes.ts): the listeners and rules of the configured load
 * balancers only (ModifyListener, ModifyRule; ARN formats listener/app|net/<name>/<id>/<id> and
 * listener-rule/app|net/<name>/<id>/<id>/<id>, Service Authorization Reference, Elastic Load Balancing
 * V2, resource types), and the canaries' own target groups (targetgroup/<name>/<id>). None without a
 * weighted target.
 *
 *   loadBalancers [front], prod/web -> ModifyRule on listener-rule/app/front/*, listener-rule/net/front/*;
 *                                      CreateTargetGroup on targetgroup/prod-web-canary/*
 */
export function weightedStatements(targets: TargetConfig[]): IamStatement[] {
  const weighted = targets.filter((t) => t.traffic === 'weighted');
  if (weighted.length === 0) return [];
  const names = unique(weighted.flatMap((t) => t.loadBalancers ?? []));
  const elb = (resource: string) => arn('elasticloadbalancing', resource);
  return [
    {
      // The routes to the primary's target group: its load balancer's listeners and their rules.
      // ELBv2's Describe* actions support no resource-level permissions: "you must specify all
      // resources ("*")" (Service Authorization Reference, Elastic Load Balancing V2: no resource types).
      Sid: 'ReadListenerRoutes',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
      ],
      Resource: ['*'],
    },
    {
      // Each step's weights, one call per rule or listener, on the configured load balancers only.
      Sid: 'SetListenerWeights',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule'],
      Resource: names.flatMap((n) =>
        ['app', 'net'].flatMap((kind) => [
          elb(`listener/${kind}/${n}/*`),
          elb(`listener-rule/${kind}/${n}/*`),
        ]),
      ),
    },
    {
      // The canary's target group, made like the primary's (its attributes copied).
      Sid: 'CanaryTargetGroups',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes'],
      Resource: unique(weighted.map((t) => canaryGroupOf(t))).map((n) => elb(`targetgroup/${n}/*`)),
    },
  ];
}
