/**
 * ECS's own strategies under the pipeline's gates (issue 17): scenarios/ecs-strategies/*.yml played
 * as `autopilot sim` plays them (the local ECS runs the deployment, invokes the pipeline's lifecycle
 * hook through the local Lambda runtime and shifts the listener rule's weights), and the pure rules:
 * the mapping of steps to ECS's fields, the hook's answer, the config's checks.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config-file.ts';
import { decide } from '../lib/decide.ts';
import { checkEcsSteps, ecsStrategyFields, stepAtWeight, tenths } from '../lib/ecs-strategy.ts';
import { hookAnswer, parseHookInput } from '../lib/hook.ts';
import { MISSING_SERVICE } from '../lib/observation.ts';
import { newRecord, type Rollout, type ServiceRecord } from '../lib/record.ts';
import { loadFaultScenario, runWithFaults } from '../local/scenario/faults.ts';
import { ruleWeights, shiftsOf, strategyProblem } from '../local/services/ecs/native.ts';

const DIR = fileURLToPath(new URL('../scenarios/ecs-strategies/', import.meta.url));
const MIN = 60_000;

interface Report {
  apiCalls: Record<string, number>;
  services: { name: string; taskDefinition: string }[];
  rollouts: {
    outcome: string;
    reason: string;
    startedAt: string;
    endedAt?: string;
    steps: { percent: number; reachedAt?: string }[];
  }[];
}

async function play(file: string) {
  const run = await runWithFaults(loadFaultScenario(`${DIR}${file}`));
  const record = run.records[0]!;
  return { run, report: run.report as unknown as Report, record, rollout: record.history.at(-1)! };
}
const t = (ms?: number) => ms ?? Number.NaN;
/** A step as the validated config holds it: step(10, 5 * MIN) is 10 % baked 5 minutes. */
const step = (percent: number, bakeMs = 0) => ({ percent, bakeMs });

/** The pipeline's rollout of web:2 over web:1 with ECS's canary strategy, at its first step. */
const ecsCanaryRollout = (steps: Rollout['steps']): Rollout => ({
  id: 'r',
  image: { repository: 'web', tag: 'v2', digest: 'sha256:2', uri: 'x' },
  strategy: 'ecs-canary',
  steps,
  stepIndex: 0,
  fromTaskDefinition: 'web:1',
  taskDefinition: 'web:2',
  startedAt: 0,
  failures: [],
  ignoredAlarms: [],
});

/** The pipeline stopped ECS's deployment (one StopServiceDeployment): web runs web:1, no rollout left. */
function expectStoppedBackOnWeb1(report: Report, record: ServiceRecord) {
  expect(report.apiCalls['ecs:StopServiceDeployment']).toBe(1);
  expect(report.services.map((s) => `${s.name} ${s.taskDefinition}`)).toEqual(['web web:1']);
  expect(record.rollout).toBeUndefined();
}

