/**
 * The packaged deployment. `serverless package` (osls, offline: no network, no credentials) runs
 * once, in a scratch copy of the service with a fixture autopilot.yml, and everything below is read
 * from its output: the CloudFormation template (rules, queue, table, IAM) and the function zips.
 */

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config-file.ts';
import { DeployConfigError, deployConfig } from '../lib/deploy-config.ts';
import { TABLE_DEFINITION } from '../lib/store.ts';
import {
  TASK_QUEUE_BATCH_SIZE,
  TASK_QUEUE_BATCHING_WINDOW_S,
  TASK_QUEUE_SUFFIX,
  TASK_QUEUE_VISIBILITY_S,
  taskQueueName,
} from '../lib/task-queue.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');

const FIXTURE = `targets:
  - cluster: prod
    service: web
    repository: shop/web
    gateAlarms: [web-5xx, "web-p99-*"]
    traffic: weighted
    loadBalancers: [front]
  - cluster: prod
    service: worker
    repository: shop/worker
    scaling:
      min: 1
      max: 8
      rules: [{ alarm: worker-queue-deep, adjust: "+2" }, { alarm: worker-idle, adjust: "-1" }]
  - cluster: batch
    service: web
    repository: shop/web
    gateAlarms: [batch-errors]
    strategy: ecs-canary
`;
const STAGE = 'test';
const FUNCTIONS = {
  ecrPush: 'ecr-push',
  ecsEvent: 'ecs-event',
  alarm: 'alarm',
  tick: 'tick',
  wake: 'wake',
} as const;
const TASK_ROLES = [
  'arn:aws:iam::123456789012:role/web-task',
  'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
];
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Every AWS call the pipeline makes: none may be missing from the role. */
const PIPELINE_ACTIONS = [
  'ecs:DescribeServices',
  'ecs:UpdateService',
  'ecs:CreateService',
  'ecs:DeleteService',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'ecs:DescribeContainerInstances',
  'ecs:DescribeTaskDefinition',
  'ecs:ListTaskDefinitions',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'ecs:ListTagsForResource',
  'cloudwatch:DescribeAlarms',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'sqs:SendMessage',
  'ssm:GetParameter',
  'kms:Decrypt',
  'ecr:DescribeImages',
  'iam:PassRole',
  'application-autoscaling:DescribeScalableTargets',
  'elasticloadbalancing:DescribeTargetHealth',
  'ecs:DescribeServiceDeployments',
  'ecs:StopServiceDeployment',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:ModifyRule',
  'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes',
];

/**
 * The only actions allowed a `*` resource, and why. Sources: the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html,
 * .../list_amazoncloudwatch.html), where an action with no resource type "must specify all resources ("*")",
 * and the CloudWatch API Reference for DescribeAlarms.
 */
const STAR_RESOURCE_ALLOWED: Record<string, string> = {
  'ecs:DescribeTaskDefinition': 'no resource types',
  'ecs:ListTaskDefinitions': 'no resource types',
  'cloudwatch:DescribeAlarms': 'composite alarms are returned only to a permission "scoped to *"',
  'ecs:ListTasks': 'only resource type is container-instance; scoped by the ecs:cluster condition instead',
  'application-autoscaling:DescribeScalableTargets': 'no resource types',
  'elasticloadbalancing:DescribeTargetHealth': 'no resource types (ELBv2 Describe* actions)',
  'elasticloadbalancing:DescribeTargetGroups': 'no resource types (ELBv2 Describe* actions)',
  'elasticloadbalancing:DescribeTargetGroupAttributes': 'no resource types (ELBv2 Describe* actions)',
  'elasticloadbalancing:DescribeListeners': 'no resource types (ELBv2 Describe* actions)',
  'elasticloadbalancing:DescribeRules': 'no resource types (ELBv2 Describe* actions)',
};

type Json = any;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Record<string, Record<string, Json>>;
}

let work: string;
let template: Json;
let resources: Record<string, Json>;
let zips: Record<string, Map<string, Buffer>>;

