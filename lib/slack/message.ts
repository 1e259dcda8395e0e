/**
 * What a person reads in Slack: a notice (lib/notice.ts) rendered as Block Kit, with a plain-text fallback
 * (what the phone's notification and the screen reader show), in the user's words:
 *
 *   prod/web: rolled back web:v2 (sha256:7f5b…) to web:41 — 2 new tasks failed: Essential container in task exited (web exit code 1)
 *
 * Within Slack's limits (aws-facts.md §6): at most 50 blocks, a header's text at most 150
 * characters, a section's 3000, a field's 2000, at most 10 fields and 10 context elements; the
 * fallback text is kept under Slack's advised 4000. Longer content is cut at a clean place (never
 * inside an emoji, an `&amp;` or a link) and ends with "…"; a list that does not fit says how many
 * it left out.
 */

import { formatDuration } from '../duration.ts';
import { formatInZone } from '../freeze.ts';
import { clip, type FailureFacts, type Notice, type RolloutFacts } from '../notice.ts';
import { familyOf, shortRevision } from '../revision.ts';
import { type ActionsBlock, buttonsFor } from './buttons.ts';

/** The JSON posted to the webhook. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | ActionsBlock;

export const LIMITS = {
  blocks: 50,
  header: 150,
  section: 3000,
  field: 2000,
  fields: 10,
  contextElements: 10,
  /** Slack advises at most 4000 for `text`; the fallback stays well under it. */
  text: 3000,
} as const;

export interface MessageContext {
  cluster: string;
  service: string;
  /** For console links when no ARN names one. */
  region: string;
  /** When it happened (the decision), shown in the reader's time zone: a late delivery says so. */
  at: number;
  /** The Slack buttons (lib/slack/buttons.ts): only when the target asks for them (`buttons: true`). */
  buttons?: boolean;
}

interface Parts {
  header?: string;
  /** The fallback text, plain; also the first section, in mrkdwn. */
  text: string;
  fields?: [string, string][];
  /** Further sections, mrkdwn (cut to a section's limit when rendered). */
  more?: string[];
  taskDefinition?: string;
}

/** The message for a notice; `kind` decides the words, the limits decide nothing but where to cut. */
export function render(n: Notice, ctx: MessageContext): SlackMessage {
  const p = parts(n, `${ctx.cluster}/${ctx.service}`);
  const blocks: Block[] = [];
  if (p.header)
    blocks.push({
      type: 'header',
      text: { type: 'plain_text', text: clip(p.header, LIMITS.header), emoji: true },
    });
  blocks.push(section(esc(p.text)));
  if (p.fields?.length) {
    blocks.push({
      type: 'section',
      fields: p.fields.slice(0, LIMITS.fields).map(([label, value]) => ({
        type: 'mrkdwn' as const,
        text: clip(`*${esc(label)}*\n${value}`, LIMITS.field),
      })),
    });
  }
  for (const text of p.more ?? []) blocks.push(section(text));
  blocks.push({
    type: 'context',
    elements: footer(ctx, p.taskDefinition).map((text) => ({ type: 'mrkdwn' as const, text })),
  });
  const actions = ctx.buttons ? buttonsFor(n, `${ctx.cluster}/${ctx.service}`) : undefined;
  if (actions) blocks.push(actions);
  return { text: clip(esc(p.text), LIMITS.text), blocks: fitBlocks(blocks) };
}

