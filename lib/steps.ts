/**
 * Rollout strategies and their steps: the part of `autopilot.yml` that says how fast a new revision
 * takes over. Pure: no I/O, no clock.
 *
 * A step is a share of traffic and a bake (how long to watch that share once its tasks are healthy).
 * The last step is always 100%: it promotes the new revision to the primary service, and its bake
 * is the watch after promotion, during which a rollback is still possible.
 *
 *   strategy     options                                steps
 *   canary       steps                                  as written; default [10% 5m, 50% 5m, 100% 2m]
 *   linear       steps, or linear: {stepPercent, bake}  stepPercent, twice that, ... 100, each baking
 *                                                       `bake`; default 10% and 1m
 *   rolling      rolling: {bake}                        [100% bake], default 5m: a plain ECS rolling update,
 *                                                       its minimumHealthyPercent/maximumPercent untouched
 *   all-at-once  none                                   [100% 5m]
 *   presets      none: they fix the steps               see PRESETS
 *   ecs-canary   steps (two: the canary, then 100)      default [10% 5m, 100% 2m]: ECS's CANARY
 *   ecs-linear   linear: {stepPercent, bake}            default 10% and 1m: ECS's LINEAR
 *   ecs-blue-green steps (one of 100)                   default [100% 5m]: ECS's BLUE_GREEN
 *   (the ecs-* strategies hand the steps to ECS: lib/ecs-strategy.ts maps them and checks ECS's limits)
 *
 * An option under another strategy than its own would be ignored, so it is an error.
 */
import { parseDuration } from './duration.ts';
import { checkEcsSteps, ECS_STRATEGIES, type EcsStrategyKind, isEcsStrategy } from './ecs-strategy.ts';

export interface Step {
  /** Share of traffic on the new revision, 0 < percent <= 100. */
  percent: number;
  /** How long the step is watched after its new tasks are healthy, before the next step. */
  bakeMs: number;
  /** An approval gate: the rollout waits for a person before it takes this step (lib/rollout/approval.ts). */
  approve?: true;
}

export type StrategyKind = 'canary' | 'linear' | 'rolling' | 'all-at-once' | EcsStrategyKind;

export const STRATEGY_KINDS: readonly StrategyKind[] = [
  'canary',
  'linear',
  'rolling',
  'all-at-once',
  ...ECS_STRATEGIES,
];

const MINUTE = 60_000;

/**
 * CodeDeploy's ECS traffic configs (CodeDeployDefault.ECS...) under the names people know them by.
 * They fix the steps, so writing `steps` beside one is an error rather than a guess.
 */
export const PRESETS: Readonly<Record<string, { strategy: StrategyKind; steps: readonly Step[] }>> = {
  Canary10Percent5Minutes: {
    strategy: 'canary',
    steps: [
      { percent: 10, bakeMs: 5 * MINUTE },
      { percent: 100, bakeMs: 0 },
    ],
  },
  Canary10Percent15Minutes: {
    strategy: 'canary',
    steps: [
      { percent: 10, bakeMs: 15 * MINUTE },
      { percent: 100, bakeMs: 0 },
    ],
  },
  Linear10PercentEvery1Minute: { strategy: 'linear', steps: linearSteps(10, MINUTE) },
  Linear10PercentEvery3Minutes: { strategy: 'linear', steps: linearSteps(10, 3 * MINUTE) },
};

/** Every name `strategy` accepts. */
export const STRATEGY_NAMES: readonly string[] = [...STRATEGY_KINDS, ...Object.keys(PRESETS)];

/** canary without `steps`: a small share, then half, then all, each watched. */
export const DEFAULT_CANARY_STEPS: readonly Step[] = [
  { percent: 10, bakeMs: 5 * MINUTE },
  { percent: 50, bakeMs: 5 * MINUTE },
  { percent: 100, bakeMs: 2 * MINUTE },
];

/** ecs-canary and ecs-blue-green without `steps`: the canary's first share and its last watch. */
export const DEFAULT_ECS_CANARY_STEPS: readonly Step[] = [
  { percent: 10, bakeMs: 5 * MINUTE },
  { percent: 100, bakeMs: 2 * MINUTE },
];
export const DEFAULT_ECS_BLUE_GREEN_STEPS: readonly Step[] = [{ percent: 100, bakeMs: 5 * MINUTE }];

