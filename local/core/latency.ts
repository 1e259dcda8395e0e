/**
 * How long things take in AWS, as a seeded model: EventBridge delivery to a Lambda target, Lambda
 * cold and warm starts, and each AWS API call. Off (all zero) unless a world is made with
 * `latency`; `autopilot sim` and the benchmarks turn it on, unit tests mostly leave it off.
 *
 * Figures (each a distribution given by quantiles, drawn by interpolating between them):
 * - EventBridge bus → asynchronous Lambda target, measured in eu-west-1 after EventBridge's Feb 2023
 *   upgrade: p10 113 ms, p50 148 ms, p90 241 ms, p99 387 ms (bitesizedserverless.com, "Serverless
 *   messaging latency compared"). The tail beyond p99 (to 2 s at p99.9, 5 s at the end) is ours:
 *   "a tail of seconds" is reported by users but not measured there.
 * - Lambda cold start (INIT) of a Node.js function with SDK v3 clients: 178–227 ms bundled (Node 20,
 *   perpil/sso-coldstart-benchmark), about 375 ms with three clients on Node 22 (speedrun.nobackspacecrew
 *   .com, 2025); modelled as p0 180, p50 250, p100 400 ms. Warm starts add a few ms: p0 1, p100 5 ms
 *   (ours). An execution environment stays warm for 10 minutes of idleness (ours: AWS publishes no
 *   figure; cold starts are "typically under 1% of invocations", AWS Compute Blog, 2025).
 * - An AWS API call from Lambda in the same region: p0 8, p50 25, p99 120, p100 400 ms (ours, from
 *   the usual single-digit-to-tens of ms of regional AWS APIs; no published per-service figure).
 */
import { Random, seedOf } from './random.ts';

/** Quantiles as [share 0..1, ms], ascending. */
export type Quantiles = readonly (readonly [number, number])[];

export const EVENTBRIDGE_TO_LAMBDA: Quantiles = [
  [0, 80],
  [0.1, 113],
  [0.5, 148],
  [0.9, 241],
  [0.99, 387],
  [0.999, 2000],
  [1, 5000],
];
export const LAMBDA_COLD_START: Quantiles = [
  [0, 180],
  [0.5, 250],
  [1, 400],
];
export const LAMBDA_WARM_START: Quantiles = [
  [0, 1],
  [1, 5],
];
export const AWS_CALL: Quantiles = [
  [0, 8],
  [0.5, 25],
  [0.99, 120],
  [1, 400],
];
/** How long an idle execution environment stays warm (ours). */
export const KEEP_WARM_MS = 10 * 60_000;

/**
 * The value at share `u` of a distribution given by quantiles (linear between them), rounded to ms.
 *
 *   at(EVENTBRIDGE_TO_LAMBDA, 0.5)   → 148
 *   at(EVENTBRIDGE_TO_LAMBDA, 0.3)   → 131 (halfway between 113 and 148 → 130.5)
 *   at(AWS_CALL, 0)                  → 8
 */
export function at(q: Quantiles, u: number): number {
  for (let i = 1; i < q.length; i++) {
    const [p1, v1] = q[i]!;
    const [p0, v0] = q[i - 1]!;
    if (u <= p1) return Math.round(v0 + ((v1 - v0) * (u - p0)) / (p1 - p0 || 1));
  }
  return q.at(-1)![1];
}

export interface Latency {
  /** From PutEvents (or an AWS service's event) to the target's invocation. */
  delivery(): number;
  /** A Lambda invocation's start: cold (INIT) or warm. */
  start(cold: boolean): number;
  /** One AWS API call, as the caller waits for it. */
  call(service: string, operation: string): number;
}

/** Everything instant: the world as it was before the model (unit tests). */
export const INSTANT: Latency = { delivery: () => 0, start: () => 0, call: () => 0 };

/** The seeded model: the same seed draws the same latencies. */
export class SeededLatency implements Latency {
  private readonly random: Random;

  constructor(seed: string | number = 'latency') {
    this.random = new Random(typeof seed === 'number' ? seed : seedOf(seed));
  }

  delivery(): number {
    return at(EVENTBRIDGE_TO_LAMBDA, this.random.next());
  }

  start(cold: boolean): number {
    return at(cold ? LAMBDA_COLD_START : LAMBDA_WARM_START, this.random.next());
  }

  call(): number {
    return at(AWS_CALL, this.random.next());
  }
}
