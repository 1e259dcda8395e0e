/**
 * The fault properties' machinery: fault schedules as fast-check arbitraries, one case run as a
 * whole local world (scenario + pipeline + faults + invariants), the outcome the issue asks for,
 * and a failing case printed as a scenario file that replays it.
 *
 *   const details = await checkFaults(['healthy push', 'duplicate push'], { seed: 8, numRuns: 60 });
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect } from 'vitest';
import { setLogSink } from '../../lib/log.ts';
import { HEALTHY } from '../../local/core/images.ts';
import {
  AWS_ERROR_KINDS,
  type AwsCallFault,
  type ConflictFault,
  type EventFault,
  type FaultPlan,
  type FaultRun,
  type KillFault,
  mergePlans,
  parseFaultScenario,
  type RaceFault,
  type RateFault,
  runWithFaults,
  type SlackFault,
  scenarioWithFaults,
} from '../../local/scenario/faults.ts';
import type { Scenario } from '../../local/scenario/parse.ts';
import { type FaultScenario, faultScenario, PLAIN, type ScenarioName, type Shape } from './scenarios.ts';

// ---- schedules --------------------------------------------------------------------------------

const DETAIL_TYPES = [
  'ECS Task State Change',
  'ECS Deployment State Change',
  'ECS Service Action',
  'CloudWatch Alarm State Change',
  'Scheduled Event',
  '*',
];

const eventFault: fc.Arbitrary<EventFault> = fc
  .record({
    target: fc.oneof(
      {
        weight: 1,
        arbitrary: fc.record({ match: fc.constant('ECR Image Action'), nth: fc.integer({ min: 1, max: 2 }) }),
      },
      {
        weight: 4,
        arbitrary: fc.record({
          match: fc.constantFrom(...DETAIL_TYPES),
          nth: fc.integer({ min: 1, max: 30 }),
        }),
      },
    ),
    action: fc.oneof(
      fc.constant({ do: 'drop' as const }),
      fc.constant({ do: 'duplicate' as const }),
      fc.record({
        do: fc.constant('delay' as const),
        byMs: fc.integer({ min: 1, max: 240 }).map((s) => s * 1000),
      }),
      fc.record({ do: fc.constant('fail' as const), times: fc.integer({ min: 1, max: 3 }) }),
    ),
  })
  .map(({ target, action }) => ({ ...target, ...action }));

const kill: fc.Arbitrary<KillFault> = fc.record({
  invocation: fc.integer({ min: 1, max: 45 }),
  after: fc.integer({ min: 0, max: 14 }),
});

const awsCall: fc.Arbitrary<AwsCallFault> = fc.record({
  call: fc.integer({ min: 1, max: 450 }),
  times: fc.integer({ min: 1, max: 6 }),
  error: fc.constantFrom(...AWS_ERROR_KINDS),
});

const rate: fc.Arbitrary<RateFault> = fc.record({
  share: fc.integer({ min: 1, max: 6 }).map((p) => p / 100),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  error: fc.constantFrom('throttle' as const, 'unavailable' as const, 'internal' as const),
});

const conflict: fc.Arbitrary<ConflictFault> = fc
  .record({ write: fc.integer({ min: 1, max: 12 }), applied: fc.boolean() })
  .map((c) => (c.applied ? c : { write: c.write }));

const race: fc.Arbitrary<RaceFault> = fc.record({ invocation: fc.integer({ min: 1, max: 40 }) });

const slackFault: fc.Arbitrary<SlackFault> = fc.record({
  request: fc.integer({ min: 1, max: 8 }),
  // `timeout` waits in real time (the local Slack answers late): left to the targeted tests.
  fail: fc.constantFrom('http-500' as const, 'http-429' as const, 'invalid-url' as const),
  times: fc.integer({ min: 1, max: 3 }),
});

export interface Intensity {
  events: number;
  kills: number;
  aws: number;
  conflicts: number;
  races: number;
  slack: number;
}

/** A fault schedule: up to `max` faults of each kind, often none. */
export const faultPlanWith = (max: Intensity): fc.Arbitrary<FaultPlan> =>
  fc
    .record({
      events: fc.array(eventFault, { maxLength: max.events }),
      kills: fc.array(kill, { maxLength: max.kills }),
      aws: fc.array(awsCall, { maxLength: max.aws }),
      rate: fc.option(rate, { freq: 4, nil: undefined }),
      conflicts: fc.array(conflict, { maxLength: max.conflicts }),
      races: fc.array(race, { maxLength: max.races }),
      slack: fc.array(slackFault, { maxLength: max.slack }),
    })
    .map((p) => {
      const plan: FaultPlan = {};
      if (p.events.length) plan.events = p.events;
      if (p.kills.length) plan.kills = p.kills;
      if (p.aws.length) plan.aws = p.aws;
      if (p.rate) plan.rate = p.rate;
      if (p.conflicts.length) plan.conflicts = p.conflicts;
      if (p.races.length) plan.races = p.races;
      if (p.slack.length) plan.slack = p.slack;
      return plan;
    });

