/**
 * The virtual clock the whole local world shares. Nothing in `local/` reads the real time:
 * an hour of rollout runs in seconds, and a test can move time step by step.
 *
 * Timers run in time order; timers at the same instant run in the order they were scheduled,
 * so a run is reproducible.
 */
interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualClock {
  private current: number;
  private seq = 0;
  // A binary heap ordered by (at, seq): the world holds thousands of task timers at once.
  private heap: Timer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  /** Milliseconds since the epoch, virtual. */
  now(): number {
    return this.current;
  }

  date(): Date {
    return new Date(this.current);
  }

  /** Runs `fn` once the clock reaches `timeMs` (immediately due if in the past). Returns a cancel function. */
  at(timeMs: number, fn: () => void): () => void {
    const timer: Timer = { at: Math.max(timeMs, this.current), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  after(ms: number, fn: () => void): () => void {
    return this.at(this.current + ms, fn);
  }

  /** Runs `fn` every `ms` from now + ms, until cancelled. */
  every(ms: number, fn: () => void): () => void {
    let cancel = () => {};
    let stopped = false;
    const arm = () => {
      cancel = this.after(ms, () => {
        if (stopped) return;
        fn();
        arm();
      });
    };
    arm();
    return () => {
      stopped = true;
      cancel();
    };
  }

  /** The time of the earliest pending timer, if any. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Moves the clock to `timeMs`, running every timer due on the way, in order. */
  advanceTo(timeMs: number): void {
    if (timeMs < this.current)
      throw new Error(`the virtual clock cannot go back (${timeMs} < ${this.current})`);
    for (;;) {
      this.dropCancelled();
      const next = this.heap[0];
      if (!next || next.at > timeMs) break;
      this.pop();
      this.current = next.at;
      next.fn();
    }
    this.current = timeMs;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
