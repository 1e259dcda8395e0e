/**
 * A scenario's `cli: { command: approve, service: prod/web, as: alice }`: the operating command run
 * as `npx autopilot approve prod/web --as alice --local` runs it (lib/commands/control.ts,
 * lib/commands/status.ts), through
 * the same records, pipeline and Slack outbox as the local Lambdas, on the world's clock. The
 * report's timeline gives its exit code and what it printed.
 */
import type { Deps } from '../lib/commands/common.ts';
import { CommandFailed } from '../lib/commands/common.ts';
import { abort, approve, pause, promote, reject, resume } from '../lib/commands/control.ts';
import { status } from '../lib/commands/status.ts';
import type { World } from './world.ts';

/** Where attachPipeline registers the runner among the world's functions (scenario steps call it). */
export const LOCAL_CLI = 'local:cli';

/** The commands a scenario may run: those that act on one service's rollout, and `status` to read it. */
export const CLI_COMMANDS = ['approve', 'reject', 'pause', 'resume', 'abort', 'promote', 'status'] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

export interface CliStep {
  command: CliCommand;
  service: string;
  as?: string;
  reason?: string;
}

const COMMANDS: Record<CliCommand, (options: Omit<CliStep, 'command'>, deps: Deps) => Promise<number>> = {
  approve,
  reject,
  pause,
  resume,
  abort,
  promote,
  status,
};

export function registerCliSteps(
  world: World,
  parts: Pick<Deps, 'clients' | 'store' | 'config' | 'slack' | 'lifecycleHook' | 'onAction'>,
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
      // The same hook the pipeline's functions have: a command's pipeline is theirs (lib/commands/deploy.ts).
      ...(parts.lifecycleHook && { lifecycleHook: parts.lifecycleHook }),
      // Its actions are the runner's too: the invariant checker tells the pipeline's counts from a person's by them.
      ...(parts.onAction && { onAction: parts.onAction }),
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
      exitCode = await COMMANDS[step.command](options, deps);
    } catch (e) {
      // An AWS error (a throttled or denied call of a fault schedule) fails the command, as it does
      // at a terminal (exit 1 with the error), not the whole run: the person would try again.
      const aws = e instanceof Error && '$metadata' in e;
      if (!(e instanceof CommandFailed) && !aws) throw e;
      printed.push(aws ? `${(e as Error).name}: ${(e as Error).message}` : (e as Error).message);
      exitCode = e instanceof CommandFailed ? e.code : 1;
    }
    return { exitCode, output: printed.join('').trim() };
  });
}