/** linear without `steps` or `linear`: the same as Linear10PercentEvery1Minute. */
export const DEFAULT_LINEAR = { stepPercent: 10, bakeMs: MINUTE } as const;

/**
 * rolling and all-at-once send all traffic to the new revision at once, so the watch after it is the
 * only one the revision gets: longer than the 2m canary's last step, which follows two watched shares.
 */
export const DEFAULT_FULL_SHIFT_BAKE_MS = 5 * MINUTE;

/**
 * Steps of `stepPercent` each, then 100, every one baking `bakeMs`.
 *
 *   linearSteps(10, 1m) -> 10, 20, ..., 90, 100   (10 steps)
 *   linearSteps(30, 2m) -> 30, 60, 90, 100
 *   linearSteps(50, 0)  -> 50, 100
 *   linearSteps(100, 0) -> 100
 */
export function linearSteps(stepPercent: number, bakeMs: number): Step[] {
  const steps: Step[] = [];
  // Round away float noise (3 x 33.3 = 99.89999...) so the shares read as written.
  for (let k = 1; ; k++) {
    const percent = Math.round(k * stepPercent * 1e6) / 1e6;
    if (percent >= 100) break;
    steps.push({ percent, bakeMs });
  }
  steps.push({ percent: 100, bakeMs });
  return steps;
}

/** What `strategy`, `steps`, `linear` and `rolling` hold in the config, unchecked. */
export interface RolloutInput {
  strategy?: unknown;
  steps?: unknown;
  linear?: unknown;
  rolling?: unknown;
}

export interface RolloutPlan {
  strategy: StrategyKind;
  steps: Step[];
}

/**
 * Checks the rollout fields together and expands presets and defaults. Problem paths are relative to
 * the target and start with the field's name (`strategy`, `steps[1].percent`, `linear.bake`); a plan
 * is returned only when there is no problem.
 */