describe('scenarios: ECS deploys, the pipeline gates', () => {
  it('ecs-canary, crashing image: ECS deployment stopped (ROLLBACK) by the pipeline at the first failure, not ECS', async () => {
    const { run, report, record, rollout } = await play('canary-crash.yml');
    expect(run.violations).toEqual([]);
    expect(rollout!.outcome).toBe('rolled_back');
    expect(rollout!.reason).toMatch(/Essential container in task exited/);
    // The service has no circuit breaker: only the pipeline's StopServiceDeployment rolls it back.
    expect(report.apiCalls['ecs:StopServiceDeployment']).toBe(1);
    // The new tasks crash 20 s after starting (~30 s after the push, with provisioning): rolled back within the minute.
    expect(t(rollout!.endedAt) - t(rollout!.startedAt)).toBeLessThan(MIN);
    expect(report.services.map((s) => `${s.name} ${s.taskDefinition}`)).toEqual(['web web:1']);
    expect(record.rollout).toBeUndefined();
    expect(Object.keys(record.badDigests)).toHaveLength(1);
    expect(rollout.steps[1]!.reachedAt).toBeUndefined(); // never shifted to 100 %
  }, 240_000);

  it('ecs-canary, healthy image: every stage, 10 % held until the new tasks are healthy, baked, then 100 %', async () => {
    const { run, report, record, rollout } = await play('canary-healthy.yml');
    expect(run.violations).toEqual([]);
    expect(rollout!.outcome).toBe('succeeded');
    expect(report.apiCalls['ecs:StopServiceDeployment'] ?? 0).toBe(0);
    expect(report.apiCalls['ecs:UpdateService']).toBe(1);
    const [canary, full] = rollout!.steps;
    // 100 % comes after the new tasks pass their first ALB health check (one 30 s interval after
    // they register) and then the whole 3-minute canary bake.
    expect(t(full!.reachedAt) - t(canary!.reachedAt)).toBeGreaterThanOrEqual(3 * MIN + 30_000);
    expect(report.services.map((s) => `${s.name} ${s.taskDefinition}`)).toEqual(['web web:2']);
    expect(record.lastGood?.taskDefinition).toMatch(/web:2$/);
  }, 240_000);

  it('ecs-linear: 25, 50, 75, 100 % in order, with their bakes, and succeeded', async () => {
    const { run, rollout } = await play('linear.yml');
    expect(run.violations).toEqual([]);
    expect(rollout!.outcome).toBe('succeeded');
    expect(rollout!.steps.map((s) => s.percent)).toEqual([25, 50, 75, 100]);
    const at = rollout!.steps.map((s) => t(s.reachedAt));
    // Reached as the pipeline observed each weight (an event or the tick later than the shift): in
    // order, and the two 1-minute bakes between 50 % and 100 % are there.
    for (let i = 1; i < at.length; i++) expect(at[i]!).toBeGreaterThan(at[i - 1]!);
    expect(at[3]! - at[1]!).toBeGreaterThanOrEqual(1.5 * MIN);
  }, 240_000);

  it('ecs-canary, 25 % 5xx behind a gate alarm: stopped at the canary share, never at 100 %', async () => {
    const { run, report, record, rollout } = await play('canary-5xx-gate.yml');
    expect(run.violations).toEqual([]);
    expect(rollout.outcome).toBe('rolled_back');
    expect(rollout.reason).toMatch(/^gate alarm web-green-5xx is in ALARM/);
    expect(rollout.steps[1]!.reachedAt).toBeUndefined();
    expectStoppedBackOnWeb1(report, record);
  }, 240_000);

  it('ecs-blue-green, image failing its health checks: never shifted, stopped, back on web:1', async () => {
    const { run, report, record, rollout } = await play('blue-green-unhealthy.yml');
    expect(run.violations).toEqual([]);
    expect(rollout!.outcome).toBe('rolled_back');
    expect(rollout!.reason).toMatch(/ELB health checks/);
    expectStoppedBackOnWeb1(report, record);
  }, 240_000);
});

describe('ecsStrategyFields: the examples of its comment', () => {
  it.each([
    [
      'ecs-canary',
      [step(10, 5 * MIN), step(100, 2 * MIN)],
      {
        strategy: 'CANARY',
        canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
        bakeTimeInMinutes: 2,
      },
    ],
    [
      'ecs-linear',
      [step(20, 3 * MIN), step(40, 3 * MIN), step(100, 3 * MIN)],
      {
        strategy: 'LINEAR',
        linearConfiguration: { stepPercent: 20, stepBakeTimeInMinutes: 3 },
        bakeTimeInMinutes: 3,
      },
    ],
    ['ecs-blue-green', [step(100, 10 * MIN)], { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 }],
  ] as const)('%s', (kind, steps, expected) => {
    expect(ecsStrategyFields(kind, steps)).toEqual(expected);
  });
});

describe("the local ECS's shifts: the shares ECS shifts production traffic to, in order", () => {
  it.each([
    ['CANARY', { canaryPercent: 10 }, [10, 100]],
    ['CANARY', { canaryPercent: 100 }, [100]],
    ['LINEAR', { stepPercent: 30 }, [30, 60, 90, 100]],
    ['LINEAR', { stepPercent: 33.3 }, [33.3, 66.6, 99.9, 100]],
    ['BLUE_GREEN', {}, [100]],
  ])('%s %o -> %o', (strategy, fields, expected) => {
    expect(shiftsOf({ strategy, canaryConfiguration: fields, linearConfiguration: fields })).toEqual(
      expected,
    );
  });
});

describe('stepAtWeight', () => {
  const two = [step(10), step(100)];
  const five = [20, 40, 60, 80, 100].map((percent) => step(percent));
  it.each([
    [two, 0, -1],
    [two, 10, 0],
    [two, 100, 1],
    [five, 60, 2],
    [[step(33.3), step(66.6)], 66.60000000000001, 1],
  ])('%#', (steps, weight, expected) => {
    expect(stepAtWeight(steps, weight)).toBe(expected);
  });
});