const sub = (s: string) => ({ 'Fn::Sub': s });
const ecsArn = (resource: string) =>
  sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:${resource}`);
const PRIMARY_ARNS = ['prod/web', 'prod/worker', 'batch/web'].map((s) => ecsArn(`service/${s}`));
const CANARY_ARNS = ['prod/web-canary', 'prod/worker-canary', 'batch/web-canary'].map((s) =>
  ecsArn(`service/${s}`),
);
const SERVICE_ARNS = [...PRIMARY_ARNS, ...CANARY_ARNS];
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const rule = (name: string) => {
  const found = ofType('AWS::Events::Rule').find(
    ([, r]) => r.Properties.Name === `ecs-autopilot-${STAGE}-${name}`,
  );
  if (!found) throw new Error(`no rule ${name}`);
  return found[1].Properties;
};
/** The pipeline's role; the Slack buttons' function has its own (see its describe below). */
const statements = (): Statement[] =>
  [...ofType('AWS::IAM::Role'), ...ofType('AWS::IAM::Policy')]
    // The Slack buttons' role and ECS's role for the lifecycle hook are checked on their own.
    .filter(([name]) => name !== 'SlackInteractRole' && name !== 'EcsLifecycleHookRole')
    .flatMap(([, r]) =>
      (r.Properties.Policies ?? [r.Properties]).flatMap((p: Json) => p.PolicyDocument.Statement),
    );

/** The entries of a zip file (stored or deflated), by name. */
function readZip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'autopilot-package-'));
  const service = join(work, 'service');
  mkdirSync(service);
  for (const f of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib', 'scripts']) {
    cpSync(join(ROOT, f), join(service, f), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');
  writeFileSync(join(service, 'autopilot.yml'), FIXTURE);
  // A clean environment: no AWS credentials or profile, nothing of the caller's that could reach AWS.
  await run(
    process.execPath,
    [
      join(ROOT, 'node_modules/osls/bin/serverless.js'),
      'package',
      '--stage',
      STAGE,
      '--param=taskDefinitionFamilies=web, worker',
      `--param=taskRoleArns=${TASK_ROLES.join(',')}`,
      // The Slack app's bot token (user-group approvers, thread replies): granted by its exact ARN too.
      '--param=slackBotTokenParameter=/ecs-autopilot/slack-bot-token',
    ],
    {
      cwd: service,
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        HOME: join(work, 'home'),
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
    },
  );
  const out = join(service, '.serverless');
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  zips = Object.fromEntries(
    Object.keys(FUNCTIONS).map((fn) => [fn, readZip(readFileSync(join(out, `${fn}.zip`)))]),
  );
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('serverless package', () => {
  it('has the four functions: Node 20 on arm64, with the table and the Slack parameter in the environment', () => {
    const fns = Object.fromEntries(ofType('AWS::Lambda::Function'));
    expect(Object.keys(fns).sort()).toEqual(
      [
        'AlarmLambdaFunction',
        'EcrPushLambdaFunction',
        'EcsEventLambdaFunction',
        'TickLambdaFunction',
        'WakeLambdaFunction',
        'SlackInteractLambdaFunction',
        'LifecycleHookLambdaFunction',
      ].sort(),
    );
    for (const [fn, file] of Object.entries(FUNCTIONS)) {
      const p = fns[`${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`].Properties;
      expect(p.Handler).toBe(`functions/${file}.handler`);
      expect(p.Runtime).toBe('nodejs20.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Environment.Variables).toMatchObject({
        AUTOPILOT_TABLE: { Ref: 'AutopilotTable' },
        AUTOPILOT_SLACK_PARAMETER: '/ecs-autopilot/slack-webhook-url',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AUTOPILOT_WAKE_QUEUE_URL: { Ref: 'WakeQueue' },
      });
    }
    // The wake function reads its queue in batches, reporting the messages to retry; so does ecsEvent
    // the task event queue, gathering up to 100 for a second (lib/task-queue.ts).
    const mapping = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    const bySource = (queue: string) => mapping.find((m: any) => m.EventSourceArn['Fn::GetAtt'][0] === queue);
    expect(mapping).toHaveLength(2);
    expect(bySource('WakeQueue')).toMatchObject({
      FunctionName: { 'Fn::GetAtt': ['WakeLambdaFunction', 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(bySource('TaskEventQueue')).toMatchObject({
      FunctionName: { 'Fn::GetAtt': ['EcsEventLambdaFunction', 'Arn'] },
      BatchSize: TASK_QUEUE_BATCH_SIZE,
      MaximumBatchingWindowInSeconds: TASK_QUEUE_BATCHING_WINDOW_S,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    for (const queue of ['WakeQueue', 'TaskEventQueue']) {
      expect(resources[queue].Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
        maxReceiveCount: 5,
      });
      // At least six times the functions' timeout, as Lambda advises for an SQS event source.
      expect(resources[queue].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
        6 * template.Resources.EcsEventLambdaFunction.Properties.Timeout,
      );
    }
    expect(resources.TaskEventQueue.Properties.VisibilityTimeout).toBe(TASK_QUEUE_VISIBILITY_S);
    // A batch is told a task-event batch by its queue's name (lib/triggers.ts): a queue renamed in
    // serverless.yml alone would have its task events read as wake-ups, invalid, and acknowledged.
    expect(resources.TaskEventQueue.Properties.QueueName).toBe(taskQueueName(`ecs-autopilot-${STAGE}`));
    expect(resources.WakeQueue.Properties.QueueName).not.toMatch(new RegExp(`${TASK_QUEUE_SUFFIX}$`));
  });
});

/**
 * The template against the CloudFormation resource specification (`@aws-cdk/aws-service-spec`, the
 * registry schemas CDK builds from): every resource type exists, every property is one the type
 * has, of the right shape, and no required property is missing. Intrinsics (`Ref`, `Fn::*`) stand for
 * any value. CloudFormation takes numbers and booleans as strings too, so scalars are checked loosely.
 */
function specProblems(template: Json): string[] {
  const db = loadAwsServiceSpecSync();
  const problems: string[] = [];
  const intrinsic = (v: Json) =>
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    (Object.keys(v)[0] === 'Ref' || Object.keys(v)[0]!.startsWith('Fn::'));
  const check = (type: Json, value: Json, at: string): boolean => {
    if (intrinsic(value)) return true;
    switch (type.type) {
      case 'json':
        return true;
      case 'string':
      case 'date-time':
        return ['string', 'number', 'boolean'].includes(typeof value);
      case 'number':
      case 'integer':
        return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false';
      case 'null':
        return value === null;
      case 'tag':
        return typeof value === 'object' && value !== null && 'Key' in value;
      case 'array':
        return Array.isArray(value) && value.every((v, i) => check(type.element, v, `${at}[${i}]`));
      case 'map':
        return (
          typeof value === 'object' &&
          value !== null &&
          Object.entries(value).every(([k, v]) => check(type.element, v, `${at}.${k}`))
        );
      case 'union':
        return type.types.some((t: Json) => check(t, value, at));
      case 'ref': {
        const definition = db.get('typeDefinition', type.reference.$ref) as Json;
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        properties(definition.properties, value, at);
        return true;
      }
      default:
        return true;
    }
  };
  const properties = (spec: Record<string, Json>, value: Record<string, Json>, at: string) => {
    for (const [name, v] of Object.entries(value)) {
      const p = spec[name];
      if (!p) problems.push(`${at}.${name}: no such property`);
      else if (!check(p.type, v, `${at}.${name}`)) problems.push(`${at}.${name}: not a ${p.type.type}`);
    }
    for (const [name, p] of Object.entries(spec)) {
      if (p.required && !(name in value)) problems.push(`${at}.${name}: required`);
    }
  };
  for (const [id, resource] of Object.entries(template.Resources as Record<string, Json>)) {
    const found = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (found.length !== 1) {
      problems.push(`${id}: unknown type ${resource.Type}`);
      continue;
    }
    properties((found[0] as Json).properties, resource.Properties ?? {}, `${id}(${resource.Type})`);
  }
  return problems;
}

describe('the template against the CloudFormation resource specification', () => {
  it('has only known resource types, known properties of the right shape, and every required one', () => {
    expect(Object.keys(resources).length).toBeGreaterThan(10);
    expect(specProblems(template)).toEqual([]);
  });

  it('catches a misspelt property, a missing required one and a wrong shape (the check is not blind)', () => {
    const broken = structuredClone(template);
    broken.Resources.AutopilotTable.Properties.BillingMod = 'PAY_PER_REQUEST';
    delete broken.Resources.DeadLetterQueuePolicy.Properties.Queues;
    broken.Resources.DeadLetterQueue.Properties.MessageRetentionPeriod = 'two weeks';
    broken.Resources.Bogus = { Type: 'AWS::Nothing::Here', Properties: {} };
    expect(specProblems(broken).sort()).toEqual(
      [
        'AutopilotTable(AWS::DynamoDB::Table).BillingMod: no such property',
        'DeadLetterQueue(AWS::SQS::Queue).MessageRetentionPeriod: not a integer',
        'Bogus: unknown type AWS::Nothing::Here',
        'DeadLetterQueuePolicy(AWS::SQS::QueuePolicy).Queues: required',
      ].sort(),
    );
  });
});

/** The rule `name` matches exactly `pattern` and wakes the Lambda function (or sends to the queue) `to`. */
function expectRule(name: string, to: string, pattern: object) {
  const r = rule(name);
  expect(r.EventPattern).toEqual(pattern);
  expect(r.Targets).toHaveLength(1);
  expect(r.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [to, 'Arn'] });
}

describe('event rules: only what autopilot.yml manages', () => {
  it('ECR: successful pushes to the configured repositories', () => {
    expectRule('ecr-push', 'EcrPushLambdaFunction', {
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'repository-name': ['shop/web', 'shop/worker'],
      },
    });
  });

  it('ECS tasks: managed clusters, managed services and their canaries, RUNNING, STOPPED, draining and failing stops only', () => {
    // Through the task event queue, which ecsEvent reads in batches.
    expectRule('ecs-task', 'TaskEventQueue', {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [ecsArn('cluster/prod'), ecsArn('cluster/batch')],
        group: ['service:web', 'service:web-canary', 'service:worker', 'service:worker-canary'],
        $or: [
          { lastStatus: ['RUNNING', 'STOPPED'] },
          { lastStatus: ['DEACTIVATING'], desiredStatus: ['STOPPED'] },
          { desiredStatus: ['STOPPED'], stopCode: ['EssentialContainerExited', 'TaskFailedToStart'] },
          { desiredStatus: ['STOPPED'], stoppedReason: [{ prefix: 'Task failed' }] },
        ],
      },
    });
  });

  it('a failing task, the moment ECS decides to stop it: straight to ecsEvent, not through the queue', () => {
    expectRule('ecs-task-failing', 'EcsEventLambdaFunction', {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [ecsArn('cluster/prod'), ecsArn('cluster/batch')],
        group: ['service:web', 'service:web-canary', 'service:worker', 'service:worker-canary'],
        lastStatus: ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING'],
        $or: [
          { desiredStatus: ['STOPPED'], stopCode: ['EssentialContainerExited', 'TaskFailedToStart'] },
          { desiredStatus: ['STOPPED'], stoppedReason: [{ prefix: 'Task failed' }] },
        ],
      },
    });
  });

  it('ECS deployments and service warnings: the managed services by ARN', () => {
    // A deployment starting only for the service under ECS's own strategy (batch/web, ecs-canary):
    // the pipeline steps the others itself, and decides nothing when their deployment starts.
    expect(rule('ecs-deployment').EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      resources: SERVICE_ARNS,
      $or: [
        { resources: [ecsArn('service/batch/web')] },
        { detail: { eventName: [{ 'anything-but': ['SERVICE_DEPLOYMENT_IN_PROGRESS'] }] } },
      ],
    });
    expect(rule('ecs-service-action').EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Service Action'],
      resources: SERVICE_ARNS,
      detail: { eventType: ['WARN', 'ERROR'] },
    });
  });

  it('alarms: gate alarm names exactly, prefixes by prefix matching', () => {
    expectRule('gate-alarm', 'AlarmLambdaFunction', {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: ['web-5xx', 'worker-queue-deep', 'worker-idle', 'batch-errors', { prefix: 'web-p99-' }],
      },
    });
  });

  it('the sweep: every 5 minutes by default when a target scales (lib/config.ts sweepMsOf says why)', () => {
    const r = rule('tick');
    expect(r.ScheduleExpression).toBe('rate(5 minutes)');
    expect(r.EventPattern).toBeUndefined();
    expect(r.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['TickLambdaFunction', 'Arn'] });
  });

  it('every target retries within limits and then dead-letters to the one standard SQS queue', () => {
    const rules = ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(8);
    for (const [, r] of rules) {
      for (const target of r.Properties.Targets) {
        expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } });
        expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
        expect(target.RetryPolicy.MaximumRetryAttempts).toBeLessThanOrEqual(185);
        expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
        expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThanOrEqual(86_400);
      }
    }
    expect(resources.DeadLetterQueue.Type).toBe('AWS::SQS::Queue');
    expect(resources.DeadLetterQueue.Properties.FifoQueue).toBeUndefined();
  });

  it('the task event queue accepts messages from events.amazonaws.com only from the ecs-task rule', () => {
    const p = resources.TaskEventQueuePolicy.Properties;
    expect(p.Queues).toEqual([{ Ref: 'TaskEventQueue' }]);
    expect(p.PolicyDocument.Statement).toEqual([
      {
        Sid: 'EcsTaskRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['TaskEventQueue', 'Arn'] },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': sub(
              `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${rule('ecs-task').Name}`,
            ),
          },
        },
      },
    ]);
  });

  it('the dead-letter queue accepts messages from events.amazonaws.com only for this stack’s rules', () => {
    const policies = ofType('AWS::SQS::QueuePolicy');
    expect(policies.map(([id]) => id).sort()).toEqual(['DeadLetterQueuePolicy', 'TaskEventQueuePolicy']);
    const p = resources.DeadLetterQueuePolicy.Properties;
    expect(p.Queues).toEqual([{ Ref: 'DeadLetterQueue' }]);
    expect(p.PolicyDocument.Statement).toHaveLength(1);
    const s = p.PolicyDocument.Statement[0];
    expect(s).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
    });
    const ruleArns = ofType('AWS::Events::Rule').map(([, r]) =>
      sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${r.Properties.Name}`),
    );
    // Every rule, the ecs-task rule (a resource of its own) too: its events dead-letter here.
    const order = (arns: { 'Fn::Sub': string }[]) => arns.map((a) => a['Fn::Sub']).sort();
    expect(Object.keys(s.Condition)).toEqual(['ArnEquals']);
    expect(order(s.Condition.ArnEquals['aws:SourceArn'])).toEqual(order(ruleArns));
  });

  it('Lambda retries an asynchronous invocation twice, then sends it to the same queue', () => {
    const configs = ofType('AWS::Lambda::EventInvokeConfig');
    expect(configs).toHaveLength(4);
    for (const [, c] of configs) {
      expect(c.Properties.MaximumRetryAttempts).toBe(2);
      expect(c.Properties.DestinationConfig.OnFailure.Destination).toEqual({
        'Fn::GetAtt': ['DeadLetterQueue', 'Arn'],
      });
    }
  });
});

