/**
 * The one seeded PRNG of the local world (mulberry32): every draw the world makes (placement ties,
 * fault rates, latencies) comes from a `Random`, so a seed replays a run exactly.
 *
 *   const r = new Random(7);
 *   r.next();          // 0.01170475... for seed 7, on every machine
 *   r.between(5, 10);  // uniform in [5, 10)
 *
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, period 2^32, fast and good enough
 * for simulation; not for anything secret.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /** A number in [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.next();
  }
}

/**
 * A 32-bit seed from any string (FNV-1a), so a scenario's `seed: "abc"` seeds the PRNG as well as ids.
 * Examples: seedOf('') = 2166136261; seedOf('a') = 3826002220.
 */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
