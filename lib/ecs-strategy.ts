/**
 * ECS's own deployment strategies (2025): `strategy: ecs-canary | ecs-linear | ecs-blue-green` in
 * autopilot.yml. ECS shifts production traffic between the service's production and alternate target
 * groups by the listener rule's weights; the pipeline starts that deployment (UpdateService with the
 * strategy and its bakes) and brings its gates to it through a lifecycle hook (lib/hook.ts) and
 * `StopServiceDeployment` (lib/act.ts). Pure: the mapping from our steps to ECS's fields, the checks
 * ECS makes on them, and which step a production weight has reached.
 *
 *   our steps                             ECS deploymentConfiguration
 *   ecs-canary     [P% B, 100% D]         strategy CANARY, canaryConfiguration {canaryPercent P,
 *                                         canaryBakeTimeInMinutes B}, bakeTimeInMinutes D
 *   ecs-linear     linear {stepPercent S, bake B}  strategy LINEAR, linearConfiguration {stepPercent S,
 *                  -> S, 2S, ... 100, each B       stepBakeTimeInMinutes B}, bakeTimeInMinutes B
 *   ecs-blue-green [100% D]              strategy BLUE_GREEN, bakeTimeInMinutes D
 *
 * Limits as ECS documents them (API Reference, DeploymentConfiguration, CanaryConfiguration,
 * LinearConfiguration: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html): bakes are
 * whole minutes from 0 to 1440; canaryPercent a multiple of 0.1 from 0.1 to 100; stepPercent a
 * multiple of 0.1 from 3 to 100; bakeTimeInMinutes is required for BLUE_GREEN.
 */

export const ECS_STRATEGIES = ['ecs-canary', 'ecs-linear', 'ecs-blue-green'] as const;
export type EcsStrategyKind = (typeof ECS_STRATEGIES)[number];

export const isEcsStrategy = (kind: string): kind is EcsStrategyKind =>
  (ECS_STRATEGIES as readonly string[]).includes(kind);

/** A step as lib/steps.ts keeps it (structurally: this file imports nothing of the pipeline's). */
interface StepLike {
  percent: number;
  bakeMs: number;
}

const MINUTE = 60_000;
export const MAX_BAKE_MINUTES = 1440;

/**
 * The stages the pipeline's hook runs at (API DeploymentLifecycleHook, lifecycleStages):
 * POST_SCALE_UP (the new tasks run, no traffic yet: are they healthy?), PRE_PRODUCTION_TRAFFIC_SHIFT
 * ("for linear and canary deployments, this stage is invoked before every traffic shift step":
 * where each shift is held until the gates pass) and POST_PRODUCTION_TRAFFIC_SHIFT (all traffic on
 * the new revision, before ECS's bake). Between them, and through ECS's bake, the pipeline watches
 * on its own and stops the deployment at the first failure.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html
 */
export const HOOK_STAGES = ['POST_SCALE_UP', 'PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'];

/** `deploymentConfiguration` fields of the strategy (the rest of the service's are kept). */
export interface EcsStrategyFields {
  strategy: 'CANARY' | 'LINEAR' | 'BLUE_GREEN';
  canaryConfiguration?: { canaryPercent: number; canaryBakeTimeInMinutes: number };
  linearConfiguration?: { stepPercent: number; stepBakeTimeInMinutes: number };
  bakeTimeInMinutes: number;
}

/**
 * Our steps as ECS's strategy fields.
 *
 *   ecs-canary,     [10% 5m, 100% 2m]        -> CANARY {canaryPercent 10, canaryBakeTimeInMinutes 5}, bake 2
 *   ecs-linear,     [20% 3m, 40%, ... 100% 3m] -> LINEAR {stepPercent 20, stepBakeTimeInMinutes 3}, bake 3
 *   ecs-blue-green, [100% 10m]               -> BLUE_GREEN, bake 10
 */
export function ecsStrategyFields(kind: EcsStrategyKind, steps: readonly StepLike[]): EcsStrategyFields {
  const minutes = (ms: number) => Math.round(ms / MINUTE);
  const first = steps[0]!;
  const last = steps[steps.length - 1]!;
  switch (kind) {
    case 'ecs-canary':
      return {
        strategy: 'CANARY',
        canaryConfiguration: { canaryPercent: first.percent, canaryBakeTimeInMinutes: minutes(first.bakeMs) },
        bakeTimeInMinutes: minutes(last.bakeMs),
      };
    case 'ecs-linear':
      return {
        strategy: 'LINEAR',
        linearConfiguration: { stepPercent: first.percent, stepBakeTimeInMinutes: minutes(first.bakeMs) },
        bakeTimeInMinutes: minutes(last.bakeMs),
      };
    case 'ecs-blue-green':
      return { strategy: 'BLUE_GREEN', bakeTimeInMinutes: minutes(last.bakeMs) };
  }
}