function parts(n: Notice, svc: string): Parts {
  switch (n.kind) {
    case 'started': {
      const r = n.rollout;
      return {
        header: `:rocket: Rolling out ${imageName(r)} to ${svc}`,
        text: `${svc}: rolling out ${describeImage(r)} from ${rev(r.fromTaskDefinition)}${r.taskDefinition ? ` to ${rev(r.taskDefinition)}` : ''}, ${plan(r)}`,
        fields: [
          ...imageFields(r),
          ['From', code(rev(r.fromTaskDefinition))],
          ['To', r.taskDefinition ? code(rev(r.taskDefinition)) : '_being registered_'],
        ],
        taskDefinition: r.taskDefinition,
      };
    }
    case 'step': {
      const r = n.rollout;
      const of = `step ${n.stepIndex + 1} of ${r.steps.length}`;
      if (n.percent >= 100) {
        return {
          text: `${svc}: promoting ${imageName(r)}${r.taskDefinition ? ` (${rev(r.taskDefinition)})` : ''} to the primary service, ${of}`,
          taskDefinition: r.taskDefinition,
        };
      }
      const tasks = `${n.canaryTasks} canary task${n.canaryTasks === 1 ? '' : 's'}`;
      const asked = n.byWeight
        ? ", by listener weight: exactly the step's share"
        : n.share === n.percent
          ? ''
          : `; the step asks for ${n.percent}%`;
      return {
        text: `${svc}: ${imageName(r)}${r.taskDefinition ? ` (${rev(r.taskDefinition)})` : ''} at ${of}: ${n.share}% of traffic (${tasks}${asked})`,
        taskDefinition: r.taskDefinition,
      };
    }
    case 'succeeded': {
      const r = n.rollout;
      return {
        header: `:white_check_mark: ${imageName(r)} is live on ${svc}`,
        text: `${svc}: ${describeImage(r)} is live${r.taskDefinition ? ` on ${rev(r.taskDefinition)}` : ''}, rolled out in ${formatDuration(n.durationMs)}`,
        fields: [
          ...imageFields(r),
          ['Revision', r.taskDefinition ? code(rev(r.taskDefinition)) : '?'],
          ['Took', formatDuration(n.durationMs)],
        ],
        taskDefinition: r.taskDefinition,
      };
    }
    case 'rolled_back': {
      const r = n.rollout;
      const more: string[] = [];
      if (n.alarm)
        more.push(`*Gate alarm* ${code(n.alarm.name)} is in ${n.alarm.state}\n>${esc(n.alarm.reason)}`);
      const failureCount = n.failureCount ?? n.failures.length;
      if (failureCount > 0) more.push(failureList(n.failures, failureCount));
      return {
        header: `:rotating_light: Rolled back ${imageName(r)} on ${svc}`,
        text: `${svc}: rolled back ${describeImage(r)} to ${rev(n.toTaskDefinition)} — ${n.reason}`,
        fields: [
          ...imageFields(r),
          ['Returned to', code(rev(n.toTaskDefinition))],
          ['Rolled back', r.taskDefinition ? code(rev(r.taskDefinition)) : '_not registered_'],
        ],
        more,
        taskDefinition: n.toTaskDefinition,
      };
    }
    case 'superseded': {
      const r = n.rollout;
      const by = `${n.by.repository}:${n.by.tag} (${shortDigest(n.by.digest)})`;
      return {
        header: `:fast_forward: ${imageName(r)} superseded on ${svc}`,
        text: `${svc}: ${describeImage(r)} was superseded by ${by} before it finished`,
        taskDefinition: r.taskDefinition,
      };
    }
    case 'paused':
    case 'resumed': {
      const r = n.rollout;
      const step = r.steps[r.stepIndex];
      const at = `step ${r.stepIndex + 1} of ${r.steps.length}${step ? ` (${step.percent}%)` : ''}`;
      return {
        header:
          n.kind === 'paused'
            ? `:double_vertical_bar: Rollout paused on ${svc}`
            : `:arrow_forward: Rollout resumed on ${svc}`,
        text: `${svc}: the rollout of ${describeImage(r)} is ${n.kind} at ${at}`,
        taskDefinition: r.taskDefinition,
      };
    }
    case 'ignored':
      return {
        text: `${svc}: ignored the push of ${n.image.repository}:${n.image.tag} (${shortDigest(n.image.digest)}): ${n.reason}`,
      };
    case 'scaled': {
      const out = n.to > n.from;
      const why = `alarm ${n.alarm.name} is in ${n.alarm.state}: ${n.reason}`;
      return {
        header: `${out ? ':chart_with_upwards_trend:' : ':chart_with_downwards_trend:'} ${svc} scaled ${out ? 'out' : 'in'} to ${n.to} task${n.to === 1 ? '' : 's'}`,
        text: `${svc}: scaled ${out ? 'out' : 'in'} from ${n.from} to ${n.to} task${n.to === 1 ? '' : 's'}${why ? ` — ${why}` : ''}`,
      };
    }
    case 'blocked':
      return {
        header: `:warning: ${svc} needs a person`,
        text: `${svc}: the pipeline needs a person — ${n.reason}`,
      };
    case 'approval': {
      const r = n.rollout;
      const then = n.onTimeout === 'rollback' ? 'it rolls back' : 'it holds until someone decides';
      return {
        header: `:raised_hand: ${imageName(r)} waits for approval on ${svc}`,
        text: `${svc}: ${describeImage(r)} waits for approval before step ${n.stepIndex + 1} of ${r.steps.length} (${n.percent}%); if nobody approves by ${isoMinute(n.timesOutAt)}, ${then}`,
        fields: [...imageFields(r), ['Next step', `${n.percent}%`], ['Times out', slackTime(n.timesOutAt)]],
        taskDefinition: r.taskDefinition,
      };
    }
    case 'approved': {
      const what =
        n.stepIndex === undefined
          ? `${n.image.repository}:${n.image.tag} to deploy during the freeze`
          : `step ${n.stepIndex + 1} (${n.percent}%) of ${n.image.repository}:${n.image.tag}`;
      return { text: `${svc}: ${n.by} approved ${what}`, fields: [['Approved by', person(n.by)]] };
    }
    case 'frozen':
      return {
        header: `:snowflake: ${n.image.repository}:${n.image.tag} waits for the freeze on ${svc}`,
        text: `${svc}: ${n.image.repository}:${n.image.tag} (${shortDigest(n.image.digest)}) was pushed during a freeze; it goes at ${formatInZone(n.until, n.timeZone)} (${isoMinute(n.until)}), unless someone approves it sooner`,
        fields: [['Goes at', slackTime(n.until)]],
      };
  }
}

