/**
 * Concurrent invocations on the virtual clock, as Lambda runs them: every delivery whose handler is
 * still running when the next arrives gets its own invocation, and the two interleave at their AWS
 * calls, so two invocations can race on one service (read the same record version, both decide,
 * one conditional write loses) as they do in AWS.
 *
 *   const tasks = new Concurrency(clock, { limit: 1000 });
 *   tasks.run(dueAt, () => invokeHandler(event));   // EventBridge: one task per delivery
 *   await tasks.turn();                             // an SDK middleware: before each AWS call
 *   tasks.spend(25);                                // the call took 25 ms of the task's time
 *   await tasks.idle();                             // the world: everything due now has run
 *
 * Each task has its own virtual time (`at`): when it was delivered, plus its start and every call it
 * made (core/latency.ts). A task makes its next AWS call only when the clock reaches its `at`, and
 * only one task runs (in real time) at once: the one whose turn is earliest, ties going to the task
 * delivered first. So a run is reproducible, every call is served with one known caller
 * (`current()`), and with the latency model off (every `at` the same instant) a task runs to its end
 * before the next starts, as the world did before tasks ran concurrently.
 *
 * `interleave` makes ties go round-robin instead (the task that waited longest goes first): with the
 * latency model off, every invocation delivered at the same instant then takes one AWS call in turn,
 * the harshest interleaving (a scenario's `lambda: { interleave: true }`).
 *
 * The limit is Lambda's concurrency: the account's 1,000 concurrent executions by default ("Lambda
 * quotas": "Concurrent executions 1,000", shared by the functions without reserved concurrency),
 * which this pipeline's load never reaches; a function's `reservedConcurrency` lowers it. A delivery
 * beyond the limit waits for a free slot: Lambda keeps throttled asynchronous events in its queue
 * and retries them (up to 6 hours), "Lambda throttling" / "How Lambda handles errors and retries
 * with asynchronous invocation" in the Lambda Developer Guide; here the retry is as soon as a slot
 * frees, without its back-off.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { VirtualClock } from './clock.ts';

/** Lambda's default account concurrency ("Lambda quotas": 1,000 concurrent executions). */
export const ACCOUNT_CONCURRENCY = 1000;

export interface ConcurrencyOptions {
  /** At most this many invocations in flight; more wait for a slot. Default ACCOUNT_CONCURRENCY. */
  limit?: number;
  /** Ties between tasks due at the same instant go round-robin (see above). Default false. */
  interleave?: boolean;
}

/** One invocation in flight. */
export interface Task {
  readonly seq: number;
  /** Its virtual time: the clock must reach it before its next AWS call. */
  at: number;
  /** When it last took a turn (a counter), for round-robin ties. */
  turnedAt: number;
  /** Per-task stacks of whatever runs inside it (Lambda invocations, fault bookkeeping), by key. */
  readonly stacks: Map<symbol, unknown[]>;
}

interface Parked {
  task: Task;
  resume: () => void;
}