describe('the table', () => {
  it('is keyed by pk, on demand, with point-in-time recovery and deletion protection', () => {
    const t = resources.AutopilotTable;
    expect(t.Type).toBe('AWS::DynamoDB::Table');
    expect(t.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: TABLE_DEFINITION.AttributeDefinitions,
      GlobalSecondaryIndexes: TABLE_DEFINITION.GlobalSecondaryIndexes,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });
});

describe('IAM: least privilege', () => {
  it('grants every call the pipeline makes', () => {
    const granted = new Set(statements().flatMap((s) => list(s.Action)));
    expect(PIPELINE_ACTIONS.filter((a) => !granted.has(a))).toEqual([]);
  });

  it('has no wildcard action and no statement that is not Allow', () => {
    for (const s of statements()) {
      expect(s.Effect).toBe('Allow');
      for (const action of list(s.Action)) expect(action, `${s.Sid}: ${action}`).not.toContain('*');
    }
  });

  it('gives a `*` resource only to actions AWS documents without resource-level permissions', () => {
    for (const s of statements()) {
      if (!list(s.Resource).includes('*')) continue;
      expect(list(s.Resource), `${s.Sid}: * shares a statement with other resources`).toEqual(['*']);
      for (const action of list(s.Action)) {
        expect(STAR_RESOURCE_ALLOWED[action], `${action} has Resource "*"`).toBeDefined();
      }
    }
    const listTasks = statements().find((s) => list(s.Action).includes('ecs:ListTasks'))!;
    expect(listTasks.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': [ecsArn('cluster/prod'), ecsArn('cluster/batch')] },
    });
  });

  it('scopes every other resource to this account and region (no `*` for either)', () => {
    const stack: [string, string][] = [
      [`\${AWS::Partition}`, 'aws'],
      [`\${AWS::Region}`, 'us-east-1'],
      [`\${AWS::AccountId}`, '123456789012'],
    ];
    for (const s of statements()) {
      for (const r of list(s.Resource)) {
        if (r === '*' || (typeof r !== 'string' && !r['Fn::Sub'])) continue;
        let text: string = typeof r === 'string' ? r : r['Fn::Sub'];
        for (const [variable, value] of stack) text = text.replaceAll(variable, value);
        const [, partition, service, region, account] = text.split(':');
        expect([partition, service, region, account], `${s.Sid}: ${text}`).not.toContain('*');
        if (service !== 'iam') expect(region, text).toBe('us-east-1');
        expect(account, text).toBe('123456789012');
      }
    }
  });

  it('changes only the managed services and their canaries', () => {
    const retiring = statements().filter((s) => s.Sid === 'RetireCanariesOfRemovedTargets');
    for (const action of ['ecs:UpdateService', 'ecs:DescribeServices']) {
      const granting = statements().filter(
        (s) => list(s.Action).includes(action) && s.Sid !== 'RetireCanariesOfRemovedTargets',
      );
      expect(granting, action).toHaveLength(1);
      expect(granting[0]!.Resource).toEqual(SERVICE_ARNS);
    }
    // A removed target's canary: only services named *-canary in managed clusters, tagged by the pipeline.
    expect(retiring).toHaveLength(1);
    expect(retiring[0]!.Resource).toEqual([
      ecsArn('service/prod/*-canary'),
      ecsArn('service/batch/*-canary'),
    ]);
    expect(retiring[0]!.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/ecs-autopilot:role': 'canary' },
    });
    expect(list(retiring[0]!.Action).sort()).toEqual([
      'ecs:DeleteService',
      'ecs:DescribeServices',
      'ecs:UpdateService',
    ]);
    // The pipeline creates canary services only; primaries exist before it manages them.
    const create = statements().filter((s) => list(s.Action).includes('ecs:CreateService'));
    expect(create).toHaveLength(1);
    expect(create[0]!.Resource).toEqual(CANARY_ARNS);
    const describeTasks = statements().find((s) => list(s.Action).includes('ecs:DescribeTasks'))!;
    expect(describeTasks.Resource).toEqual([ecsArn('task/prod/*'), ecsArn('task/batch/*')]);
  });

  it('traffic: weighted changes the rules and listeners of the configured load balancers only, and makes only the canary target groups', () => {
    const elb = (r: string) =>
      sub(`arn:\${AWS::Partition}:elasticloadbalancing:\${AWS::Region}:\${AWS::AccountId}:${r}`);
    const weights = statements().find((s) => s.Sid === 'SetListenerWeights')!;
    expect(list(weights.Action).sort()).toEqual([
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:ModifyRule',
    ]);
    expect(weights.Resource).toEqual([
      elb('listener/app/front/*'),
      elb('listener-rule/app/front/*'),
      elb('listener/net/front/*'),
      elb('listener-rule/net/front/*'),
    ]);
    const groups = statements().find((s) => s.Sid === 'CanaryTargetGroups')!;
    expect(groups.Resource).toEqual([elb('targetgroup/prod-web-canary/*')]);
  });

  it('registers revisions of the configured families only, and tags only on create', () => {
    const families = [ecsArn('task-definition/web:*'), ecsArn('task-definition/worker:*')];
    const register = statements().filter((s) => list(s.Action).includes('ecs:RegisterTaskDefinition'));
    expect(register).toHaveLength(1);
    expect(register[0]!.Resource).toEqual(families);
    const tag = statements().filter((s) => list(s.Action).includes('ecs:TagResource'));
    expect(tag).toHaveLength(1);
    expect(tag[0]!.Resource).toEqual([...families, ...CANARY_ARNS]);
    expect(tag[0]!.Condition).toEqual({
      StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'CreateService'] },
    });
  });

  it('reads and writes only service records and repository marks of the table', () => {
    const writing = statements().filter((s) =>
      list(s.Action).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:GetItem'),
    );
    expect(writing).toHaveLength(2);
    for (const w of writing) expect(list(w.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(writing.map((w) => w.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['service#*'] } },
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['repository#*'] } },
    ]);
    const query = statements().filter((s) => list(s.Action).includes('dynamodb:Query'));
    expect(query.map((q) => q.Resource)).toEqual([
      [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['AutopilotTable', 'Arn'] }, '/index/outstanding']] }],
    ]);
    expect(
      statements().filter((s) =>
        list(s.Action).some(
          (a) =>
            a.startsWith('dynamodb:') &&
            a !== 'dynamodb:GetItem' &&
            a !== 'dynamodb:PutItem' &&
            a !== 'dynamodb:Query',
        ),
      ),
    ).toEqual([]);
  });

  it('grants nothing the pipeline does not call (cloudwatch:GetMetricData is gone)', () => {
    const granted = new Set(statements().flatMap((s) => list(s.Action)));
    expect(
      [...granted].filter(
        (a) =>
          a.includes(':') && !a.startsWith('logs:') && !a.startsWith('sqs:') && !PIPELINE_ACTIONS.includes(a),
      ),
    ).toEqual([]);
    expect(granted.has('cloudwatch:GetMetricData')).toBe(false);
  });

  it('passes only the named task and execution roles, only to ECS tasks', () => {
    const passing = statements().filter(
      (s) => list(s.Action).includes('iam:PassRole') && s.Sid !== 'PassLifecycleHookRole',
    );
    expect(passing).toHaveLength(1);
    const s = passing[0]!;
    expect(list(s.Action)).toEqual(['iam:PassRole']);
    expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(s.Resource).toEqual(TASK_ROLES);
  });

  it('reads exactly one SSM parameter, and decrypts it only through SSM', () => {
    const parameter = sub(
      `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ecs-autopilot/slack-webhook-url`,
    );
    const ssm = statements().filter((s) => list(s.Action).some((a) => a.startsWith('ssm:')));
    expect(ssm).toHaveLength(1);
    expect(list(ssm[0]!.Action)).toEqual(['ssm:GetParameter']);
    expect(ssm[0]!.Resource).toEqual([parameter]);
    const kms = statements().filter((s) => list(s.Action).some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect(list(kms[0]!.Action)).toEqual(['kms:Decrypt']);
    expect(kms[0]!.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': sub(`ssm.\${AWS::Region}.amazonaws.com`),
        'kms:EncryptionContext:PARAMETER_ARN': parameter,
      },
    });
  });

  it('reaches the table, the repositories and the queue by their ARNs', () => {
    const dynamo = statements().filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(3);
    for (const s of dynamo.filter((d) => !list(d.Action).includes('dynamodb:Query')))
      expect(s.Resource).toEqual([{ 'Fn::GetAtt': ['AutopilotTable', 'Arn'] }]);
    const ecr = statements().filter((s) => list(s.Action).some((a) => a.startsWith('ecr:')));
    expect(ecr).toHaveLength(1);
    expect(ecr[0]!.Resource).toEqual(
      ['shop/web', 'shop/worker'].map((r) =>
        sub(`arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${r}`),
      ),
    );
    // The dead-letter queue (Lambda's async destinations), and the wake queue only by our statement.
    const sending = statements().filter((s) => list(s.Action).includes('sqs:SendMessage'));
    expect(sending.filter((s) => s.Sid === 'ScheduleWakeUps').map((s) => s.Resource)).toEqual([
      [{ 'Fn::GetAtt': ['WakeQueue', 'Arn'] }],
    ]);
    for (const s of sending.filter((s) => s.Sid !== 'ScheduleWakeUps')) {
      expect(s.Resource).toEqual({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] });
    }
    // The event sources: receive and delete on the wake and task event queues only (osls adds it).
    const receiving = statements().filter((s) => list(s.Action).includes('sqs:ReceiveMessage'));
    expect(
      receiving
        .flatMap((s) => list(s.Resource))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([{ 'Fn::GetAtt': ['TaskEventQueue', 'Arn'] }, { 'Fn::GetAtt': ['WakeQueue', 'Arn'] }]);
  });
});

