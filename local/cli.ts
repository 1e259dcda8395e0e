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
import type { CommandName } from '../lib/commands/cli.ts';
import { UsageError } from './core/errors.ts';
import type { ScenarioError } from './scenario/parse.ts';

export type CommandRun = (args: string[]) => Promise<number>;

/** The world `autopilot local` serves when no scenario is named: the demo's. */
const DEMO_SCENARIO = new URL('../scenarios/demo.yml', import.meta.url).pathname;

export interface Command {
  /** After `autopilot `: `sim FILE.yml [--json]`. */
  usage: string;
  summary: string;
  /** What `--help` prints after the usage and summary (its options and an example), for a command whose run does not print its own. */
  help?: string;
  load(): Promise<CommandRun>;
}

/** A command of the pipeline's CLI (lib/commands/cli.ts), loaded when it is called like the others. */
const pipelineCommand = (name: CommandName) => async (): Promise<CommandRun> => {
  const { runCommand } = await import('../lib/commands/cli.ts');
  return (args) => runCommand(name, args);
};

export const COMMANDS: Record<string, Command> = {
  sim: {
    usage: 'sim FILE.yml [--json] [--verbose] [--html OUT.html]',
    summary: 'play a scenario on the local AWS at full speed and report what happened',
    help: `Options:
  --json          the report as one JSON document on stdout (also for a bad scenario: ok false, exit 1)
  --verbose       the pipeline's log lines on stderr
  --html OUT.html the run drawn as one self-contained page
  --help          this help

Example:
  autopilot sim scenarios/demo.yml --html demo.html`,
    load: async () => {
      const [{ sim }, { loadWithFaults }] = await Promise.all([
        import('./scenario/sim.ts'),
        import('./scenario/sim-pipeline.ts'),
      ]);
      return (args) => sim(args, { load: loadWithFaults });
    },
  },
  local: {
    usage:
      'local [--port N] [--speed N] [--start now|ISO] [--scenario FILE.yml | --empty] [--verbose] | local push REPOSITORY:TAG [--port N]',
    summary:
      "serve the local AWS in the foreground (the demo's world unless --scenario or --empty), its clock at N times real time; push: an image to its ECR",
    help: `Options:
  --port N             the loopback port (default 4566); point the commands at it with AWS_ENDPOINT_URL=http://127.0.0.1:N
  --speed N            the world's clock at N times real time (default 1)
  --start now|ISO      the world's clock starts at the wall clock's time, or at the given time
  --scenario FILE.yml  serve that scenario's world (default: scenarios/demo.yml)
  --empty              an empty local AWS: create what you need with the AWS CLI
  --log FILE           where the Lambdas' JSON log lines go (default autopilot-local.log)
  --verbose            the Lambdas' log lines on stderr too
  --help               this help

Examples:
  autopilot local --speed 10
  autopilot local push web:v2          # a push to the running world's ECR (--port N if not 4566)`,
    load: async () => {
      const [{ local }, { withPipeline }, { localArgs }] = await Promise.all([
        import('./scenario/local.ts'),
        import('./scenario/sim-pipeline.ts'),
        import('../lib/commands/local-args.ts'),
      ]);
      return async (args) => {
        if (args[0] === 'push') return (await import('../lib/commands/push.ts')).push(args.slice(1));
        return local(localArgs(args, DEMO_SCENARIO), { onWorld: withPipeline });
      };
    },
  },
  status: {
    usage: 'status [CLUSTER/SERVICE] [--json] [--local] [--config FILE]',
    summary: 'every managed service: revision, image, rollout and step, task counts, gate alarms in ALARM',
    load: pipelineCommand('status'),
  },
  history: {
    usage: 'history CLUSTER/SERVICE [--limit N] [--json] [--local] [--config FILE]',
    summary: "the service's rollouts, newest first, with their outcome and reason",
    load: pipelineCommand('history'),
  },
  deploy: {
    usage: 'deploy CLUSTER/SERVICE --image REPOSITORY:TAG [--dry-run] [--json] [--local] [--config FILE]',
    summary: 'roll an image out by hand, the same way as a push to ECR',
    load: pipelineCommand('deploy'),
  },
  promote: {
    usage: 'promote CLUSTER/SERVICE [--full] [--json] [--local] [--config FILE]',
    summary: 'skip to the next step now (--full: straight to 100%)',
    load: pipelineCommand('promote'),
  },
  pause: {
    usage: 'pause CLUSTER/SERVICE [--json] [--local] [--config FILE]',
    summary: 'hold the rollout on its step (a failure still rolls it back)',
    load: pipelineCommand('pause'),
  },
  resume: {
    usage: 'resume CLUSTER/SERVICE [--json] [--local] [--config FILE]',
    summary: 'go on with a paused rollout',
    load: pipelineCommand('resume'),
  },
  abort: {
    usage: 'abort CLUSTER/SERVICE [--reason TEXT] [--json] [--local] [--config FILE]',
    summary: 'stop the rollout and go back to the last good revision',
    load: pipelineCommand('abort'),
  },
  approve: {
    usage: 'approve CLUSTER/SERVICE [--as NAME] [--json] [--local] [--config FILE]',
    summary: 'through the approval gate the rollout waits at; else deploy the push waiting for a freeze now',
    load: pipelineCommand('approve'),
  },
  reject: {
    usage: 'reject CLUSTER/SERVICE [--as NAME] [--reason TEXT] [--json] [--local] [--config FILE]',
    summary: 'roll back the rollout waiting at its gate; else drop the push waiting for a freeze',
    load: pipelineCommand('reject'),
  },
  rollback: {
    usage:
      'rollback CLUSTER/SERVICE [--to REVISION] [--reason TEXT] [--force] [--json] [--local] [--config FILE]',
    summary: 'back to REVISION, or to the good revision before the current one',
    load: pipelineCommand('rollback'),
  },
  wait: {
    usage: 'wait CLUSTER/SERVICE [--image REPOSITORY:TAG] [--timeout 1h] [--json] [--local] [--config FILE]',
    summary: 'follow the rollout to its end: exit 0 if it succeeded, 1 with the reason if not',
    load: pipelineCommand('wait'),
  },
  logs: {
    usage:
      'logs [CLUSTER/SERVICE] [--since 1h] [--level LEVEL] [--function NAME] [--follow] [--json] [--local] [--config FILE]',
    summary: "the Lambdas' log lines from CloudWatch Logs, filtered by service, time and level",
    load: pipelineCommand('logs'),
  },
  validate: {
    usage: 'validate [FILE] [--json]',
    summary: 'check autopilot.yml (or FILE) and show what each target will do',
    load: pipelineCommand('validate'),
  },
};

