/**
 * The share a step really served (local/scenario/rollout-report.ts servedShare): its worked examples, and
 * the sim report's per-step share measured from the local load balancer's request counts, which is
 * not the share the step asked for when the canary is task-sized (the demo's "10 %" of 4 tasks).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ServedBetween, servedShare } from '../local/scenario/rollout-report.ts';

const rows =
  (...r: [string, string, number][]): ServedBetween =>
  () =>
    r.map(([service, revision, requests]) => ({
      key: { targetGroupArn: 'tg', service, revision },
      requests,
    }));

describe('servedShare', () => {
  it.each([
    ['canary revision 1,000 of 10,000', rows(['prod/web', 'v1', 9000], ['prod/web-canary', 'v2', 1000]), 10],
    ['33.3 %, one decimal', rows(['prod/web', 'v1', 6667], ['prod/web-canary', 'v2', 3333]), 33.3],
    [
      'other services do not count',
      rows(['prod/web', 'v1', 900], ['prod/web-canary', 'v2', 100], ['prod/api', 'v2', 5000]),
      10,
    ],
    [
      'the primary on the new revision counts too',
      rows(['prod/web', 'v2', 500], ['prod/web-canary', 'v2', 500]),
      100,
    ],
    ['no traffic: no share', rows(), undefined],
  ])('%s', (_, served, want) => {
    expect(servedShare('prod/web', 'v2', 0, 60_000, served).servedShare).toBe(want);
  });
});

describe('sim --json: each reached step carries the share the load balancer served', () => {
  it('the demo: served shares from request counts, not the asked shares: whole tasks, warming up', () => {
    const bin = fileURLToPath(new URL('../bin/autopilot.js', import.meta.url));
    const demo = fileURLToPath(new URL('../scenarios/demo.yml', import.meta.url));
    const out = execFileSync(process.execPath, [bin, 'sim', demo, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const report = JSON.parse(out);
    const v2 = report.rollouts.find((r: { image: string }) => r.image === 'web:v2');
    expect(v2.outcome).toBe('succeeded');
    for (const s of v2.steps) {
      expect(s.requests).toBeGreaterThan(0);
      expect(s.servedShare).toBeGreaterThan(0);
    }
    // "10 %" of 4 tasks is one whole canary task beside the 4 (maxSurge 100 %): a fifth of the
    // requests once it is healthy, less while it starts and waits for its first ALB check.
    const [first, , last] = v2.steps;
    expect(first.servedShare).toBeGreaterThan(first.percent);
    expect(first.servedShare).toBeLessThan(20);
    // Tasks join traffic only once healthy: 100 % serves less than all over its window.
    expect(last.servedShare).toBeLessThan(100);
    // The shares grow step by step.
    const shares = v2.steps.map((s: { servedShare: number }) => s.servedShare);
    expect([...shares].sort((a, b) => a - b)).toEqual(shares);
    // The crashing v3 never answered a request that counted: its step served 0 %.
    const v3 = report.rollouts.find((r: { image: string }) => r.image === 'web:v3');
    expect(v3.steps[0].servedShare).toBe(0);
    expect(v3.steps[1].servedShare).toBeUndefined();
  }, 240_000);
});
