/**
 * The run as a time series, for the HTML report (`autopilot sim FILE --html out.html`): a sampler
 * on the world's virtual clock that records, every few virtual seconds, each service's desired
 * count and its running tasks per task-definition revision (canaries beside their primary), plus
 * the gate alarms' states and everything worth a marker on the time axis: the scenario's own
 * steps, the pipeline's notices (rollouts started, steps, rollbacks and their reasons), and what
 * other parts add (notifications, scaling).
 *
 *   const timeline = attachTimeline(world, scenario);   // before the pipeline is attached
 *   ...the run...
 *   const data = timeline.finish(report);               // plain JSON, for local/scenario/html/report.ts
 *
 * Whoever attaches the pipeline finds the timeline with `timelineOf(world)` and feeds it its
 * notices (local/scenario/sim-pipeline.ts); without a timeline nothing is sampled.
 */
import { serviceOf } from '../../lib/canary-service.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Notice } from '../../lib/notice.ts';
import { shortRevision } from '../../lib/revision.ts';
import type { World } from '../world.ts';
import type { Scenario } from './parse.ts';
import type { ScenarioReport } from './report.ts';
import type { RolloutReport } from './rollout-report.ts';

export const SAMPLE_MS = 5_000;

export interface SeriesPoint {
  /** virtual ms */
  at: number;
  desired: number;
  /** Running tasks per revision (`web:2`). */
  running: Record<string, number>;
  /** Tasks on their way (provisioning to activating), any revision. */
  starting: number;
}

export interface ServiceSeries {
  /** `prod/web`, `prod/web-canary` */
  key: string;
  cluster: string;
  name: string;
  role: 'primary' | 'canary';
  /** The primary's key; its own for a primary. */
  primary: string;
  /** One point per change (a step function), the first at the start, the last at the end. */
  points: SeriesPoint[];
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmSeries {
  name: string;
  /** A gate alarm of a target: its ALARM rolls a rollout back. */
  gate: boolean;
  states: { at: number; state: AlarmState; reason: string }[];
}

export type MarkerKind =
  | 'scenario'
  | 'started'
  | 'step'
  | 'succeeded'
  | 'rolled_back'
  | 'superseded'
  | 'ignored'
  | 'paused'
  | 'resumed'
  | 'notification'
  | 'scaling';

export interface Marker {
  at: number;
  kind: MarkerKind;
  /** The primary's key it concerns, when it concerns one. */
  service?: string;
  /** A few words, drawn on the chart. */
  label: string;
  /** The whole story, in the tooltip and the event list. */
  detail: string;
  tone?: 'good' | 'bad' | 'warn';
}

export interface RolloutSpan {
  id: string;
  service: string;
  image: string;
  revision?: string;
  from: string;
  startedAt: number;
  endedAt?: number;
  outcome: 'in_progress' | 'succeeded' | 'rolled_back' | 'aborted' | 'superseded';
  reason?: string;
  /**
   * `served`: the share the canary's tasks get, as the step notice carries it (by healthy-task count);
   * `servedShare`: the share of requests the load balancer really sent to the revision in the step (sim report).
   */
  steps: {
    index: number;
    percent: number;
    at: number;
    canaryTasks: number;
    served: number;
    servedShare?: number;
  }[];
  /** When the rollback was decided. */
  rollbackAt?: number;
}

export interface TimelineData {
  scenario: string;
  file: string;
  start: number;
  end: number;
  endedBy?: string;
  sampleMs: number;
  services: ServiceSeries[];
  alarms: AlarmSeries[];
  markers: Marker[];
  rollouts: RolloutSpan[];
  /** `web:2` -> `web:v2`: the image each revision runs. */
  revisions: Record<string, string>;
}

const attached = new WeakMap<World, Timeline>();

/** Attaches a sampler to the world (one per world); it starts sampling at once. */
export function attachTimeline(world: World, scenario: Scenario, everyMs = SAMPLE_MS): Timeline {
  let timeline = attached.get(world);
  if (!timeline) {
    timeline = new Timeline(world, scenario, everyMs);
    attached.set(world, timeline);
  }
  return timeline;
}

export function timelineOf(world: World): Timeline | undefined {
  return attached.get(world);
}

const STARTING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

export class Timeline {
  private readonly series = new Map<string, ServiceSeries>();
  private readonly revisions = new Map<string, string>();
  private readonly gates = new Set<string>();
  private readonly sources: (() => Marker[])[] = [];
  private readonly noticeSources: (() => { at: number; notice: Notice; service: string }[])[] = [];
  private stopSampling: () => void;

