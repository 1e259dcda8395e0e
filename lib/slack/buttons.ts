/**
 * The buttons on the Slack messages (Block Kit `actions` block, https://api.slack.com/reference/block-kit/blocks#actions):
 *
 *   started, step    Promote · Pause (Resume once paused) · Abort (no Promote under ECS's own strategies)
 *   approval         Approve · Reject (a gate waits; Reject rolls back)
 *   frozen           Approve (deploy now, through the freeze) · Reject (drop the push)
 *   rolled_back      Retry this digest
 *
 * Each button's `value` names what it acts on, so a click on a stale message is refused with a
 * clear reason instead of acting on whatever happens now: the target and the rollout it was drawn
 * for (an older rollout of the same service is not this one), and the step: the step the rollout
 * was at for Promote/Pause/Resume/Abort (Promote and Resume move the rollout on, so they act only
 * at that step), the gate's step for Approve/Reject (with two gates, a late click on the first
 * gate's message must not approve the second). A frozen push's buttons name the push instead.
 * The `action_id` names the action; lib/chatops/interact.ts reads both.
 */

import { isEcsStrategy } from '../ecs-strategy.ts';
import type { Notice } from '../notice.ts';
import type { StrategyKind } from '../steps.ts';

/** What a person can do from a message, as the `action_id` suffix. */
export const BUTTON_ACTIONS = ['promote', 'pause', 'resume', 'abort', 'retry', 'approve', 'reject'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

const PREFIX = 'autopilot.';

/** A Block Kit button (https://api.slack.com/reference/block-kit/block-elements#button). */
export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  /** At most 2000 characters (Block Kit): the target and the rollout id. */
  value: string;
  style?: 'primary' | 'danger';
  confirm?: {
    title: { type: 'plain_text'; text: string };
    text: { type: 'mrkdwn'; text: string };
    confirm: { type: 'plain_text'; text: string };
    deny: { type: 'plain_text'; text: string };
  };
}

export interface ActionsBlock {
  type: 'actions';
  block_id: string;
  elements: ButtonElement[];
}

/** The block id of our buttons: a message update replaces this block and keeps the rest. */
export const ACTIONS_BLOCK_ID = 'autopilot-actions';

export interface ButtonValue {
  /** `cluster/service` */
  target: string;
  /** The rollout's id, or a frozen push's. */
  rollout: string;
  /**
   * The step index the button acts at: the rollout's step when the message was drawn (controls),
   * or the step an approval gate holds back (Approve/Reject). Absent on a frozen push's buttons,
   * a Retry, and buttons drawn before buttons carried it.
   */
  step?: number;
}

/**
 * The value a button carries, and back.
 *
 *   buttonValue({ target: 'prod/web', rollout: '2026-01-01T09:00:00.000Z-7f5b3c2a9e10', step: 2 })
 *   -> '{"target":"prod/web","rollout":"2026-01-01T09:00:00.000Z-7f5b3c2a9e10","step":2}'
 *   parseButtonValue(that) -> the same object
 *   parseButtonValue('{"target":"prod/web","rollout":"r1"}') -> { target: 'prod/web', rollout: 'r1' } (no step)
 *   parseButtonValue('{"target":"prod/web","rollout":"r1","step":-1}') -> undefined
 *   parseButtonValue('prod/web') -> undefined      parseButtonValue('{"target":"prod/web"}') -> undefined
 */
export function buttonValue(v: ButtonValue): string {
  return JSON.stringify({
    target: v.target,
    rollout: v.rollout,
    ...(v.step !== undefined && { step: v.step }),
  });
}

export function parseButtonValue(value: unknown): ButtonValue | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const o = parsed as Record<string, unknown> | null;
  if (!o || typeof o.target !== 'string' || typeof o.rollout !== 'string') return undefined;
  if (!/^[\w-]+\/[\w-]+$/.test(o.target) || o.rollout === '') return undefined;
  if (o.step === undefined) return { target: o.target, rollout: o.rollout };
  if (typeof o.step !== 'number' || !Number.isInteger(o.step) || o.step < 0) return undefined;
  return { target: o.target, rollout: o.rollout, step: o.step };
}

/**
 * `autopilot.promote` -> 'promote'; anything else (another app's button) -> undefined.
 *
 *   actionOf('autopilot.abort') -> 'abort'    actionOf('autopilot.deploy') -> undefined    actionOf('abort') -> undefined
 */
export function actionOf(actionId: unknown): ButtonAction | undefined {
  if (typeof actionId !== 'string' || !actionId.startsWith(PREFIX)) return undefined;
  const name = actionId.slice(PREFIX.length);
  return (BUTTON_ACTIONS as readonly string[]).includes(name) ? (name as ButtonAction) : undefined;
}

const text = (t: string) => ({ type: 'plain_text' as const, text: t, emoji: true });

function button(action: ButtonAction, label: string, value: string, extra: Partial<ButtonElement> = {}) {
  return { type: 'button' as const, action_id: `${PREFIX}${action}`, text: text(label), value, ...extra };
}

