/**
 * A scenario report told for people: a header, the timeline of what happened (the scenario's own
 * steps, pushes, deployments started, completed and failed, tasks stopped and why, alarms), the
 * services as they ended, the sections plugged-in parts added, and the API calls.
 *
 *   canary of a crashing image  (scenarios/demo.yml)
 *   2026-01-01 00:00:00Z to 00:31:00Z virtual, 31m; ended once settled
 *
 *     +0:01:00  scenario   push web:v2 (sha256:7f5b2640fe6f)
 *     +0:01:03  ecs        prod/web deployment ecs-svc/1234 in progress
 *     +0:02:10  ecs        prod/web task stopped (web:2): Essential container in task exited (web exit 1)  x3
 */
import { formatDuration } from '../../lib/duration.ts';
import type { AwsEvent } from '../core/service.ts';
import { formatOffset, type PlayedStep } from './play.ts';
import type { ScenarioReport } from './report.ts';

export interface StoryLine {
  /** virtual ms */
  at: number;
  /** Who says it: `scenario` for the timeline's steps, else the AWS service that emitted the event. */
  who: string;
  text: string;
  tone?: 'good' | 'bad' | 'warn';
}

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  tone(s: string, tone: StoryLine['tone']): string;
}

/** ANSI styles when `on` (stdout is a terminal and NO_COLOR is unset), plain text otherwise. */
export function paint(on: boolean): Paint {
  const sgr = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  const colours = { good: sgr(32, 39), bad: sgr(31, 39), warn: sgr(33, 39) };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    tone: (s, tone) => (tone ? colours[tone](s) : s),
  };
}

const REASON_MAX = 120;
const clip = (s: string) => (s.length > REASON_MAX ? `${s.slice(0, REASON_MAX - 1)}…` : s);

/** `arn:aws:ecs:us-east-1:123456789012:service/prod/web` -> `prod/web` */
function serviceFromArn(arn: string | undefined): string {
  const m = arn?.match(/:service\/(.+)$/);
  return m ? m[1]! : (arn ?? 'a service');
}

/** The story line an event makes, or undefined when it is not worth a line (task starts, steady state...). */
export function eventLine(event: AwsEvent): Omit<StoryLine, 'at'> | undefined {
  const d = event.detail ?? {};
  switch (event['detail-type']) {
    case 'ECR Image Action': {
      const image = `${d['repository-name']}${d['image-tag'] ? `:${d['image-tag']}` : ''}`;
      const failed = d.result !== 'SUCCESS';
      const action = String(d['action-type'] ?? '').toLowerCase();
      return {
        who: 'ecr',
        text: `${action === 'push' ? 'pushed' : action} ${image} (${shortDigest(d['image-digest'])})${failed ? `: ${d.result}` : ''}`,
        tone: failed ? 'bad' : undefined,
      };
    }
    case 'ECS Deployment State Change': {
      const state = String(d.eventName ?? '')
        .replace(/^SERVICE_DEPLOYMENT_/, '')
        .replace('_', ' ')
        .toLowerCase();
      // "ECS deployment ecs-svc/1 completed." says nothing the line does not.
      const plain = `ECS deployment ${d.deploymentId} ${state}`;
      const reason = d.reason && !String(d.reason).startsWith(plain) ? `: ${clip(String(d.reason))}` : '';
      return {
        who: 'ecs',
        text: `${serviceFromArn(event.resources?.[0])} deployment ${d.deploymentId ?? ''} ${state}${reason}`,
        tone: state === 'failed' ? 'bad' : state === 'completed' ? 'good' : undefined,
      };
    }
    case 'ECS Task State Change': {
      if (d.lastStatus !== 'STOPPED') return undefined;
      const cluster = String(d.clusterArn ?? '')
        .split('/')
        .pop();
      const group = String(d.group ?? '');
      const owner = group.startsWith('service:') ? `${cluster}/${group.slice(8)}` : `${cluster} task`;
      const revision = String(d.taskDefinitionArn ?? '')
        .split('/')
        .pop();
      const exits = (d.containers ?? [])
        .filter((c: any) => typeof c.exitCode === 'number' && c.exitCode !== 0)
        .map((c: any) => `${c.name} exit ${c.exitCode}`);
      const reason = clip(String(d.stoppedReason ?? d.stopCode ?? 'no reason given'));
      return {
        who: 'ecs',
        text: `${owner} task stopped${revision ? ` (${revision})` : ''}: ${reason}${exits.length ? ` (${exits.join(', ')})` : ''}`,
        tone: exits.length || d.stopCode === 'TaskFailedToStart' ? 'bad' : undefined,
      };
    }
    case 'ECS Service Action': {
      if (d.eventType === 'INFO') return undefined;
      return {
        who: 'ecs',
        text: `${serviceFromArn(event.resources?.[0])} ${d.eventName}${d.reason ? `: ${clip(String(d.reason))}` : ''}`,
        tone: d.eventType === 'ERROR' ? 'bad' : 'warn',
      };
    }
    case 'CloudWatch Alarm State Change': {
      const state = d.state?.value;
      return {
        who: 'cloudwatch',
        text: `alarm ${d.alarmName} ${d.previousState?.value ?? '?'} -> ${state}${d.state?.reason ? `: ${clip(String(d.state.reason))}` : ''}`,
        tone: state === 'ALARM' ? 'bad' : state === 'OK' ? 'good' : 'warn',
      };
    }
    default:
      return undefined;
  }
}

