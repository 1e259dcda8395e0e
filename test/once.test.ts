import { describe, expect, it } from 'vitest';
import { keptUnlessFailed } from '../lib/once.ts';

// The worked examples of lib/once.ts: what each call gets, and how often `make` ran.
describe('keptUnlessFailed', () => {
  it.each([
    { name: 'resolves: kept', outcomes: ['a'], calls: 3, got: ['a', 'a', 'a'], made: 1 },
    {
      name: 'rejects, then resolves',
      outcomes: [new Error('x'), 'b'],
      calls: 3,
      got: ['x!', 'b', 'b'],
      made: 2,
    },
    {
      name: 'rejects every time',
      outcomes: [new Error('x'), new Error('y')],
      calls: 2,
      got: ['x!', 'y!'],
      made: 2,
    },
  ])('$name', async ({ outcomes, calls, got, made }) => {
    let ran = 0;
    const once = keptUnlessFailed(async () => {
      const o = outcomes[Math.min(ran++, outcomes.length - 1)];
      if (o instanceof Error) throw o;
      return o as string;
    });
    const seen: string[] = [];
    for (let i = 0; i < calls; i++) {
      seen.push(await once().catch((e: Error) => `${e.message}!`));
    }
    expect(seen).toEqual(got);
    expect(ran).toBe(made);
  });

  it('callers waiting on one start share it', async () => {
    let ran = 0;
    const once = keptUnlessFailed(async () => ++ran);
    expect(await Promise.all([once(), once(), once()])).toEqual([1, 1, 1]);
  });
});
