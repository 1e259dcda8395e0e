/**
 * `autopilot <command> [arguments]`: the dispatcher behind bin/autopilot.js.
 *
 * Adding a command is one entry in COMMANDS: its usage line, a one-line summary, and a loader for
 * its run function, imported only when the command is called (so `autopilot --help` and typos stay
 * fast). A run function takes the arguments after the command name and resolves to the exit code;
 * it throws UsageError for bad arguments (exit 2, with its usage) and ScenarioError for a bad
 * scenario (exit 1, with the file, line and field).
 *
 * Exit codes: 0 done, 1 failed (a bad scenario, an error), 2 bad usage.
 */

export type CommandRun = (args: string[]) => Promise<number>;

export interface Command {
  /** After `autopilot `: `sim FILE.yml [--json]`. */
  usage: string;
  summary: string;
  load(): Promise<CommandRun>;
}

export const COMMANDS: Record<string, Command> = {
  sim: {
    usage: 'sim FILE.yml [--json] [--verbose]',
    summary: 'play a scenario on the local AWS at full speed and report what happened',
    load: async () => {
      const [{ sim }, { withPipeline }] = await Promise.all([
        import('./scenario/sim.ts'),
        import('./sim-pipeline.ts'),
      ]);
      return (args) => sim(args, { onWorld: withPipeline });
    },
  },
  local: {
    usage: 'local [--port N] [--speed N] [--scenario FILE.yml]',
    summary: 'serve the local AWS in the foreground, its clock running at N times real time',
    load: async () => {
      const [{ local }, { withPipeline }] = await Promise.all([
        import('./scenario/local.ts'),
        import('./sim-pipeline.ts'),
      ]);
      return (args) => local(args, { onWorld: withPipeline });
    },
  },
};

/** Bad arguments: the dispatcher prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  autopilot ${c.usage}\n      ${c.summary}`);
  return `Usage:\n${lines.join('\n')}\n`;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs `autopilot ...argv`; resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    io.err(
      `${name === undefined ? 'autopilot: no command given' : `autopilot: unknown command "${name}"`}\n\n${usage()}`,
    );
    return 2;
  }
  try {
    const run = await command.load();
    return await run(args);
  } catch (e) {
    const err = e as Error;
    if (err.name === 'UsageError') {
      io.err(`autopilot ${name}: ${err.message}\nUsage: autopilot ${command.usage}\n`);
      return 2;
    }
    // A bad scenario's message names the file, line and field: the stack would only hide it.
    io.err(err.name === 'ScenarioError' ? `${err.message}\n` : `autopilot ${name}: ${err.stack ?? err}\n`);
    return 1;
  }
}