describe('checkEcsSteps and tenths', () => {
  const problems = (
    kind: Parameters<typeof checkEcsSteps>[0],
    steps: { percent: number; bakeMs: number }[],
    from: 'steps' | 'linear' = 'steps',
  ) => {
    const out: string[] = [];
    checkEcsSteps(kind, steps, from, (p, m) => out.push(`${p}: ${m}`));
    return out;
  };
  it('the examples of its comment', () => {
    expect(problems('ecs-canary', [step(10, 5 * MIN), step(100, 2 * MIN)])).toEqual([]);
    expect(problems('ecs-canary', [step(10, 90_000), step(100)])).toEqual([
      expect.stringMatching(/^steps\[0\]\.bake: must be whole minutes.*canaryBakeTimeInMinutes.*90s/),
    ]);
    expect(problems('ecs-canary', [step(10), step(50), step(100)])).toEqual([
      expect.stringMatching(/^steps: ecs-canary takes exactly two steps/),
    ]);
    expect(problems('ecs-linear', [step(2), step(100)], 'linear')).toEqual([
      expect.stringMatching(/^linear\.stepPercent: must be a multiple of 0\.1 from 3 to 100/),
    ]);
    expect(problems('ecs-blue-green', [step(50), step(100)])).toEqual([
      expect.stringMatching(/^steps: ecs-blue-green takes one step of 100%/),
    ]);
  });
  it.each([
    [10, 0.1, 99.9, true],
    [2.5, 0.1, 99.9, true],
    [2.55, 0.1, 99.9, false],
    [2, 3, 100, false],
  ])('tenths(%d, %d, %d) -> %s', (v, min, max, ok) => {
    expect(tenths(v, min, max)).toBe(ok);
  });
});

describe('autopilot.yml: strategy ecs-*', () => {
  const load = (target: string) => () =>
    parseConfig(
      `targets:\n  - { cluster: prod, service: web, repository: web, ${target} }\n`,
      'autopilot.yml',
    );
  it('defaults: ecs-canary [10% 5m, 100% 2m], ecs-linear 10% 1m, ecs-blue-green [100% 5m]', () => {
    expect(load('strategy: ecs-canary')().targets[0]!.steps).toEqual([step(10, 5 * MIN), step(100, 2 * MIN)]);
    expect(load('strategy: ecs-linear')().targets[0]!.steps.map((s) => s.percent)).toEqual([
      10, 20, 30, 40, 50, 60, 70, 80, 90, 100,
    ]);
    expect(load('strategy: ecs-blue-green')().targets[0]!.steps).toEqual([step(100, 5 * MIN)]);
  });
  it('refuses what ECS cannot take, with its path', () => {
    expect(load('strategy: ecs-canary, steps: [{ percent: 10, bake: 30s }, { percent: 100 }]')).toThrow(
      /targets\[0\]\.steps\[0\]\.bake: must be whole minutes/,
    );
    expect(load('strategy: ecs-linear, steps: [{ percent: 50, bake: 1m }, { percent: 100 }]')).toThrow(
      /targets\[0\]\.steps: does not apply to strategy: ecs-linear/,
    );
    expect(load('strategy: ecs-blue-green, linear: { stepPercent: 10 }')).toThrow(
      /targets\[0\]\.linear: applies only to strategy: linear or ecs-linear/,
    );
    expect(load('strategy: ecs-canry')).toThrow(/unknown strategy "ecs-canry"/);
  });
});

describe('hookAnswer: the examples of its comment', () => {
  const REV = 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/2';
  const rollout = (extra: Partial<Rollout> = {}, healthy = true): Rollout => ({
    ...ecsCanaryRollout([{ ...step(10), ...(healthy && { healthyAt: 1 }) }, step(100)]),
    ecsDeployment: { arn: 'sd', revisionArn: REV, status: 'IN_PROGRESS' },
    ...extra,
  });
  const record = (r?: Rollout): ServiceRecord => ({ ...newRecord('prod', 'web'), ...(r && { rollout: r }) });
  const back = { reason: 'x', at: 0, toTaskDefinition: 'web:1' };
  it.each([
    ['no rollout', record(), { hookStatus: 'SUCCEEDED' }],
    ['another revision', record(rollout()), { hookStatus: 'SUCCEEDED' }, 'arn:other'],
    [
      'rolling back, ECS undoing it',
      record(
        rollout({
          rollingBack: back,
          ecsDeployment: { arn: 'sd', revisionArn: REV, status: 'ROLLBACK_IN_PROGRESS' },
        }),
      ),
      { hookStatus: 'SUCCEEDED' },
    ],
    ['rolling back, ECS not yet', record(rollout({ rollingBack: back })), { hookStatus: 'FAILED' }],
    ['paused', record(rollout({ paused: true })), { hookStatus: 'IN_PROGRESS', callBackDelay: 15 }],
    [
      'new tasks not healthy yet',
      record(rollout({}, false)),
      { hookStatus: 'IN_PROGRESS', callBackDelay: 15 },
    ],
    ['healthy, no failure, no alarm', record(rollout()), { hookStatus: 'SUCCEEDED' }],
  ] as [string, ServiceRecord, object, string?][])('%s', (_, r, expected, revision = REV) => {
    expect(hookAnswer(r, { targetServiceRevisionArn: revision })).toEqual(expected);
  });
  it('parseHookInput reads the cluster and service from the ARN, and says what is wrong', () => {
    expect(parseHookInput({ serviceArn: 'arn:aws:ecs:us-east-1:1:service/prod/web' })).toMatchObject({
      cluster: 'prod',
      service: 'web',
    });
    expect(parseHookInput({ serviceArn: 'arn:aws:ecs:us-east-1:1:service/web' })).toEqual({
      error: expect.stringMatching(/not a service ARN with its cluster/),
    });
    expect(parseHookInput({})).toEqual({ error: 'the hook payload has no serviceArn' });
  });
});