export function planRollout(input: RolloutInput): {
  plan?: RolloutPlan;
  problems: { path: string; message: string }[];
} {
  const problems: { path: string; message: string }[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });

  const name = input.strategy === undefined ? 'canary' : input.strategy;
  let kind: StrategyKind | undefined;
  let preset: string | undefined;
  if (typeof name !== 'string') {
    report('strategy', `must be a string, one of: ${STRATEGY_NAMES.join(', ')}`);
  } else if ((STRATEGY_KINDS as readonly string[]).includes(name)) {
    kind = name as StrategyKind;
  } else if (Object.hasOwn(PRESETS, name)) {
    preset = name;
    kind = PRESETS[name]!.strategy;
  } else {
    report(
      'strategy',
      `unknown strategy "${name}"${strategyHint(name)}; one of: ${STRATEGY_NAMES.join(', ')}`,
    );
  }

  const steps = input.steps === undefined ? undefined : readSteps(input.steps, report);
  const linear = input.linear === undefined ? undefined : readLinear(input.linear, report);
  const rolling = input.rolling === undefined ? undefined : readRolling(input.rolling, report);

  // Each option belongs to one strategy; anywhere else it would be ignored, so it is an error.
  const misplaced = (field: 'steps' | 'linear' | 'rolling', why: string) => {
    if (input[field] !== undefined) report(field, why);
  };
  if (preset) {
    for (const field of ['steps', 'linear', 'rolling'] as const) {
      misplaced(
        field,
        `cannot be combined with strategy ${preset}, a preset that fixes its steps; ` +
          `remove ${field}, or use strategy: ${kind} to choose your own`,
      );
    }
  } else if (kind === 'canary') {
    misplaced('linear', 'applies only to strategy: linear');
    misplaced('rolling', 'applies only to strategy: rolling');
  } else if (kind === 'linear') {
    misplaced('rolling', 'applies only to strategy: rolling');
    if (input.steps !== undefined && input.linear !== undefined) {
      report('linear', 'give either steps or linear options, not both');
    }
  } else if (kind === 'rolling') {
    misplaced(
      'steps',
      'does not apply to strategy: rolling, which watches one ECS rolling update; set rolling.bake for the watch after it',
    );
    misplaced('linear', 'applies only to strategy: linear');
  } else if (kind === 'all-at-once') {
    misplaced(
      'steps',
      'does not apply to strategy: all-at-once (one step of 100%); ' +
        'for another bake use strategy: canary with steps: [{ percent: 100, bake: ... }]',
    );
    misplaced('linear', 'applies only to strategy: linear');
    misplaced('rolling', 'applies only to strategy: rolling');
  } else if (kind === 'ecs-linear') {
    misplaced(
      'steps',
      'does not apply to strategy: ecs-linear, whose steps ECS makes equal: give linear: { stepPercent: 10, bake: 1m }',
    );
    misplaced('rolling', 'applies only to strategy: rolling');
  } else if (kind !== undefined && isEcsStrategy(kind)) {
    misplaced('linear', 'applies only to strategy: linear or ecs-linear');
    misplaced('rolling', 'applies only to strategy: rolling');
  }

  if (problems.length > 0 || kind === undefined) return { problems };
  const copy = (list: readonly Step[]) => list.map((s) => ({ ...s }));
  if (preset) return { plan: { strategy: kind, steps: copy(PRESETS[preset]!.steps) }, problems };
  switch (kind) {
    case 'canary':
      return { plan: { strategy: kind, steps: steps ?? copy(DEFAULT_CANARY_STEPS) }, problems };
    case 'linear': {
      const planned =
        steps ??
        linearSteps(
          linear?.stepPercent ?? DEFAULT_LINEAR.stepPercent,
          linear?.bakeMs ?? DEFAULT_LINEAR.bakeMs,
        );
      return { plan: { strategy: kind, steps: planned }, problems };
    }
    case 'rolling':
      return {
        plan: {
          strategy: kind,
          steps: [{ percent: 100, bakeMs: rolling?.bakeMs ?? DEFAULT_FULL_SHIFT_BAKE_MS }],
        },
        problems,
      };
    case 'all-at-once':
      return {
        plan: { strategy: kind, steps: [{ percent: 100, bakeMs: DEFAULT_FULL_SHIFT_BAKE_MS }] },
        problems,
      };
    case 'ecs-canary':
    case 'ecs-blue-green':
    case 'ecs-linear': {
      const planned =
        kind === 'ecs-linear'
          ? linearSteps(
              linear?.stepPercent ?? DEFAULT_LINEAR.stepPercent,
              linear?.bakeMs ?? DEFAULT_LINEAR.bakeMs,
            )
          : (steps ?? copy(kind === 'ecs-canary' ? DEFAULT_ECS_CANARY_STEPS : DEFAULT_ECS_BLUE_GREEN_STEPS));
      if (!checkEcsSteps(kind, planned, kind === 'ecs-linear' ? 'linear' : 'steps', report))
        return { problems };
      return { plan: { strategy: kind, steps: planned }, problems };
    }
  }
}

/**
 * `planRollout` for callers holding a strategy name and steps as written in a config
 * (`[{ percent: 10, bake: '5m' }, ...]`); throws an Error listing every problem.
 *
 *   resolveSteps('Canary10Percent5Minutes') -> canary, [10% 5m, 100% 0]
 *   resolveSteps('all-at-once')             -> all-at-once, [100% 5m]
 */
export function resolveSteps(
  strategy: string,
  steps?: unknown,
  options: { linear?: unknown; rolling?: unknown } = {},
): RolloutPlan {
  const { plan, problems } = planRollout({ strategy, steps, ...options });
  if (!plan) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return plan;
}

type Report = (path: string, message: string) => void;

const STEP_KEYS = ['percent', 'bake', 'approve'];
const LINEAR_KEYS = ['stepPercent', 'bake'];
const ROLLING_KEYS = ['bake'];

