/**
 * `npm run bench`: every benchmark of issue 9, a table on stdout, progress on stderr, and
 * bench/results.json (each figure with its baseline and their ratio, the machine, the details).
 *
 * Virtual time (the local world's clock) where the figure is about time in AWS; real time where it
 * is about our own code. The worlds run with the latency model on (local/core/latency.ts), seeded:
 * one seed gives the same figures again, so the damage figures run under several seeds and report
 * medians (and p99 for signal → rollback). Every figure of AWS behaviour says what the local world
 * still simplifies (`simplifies`). Real-time figures are medians of several runs where that is cheap.
 *
 *   BENCH_QUICK=1 npm run bench     smaller counts, for working on the benchmarks themselves
 *   BENCH_ONLY=damage npm run bench  re-runs some sections (damage, goodRelease, scale, code, world),
 *                                    keeping the others' figures from bench/results.json
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { BASELINE, type Bundle, buildBundles, coldImports, handlerFigures } from './code.ts';
import {
  CASES,
  type Contender,
  type DamageSummary,
  DESIRED,
  HORIZON_MS,
  LOAD,
  runDamageSeeds,
  type Spread,
} from './damage.ts';
import { ecsRollingUpdate, goodRelease } from './deploy.ts';
import { type CodeResults, type Headline, headline, type ScaleResults } from './headline.ts';
import { FLEET, FLEET_TASKS, runFleet, throttleBound } from './scale.ts';
import { formatBytes, formatMs, formatNumber, formatRatio, ratio, table } from './stats.ts';
import { worldSpeed } from './world-speed.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const ROOT = resolve(import.meta.dirname, '..');
const started = performance.now();

function progress(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}\n`);
}

/** One figure of results.json: the value, its baseline, their ratio (value / baseline). */
interface Figure {
  item: number;
  name: string;
  unit: string;
  clock: 'virtual' | 'real' | 'count';
  value: number | null;
  baseline: number | null;
  baselineName: string | null;
  ratio: number | null;
  /** The baseline had not ended by the horizon: it is a lower bound, the ratio an upper bound. */
  baselineCensored?: boolean;
  /** The value had not ended by the horizon in some run: it is a lower bound. */
  valueCensored?: boolean;
  /** What the figure is limited by, or what limits its meaning. */
  limits: string;
  /** What the local world still simplifies, for the figures of AWS behaviour. */
  simplifies?: string;
}
const figures: Figure[] = [];
function figure(
  f: Omit<Figure, 'ratio' | 'value' | 'baseline' | 'baselineName'> & {
    value?: number;
    baseline?: number;
    ratio?: number;
    baselineName?: string | null;
  },
) {
  const r = f.ratio ?? ratio(f.value, f.baseline);
  figures.push({
    ...f,
    value: f.value ?? null,
    baseline: f.baseline ?? null,
    baselineName: f.baselineName ?? null,
    ratio: r ?? null,
  });
  return r;
}

const out: string[] = [];
const print = (s = '') => out.push(s);

// ---------------------------------------------------------------------------------------------
// 1. Damage from a bad release

/** Seeded runs per contender and case: the latency model draws differently under each seed. */
const SEEDS = QUICK ? 3 : 15;

/** "1m2s", or "≥ 1m2s" when some runs had not ended by the horizon. */
function spreadText(s: Spread | undefined, fmt: (n: number) => string, censored: boolean): string {
  if (!s) return '–';
  return `${fmt(s.median)}${censored ? '+' : ''}`;
}