/**
 * The service's shape and a person's hand: 1, 4 or 12 tasks (4 most often, the faults' own
 * counts were tuned on it), sometimes a pause from the CLI past stepDeadline, a scale-out by hand
 * mid-step, the gate already in ALARM at the push, a second gate stuck in INSUFFICIENT_DATA.
 * 500 tasks and tight EC2 capacity are the verdict suite's (`npm run verdicts`): one such world
 * takes minutes, not the seconds a schedule here may take.
 */
export const shape: fc.Arbitrary<Shape> = fc
  .record({
    tasks: fc.constantFrom(4, 4, 1, 12),
    pause: fc.boolean(),
    scaleOut: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 3, nil: undefined }),
    alarmAtPush: fc.boolean(),
    blindGate: fc.boolean(),
  })
  .map(({ scaleOut, ...s }) => (scaleOut ? { ...s, scaleOutTo: s.tasks + scaleOut * 2 } : s));

export const faultPlan = faultPlanWith({ events: 4, kills: 2, aws: 2, conflicts: 2, races: 1, slack: 1 });

// ---- one case ---------------------------------------------------------------------------------

export interface CaseResult {
  run: FaultRun;
  problems: string[];
  /** Real milliseconds the case took. */
  ms: number;
}

/** Runs one scenario under one schedule and lists what is wrong: violations, then the outcome. */
export async function runCase(name: ScenarioName, plan: FaultPlan, form: Shape = PLAIN): Promise<CaseResult> {
  const s = faultScenario(name, form);
  const started = Date.now();
  const previous = setLogSink(() => {});
  let run: FaultRun;
  try {
    const loaded = parseFaultScenario(s.text, { file: `${slug(name)}.yml` });
    run = await runWithFaults({ scenario: loaded.scenario, faults: mergePlans(s.faults, plan) });
  } finally {
    setLogSink(previous);
  }
  const problems = [
    ...run.violations.map((v) => `invariant ${v.invariant} violated at ${v.at} on ${v.service}: ${v.detail}`),
    ...outcomeProblems(s, run),
  ];
  return { run, problems, ms: Date.now() - started };
}

/**
 * The outcome the issue asks for. Every push reaches the pipeline: by its event, or, since ECR
 * delivers events best effort, by the tick's look at the repository (`missedPushCheck`). The newest
 * good image is deployed; a bad image is rolled back and remembered; a good one is never rolled
 * back; the primary ends healthy at its desired count, the canary at 0.
 */
export function outcomeProblems(s: Pick<FaultScenario, 'pushes' | 'tasks'>, run: FaultRun): string[] {
  const problems: string[] = [];
  const { report, world } = run;
  const registry = world.ecr.registryHost;
  const record = run.records.find((r) => r.key === 'prod/web');
  const history = record?.history ?? [];
  const pushes = s.pushes.map((p) => {
    const step = report.timeline.find(
      (t) => t.action === 'push' && (t.result as any)?.image === `web:${p.tag}`,
    );
    const digest = String((step?.result as any)?.digest ?? '');
    const seen = history.some((h) => h.image.digest === digest) || record?.rollout?.image.digest === digest;
    return { ...p, digest, seen };
  });
  for (const p of pushes)
    if (!p.seen) problems.push(`outcome: the push of ${p.tag} never reached the pipeline`);

  const primary = report.services.find((x) => x.name === 'web');
  const canary = report.services.find((x) => x.name === 'web-canary');
  const image = primary?.containers.find((c) => c.name === 'web')?.image;
  const newestGood = [...pushes].reverse().find((p) => p.good);
  const expected = newestGood ? `${registry}/web@${newestGood.digest}` : `${registry}/web:v1`;
  if (image !== expected) {
    const which = newestGood
      ? `${newestGood.tag} (the newest good image pushed)`
      : 'v1 (no good image was pushed)';
    problems.push(`outcome: the primary runs ${image}, expected ${which}`);
  }
  if (
    primary?.desiredCount !== s.tasks ||
    primary.runningCount !== s.tasks ||
    primary.deployments.length !== 1
  )
    problems.push(
      `outcome: the primary is not steady at ${s.tasks} tasks: desired ${primary?.desiredCount}, running ${primary?.runningCount}, ${primary?.deployments.length} deployment(s)`,
    );
  if (canary && (canary.desiredCount !== 0 || canary.runningCount !== 0))
    problems.push(
      `outcome: the canary still has desired ${canary.desiredCount}, running ${canary.runningCount}`,
    );

  for (const p of pushes) {
    const entries = history.filter((h) => h.image.digest === p.digest);
    const outcomes = entries.map((h) => h.outcome);
    if (!p.seen) continue;
    if (p.good) {
      if (outcomes.includes('rolled_back'))
        problems.push(
          `outcome: the good image ${p.tag} was rolled back: ${entries.find((h) => h.outcome === 'rolled_back')?.reason}`,
        );
      if (p === newestGood && !outcomes.includes('succeeded'))
        problems.push(`outcome: ${p.tag} did not succeed (history: ${outcomes.join(', ') || 'none'})`);
    } else {
      if (!outcomes.includes('rolled_back'))
        problems.push(
          `outcome: the bad image ${p.tag} was not rolled back (history: ${outcomes.join(', ') || 'none'})`,
        );
      if (outcomes.includes('succeeded')) problems.push(`outcome: the bad image ${p.tag} succeeded`);
      if (!record?.badDigests[p.digest])
        problems.push(`outcome: the bad image ${p.tag} is not remembered as bad`);
    }
  }
  return problems;
}

