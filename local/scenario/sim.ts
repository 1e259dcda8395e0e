/**
 * `autopilot sim FILE.yml [--json] [--verbose]`: plays a scenario at full speed on the virtual
 * clock and prints its report: a short story by default, the whole report as JSON with --json.
 * While it runs, the virtual time is shown on stderr when stderr is a terminal. Log lines of
 * whatever runs inside the world go to stderr with --verbose (errors always), so stdout holds
 * only the report.
 */
import { parseArgs } from 'node:util';
import { setLogSink } from '../../lib/log.ts';
import { UsageError } from '../cli.ts';
import { loadScenario } from './parse.ts';
import { formatOffset } from './play.ts';
import { type OnWorld, type Progress, runScenario } from './run.ts';
import { formatReport } from './story.ts';

export async function sim(args: string[], hooks: { onWorld?: OnWorld } = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs(args);
  if (positionals.length !== 1) throw new UsageError('give one scenario file');
  const scenario = loadScenario(positionals[0]!);

  const progress = process.stderr.isTTY ? progressLine() : undefined;
  const previousSink = setLogSink((line) => {
    if (values.verbose || line.startsWith('{"level":"error"')) {
      progress?.clear();
      process.stderr.write(`${line}\n`);
    }
  });
  let report: Awaited<ReturnType<typeof runScenario>>['report'];
  try {
    ({ report } = await runScenario(scenario, { onWorld: hooks.onWorld, onProgress: progress?.show }));
  } finally {
    progress?.clear();
    setLogSink(previousSink);
  }
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  process.stdout.write(
    values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color }),
  );
  return 0;
}

function parseCommandArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { json: { type: 'boolean' }, verbose: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `  virtual +0:12:30  settling` on one line of stderr, redrawn at most 10 times a second. */
function progressLine() {
  let last = 0;
  let shown = false;
  return {
    show: (p: Progress) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[K  virtual ${formatOffset(p.now - p.start)}  ${p.phase}`);
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