describe('the bundles', () => {
  it('are light: no source map in the zip (none asked for), and the SDK from its ES module entry', () => {
    for (const [fn, file] of Object.entries(FUNCTIONS)) {
      const zip = zips[fn]!;
      expect(
        [...zip.keys()].filter((name) => name.endsWith('.map')),
        fn,
      ).toEqual([]);
      const bundle = zip.get(`functions/${file}.mjs`)!;
      expect(bundle.toString('utf8')).not.toContain('sourceMappingURL');
      // The CommonJS entry made 1,256,000 bytes; the ES module entry 830,000; without the YAML parser
      // and the SDK's credential chain about 580,000; weighted traffic's ELBv2 calls about 626,000;
      // without the clients' unused modeled errors, their package.json and the event stream codec
      // (scripts/esbuild-plugins.cjs) and the config's validation about 408,000 (npm run bench: what
      // fills them). A guard against regressions, not a timed figure (README "Light functions").
      // 418,247 → 421,033 (ecrPush) for the gate checks of held-out stranger2: a gate blind to a
      // weighted canary, an ALARM told late, a deadline met in ELB's first health checks; 427,943
      // with the typed errors' stacks in the log, Slack's lease taken in the decision's write and the
      // held push decided again after a lost race; 391,000 (408,000 slackInteract) in npm run bench's
      // build without semver, DynamoDB's endpoint cache and the schemas' string constants. Issue 16's
      // bound is 450,000.
      expect(bundle.length, `${fn}: functions/${file}.mjs`).toBeLessThan(432_000);
      const text = bundle.toString('utf8');
      // A modeled error our code tests with instanceof stays; one it never names (SSM's) is left out.
      expect(text, fn).toContain('ConditionalCheckFailedException');
      expect(text, fn).not.toContain('InvalidAutomationSignalException');
      // Validation ran at package time: its messages are not in the bundle; nor is semver, which
      // only validation uses (the tag policy's ranges are desugared there, lib/version.ts).
      expect(text, fn).not.toContain('did you mean');
      expect(text, fn).not.toContain('Invalid comparator');
    }
    const fns = Object.fromEntries(ofType('AWS::Lambda::Function'));
    for (const [, f] of Object.entries(fns)) {
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe('');
    }
  });

  it('each bundles only the SDK clients it uses: ECR only where pushes arrive (same-second order) or are looked for (tick)', () => {
    for (const [fn, file] of Object.entries(FUNCTIONS)) {
      const bundle = zips[fn]!.get(`functions/${file}.mjs`)!.toString('utf8');
      for (const client of ['ECS', 'DynamoDB', 'CloudWatch', 'SSM', 'ApplicationAutoScaling']) {
        expect(bundle, `${fn}: ${client}Client`).toContain(`${client}Client`);
      }
      const ecr = fn === 'tick' || fn === 'ecrPush';
      expect(bundle.includes('ECRClient'), `${fn}: ECRClient`).toBe(ecr);
      expect(bundle.includes('DescribeImages'), `${fn}: DescribeImages`).toBe(ecr);
    }
  });

  it('carry the config parsed at package time, and neither a YAML parser nor the SDK’s credential chain', () => {
    const config = parseConfig(FIXTURE, 'autopilot.yml');
    for (const [fn, file] of Object.entries(FUNCTIONS)) {
      const bundle = zips[fn]!.get(`functions/${file}.mjs`)!.toString('utf8');
      // The validated config (defaults applied), as the JSON text JSON.parse reads at start.
      expect(bundle, fn).toContain(`JSON.parse('${JSON.stringify(config)}')`);
      expect(bundle, fn).not.toContain('AUTOPILOT_PACKAGED_CONFIG');
      // yaml's lexer and the chain's SSO and STS providers, by strings of theirs.
      expect(bundle, fn).not.toMatch(/Implicit map keys need to be/);
      expect(bundle, fn).not.toContain('fromSSO');
      expect(bundle, fn).not.toContain('AssumeRoleWithWebIdentity');
      expect(bundle, fn).toContain('AWS_SECRET_ACCESS_KEY');
    }
  });

  it('are ESM .mjs files with the createRequire banner, and no autopilot.yml beside them', () => {
    for (const [fn, file] of Object.entries(FUNCTIONS)) {
      const zip = zips[fn]!;
      const bundle = zip.get(`functions/${file}.mjs`)?.toString('utf8');
      expect(bundle, `${fn}.zip: functions/${file}.mjs`).toBeDefined();
      expect(bundle!.startsWith(BANNER)).toBe(true);
      expect(bundle).toMatch(/\bexport\s*\{/);
      expect(zip.has('autopilot.yml'), fn).toBe(false);
      expect([...zip.keys()].filter((name) => name.startsWith('node_modules/'))).toEqual([]);
    }
  });

  it('load in Node and handle an event end to end, the SDK included (no AWS: the endpoint refuses)', async () => {
    const root = join(work, 'ecrPush');
    for (const [name, data] of zips.ecrPush!) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), data);
    }
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(root, 'functions/ecr-push.mjs')).href)});
      const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 60000 };
      const invalid = await handler({}, context);
      const tick = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, context)
        .then((r) => r, (e) => ({ error: e.code ?? e.message }));
      console.log(JSON.stringify({ invalid, tick }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: root,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AUTOPILOT_TABLE: 'test',
        AUTOPILOT_LOG_LEVEL: 'error',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    // The config built in was read (else: status error, config.invalid) and the event was judged.
    expect(out.invalid.status).toBe('invalid');
    // The tick scanned the table through the bundled SDK and reached the socket.
    expect(out.tick).toEqual({ error: 'ECONNREFUSED' });
  });
});

