/**
 * The SDK's standard retry strategy with its back-off spent on the virtual clock.
 *
 * Against the throttled local ECS, a throttled call is retried by the SDK after a back-off; in AWS
 * the token buckets refill during that back-off. The local world's clock does not move for real
 * sleeps, so with them every retry inside one invocation meets the same empty bucket (and the
 * benchmark sleeps for real). This strategy keeps the SDK's rules (attempts, retry quota,
 * costs, exponential back-off with full jitter, the 20 s cap: @smithy/core util-retry
 * StandardRetryStrategy with its 2026 constants) but spends the back-off on the virtual clock
 * instead of sleeping for real: the invocation sleeps in its own virtual time (core/concurrency.ts
 * sleep) and its local Lambda counts the back-off against its timeout, as Lambda counts wall-clock
 * time; the jitter is seeded so a run replays exactly.
 */
import type { Clients } from '../lib/aws.ts';
import type { World } from '../local/world.ts';

/** @smithy/core util-retry constants (retries-2026-config.js, constants.js). */
const INITIAL_RETRY_TOKENS = 500;
const NO_RETRY_INCREMENT = 1;
const MAXIMUM_RETRY_DELAY = 20_000;
const THROTTLING_DELAY = 1_000;
const DEFAULT_DELAY = 50;
const THROTTLING_COST = 5;
const OTHER_COST = 14;

interface Token {
  count: number;
  cost?: number;
  $retryLog: { acquisitionDelay: number };
  getRetryCount(): number;
  getRetryDelay(): number;
  getRetryCost(): number | undefined;
}

export interface RetryStats {
  /** Retries by error type (THROTTLING, TRANSIENT, …). */
  retries: Record<string, number>;
  /** Calls that gave up (attempts or retry quota exhausted, or not retryable). */
  gaveUp: Record<string, number>;
  backoffMs: number;
  /** Attempts answered ThrottlingException, by `service:Operation`. */
  throttled: Record<string, number>;
}

function token(count: number, cost?: number): Token {
  return {
    count,
    cost,
    $retryLog: { acquisitionDelay: 0 },
    getRetryCount: () => count,
    getRetryDelay: () => 0,
    getRetryCost: () => cost,
  };
}

class VirtualRetryStrategy {
  readonly mode = 'standard';
  private capacity = INITIAL_RETRY_TOKENS;
  private seed: number;

  constructor(
    private readonly maxAttempts: number,
    private readonly world: World,
    private readonly stats: RetryStats,
    seed: number,
  ) {
    this.seed = seed;
  }

  /** mulberry32: the jitter, reproducible. */
  private random(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = this.seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  async acquireInitialRetryToken(): Promise<Token> {
    return token(0);
  }

  async refreshRetryTokenForRetry(previous: Token, errorInfo: { errorType: string }): Promise<Token> {
    const type = errorInfo.errorType;
    const cost = type === 'THROTTLING' ? THROTTLING_COST : OTHER_COST;
    const retryable = type === 'THROTTLING' || type === 'TRANSIENT';
    if (!retryable || previous.count + 1 >= this.maxAttempts || this.capacity < cost) {
      this.stats.gaveUp[type] = (this.stats.gaveUp[type] ?? 0) + 1;
      throw new Error('No retry token available');
    }
    this.capacity -= cost;
    const base = type === 'THROTTLING' ? THROTTLING_DELAY : DEFAULT_DELAY;
    const delay = Math.floor(this.random() * Math.min(base * 2 ** previous.count, MAXIMUM_RETRY_DELAY));
    this.stats.retries[type] = (this.stats.retries[type] ?? 0) + 1;
    this.stats.backoffMs += delay;
    // The back-off is the invocation's own time (its Lambda counts it against the timeout): its
    // retry waits for the clock while buckets refill and the other invocations go on. Outside every
    // invocation, the world's clock moves.
    if (this.world.tasks.current()) this.world.tasks.sleep(delay);
    else this.world.clock.advanceTo(this.world.now() + delay);
    return token(previous.count + 1, cost);
  }

  recordSuccess(t: Token): void {
    this.capacity = Math.min(INITIAL_RETRY_TOKENS, this.capacity + (t.getRetryCost() ?? NO_RETRY_INCREMENT));
  }
}

/**
 * Replaces the retry strategy of every client of the pipeline (same max attempts), and counts the
 * attempts that were throttled (a middleware inside the retry loop).
 */
export async function useVirtualBackoff(clients: Clients, world: World, stats: RetryStats): Promise<void> {
  let seed = 1;
  for (const [service, client] of Object.entries(clients)) {
    const config = (client as any).config;
    const maxAttempts = await config.maxAttempts();
    const strategy = new VirtualRetryStrategy(maxAttempts, world, stats, seed++);
    config.retryStrategy = async () => strategy;
    (client as any).middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        try {
          return await next(args);
        } catch (e) {
          if ((e as Error)?.name === 'ThrottlingException') {
            const key = `${service}:${String(context.commandName).replace(/Command$/, '')}`;
            stats.throttled[key] = (stats.throttled[key] ?? 0) + 1;
          }
          throw e;
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'benchCountThrottled' },
    );
  }
}
