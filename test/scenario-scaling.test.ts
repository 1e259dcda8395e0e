import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario } from '../local/scenario/index.ts';
import type { ScalingReport } from '../local/scenario/rollout-report.ts';
import { withPipeline } from '../local/scenario/sim-pipeline.ts';

describe('scenarios/scaling.yml', () => {
  it('reports each change of the total with its alarm, out to max and in to min', async () => {
    const scenario = loadScenario(fileURLToPath(new URL('../scenarios/scaling.yml', import.meta.url)));
    const { report } = await runScenario(scenario, { onWorld: withPipeline });
    const scaling = (report as any).scaling as ScalingReport[];
    expect(scaling.map((s) => [s.from, s.to, s.alarm])).toEqual([
      [4, 6, 'web-cpu-high'],
      [6, 8, 'web-cpu-high'],
      [8, 7, 'web-cpu-low'],
      [7, 6, 'web-cpu-low'],
      [6, 5, 'web-cpu-low'],
      [5, 4, 'web-cpu-low'],
      [4, 3, 'web-cpu-low'],
      [3, 2, 'web-cpu-low'],
    ]);
    expect(scaling[0]).toMatchObject({
      service: 'prod/web',
      reason: expect.stringMatching(/^web-cpu-high in ALARM .*scale out from 4 to 6$/),
    });
    expect(Date.parse(scaling[0]!.at)).toBeGreaterThan(Date.parse('2026-01-01T00:05:00Z'));
    const web = (report as any).services.find((s: any) => s.name === 'web');
    expect(web.desiredCount).toBe(2);
  });
});