function shortDigest(digest: unknown): string {
  return typeof digest === 'string' ? digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1') : 'no digest';
}

/** The line of a timeline step as played (`at` relative to the start). */
export function stepLine(step: Pick<PlayedStep, 'at' | 'action' | 'summary' | 'result'>): StoryLine {
  const digest = step.action === 'push' ? step.result?.digest : undefined;
  return {
    at: step.at,
    who: 'scenario',
    text: digest ? `${step.summary} (${shortDigest(digest)})` : step.summary,
  };
}

/** The story of a whole report. */
export function storyLines(report: ScenarioReport): StoryLine[] {
  const start = Date.parse(report.startedAt);
  const steps = report.timeline.map((s) => ({ ...s, at: Date.parse(s.at) }));
  const events = report.events.map((e) => ({ at: Date.parse(e.at), event: e.event }));
  return tell(steps, events, start);
}

/**
 * Timeline steps and events (virtual ms) as story lines relative to `start`, in time order, steps
 * first at equal times: what the scenario did comes before what answered it. Events a push, alarm
 * or event step put on the bus itself are left out (the step's line says it); what ECS did in
 * answer stays. Identical lines in a row are told once, with a count.
 */
export function tell(
  steps: PlayedStep[],
  events: { at: number; event: AwsEvent }[],
  start: number,
): StoryLine[] {
  const said = new Set(steps.filter((s) => s.action !== 'update').flatMap((s) => s.events));
  const stepLines = steps.map((s) => stepLine({ ...s, at: s.at - start }));
  const eventLines: StoryLine[] = [];
  for (const { at, event } of events) {
    if (said.has(event.id)) continue;
    const line = eventLine(event);
    if (line) eventLines.push({ at: at - start, ...line });
  }
  const merged: StoryLine[] = [];
  let i = 0;
  let j = 0;
  while (i < stepLines.length || j < eventLines.length) {
    if (j >= eventLines.length || (i < stepLines.length && stepLines[i]!.at <= eventLines[j]!.at)) {
      merged.push(stepLines[i++]!);
    } else merged.push(eventLines[j++]!);
  }
  return collapse(merged);
}

function collapse(lines: StoryLine[]): StoryLine[] {
  const out: (StoryLine & { count: number })[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    if (last && last.who === line.who && last.text === line.text) last.count++;
    else out.push({ ...line, count: 1 });
  }
  return out.map(({ count, ...line }) => (count > 1 ? { ...line, text: `${line.text}  x${count}` } : line));
}

/** `+0:01:30  ecs       prod/web deployment ... completed` */
export function formatLine(line: StoryLine, p: Paint): string {
  return `  ${p.dim(formatOffset(line.at))}  ${line.who.padEnd(10)} ${p.tone(line.text, line.tone)}`;
}

const RUNNER_SECTIONS = new Set([
  'scenario',
  'file',
  'startedAt',
  'endedAt',
  'endedBy',
  'services',
  'timeline',
  'events',
  'apiCalls',
]);
const SECTION_ITEMS_MAX = 20;

