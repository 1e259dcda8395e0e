/**
 * `autopilot local [--port N] [--speed N] [--start now|ISO] [--scenario FILE.yml]`: the local AWS in the foreground,
 * for the AWS CLI, an SDK or the pipeline's handlers to talk to. Its virtual clock runs at N times
 * real time (default 1); with a scenario, the world starts from its set-up and its timeline plays
 * as the clock passes each step. Notable events are printed as they happen. Ctrl-C stops it cleanly.
 * `--start now` starts the virtual clock at the wall clock's time (default: the scenario's start, or
 * 2026-01-01), so a client's `put-metric-data --timestamp $(date -u +%FT%TZ)` is not hours off.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';

/** Where `autopilot local` listens by default: `--local`'s endpoint (lib/commands/env.ts) and LocalStack's port. */
export const LOCAL_PORT = 4566;

import { World } from '../world.ts';
import { loadScenario, type Scenario } from './parse.ts';
import { ScenarioWorld } from './play.ts';
import type { OnWorld } from './run.ts';
import { formatLine, paint, tell } from './story.ts';

/** Real time between two advances of the virtual clock. */
const TICK_MS = 100;

export async function local(args: string[], hooks: { onWorld?: OnWorld } = {}): Promise<number> {
  const options = readOptions(args);
  let play: ScenarioWorld | undefined;
  let scenario: Scenario | undefined;
  if (options.scenario) {
    scenario = loadScenario(options.scenario);
    if (options.start !== undefined) scenario.start = options.start;
    play = await ScenarioWorld.create(scenario);
  }
  const world = play?.world ?? new World(options.start === undefined ? {} : { start: options.start });
  const endpoint = await world.start(options.port);
  await world.settle();
  const extension = scenario ? ((await hooks.onWorld?.(world, scenario)) ?? undefined) : undefined;

  const p = paint(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const env = world.clientEnv();
  out(`${p.bold('Local AWS')} listening on ${endpoint}`);
  out(
    `  ECS, ECR, ELBv2, CloudWatch, CloudWatch Logs, EventBridge, SSM and DynamoDB; region ${world.region}, account ${world.account}`,
  );
  out(`  virtual clock from ${new Date(world.now()).toISOString()}, at ${options.speed}x real time`);
  if (scenario) {
    out(
      `  scenario "${scenario.name}" (${scenario.source.file}): ${scenario.services.length} service(s), ${scenario.timeline.length} timeline step(s)`,
    );
  }
  out('');
  out('Point the AWS CLI or an SDK at it:');
  out(`  export AWS_ENDPOINT_URL=${env.AWS_ENDPOINT_URL}`);
  out(
    `  export AWS_REGION=${env.AWS_REGION} AWS_DEFAULT_REGION=${env.AWS_REGION} AWS_ACCESS_KEY_ID=${env.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${env.AWS_SECRET_ACCESS_KEY}`,
  );
  out('  aws ecs list-clusters');
  if (scenario) {
    // The commands read autopilot.yml unless told: this world's pipeline runs the scenario's config.
    out(
      `  export AUTOPILOT_CONFIG_FILE=${path.resolve(scenario.source.file)}   # the pipeline config this world runs`,
    );
  }
  out('');
  out('Ctrl-C stops it.');

  let stopping = false;
  let wake = () => {};
  const stop = () => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait
    stopping = true;
    wake();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const start = world.now();
  const realStart = Date.now();
  let eventsShown = 0; // set-up's events included: its pushes, the services' first deployments
  let stepsShown = 0;
  try {
    while (!stopping) {
      const target = start + (Date.now() - realStart) * options.speed;
      if (play) await play.playUntil(target);
      else await world.runUntil(target);
      // Tell what happened since the last tick: the steps played, then the events nobody else told.
      const steps = play?.played.slice(stepsShown) ?? [];
      stepsShown += steps.length;
      const events = world.eventLog.slice(eventsShown);
      eventsShown += events.length;
      for (const line of tell(steps, events, start)) out(formatLine(line, p));
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, TICK_MS);
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await extension?.close?.();
    await world.stop();
  }
  out(`\nStopped at virtual ${new Date(world.now()).toISOString()}.`);
  return 0;
}

/**
 * `--start`: `now` is the wall clock's time (to the second), else an ISO 8601 time.
 *
 *   startOption(undefined, t)               → undefined (the default start)
 *   startOption('now', 1764900000123)       → 1764900000000
 *   startOption('2026-03-01T12:00:00Z', t)  → 1772366400000
 */
export function startOption(value: string | undefined, wallClockMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') return Math.floor(wallClockMs / 1000) * 1000;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(ms))
    throw new UsageError(`--start must be "now" or an ISO time such as 2026-03-01T12:00:00Z, got "${value}"`);
  return ms;
}

export function readOptions(args: string[]): {
  port: number;
  speed: number;
  scenario?: string;
  start?: number;
} {
  let values: { port?: string; speed?: string; scenario?: string; start?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        speed: { type: 'string' },
        scenario: { type: 'string' },
        start: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // 4566 unless told: the port the README's commands, `status --local` and `local push` assume.
  const port = Number(values.port ?? LOCAL_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535, got "${values.port}"`);
  }
  const speed = Number(values.speed ?? 1);
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new UsageError(`--speed must be a number above 0 (times real time), got "${values.speed}"`);
  }
  // The one place the local world reads the wall clock: to start its virtual clock there.
  return { port, speed, scenario: values.scenario, start: startOption(values.start, Date.now()) };
}
