import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/core/clock.ts';

describe('VirtualClock', () => {
  it('runs timers in time order, and same-time timers in scheduling order', () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    clock.at(3000, () => seen.push('c'));
    clock.at(1000, () => seen.push('a1'));
    clock.at(1000, () => seen.push('a2'));
    clock.at(2000, () => {
      seen.push('b');
      clock.after(500, () => seen.push('b+500'));
    });
    clock.advanceTo(2600);
    expect(seen).toEqual(['a1', 'a2', 'b', 'b+500']);
    expect(clock.now()).toBe(2600);
    clock.advanceBy(1000);
    expect(seen.at(-1)).toBe('c');
  });

  it('cancels timers and repeats every interval', () => {
    const clock = new VirtualClock(0);
    let n = 0;
    const cancelled = clock.at(100, () => {
      n += 100;
    });
    cancelled();
    const stop = clock.every(1000, () => n++);
    clock.advanceTo(3500);
    expect(n).toBe(3);
    stop();
    clock.advanceTo(10_000);
    expect(n).toBe(3);
  });

  it('refuses to go back in time', () => {
    const clock = new VirtualClock(5000);
    expect(() => clock.advanceTo(4000)).toThrow(/cannot go back/);
  });
});