describe('the Slack buttons’ function (lib/chatops)', () => {
  const role = () => resources.SlackInteractRole.Properties;
  const policy = (name: string): Statement[] =>
    role().Policies.find((p: Json) => p.PolicyName === name).PolicyDocument.Statement;

  it('is reached by a function URL with authType NONE (Slack signs its requests, not SigV4)', () => {
    const fn = resources.SlackInteractLambdaFunction.Properties;
    expect(fn.Handler).toBe('functions/slack-interact.handler');
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['SlackInteractRole', 'Arn'] });
    expect(fn.Environment.Variables).toMatchObject({
      AUTOPILOT_SLACK_SIGNING_SECRET_PARAMETER: '/ecs-autopilot/slack-signing-secret',
    });
    const [, url] = ofType('AWS::Lambda::Url')[0]!;
    expect(url.Properties.AuthType).toBe('NONE');
    const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions).toContainEqual(
      expect.objectContaining({
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      }),
    );
    expect(permissions).toContainEqual(
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Principal: '*',
        InvokedViaFunctionUrl: true,
      }),
    );
    expect(Object.keys(template.Outputs)).toContain('SlackInteractLambdaFunctionUrl');
  });

  it('has its own role: the pipeline’s statements, and the signing secret, replay keys and logs only', () => {
    // The pipeline's derived statements, the same as the pipeline role's (which also has the framework's logging).
    expect(policy('pipeline').length).toBeGreaterThan(10);
    // Compared as sets of actions: the order of a statement's actions means nothing to IAM.
    const normal = (list: Statement[]) =>
      list.map((st) => ({ ...st, Action: [...(Array.isArray(st.Action) ? st.Action : [st.Action])].sort() }));
    expect(normal(statements())).toEqual(expect.arrayContaining(normal(policy('pipeline'))));
    const own = policy('slack-buttons');
    const param = (name: string) =>
      sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ecs-autopilot/${name}`);
    // The signing secret, and the bot token (packaged with slackBotTokenParameter), by exact ARN.
    const both = [param('slack-signing-secret'), param('slack-bot-token')];
    expect(own.find((s) => s.Sid === 'SlackSecrets')).toMatchObject({
      Action: ['ssm:GetParameter'],
      Resource: both,
    });
    expect(
      own.find((s) => s.Sid === 'DecryptSlackSecrets')?.Condition?.StringEquals?.[
        'kms:EncryptionContext:PARAMETER_ARN'
      ],
    ).toEqual(both);
    expect(own.find((s) => s.Sid === 'SlackRequestKeys')?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['slack-request#*'] },
    });
    for (const st of own) {
      expect(st.Effect).toBe('Allow');
      for (const a of list(st.Action)) expect(a).not.toContain('*');
      expect(list(st.Resource)).not.toContain('*');
    }
  });
});

describe('the Slack buttons’ function: exactly what it is granted', () => {
  const param = (name: string) =>
    sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ecs-autopilot/${name}`);

  it('its function URL: AuthType NONE, on this function, no CORS (Slack calls it server to server)', () => {
    // NONE is required: Slack's interactivity requests are plain HTTPS POSTs that Slack signs with
    // its own scheme (X-Slack-Signature, HMAC-SHA256 with the app's signing secret), and Slack
    // cannot sign AWS SigV4, which AuthType AWS_IAM demands of every caller. The function checks
    // Slack's signature before it reads anything else (lib/chatops/verify.ts), so NONE opens the
    // URL to requests, not to actions.
    const urls = ofType('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    const [, url] = urls[0]!;
    expect(url.Properties).toEqual({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': ['SlackInteractLambdaFunction', 'Arn'] },
    });
    // The only public permissions: this function, and only through its URL.
    const publicOnes = ofType('AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => p.Principal === '*');
    const fn = { 'Fn::GetAtt': ['SlackInteractLambdaFunction', 'Arn'] };
    expect(publicOnes).toEqual([
      { FunctionName: fn, Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
      { FunctionName: fn, Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true },
    ]);
  });

  it('knows both parameters by name, and is granted them by exact ARN: the signing secret and the bot token', () => {
    const fn = resources.SlackInteractLambdaFunction.Properties;
    expect(fn.Environment.Variables).toMatchObject({
      AUTOPILOT_SLACK_SIGNING_SECRET_PARAMETER: '/ecs-autopilot/slack-signing-secret',
      AUTOPILOT_SLACK_BOT_TOKEN_PARAMETER: '/ecs-autopilot/slack-bot-token',
    });
    const own: Statement[] = resources.SlackInteractRole.Properties.Policies.find(
      (p: Json) => p.PolicyName === 'slack-buttons',
    ).PolicyDocument.Statement;
    const parameters = [param('slack-signing-secret'), param('slack-bot-token')];
    // Nothing beyond: the two parameters, their decryption through SSM, the replay keys, its logs.
    expect(own).toEqual([
      { Sid: 'SlackSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameters },
      {
        Sid: 'DecryptSlackSecrets',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [sub(`arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/*`)],
        Condition: {
          StringEquals: {
            'kms:ViaService': sub(`ssm.\${AWS::Region}.amazonaws.com`),
            'kms:EncryptionContext:PARAMETER_ARN': parameters,
          },
        },
      },
      {
        Sid: 'SlackRequestKeys',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: [{ 'Fn::GetAtt': ['AutopilotTable', 'Arn'] }],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['slack-request#*'] } },
      },
      {
        Sid: 'OwnLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [
          sub(
            `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/ecs-autopilot-${STAGE}-slackInteract:*`,
          ),
        ],
      },
    ]);
    // The pipeline's role is not given the Slack app's secrets: only this function reads them.
    const pipelineRole = JSON.stringify(statements());
    expect(pipelineRole).not.toContain('slack-signing-secret');
    expect(pipelineRole).not.toContain('slack-bot-token');
    // The role has those two policies, no managed policy and no other.
    const role = resources.SlackInteractRole.Properties;
    expect(role.Policies.map((p: Json) => p.PolicyName)).toEqual(['pipeline', 'slack-buttons']);
    expect(role.ManagedPolicyArns).toBeUndefined();
  });
});

