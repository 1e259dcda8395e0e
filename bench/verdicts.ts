/**
 * The verdict suite (issue 13, "Trust I"): a seeded generator of service shapes, each played on the
 * local AWS with the real pipeline, and a judge of the pipeline's verdict on each.
 *
 *   npm run verdicts -- --count 40 --seed 1          # 40 generated cases, a table, exit 1 on any failure
 *   npm run verdicts -- --count 40 --seed 1 --only 7 # replay case 7 of that run
 *   npm run verdicts -- --file test-output/verdicts/s1-7.yml   # replay a saved failing case
 *
 * What is generated (one PRNG, mulberry32, drawn in case order, so a case is named by seed and index):
 * task counts 1 to 500 (skewed: most under 10, some over 100); the strategies (the canary presets,
 * custom canary steps, linear, rolling, all-at-once); the pushed image healthy, crashing, unhealthy,
 * unpullable, or answering a share of requests 5xx behind a gate alarm on HTTPCode_Target_5XX_Count
 * with both `LoadBalancer` and `TargetGroup` dimensions (as ALB publishes it); and, on top, a
 * scale-out by hand mid-step, a pause and a resume mid-step (`autopilot pause` / `resume`, the
 * same pipeline command), a gate alarm already in ALARM at push time, a gate alarm that stays in
 * INSUFFICIENT_DATA (its metric has no data), EC2 capacity with little room, listener weights
 * (`traffic: weighted`, a quarter of the canary and linear cases), and EventBridge faults (the push
 * event late, an event doubled, a task event overtaken by later ones).
 *
 * Each case is a scenario file (scenarios/README.md) with a `faults:` section (local/scenario/faults.ts),
 * played in-process through the scenario runner with the pipeline attached as `autopilot sim`
 * attaches it, and the world's invariants (local/scenario/invariants.ts) checked all along.
 *
 * The judge (judge() below):
 * - healthy image: its rollout ends `succeeded`, no digest is marked bad, the primary runs the new
 *   revision (one COMPLETED deployment, running = desired), no rollout is left open.
 * - failing image: its rollout ends `rolled_back` within the failing bound (failBoundMs), the
 *   primary is back on the revision it started on (one COMPLETED deployment, running = desired),
 *   the canary runs nothing, the digest is marked bad, no rollout is left open.
 * - both: the run settled (did not hit the 6 h cap) and the invariant violations are empty.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { validateConfig } from '../lib/config.ts';
import { setLogSink } from '../lib/log.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { Random } from '../local/core/random.ts';
import { attachPipeline } from '../local/pipeline.ts';
import * as faultLayer from '../local/scenario/faults.ts';
import {
  applyFaults,
  type EventFault,
  type FaultPlan,
  loadFaultScenario,
  parseFaultScenario,
  scenarioWithFaults,
  slackDeliveries,
} from '../local/scenario/faults.ts';
import { runScenario, type ScenarioReport } from '../local/scenario/index.ts';
import { InvariantChecker, type Violation } from '../local/scenario/invariants.ts';
import { rolloutsReport } from '../local/scenario/rollout-report.ts';

const MINUTE = 60_000;

// ---- the PRNG -----------------------------------------------------------------------------------

/** mulberry32: a small, fast, seeded 32-bit PRNG; the same seed gives the same cases everywhere. */
export function mulberry32(seed: number): () => number {
  return new Random(seed).next;
}