export { UsageError };

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

/**
 * A bad scenario's mistakes as the failure document's `problems` (README, "A failure under
 * `--json`": path, line when the file has one, message), as `validate` gives a bad autopilot.yml's.
 *
 *   x.yml:7:73: services[0].colour: unknown field …  -> { path: 'services[0].colour', line: 7, message: 'unknown field …' }
 */
export function scenarioProblems(err: ScenarioError): { path: string; line?: number; message: string }[] {
  return (err.mistakes ?? [err]).map((m) => ({
    path: m.field,
    ...(m.position ? { line: m.position.line } : {}),
    message: m.problem,
  }));
}

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
  if (command.help && (args.includes('--help') || args.includes('-h'))) {
    io.out(`Usage: autopilot ${command.usage}\n\n${command.summary}\n\n${command.help}\n`);
    return 0;
  }
  try {
    const run = await command.load();
    return await run(args);
  } catch (e) {
    const err = e as Error;
    // Under --json a failure is one JSON document on stdout, as for the operating commands.
    if (args.includes('--json') && (err.name === 'UsageError' || err.name === 'ScenarioError')) {
      const usage = err.name === 'UsageError';
      const exitCode = usage ? 2 : 1;
      const error = usage
        ? { kind: 'usage', message: err.message, usage: `autopilot ${command.usage}` }
        : { kind: 'config', message: err.message, problems: scenarioProblems(err as ScenarioError) };
      io.out(`${JSON.stringify({ ok: false, command: name, exitCode, error }, null, 2)}\n`);
      return exitCode;
    }
    if (err.name === 'UsageError') {
      io.err(`autopilot ${name}: ${err.message}\nUsage: autopilot ${command.usage}\n`);
      return 2;
    }
    const inUse = err as Error & { code?: string; port?: number };
    if (inUse.code === 'EADDRINUSE') {
      io.err(
        `autopilot ${name}: port ${inUse.port ?? '?'} is in use (another autopilot local, or LocalStack?): pick another with --port N, and point the commands at it with AWS_ENDPOINT_URL=http://127.0.0.1:N\n`,
      );
      return 1;
    }
    // A bad scenario's message names the file, line and field: the stack would only hide it.
    io.err(err.name === 'ScenarioError' ? `${err.message}\n` : `autopilot ${name}: ${err.stack ?? err}\n`);
    return 1;
  }
}
