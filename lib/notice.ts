/**
 * Notices: the domain events worth telling a person, one type for everyone who tells them.
 * `decide()` emits them, the pipeline logs them, the record's outbox keeps them until Slack has
 * them (lib/outbox-entry.ts), lib/slack/message.ts renders them, and the local reports draw them.
 *
 * What a notice holds of a rollout is `RolloutFacts`: a record's `Rollout` is one, and the outbox
 * keeps only these fields (`bounded`), so the record stays far below DynamoDB's 400 KB item limit.
 */
import type { NotificationKind, StrategyKind } from './config.ts';
import type { ImageRef } from './image.ts';
import type { AlarmView } from './observation.ts';
import type { AlarmReading } from './scaling.ts';

/** What a notice says of a rollout: the image, the plan, where it is, and the revisions it goes from and to. */
export interface RolloutFacts {
  id: string;
  image: ImageRef;
  strategy: StrategyKind;
  steps: { percent: number; bakeMs: number }[];
  stepIndex: number;
  /** The revision the rollout started from (task definition ARN): where a rollback returns. */
  fromTaskDefinition: string;
  /** The new revision, once registered. */
  taskDefinition?: string;
  startedAt: number;
}

/** A failed new task, as a notice tells it. */
export interface FailureFacts {
  taskArn: string;
  stoppedReason: string;
  container?: string;
  exitCode?: number;
}

export type Notice =
  | { kind: 'started'; rollout: RolloutFacts; fromTaskDefinition: string }
  | {
      kind: 'step';
      rollout: RolloutFacts;
      stepIndex: number;
      percent: number;
      canaryTasks: number;
      /** The share of traffic the canary tasks actually get, in percent. */
      share: number;
    }
  | { kind: 'succeeded'; rollout: RolloutFacts; durationMs: number }
  | {
      kind: 'rolled_back';
      rollout: RolloutFacts;
      reason: string;
      alarm?: AlarmView;
      /** The failed tasks (the outbox keeps the first few; `failureCount` then says how many there were). */
      failures: FailureFacts[];
      failureCount?: number;
      /** The revision the service returns to. */
      toTaskDefinition: string;
    }
  | { kind: 'superseded'; rollout: RolloutFacts; by: ImageRef }
  | { kind: 'ignored'; image: ImageRef; reason: string }
  | { kind: 'paused' | 'resumed'; rollout: RolloutFacts }
  /** The rollout waits at an approval gate before step `stepIndex` (lib/rollout/approval.ts). */
  | {
      kind: 'approval';
      rollout: RolloutFacts;
      stepIndex: number;
      percent: number;
      timesOutAt: number;
      onTimeout: 'rollback' | 'hold';
    }
  /** A person let a rollout through its gate before step `stepIndex`, or a push through a freeze (no step). */
  | { kind: 'approved'; image: ImageRef; by: string; stepIndex?: number; percent?: number }
  /** A push waits for a freeze window to end (lib/freeze.ts): it goes at `until`. */
  | { kind: 'frozen'; id: string; image: ImageRef; until: number; timeZone: string }
  /** Alarm-driven scaling changed the service's total (lib/scaling.ts). */
  | { kind: 'scaled'; from: number; to: number; alarm: AlarmReading; reason: string }
  /**
   * Something only a person can settle: Application Auto Scaling also owns the count (decide), or
   * an error that retrying cannot fix (a permanent error, lib/pipeline.ts). Told as `error` in the
   * notification settings (noticeSetting).
   */
  | { kind: 'blocked'; reason: string };

export type NoticeKind = Notice['kind'];

/** Failed tasks kept per notice in the outbox (each message lists the first few and counts the rest). */
export const FAILURES_KEPT = 10;
/** Reasons come from ECS and CloudWatch: long ones are cut when queued, again when rendered. */
export const REASON_KEPT = 1500;
const STOPPED_REASON_KEPT = 300;

/**
 * The notice as the outbox keeps it: only what a message shows, bounded. The same notice, smaller:
 *
 *   rolled_back with 25 failures    -> the first 10, failureCount 25
 *   a 4000-character reason          -> its first 1499 characters and "…"
 *   a rollout with its failures list -> id, image, strategy, steps, stepIndex, revisions, startedAt
 */
export function bounded(n: Notice): Notice {
  switch (n.kind) {
    case 'started':
    case 'step':
    case 'succeeded':
    case 'superseded':
    case 'paused':
    case 'resumed':
    case 'approval':
      return { ...n, rollout: facts(n.rollout) };
    case 'approved':
    case 'frozen':
      return n;
    case 'rolled_back': {
      const { alarm, ...rest } = n;
      return {
        ...rest,
        rollout: facts(n.rollout),
        reason: clip(n.reason, REASON_KEPT),
        ...(alarm && {
          alarm: { name: alarm.name, state: alarm.state, reason: clip(alarm.reason, REASON_KEPT) },
        }),
        failures: n.failures.slice(0, FAILURES_KEPT).map((f) => ({
          taskArn: f.taskArn,
          stoppedReason: clip(f.stoppedReason, STOPPED_REASON_KEPT),
          ...(f.container !== undefined && { container: f.container }),
          ...(f.exitCode !== undefined && { exitCode: f.exitCode }),
        })),
        failureCount: n.failureCount ?? n.failures.length,
      };
    }
    case 'ignored':
      return { ...n, reason: clip(n.reason, REASON_KEPT) };
    case 'scaled':
      return {
        kind: 'scaled',
        from: n.from,
        to: n.to,
        alarm: { name: n.alarm.name, state: n.alarm.state },
        reason: clip(n.reason, REASON_KEPT),
      };
    case 'blocked':
      return { kind: 'blocked', reason: clip(n.reason, REASON_KEPT) };
  }
}

/**
 * The notification setting (`notifications.kinds`, `routes`) a notice is told under: its own kind,
 * but `blocked` is the setting people know as `error` (a person is needed).
 *
 *   'rolled_back' -> 'rolled_back'    'scaled' -> 'scaled'    'blocked' -> 'error'
 */
export function noticeSetting(kind: NoticeKind): NotificationKind {
  return kind === 'blocked' ? 'error' : kind;
}

function facts(r: RolloutFacts): RolloutFacts {
  return {
    id: r.id,
    image: r.image,
    strategy: r.strategy,
    steps: r.steps.map((s) => ({ percent: s.percent, bakeMs: s.bakeMs })),
    stepIndex: r.stepIndex,
    fromTaskDefinition: r.fromTaskDefinition,
    ...(r.taskDefinition !== undefined && { taskDefinition: r.taskDefinition }),
    startedAt: r.startedAt,
  };
}

/**
 * Cuts `text` to at most `max` characters, ending with "…", at a clean place: never between the two
 * halves of an emoji, inside an escape such as `&amp;`, or inside a `<url|label>` link.
 *
 *   clip('rolled back', 6)     -> 'rolle…'
 *   clip('a &amp; b', 6)        -> 'a …'
 *   clip('see <https://x|x>', 10) -> 'see …'
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 1);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  const head = text.slice(0, cut);
  const amp = head.lastIndexOf('&');
  if (amp >= 0 && amp >= head.length - 5 && !head.slice(amp).includes(';')) cut = amp;
  const open = head.lastIndexOf('<');
  if (open >= 0 && open > head.lastIndexOf('>')) cut = Math.min(cut, open);
  return `${text.slice(0, cut)}…`;
}
