/**
 * What a local service may ask of the world it sits on. The services (local/services/*) are written
 * against these small interfaces, never against `World` itself, so the layering runs one way:
 * core <- services <- world (which composes them and implements every context here).
 *
 *   class LocalSsm { constructor(private readonly world: WorldContext) {} }
 *   new LocalSsm(world)   // in world.ts, where `world` implements WorldContext
 */
import type { VirtualClock } from './clock.ts';
import type { Concurrency } from './concurrency.ts';
import type { Ids } from './ids.ts';
import type { ImageBehaviour } from './images.ts';
import type { Latency } from './latency.ts';
import type { AwsEvent } from './service.ts';

/** The clock, ids, account and the bus every service shares. */
export interface WorldContext {
  readonly clock: VirtualClock;
  readonly ids: Ids;
  readonly region: string;
  readonly account: string;
  now(): number;
  /** `arn:aws:<service>:<region>:<account>:<resource>` */
  arn(service: string, resource: string): string;
  /** Puts an AWS service event on the default bus, in the envelope AWS uses. */
  emit(source: string, detailType: string, detail: unknown, resources?: string[]): AwsEvent;
}

/** A local function that an EventBridge rule or an alarm action can target, by ARN. */
export type LocalFunction = (event: any) => Promise<unknown>;

/**
 * SQS queues as another service sends to them (an EventBridge rule's SQS target): by queue ARN.
 * Throws the queue's AwsError (QueueDoesNotExist, …) as SendMessage would.
 */
export interface QueuesContext {
  readonly queues: { send(queueArn: string, body: string): void };
}

/** How long things take (core/latency.ts): instant unless the world was made with a latency model. */
export interface LatencyContext {
  readonly latency: Latency;
}

/** Lambda stand-ins, keyed by function ARN (EventBridge targets, alarm actions), and the invocations in flight. */
export interface FunctionsContext {
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly tasks: Concurrency;
}

/** One CloudWatch metric data point, as a service publishes it (ALB, ECS). */
export interface Datum {
  metricName: string;
  dimensions: Record<string, string>;
  value: number;
  /** ms since the epoch, virtual */
  timestamp: number;
  unit?: string;
}

/** Where services publish metrics (the local CloudWatch, composed by the world). */
export interface MetricsContext {
  readonly metrics: { record(namespace: string, data: Datum[]): void };
}

/** CloudWatch alarms as another service reads them (the local ECS's deployment alarms). */
export interface AlarmsContext {
  readonly alarms: {
    alarmState(name: string): 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | undefined;
    /** Period × EvaluationPeriods in ms; undefined if there is no such alarm. */
    alarmWindowMs(name: string): number | undefined;
  };
}

/** What an image URI runs as: the registry's answer the local ECS starts tasks from. */
export interface ResolvedImage {
  repository: string;
  /** The tag the URI named, if it named one. */
  tag?: string;
  digest: string;
  behaviour: ImageBehaviour;
}

/** Images by URI, for the local ECS (the local ECR answers them, composed by the world). */
export interface ImagesContext {
  resolveImage(uri: string): ResolvedImage | undefined;
}