/** A time Slack shows in the reader's zone; UTC where it cannot. */
function slackTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const iso = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  return `<!date^${seconds}^{date_short_pretty} {time}|${iso}>`;
}

/** 2026-01-05T07:00Z: for the plain-text fallback, which Slack does not localise. */
function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** A Slack user ID as a mention; anyone else (the CLI's `cli:alice`) as written. */
function person(by: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(by) ? `<@${by}>` : esc(by);
}

/** "*2 new tasks failed*" and one line per task, as many as fit in a section; the rest counted. */
function failureList(failures: FailureFacts[], count: number): string {
  const title = `*${count} new task${count === 1 ? '' : 's'} failed*`;
  const lines = failures.map((f) => {
    const id = f.taskArn.slice(f.taskArn.lastIndexOf('/') + 1).slice(0, 12);
    const exit =
      f.exitCode !== undefined ? ` (${code(f.container ?? 'container')} exit code ${f.exitCode})` : '';
    return `• ${code(id)} ${esc(clip(f.stoppedReason, 300))}${exit}`;
  });
  let text = title;
  let shown = 0;
  for (const line of lines) {
    const rest = count - shown - 1;
    const tail = rest > 0 ? `\n…and ${rest} more` : '';
    if (text.length + 1 + line.length + tail.length > LIMITS.section) break;
    text += `\n${line}`;
    shown += 1;
  }
  if (shown < count) text += `\n…and ${count - shown} more`;
  return text;
}

/** When it happened (Slack shows it in the reader's zone), then the console links. */
function footer(ctx: MessageContext, taskDefinition: string | undefined): string[] {
  const seconds = Math.floor(ctx.at / 1000);
  const iso = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  const links = [
    `<${serviceConsoleUrl(ctx.region, ctx.cluster, ctx.service)}|${esc(ctx.service)} in the ECS console>`,
  ];
  if (taskDefinition) {
    links.push(
      `<${taskDefinitionConsoleUrl(ctx.region, taskDefinition)}|task definition ${esc(rev(taskDefinition))}>`,
    );
  }
  return [`<!date^${seconds}^{date_short_pretty} {time_secs}|${iso}>`, ...links];
}

/**
 * The service's health page in the ECS console (the v2 console).
 *
 *   serviceConsoleUrl('eu-west-1', 'prod', 'web')
 *   -> https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/health?region=eu-west-1
 */
export function serviceConsoleUrl(region: string, cluster: string, service: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/ecs/v2/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(service)}/health?region=${r}`;
}

/**
 * A revision's containers in the ECS console; the region is the ARN's when it has one.
 *
 *   taskDefinitionConsoleUrl('us-east-1', 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42')
 *   -> https://eu-west-1.console.aws.amazon.com/ecs/v2/task-definitions/web/42/containers?region=eu-west-1
 */
export function taskDefinitionConsoleUrl(region: string, taskDefinition: string): string {
  const r = encodeURIComponent(/^arn:[^:]+:ecs:([^:]+):/.exec(taskDefinition)?.[1] ?? region);
  const family = encodeURIComponent(familyOf(taskDefinition));
  const revision = /:(\d+)$/.exec(taskDefinition)?.[1];
  return `https://${r}.console.aws.amazon.com/ecs/v2/task-definitions/${family}${revision ? `/${revision}/containers` : ''}?region=${r}`;
}

