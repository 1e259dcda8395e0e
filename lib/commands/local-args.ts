/**
 * The arguments of `autopilot local` before the local world sees them: the world it serves and
 * where the Lambdas' log lines go.
 *
 * - No `--scenario`: the demo's world (scenarios/demo.yml: prod/web behind a load balancer, its
 *   alarms, its `autopilot:` config and records table), so the README's commands work as written;
 *   `--empty` serves an empty local AWS instead.
 * - The Lambdas' JSON log lines go to a file (`--log FILE`, default autopilot-local.log), not
 *   into the story on stdout; `--verbose` prints them too.
 *
 *   localArgs([], demo)                      -> { args: ['--scenario', demo], log: 'autopilot-local.log' }
 *   localArgs(['--empty'], demo)             -> { args: [], log: 'autopilot-local.log' }
 *   localArgs(['--scenario', 'x.yml'], demo) -> { args: ['--scenario', 'x.yml'], log: … }
 *   localArgs(['--verbose'], demo)           -> { args: ['--scenario', demo], log: …, verbose: true }
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { setLogSink } from '../log.ts';

export const LOCAL_LOG = 'autopilot-local.log';

export interface LocalArgs {
  args: string[];
  log: string;
  verbose: boolean;
  /** The demo's world was chosen for want of --scenario. */
  defaulted: boolean;
}

export function readLocalArgs(args: string[], demo: string): LocalArgs {
  const rest: string[] = [];
  let log = LOCAL_LOG;
  let verbose = false;
  let empty = false;
  let scenario = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--empty') empty = true;
    else if (a === '--verbose') verbose = true;
    else if (a === '--log') log = args[++i] ?? LOCAL_LOG;
    else if (a.startsWith('--log=')) log = a.slice('--log='.length);
    else {
      if (a === '--scenario' || a.startsWith('--scenario=')) scenario = true;
      rest.push(a);
    }
  }
  const defaulted = !scenario && !empty;
  return { args: defaulted ? [...rest, '--scenario', demo] : rest, log, verbose, defaulted };
}

/** Reads the arguments, says which world and where the logs go, and sends the log lines there. */
export function localArgs(args: string[], demo: string): string[] {
  const read = readLocalArgs(args, demo);
  if (args.includes('--help') || args.includes('-h')) return read.args;
  // Emptied at the first line, not now: a second `autopilot local` that fails (its port in use)
  // must not wipe the log of the one that is running.
  let fresh = true;
  setLogSink((line) => {
    if (fresh) writeFileSync(read.log, '');
    fresh = false;
    appendFileSync(read.log, `${line}\n`);
    if (read.verbose) process.stderr.write(`${line}\n`);
  });
  if (read.defaulted) {
    process.stdout.write(
      `No --scenario: serving the demo's world (${demo}); --empty serves an empty local AWS.\n`,
    );
  }
  process.stdout.write(
    `The Lambdas' log lines go to ${read.log}${read.verbose ? ' and stderr' : ' (--verbose: on stderr too)'}.\n`,
  );
  return read.args;
}
