/**
 * A stranger's scenario (scenarios/wakeups/gate-and-freeze.yml): with a sweep of 2h, only the
 * records' own wake-ups can end an approval gate's wait and a freeze in time. Each must act within
 * seconds of its moment (the queue's whole-second delays, delivery and a Lambda start).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../local/scenario/parse.ts';
import { runScenario } from '../../local/scenario/run.ts';
import { pipelineWith } from '../../local/scenario/sim-pipeline.ts';

type Rollout = { service: string; outcome: string; reason?: string; startedAt: string; endedAt?: string };
type Notification = { at: string; kind: string; service: string };

const FILE = 'scenarios/wakeups/gate-and-freeze.yml';

describe('wake-ups for an approval gate and a freeze, with a 2h sweep', () => {
  it('rolls back at the gate timeout and starts the frozen push at the window end, each to the second', async () => {
    const { report } = await runScenario(parseScenario(readFileSync(FILE, 'utf8'), { file: FILE }), {
      onWorld: pipelineWith({}),
    });
    const rollouts = report.rollouts as Rollout[];
    const notices = report.notifications as Notification[];
    const web = rollouts.find((r) => r.service === 'prod/web')!;
    const asked = notices.find((n) => n.kind === 'approval' && n.service === 'prod/web')!;
    expect(web.outcome).toBe('rolled_back');
    expect(web.reason).toMatch(/nobody approved .* within 7m/);
    const late = Date.parse(web.endedAt!) - (Date.parse(asked.at) + 7 * 60_000);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(5_000);

    const api = rollouts.find((r) => r.service === 'prod/api')!;
    expect(api.outcome).toBe('succeeded');
    const windowEnd = Date.parse('2026-01-01T00:37:00Z');
    expect(Date.parse(api.startedAt) - windowEnd).toBeGreaterThanOrEqual(0);
    expect(Date.parse(api.startedAt) - windowEnd).toBeLessThan(5_000);
    expect(report.violations).toEqual([]);
  }, 240_000);
});
