/**
 * `autopilot sim FILE.yml [--json] [--verbose] [--html OUT.html]`: plays a scenario at full speed
 * on the virtual clock and prints its report: a short story by default, the whole report as JSON
 * with --json. With --html the run is also drawn, on one time axis, in a self-contained page
 * (local/scenario/html/report.ts), and where it was written is said on stderr. While it runs, the virtual
 * time and the pipeline's latest notice are shown on stderr when stderr is a terminal. Log lines
 * of whatever runs inside the world go to stderr with --verbose (errors always), so stdout holds
 * only the report.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setLogSink } from '../../lib/log.ts';
import { UsageError } from '../core/errors.ts';
import { renderHtml } from './html/report.ts';
import { loadScenario, type Scenario } from './parse.ts';
import { formatOffset } from './play.ts';
import { type OnWorld, type Progress, runScenario } from './run.ts';
import { formatReport } from './story.ts';
import { attachTimeline, type Timeline } from './timeline.ts';

export interface SimHooks {
  /** Plugs into the world (the pipeline). */
  onWorld?: OnWorld;
  /** Reads the file, and may bring its own plug-in (the pipeline with the file's faults). Default loadScenario. */
  load?: (file: string) => { scenario: Scenario; onWorld?: OnWorld; latency?: boolean };
}

export async function sim(args: string[], hooks: SimHooks = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs(args);
  if (positionals.length !== 1) throw new UsageError('give one scenario file');
  const loaded = hooks.load ? hooks.load(positionals[0]!) : { scenario: loadScenario(positionals[0]!) };
  const scenario = loaded.scenario;
  const plugIn = loaded.onWorld ?? hooks.onWorld;

  const progress = process.stderr.isTTY ? progressLine() : undefined;
  // The timeline is attached before the pipeline, so the pipeline's wiring can feed it its notices.
  let timeline: Timeline | undefined;
  const onWorld: OnWorld = async (world, played) => {
    if (values.html || progress) timeline = attachTimeline(world, played);
    return plugIn?.(world, played);
  };
  const previousSink = setLogSink((line) => {
    if (values.verbose || line.startsWith('{"level":"error"')) {
      progress?.clear();
      process.stderr.write(`${line}\n`);
    }
  });
  let report: Awaited<ReturnType<typeof runScenario>>['report'];
  try {
    // sim models how long things take (core/latency.ts) unless the scenario says `latency: false`
    // (or the loader says otherwise: a printed property case replays in the world it was found in).
    ({ report } = await runScenario(scenario, {
      latency: loaded.latency ?? true,
      onWorld,
      onProgress: progress && ((p) => progress.show(p, timeline?.latest())),
    }));
  } finally {
    progress?.clear();
    setLogSink(previousSink);
  }
  for (const warning of report.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  process.stdout.write(
    values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color }),
  );
  if (values.html && timeline) {
    writeFileSync(values.html, renderHtml(timeline.finish(report)));
    process.stderr.write(
      `\nThe run, drawn: ${values.html} (open ${pathToFileURL(path.resolve(values.html)).href} in a browser)\n`,
    );
  }
  return 0;
}

function parseCommandArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { json: { type: 'boolean' }, verbose: { type: 'boolean' }, html: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * `  virtual +0:12:30  settling  prod/web: web:v2 step 2/3: 4 canary tasks, 50% of traffic` on one
 * line of stderr, cut to the terminal's width, redrawn at most 10 times a second.
 */
function progressLine() {
  let last = 0;
  let shown = false;
  return {
    show: (p: Progress, latest?: string) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      const line = `  virtual ${formatOffset(p.now - p.start)}  ${p.phase}${latest ? `  ${latest}` : ''}`;
      const width = process.stderr.columns || 100;
      process.stderr.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
