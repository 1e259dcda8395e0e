/**
 * The local world: ECS, ECR, CloudWatch, CloudWatch Logs, EventBridge, SQS, SSM and DynamoDB (dynalite)
 * sharing one virtual clock, served on loopback over the real AWS wire protocols.
 *
 * Layers, each importing only those below it:
 *   local/core/      clock, ids, random, errors, throttle, the HTTP server, and the contexts
 *                    (core/context.ts) the services ask of their world
 *   local/services/  one folder per AWS service (and Slack), each written against core and its context
 *   local/world.ts   this file: composes the services and implements every context for them
 *   local/*.ts       on the world: the pipeline's functions attached to it (pipeline.ts, lambda.ts),
 *                    a person's CLI steps and Slack clicks, the web service that serves its load
 *   local/scenario/  on those: `autopilot sim` (parse, set up, play, faults, invariants, timeline,
 *                    the story and the HTML report)
 *   local/cli.ts     the top: `autopilot local` and `autopilot sim`
 *
 *   const world = new World({ start: Date.UTC(2026, 0, 1) });
 *   const endpoint = await world.start();      // http://127.0.0.1:PORT, for AWS_ENDPOINT_URL
 *   await world.runFor(60_000);                // one virtual minute, delivering events as it goes
 *   await world.stop();
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { VirtualClock } from './core/clock.ts';
import { Concurrency, type ConcurrencyOptions } from './core/concurrency.ts';
import type { Datum, LocalFunction, ResolvedImage } from './core/context.ts';
import { Ids } from './core/ids.ts';
import type { ImageBehaviour } from './core/images.ts';
import { INSTANT, type Latency, SeededLatency } from './core/latency.ts';
import { LocalServer } from './core/server.ts';
import type { AwsEvent, LocalService } from './core/service.ts';
import { EcsThrottle } from './core/throttle.ts';
import { LocalApplicationAutoScaling } from './services/application-autoscaling/index.ts';
import { LocalCloudWatch } from './services/cloudwatch/index.ts';
import { LocalEcr } from './services/ecr/index.ts';
import { type BreakerReading, LocalEcs } from './services/ecs/index.ts';
import { LocalElbv2 } from './services/elbv2/index.ts';
import { LocalEventBridge } from './services/eventbridge/index.ts';
import { LocalLogs } from './services/logs/index.ts';
import { LocalSqs } from './services/sqs/index.ts';
import { LocalSsm } from './services/ssm/index.ts';

export interface WorldOptions {
  /** Virtual start time, ms since the epoch. Default 2026-01-01T00:00:00Z. */
  start?: number;
  region?: string;
  account?: string;
  /** Seed for deterministic ids. */
  seed?: string;
  /**
   * Which documented reading of the circuit breaker's `resetOnHealthyTask` the local ECS follows
   * (local/services/ecs/constants.ts `breakerAfterHealthyTask`). Default `stops-evaluating`.
   */
  resetOnHealthyTask?: BreakerReading;
  /**
   * Model how long things take (core/latency.ts): EventBridge delivery, Lambda starts, AWS calls.
   * `true` draws from the published figures, seeded from `seed`. Default off: everything instant.
   */
  latency?: boolean | Latency;
  /** Apply the documented ECS API throttles. Default false. */
  throttling?: boolean;
  /**
   * How deliveries run as concurrent Lambda invocations (core/concurrency.ts): at most `limit` in
   * flight (default 1,000, the account's), ties `interleave`d round-robin. Default as Lambda.
   */
  concurrency?: ConcurrencyOptions;
}

export type { LocalFunction };

/** Called before each API call is served; throw an AwsError to inject a fault (issue: faults). */
export type CallInterceptor = (service: string, operation: string) => void;

export interface LoggedEvent {
  at: number;
  event: AwsEvent;
}