describe("ECS's own strategies (ecs-*): the lifecycle hook, its role, the deployments", () => {
  it('has the lifecycleHook function, and every function knows the hook and its role', () => {
    const fns = Object.fromEntries(ofType('AWS::Lambda::Function'));
    expect(fns.LifecycleHookLambdaFunction.Properties.Handler).toBe('functions/lifecycle-hook.handler');
    for (const [id, fn] of Object.entries(fns)) {
      if (id === 'SlackInteractLambdaFunction') continue;
      const vars = (fn as Json).Properties.Environment.Variables;
      expect(vars.AUTOPILOT_LIFECYCLE_HOOK_ARN, id).toEqual(
        sub(
          `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:ecs-autopilot-${STAGE}-lifecycleHook`,
        ),
      );
      expect(vars.AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN, id).toEqual({
        'Fn::GetAtt': ['EcsLifecycleHookRole', 'Arn'],
      });
    }
  });

  it('the role ECS invokes the hook with: trusted by ECS only, lambda:InvokeFunction on the hook only', () => {
    const role = resources.EcsLifecycleHookRole.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const granted = role.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    expect(granted).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: sub(
          `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:ecs-autopilot-${STAGE}-lifecycleHook`,
        ),
      },
    ]);
  });

  it('stops and reads only the deployments of the ecs-* services, and passes the hook role only to ECS', () => {
    const deployments = statements().find((s) => s.Sid === 'EcsStrategyDeployments')!;
    expect(list(deployments.Action).sort()).toEqual([
      'ecs:DescribeServiceDeployments',
      'ecs:StopServiceDeployment',
    ]);
    expect(deployments.Resource).toEqual([ecsArn('service-deployment/batch/web/*')]);
    const pass = statements().find((s) => s.Sid === 'PassLifecycleHookRole')!;
    expect(pass.Resource).toEqual([{ 'Fn::GetAtt': ['EcsLifecycleHookRole', 'Arn'] }]);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } });
  });

  it('without an ecs-* target: neither statement', () => {
    const config = parseConfig(
      'targets: [{ cluster: prod, service: web, repository: web }]',
      'autopilot.yml',
    );
    const sids = deployConfig(config, {
      service: 'ecs-autopilot',
      stage: 'prod',
      slackWebhookParameter: '/ecs-autopilot/slack-webhook-url',
      taskRoleArns: ['none'],
      taskDefinitionFamilies: ['web'],
    }).iamStatements.map((s) => s.Sid);
    expect(sids).not.toContain('EcsStrategyDeployments');
    expect(sids).not.toContain('PassLifecycleHookRole');
  });
});

