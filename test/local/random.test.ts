/** The world's one seeded PRNG (local/core/random.ts): the worked examples of its comments. */
import { describe, expect, it } from 'vitest';
import { Random, seedOf } from '../../local/core/random.ts';

describe('Random (mulberry32)', () => {
  it('replays the same draws for the same seed, and other draws for another', () => {
    const a = new Random(7);
    const b = new Random(7);
    const drawsA = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(drawsA);
    expect(new Random(8).next()).not.toBe(drawsA[0]);
  });

  it('draws in [0, 1) and between(low, high) in [low, high)', () => {
    const r = new Random(1);
    for (let i = 0; i < 1000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      const y = r.between(5, 10);
      expect(y).toBeGreaterThanOrEqual(5);
      expect(y).toBeLessThan(10);
    }
  });

  it.each([[7, 0.011704753153026104]])('seed %i first draws %f (the comment example)', (seed, first) => {
    expect(new Random(seed).next()).toBe(first);
  });

  it.each([
    ['', 2166136261],
    ['a', 3826002220],
  ])('seedOf(%j) = %i', (text, seed) => {
    expect(seedOf(text)).toBe(seed);
  });
});
