/**
 * Runs the real pipeline against a local world: the same handlers (middy and all) as in Lambda,
 * subscribed by the same EventBridge rules, talking to the world over HTTP through the real SDK
 * clients, with the records in dynalite and time from the virtual clock. Slack is a local webhook
 * server (local/services/slack/index.ts) whose URLs the local SSM holds, as the real ones are held in AWS.
 */

import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Clients, createClients } from '../lib/aws.ts';
import type { Deps } from '../lib/commands/common.ts';
import { buttonsOn, type Config, type TargetConfig, webhookParameters } from '../lib/config.ts';
import type { Action } from '../lib/decide.ts';
import { createHandler, createHookHandler } from '../lib/handler.ts';
import { pushTimes, repositoryImages } from '../lib/missed-pushes.ts';
import type { Notice } from '../lib/notice.ts';
import { Pipeline, type PipelineOptions } from '../lib/pipeline.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { eventRules } from '../lib/rules.ts';
import { type Attempt, createSlack } from '../lib/slack/deliver.ts';
import { render } from '../lib/slack/message.ts';
import { DEFAULT_WEBHOOK_PARAMETER } from '../lib/slack/webhook.ts';
import { DynamoRecordStore, TABLE_DEFINITION } from '../lib/store.ts';
import {
  TASK_QUEUE_BATCH_SIZE,
  TASK_QUEUE_BATCHING_WINDOW_S,
  TASK_QUEUE_VISIBILITY_S,
  taskQueueName,
} from '../lib/task-queue.ts';
import { SqsWaker, WakingStore, wakeQueueName } from '../lib/waker.ts';
import { registerCliSteps } from './cli-step.ts';
import { LocalLambda } from './lambda.ts';
import { LocalSlack } from './services/slack/index.ts';
import { registerSlackClicks, type SlackAppSpec } from './slack-click.ts';
import type { World } from './world.ts';

export interface LocalPipeline {
  pipeline: Pipeline;
  store: DynamoRecordStore;
  /** Every notice with its virtual time, in order. */
  notices: { at: number; notice: Notice; target: TargetConfig }[];
  /**
   * Every notice Slack took, by service key. A decision whose invocation died after its commit is
   * told from the outbox by a later invocation, never through `notices` (onNotice): this is the truth.
   */
  delivered: { service: string; notice: Notice }[];
  actions: { at: number; action: Action; target: TargetConfig }[];
  /** The function ARNs the rules deliver to (a fault layer can wrap them). */
  functionArns: Record<string, string>;
  records(): Promise<ServiceRecord[]>;
  /** The local Slack the pipeline posts to, unless attached with `slack: false`. */
  slack?: LocalSlack;
  /** The `notifications` section of a scenario report: every message queued, with its attempts. */
  notificationsReport(): Promise<NotificationReport[]>;
  /** The Lambda runtime the handlers run in: cold starts and timeouts counted. */
  lambda: LocalLambda;
  /**
   * A deploy of a changed autopilot.yml: every function's warm environments are retired (Lambda
   * starts new ones for the new code), so each builds its pipeline with `config`.
   */
  redeploy(config: Config): void;
  /** Stops the local Slack. */
  close(): Promise<void>;
}

export interface NotificationReport {
  /** When it was decided (virtual ISO time). */
  at: string;
  kind: string;
  service: string;
  /** The fallback text, as sent. */
  text: string;
  /** The SSM parameter holding the webhook's URL. */
  webhook: string;
  outcome: 'sent' | 'failed' | 'pending';
  /** Every delivery attempt: when, and Slack's answer or the error. */
  attempts: { at: string; result: string }[];
}

export interface AttachOptions {
  table?: string;
  /** SDK attempts per call (the SDK's own retry with back-off). Default 5, as in Lambda. */
  maxAttempts?: number;
  /** Don't subscribe the rules (a test drives the handlers itself). */
  noRules?: boolean;
  /** The local Slack: where it prints (default stderr; false: nowhere), the send timeout; false: no Slack. */
  slack?: { print?: ((text: string) => void) | false; timeoutMs?: number; app?: SlackAppSpec } | false;
  /** The functions' timeout, ms. Default 60 s, as serverless.yml. */
  timeoutMs?: number;
  /** No wake-up queue: only events and the sweep wake a record (the pipeline before exact wake-ups). */
  noWakeups?: boolean;
}