describe('the IAM parameters: named, never a broad default', () => {
  const config = parseConfig(FIXTURE, 'autopilot.yml');
  const settings = {
    service: 'ecs-autopilot',
    stage: 'prod',
    slackWebhookParameter: '/ecs-autopilot/slack-webhook-url',
    taskRoleArns: TASK_ROLES,
    taskDefinitionFamilies: ['web', 'worker'],
  };
  const passRole = (roles: string[]) =>
    deployConfig(config, { ...settings, taskRoleArns: roles }).iamStatements.filter(
      (s) => s.Action.includes('iam:PassRole') && s.Sid !== 'PassLifecycleHookRole',
    );

  it('without taskDefinitionFamilies: a clear error naming the parameter and the services', () => {
    expect(() => deployConfig(config, { ...settings, taskDefinitionFamilies: [] })).toThrow(
      DeployConfigError,
    );
    expect(() => deployConfig(config, { ...settings, taskDefinitionFamilies: [] })).toThrow(
      /taskDefinitionFamilies is required.*web,worker/,
    );
  });

  it('without taskRoleArns: a clear error that says `none` is an answer too', () => {
    expect(() => passRole([])).toThrow(/taskRoleArns is required.*taskRoleArns=none/);
  });

  it('`taskRoleArns=none` grants no iam:PassRole at all; a role list grants exactly those', () => {
    expect(passRole(['none'])).toEqual([]);
    expect(passRole(TASK_ROLES).map((s) => s.Resource)).toEqual([TASK_ROLES]);
    expect(() => passRole(['none', TASK_ROLES[0]!])).toThrow(/not an IAM role ARN/);
    expect(() => passRole(['role/ecs-*'])).toThrow(/not an IAM role ARN/);
  });
});

describe('the checked-in autopilot.yml', () => {
  it('deploys: its targets make valid rules and statements', () => {
    const config = parseConfig(readFileSync(join(ROOT, 'autopilot.yml'), 'utf8'), 'autopilot.yml');
    const deploy = deployConfig(config, {
      service: 'ecs-autopilot',
      stage: 'prod',
      slackWebhookParameter: '/ecs-autopilot/slack-webhook-url',
      taskRoleArns: ['none'],
      taskDefinitionFamilies: ['web'],
    });
    expect(deploy.events.ecrPush).toHaveLength(1);
    expect(deploy.events.tick).toHaveLength(1);
    expect(deploy.deadLetterSourceArns.length).toBeGreaterThanOrEqual(5);
  });
});