  constructor(
    readonly world: World,
    readonly scenario: Scenario,
    readonly everyMs: number,
  ) {
    this.sample();
    this.stopSampling = world.clock.every(everyMs, () => this.sample());
  }

  /** Names (or prefixes ending in *) of gate alarms, marked as such on the chart. */
  gateAlarms(patterns: string[]): void {
    for (const p of patterns) this.gates.add(p);
  }

  /** A source of markers, read when the run is over. */
  addMarkers(source: () => Marker[]): void {
    this.sources.push(source);
  }

  /** The pipeline's notices (read when the run is over): rollout spans, steps, rollbacks. */
  addNotices(source: () => { at: number; notice: Notice; service: string }[]): void {
    this.noticeSources.push(source);
  }

  /** The newest notice, for a progress line. */
  latest(): string | undefined {
    let newest: { at: number; notice: Notice; service: string } | undefined;
    for (const source of this.noticeSources) {
      const last = source().at(-1);
      if (last && (!newest || last.at >= newest.at)) newest = last;
    }
    const marker = newest && noticeMarkers(newest)[0];
    return marker?.detail;
  }

  /** Records the services' counts now; a point is kept only when something changed. */
  sample(): void {
    const at = this.world.now();
    for (const cluster of this.world.ecs.clusters.values()) {
      for (const svc of cluster.services.values()) {
        const key = `${cluster.name}/${svc.name}`;
        let series = this.series.get(key);
        if (!series) {
          if (svc.status === 'INACTIVE') continue;
          const { primary: primaryName, of } = serviceOf(svc.name);
          const canary = of === 'canary';
          series = {
            key,
            cluster: cluster.name,
            name: svc.name,
            role: canary && cluster.services.has(primaryName) ? 'canary' : 'primary',
            primary: `${cluster.name}/${canary && cluster.services.has(primaryName) ? primaryName : svc.name}`,
            points: [],
          };
          this.series.set(key, series);
        }
        const running: Record<string, number> = {};
        let starting = 0;
        for (const task of svc.tasks) {
          if (task.lastStatus === 'RUNNING') {
            const revision = this.revision(task.taskDefinition.arn);
            running[revision] = (running[revision] ?? 0) + 1;
          } else if (STARTING.has(task.lastStatus)) starting++;
        }
        const point: SeriesPoint = {
          at,
          desired: svc.status === 'ACTIVE' ? svc.desiredCount : 0,
          running,
          starting,
        };
        const last = series.points.at(-1);
        if (!last || !samePoint(last, point)) series.points.push(point);
      }
    }
  }

  /** The run as plain data; stops the sampling. `report` adds the scenario's steps and other parts' sections. */
  finish(report?: ScenarioReport): TimelineData {
    this.sample();
    this.stopSampling();
    const end = this.world.now();
    for (const s of this.series.values()) {
      const last = s.points.at(-1);
      if (last && last.at < end) s.points.push({ ...last, at: end });
    }
    const notices = this.noticeSources.flatMap((source) => source()).sort((a, b) => a.at - b.at);
    const markers = [
      ...(report ? scenarioMarkers(report) : []),
      ...notices.flatMap((n) => noticeMarkers(n)),
      ...this.sources.flatMap((source) => source()),
      ...(report ? sectionMarkers(report, 'notifications', 'notification') : []),
      ...(report ? sectionMarkers(report, 'scaling', 'scaling') : []),
    ]
      .sort((a, b) => a.at - b.at)
      .filter((m, i, all) => !sameScaling(m, all.slice(0, i)));
    for (const n of notices) {
      const r = 'rollout' in n.notice ? n.notice.rollout : undefined;
      if (r?.taskDefinition && r.image.tag) {
        this.revisions.set(shortRevision(r.taskDefinition), `${r.image.repository}:${r.image.tag}`);
      }
    }
    return {
      scenario: this.scenario.name,
      file: this.scenario.source.file,
      start: this.scenario.start,
      end,
      ...(report?.endedBy ? { endedBy: report.endedBy } : {}),
      sampleMs: this.everyMs,
      services: [...this.series.values()].sort(
        (a, b) => a.primary.localeCompare(b.primary) || (a.role === 'primary' ? -1 : 1),
      ),
      alarms: this.alarmSeries(),
      markers,
      rollouts: withServedShares(rolloutSpans(notices), report),
      revisions: Object.fromEntries(this.revisions),
    };
  }

