/**
 * The Lambda handlers as Lambda runs them (middy and all), against the local world.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config-file.ts';
import { createHandler, pipelineFactory } from '../../lib/handler.ts';
import { fixture } from '../helpers/fixtures.ts';
import { type PipelineWorld, pipelineWorld } from '../helpers/pipeline-world.ts';

const sample = (name: string) => fixture<any>(name);
const context = { awsRequestId: 'req-1', functionName: 'ecs-autopilot-ecsEvent' } as any;

describe('handlers', () => {
  let t: PipelineWorld;
  let handler: ReturnType<typeof createHandler>;
  beforeAll(async () => {
    t = await pipelineWorld();
    handler = createHandler('ecsEvent', async () => t.pipeline);
  });
  afterAll(() => t.stop());

  const calls = () => Object.values(t.world.apiCalls).reduce((a, b) => a + b, 0);

  it.each([
    [
      'the real ECS task sample (a task of no service)',
      () => sample('ecs-task-state-running.json'),
      'ignored',
    ],
    [
      'the real deployment sample (a service not managed)',
      () => sample('ecs-deployment-state-change-failed.json'),
      'unmanaged',
    ],
    [
      'the real ECR push sample (a repository that feeds nothing)',
      () => sample('ecr-image-push.json'),
      'unmanaged',
    ],
    [
      'the real alarm sample (an alarm that gates nothing)',
      () => sample('cloudwatch-alarm-state-change-alarm.json'),
      'unmanaged',
    ],
    ['a malformed event', () => ({ hello: 'world' }), 'invalid'],
    [
      'a truncated event',
      () => ({ source: 'aws.ecs', 'detail-type': 'ECS Task State Change', detail: { clusterArn: 'arn' } }),
      'invalid',
    ],
  ])('%s is acknowledged with its reason and costs no AWS call', async (_name, event, status) => {
    const before = calls();
    const result = await handler(event(), context);
    expect(result.status).toBe(status);
    expect(result.reason).toBeTruthy();
    expect(calls()).toBe(before);
  });

  it('logs one JSON line per decision with the request id', async () => {
    t.logs.length = 0;
    await handler({ hello: 'world' }, context);
    const lines = t.logs.map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'event.invalid', requestId: 'req-1' }),
    );
  });

  it('a config that does not load is reported, acknowledged, and tried again on the next invocation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autopilot-'));
    const file = join(dir, 'autopilot.yml');
    writeFileSync(file, 'targets:\n  - cluster: prod\n    service: web\n    strategy: canery\n');
    const saved = { ...process.env };
    // The local pipeline's table (local/pipeline.ts), not the dev stack's default (lib/env.ts).
    Object.assign(process.env, t.world.clientEnv(), { AUTOPILOT_TABLE: 'ecs-autopilot' });
    try {
      // In Lambda the config is built into the bundle (a bad one stops `serverless package`); here a
      // file read at each start stands for a config that does not load.
      const fromEnv = createHandler(
        'tick',
        pipelineFactory({}, {}, () => loadConfig(file)),
      );
      t.logs.length = 0;
      const result = await fromEnv(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        context,
      );
      expect(result.status).toBe('error');
      expect(result.reason).toMatch(/targets\[0\]\.repository/);
      expect(result.reason).toMatch(/targets\[0\]\.strategy/);
      expect(t.logs.some((l) => l.includes('"config.invalid"'))).toBe(true);
      writeFileSync(file, 'targets:\n  - cluster: prod\n    service: web\n    repository: web\n');
      const fixed = await fromEnv(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        context,
      );
      expect(fixed.status).not.toBe('error');
    } finally {
      process.env = saved;
    }
  });
});
