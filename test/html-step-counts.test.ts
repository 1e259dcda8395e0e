/** The tasks a step ran on, as written under the chart (the examples of `stepCounts`). */
import { describe, expect, it } from 'vitest';
import { stepCounts } from '../local/scenario/html/chart.ts';

describe('stepCounts', () => {
  it.each([
    [{ 'web:1': 4, 'web:2': 1 }, 'web:2', '1 × web:2 · 4 × web:1'],
    [{ 'web:1': 0, 'web:2': 8 }, 'web:2', '8 × web:2'],
    [{ 'web:1': 2, 'web:3': 5 }, undefined, '5 × web:3 · 2 × web:1'],
    [{}, 'web:2', 'no tasks'],
  ])('%o with new revision %s -> %s', (running, revision, text) => {
    expect(stepCounts(new Map(Object.entries(running)), revision)).toBe(text);
  });
});