/** Slack's messages on the terminal, clearing `autopilot sim`'s progress line first. */
const printToTerminal = (text: string) => {
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${text}` : text);
};

/** The functions' timeout and memory, as serverless.yml sets them (`timeout: 60`, `memorySize: 256`). */
const FUNCTION_TIMEOUT_MS = 60_000;
/** The local Lambda enforces the timeout on the virtual clock; middy's real-time early timeout is off (lib/handler.ts). */
const VIRTUAL_HOST = { timeoutEarlyInMillis: 0 };
const FUNCTION_MEMORY_MB = 256;

export async function attachPipeline(
  world: World,
  config: Config,
  options: AttachOptions = {},
): Promise<LocalPipeline> {
  if (!world.endpoint) throw new Error('start the world before attaching the pipeline');
  const clients = createClients(
    {
      endpoint: world.endpoint,
      region: world.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: options.maxAttempts ?? 5,
      // One process stands in for every execution environment: a burst of 500 failing tasks is 500
      // concurrent invocations, each of which would have its own sockets on AWS.
      maxSockets: 5_000,
    },
    // One pipeline serves every function here, the tick's missed-push check included.
    { ecr: ECRClient },
  );
  takeTurns(world, clients);
  const table = options.table ?? 'ecs-autopilot';
  // The runner's own set-up and reads (the table, `records()`, the report's notifications) go to
  // dynalite past the counting endpoint: `world.apiCalls` is what the pipeline cost (issue 16's
  // held-out checks read it from `autopilot sim --json`), not what the runner looked at.
  const uncounted = new DynamoDBClient({
    endpoint: world.uncountedDynamoEndpoint(),
    region: world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await uncounted.send(new CreateTableCommand({ TableName: table, ...TABLE_DEFINITION }));
  const store = new DynamoRecordStore(clients.dynamodb, table);
  const runnerStore = new DynamoRecordStore(uncounted, table);
  const notices: LocalPipeline['notices'] = [];
  const delivered: LocalPipeline['delivered'] = [];
  const actions: LocalPipeline['actions'] = [];
  const slackOptions = options.slack === false ? undefined : (options.slack ?? {});
  let slack: LocalSlack | undefined;
  const reported = new Map<string, NotificationReport>();
  if (slackOptions) {
    const print = slackOptions.print === undefined ? printToTerminal : slackOptions.print || undefined;
    slack = new LocalSlack({ now: () => world.now(), print });
    await slack.start();
    for (const name of webhookParameters(config, DEFAULT_WEBHOOK_PARAMETER)) {
      world.ssm.operations.PutParameter({
        Name: name,
        Value: slack.webhook(name),
        Type: 'SecureString',
        Overwrite: true,
      });
    }
  }
  // ECS's lifecycle hook (strategy ecs-*), and the role ECS invokes it with (serverless.yml makes both).
  const hookName = 'ecs-autopilot-lifecycleHook';
  const lifecycleHook = {
    hookTargetArn: world.arn('lambda', `function:${hookName}`),
    roleArn: `arn:aws:iam::${world.account}:role/ecs-autopilot-lifecycle-hook`,
  };
  const slackSender = slackOptions
    ? createSlack({
        ssm: clients.ssm,
        region: world.region,
        defaultWebhook: DEFAULT_WEBHOOK_PARAMETER,
        timeoutMs: slackOptions.timeoutMs,
        // The pacing is kept on the virtual clock, which does not move while a handler runs.
        sleep: async () => {},
        onAttempt: (a) => {
          reportAttempt(reported, a);
          if (a.outcome === 'sent')
            delivered.push({ service: a.service, notice: structuredClone(a.entry.notice) });
        },
        buttons: buttonsOn(config),
      })
    : undefined;
  // The wake-up queue (serverless.yml WakeQueue), its messages delivered to the `wake` function below.
  const waker = options.noWakeups ? undefined : await wakeQueue(world, table, options.maxAttempts ?? 5);
  // What each function's module builds at its top level (lib/handler.ts pipelineFactory): one per
  // execution environment (below), and one more for what runs outside Lambda here (the CLI's steps,
  // Slack's clicks, tests that call it).
  const pipelineOptions: PipelineOptions = {
    lifecycleHook,
    clients,
    store,
    config,
    ...(waker && { waker }),
    repositoryImages,
    pushTimes,
    // Deployed just after set-up: what set-up pushed, in this very millisecond, is the past (the
    // missed-push check's `since` is inclusive, lib/missed-pushes.ts); what the timeline pushes is news.
    deployedAt: world.now() + 1,
    now: () => world.now(),
    onNotice: (notice, target) => notices.push({ at: world.now(), notice: structuredClone(notice), target }),
    onAction: (action, target) => actions.push({ at: world.now(), action, target }),
    ...(slackSender && { slack: slackSender }),
  };
  const pipeline = new Pipeline(pipelineOptions);
  registerCliSteps(world, {
    clients: clients as Deps['clients'],
    // As the CLI's own connect() (lib/commands/env.ts): a command's write schedules its record's
    // next wake-up, or a resumed step would wait for the sweep (half an hour by default).
    store: waker
      ? new WakingStore(
          store,
          () => pipeline.config,
          waker,
          () => world.now(),
        )
      : store,
    config,
    lifecycleHook,
    ...(slackSender && { slack: slackSender }),
    onAction: pipelineOptions.onAction,
  });
  if (slack) {
    registerSlackClicks(world, {
      pipeline,
      store,
      runnerStore,
      slack,
      clients,
      table,
      ...(slackOptions?.app && { app: slackOptions.app }),
    });
  }
  const functionArns: Record<string, string> = {};
  // Each handler runs as Lambda runs it: cold and warm starts, its timeout (local/lambda.ts).
  const lambda = new LocalLambda(world);
  for (const fn of ['ecrPush', 'ecsEvent', 'alarm', 'tick', 'wake'] as const) {
    // Each execution environment builds its own pipeline, as a module's top level runs once per
    // environment: what one learned (a service's hint, a revision's health check) another has not.
    const environment = () => {
      const own = new Pipeline(pipelineOptions);
      return createHandler(fn, async () => own, VIRTUAL_HOST) as (
        event: any,
        context: any,
      ) => Promise<unknown>;
    };
    // Named after the table, as Serverless names both after the stage (`autopilot logs` relies on it).
    const name = `${table}-${fn}`;
    const arn = world.arn('lambda', `function:${name}`);
    functionArns[fn] = arn;
    world.functions.set(
      arn,
      lambda.functionPerEnvironment(name, environment, {
        timeoutMs: options.timeoutMs ?? FUNCTION_TIMEOUT_MS,
        memoryMb: FUNCTION_MEMORY_MB,
      }),
    );
  }
  if (waker) world.sqs.mapTo(wakeQueueName(table), functionArns.wake!, { batchSize: WAKE_BATCH_SIZE });
  world.functions.set(
    lifecycleHook.hookTargetArn,
    lambda.functionPerEnvironment(
      hookName,
      () => {
        const own = new Pipeline(pipelineOptions);
        return createHookHandler(async () => own, VIRTUAL_HOST) as (
          event: any,
          context: any,
        ) => Promise<unknown>;
      },
      { timeoutMs: options.timeoutMs ?? FUNCTION_TIMEOUT_MS, memoryMb: FUNCTION_MEMORY_MB },
    ),
  );
  // The task event queue (serverless.yml TaskEventQueue): the ecs-task rule sends to it, and the
  // ecsEvent function reads it in batches gathered for up to a second (lib/task-queue.ts).
  const taskQueue = taskQueueName(table);
  world.sqs.operations.CreateQueue!({
    QueueName: taskQueue,
    Attributes: {
      VisibilityTimeout: String(TASK_QUEUE_VISIBILITY_S),
      RedrivePolicy: JSON.stringify({ maxReceiveCount: 5 }),
    },
  });
  world.sqs.mapTo(taskQueue, functionArns.ecsEvent!, {
    batchSize: TASK_QUEUE_BATCH_SIZE,
    batchingWindowS: TASK_QUEUE_BATCHING_WINDOW_S,
  });
  if (!options.noRules) {
    const arn = (service: string, resource: string) =>
      `arn:aws:${service}:${world.region}:${world.account}:${resource}`;
    for (const rule of eventRules(config, arn)) {
      await world.events.operations.PutRule!({
        Name: `ecs-autopilot-${rule.name}`,
        ...(rule.pattern
          ? { EventPattern: JSON.stringify(rule.pattern) }
          : { ScheduleExpression: rule.schedule }),
        State: 'ENABLED',
      });
      await world.events.operations.PutTargets!({
        Rule: `ecs-autopilot-${rule.name}`,
        Targets: [
          rule.via === 'task-queue'
            ? { Id: 'taskEventQueue', Arn: world.arn('sqs', taskQueue) }
            : { Id: rule.function, Arn: functionArns[rule.function] },
        ],
      });
    }
  }
  const notificationsReport = async () => {
    const out = [...reported.values()];
    for (const r of await runnerStore.list()) {
      for (const e of r.outbox ?? []) {
        if (reported.has(`${r.key}#${e.id}`)) continue;
        const { text } = render(e.notice, {
          cluster: r.cluster,
          service: r.service,
          region: world.region,
          at: e.at,
        });
        out.push({
          at: iso(e.at),
          kind: e.notice.kind,
          service: r.key,
          text,
          webhook: e.webhook,
          outcome: 'pending',
          attempts: [],
        });
      }
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  };
  return {
    pipeline,
    store,
    notices,
    delivered,
    actions,
    functionArns,
    records: () => runnerStore.list(),
    slack,
    notificationsReport,
    lambda,
    redeploy: (next) => {
      pipelineOptions.config = next;
      Object.assign(pipeline.options, { config: next });
      lambda.retireEnvironments();
    },
    close: async () => {
      lambda.dispose();
      uncounted.destroy();
      await slack?.stop();
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** serverless.yml's WakeQueue and its event source's batch size. */
/** Named after the table, as serverless.yml names it after the stage. */
const WAKE_BATCH_SIZE = 10;

async function wakeQueue(world: World, table: string, maxAttempts: number): Promise<SqsWaker> {
  const sqs = new SQSClient({
    endpoint: world.endpoint,
    region: world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
  const { QueueUrl } = world.sqs.operations.CreateQueue!({
    QueueName: wakeQueueName(table),
    // Six times the function's timeout, as Lambda advises for an SQS event source; five receives, then the dead letters.
    Attributes: { VisibilityTimeout: '360', RedrivePolicy: JSON.stringify({ maxReceiveCount: 5 }) },
  }) as { QueueUrl: string };
  takeTurns(world, { sqs });
  return new SqsWaker(sqs, QueueUrl);
}

type Handler = (args: unknown) => Promise<unknown>;
interface TurnTaking {
  middlewareStack: { add(middleware: (next: Handler) => Handler, options: object): void };
}

/**
 * Every AWS call an invocation makes waits for its turn on the virtual clock (core/concurrency.ts),
 * each attempt of it (after the SDK's retry step), so concurrent invocations interleave at their calls.
 */
function takeTurns(world: World, clients: Partial<Clients> | { sqs: SQSClient }): void {
  for (const client of Object.values(clients)) {
    (client as unknown as TurnTaking).middlewareStack.add(
      (next) => async (args) => {
        await world.tasks.turn();
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'localTurn' },
    );
  }
}

function reportAttempt(reported: Map<string, NotificationReport>, a: Attempt): void {
  const key = `${a.service}#${a.entry.id}`;
  const entry = reported.get(key) ?? {
    at: iso(a.entry.at),
    kind: a.entry.notice.kind,
    service: a.service,
    text: a.text,
    webhook: a.entry.webhook,
    outcome: 'pending',
    attempts: [],
  };
  entry.attempts.push({
    at: iso(a.at),
    result: a.result.outcome === 'sent' ? `${a.result.status} ok` : a.result.error,
  });
  entry.outcome = a.outcome === 'retry' ? 'pending' : a.outcome;
  reported.set(key, entry);
}
