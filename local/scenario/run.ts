/**
 * Runs a scenario from set-up to the end and reports (`autopilot sim`, `npm start`).
 *
 *   set-up (in-process) -> world.start() -> onWorld hook -> timeline on the virtual clock -> end -> report
 *
 * The end is the scenario's `until`, or else the moment it has settled: the timeline is done, no
 * ECS deployment is IN_PROGRESS, no event delivery is waiting (a retry), nothing plugged in says it
 * is busy, and that has held for a quiet margin (2 virtual minutes). A run that never settles
 * stops 6 virtual hours after its last step.
 *
 * The hook is how the pipeline plugs in without this file knowing it: it gets the started world
 * after set-up (services exist, their first deployments under way, the clock not yet moving), may
 * register Lambda stand-ins in `world.functions` and EventBridge rules, and may return an
 * extension that keeps the run going while busy and adds report sections.
 */
import type { World } from '../world.ts';
import type { Scenario } from './parse.ts';
import { ScenarioWorld } from './play.ts';
import { buildReport, type ScenarioReport } from './report.ts';

/** What a plug-in (the pipeline wiring) gives back from `onWorld`. */
export interface ScenarioExtension {
  /** True while it has work under way (a rollout baking): the run is not settled. */
  busy?(): boolean | Promise<boolean>;
  /** Extra report sections by name: rollouts, scaling, notifications, violations... */
  sections?(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Called once the run is over, before the world stops. */
  close?(): void | Promise<void>;
}

export type OnWorld = (
  world: World,
  scenario: Scenario,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may be an async function that returns nothing
) => ScenarioExtension | void | Promise<ScenarioExtension | void>;

export interface Progress {
  /** virtual ms */
  now: number;
  start: number;
  phase: 'timeline' | 'settling';
}

export interface RunOptions {
  onWorld?: OnWorld;
  /** Called as virtual time passes (every 10 virtual seconds at most). */
  onProgress?: (progress: Progress) => void;
  /** HTTP port for the world; ephemeral by default. */
  port?: number;
  /** Model how long things take (core/latency.ts) unless the scenario says `latency: false`. Default off. */
  latency?: boolean;
}

/** How long "settled" must hold before the run ends. */
export const QUIET_MS = 2 * 60_000;
/** A run without `until` stops at the latest this long after its last timeline step. */
export const CAP_MS = 6 * 3_600_000;
/** Virtual time between two checks of "settled" (and two progress reports). */
const CHECK_MS = 10_000;

/** Plays a scenario to its end. The world is stopped when this returns; its state can still be read. */
export async function runScenario(
  scenario: Scenario,
  options: RunOptions = {},
): Promise<{ report: ScenarioReport; world: World }> {
  const play = await ScenarioWorld.create(scenario, { latency: options.latency });
  const { world } = play;
  await world.start(options.port);
  let extension: ScenarioExtension | undefined;
  try {
    // Set-up's own events (its pushes) are delivered before anyone listens: they are the past.
    await world.settle();
    extension = (await options.onWorld?.(world, scenario)) ?? undefined;
    const endedBy = await playToEnd(play, extension, options.onProgress);
    const report = await buildReport(world, scenario, {
      played: play.played,
      endedBy,
      warnings: play.warnings,
      sections: await extension?.sections?.(),
    });
    return { report, world };
  } finally {
    await extension?.close?.();
    await world.stop();
  }
}

async function playToEnd(
  play: ScenarioWorld,
  extension: ScenarioExtension | undefined,
  onProgress: RunOptions['onProgress'],
): Promise<'until' | 'settled' | 'cap'> {
  const { world, scenario } = play;
  const advance = async (to: number, phase: Progress['phase']) => {
    await play.playUntil(Math.min(world.now() + CHECK_MS, to));
    onProgress?.({ now: world.now(), start: scenario.start, phase });
  };

  if (scenario.until !== undefined) {
    const end = scenario.start + scenario.until;
    while (world.now() < end) await advance(end, 'timeline');
    return 'until';
  }

  const lastStep = scenario.start + (scenario.timeline.at(-1)?.at ?? 0);
  while (!play.timelineDone) await advance(lastStep, 'timeline');
  const cap = lastStep + CAP_MS;
  let quietSince: number | undefined;
  for (;;) {
    const busy =
      // A delivery on its way (the latency model delays each), or a retry; a schedule's own tick
      // (every minute, forever) does not keep the run going.
      world.events.pending().some((d) => d.event['detail-type'] !== 'Scheduled Event' || d.attempt > 1) ||
      (await play.deploymentsInProgress()) > 0 ||
      (await extension?.busy?.()) === true;
    if (busy) quietSince = undefined;
    else quietSince ??= world.now();
    if (quietSince !== undefined && world.now() - quietSince >= QUIET_MS) return 'settled';
    if (world.now() >= cap) return 'cap';
    await advance(cap, 'settling');
  }
}
