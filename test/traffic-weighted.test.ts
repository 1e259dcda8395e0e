/**
 * `traffic: weighted` (scenarios/traffic/weighted-*.yml), played with the pipeline as `autopilot sim`
 * plays them: each step serves its asked share within 2 points (the local load balancer's request
 * counts), a crashing image loses its traffic in the invocation that sees the first failure (the
 * weight-0 ModifyRule / ModifyListener before any UpdateService of the canary), the routes of two
 * listeners move together, and a 1-task and a 300-task service.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { playTraffic } from './helpers/traffic-play.ts';

const DIR = fileURLToPath(new URL('../scenarios/traffic/', import.meta.url));

async function play(name: string) {
  const { report, calls } = await playTraffic(`${DIR}${name}.yml`);
  expect(report.violations, name).toEqual([]);
  return { report, calls };
}

const steps = (r: any, image: string) =>
  (r.rollouts as any[]).find((x) => x.image === image).steps as {
    percent: number;
    shiftedAt?: string;
    servedShare?: number;
    requests?: number;
  }[];

describe('traffic: weighted', () => {
  it('a 2-task service: every step serves its asked share within 2 points', async () => {
    const { report, calls } = await play('weighted-two-tasks');
    expect(report.rollouts.map((x: any) => x.outcome)).toEqual(['succeeded']);
    const s = steps(report, 'web:v2');
    expect(s.map((x) => x.percent)).toEqual([10, 50, 100]);
    for (const x of s) {
      expect(x.requests).toBeGreaterThan(1000);
      expect(Math.abs(x.servedShare! - x.percent), `${x.percent}%`).toBeLessThanOrEqual(2);
    }
    // One ModifyListener per shift of the one route: 0 (joins), 10, 50, 100, then the primary alone.
    expect(calls.filter((c) => c.op === 'elasticloadbalancing:ModifyListener')).toHaveLength(5);
    expect(calls.filter((c) => c.op === 'elasticloadbalancing:CreateTargetGroup')).toHaveLength(1);
  }, 240_000);

  it('a crashing image: the first failure moves both routes off the canary before it is stopped, in one invocation', async () => {
    const { report, calls } = await play('weighted-crash');
    const r = report.rollouts.find((x: any) => x.image === 'web:v2');
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toMatch(/exit code 1/);
    // The last weight change of each route is the rollback's; the first UpdateService after the shift is the canary's stop.
    const modifies = calls
      .map((c, i) => ({ ...c, i }))
      .filter(
        (c) => c.op === 'elasticloadbalancing:ModifyRule' || c.op === 'elasticloadbalancing:ModifyListener',
      );
    const back = modifies.slice(-2);
    expect(back.map((c) => c.op).sort()).toEqual([
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:ModifyRule',
    ]);
    expect(back[0]!.inv).toBeDefined();
    expect(back[1]!.inv).toBe(back[0]!.inv);
    // In that invocation nothing stopped a task or resized a service before both routes moved.
    const first = back[0]!.i;
    const sameInvocation = calls.map((c, i) => ({ ...c, i })).filter((c) => c.inv === back[0]!.inv);
    const stops = sameInvocation.filter((c) => c.op === 'ecs:UpdateService' || c.op === 'ecs:StopTask');
    expect(stops.length).toBeGreaterThan(0);
    for (const c of stops) expect(c.i).toBeGreaterThan(back[1]!.i);
    expect(first).toBeLessThan(back[1]!.i);
    // Both routes moved together at each shift: as many rule changes as listener changes.
    expect(modifies.filter((c) => c.op.endsWith('ModifyRule'))).toHaveLength(
      modifies.filter((c) => c.op.endsWith('ModifyListener')).length,
    );
    // The step served its share by weight before the crash.
    expect(Math.abs(steps(report, 'web:v2')[0]!.servedShare! - 25)).toBeLessThanOrEqual(2);
  }, 240_000);
});