/**
 * Keeps a message within 50 blocks: the last kept block says how many were left out. The messages
 * above stay far below; this guards what a future message might grow into.
 */
export function fitBlocks(blocks: Block[]): Block[] {
  if (blocks.length <= LIMITS.blocks) return blocks;
  const kept = blocks.slice(0, LIMITS.blocks - 1);
  const left = blocks.length - kept.length;
  return [
    ...kept,
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${left} more block${left === 1 ? '' : 's'} not shown` }],
    },
  ];
}

function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn || ' ', LIMITS.section) } };
}

/** Slack's mrkdwn escapes: the only three characters it asks to be escaped. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function code(text: string): string {
  return `\`${esc(text.replace(/`/g, "'"))}\``;
}

/** `web:v2`, or the revision when a rollback by hand knows no image. */
function imageName(r: RolloutFacts): string {
  return r.image.tag ? `${r.image.repository}:${r.image.tag}` : rev(r.taskDefinition ?? r.image.uri);
}

function describeImage(r: RolloutFacts): string {
  return r.image.digest ? `${imageName(r)} (${shortDigest(r.image.digest)})` : imageName(r);
}

function imageFields(r: RolloutFacts): [string, string][] {
  if (!r.image.tag) return [];
  return [
    ['Image', code(`${r.image.repository}:${r.image.tag}`)],
    ['Digest', code(r.image.digest)],
  ];
}

/** "sha256:7f5b…": enough to tell two pushes apart; the full digest is in the fields. */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return `${digest.slice(0, i + 5)}…`;
}

const rev = shortRevision;

/** "canary: 10% for 2m → 50% for 2m → 100% for 1m", "rolling update, watched for 5m". */
function plan(r: RolloutFacts): string {
  const watch = (ms: number | undefined) => (ms ? `, watched for ${formatDuration(ms)}` : '');
  if (r.strategy === 'rolling') return `rolling update${watch(r.steps.at(-1)?.bakeMs)}`;
  if (r.strategy === 'all-at-once') return `all at once${watch(r.steps.at(-1)?.bakeMs)}`;
  const steps = r.steps.map((s) => `${s.percent}%${s.bakeMs ? ` for ${formatDuration(s.bakeMs)}` : ''}`);
  return `${r.strategy}: ${steps.join(' → ')}`;
}