class Draw {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

// ---- a case -------------------------------------------------------------------------------------

export type ImageKind = 'healthy' | 'crash' | 'unhealthy' | 'pull-error' | 'errors';
export const IMAGE_KINDS: readonly ImageKind[] = ['healthy', 'crash', 'unhealthy', 'pull-error', 'errors'];

export type StrategyName =
  | 'Canary10Percent5Minutes'
  | 'Canary10Percent15Minutes'
  | 'Linear10PercentEvery1Minute'
  | 'Linear10PercentEvery3Minutes'
  | 'canary-steps'
  | 'linear'
  | 'rolling'
  | 'all-at-once';
export const STRATEGIES: readonly StrategyName[] = [
  'Canary10Percent5Minutes',
  'Canary10Percent15Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery3Minutes',
  'canary-steps',
  'linear',
  'rolling',
  'all-at-once',
];

export type EventFaultKind =
  | 'push-late'
  | 'push-doubled'
  | 'task-event-reordered'
  | 'deployment-event-doubled';

export interface VerdictCase {
  id: string;
  seed: number;
  index: number;
  tasks: number;
  strategy: StrategyName;
  /** The pipeline's `steps` / `linear` / `rolling` when the strategy is not a preset. */
  strategyOptions?: string;
  image: ImageKind;
  /** crash: seconds after start; errors: the share of 5xx. */
  imageParam?: number;
  stepDeadlineMin: number;
  /** A scale-out by hand: at (ms after the push), to this desired count. */
  scaleOut?: { afterPushMs: number; to: number };
  /** `autopilot pause` then `resume`: ms after the push, and how long. */
  pause?: { afterPushMs: number; forMs: number };
  /** The service has the 5xx gate alarm (always with an errors image or an alarm at push). */
  gated: boolean;
  /** The gate alarm is in ALARM when the image is pushed (an incident under way). */
  alarmAtPush: boolean;
  /** A second gate alarm whose metric never has data: it stays INSUFFICIENT_DATA. */
  insufficientData: boolean;
  /** EC2 instances with room for about a quarter more tasks than the service runs. */
  tightCapacity: boolean;
  /**
   * The owner's deploymentConfiguration, when not the default (100 / 200; 50 / 200 on a tight
   * cluster): the settings owners choose for small clusters and small services, some of which ECS's
   * rounding leaves unable to start or stop a task at small counts (50 / 100 at one task).
   */
  deployment?: { minimumHealthyPercent: number; maximumPercent: number };
  eventFault?: EventFaultKind;
  /**
   * `weighted`: the canary's share by listener weights (traffic: weighted) behind the load balancer
   * `front`, the 5xx gate on the load balancer as a whole (README "Weighted traffic").
   */
  traffic?: 'weighted';
  /** The part of the case that is in the scenario file's timeline. */
  pushAtMs: number;
}

/** The kinds a case covers, for the table: `crash 120t linear +scale +pause`. */
export function caseKinds(c: VerdictCase): string[] {
  const kinds: string[] = [c.image, c.strategy];
  if (c.scaleOut) kinds.push('scale-out');
  if (c.pause) kinds.push('pause');
  if (c.alarmAtPush) kinds.push('alarm-at-push');
  if (c.insufficientData) kinds.push('insufficient-data');
  if (c.tightCapacity) kinds.push('tight-capacity');
  if (c.deployment) kinds.push(`${c.deployment.minimumHealthyPercent}/${c.deployment.maximumPercent}`);
  if (c.eventFault) kinds.push(c.eventFault);
  if (c.traffic) kinds.push(c.traffic);
  return kinds;
}

/**
 * Task counts skewed toward small services: 55% from 1 to 10, 30% from 11 to 100, 15% from 101
 * to 500 (ECS's ListTasks pages at 100, so those are the ones that page).
 */
function drawTasks(d: Draw): number {
  const r = d.next();
  if (r < 0.55) return d.int(1, 10);
  if (r < 0.85) return d.int(11, 100);
  return d.int(101, 500);
}

/** Generates case `index` of a run: draws every earlier case first, so one PRNG names them all. */
export function generateCases(seed: number, count: number): VerdictCase[] {
  const d = new Draw(mulberry32(seed));
  const out: VerdictCase[] = [];
  for (let index = 0; index < count; index++) out.push(drawCase(d, seed, index));
  return out;
}

function drawCase(d: Draw, seed: number, index: number): VerdictCase {
  const tasks = drawTasks(d);
  const strategy = d.pick(STRATEGIES);
  let strategyOptions: string | undefined;
  if (strategy === 'canary-steps') {
    const first = d.pick([5, 10, 20, 25]);
    const second = d.pick([33, 50, 60]);
    strategyOptions = `steps: [{ percent: ${first}, bake: ${d.int(1, 5)}m }, { percent: ${second}, bake: ${d.int(1, 5)}m }, { percent: 100, bake: ${d.int(1, 3)}m }]`;
  } else if (strategy === 'linear') {
    strategyOptions = `linear: { stepPercent: ${d.pick([20, 25, 34, 50])}, bake: ${d.int(1, 3)}m }`;
  } else if (strategy === 'rolling') {
    strategyOptions = `rolling: { bake: ${d.int(2, 6)}m }`;
  }
  // Half the cases push a healthy image: both verdicts matter as much.
  const image: ImageKind = d.chance(0.5) ? 'healthy' : d.pick(IMAGE_KINDS.slice(1));
  const imageParam =
    image === 'crash' ? d.int(10, 60) : image === 'errors' ? d.pick([0.2, 0.25, 0.5, 0.8]) : undefined;
  const pushAtMs = 5 * MINUTE;
  // Mid-step: a failing image is rolled back within a minute or two, so its scale-out or pause
  // comes early (15-45 s after the push); a healthy one's lands anywhere in its first steps.
  const midStep = () => (image === 'healthy' ? d.int(30, 8 * 60) : d.int(15, 45)) * 1000;
  const scaleOut = d.chance(0.25)
    ? {
        afterPushMs: midStep(),
        to: Math.min(500, tasks + Math.max(1, Math.round(tasks * d.pick([0.25, 0.5, 1])))),
      }
    : undefined;
  const pause = d.chance(0.2) ? { afterPushMs: midStep(), forMs: d.int(2, 12) * MINUTE } : undefined;
  const gated = d.chance(0.4);
  const alarmAtPush = d.chance(0.2);
  const insufficientData = d.chance(0.2);
  // EC2 capacity for counts an instance list can hold without growing the world past use.
  const tightCapacity = tasks <= 200 && d.chance(0.2);
  const deployment = drawDeployment(seed, index);
  const traffic = drawTraffic(seed, index, strategy);
  const eventFault = d.chance(0.3)
    ? d.pick<EventFaultKind>([
        'push-late',
        'push-doubled',
        'task-event-reordered',
        'deployment-event-doubled',
      ])
    : undefined;
  return {
    id: `s${seed}-${index}`,
    seed,
    index,
    tasks,
    strategy,
    strategyOptions,
    image,
    imageParam,
    stepDeadlineMin: d.pick([10, 15, 15, 20]),
    scaleOut,
    pause,
    gated,
    alarmAtPush,
    insufficientData,
    tightCapacity,
    ...(deployment && { deployment }),
    eventFault,
    ...(traffic && { traffic }),
    pushAtMs,
  };
}

/** The strategies `traffic: weighted` applies to (README: canary and linear targets). */
const WEIGHTED_STRATEGIES: readonly StrategyName[] = STRATEGIES.filter(
  (s) => s !== 'rolling' && s !== 'all-at-once',
);

/**
 * A case's traffic, a quarter of the canary and linear cases weighted. From its own PRNG (seed and
 * index), as drawDeployment, so the cases of a seed drawn before it was added stay as they were.
 */
function drawTraffic(seed: number, index: number, strategy: StrategyName): VerdictCase['traffic'] {
  const d = new Draw(mulberry32((seed * 6007 + index * 90_001 + 29) >>> 0));
  return WEIGHTED_STRATEGIES.includes(strategy) && d.chance(0.25) ? 'weighted' : undefined;
}

/** Owners' settings beside ECS's defaults (minimumHealthyPercent / maximumPercent). */
const DEPLOYMENTS: [number, number][] = [
  [50, 100],
  [0, 100],
  [66, 100],
  [75, 125],
  [100, 150],
  [50, 150],
];

/**
 * A case's deploymentConfiguration, a third of the time one of DEPLOYMENTS. Drawn from its own
 * PRNG (seed and index), so the cases of a seed drawn before it was added stay as they were.
 */
function drawDeployment(seed: number, index: number): VerdictCase['deployment'] {
  const d = new Draw(mulberry32((seed * 7919 + index * 104_729 + 17) >>> 0));
  if (!d.chance(1 / 3)) return undefined;
  const [minimumHealthyPercent, maximumPercent] = d.pick(DEPLOYMENTS);
  return { minimumHealthyPercent, maximumPercent };
}

/** A case written by hand (the test's fixed sample): the defaults, then `fields`. */
export function verdictCase(
  id: string,
  fields: Partial<VerdictCase> & Pick<VerdictCase, 'tasks' | 'strategy' | 'image'>,
): VerdictCase {
  return {
    id,
    seed: 0,
    index: 0,
    stepDeadlineMin: 15,
    gated: false,
    alarmAtPush: false,
    insufficientData: false,
    tightCapacity: false,
    pushAtMs: 5 * MINUTE,
    imageParam: fields.image === 'crash' ? 20 : fields.image === 'errors' ? 0.25 : undefined,
    ...fields,
  };
}

// ---- the scenario file --------------------------------------------------------------------------

const fmt = (ms: number) => `${Math.round(ms / 1000)}s`;

function imageYaml(c: VerdictCase): string {
  switch (c.image) {
    case 'healthy':
      return 'healthy';
    case 'crash':
      return `{ crash: { after: ${c.imageParam}s, exitCode: 1 } }`;
    case 'unhealthy':
      return 'unhealthy';
    case 'pull-error':
      return 'pull-error';
    case 'errors':
      return `{ errors: ${c.imageParam} }`;
  }
}

/** Tasks of 256 CPU / 512 MiB; an m5.large (2048 CPU) holds 8 of them. */
const TASKS_PER_INSTANCE = 8;

/** Instances for `tasks` with a quarter more room (at least one task's): 10 tasks -> 13 slots -> 2 instances. */
export function tightInstances(tasks: number): number {
  return Math.ceil((tasks + Math.max(1, Math.ceil(tasks * 0.25))) / TASKS_PER_INSTANCE);
}

function eventFaults(c: VerdictCase): EventFault[] {
  switch (c.eventFault) {
    case undefined:
      return [];
    case 'push-late':
      return [{ match: 'ECR Image Action', nth: 1, do: 'delay', byMs: 2 * MINUTE }];
    case 'push-doubled':
      return [{ match: 'ECR Image Action', nth: 1, do: 'duplicate' }];
    case 'task-event-reordered':
      // The third task event of the run (one of the new revision's) arrives after later ones.
      return [
        { match: 'ECS Task State Change', nth: 3, do: 'delay', byMs: 3 * MINUTE },
        { match: 'ECS Task State Change', nth: 5, do: 'duplicate' },
      ];
    case 'deployment-event-doubled':
      return [
        { match: 'ECS Deployment State Change', nth: 1, do: 'duplicate' },
        { match: 'ECS Deployment State Change', nth: 2, do: 'delay', byMs: 90_000 },
      ];
  }
}

/** The scenario file of a case: set-up, the pipeline's config inline, the timeline, the faults. */
export function scenarioText(c: VerdictCase): string {
  const gates: string[] = [];
  const load = true; // every case is behind a target group with traffic: the bake is on real traffic
  const gate = c.image === 'errors' || c.alarmAtPush || c.gated;
  if (gate) gates.push('web-5xx');
  if (c.insufficientData) gates.push('web-latency');
  const maxDesired = Math.max(c.tasks, c.scaleOut?.to ?? 0);
  const lines: string[] = [
    `# verdict case ${c.id}: ${caseKinds(c).join(', ')}`,
    `# replay: npm run verdicts -- --seed ${c.seed} --only ${c.index}   (or --file this-file)`,
    `# verdict: ${JSON.stringify(c)}`,
    `name: verdict ${c.id}`,
    `seed: ${c.id}`,
    'clusters:',
    c.tightCapacity
      ? `  - { name: prod, instances: [{ type: m5.large, cpu: 2048, memory: 8192, count: ${tightInstances(maxDesired)} }] }`
      : '  - { name: prod }',
    'images:',
    '  web:v1: healthy',
    `  web:v2: ${imageYaml(c)}`,
    'targetGroups:',
    '  - { name: web, deregistrationDelay: 30s, healthCheck: { interval: 10s, healthyThreshold: 2, unhealthyThreshold: 2 } }',
    ...(c.traffic === 'weighted'
      ? ['loadBalancers:', '  - { name: front, listeners: [{ port: 80, forward: web }] }']
      : []),
    'services:',
    '  - cluster: prod',
    '    name: web',
    '    image: web:v1',
    `    desiredCount: ${c.tasks}`,
    '    cpu: 256',
    '    memory: 512',
    '    port: 8080',
    '    targetGroup: web',
    `    load: ${load ? 100 : 0}`,
    '    healthCheckGracePeriod: 30s',
    // The same container health check in every case: lib/ecs.ts caches "this revision has a
    // health check" per task-definition ARN for the life of the process, and every case registers web:2.
    '    healthCheck: { command: [CMD-SHELL, "curl -f http://localhost/health || exit 1"], interval: 10s, timeout: 5s, retries: 3, startPeriod: 10s }',
    '    deploymentConfiguration:',
    `      minimumHealthyPercent: ${c.deployment?.minimumHealthyPercent ?? (c.tightCapacity ? 50 : 100)}`,
    `      maximumPercent: ${c.deployment?.maximumPercent ?? 200}`,
    '      circuitBreaker: { enable: true, rollback: true }',
  ];
  if (gates.length) {
    lines.push('alarms:');
    if (gates.includes('web-5xx'))
      lines.push(
        // As ALB publishes HTTPCode_Target_5XX_Count: per target group AND load balancer; with
        // weighted traffic by the load balancer alone, which counts the canary's group too.
        `  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, dimensions: ${c.traffic === 'weighted' ? '{ LoadBalancer: front }' : '{ TargetGroup: web, LoadBalancer: web }'}, statistic: Sum, period: 1m, evaluationPeriods: 1, threshold: 20, comparison: GreaterThanThreshold, treatMissingData: notBreaching }`,
      );
    if (gates.includes('web-latency'))
      lines.push(
        // A metric nobody publishes (a wrong dimension): no data, so INSUFFICIENT_DATA for good.
        '  - { name: web-latency, namespace: AWS/ApplicationELB, metric: TargetResponseTime, dimensions: { TargetGroup: no-such-group }, statistic: Average, period: 1m, evaluationPeriods: 2, threshold: 1, comparison: GreaterThanThreshold }',
      );
  }
  const strategyLine = c.strategy === 'canary-steps' ? 'canary' : c.strategy;
  lines.push(
    'autopilot:',
    '  targets:',
    '    - cluster: prod',
    '      service: web',
    '      repository: web',
    '      tags: { glob: "v*" }',
    `      strategy: ${strategyLine}`,
  );
  if (c.strategyOptions) lines.push(`      ${c.strategyOptions}`);
  if (c.traffic === 'weighted') lines.push('      traffic: weighted', '      loadBalancers: [front]');
  if (gates.length) lines.push(`      gateAlarms: [${gates.join(', ')}]`);
  lines.push('      failedTasks: 1', `      stepDeadline: ${c.stepDeadlineMin}m`, 'timeline:');
  const steps: { at: number; text: string }[] = [{ at: c.pushAtMs, text: 'push: web:v2' }];
  if (c.alarmAtPush)
    steps.push({
      at: c.pushAtMs - MINUTE,
      text: '{ alarm: { name: web-5xx, state: ALARM, reason: an incident under way } }',
    });
  if (c.scaleOut)
    steps.push({
      at: c.pushAtMs + c.scaleOut.afterPushMs,
      text: `{ update: { service: prod/web, desiredCount: ${c.scaleOut.to} } }`,
    });
  // A person's pause and resume, as the commands a terminal runs (local/cli-step.ts): in the file,
  // so a replay with --file pauses too.
  if (c.pause) {
    const at = c.pushAtMs + c.pause.afterPushMs;
    const said = (command: string) => `{ cli: { command: ${command}, service: prod/web, as: verdicts } }`;
    steps.push({ at, text: said('pause') }, { at: at + c.pause.forMs, text: said('resume') });
  }
  steps.sort((a, b) => a.at - b.at);
  for (const s of steps) {
    lines.push(
      s.text.startsWith('{')
        ? `  - { at: ${fmt(s.at)}, ${s.text.slice(2, -2)} }`
        : `  - { at: ${fmt(s.at)}, ${s.text} }`,
    );
  }
  const faults: FaultPlan = {};
  const events = eventFaults(c);
  if (events.length) faults.events = events;
  const text = `${lines.join('\n')}\n`;
  return events.length ? scenarioWithFaults(text, faults) : text;
}

// ---- the bound ----------------------------------------------------------------------------------

/**
 * How long after the push a failing image may take to be rolled back:
 *   stepDeadline (the longest a step may stay unhealthy; every failing kind fails in its first step)
 *   + the pause (a paused step's deadline stops; a failure rolls back anyway, so this is slack)
 *   + the push event's lateness (the pipeline cannot start before it hears)
 *   + 2 min for a 5xx gate (one 1-minute period to breach, one for the alarm's evaluation)
 *   + 5 min margin (the one-minute tick, Lambda's retries 1 and 2 min apart, ECS convergence).
 * Examples: crash, stepDeadline 15m, nothing else: 20m. errors, stepDeadline 10m, paused 4m,
 * push 2m late: 10 + 4 + 2 + 2 + 5 = 23m.
 */
export function failBoundMs(c: VerdictCase): number {
  const late = c.eventFault === 'push-late' ? 2 * MINUTE : 0;
  const gate = c.image === 'errors' ? 2 * MINUTE : 0;
  return c.stepDeadlineMin * MINUTE + (c.pause?.forMs ?? 0) + late + gate + 5 * MINUTE;
}

// ---- a run --------------------------------------------------------------------------------------

export interface VerdictRun {
  report: ScenarioReport;
  violations: Violation[];
  records: ServiceRecord[];
  /** What the pause/resume commands said, for the failure report. */
  commands: string[];
}

/**
 * Plays a case: the scenario runner with the pipeline attached (as `autopilot sim` does), the
 * case's event faults and the invariant checker; a pause and resume are `cli:` steps of its file.
 */
export async function runCase(_c: VerdictCase, text: string, file: string): Promise<VerdictRun> {
  const loaded = parseFaultScenario(text, { file, dir: path.dirname(path.resolve(file)) });
  let violations: Violation[] = [];
  let records: ServiceRecord[] = [];
  const previousSink = setLogSink(() => {});
  try {
    const { report } = await runScenario(loaded.scenario, {
      onWorld: async (world, scenario) => {
        // The landed set-up leaves an alarm's `LoadBalancer: <target group>` as written; local/scenario/faults.ts
        // has the stopgap that resolves it to the load balancer's dimension (where set-up does not yet).
        const resolve = (faultLayer as { resolveLoadBalancerDimensions?: (w: typeof world) => Promise<void> })
          .resolveLoadBalancerDimensions;
        await resolve?.(world);
        const config = validateConfig(scenario.autopilot!.config, scenario.source.file);
        const pipeline = await attachPipeline(world, config, { slack: { print: false, timeoutMs: 300 } });
        const layer = applyFaults(world, loaded.faults, pipeline);
        const checker = new InvariantChecker(world, pipeline, {
          notifications: () => slackDeliveries(pipeline),
        });
        checker.start();
        return {
          busy: () => checker.busy(),
          sections: async () => {
            violations = await checker.finish();
            records = checker.records();
            // As `autopilot sim` reports them (local/scenario/sim-pipeline.ts).
            const rollouts = rolloutsReport(await pipeline.records());
            return { rollouts, violations, faults: layer.fired, records };
          },
          close: async () => {
            checker.stop();
            layer.dispose();
            await pipeline.close();
          },
        };
      },
    });
    // What the pause and resume said (their exit codes and output), for the failure report.
    const commands = report.timeline
      .filter((s) => s.action === 'cli')
      .map((s) => {
        const { exitCode, output } = s.result as { exitCode?: number; output?: string };
        return `${s.summary} at ${s.at}: exit ${exitCode}${output ? `, ${output.split('\n')[0]}` : ''}`;
      });
    return { report, violations, records, commands };
  } finally {
    setLogSink(previousSink);
  }
}

// ---- the judge ----------------------------------------------------------------------------------

export interface Verdict {
  ok: boolean;
  /** What was wrong, one line each. */
  problems: string[];
  outcome: string;
  reason: string;
  /** Push to the end of the rollout, ms. */
  tookMs?: number;
}

interface ServiceView {
  name: string;
  taskDefinition: string;
  containers: { name: string; image: string }[];
  desiredCount: number;
  runningCount: number;
  deployments: { status: string; rolloutState?: string; taskDefinition: string }[];
}

/** Judges a played case against what must be true of its image (see the file's comment). */
export function judge(c: VerdictCase, run: VerdictRun): Verdict {
  const problems: string[] = [];
  const report = run.report as ScenarioReport & {
    rollouts?: {
      digest: string;
      outcome: string;
      reason: string;
      startedAt: string;
      endedAt?: string;
      taskDefinition?: string;
    }[];
    services: ServiceView[];
  };
  const pushed = report.timeline.find((s) => s.action === 'push');
  const digest = (pushed?.result as { digest?: string } | undefined)?.digest;
  const pushAt = Date.parse(report.startedAt) + c.pushAtMs;
  // An `ignored` entry is a later event about the same digest turned away (a late or doubled push
  // after the rollback marked it bad): a verdict on the event, not a rollout.
  const rollouts = (report.rollouts ?? []).filter(
    (r) => digest && r.digest === digest && r.outcome !== 'ignored',
  );
  const rollout = rollouts.at(-1);
  const outcome = rollout?.outcome ?? 'none';
  const reason = rollout?.reason ?? '';
  const tookMs = rollout?.endedAt ? Date.parse(rollout.endedAt) - pushAt : undefined;
  const record = run.records.find((r) => r.key === 'prod/web');
  const primary = report.services.find((s) => s.name === 'web');
  const canary = report.services.find((s) => s.name === 'web-canary');
  const desired = c.scaleOut?.to ?? c.tasks;

  if (report.endedBy === 'cap') problems.push('the run never settled (6 h cap)');
  if (!digest) problems.push('the push has no digest in the report');
  if (rollouts.length !== 1) problems.push(`${rollouts.length} rollouts of the pushed digest (want 1)`);
  if (record?.rollout)
    problems.push(`a rollout is left open (${record.rollout.image.tag}, step ${record.rollout.stepIndex})`);
  // A switch the pipeline widened (a full cluster, or settings ECS could not move) is put back.
  if (record?.ownerSettings)
    problems.push(
      `the owner's deploymentConfiguration is not put back (${JSON.stringify(record.ownerSettings.deploymentConfiguration)})`,
    );
  const steady = (what: string) => {
    if (!primary) return problems.push('no primary service in the report');
    const deployments = primary.deployments ?? [];
    if (deployments.length !== 1 || deployments[0]!.rolloutState !== 'COMPLETED')
      problems.push(
        `the primary is not steady: ${deployments.map((d) => `${d.status} ${d.taskDefinition} ${d.rolloutState}`).join('; ')}`,
      );
    if (primary.runningCount !== primary.desiredCount)
      problems.push(`the primary runs ${primary.runningCount} of ${primary.desiredCount} tasks ${what}`);
    if (primary.desiredCount < desired)
      problems.push(`the primary wants ${primary.desiredCount} tasks, fewer than the ${desired} asked for`);
    if (canary && (canary.desiredCount !== 0 || canary.runningCount !== 0))
      problems.push(`the canary still wants ${canary.desiredCount} and runs ${canary.runningCount}`);
    return 0;
  };
  const onDigest =
    (digest && primary?.containers.find((x) => x.name === 'web')?.image.endsWith(digest)) ?? false;
  if (c.image === 'healthy') {
    if (outcome !== 'succeeded')
      problems.push(`healthy image ended ${outcome}${reason ? `: ${reason}` : ''}`);
    const bad = Object.keys(record?.badDigests ?? {});
    if (bad.length) problems.push(`digests marked bad: ${bad.map((b) => b.slice(0, 19)).join(', ')}`);
    if (!onDigest)
      problems.push(
        `the primary is not on the new image (${primary?.containers.map((x) => x.image).join(', ')})`,
      );
    steady('on the new revision');
  } else {
    if (outcome !== 'rolled_back')
      problems.push(`failing image (${c.image}) ended ${outcome}${reason ? `: ${reason}` : ''}`);
    const bound = failBoundMs(c);
    if (tookMs !== undefined && tookMs > bound)
      problems.push(`rolled back ${fmt(tookMs)} after the push, past the bound of ${fmt(bound)}`);
    if (digest && !record?.badDigests[digest]) problems.push('the digest is not marked bad');
    if (onDigest) problems.push('the primary still runs the failing image');
    const image = primary?.containers.find((x) => x.name === 'web')?.image ?? '';
    if (!/web[:@]/.test(image) || onDigest) problems.push(`the primary is not back on web:v1 (${image})`);
    steady('after the rollback');
  }
  for (const v of run.violations) {
    if (excusedByScaleOut(c, v)) continue;
    problems.push(`invariant ${v.invariant} at ${v.at}: ${v.detail}`);
  }
  // What the pause and resume said, to read a failure by.
  if (problems.length > 0) problems.push(...run.commands);
  return { ok: problems.length === 0, problems, outcome, reason, tookMs };
}

/**
 * Two reports of the landed local/scenario/invariants.ts that a scale-out by hand sets off. It counts min-healthy against the desired count of the moment, so a scale-out
 * by hand "violates" it the instant the count grows, before ECS could have started a task (ECS's
 * minimumHealthyPercent bounds what a deployment may stop, not how fast a scale-out fills). Such a
 * report is excused when it measures against the scaled-out count and the healthy tasks never fell
 * below the floor of the count before it: 8 healthy of 12 after 8 -> 12 at 100% is excused; 7 is not.
 */
export function excusedByScaleOut(c: VerdictCase, v: Violation): boolean {
  if (!c.scaleOut) return false;
  // Likewise scaling-bounds holds the primary to the count it started with: the person's count is excused.
  if (v.invariant === 'scaling-bounds')
    return v.detail.startsWith(`the primary's desired count is ${c.scaleOut.to},`);
  if (v.invariant !== 'min-healthy') return false;
  const m =
    /(\d+) healthy task\(s\), fewer than the \d+ that minimumHealthyPercent (\d+) of (\d+) allows/.exec(
      v.detail,
    );
  if (!m) return false;
  const [healthy, percent, of] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return of === c.scaleOut.to && healthy >= Math.ceil((c.tasks * percent) / 100);
}

// ---- the command --------------------------------------------------------------------------------

const OUT_DIR = 'test-output/verdicts';

function caseFromFile(file: string): { c: VerdictCase; text: string } {
  const { text } = loadFaultScenario(file);
  const line = text.split('\n').find((l) => l.startsWith('# verdict: '));
  if (!line) throw new Error(`${file}: no "# verdict:" line (the case this file was generated from)`);
  return { c: JSON.parse(line.slice('# verdict: '.length)) as VerdictCase, text };
}

export function replayCommand(c: VerdictCase): string {
  return `npm run verdicts -- --seed ${c.seed} --only ${c.index}`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
      file: { type: 'string' },
    },
    strict: true,
  });
  let todo: { c: VerdictCase; text: string; file: string }[];
  if (values.file) {
    const { c, text } = caseFromFile(values.file);
    todo = [{ c, text, file: values.file }];
  } else {
    const seed = Number(values.seed);
    const only = values.only === undefined ? undefined : Number(values.only);
    const count = Math.max(Number(values.count), only === undefined ? 0 : only + 1);
    todo = generateCases(seed, count)
      .filter((c) => only === undefined || c.index === only)
      .map((c) => ({ c, text: scenarioText(c), file: path.join(OUT_DIR, `${c.id}.yml`) }));
  }
  const failures: { c: VerdictCase; verdict: Verdict; file: string }[] = [];
  const rows: string[] = [];
  const header = `${'case'.padEnd(10)} ${'tasks'.padStart(5)}  ${'kinds'.padEnd(72)} ${'outcome'.padEnd(12)} ${'took'.padStart(6)}  verdict`;
  process.stdout.write(`${header}\n`);
  for (const { c, text, file } of todo) {
    const started = Date.now();
    let verdict: Verdict;
    try {
      verdict = judge(c, await runCase(c, text, file));
    } catch (e) {
      verdict = {
        ok: false,
        problems: [`the run failed: ${(e as Error).stack ?? e}`],
        outcome: 'error',
        reason: '',
      };
    }
    const row = `${c.id.padEnd(10)} ${String(c.tasks).padStart(5)}  ${caseKinds(c).join(' ').padEnd(72)} ${verdict.outcome.padEnd(12)} ${(verdict.tookMs === undefined ? '-' : fmt(verdict.tookMs)).padStart(6)}  ${verdict.ok ? 'ok' : 'FAIL'} (${((Date.now() - started) / 1000).toFixed(0)} s real)`;
    rows.push(row);
    process.stdout.write(`${row}\n`);
    if (!verdict.ok) {
      for (const p of verdict.problems) process.stdout.write(`    ${p}\n`);
      const out = path.join(OUT_DIR, `${c.id}.yml`);
      mkdirSync(OUT_DIR, { recursive: true });
      if (!values.file) writeFileSync(out, text);
      failures.push({ c, verdict, file: out });
    }
  }
  process.stdout.write(`\n${todo.length - failures.length} of ${todo.length} verdicts right\n`);
  if (failures.length) {
    process.stdout.write('\nFailures, with how to replay each:\n');
    for (const f of failures) {
      process.stdout.write(
        `  ${f.c.id}: ${f.verdict.problems[0]}\n    ${replayCommand(f.c)}\n    npm run verdicts -- --file ${f.file}\n`,
      );
    }
  }
  return failures.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/verdicts.ts')) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(2);
    },
  );
}