  /** `web:2`, and what image it runs (learned once per revision). */
  private revision(arn: string): string {
    const short = shortRevision(arn);
    if (!this.revisions.has(short)) {
      const td = this.world.ecs.taskDefinitions.get(arn);
      const containers: { name?: string; image?: string; essential?: boolean }[] =
        td?.body?.containerDefinitions ?? [];
      const tagged = td?.tags.find((t) => t.key === 'ecs-autopilot:image')?.value;
      const main = containers[0]?.image;
      this.revisions.set(short, tagged ?? (main ? this.imageName(main) : short));
    }
    return short;
  }

  /** `…amazonaws.com/web:v1` -> `web:v1`; by digest, the tag it was pushed with. */
  private imageName(uri: string): string {
    const image = uri.replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//, '');
    const at = image.indexOf('@');
    if (at < 0) return image;
    const repository = image.slice(0, at);
    const digest = image.slice(at + 1);
    for (const { event } of this.world.eventLog) {
      const d = event.detail;
      if (event['detail-type'] === 'ECR Image Action' && d?.['image-digest'] === digest && d['image-tag']) {
        return `${repository}:${d['image-tag']}`;
      }
    }
    return `${repository}@${digest.slice(7, 19)}`;
  }

  /** Each alarm's states, from the state-change events (every change emits one), gate alarms first. */
  private alarmSeries(): AlarmSeries[] {
    const byName = new Map<string, AlarmSeries>();
    const get = (name: string) => {
      let s = byName.get(name);
      if (!s) {
        s = { name, gate: this.isGate(name), states: [] };
        byName.set(name, s);
      }
      return s;
    };
    for (const alarm of this.scenario.alarms) get(alarm.name);
    for (const { at, event } of this.world.eventLog) {
      if (event['detail-type'] !== 'CloudWatch Alarm State Change') continue;
      const d = event.detail ?? {};
      const s = get(String(d.alarmName));
      if (s.states.length === 0) {
        s.states.push({
          at: this.scenario.start,
          state: (d.previousState?.value ?? 'INSUFFICIENT_DATA') as AlarmState,
          reason: String(d.previousState?.reason ?? ''),
        });
      }
      s.states.push({ at, state: d.state?.value as AlarmState, reason: String(d.state?.reason ?? '') });
    }
    for (const s of byName.values()) {
      if (s.states.length === 0) {
        const state = this.world.cloudwatch.alarmState(s.name) ?? 'INSUFFICIENT_DATA';
        s.states.push({ at: this.scenario.start, state, reason: '' });
      }
    }
    return [...byName.values()].sort(
      (a, b) => Number(b.gate) - Number(a.gate) || a.name.localeCompare(b.name),
    );
  }

