/**
 * A scenario's `cli: { command: approve, service: prod/web, as: alice }`: the operating command run
 * as `npx autopilot approve prod/web --as alice --local` runs it (lib/commands/control.ts), through
 * the same records, pipeline and Slack outbox as the local Lambdas, on the world's clock. The
 * report's timeline gives its exit code and what it printed.
 */
import type { CommandClients, Deps } from '../lib/commands/common.ts';
import { CommandFailed } from '../lib/commands/common.ts';
import { approve, reject } from '../lib/commands/control.ts';
import type { Config } from '../lib/config.ts';
import type { Slack } from '../lib/slack/deliver.ts';
import type { RecordStore } from '../lib/store.ts';
import type { World } from './world.ts';

/** Where attachPipeline registers the runner among the world's functions (scenario steps call it). */
export const LOCAL_CLI = 'local:cli';

export interface CliStep {
  command: 'approve' | 'reject';
  service: string;
  as?: string;
  reason?: string;
}

export function registerCliSteps(
  world: World,
  parts: { clients: CommandClients; store: RecordStore; config: Config; slack?: Slack },
): void {
  world.functions.set(LOCAL_CLI, async (event) => {
    const step = event as CliStep;
    const printed: string[] = [];
    const deps: Deps = {
      clients: parts.clients,
      store: parts.store,
      config: parts.config,
      configFile: 'the scenario',
      now: () => world.now(),
      refreshClock: async () => {},
      ...(parts.slack && { slack: parts.slack }),
      io: { out: (t) => printed.push(t), err: (t) => printed.push(t) },
      sleep: async () => {},
      where: 'the local AWS',
    };
    const options = {
      service: step.service,
      ...(step.as !== undefined && { as: step.as }),
      ...(step.reason !== undefined && { reason: step.reason }),
    };
    let exitCode: number;
    try {
      exitCode = await (step.command === 'approve' ? approve(options, deps) : reject(options, deps));
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
      printed.push(e.message);
      exitCode = e.code;
    }
    return { exitCode, output: printed.join('').trim() };
  });
}
