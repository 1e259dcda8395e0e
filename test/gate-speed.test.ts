import { describe, expect, it } from 'vitest';
import { fastestFireMs, gateTooSlow, slowGate } from '../lib/gate-speed.ts';

const MIN = 60_000;
const bakes = (...m: number[]) => m.map((x) => ({ bakeMs: x * MIN }));

// The worked examples of lib/gate-speed.ts.
describe('fastestFireMs', () => {
  it.each([
    { alarm: { Period: 60, EvaluationPeriods: 3 }, ms: 3 * MIN },
    { alarm: { Period: 60, EvaluationPeriods: 10, DatapointsToAlarm: 10 }, ms: 10 * MIN },
    { alarm: { Period: 300, EvaluationPeriods: 2, DatapointsToAlarm: 1 }, ms: 5 * MIN },
    {
      alarm: {
        EvaluationPeriods: 2,
        Metrics: [
          { Id: 'a', Period: 60 },
          { Id: 'b', MetricStat: { Period: 300 } },
        ],
      },
      ms: 10 * MIN,
    },
    { alarm: { EvaluationPeriods: 2 }, ms: undefined },
  ] as { alarm: Parameters<typeof fastestFireMs>[0]; ms: number | undefined }[])(
    '$alarm -> $ms',
    ({ alarm, ms }) => {
      expect(fastestFireMs(alarm)).toBe(ms);
    },
  );
});

describe('gateTooSlow', () => {
  it.each([
    { fires: 3, steps: bakes(2, 2, 1), slow: false },
    { fires: 5, steps: bakes(2, 2, 1), slow: false },
    { fires: 10, steps: bakes(2, 1), slow: true },
    { fires: 10, steps: [], slow: false },
  ])('fires in $fires m, bakes $steps.length steps -> slow $slow', ({ fires, steps, slow }) => {
    const why = gateTooSlow('web-5xx', fires * MIN, steps);
    expect(why !== undefined).toBe(slow);
    if (slow)
      expect(why).toMatch(/^gate alarm web-5xx needs at least 10m of breaching data .* bakes total 3m/);
  });
});

describe('slowGate', () => {
  it.each([
    { fireMs: 10 * MIN, slow: true },
    { fireMs: 3 * MIN, slow: false },
    { fireMs: undefined, slow: false },
  ])('fires in $fireMs ms, bakes 3m -> slow $slow', ({ fireMs, slow }) => {
    const why = slowGate({ name: 'web-5xx', ...(fireMs !== undefined && { fireMs }) }, bakes(2, 1));
    expect(why !== undefined).toBe(slow);
  });
});