  private isGate(name: string): boolean {
    for (const p of this.gates)
      if (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name) return true;
    return false;
  }
}

function samePoint(a: SeriesPoint, b: SeriesPoint): boolean {
  if (a.desired !== b.desired || a.starting !== b.starting) return false;
  const ka = Object.keys(a.running);
  const kb = Object.keys(b.running);
  return ka.length === kb.length && ka.every((k) => a.running[k] === b.running[k]);
}

const imageOf = (r: { image: { repository: string; tag: string; digest: string } }) =>
  r.image.tag
    ? `${r.image.repository}:${r.image.tag}`
    : `${r.image.repository}@${r.image.digest.slice(7, 19)}`;

/** The markers a pipeline notice makes: one, its detail told of its service. */
function noticeMarkers({ at, notice, service }: { at: number; notice: Notice; service: string }): Marker[] {
  const { kind, label, detail, ...tone } = noticeMarker(notice);
  return [{ at, kind, service, label, detail: `${service}: ${detail}`, ...tone }];
}

/** A notice's marker, its detail without the service it concerns. */
function noticeMarker(n: Notice): Omit<Marker, 'at' | 'service'> {
  switch (n.kind) {
    case 'started':
      return {
        kind: 'started',
        label: `${imageOf(n.rollout)} rollout`,
        detail: `rollout of ${imageOf(n.rollout)} started from ${shortRevision(n.fromTaskDefinition)} (${n.rollout.strategy}, ${n.rollout.steps.map((s) => `${s.percent}%`).join(' → ')})`,
      };
    case 'step':
      return {
        kind: 'step',
        label: `${n.percent}%`,
        detail:
          n.percent < 100
            ? `${imageOf(n.rollout)} step ${n.stepIndex + 1}/${n.rollout.steps.length}: ${n.canaryTasks} canary task${n.canaryTasks === 1 ? '' : 's'}, ${n.share}% of traffic`
            : `${imageOf(n.rollout)} step ${n.stepIndex + 1}/${n.rollout.steps.length}: promoted, the primary rolls to ${shortRevision(n.rollout.taskDefinition ?? '')}`,
      };
    case 'succeeded':
      return {
        kind: 'succeeded',
        label: `${imageOf(n.rollout)} succeeded`,
        detail: `${imageOf(n.rollout)} succeeded in ${formatDuration(Math.round(n.durationMs / 1000) * 1000)}: every step healthy and baked`,
        tone: 'good',
      };
    case 'rolled_back':
      return {
        kind: 'rolled_back',
        label: `${imageOf(n.rollout)} rolled back`,
        detail: `${imageOf(n.rollout)} rolled back to ${shortRevision(n.toTaskDefinition)}: ${n.reason}`,
        tone: 'bad',
      };
    case 'superseded':
      return {
        kind: 'superseded',
        label: `${imageOf(n.rollout)} superseded`,
        detail: `${imageOf(n.rollout)} superseded by ${n.by.repository}:${n.by.tag}`,
        tone: 'warn',
      };
    case 'ignored':
      return {
        kind: 'ignored',
        label: `${n.image.repository}:${n.image.tag} ignored`,
        detail: `push of ${n.image.repository}:${n.image.tag} ignored: ${n.reason}`,
        tone: 'warn',
      };
    case 'scaled':
      return {
        kind: 'scaling',
        label: `${n.from} → ${n.to} tasks`,
        detail: n.reason,
      };
    case 'blocked':
      return {
        kind: 'scaling',
        label: 'scaling off',
        detail: n.reason,
        tone: 'warn',
      };
    case 'paused':
    case 'resumed':
      return {
        kind: n.kind,
        label: n.kind,
        detail: `${imageOf(n.rollout)} ${n.kind} at step ${n.rollout.stepIndex + 1}/${n.rollout.steps.length}`,
        tone: n.kind === 'paused' ? 'warn' : undefined,
      };
    case 'approval':
      return {
        kind: 'paused',
        label: 'awaiting approval',
        detail: `${imageOf(n.rollout)} waits for approval before step ${n.stepIndex + 1} (${n.percent}%), until ${new Date(n.timesOutAt).toISOString()}`,
        tone: 'warn',
      };
    case 'approved':
      return {
        kind: 'resumed',
        label: 'approved',
        detail: `${n.by} approved ${n.stepIndex === undefined ? `${n.image.repository}:${n.image.tag} during the freeze` : `step ${n.stepIndex + 1} (${n.percent}%) of ${n.image.repository}:${n.image.tag}`}`,
      };
    case 'frozen':
      return {
        kind: 'paused',
        label: 'frozen',
        detail: `${n.image.repository}:${n.image.tag} waits for the freeze to end at ${new Date(n.until).toISOString()}`,
        tone: 'warn',
      };
  }
}

/** Each step's served share, from the report's `rollouts` section (the same service, image and start). */
function withServedShares(spans: RolloutSpan[], report: ScenarioReport | undefined): RolloutSpan[] {
  const rollouts = Array.isArray(report?.rollouts) ? (report.rollouts as RolloutReport[]) : [];
  for (const span of spans) {
    const r = rollouts.find(
      (x) =>
        x.service === span.service && x.image === span.image && Date.parse(x.startedAt) === span.startedAt,
    );
    if (!r) continue;
    for (const step of span.steps) {
      const served = r.steps[step.index]?.servedShare;
      if (served !== undefined) step.servedShare = served;
    }
  }
  return spans;
}

/** Rollouts from start to end, with their steps and the moment of a rollback. */
function rolloutSpans(notices: { at: number; notice: Notice; service: string }[]): RolloutSpan[] {
  const spans = new Map<string, RolloutSpan>();
  for (const { at, notice: n, service } of notices) {
    if (n.kind === 'ignored' || n.kind === 'scaled' || n.kind === 'blocked') continue;
    if (n.kind === 'approved' || n.kind === 'frozen') continue;
    const r = n.rollout;
    // Services fed by one repository start rollouts with the same id: a span is per service.
    const key = `${service}#${r.id}`;
    let span = spans.get(key);
    if (!span) {
      span = {
        id: r.id,
        service,
        image: imageOf(r),
        from: shortRevision(r.fromTaskDefinition),
        startedAt: r.startedAt,
        outcome: 'in_progress',
        steps: [],
      };
      spans.set(key, span);
    }
    if (r.taskDefinition) span.revision = shortRevision(r.taskDefinition);
    if (n.kind === 'step') {
      span.steps.push({
        index: n.stepIndex,
        percent: n.percent,
        at,
        canaryTasks: n.canaryTasks,
        served: n.share,
      });
    } else if (n.kind === 'succeeded') {
      span.outcome = 'succeeded';
      span.endedAt = at;
    } else if (n.kind === 'rolled_back') {
      span.outcome = /^(aborted|rolled back) by hand/.test(n.reason) ? 'aborted' : 'rolled_back';
      span.reason = n.reason;
      span.rollbackAt = at;
      span.endedAt = at;
      span.from = shortRevision(n.toTaskDefinition);
    } else if (n.kind === 'superseded') {
      span.outcome = 'superseded';
      span.reason = `superseded by ${n.by.repository}:${n.by.tag}`;
      span.endedAt = at;
    }
  }
  return [...spans.values()];
}

/**
 * The report's scaling section and the scaled notice tell the same resize: one marker each would
 * stack two labels on one spot (`4 → 8 tasks` over `prod/web scaled 4 -> 8: …`). The first wins.
 */
function sameScaling(m: Marker, before: Marker[]): boolean {
  return (
    m.kind === 'scaling' &&
    before.some((o) => o.kind === 'scaling' && o.service === m.service && Math.abs(o.at - m.at) <= 1000)
  );
}

/** The scenario's own steps: pushes, updates, load, alarms set by hand. */
function scenarioMarkers(report: ScenarioReport): Marker[] {
  return report.timeline.map((s) => ({
    at: Date.parse(s.at),
    kind: 'scenario' as const,
    label: s.summary.replace(/ \(.*\)$/, ''),
    detail: s.summary,
  }));
}

/** A notification's kind in a word or two, for its label on the chart. */
const SHORT: Record<string, string> = {
  started: 'rolling out',
  step: 'step',
  succeeded: 'live',
  rolled_back: 'rolled back',
  superseded: 'superseded',
  ignored: 'ignored',
  paused: 'paused',
  resumed: 'resumed',
};

/**
 * Markers from a report section another part adds (Slack's `notifications`, `scaling`): a list of
 * items with an ISO `at` and a `summary`, `text` or `message`, as the story tells them.
 */
function sectionMarkers(report: ScenarioReport, section: string, kind: MarkerKind): Marker[] {
  const items = report[section];
  if (!Array.isArray(items)) return [];
  const out: Marker[] = [];
  for (const item of items) {
    if (!item || typeof item !== 'object') continue;
    const { at, summary, text, message, service, kind: what } = item as Record<string, unknown>;
    const said = [summary, text, message].find((x) => typeof x === 'string') as string | undefined;
    const time = typeof at === 'string' ? Date.parse(at) : typeof at === 'number' ? at : Number.NaN;
    if (!said || Number.isNaN(time)) continue;
    out.push({
      at: time,
      kind,
      ...(typeof service === 'string' ? { service } : {}),
      label: typeof what === 'string' ? (SHORT[what] ?? what.replace('_', ' ')) : said,
      detail: said,
    });
  }
  return out;
}