/** Steps as written: a non-empty list of { percent, bake }, strictly increasing, ending at 100. */
function readSteps(value: unknown, report: Report): Step[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    report('steps', 'must be a non-empty list of steps such as { percent: 10, bake: 5m }, the last at 100');
    return undefined;
  }
  const steps: Step[] = [];
  let ok = true;
  let previous: number | undefined;
  value.forEach((item, i) => {
    const at = `steps[${i}]`;
    const fields = readBlock(item, at, STEP_KEYS, 'a step such as { percent: 10, bake: 5m }', report);
    if (!fields) {
      ok = false;
      return;
    }
    const percent = readPercent(fields.percent, `${at}.percent`, 0, report);
    if (percent !== undefined && previous !== undefined && percent <= previous) {
      report(`${at}.percent`, `must be above the previous step's ${previous}: steps only increase`);
      ok = false;
    }
    if (percent !== undefined) previous = percent;
    let bakeMs: number | undefined = 0;
    if (fields.bake !== undefined) {
      bakeMs = readDuration(fields.bake, `${at}.bake`, report);
    } else if (percent !== undefined && percent < 100) {
      // A share that is never watched tells nothing: alarms need minutes to see it.
      report(`${at}.bake`, 'is required on every step below 100%: how long to watch this share, e.g. 5m');
      bakeMs = undefined;
    }
    if (fields.approve !== undefined && typeof fields.approve !== 'boolean') {
      report(`${at}.approve`, `must be true or false, got ${JSON.stringify(fields.approve)}`);
      ok = false;
    }
    if (percent === undefined || bakeMs === undefined) ok = false;
    else steps.push({ percent, bakeMs, ...(fields.approve === true && { approve: true as const }) });
  });
  const last = value.length - 1;
  const lastPercent = (value[last] as { percent?: unknown } | null)?.percent;
  if (typeof lastPercent === 'number' && lastPercent !== 100 && lastPercent > 0 && lastPercent < 100) {
    report(
      `steps[${last}].percent`,
      `the last step must be 100 (it promotes the new revision), got ${lastPercent}`,
    );
    ok = false;
  }
  return ok ? steps : undefined;
}

function readLinear(value: unknown, report: Report): { stepPercent?: number; bakeMs?: number } | undefined {
  const fields = readBlock(
    value,
    'linear',
    LINEAR_KEYS,
    'a mapping such as { stepPercent: 10, bake: 1m }',
    report,
  );
  if (!fields) return undefined;
  return {
    stepPercent:
      fields.stepPercent === undefined
        ? undefined
        : readPercent(fields.stepPercent, 'linear.stepPercent', 1, report),
    bakeMs: fields.bake === undefined ? undefined : readDuration(fields.bake, 'linear.bake', report),
  };
}

function readRolling(value: unknown, report: Report): { bakeMs?: number } | undefined {
  const fields = readBlock(value, 'rolling', ROLLING_KEYS, 'a mapping such as { bake: 5m }', report);
  if (!fields) return undefined;
  return {
    bakeMs: fields.bake === undefined ? undefined : readDuration(fields.bake, 'rolling.bake', report),
  };
}

/** A mapping whose keys are all in `allowed`; unknown keys are reported, the rest returned. */
function readBlock(
  value: unknown,
  at: string,
  allowed: string[],
  shape: string,
  report: Report,
): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report(at, `must be ${shape}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) report(`${at}.${key}`, `unknown key; allowed here: ${allowed.join(', ')}`);
  }
  return value as Record<string, unknown>;
}

/** A share of traffic: a number above `min` (exclusive when 0) and at most 100. */
function readPercent(value: unknown, at: string, min: number, report: Report): number | undefined {
  const range = min === 0 ? 'above 0 and at most 100' : `from ${min} to 100`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const hint =
      typeof value === 'string' && value.endsWith('%')
        ? ` (write ${value.slice(0, -1)}, not "${value}")`
        : '';
    report(at, `must be a number ${range}${hint}, got ${JSON.stringify(value ?? null)}`);
    return undefined;
  }
  if (value > 100 || (min === 0 ? value <= 0 : value < min)) {
    report(at, `must be ${range}, got ${value}`);
    return undefined;
  }
  return value;
}

function readDuration(value: unknown, at: string, report: Report): number | undefined {
  try {
    return parseDuration(value);
  } catch (err) {
    report(at, (err as Error).message);
    return undefined;
  }
}

/**
 * A nudge for names that are nearly right: another case or spelling (`Canary`, `allAtOnce`), or
 * CodeDeploy's full name (`CodeDeployDefault.ECSLinear10PercentEvery1Minutes`).
 */
function strategyHint(name: string): string {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/^codedeploydefault\.(ecs)?/, '')
      .replace(/[^a-z0-9]/g, '')
      .replace(/s$/, '');
  const match = STRATEGY_NAMES.find((candidate) => norm(candidate) === norm(name));
  return match ? ` (did you mean ${match}?)` : '';
}