/** The report as text for a terminal: compact, plain unless `color`. */
export function formatReport(report: ScenarioReport, options: { color?: boolean } = {}): string {
  const p = paint(options.color ?? false);
  const start = Date.parse(report.startedAt);
  const end = Date.parse(report.endedAt);
  const out: string[] = [];
  out.push(`${p.bold(report.scenario)}  ${p.dim(`(${report.file})`)}`);
  const ended = {
    until: 'ran until its end',
    settled: 'ended once settled',
    cap: p.tone('stopped at the time cap with work still in progress', 'warn'),
  }[report.endedBy ?? 'until'];
  out.push(
    `${clock(start, true)} to ${clock(end, end - start >= 86_400_000)} virtual, ${formatDuration(end - start)}; ${ended}`,
  );

  const lines = storyLines(report);
  out.push('', p.bold('Timeline'));
  if (lines.length === 0) out.push('  nothing happened');
  for (const line of lines) out.push(formatLine(line, p));

  out.push('', p.bold('Services'));
  out.push(...servicesTable(report, p));

  for (const [name, section] of Object.entries(report)) {
    if (RUNNER_SECTIONS.has(name) || section === undefined) continue;
    out.push('', p.bold(name[0]!.toUpperCase() + name.slice(1)));
    out.push(...formatSection(section, start));
  }

  const calls = Object.entries(report.apiCalls).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const total = calls.reduce((n, [, c]) => n + c, 0);
  out.push('', `${p.bold('API calls')} ${p.dim('(served over HTTP)')}: ${total}`);
  const width = Math.max(0, ...calls.map(([op]) => op.length));
  for (const [op, count] of calls) out.push(`  ${op.padEnd(width)}  ${String(count).padStart(5)}`);
  return `${out.join('\n')}\n`;
}

function clock(ms: number, withDate: boolean): string {
  const text = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return withDate ? text.replace('T', ' ') : text.slice(11);
}

function servicesTable(report: ScenarioReport, p: Paint): string[] {
  if (report.services.length === 0) return ['  no services'];
  const tags = pushedTags(report);
  const rows = report.services.map((s) => {
    const images = s.containers.map((c, i) => {
      const image = shortImage(c.image, tags);
      return s.containers.length > 1 || i > 0 ? `${c.name}=${image}` : image;
    });
    const primary = s.deployments.find((d) => d.status === 'PRIMARY');
    return [
      `${s.cluster}/${s.name}`,
      s.taskDefinition,
      `${s.runningCount}/${s.desiredCount}`,
      primary?.rolloutState ?? '',
      images.join(', '),
    ];
  });
  const header = ['SERVICE', 'TASK DEF', 'RUNNING', 'ROLLOUT', 'IMAGES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()}`;
  return [
    p.dim(line(header)),
    ...rows.map((r) => {
      const text = line(r);
      return r[3] === 'FAILED' ? p.tone(text, 'bad') : text;
    }),
  ];
}

/** Digest -> tag, from the ECR push events, so a service deployed by digest still shows its tag. */
function pushedTags(report: ScenarioReport): Map<string, string> {
  const tags = new Map<string, string>();
  for (const { event } of report.events) {
    const d = event.detail;
    if (event['detail-type'] === 'ECR Image Action' && d?.['image-digest'] && d['image-tag']) {
      tags.set(`${d['repository-name']}@${d['image-digest']}`, d['image-tag']);
    }
  }
  return tags;
}

/** Without the local registry's host; a digest shortened, with its tag when known. */
function shortImage(uri: string, tags: Map<string, string>): string {
  const image = uri.replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//, '');
  const at = image.indexOf('@');
  if (at < 0) return image;
  const tag = tags.get(image);
  return `${image.slice(0, at)}@${shortDigest(image.slice(at + 1))}${tag ? ` (${tag})` : ''}`;
}

/**
 * A section someone else added, told generically: a list item per line (its `at` as an offset,
 * then its `summary`, `message` or `text`, else its plain fields), a mapping as `key: value` lines.
 * Give items a `summary` to choose their line.
 */
function formatSection(section: unknown, start: number): string[] {
  if (Array.isArray(section)) {
    if (section.length === 0) return ['  none'];
    const lines = section.slice(0, SECTION_ITEMS_MAX).map((item) => `  ${formatItem(item, start)}`);
    if (section.length > SECTION_ITEMS_MAX)
      lines.push(`  ... and ${section.length - SECTION_ITEMS_MAX} more (see --json)`);
    return lines;
  }
  if (section && typeof section === 'object') {
    const entries = Object.entries(section);
    if (entries.length === 0) return ['  none'];
    return entries.map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return [`  ${String(section)}`];
}

function formatItem(item: unknown, start: number): string {
  if (!item || typeof item !== 'object') return String(item);
  const { at, summary, message, text, ...rest } = item as Record<string, unknown>;
  const time =
    typeof at === 'string' && !Number.isNaN(Date.parse(at))
      ? `${formatOffset(Date.parse(at) - start)}  `
      : '';
  const said = summary ?? message ?? text;
  if (typeof said === 'string') return `${time}${said}`;
  // No line of its own: its plain fields, briefly (the whole item is in --json).
  const fields = Object.entries(rest)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k}: ${v}`);
  return `${time}${clip(fields.join(', '))}`;
}