async function damage() {
  const results: Record<string, Record<string, DamageSummary>> = {};
  for (const c of CASES) {
    results[c.key] = {};
    for (const who of c.contenders) {
      progress(`1. damage: ${c.label}, ${who.label}, ${SEEDS} seeds`);
      results[c.key]![who.key] = await runDamageSeeds(c, who, SEEDS);
    }
  }
  print(
    `1. DAMAGE FROM A BAD RELEASE — ${DESIRED} tasks, ${LOAD} req/s, ALB check 30s×5 unless said; virtual time, latency model on`,
  );
  print(
    `   medians over ${SEEDS} seeds (signal→rollback: median / p99, nearest rank: the largest of ${SEEDS}); ` +
      'baselines: ECS rolling update (min 100%, max 200%) + circuit breaker with rollback, same world',
  );
  const rows = [
    [
      'image / who',
      'in service task-s',
      'ratio',
      'running task-s',
      'ratio',
      'launched (failed)',
      'ratio',
      'signal→rollback median / p99',
      'recovered',
      '5xx served',
      'outcome',
    ],
  ];
  for (const c of CASES) {
    const byWho = results[c.key]!;
    const ecs = c.contenders.filter((w) => !w.pipeline);
    rows.push([c.label, '', '', '', '', '', '', '', '', '', '']);
    for (const who of c.contenders) {
      const r = byWho[who.key]!;
      const mine = !!who.pipeline;
      const cens = r.censoredRuns > 0;
      // Our figures are set against the best careful ECS configuration of the case, metric by metric.
      const best = (metric: (s: DamageSummary) => number | undefined) => {
        let out: { value: number; who: Contender; censored: boolean } | undefined;
        for (const w of ecs) {
          const v = metric(byWho[w.key]!);
          const censored = byWho[w.key]!.censoredRuns > 0;
          // On a tie, the row that ended is the better baseline (its value is not a lower bound).
          if (
            v !== undefined &&
            (out === undefined || v < out.value || (v === out.value && out.censored && !censored))
          )
            out = { value: v, who: w, censored };
        }
        return out;
      };
      const name = (metric: string) => `${metric}, ${c.label}, ${who.label}`;
      const one = (
        metric: string,
        unit: string,
        clock: Figure['clock'],
        get: (s: DamageSummary) => number | undefined,
        limits: string,
      ) => {
        const b = mine ? best(get) : undefined;
        return figure({
          item: 1,
          name: name(metric),
          unit,
          clock,
          value: get(r),
          baseline: b?.value,
          baselineName: b ? `${b.who.label} (the best careful ECS configuration here)` : null,
          baselineCensored: b?.censored,
          valueCensored: cens || undefined,
          limits,
          simplifies: c.simplifies,
        });
      };
      const limits = `median of ${SEEDS} seeded runs; 1 s sampling; ALB health-check settings decide whether a crashing task ever serves`;
      const [rIn, rRun, rLaunch] = (
        [
          ['new-revision task-seconds in service', 'task-s', 'virtual', (s) => s.taskSecondsInService.median],
          ['new-revision task-seconds running', 'task-s', 'virtual', (s) => s.taskSecondsRunning.median],
          ['bad tasks launched', 'tasks', 'count', (s) => s.tasksLaunched.median],
        ] as const satisfies readonly (readonly [
          string,
          string,
          Figure['clock'],
          (s: DamageSummary) => number,
        ])[]
      ).map(([metric, unit, clock, get]) => one(metric, unit, clock, get, limits));
      const sigLimits =
        `over the runs that rolled back (${r.signalToRollbackMs?.n ?? 0} of ${SEEDS}); ` +
        "the signal is the first failed task's STOPPING (or the gate alarm's ALARM); ours runs through EventBridge " +
        'and a Lambda invocation, ECS acts inside its scheduler (breaker) or at its next alarm poll';
      one(
        'first failure signal to rollback call, median',
        'ms',
        'virtual',
        (s) => s.signalToRollbackMs?.median,
        sigLimits,
      );
      one(
        'first failure signal to rollback call, p99',
        'ms',
        'virtual',
        (s) => s.signalToRollbackMs?.p99,
        sigLimits,
      );
      const bIn = best((s) => s.taskSecondsInService.median);
      const bRun = best((s) => s.taskSecondsRunning.median);
      const bLaunch = best((s) => s.tasksLaunched.median);
      const sig = r.signalToRollbackMs
        ? `${formatMs(r.signalToRollbackMs.median)} / ${formatMs(r.signalToRollbackMs.p99)}${r.signalToRollbackMs.n < SEEDS ? ` (${r.signalToRollbackMs.n} of ${SEEDS})` : ''}`
        : 'never';
      rows.push([
        `  ${who.label}`,
        spreadText(r.taskSecondsInService, formatNumber, cens),
        mine ? formatRatio(rIn, bIn?.censored) : '',
        spreadText(r.taskSecondsRunning, formatNumber, cens),
        mine ? formatRatio(rRun, bRun?.censored) : '',
        `${formatNumber(r.tasksLaunched.median)}${cens ? '+' : ''} (${formatNumber(r.tasksFailed.median)})`,
        mine ? formatRatio(rLaunch, bLaunch?.censored) : '',
        sig,
        r.recoveredMs && r.recoveredMs.n === SEEDS
          ? formatMs(r.recoveredMs.median)
          : `> ${formatMs(HORIZON_MS)}`,
        formatNumber(r.errorsServed.median),
        Object.entries(r.outcomes)
          .map(([k, v]) => (v === SEEDS ? k : `${k} ×${v}`))
          .join(', '),
      ]);
    }
  }
  print(table(rows));
  print(
    '   in service: ∫ new-revision tasks healthy in the target group; running: ∫ new-revision tasks RUNNING;',
  );
  print(
    '   signal: first failed new task stopping, or the gate alarm in ALARM; rollback: ours or ECS\'s on the same service, whichever first; "+": still going at 30m;',
  );
  print(
    '   ratio: ours / the best of the ECS rows of the case, metric by metric ("≤": that ECS row had not ended)',
  );
  for (const c of CASES) print(`   simplifies (${c.key}): ${c.simplifies}`);
  print();
  return results;
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. A good release, and what it costs

async function goodReleases() {
  progress('2. good release: canary (default steps) + idle hour');
  const canary = await goodRelease('canary', true);
  progress('2. good release: rolling');
  const rolling = await goodRelease('rolling', false);
  progress('2. good release: ECS rolling update');
  const ecs = await ecsRollingUpdate();

  print(`2. TIME TO DEPLOY A GOOD RELEASE — ${DESIRED} tasks, ${LOAD} req/s, ALB check 30s×5; virtual time`);
  const rows = [['strategy', 'push → succeeded', 'baseline', 'ratio', 'overhead']];
  const limits =
    'virtual time, latency model on, one seed, the default sweep 30m; a bake ends on its wake-up (SQS delay), to the second';
  const simplifies =
    "task start-up and ALB health-check timings are fixed model timings, every task alike; a handler's start and calls do not move the virtual clock; the wake queue hands a message to its function the moment its delay ends (no poller latency)";
  for (const [name, r] of [
    ['canary 10% 5m, 50% 5m, 100% 2m', canary.release],
    ['rolling (bake 5m)', rolling.release],
  ] as const) {
    const rb = figure({
      item: 2,
      name: `good release, ${name}, against its bakes`,
      unit: 'ms',
      clock: 'virtual',
      value: r.durationMs,
      baseline: r.bakesMs,
      baselineName: 'sum of the bake times',
      limits,
      simplifies,
    });
    const re = figure({
      item: 2,
      name: `good release, ${name}, against ECS's rolling update`,
      unit: 'ms',
      clock: 'virtual',
      value: r.durationMs,
      baseline: ecs.durationMs,
      baselineName: 'ECS rolling update (UpdateService → deployment COMPLETED)',
      limits,
      simplifies,
    });
    rows.push([
      name,
      formatMs(r.durationMs),
      `bakes ${formatMs(r.bakesMs)}`,
      formatRatio(rb),
      `+${formatMs(r.durationMs - r.bakesMs)}`,
    ]);
    rows.push(['', '', `ECS rolling update ${formatMs(ecs.durationMs)}`, formatRatio(re), '']);
  }
  print(table(rows));
  print(
    `   canary steps (duration, overhead beyond the bake): ${canary.release.steps
      .map((s) => `${s.percent}% ${formatMs(s.durationMs)} (+${formatMs(s.overheadMs)})`)
      .join(', ')}`,
  );
  print();

  // 3. Cost
  const idle = canary.idle!;
  const total = (c: Record<string, number>) => Object.values(c).reduce((s, v) => s + v, 0);
  // A CI deploy as people script it: DescribeTaskDefinition, RegisterTaskDefinition, UpdateService,
  // then `aws ecs wait services-stable` (DescribeServices every 15 s) until the deployment completes.
  const ciCalls = 3 + Math.ceil(ecs.durationMs / 15_000);
  print('3. COST — AWS API calls served over HTTP (set-up excluded), Lambda invocations; virtual time');
  const cRows = [['what', 'value', 'baseline', 'ratio']];
  for (const [name, r] of [
    ['canary', canary.release],
    ['rolling', rolling.release],
  ] as const) {
    const n = total(r.calls);
    const rc = figure({
      item: 3,
      name: `AWS API calls per good ${name} rollout`,
      unit: 'calls',
      clock: 'count',
      value: n,
      baseline: ciCalls,
      baselineName: 'CI deploy: describe + register + update + wait services-stable (15 s polls)',
      limits: `by operation: ${JSON.stringify(r.calls)}`,
    });
    const lam = total(r.invocations);
    figure({
      item: 3,
      name: `Lambda invocations per good ${name} rollout`,
      unit: 'invocations',
      clock: 'count',
      value: lam,
      baselineName: null,
      limits: `by function: ${JSON.stringify(r.invocations)}; every task state change of the service is one ecsEvent invocation`,
    });
    cRows.push([`calls per ${name} rollout`, formatNumber(n), `CI deploy ${ciCalls}`, formatRatio(rc)]);
    cRows.push([`Lambda invocations per ${name} rollout`, formatNumber(lam), '–', '']);
  }
  const idleCalls = total(idle.calls);
  figure({
    item: 3,
    name: 'AWS API calls per idle hour, 1 service',
    unit: 'calls/h',
    clock: 'virtual',
    value: idleCalls,
    baseline: 0,
    baselineName: 'ECS alone (no pipeline)',
    limits: `by operation: ${JSON.stringify(idle.calls)}; the sweep (every minute, the default) Queries the sparse \`outstanding\` index, and ECR when missedPushCheck is due`,
  });
  figure({
    item: 3,
    name: 'DynamoDB reads per idle hour, 1 service',
    unit: 'reads/h',
    clock: 'virtual',
    value: idle.dynamodbReads,
    baselineName: null,
    limits: `${idle.readCapacityUnits} RCU/h (one Query of the \`outstanding\` index: ${idle.queryCapacityUnits} RCU); Lambda: ${JSON.stringify(idle.invocations)}`,
  });
  cRows.push(['AWS calls per idle hour (1 service)', formatNumber(idleCalls), 'ECS alone 0', '–']);
  cRows.push([
    'DynamoDB reads per idle hour (1 service)',
    `${formatNumber(idle.dynamodbReads)} (${formatNumber(idle.readCapacityUnits)} RCU)`,
    '–',
    '',
  ]);
  cRows.push(['Lambda invocations per idle hour', formatNumber(total(idle.invocations)), '–', '']);
  print(table(cRows));
  print(`   per canary rollout, by operation: ${fmtCalls(canary.release.calls)}`);
  print(`   per canary rollout, by function:  ${fmtCalls(canary.release.invocations)}`);
  print(`   per rolling rollout, by operation: ${fmtCalls(rolling.release.calls)}`);
  print(`   idle hour, by operation: ${fmtCalls(idle.calls)}`);
  return { canary, rolling, ecs, ciDeployCalls: ciCalls };
}

function fmtCalls(c: Record<string, number>): string {
  return Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// 4. Scale

async function scale() {
  const n = QUICK ? 40 : FLEET;
  progress(`4. scale: 1 service, no throttles (D1)`);
  const single = await runFleet(1, false);
  progress(`4. scale: ${n} services, no throttles`);
  const free = await runFleet(n, false, { progress });
  progress(`4. scale: ${n} services, ECS throttles + idle hour`);
  const throttled = await runFleet(n, true, { idle: true, progress });
  const bound = throttleBound(single, throttled);
  const errors = throttled.functionErrors + throttled.deadLetters + throttled.problems;
  const r = figure({
    item: 4,
    name: `virtual time until ${n} services are rolled out from one push, ECS throttles on`,
    unit: 'ms',
    clock: 'virtual',
    value: throttled.virtualMs,
    baseline: bound.boundMs,
    baselineName: `lower bound the throttles allow: D1 (${formatMs(bound.singleMs)}) + ${formatMs(Math.max(...Object.values(bound.drainMs)))} of registrations`,
    limits:
      `the pipeline's own reads bind first: ${formatNumber(bound.clusterReadsServed)} ListTasks/DescribeTasks at 20/s ≥ ${formatMs(bound.clusterReadMs)}; ` +
      "invocations run concurrently; the SDK's back-off is spent in each invocation's own virtual time, and counted against its timeout",
  });
  figure({
    item: 4,
    name: `errors seen in the ${n}-service push (function errors + dead letters + warn/error logs)`,
    unit: 'errors',
    clock: 'count',
    value: errors,
    baseline: 0,
    baselineName: 'none expected',
    limits: `throttled attempts retried by the SDK: ${JSON.stringify(throttled.retries.throttled)}; the local Lambda stops an invocation at its 60 s timeout (SDK back-off counted), as Lambda does`,
  });
  figure({
    item: 4,
    name: `longest ecrPush invocation for the ${n}-service push`,
    unit: 'ms',
    clock: 'virtual',
    value: throttled.longestInvocationMs.ecrPush,
    baseline: 60_000,
    baselineName: 'Lambda timeout (serverless.yml)',
    limits:
      "the push registers the targets' revisions in turn (1 per second beyond the burst of 20) until 15 s are left, then hands the rest on to the wake queue (lib/hand-on.ts)",
  });
  const over = Object.values(throttled.overTimeout).reduce((s, v) => s + v, 0);
  figure({
    item: 4,
    name: `invocations longer than the 60 s Lambda timeout in the ${n}-service push`,
    unit: 'invocations',
    clock: 'virtual',
    value: over,
    baseline: 0,
    baselineName: 'none expected',
    limits: `by function: ${JSON.stringify(throttled.overTimeout)}; longest (ms): ${JSON.stringify(throttled.longestInvocationMs)}. The local Lambda stops an invocation at its timeout, its SDK back-off counted, as Lambda does`,
  });
  const idle = throttled.idle!;
  figure({
    item: 4,
    name: `Slack messages still queued when the last of the ${n} rollouts ended`,
    unit: 'messages',
    clock: 'count',
    value: idle.outboxAtStart,
    baseline: 0,
    baselineName: 'none',
    limits: `${idle.outboxAtEnd} still queued ${idle.quietAfterMs === undefined ? '1h30m' : formatMs(idle.quietAfterMs + 60 * 60_000)} later. Slack takes 1 message/s per webhook; locally the pacer's clock stands still inside an invocation, so each invocation sends ~4 and the backlog drains slower than in AWS (10 per invocation)`,
  });
  figure({
    item: 3,
    name: `DynamoDB read capacity of the idle tick per hour, ${n} services`,
    unit: 'RCU/h',
    clock: 'virtual',
    value: 60 * idle.scanCapacityUnits,
    baseline: 0,
    baselineName: 'ECS alone (no pipeline)',
    limits: `one Scan of the ${n} records (${formatBytes(idle.recordBytes)}) costs ${idle.scanCapacityUnits} RCU, every minute; the hour measured after the rollouts read ${idle.dynamodbReads} times (${formatNumber(idle.readCapacityUnits)} RCU) while Slack's outbox drained`,
  });

  print();
  print(
    `4. SCALE — one push feeding ${n} services (${FLEET_TASKS} tasks each, own family, default canary steps); virtual time`,
  );
  const rows = [['run', 'all rolled out', 'baseline', 'ratio', 'errors']];
  rows.push([
    'ECS throttles on',
    formatMs(throttled.virtualMs),
    `bound ${formatMs(bound.boundMs)}`,
    formatRatio(r),
    String(errors),
  ]);
  rows.push([
    'no throttles',
    formatMs(free.virtualMs),
    `D1 ${formatMs(bound.singleMs)}`,
    formatRatio(ratio(free.virtualMs, bound.singleMs)),
    String(free.functionErrors + free.deadLetters + free.problems),
  ]);
  print(table(rows));
  print(
    `   bound: D1 + max((${n}×${bound.perRollout.taskDefinitionModify} registrations − 20)/1 s, (${n}×${bound.perRollout.serviceModify} service updates − 50)/5 s)`,
  );
  print(
    `   throttled attempts (SDK retried): ${fmtCalls(throttled.retries.throttled)}; gave up: ${JSON.stringify(throttled.retries.gaveUp)}`,
  );
  print(
    `   the pipeline's reads: ${formatNumber(bound.clusterReadsServed)} ListTasks+DescribeTasks served, ≥ ${formatMs(bound.clusterReadMs)} at 20/s — this binds, not the writes`,
  );
  print(
    `   longest invocation: ${Object.entries(throttled.longestInvocationMs)
      .map(([k, v]) => `${k} ${formatMs(v)}`)
      .join(', ')}; over the 60 s Lambda timeout: ${JSON.stringify(throttled.overTimeout)}`,
  );
  print(
    `   Slack: ${formatNumber(idle.outboxAtStart)} messages still queued when the last rollout ended, ${formatNumber(idle.outboxAtEnd)} ${idle.quietAfterMs === undefined ? '1h30m' : formatMs(idle.quietAfterMs + 60 * 60_000)} later`,
  );
  print(
    `   the hour after, ${n} records: ${fmtCalls(idle.calls)}; the idle tick's Scan alone: ${formatNumber(60 * idle.scanCapacityUnits)} RCU/h`,
  );
  print();
  return { single, free, throttled, bound };
}

// ---------------------------------------------------------------------------------------------
// 5. Our own code

async function code() {
  progress('5. bundles (esbuild, serverless.yml options)');
  const dir = join(tmpdir(), `ecs-autopilot-bundles-${process.pid}`);
  try {
    return await measureCode(await buildBundles(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureCode(bundles: Bundle[]) {
  // 21 fresh processes: the median of 9 moved by a third between runs on a busy machine.
  const rounds = QUICK ? 3 : 21;
  progress(`5. cold imports (${rounds} fresh processes per bundle)`);
  const cold = await coldImports(bundles, rounds);
  const counts = QUICK ? { unmanaged: 2000, rollout: 1000 } : { unmanaged: 10_000, rollout: 10_000 };
  progress(
    `5. task-state handler: ${counts.unmanaged} unmanaged events, ${counts.rollout} events of a rollout`,
  );
  const h = await handlerFigures(bundles.find((b) => b.name === 'ecs-event')!.file, counts);

  const base = bundles.find((b) => b.name === BASELINE)!;
  print(`5. OUR OWN CODE — real time on this machine`);
  const rows = [['what', 'value', 'baseline', 'ratio']];
  for (const b of bundles.filter((x) => x.name !== BASELINE)) {
    const rs = figure({
      item: 5,
      name: `bundle size, ${b.name} (minified)`,
      unit: 'bytes',
      clock: 'count',
      value: b.bytes,
      baseline: base.bytes,
      baselineName: 'empty middy handler + ECSClient, same esbuild options',
      limits: `gzip ${b.gzipBytes} B; largest parts: ${(b.composition ?? [])
        .slice(0, 6)
        .map((c) => `${c.from} ${formatBytes(c.bytes)}`)
        .join(', ')}`,
    });
    const ri = figure({
      item: 5,
      name: `cold import, ${b.name}`,
      unit: 'ms',
      clock: 'real',
      value: cold[b.name]!.medianMs,
      baseline: cold[BASELINE]!.medianMs,
      baselineName: 'empty middy handler + ECSClient',
      limits: `median of ${rounds} fresh Node processes, module evaluation only (no Lambda init, no first call)`,
    });
    rows.push([`bundle ${b.name}`, formatBytes(b.bytes), formatBytes(base.bytes), formatRatio(rs)]);
    rows.push([
      `cold import ${b.name}`,
      `${cold[b.name]!.medianMs.toFixed(0)} ms`,
      `${cold[BASELINE]!.medianMs.toFixed(0)} ms`,
      formatRatio(ri),
    ]);
  }
  const limitsWall =
    'wall clock against the local world in the parent process (HTTP on loopback, dynalite): its answers, not AWS latency';
  figure({
    item: 5,
    name: 'task-state events per second, unmanaged service',
    unit: 'events/s',
    clock: 'real',
    value: h.unmanaged.eventsPerSecond,
    baselineName: null,
    limits: `no AWS call; ${h.unmanaged.cpuMsPerEvent.toFixed(3)} ms CPU per event`,
  });
  figure({
    item: 5,
    name: 'task-state events per second, service in a rollout',
    unit: 'events/s',
    clock: 'real',
    value: h.rollout.eventsPerSecond,
    baselineName: null,
    limits: `${limitsWall}; ${h.rollout.cpuMsPerEvent.toFixed(2)} ms CPU per event in the handler's process; calls per event ${JSON.stringify(h.rollout.callsPerEvent)}`,
  });
  figure({
    item: 5,
    name: 'decide() calls per second',
    unit: 'calls/s',
    clock: 'real',
    value: h.decide.freshPerSecond,
    baselineName: null,
    limits: `on a rollout at step 1; ${formatNumber(h.decide.fullHistoryPerSecond)}/s with ${h.decide.historyEntries} history entries (structuredClone of the record dominates)`,
  });
  figure({
    item: 5,
    name: `peak memory (RSS) over a burst of ${counts.rollout} task-state events of a rollout`,
    unit: 'MB',
    clock: 'real',
    value: h.rollout.maxRssMB,
    baseline: 256,
    baselineName: 'Lambda memorySize (serverless.yml)',
    limits: `RSS before the burst ${h.rollout.rssBeforeMB.toFixed(0)} MB, every 1000 events: ${h.rollout.rssEvery1000MB.join(', ')} MB; heap after ${h.rollout.heapUsedMB.toFixed(0)} MB`,
  });
  rows.push([
    'task-state events/s, unmanaged',
    formatNumber(h.unmanaged.eventsPerSecond),
    '–',
    `${h.unmanaged.cpuMsPerEvent.toFixed(3)} ms CPU/event`,
  ]);
  rows.push([
    'task-state events/s, in a rollout',
    formatNumber(h.rollout.eventsPerSecond),
    '–',
    `${h.rollout.cpuMsPerEvent.toFixed(2)} ms CPU/event`,
  ]);
  rows.push([
    'decide() calls/s',
    formatNumber(h.decide.freshPerSecond),
    '–',
    `${formatNumber(h.decide.fullHistoryPerSecond)}/s with 25 history`,
  ]);
  rows.push([
    `peak RSS, ${formatNumber(counts.rollout)} rollout events`,
    `${h.rollout.maxRssMB.toFixed(0)} MB`,
    'Lambda 256 MB',
    formatRatio(ratio(h.rollout.maxRssMB, 256)),
  ]);
  rows.push([
    `peak RSS, ${formatNumber(counts.unmanaged)} unmanaged events`,
    `${h.unmanaged.maxRssMB.toFixed(0)} MB`,
    'Lambda 256 MB',
    formatRatio(ratio(h.unmanaged.maxRssMB, 256)),
  ]);
  print(table(rows));
  print(`   calls per rollout event: ${fmtCalls(h.rollout.callsPerEvent)}`);
  print(`   RSS every 1000 rollout events: ${h.rollout.rssEvery1000MB.join(', ')} MB`);
  print();
  return { bundles: bundles.map(({ file: _f, ...b }) => b), coldImports: cold, handler: h };
}

// ---------------------------------------------------------------------------------------------
// 6. The local world's speed

async function world() {
  progress('6. world speed: 100 services × 10 tasks, one virtual hour, steady');
  const steady = await worldSpeed(false);
  progress('6. world speed: the same with two rolling updates of every service');
  const busy = await worldSpeed(true);
  print('6. THE LOCAL WORLD — 100 services × 10 tasks (ALB, load, metrics), one virtual hour, 1 s steps');
  const rows = [['run', 'virtual s per real s', 'real', 'events']];
  for (const [name, r] of [
    ['started, then steady', steady],
    ['with 2 rolling updates of all', busy],
  ] as const) {
    figure({
      item: 6,
      name: `local world speed, ${name}`,
      unit: 'virtual s / real s',
      clock: 'real',
      value: r.virtualPerReal,
      baseline: 1,
      baselineName: 'real time',
      limits: 'single-threaded; no pipeline attached; cost grows with task state changes, not with idle time',
    });
    rows.push([
      name,
      formatNumber(r.virtualPerReal),
      `${r.realSeconds.toFixed(1)} s`,
      formatNumber(r.events),
    ]);
  }
  print(table(rows));
  print();
  return { steady, busy };
}

// ---------------------------------------------------------------------------------------------

function machine() {
  let commit: string | undefined;
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  return {
    node: process.version,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    platform: `${process.platform} ${process.arch}`,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    commit,
    dirty,
  };
}

/** The sections of the run, in order; `BENCH_ONLY=damage,world` re-runs some and keeps the rest. */
const SECTIONS = {
  damage: { items: [1], run: damage },
  goodRelease: { items: [2, 3], run: goodReleases },
  scale: { items: [4], run: scale },
  code: { items: [5], run: code },
  world: { items: [6], run: world },
  headline: { items: [], run: headlines },
} as const;

/** Issue 16's figures, each beside its baseline and goal: results.json `headline`, and a table. */
async function headlines() {
  // The code and scale sections' results, measured in this run or kept from the last.
  const h = await headline(progress, {
    code: measured.code as CodeResults | undefined,
    scale: measured.scale as ScaleResults | undefined,
  });
  print('HEADLINE — issue 16: each figure, its baseline (before the issue) and its goal');
  const rows = [['figure', 'value', 'baseline', 'goal', 'met']];
  for (const [key, f] of Object.entries(h))
    rows.push([
      key,
      f.value === null ? '—' : formatNumber(f.value),
      formatNumber(f.baseline),
      f.goal,
      f.met ? 'yes' : 'no',
    ]);
  print(table(rows));
  for (const [key, f] of Object.entries(h)) print(`   ${key}: ${f.how}`);
  print();
  return h;
}
type Section = keyof typeof SECTIONS;
/** Every section's results so far (this run's, or the last file's): the headline reads code and scale. */
let measured: Record<string, unknown> = {};

/** The section a figure came from (figures of older files carry no `section`: by item). */
function sectionOf(f: Figure & { section?: Section }): Section {
  if (f.section) return f.section;
  if (f.name.startsWith('DynamoDB read capacity of the idle tick')) return 'scale';
  return (Object.keys(SECTIONS) as Section[]).find((k) =>
    (SECTIONS[k].items as readonly number[]).includes(f.item),
  )!;
}

async function main() {
  const m = machine();
  const only = process.env.BENCH_ONLY?.split(',').map((x) => x.trim()) as Section[] | undefined;
  for (const s of only ?? [])
    if (!(s in SECTIONS))
      throw new Error(`BENCH_ONLY: no section ${s} (${Object.keys(SECTIONS).join(', ')})`);
  const file = join(ROOT, 'bench', 'results.json');
  const previous = only ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  progress(
    `node ${m.node}, ${m.cores} × ${m.cpu}${QUICK ? ' (BENCH_QUICK)' : ''}${only ? ` (only ${only.join(', ')})` : ''}`,
  );
  const now = new Date().toISOString();
  const details: Record<string, unknown> = { ...previous?.details };
  measured = details;
  const sections: Record<string, unknown> = { ...previous?.sections };
  for (const key of Object.keys(SECTIONS) as Section[]) {
    if (only && !only.includes(key)) {
      // Kept from the previous file: say when and on which world it was measured.
      sections[key] ??= {
        generatedAt: previous.generatedAt,
        commit: previous.machine?.commit,
        latency: false,
      };
      continue;
    }
    const before = figures.length;
    details[key] = await SECTIONS[key].run();
    for (const f of figures.slice(before)) (f as Figure & { section?: Section }).section = key;
    sections[key] = { generatedAt: now, commit: m.commit, latency: true, quick: QUICK };
  }
  const kept = (previous?.figures ?? []).filter((f: Figure) => only && !only.includes(sectionOf(f)));
  const all = [...kept, ...figures].sort((a, b) => a.item - b.item);
  const realSeconds = (performance.now() - started) / 1000;
  const header = [
    `ecs-autopilot benchmarks — npm run bench — ${now}`,
    `node ${m.node} · ${m.cores} × ${m.cpu} · ${m.platform}${m.commit ? ` · ${m.commit.slice(0, 10)}${m.dirty ? '+dirty' : ''}` : ''}${QUICK ? ' · BENCH_QUICK' : ''}`,
    '',
  ];
  const results = {
    command: only ? `BENCH_ONLY=${only.join(',')} npm run bench` : 'npm run bench',
    generatedAt: now,
    quick: QUICK,
    machine: m,
    realSeconds: Math.round(realSeconds * 10) / 10,
    /** When, on which commit and whether with the latency model each section was last measured. */
    sections,
    figures: all,
    /** Issue 16's headline figures (BENCH_ONLY=headline), kept from the last run that measured them. */
    headline: (details.headline as Record<string, Headline> | undefined) ?? previous?.headline,
    details,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `${[...header, ...out].join('\n')}\nwritten: bench/results.json (${all.length} figures, ${figures.length} measured now) in ${realSeconds.toFixed(0)} s\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