export class World {
  /** Where the local ECS and load balancers publish their metrics: the local CloudWatch. */
  readonly metrics: { record(namespace: string, data: Datum[]): void };
  /** Where the local ECS reads its deployment alarms: the local CloudWatch. */
  readonly alarms: LocalCloudWatch;
  readonly clock: VirtualClock;
  readonly ids: Ids;
  readonly region: string;
  readonly account: string;
  readonly ecs: LocalEcs;
  /** The ELBv2 API over the target groups the local ECS keeps (Query protocol only). */
  readonly elbv2: LocalElbv2;
  readonly ecr: LocalEcr;
  readonly cloudwatch: LocalCloudWatch;
  readonly events: LocalEventBridge;
  readonly ssm: LocalSsm;
  /** CloudWatch Logs: the local Lambdas' log groups (local/lambda.ts writes them). */
  readonly logs: LocalLogs;
  /** Queues, and Lambda's SQS event source (the pipeline's wake-ups). */
  readonly sqs: LocalSqs;
  readonly applicationAutoScaling: LocalApplicationAutoScaling;
  /** How long things take: instant unless made with `latency`. */
  readonly latency: Latency;
  /** Invocations in flight, interleaving at their AWS calls on the virtual clock. */
  readonly tasks: Concurrency;
  /** Behaviours from the scenario, keyed `repository:tag`; the local ECR binds them at push. */
  readonly images = new Map<string, ImageBehaviour>();
  /** The local SQS as EventBridge's SQS targets send to it (core/context.ts QueuesContext). */
  readonly queues = {
    send: (queueArn: string, body: string) => {
      this.sqs.operations.SendMessage!({ QueueUrl: queueArn, MessageBody: body });
    },
  };
  /** Lambda stand-ins that EventBridge targets deliver to, keyed by function ARN. */
  readonly functions = new Map<string, LocalFunction>();
  /** Every event put on the bus, whole, with its virtual time. */
  readonly eventLog: LoggedEvent[] = [];
  /** API calls served over HTTP, per `service:Operation`. Calls made in-process (set-up) are not counted. */
  readonly apiCalls: Record<string, number> = {};
  throttling: boolean;
  interceptors: CallInterceptor[] = [];

  private server?: LocalServer;
  private dynamo?: ReturnType<typeof dynalite>;
  private dynamoPort?: number;
  private ecsThrottle: EcsThrottle;
  endpoint?: string;

  constructor(options: WorldOptions = {}) {
    this.clock = new VirtualClock(options.start ?? Date.UTC(2026, 0, 1));
    this.ids = new Ids(options.seed);
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    this.throttling = options.throttling ?? false;
    this.latency =
      options.latency === true
        ? new SeededLatency(options.seed ?? 'latency')
        : options.latency
          ? options.latency
          : INSTANT;
    this.tasks = new Concurrency(this.clock, options.concurrency);
    this.ecsThrottle = new EcsThrottle(() => this.clock.now());
    this.ssm = new LocalSsm(this);
    this.logs = new LocalLogs(this);
    this.sqs = new LocalSqs(this);
    this.applicationAutoScaling = new LocalApplicationAutoScaling(this);
    this.events = new LocalEventBridge(this);
    this.cloudwatch = new LocalCloudWatch(this);
    this.metrics = this.cloudwatch;
    this.alarms = this.cloudwatch;
    this.ecr = new LocalEcr(this);
    this.ecs = new LocalEcs(this);
    this.elbv2 = new LocalElbv2(this, () => this.ecs.elb);
    if (options.resetOnHealthyTask) this.ecs.breakerReading = options.resetOnHealthyTask;
  }

  now(): number {
    return this.clock.now();
  }

