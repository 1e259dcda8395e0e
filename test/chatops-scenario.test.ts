/**
 * The loopback Slack clicks, from a scenario's timeline (local/slack-click.ts): the real handler,
 * the real signature scheme, the pipeline's records in dynalite. Forged, expired and replayed
 * requests and an unlisted user change nothing; an approver's clicks act.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../local/scenario/parse.ts';
import { runScenario } from '../local/scenario/run.ts';
import { withPipeline } from '../local/scenario/sim-pipeline.ts';
import { expectOutcomes } from './helpers/approvals.ts';

const SCENARIO = `
name: slack clicks
seed: clicks
clusters:
  - name: prod
images:
  web:v1: healthy
  web:v2: healthy
targetGroups:
  - { name: web, deregistrationDelay: 5s }
services:
  - { cluster: prod, name: web, image: web:v1, desiredCount: 2, targetGroup: web, load: 20 }
autopilot:
  targets:
    - cluster: prod
      service: web
      repository: web
      approvers: [U123]
      buttons: true
      steps: [{ percent: 10, bake: 10m }, { percent: 50, bake: 10m }, { percent: 100, bake: 1m }]
timeline:
  - { at: 1m, push: web:v2 }
  - { at: 3m, slack: { click: pause, user: U123, signature: forged } }
  - { at: 3m10s, slack: { click: pause, user: U999 } }
  - { at: 4m, slack: { click: pause, user: U123 } }
  - { at: 4m30s, slack: { click: pause, user: U123, signature: replayed } }
  - { at: 5m, slack: { click: resume, user: U123, signature: expired } }
  - { at: 6m, slack: { click: resume, user: U123 } }
  - { at: 7m, slack: { click: promote, user: U123 } }
  - { at: 8m, slack: { click: abort, user: U123 } }
`;

describe('a scenario clicks the Slack buttons', () => {
  it('forged, expired, replayed and unlisted clicks change nothing; the approver pauses, resumes, promotes and aborts', async () => {
    const scenario = parseScenario(SCENARIO, { file: 'clicks.yml' });
    const { report } = await runScenario(scenario, { onWorld: withPipeline });
    const clicks = report.timeline
      .filter((s) => s.action === 'slack')
      .map((s) => [s.summary, s.result?.status, s.result?.answer]);
    expect(clicks).toEqual([
      ['slack: U123 clicks pause (forged signature)', 401, undefined],
      ['slack: U999 clicks pause', 200, expect.stringContaining('<@U999> is not an approver of prod/web')],
      [
        'slack: U123 clicks pause',
        200,
        expect.stringMatching(/^<@U123> paused: prod\/web: web:v2 paused at step 1\/3/),
      ],
      ['slack: U123 clicks pause (replayed signature)', 200, expect.stringContaining('already acted on')],
      ['slack: U123 clicks resume (expired signature)', 401, undefined],
      [
        'slack: U123 clicks resume',
        200,
        expect.stringMatching(/^<@U123> resumed: prod\/web: web:v2 resumed/),
      ],
      [
        'slack: U123 clicks promote',
        200,
        expect.stringMatching(/^<@U123> promoted: prod\/web: web:v2 promoted to step 2\/3/),
      ],
      ['slack: U123 clicks abort', 200, expect.stringMatching(/^<@U123> aborted: prod\/web: web:v2 aborted/)],
    ]);
    const rollouts = (report as any).rollouts as { image: string; outcome: string }[];
    expectOutcomes(rollouts, [['web:v2', 'aborted']]);
  }, 300_000);
});

// stranger17 07: a rollout rejected at its gate ends `aborted` (digest marked bad) and its
// rolled_back message carries "Retry this digest"; the click was refused ("not a rollback on
// record"). Retry is the deploy by hand that retries a rejected digest (README, approval gates).
const REJECT_THEN_RETRY = `
name: reject then retry
seed: reject-retry
clusters:
  - name: prod
images:
  web:v1: healthy
  web:v2: healthy
targetGroups:
  - { name: web, deregistrationDelay: 5s }
services:
  - { cluster: prod, name: web, image: web:v1, desiredCount: 2, targetGroup: web, load: 20 }
autopilot:
  targets:
    - { cluster: prod, service: web, repository: web, strategy: rolling, rolling: { bake: 1m }, approval: before-promotion, approvers: [U123], buttons: true }
timeline:
  - { at: 1m, push: web:v2 }
  - { at: 3m, slack: { click: reject, user: U123 } }
  - { at: 6m, slack: { click: retry, user: U123 } }
  - { at: 7m, slack: { click: approve, user: U123 } }
until: 20m
`;

describe('Retry this digest after a Reject at the approval gate', () => {
  it('the Retry on the rejected rollout’s message rolls the digest out again, through its gate', async () => {
    const scenario = parseScenario(REJECT_THEN_RETRY, { file: 'reject-retry.yml' });
    const { report } = await runScenario(scenario, { onWorld: withPipeline });
    const r = report as any;
    expect(r.violations).toEqual([]);
    const clicks = report.timeline
      .filter((s) => s.action === 'slack')
      .map((s) => [s.summary, s.result?.status, s.result?.answer]);
    expect(clicks).toEqual([
      [
        'slack: U123 clicks reject',
        200,
        expect.stringMatching(/^<@U123> rejected: prod\/web: web:v2 rejected/),
      ],
      [
        'slack: U123 clicks retry',
        200,
        expect.stringMatching(/^<@U123> retried the digest: prod\/web: rolling out web:v2 again/),
      ],
      [
        'slack: U123 clicks approve',
        200,
        expect.stringMatching(/^<@U123> approved: prod\/web: web:v2 approved/),
      ],
    ]);
    expectOutcomes(r.rollouts, [
      ['web:v2', 'aborted'],
      ['web:v2', 'succeeded'],
    ]);
    expect(r.services.find((s: any) => s.name === 'web').taskDefinition).toBe('web:2');
  }, 300_000);
});
