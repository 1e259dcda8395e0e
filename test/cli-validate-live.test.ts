/**
 * `autopilot validate --live`: gates that cannot fire and services the pipeline cannot roll out are
 * told before any push (issue 13.8), asking the local AWS with the real SDK clients (reads only).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCommand } from '../lib/commands/cli.ts';
import { fiveXxAlarm, type PipelineWorld, pipelineWorld } from './helpers/pipeline-world.ts';
import { WEB_TARGET } from './helpers/web-target.ts';

let t: PipelineWorld;
let dir: string;
beforeAll(async () => {
  t = await pipelineWorld({
    // validate --live asks only whether the gate alarm exists; its threshold and missing-data rule do not matter.
    // slow-5xx needs 10 breaching minutes: longer than WEB_TARGET's bakes (2m + 2m + 1m).
    alarms: (dimensions) => [
      fiveXxAlarm(dimensions, { Threshold: 10 }),
      fiveXxAlarm(dimensions, { AlarmName: 'slow-5xx', EvaluationPeriods: 10, DatapointsToAlarm: 10 }),
    ],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'validate-live-'));
});
afterAll(async () => {
  await t?.stop();
});

async function validate(targets: Record<string, unknown>[], ...flags: string[]) {
  const file = path.join(dir, `autopilot-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify({ targets }));
  let out = '';
  let err = '';
  const code = await runCommand('validate', [file, ...flags], {
    env: t.world.clientEnv(),
    io: { out: (s) => (out += s), err: (s) => (err += s), tty: false },
  });
  return { code, out, err };
}

describe('validate --live', () => {
  it('passes a target whose service exists and whose gate alarms all exist', async () => {
    const ran = await validate([{ ...WEB_TARGET, gateAlarms: ['web-5xx', 'web-*'] }], '--live');
    expect(ran.err).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.out).toContain('prod/web');
  });

  it('names a gate alarm that matches nothing and a service that does not exist (exit 1)', async () => {
    const ran = await validate(
      [
        { ...WEB_TARGET, gateAlarms: ['web-5xxx', 'web-*'] },
        { ...WEB_TARGET, service: 'api', repository: 'api', gateAlarms: [] },
      ],
      '--live',
    );
    expect(ran.code).toBe(1);
    expect(ran.err).toMatch(/^prod\/web: gate alarm web-5xxx does not exist in CloudWatch/m);
    expect(ran.err).not.toMatch(/web-\*/);
    expect(ran.err).toMatch(/^prod\/api: service api does not exist in cluster prod/m);
    expect(ran.err).toMatch(/2 problems in AWS/);
  });

  it('refuses a gate that cannot fire before the rollout ends, and passes it once the bakes are long enough', async () => {
    const ran = await validate([{ ...WEB_TARGET, gateAlarms: ['slow-5xx'] }], '--live');
    expect(ran.code).toBe(1);
    expect(ran.err).toContain(
      "prod/web: gate alarm slow-5xx needs at least 10m of breaching data to go to ALARM, but the rollout's bakes total 5m",
    );
    const longer = await validate(
      [
        {
          ...WEB_TARGET,
          gateAlarms: ['slow-5xx'],
          steps: [
            { percent: 10, bake: '5m' },
            { percent: 100, bake: '5m' },
          ],
        },
      ],
      '--live',
    );
    expect(longer.err).toBe('');
    expect(longer.code).toBe(0);
  });

  it('refuses, under traffic: weighted, a gate scoped to the primary target group alone (it cannot see the canary)', async () => {
    // web-5xx is ALB's 5xx count by LoadBalancer and TargetGroup web: the weighted canary serves
    // from prod-web-canary, which it does not count (held-out stranger2 s23).
    const weighted = {
      ...WEB_TARGET,
      traffic: 'weighted',
      loadBalancers: ['web-alb'],
      gateAlarms: ['web-5xx'],
    };
    const ran = await validate([weighted], '--live');
    expect(ran.code).toBe(1);
    expect(ran.err).toMatch(/1 problem/);
    expect(ran.err).toMatch(
      /^prod\/web: gate alarm web-5xx watches target group web only: under traffic: weighted the canary serves from prod-web-canary/m,
    );
    // The same gate under traffic: tasks (the canary shares the primary's group) sees the canary.
    const tasks = await validate([{ ...WEB_TARGET, gateAlarms: ['web-5xx'] }], '--live');
    expect(tasks.err).toBe('');
    expect(tasks.code).toBe(0);
  });

  it('without --live asks nothing of AWS: the same config is valid', async () => {
    const ran = await validate([{ ...WEB_TARGET, gateAlarms: ['web-5xxx'] }]);
    expect(ran.code).toBe(0);
  });

  it('--json: one document with every problem', async () => {
    const ran = await validate([{ ...WEB_TARGET, gateAlarms: ['nope'] }], '--live', '--json');
    expect(ran.code).toBe(1);
    const doc = JSON.parse(ran.out);
    expect(doc).toMatchObject({ ok: false, command: 'validate', exitCode: 1, valid: false });
    expect(doc.problems).toEqual([{ target: 'prod/web', problem: expect.stringMatching(/gate alarm nope/) }]);
    // The failure document's problems in the documented shape (path, message), as for a bad config.
    expect(doc.error).toMatchObject({ kind: 'live', message: '1 problem(s) in AWS' });
    expect(doc.error.problems).toEqual([
      { path: 'targets[0]', message: expect.stringMatching(/^prod\/web: gate alarm nope/) },
    ]);
  });
});