  /** `arn:aws:<service>:<region>:<account>:<resource>` */
  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.account}:${resource}`;
  }

  /** Puts an AWS service event on the default bus, in the envelope AWS uses. */
  emit(source: string, detailType: string, detail: unknown, resources: string[] = []): AwsEvent {
    const event: AwsEvent = {
      version: '0',
      id: this.ids.uuid(),
      'detail-type': detailType,
      source,
      account: this.account,
      // EventBridge's `time` has whole seconds: "2019-11-16T01:54:34Z".
      time: new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      region: this.region,
      resources,
      detail,
    };
    this.events.put(event);
    return event;
  }

  /** Records an event on the bus (called by LocalEventBridge for every event it accepts). */
  logEvent(event: AwsEvent): void {
    this.eventLog.push({ at: this.now(), event });
  }

  /** What an image URI runs as, or undefined when the registry has no such image (a pull error). */
  resolveImage(uri: string): ResolvedImage | undefined {
    return this.ecr.resolve(uri);
  }

  /** Starts dynalite and the HTTP endpoint. Returns the endpoint URL. */
  async start(port = 0): Promise<string> {
    const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      dyn.once('error', reject);
      dyn.listen(0, '127.0.0.1', () => resolve());
    });
    this.dynamo = dyn;
    this.dynamoPort = (dyn.address() as AddressInfo).port;
    const services: LocalService[] = [
      this.ecs,
      this.ecr,
      this.cloudwatch,
      this.events,
      this.ssm,
      this.logs,
      this.sqs,
      this.applicationAutoScaling,
      this.elbv2,
    ];
    this.server = new LocalServer(services, {
      beforeCall: (service, operation) => this.beforeCall(service.name, operation),
      dynamodbPort: () => this.dynamoPort,
    });
    this.endpoint = await this.server.listen(port);
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    const dyn = this.dynamo;
    if (dyn) await new Promise<void>((resolve) => dyn.close(() => resolve()));
    this.server = undefined;
    this.dynamo = undefined;
  }

  /**
   * dynalite's own address, past the endpoint that counts calls: for the scenario runner's own reads
   * and set-up (the table, the records a report shows), which are not the pipeline's calls and so
   * must not be in `apiCalls` (a report's `apiCalls` is what the pipeline cost).
   */
  uncountedDynamoEndpoint(): string {
    if (this.dynamoPort === undefined) throw new Error('the local world is not started');
    return `http://127.0.0.1:${this.dynamoPort}`;
  }

  /** Environment for an SDK client (or a handler) that should talk to this world. */
  clientEnv(): Record<string, string> {
    if (!this.endpoint) throw new Error('the local world is not started');
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: this.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  private beforeCall(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    this.apiCalls[key] = (this.apiCalls[key] ?? 0) + 1;
    for (const intercept of this.interceptors) intercept(service, operation);
    if (this.throttling && service === 'ecs') this.ecsThrottle.check(operation);
  }

  /**
   * Delivers queued events to their targets until nothing is left (targets may emit more), and
   * runs every invocation's AWS calls due by now; an invocation whose next call is later waits.
   */
  async settle(maxRounds = 1000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      // Events to their rules' targets, alarm actions (Lambda, SNS), ECS's lifecycle hooks and wake-up
      // messages to theirs: each a task.
      const delivered =
        (await this.events.drain()) +
        (await this.cloudwatch.drainActions()) +
        (await this.ecs.drainHooks()) +
        (await this.sqs.drain());
      await this.tasks.idle();
      if (delivered === 0) return;
    }
    throw new Error(`events kept coming after ${maxRounds} delivery rounds: a target loops`);
  }

  /** Advances the virtual clock to `timeMs` in steps of `stepMs`, settling deliveries after each step. */
  async runUntil(timeMs: number, stepMs = 1000): Promise<void> {
    await this.settle();
    while (this.now() < timeMs) {
      // Stop at the next event delivery, so a delivery that takes 148 ms lands then, not at the next
      // step, and at an invocation's next AWS call.
      const next = Math.min(
        ...[this.events.nextDue(), this.sqs.nextDue(), this.tasks.nextDue()].map((t) =>
          t !== undefined && t > this.now() ? t : Number.POSITIVE_INFINITY,
        ),
      );
      this.clock.advanceTo(Math.min(this.now() + stepMs, timeMs, next));
      await this.settle();
    }
  }

  async runFor(ms: number, stepMs = 1000): Promise<void> {
    await this.runUntil(this.now() + ms, stepMs);
  }
}