/**
 * The index of the step a production weight on the new revision has reached, or -1 before the first.
 *
 *   steps 10, 100;  weight 0   -> -1
 *   steps 10, 100;  weight 10  -> 0
 *   steps 10, 100;  weight 100 -> 1
 *   steps 20, 40, 60, 80, 100; weight 60 -> 2
 */
export function stepAtWeight(steps: readonly StepLike[], weight: number): number {
  let reached = -1;
  // ECS reports weights as doubles: 33.3 + 33.3 may read 66.6 or 66.60000000000001.
  steps.forEach((s, i) => {
    if (weight + 1e-6 >= s.percent) reached = i;
  });
  return reached;
}

type Report = (path: string, message: string) => void;

/**
 * ECS's limits on the steps of an ECS strategy, reported with the field's path; true when they hold.
 *
 *   ecs-canary [10% 5m, 100% 2m]      -> ok
 *   ecs-canary [10% 90s, 100%]        -> steps[0].bake: whole minutes (ECS's canaryBakeTimeInMinutes)
 *   ecs-canary [10% 5m, 50% 5m, 100%] -> steps: exactly two steps
 *   ecs-linear stepPercent 2          -> linear.stepPercent: from 3 to 100
 *   ecs-blue-green [50% 5m, 100%]     -> steps: exactly one step, of 100
 */
export function checkEcsSteps(
  kind: EcsStrategyKind,
  steps: readonly StepLike[],
  from: 'steps' | 'linear',
  report: Report,
): boolean {
  let ok = true;
  const bakeAt = (i: number) => (from === 'linear' ? 'linear.bake' : `steps[${i}].bake`);
  const bakeField = (last: boolean) =>
    last ? 'bakeTimeInMinutes' : kind === 'ecs-canary' ? 'canaryBakeTimeInMinutes' : 'stepBakeTimeInMinutes';
  const fail = (path: string, message: string) => {
    ok = false;
    report(path, message);
  };
  if (kind === 'ecs-canary' && steps.length !== 2) {
    fail(
      'steps',
      `ecs-canary takes exactly two steps, the canary and 100%, e.g. [{ percent: 10, bake: 5m }, { percent: 100, bake: 2m }] (ECS's CANARY shifts once, then all); got ${steps.length}`,
    );
    return false;
  }
  if (kind === 'ecs-blue-green' && (steps.length !== 1 || steps[0]!.percent !== 100)) {
    fail(
      'steps',
      'ecs-blue-green takes one step of 100%, e.g. [{ percent: 100, bake: 5m }] (ECS shifts all traffic at once; the bake is its bakeTimeInMinutes)',
    );
    return false;
  }
  steps.forEach((s, i) => {
    const last = i === steps.length - 1;
    // linear's steps all come from the one `linear.bake`: checked once.
    if (from === 'linear' && i > 0) return;
    const minutes = s.bakeMs / MINUTE;
    if (!Number.isInteger(minutes) || minutes > MAX_BAKE_MINUTES) {
      fail(
        bakeAt(i),
        `must be whole minutes from 0 to 24h (ECS's ${bakeField(last && from !== 'linear')} is in minutes), got ${s.bakeMs / 1000}s`,
      );
    }
  });
  const first = steps[0]!;
  if (kind === 'ecs-canary' && !tenths(first.percent, 0.1, 99.9)) {
    fail(
      'steps[0].percent',
      `must be a multiple of 0.1 from 0.1 to 99.9 (ECS's canaryPercent), got ${first.percent}`,
    );
  }
  if (kind === 'ecs-linear' && !tenths(first.percent, 3, 100)) {
    fail(
      'linear.stepPercent',
      `must be a multiple of 0.1 from 3 to 100 (ECS's stepPercent), got ${first.percent}`,
    );
  }
  return ok;
}

/**
 * A multiple of 0.1 within [min, max].
 *
 *   10, 0.1..99.9   -> true
 *   2.5, 0.1..99.9  -> true
 *   2.55, 0.1..99.9 -> false
 *   2, 3..100       -> false
 */
export function tenths(value: number, min: number, max: number): boolean {
  return value >= min && value <= max && Math.abs(value * 10 - Math.round(value * 10)) < 1e-9;
}