describe('the local ECS: listener weights and what CreateService/UpdateService refuse', () => {
  it.each([
    [10, { blue: 90, green: 10 }],
    [2.5, { blue: 975, green: 25 }],
    [100, { blue: 0, green: 100 }],
  ])('ruleWeights(%d)', (p, w) => {
    expect(ruleWeights(p)).toEqual(w);
  });
  const lb = {
    targetGroupArn: 'tg',
    advancedConfiguration: {
      alternateTargetGroupArn: 'alt',
      productionListenerRule: 'rule',
      roleArn: 'arn:aws:iam::1:role/r',
    },
  };
  it.each([
    [
      { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 0.05 } },
      [lb],
      /canaryPercent must be a multiple of 0.1/,
    ],
    [
      { strategy: 'LINEAR' },
      [{ targetGroupArn: 'tg' }],
      /LINEAR deployments need loadBalancers\[\]\.advancedConfiguration/,
    ],
    [{ strategy: 'BLUE_GREEN' }, [], /need a load balancer/],
    [
      {
        strategy: 'CANARY',
        lifecycleHooks: [
          { hookTargetArn: 'arn:aws:lambda:us-east-1:1:function:h', lifecycleStages: ['POST_SCALE_UP'] },
        ],
      },
      [lb],
      /lifecycleHooks\[0\]\.roleArn is required/,
    ],
    [
      {
        strategy: 'CANARY',
        lifecycleHooks: [
          {
            hookTargetArn: 'arn:aws:lambda:us-east-1:1:function:h',
            roleArn: 'arn:aws:iam::1:role/r',
            lifecycleStages: ['SCALE_UP'],
          },
        ],
      },
      [lb],
      /SCALE_UP is not a lifecycle stage/,
    ],
  ])('%o refused', (config, lbs, message) => {
    expect(strategyProblem(config, lbs, 'ECS', (a) => a === 'rule')).toMatch(message);
  });
  it('a valid canary with its hook passes', () => {
    const config = {
      strategy: 'CANARY',
      canaryConfiguration: { canaryPercent: 10 },
      bakeTimeInMinutes: 2,
      lifecycleHooks: [
        {
          hookTargetArn: 'arn:aws:lambda:us-east-1:1:function:h',
          roleArn: 'arn:aws:iam::1:role/r',
          lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'],
        },
      ],
    };
    expect(strategyProblem(config, [lb], 'ECS', (a) => a === 'rule')).toBeUndefined();
  });
});

describe('commands under ECS strategies', () => {
  it('promote is refused, saying why, and moves no step', () => {
    const target = parseConfig(
      'targets: [{ cluster: prod, service: web, repository: web, strategy: ecs-canary }]',
      'autopilot.yml',
    ).targets[0]!;
    const record: ServiceRecord = {
      ...newRecord('prod', 'web'),
      rollout: ecsCanaryRollout(target.steps.map((s) => ({ ...s }))),
    };
    const obs = {
      primary: { ...MISSING_SERVICE, exists: true, taskDefinition: 'web:2' },
      canary: MISSING_SERVICE,
      tasks: [],
      hasHealthCheck: false,
      alarms: [],
    };
    const d = decide(
      record,
      obs,
      target,
      { kind: 'command', command: { name: 'promote', full: true } },
      1000,
    );
    expect(d.skipped).toMatch(
      /ECS times the shifts and bakes of strategy ecs-canary: promote does not apply/,
    );
    expect(d.record.rollout!.stepIndex).toBe(0);
  });
});