export class Concurrency {
  readonly limit: number;
  readonly interleave: boolean;
  /** Invocations run, and the most in flight at once. */
  readonly counts = { tasks: 0, maxInFlight: 0, waitedForSlot: 0 };
  private readonly store = new AsyncLocalStorage<Task>();
  private readonly root = new Map<symbol, unknown[]>();
  private parked: Parked[] = [];
  private waiting: ((now: number) => void)[] = [];
  private active?: Task;
  private inFlight = 0;
  private seq = 0;
  private turns = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly clock: VirtualClock,
    options: ConcurrencyOptions = {},
  ) {
    const limit = options.limit ?? ACCOUNT_CONCURRENCY;
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`concurrency limit must be a whole number of at least 1, not ${limit}`);
    this.limit = limit;
    this.interleave = options.interleave ?? false;
  }

  /**
   * Runs `body` as a new task delivered at virtual time `at` (or when a slot frees, at the limit).
   * Resolves or rejects as `body` does. The body's first step waits for its turn.
   */
  run<T>(at: number, body: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (startAt: number) => {
        this.inFlight++;
        this.counts.tasks++;
        this.counts.maxInFlight = Math.max(this.counts.maxInFlight, this.inFlight);
        const task: Task = { seq: this.seq++, at: startAt, turnedAt: 0, stacks: new Map() };
        this.store.run(task, async () => {
          try {
            await this.park(task);
            resolve(await body());
          } catch (e) {
            reject(e);
          } finally {
            this.inFlight--;
            if (this.active === task) this.active = undefined;
            this.admit(task.at);
            this.pump();
          }
        });
      };
      if (this.inFlight < this.limit) start(at);
      else {
        this.counts.waitedForSlot++;
        this.waiting.push((now) => start(Math.max(at, now)));
      }
    });
  }

  /** The task whose code is running now (whoever calls: the caller of an AWS call is served in its turn). */
  current(): Task | undefined {
    return this.active;
  }

  /** The stack under `key` of the running task (or of the world, outside every task). */
  stack<T>(key: symbol): T[] {
    const stacks = this.active?.stacks ?? this.root;
    let s = stacks.get(key);
    if (!s) {
      s = [];
      stacks.set(key, s);
    }
    return s as T[];
  }

  /** Time spent by the running task (a start, an AWS call): its next call waits that much longer. */
  spend(ms: number): void {
    if (this.active) this.active.at += ms;
  }

  /** Told of every sleep of the running task (the local Lambda counts it against the invocation). */
  readonly sleeps: ((ms: number) => void)[] = [];

  /**
   * The running task sleeps `ms` between two calls (the SDK's back-off before a retry): its time
   * moves on as if it had spent it, so its next call waits for the clock while the other tasks and
   * the world's timers (token buckets refilling) go on. Outside every task there is no time to move.
   */
  sleep(ms: number): void {
    if (!this.active) return;
    this.spend(ms);
    for (const listener of this.sleeps) listener(ms);
  }

  /**
   * Waits until the calling task's turn: the clock at its `at`, and no other task running. Code
   * outside every task (a test's own calls, the invariant checker, a Slack click) never waits.
   */
  async turn(): Promise<void> {
    const task = this.store.getStore();
    if (!task || task !== this.active) return;
    await this.park(task);
  }

  /** The earliest virtual time a task waits for, if any waits beyond now. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const p of this.parked) if (next === undefined || p.task.at < next) next = p.task.at;
    return next;
  }

  /** Tasks in flight (running or waiting for their turn). */
  get size(): number {
    return this.inFlight;
  }

  /** Resolves once no task runs and none is due at the current virtual time. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.pump();
    });
  }

  private park(task: Task): Promise<void> {
    return new Promise((resume) => {
      this.parked.push({ task, resume });
      if (this.active === task) this.active = undefined;
      this.pump();
    });
  }

  private admit(now: number): void {
    while (this.inFlight < this.limit && this.waiting.length > 0) {
      this.waiting.shift()!(now);
    }
  }

  /** Gives the turn to the earliest task due now, or tells the idle waiters nothing is due. */
  private pump(): void {
    if (this.active) return;
    const now = this.clock.now();
    let best = -1;
    for (let i = 0; i < this.parked.length; i++) {
      const p = this.parked[i]!.task;
      if (p.at > now) continue;
      if (best < 0 || this.before(p, this.parked[best]!.task)) best = i;
    }
    if (best >= 0) {
      const [p] = this.parked.splice(best, 1);
      this.active = p!.task;
      p!.task.turnedAt = ++this.turns;
      p!.resume();
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private before(a: Task, b: Task): boolean {
    if (a.at !== b.at) return a.at < b.at;
    if (this.interleave && a.turnedAt !== b.turnedAt) return a.turnedAt < b.turnedAt;
    return a.seq < b.seq;
  }
}
