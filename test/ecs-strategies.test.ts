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
import { setLogSink } from '../lib/log.ts';
import { MISSING_SERVICE } from '../lib/observation.ts';
import { newRecord, type Rollout, type ServiceRecord } from '../lib/record.ts';
import { loadFaultScenario, parseFaultScenario, runWithFaults } from '../local/scenario/faults.ts';
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

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const previous = setLogSink(() => {});
  try {
    return await run();
  } finally {
    setLogSink(previous);
  }
}

/**
 * A service of 4 tasks on an EC2 cluster with room for 5 (cpu 1280 / 256) under ecs-canary: ECS
 * starts the whole new revision beside the old, places 1 of its 4 tasks and says it cannot place
 * the rest. `image` is web:v2's behaviour, `extra` more of the target's fields, `breaker` ECS's
 * circuit breaker (with rollback) on the service.
 */
function fullClusterCanary(image: string, { breaker = false, extra = '' } = {}) {
  const config = breaker
    ? ',\n      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true } }'
    : '';
  return `name: ecs-canary on a full cluster
seed: ecs-room5
clusters:
  - name: prod
    instances: [{ type: t3.small, cpu: 1280, memory: 4096, count: 1 }]
images: { web:v1: healthy, web:v2: ${image} }
targetGroups:
  - { name: web, deregistrationDelay: 10s }
  - { name: web-green, deregistrationDelay: 10s }
services:
  - { cluster: prod, name: web, image: web:v1, desiredCount: 4, targetGroup: web, alternateTargetGroup: web-green, load: 40${config} }
autopilot:
  targets:
    - { cluster: prod, service: web, repository: web, strategy: ecs-canary, stepDeadline: 8m${extra}, steps: [{ percent: 10, bake: 3m }, { percent: 100, bake: 2m }] }
timeline:
  - { at: 1m, push: web:v2 }
`;
}

/** Plays a scenario given as text, its log left out (a failure is in the assertions). */
async function playText(text: string) {
  const run = await quietly(() => runWithFaults(parseFaultScenario(text, { file: 'inline.yml' })));
  const record = run.records[0]!;
  return { run, report: run.report as unknown as Report, record, rollout: record.history.at(-1)! };
}

describe('ECS strategies on a full cluster: the cluster is named, a healthy image is not marked bad', () => {
  it('ecs-canary, healthy image, 3 of 4 new tasks unplaced: rolled back at its deadline for capacity, digest not bad', async () => {
    const { run, report, record, rollout } = await playText(fullClusterCanary('healthy'));
    expect(run.violations).toEqual([]);
    expect(rollout.outcome).toBe('rolled_back');
    // The new tasks are the primary's own ECS deployment: there is no canary service to look in.
    expect(rollout.reason).toMatch(
      /^step 1 \(10%\) was not healthy within its deadline of 8m: 3 of 4 primary tasks could not be placed \(not enough capacity in the cluster\?\)$/,
    );
    expect(record.badDigests).toEqual({});
    // The one task that fit was progress when it came up (~25 s in), not when the 4m health recheck
    // saw it: the deadline is 8m from then (it was 12m, the recheck's 4m past the deadline).
    expect(t(rollout.endedAt) - t(rollout.startedAt)).toBeLessThan(9 * MIN);
    expect(report.services.map((s) => `${s.name} ${s.taskDefinition}`)).toEqual(['web web:1']);
    expect(record.rollout).toBeUndefined();
  }, 240_000);

  it("ecs-canary, healthy image, ECS's circuit breaker fails the unplaced tasks: rolled back naming capacity, digest not bad", async () => {
    const { run, report, record, rollout } = await playText(fullClusterCanary('healthy', { breaker: true }));
    expect(run.violations).toEqual([]);
    expect(rollout.outcome).toBe('rolled_back');
    expect(rollout.reason).toMatch(
      /^ECS stopped its deployment of the revision \(ROLLBACK_\w+\): ECS deployment circuit breaker: tasks failed to start\. \(ECS could not place its tasks: not enough capacity in the cluster\?\)$/,
    );
    expect(record.badDigests).toEqual({});
    expect(report.services.map((s) => `${s.name} ${s.taskDefinition}`)).toEqual(['web web:1']);
    expect(record.rollout).toBeUndefined();
  }, 240_000);

  it('ecs-canary, an image whose one placed task starts and crashes, failedTasks 3, breaker on: blamed and marked bad', async () => {
    const { run, record, rollout } = await playText(
      fullClusterCanary('{ crash: { after: 0s, exitCode: 1 } }', {
        breaker: true,
        extra: ', failedTasks: 3',
      }),
    );
    expect(run.violations).toEqual([]);
    expect(rollout.outcome).toBe('rolled_back');
    // ECS's breaker ends it (one failure is under failedTasks), but a task of the image did fail.
    expect(rollout.reason).toMatch(/ECS deployment circuit breaker: tasks failed to start\.$/);
    expect(rollout.failures.length).toBeGreaterThan(0);
    expect(Object.keys(record.badDigests)).toHaveLength(1);
  }, 240_000);
});

describe('ECS strategies: a step after a pause is reported when ECS shifts', () => {
  it('ecs-linear paused in step 1 past its bake, resumed 20 minutes later: step 2 reported within 45 s of the resume', async () => {
    const file = fileURLToPath(
      new URL('../scenarios/held-out/stranger16/03-7-ecs-linear-pause-resume-step-late.yml', import.meta.url),
    );
    const run = await quietly(() => runWithFaults(loadFaultScenario(file)));
    const rollout = run.records[0]!.history.at(-1)!;
    expect(run.violations).toEqual([]);
    expect(rollout.outcome).toBe('succeeded');
    const start = Date.parse((run.report as unknown as { startedAt: string }).startedAt);
    const reached = rollout.steps.map((s) => t(s.reachedAt) - start);
    // Resumed at 23m; ECS shifts to 68 % at the hook's next callback (~14 s later). The look for it
    // doubled on from the bake's end (3m58) to 35m58, so step 2 was reported at 25m13, with step 3.
    expect(reached[1]).toBeGreaterThanOrEqual(23 * MIN);
    expect(reached[1]).toBeLessThanOrEqual(23 * MIN + 45_000);
    expect(reached[2]).toBeGreaterThan(reached[1]! + MIN);
  }, 240_000);
});