/** Block Kit's confirmation dialog: Slack asks `question` before it sends the click. */
function confirmDialog(title: string, question: string, confirm: string, deny: string) {
  return {
    title: text(title),
    text: { type: 'mrkdwn' as const, text: question },
    confirm: text(confirm),
    deny: text(deny),
  };
}

const actions = (elements: ButtonElement[]): ActionsBlock => ({
  type: 'actions',
  block_id: ACTIONS_BLOCK_ID,
  elements,
});

/**
 * Promote, Pause or Resume, Abort: the controls of a rollout in flight. `strategy`: the rollout's;
 * under ECS's own strategies (ecs-canary, ecs-linear, ecs-blue-green) ECS times the shifts and bakes
 * and promote is refused (lib/rollout/commands.ts), so no Promote is drawn that could never work.
 */
export function controls(v: ButtonValue, paused: boolean, strategy?: StrategyKind): ActionsBlock {
  const value = buttonValue(v);
  return actions([
    ...(strategy !== undefined && isEcsStrategy(strategy)
      ? []
      : [button('promote', ':fast_forward: Promote', value, { style: 'primary' })]),
    paused
      ? button('resume', ':arrow_forward: Resume', value)
      : button('pause', ':double_vertical_bar: Pause', value),
    button('abort', ':x: Abort', value, {
      style: 'danger',
      // Slack asks before sending: an abort rolls production back.
      confirm: confirmDialog(
        'Abort this rollout?',
        `${v.target} goes back to the revision it started from.`,
        'Abort',
        'Keep rolling out',
      ),
    }),
  ]);
}

/**
 * The outcomes of a rollout whose `rolled_back` message carries "Retry this digest", and for which
 * lib/chatops/interact.ts takes the click: every way a rollout ends by going back (lib/rollout/
 * rollback.ts startRollback, lib/retire.ts closeRollout): `rolled_back` (a failure, a rollback by
 * hand) and `aborted` (an abort, a person's Reject at an approval gate, a rollback by hand of a
 * rollout in flight). A Retry is a deploy by hand of the digest, which is what the README says
 * retries a rejected digest: its bad mark does not hold a deploy by hand back (lib/rollout/push.ts).
 */
export const RETRIED_OUTCOMES: readonly string[] = ['rolled_back', 'aborted'];

/** "Retry this digest" on a rollback: a deploy by hand of the same digest (the person vouches for it). */
export function retry(v: ButtonValue): ActionsBlock {
  return actions([
    button('retry', ':repeat: Retry this digest', buttonValue(v), {
      confirm: confirmDialog(
        'Retry this digest?',
        `${v.target} rolls the same image out again, from the first step.`,
        'Retry',
        'Cancel',
      ),
    }),
  ]);
}

/**
 * Approve · Reject, where a person must decide: an approval gate (Reject rolls the rollout back) or
 * a push waiting for a freeze (Approve deploys it now, Reject drops it). `v.rollout` names the
 * rollout, or the frozen push.
 */
export function decision(v: ButtonValue, frozen: boolean): ActionsBlock {
  const value = buttonValue(v);
  return actions([
    button('approve', frozen ? ':white_check_mark: Deploy now' : ':white_check_mark: Approve', value, {
      style: 'primary',
      ...(frozen && {
        confirm: confirmDialog(
          'Deploy during the freeze?',
          `${v.target} rolls the image out now, through its freeze window.`,
          'Deploy now',
          'Wait',
        ),
      }),
    }),
    button('reject', ':no_entry: Reject', value, {
      style: 'danger',
      confirm: frozen
        ? confirmDialog(
            'Drop this push?',
            `${v.target} will not deploy this image when the freeze ends.`,
            'Reject',
            'Cancel',
          )
        : confirmDialog(
            'Reject this rollout?',
            `${v.target} goes back to the revision it started from.`,
            'Reject',
            'Cancel',
          ),
    }),
  ]);
}

/**
 * The buttons a notice's message carries, if any, and the step each acts at.
 *
 *   started                                -> Promote · Pause · Abort, at the rollout's step
 *   step (below 100% or at it)             -> Promote · Pause · Abort, at the notice's step
 *   started, step of ecs-canary/-linear/-blue-green -> Pause · Abort (ECS times its shifts: no Promote)
 *   rolled_back (failed, aborted, rejected) -> Retry this digest (not for a rollback by hand: no digest)
 *   approval                               -> Approve · Reject, of the gate that holds back the notice's step
 *   frozen                                 -> Deploy now · Reject, of that push
 *   succeeded, superseded, paused, …       -> none (nothing left to act on from that message)
 */
export function buttonsFor(n: Notice, target: string): ActionsBlock | undefined {
  switch (n.kind) {
    case 'started':
      return controls(
        { target, rollout: n.rollout.id, step: n.rollout.stepIndex },
        false,
        n.rollout.strategy,
      );
    case 'step':
      return controls({ target, rollout: n.rollout.id, step: n.stepIndex }, false, n.rollout.strategy);
    case 'rolled_back':
      return n.rollout.image.digest ? retry({ target, rollout: n.rollout.id }) : undefined;
    case 'approval':
      return decision({ target, rollout: n.rollout.id, step: n.stepIndex }, false);
    case 'frozen':
      return decision({ target, rollout: n.id }, true);
    default:
      return undefined;
  }
}