/** The primary's count at the end of a scenario file (a replayed case): the last count a person set. */
export function tasksOf(scenario: Scenario): number {
  let tasks = scenario.services.find((x) => x.name === 'web')?.desiredCount ?? 1;
  for (const step of scenario.timeline)
    if (step.action.type === 'update' && step.action.desiredCount !== undefined)
      tasks = step.action.desiredCount;
  return tasks;
}

/** The pushes of a scenario file (a replayed case), good when the image behaves `healthy`. */
export function pushesOf(scenario: Scenario): FaultScenario['pushes'] {
  return scenario.timeline.flatMap((step) => {
    if (step.action.type !== 'push') return [];
    const image = step.action.image;
    const behaviour = scenario.images[image] ?? HEALTHY;
    return [{ tag: image.slice(image.lastIndexOf(':') + 1), good: isDeepStrictEqual(behaviour, HEALTHY) }];
  });
}

// ---- the property -----------------------------------------------------------------------------

export interface FaultCheck {
  runs: number;
  /** Real time of the whole check, ms. */
  ms: number;
  /** Faults that fired, by kind, over all runs. */
  fired: Record<string, number>;
  failure?: string;
}

export interface FaultCheckOptions {
  seed: number;
  numRuns: number;
  /** Stops shrinking (and running) after this much real time. */
  timeLimitMs?: number;
}

/**
 * Generates `numRuns` (scenario, schedule) cases, seeded, and runs each. A failure shrinks to a
 * small schedule, written to test-output/fault-cases/ as a scenario file and returned as a message
 * with the file inline.
 */
export async function checkFaults(names: ScenarioName[], options: FaultCheckOptions): Promise<FaultCheck> {
  const fired: Record<string, number> = {};
  let runs = 0;
  let lastFailure: { name: ScenarioName; problems: string[]; fired: string[] } | undefined;
  const started = Date.now();
  const property = fc.asyncProperty(fc.constantFrom(...names), faultPlan, shape, async (name, plan, form) => {
    runs++;
    const { run, problems } = await runCase(name, plan, form);
    for (const f of run.fired) fired[f.fault] = (fired[f.fault] ?? 0) + 1;
    if (problems.length) {
      lastFailure = { name, problems, fired: run.fired.map((f) => `${f.at} ${f.fault}: ${f.detail}`) };
      throw new Error(problems.join('\n'));
    }
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.numRuns,
    endOnFailure: false,
    ...(options.timeLimitMs ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
  });
  const result: FaultCheck = { runs, ms: Date.now() - started, fired };
  if (details.failed && details.counterexample) {
    const [name, plan, form] = details.counterexample;
    const s = faultScenario(name, form);
    const text = scenarioWithFaults(s.text, mergePlans(s.faults, plan));
    const file = path.resolve('test-output', 'fault-cases', `${slug(name)}-seed${options.seed}.yml`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    const again = lastFailure && lastFailure.name === name ? lastFailure : undefined;
    result.failure = [
      `fault property failed for "${name}" (seed ${options.seed}, path ${details.counterexamplePath}, after ${details.numRuns} run(s) and ${details.numShrinks} shrink(s))`,
      '',
      String((details.errorInstance as Error | undefined)?.message ?? again?.problems.join('\n') ?? ''),
      '',
      ...(again ? ['faults that fired:', ...again.fired.map((f) => `  ${f}`), ''] : []),
      `replay: REPLAY=${path.relative(process.cwd(), file)} npx vitest run test/property/replay.test.ts`,
      '',
      text,
    ].join('\n');
  } else if (details.failed) {
    result.failure = `fault property did not complete: ${details.interrupted ? 'interrupted' : `${details.numSkips} skips`}`;
  }
  return result;
}

/**
 * The property as one test: `runs` schedules over these scenarios from `seed`, the summary line
 * printed, a failure shown with the scenario file that replays it.
 */
export async function expectFaultsHandled(
  label: string,
  names: ScenarioName[],
  { seed, runs }: { seed: number; runs: number },
): Promise<void> {
  const result = await checkFaults(names, { seed, numRuns: runs, timeLimitMs: 240_000 });
  console.log(summary(label, seed, result));
  if (result.failure) expect.fail(result.failure);
  expect(result.runs).toBeGreaterThanOrEqual(runs);
}

/** One line for the test output: how many schedules ran, how long, and what fired. */
export function summary(label: string, seed: number, r: FaultCheck): string {
  const fired = Object.entries(r.fired)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `[faults] ${label}: ${r.runs} schedules (seed ${seed}) in ${(r.ms / 1000).toFixed(1)} s${r.failure ? ', FAILED' : ''}; faults fired: ${fired}`;
}

export function slug(name: string): string {
  return name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
}
