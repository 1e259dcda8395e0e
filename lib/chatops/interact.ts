/**
 * A click on a button of a Slack message (lib/slack/buttons.ts), from Slack's interaction
 * request to the action and the answer. In this order, each step refusing what it must:
 *
 *   1. the signature and the timestamp (verify.ts): a forged or stale request gets HTTP 401 and
 *      nothing else: its `response_url` is not Slack's word, so nothing is posted to it;
 *   2. the `payload` form field (https://api.slack.com/interactivity/handling: an
 *      application/x-www-form-urlencoded body whose `payload` is JSON), a `block_actions` with one
 *      of our buttons; its `token` (the deprecated verification token) is registered with the log's
 *      redaction at once, and the payload itself is never logged;
 *   3. the person: one of the target's `approvers` (a user ID, or a member of a user group when a
 *      bot token lets us ask Slack, usergroups.users.list);
 *   4. the button is for the rollout in flight (or, for Retry, for a rollback in the history), not
 *      a stale message of an earlier one;
 *   5. the request is claimed once (replay.ts): a replay, or a double click racing in another
 *      container, is refused;
 *   6. the action, through the pipeline's command path: the same record and conditional write as
 *      `npx autopilot promote|pause|resume|abort|deploy` (lib/commands/control.ts), judged from the
 *      record it committed (an event may have moved the rollout on meanwhile).
 *
 * A refusal after step 1 is told to the person alone (an ephemeral message through `response_url`)
 * and logged (`slack.refused`, with the reason, the user and the target). Success replaces the
 * original message's buttons with who did what and when, and posts the outcome in its thread.
 *
 * Slack waits 3 seconds for the HTTP answer and shows the person an error after that, but the
 * action still happens and `response_url` (valid 30 minutes) still tells the outcome.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeRollout, imageLabel, outcomeText, rolloutView, summaryOf } from '../commands/common.ts';
import { type Config, type TargetConfig, targetFor } from '../config.ts';
import type { Command } from '../decide.ts';
import { isEcsStrategy } from '../ecs-strategy.ts';
import { log, redact } from '../log.ts';
import type { Rollout, ServiceRecord } from '../record.ts';
import { shortRevision } from '../revision.ts';
import { needsApproval } from '../rollout/approval.ts';
import {
  ACTIONS_BLOCK_ID,
  actionOf,
  type ButtonAction,
  type ButtonValue,
  controls,
  parseButtonValue,
  RETRIED_OUTCOMES,
} from '../slack/buttons.ts';
import type { RecordStore } from '../store.ts';
import { claimRequest } from './replay.ts';
import { replayKey, verify } from './verify.ts';

/** The HTTP request as the function URL delivered it, the body already base64-decoded. */
export interface InteractionRequest {
  /** Lower-case names (function URLs deliver them so). */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface InteractionResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface InteractDeps {
  config: Config;
  store: RecordStore;
  /** The pipeline's command path (Pipeline.command): the CLI's record and conditional write. */
  command(cluster: string, service: string, command: Command): Promise<ServiceRecord>;
  dynamodb: DynamoDBClient;
  table: string;
  /** The signing secret (SSM SecureString), cached by the caller; never logged. */
  signingSecret(): Promise<string>;
  /** Wall-clock milliseconds: Slack's timestamps are real time (the virtual clock locally). */
  now(): number;
  /** POSTs a JSON message to a URL Slack gave (`response_url`). */
  respond(url: string, message: Record<string, unknown>): Promise<void>;
  /** Members of a Slack user group; absent without a bot token (user-group approvers then refused). */
  groupMembers?(group: string): Promise<string[]>;
  /** Posts in a message's thread with the bot token (chat.postMessage); absent: through `response_url`. */
  postInThread?(channel: string, threadTs: string, text: string): Promise<void>;
  /** Whether Slack could have given this `response_url`; default: https://hooks.slack.com/ only. */
  trustResponseUrl?(url: string): boolean;
}

/** Why a click changed nothing, for the log; the person reads the sentence. */
export type Refusal =
  | 'not_block_actions'
  | 'unknown_button'
  | 'unknown_target'
  | 'not_approver'
  | 'group_unavailable'
  | 'stale_button'
  | 'replayed'
  | 'not_applied'
  | 'failed';

const json = (statusCode: number, body: unknown): InteractionResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: body === '' ? '' : JSON.stringify(body),
});

/** Slack's answer to an interaction is an empty 200 within 3 seconds; messages go by response_url. */
const ACK = (): InteractionResponse => ({ statusCode: 200, headers: {}, body: '' });

export async function interact(
  request: InteractionRequest,
  deps: InteractDeps,
): Promise<InteractionResponse> {
  const secret = await deps.signingSecret();
  const verdict = verify(
    {
      timestamp: request.headers['x-slack-request-timestamp'],
      signature: request.headers['x-slack-signature'],
      body: request.body,
    },
    secret,
    deps.now(),
  );
  if (!verdict.ok) {
    log.warn('slack.refused', { reason: verdict.reason });
    return json(401, { error: 'the request is not signed by Slack, or is too old' });
  }
  const signature = request.headers['x-slack-signature']!;

  const payload = parsePayload(request.body);
  if (payload?.token) redact(String(payload.token));
  if (payload?.type !== 'block_actions') {
    log.info('slack.ignored', { reason: 'not_block_actions', type: payload?.type });
    return ACK();
  }
  const user: string = String(payload.user?.id ?? '');
  const responseUrl: string | undefined =
    typeof payload.response_url === 'string' && (deps.trustResponseUrl ?? isSlackUrl)(payload.response_url)
      ? payload.response_url
      : undefined;
  const refuse = async (reason: Refusal, text: string, fields: Record<string, unknown> = {}) => {
    log.warn('slack.refused', { reason, user, ...fields });
    if (responseUrl) {
      await deps
        .respond(responseUrl, {
          response_type: 'ephemeral',
          replace_original: false,
          text: `:no_entry: ${text}`,
        })
        .catch((e) => log.warn('slack.respond_failed', { error: e as Error }));
    }
    return ACK();
  };

  const clicked = Array.isArray(payload.actions) ? payload.actions[0] : undefined;
  const action = actionOf(clicked?.action_id);
  const value = parseButtonValue(clicked?.value);
  if (!action || !value) {
    return refuse('unknown_button', 'this button is not one of ecs-autopilot’s; nothing was done');
  }
  const [cluster, service] = value.target.split('/') as [string, string];
  const target = targetFor(deps.config, cluster, service);
  if (!target) {
    return refuse(
      'unknown_target',
      `${value.target} is not a target of this pipeline any more; nothing was done`,
      {
        target: value.target,
      },
    );
  }
  const allowed = await isApprover(user, target, deps);
  if (!allowed.ok) {
    return refuse(allowed.reason, allowed.why, { target: value.target, action });
  }

  const before = await deps.store.get(cluster, service);
  const stale = staleness(action, value, before);
  if (stale) return refuse('stale_button', stale, { target: value.target, action, rollout: value.rollout });

  const fresh = await claimRequest(deps.dynamodb, deps.table, replayKey(signature), {
    user,
    action,
    at: deps.now(),
  });
  if (!fresh) {
    return refuse('replayed', 'this click was already acted on; nothing more was done', {
      target: value.target,
      action,
    });
  }

  let outcome: { ok: boolean; text: string; after: ServiceRecord };
  try {
    const command = commandFor(action, user, before, value);
    const after = await deps.command(cluster, service, command);
    outcome = { ...judge(action, value, before, after, deps.now()), after };
  } catch (e) {
    log.error('slack.action_failed', { target: value.target, action, user, error: e as Error });
    return refuse('failed', `${action} of ${value.target} failed: ${(e as Error).message}; try again`, {
      target: value.target,
      action,
    });
  }
  if (!outcome.ok) {
    return refuse('not_applied', `${value.target}: ${outcome.text}`, { target: value.target, action });
  }

  log.info('slack.acted', { target: value.target, action, user, rollout: value.rollout });
  const done = `${value.target}: ${outcome.text}`;
  const when = deps.now();
  if (responseUrl) {
    const update = updatedMessage(payload.message, {
      line: `${PAST[action]} by <@${user}> at ${slackDate(when)}`,
      // An approval message's decision is made once: its buttons go.
      buttons:
        action !== 'approve' && action !== 'reject' && stillRunning(outcome.after, value.rollout)
          ? controls(
              { ...value, step: outcome.after.rollout!.stepIndex },
              outcome.after.rollout!.paused === true,
              outcome.after.rollout!.strategy,
            )
          : undefined,
    });
    await deps
      .respond(responseUrl, { replace_original: true, ...update })
      .catch((e) => log.warn('slack.respond_failed', { error: e as Error }));
  }
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  const threadTs = payload.container?.message_ts ?? payload.message?.ts;
  const told = `<@${user}> ${VERB[action]}: ${done}`;
  // With the bot token the outcome goes in the thread by chat.postMessage; should Slack refuse it
  // (a revoked token, a channel the bot is not in), through `response_url`, so it is not lost.
  let posted = false;
  if (deps.postInThread && channel && threadTs) {
    try {
      await deps.postInThread(channel, threadTs, told);
      posted = true;
    } catch (e) {
      log.warn('slack.respond_failed', { via: 'chat.postMessage', error: e as Error });
    }
  }
  if (!posted && responseUrl) {
    // Slack's "Publishing responses in thread" (https://api.slack.com/interactivity/handling):
    // response_type in_channel, the parent's thread_ts, and replace_original false.
    await deps
      .respond(responseUrl, {
        response_type: 'in_channel',
        replace_original: false,
        ...(threadTs && { thread_ts: threadTs }),
        text: told,
      })
      .catch((e) => log.warn('slack.respond_failed', { via: 'response_url', error: e as Error }));
  }
  return ACK();
}

const PAST: Record<ButtonAction, string> = {
  promote: ':fast_forward: Promoted',
  pause: ':double_vertical_bar: Paused',
  resume: ':arrow_forward: Resumed',
  abort: ':x: Aborted',
  retry: ':repeat: Retried',
  approve: ':white_check_mark: Approved',
  reject: ':no_entry: Rejected',
};
const VERB: Record<ButtonAction, string> = {
  promote: 'promoted',
  pause: 'paused',
  resume: 'resumed',
  abort: 'aborted',
  retry: 'retried the digest',
  approve: 'approved',
  reject: 'rejected',
};

/** The `payload` field of the form body, as JSON; undefined when there is none or it is not JSON. */
export function parsePayload(body: string): Record<string, any> | undefined {
  const raw = new URLSearchParams(body).get('payload');
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Slack's `response_url`s are on hooks.slack.com; a URL elsewhere is not followed (a signed
 * payload is Slack's, but checking costs nothing and keeps the function from posting anywhere).
 *
 *   isSlackUrl('https://hooks.slack.com/actions/T1/2/abc') -> true
 *   isSlackUrl('https://hooks.slack.com.evil.example/x')    -> false
 *   isSlackUrl('http://hooks.slack.com/actions/T1/2/abc')  -> false
 */
export function isSlackUrl(url: string): boolean {
  return url.startsWith('https://hooks.slack.com/');
}

/**
 * Whether `user` may act on `target`: listed by ID, or a member of a listed user group (asked of
 * Slack only when the user is not listed directly, and only with a bot token). A group Slack
 * cannot answer for (no such group, a bad token, a rate limit, no answer) refuses the click unless
 * another listed group has the user: an approver list that cannot be read never allows.
 */
async function isApprover(
  user: string,
  target: TargetConfig,
  deps: InteractDeps,
): Promise<{ ok: true } | { ok: false; reason: 'not_approver' | 'group_unavailable'; why: string }> {
  const key = `${target.cluster}/${target.service}`;
  const approvers = target.approvers ?? [];
  if (approvers.length === 0) {
    return {
      ok: false,
      reason: 'not_approver',
      why: `nobody may act on ${key} from Slack: its config lists no approvers`,
    };
  }
  if (user && approvers.includes(user)) return { ok: true };
  const groups = approvers.filter((a) => a.startsWith('S'));
  if (user && groups.length > 0 && deps.groupMembers) {
    // Membership of a group Slack listed is a yes; a group it could not list is no answer, so
    // the click is refused unless another group has the user.
    let unanswered: { group: string; error: unknown } | undefined;
    for (const group of groups) {
      try {
        if ((await deps.groupMembers(group)).includes(user)) return { ok: true };
      } catch (e) {
        log.warn('slack.group_unavailable', { group, target: key, error: e as Error });
        unanswered ??= { group, error: e };
      }
    }
    if (unanswered) {
      return {
        ok: false,
        reason: 'group_unavailable',
        why: `whether <@${user}> may act on ${key} cannot be told: Slack did not list the members of the user group <!subteam^${unanswered.group}> (${groupTrouble(unanswered.error)}); nothing was done`,
      };
    }
  }
  const hint =
    groups.length > 0 && !deps.groupMembers
      ? ' (its user-group approvers cannot be checked: no bot token is configured)'
      : '';
  return {
    ok: false,
    reason: 'not_approver',
    why: `<@${user}> is not an approver of ${key}${hint}; nothing was done`,
  };
}

/**
 * What went wrong asking Slack for a group, in a person's words.
 *
 *   SlackApiError('usergroups.users.list', 'no_such_subteam') -> 'Slack answered no_such_subteam: no such user group; check `approvers`'
 *   SlackApiError(…, 'invalid_auth')                         -> 'Slack answered invalid_auth: the bot token is not valid'
 *   SlackApiError(…, 'ratelimited', 30)                      -> 'Slack is rate-limiting the app; try again in 30 s'
 *   a timeout, a refused connection                            -> 'Slack could not be reached'
 */
export function groupTrouble(e: unknown): string {
  const err = e as { name?: string; error?: string; retryAfterSeconds?: number };
  if (err?.name !== 'SlackApiError') return 'Slack could not be reached';
  if (err.error === 'ratelimited') {
    return `Slack is rate-limiting the app; try again${err.retryAfterSeconds !== undefined ? ` in ${err.retryAfterSeconds} s` : ' later'}`;
  }
  const meaning: Record<string, string> = {
    no_such_subteam: 'no such user group; check `approvers`',
    invalid_auth: 'the bot token is not valid',
    not_authed: 'no bot token was sent',
    missing_scope: 'the bot token lacks the scope usergroups:read',
    token_revoked: 'the bot token was revoked',
    plan_upgrade_required: 'this workspace has no user groups',
  };
  return `Slack answered ${err.error}${meaning[err.error ?? ''] ? `: ${meaning[err.error!]}` : ''}`;
}

/**
 * Why a button no longer applies, or undefined when it does.
 *
 *   promote, resume: the rollout the button was drawn for must be in flight, at the button's step
 *     (they move it on: a late click must not skip a step nobody looked at)
 *   pause, abort: the rollout the button was drawn for must be in flight (stopping it is safe at
 *     any step)
 *   retry: the rollout must have ended by going back (rolled back, aborted or rejected: buttons.ts
 *     RETRIED_OUTCOMES), and nothing may be rolling out now (a retry would supersede it)
 *   approve, reject: the rollout must wait at the approval gate the button was drawn for (with two
 *     gates, the first gate's message does not decide the second), or the button names the push
 *     that waits for a freeze
 * A button without a step (drawn before buttons carried one) is refused for promote, resume,
 * approve and reject: what it would act on cannot be told.
 */
export function staleness(
  action: ButtonAction,
  value: ButtonValue,
  record: ServiceRecord,
): string | undefined {
  const current = record.rollout;
  if (action === 'retry') {
    const summary = summaryOf(record, value.rollout);
    // Every rollout that ended by going back (a failure, an abort, a Reject) has its rolled_back
    // message and its Retry (buttons.ts buttonsFor): the click is the deploy by hand that retries it.
    if (!summary || !RETRIED_OUTCOMES.includes(summary.outcome) || !summary.image.digest) {
      return `this button is for a rollout of ${value.target} that is not a rollback on record; nothing was done`;
    }
    if (current) {
      return `${value.target} is rolling out ${imageLabel(current.image)} now; retry ${imageLabel(summary.image)} once that ends`;
    }
    return undefined;
  }
  const deciding = action === 'approve' || action === 'reject';
  if (deciding && record.frozenPush?.id === value.rollout) return undefined;
  if (current?.id === value.rollout) {
    const image = imageLabel(current.image);
    const at = `step ${current.stepIndex + 1}/${current.steps.length} (${current.steps[current.stepIndex]?.percent ?? 100}%)`;
    if (current.rollingBack) {
      return `the rollout of ${image} is already rolling back: ${current.rollingBack.reason}`;
    }
    const moving = deciding || action === 'promote' || action === 'resume';
    if (moving && value.step === undefined) {
      return `this button was drawn before buttons named their step, so what it would ${action} cannot be told; use the newest message of ${value.target} or \`npx autopilot ${action} ${value.target}\`; nothing was done`;
    }
    if (deciding) {
      const gate = `the approval of step ${value.step! + 1} (${current.steps[value.step!]?.percent ?? '?'}%)`;
      const decided = current.approvals?.find((a) => a.gate === 'step' && a.step === value.step);
      const then = decided
        ? `, which ${mention(decided.by)} gave at ${new Date(decided.at).toISOString()}`
        : ', which is not asked now';
      if (!current.approval) {
        return `this button is for ${gate}${then}; the rollout of ${image} is at ${at}; nothing was done`;
      }
      if (current.approval.step !== value.step) {
        const waiting = current.approval.step;
        return `this button is for ${gate}${then}; the rollout of ${image} now waits for the approval of step ${waiting + 1} (${current.steps[waiting]?.percent ?? 100}%): use that message's buttons; nothing was done`;
      }
      return undefined;
    }
    if (moving && value.step !== current.stepIndex) {
      return `this button is for step ${value.step! + 1} of the rollout of ${image}, which is at ${at} now: use the newest message's buttons; nothing was done`;
    }
    return undefined;
  }
  const ended = summaryOf(record, value.rollout);
  const then = ended
    ? `the rollout of ${imageLabel(ended.image)} this button is for has ended (${outcomeText(ended.outcome)})`
    : 'this button is for an earlier rollout';
  const now = current ? `; ${value.target} is now rolling out ${imageLabel(current.image)}` : '';
  return `${then}${now}; nothing was done`;
}

/** A Slack user ID as a mention; a CLI approver's name (`cli:alice`) as it is. */
const mention = (by: string) => (/^[UW][A-Z0-9]+$/.test(by) ? `<@${by}>` : by);

function commandFor(action: ButtonAction, user: string, before: ServiceRecord, value: ButtonValue): Command {
  // A decision names what it is about, so one racing another click or an event decides nothing else.
  const on =
    before.frozenPush?.id === value.rollout
      ? { push: value.rollout }
      : { rollout: value.rollout, step: value.step ?? -1 };
  switch (action) {
    case 'promote':
      return { name: 'promote', full: false, ...(value.step !== undefined && { from: value.step }) };
    case 'pause':
      return { name: 'pause' };
    case 'resume':
      return { name: 'resume' };
    case 'abort':
      return { name: 'abort', reason: `aborted from Slack by ${user}` };
    case 'retry':
      // A deploy by hand of the same digest: not held back by its earlier rollback (decide.ts).
      return { name: 'deploy', image: summaryOf(before, value.rollout)!.image };
    case 'approve':
      return { name: 'approve', by: user, on };
    case 'reject':
      return { name: 'reject', by: user, reason: 'from Slack', on };
  }
}

/** What the command did, read from the record it committed (as lib/commands/control.ts does). */
function judge(
  action: ButtonAction,
  value: ButtonValue,
  before: ServiceRecord,
  after: ServiceRecord,
  now: number,
): { ok: boolean; text: string } {
  const id = value.rollout;
  const live = after.rollout?.id === id && !after.rollout.rollingBack ? after.rollout : undefined;
  switch (action) {
    case 'promote':
      if (live) return judgePromote(before.rollout!, live, now, value.step);
      break;
    case 'pause':
      if (live?.paused) {
        const view = rolloutView(live, now);
        return {
          ok: true,
          text: `${view.image} paused at step ${view.step}/${view.steps} (${view.percent}%)`,
        };
      }
      break;
    case 'resume':
      if (live && !live.paused) {
        const view = rolloutView(live, now);
        return { ok: true, text: `${view.image} resumed: ${describeRollout(view)}` };
      }
      break;
    case 'abort': {
      const summary = summaryOf(after, id);
      if (summary?.outcome === 'aborted') {
        return { ok: true, text: `${imageLabel(summary.image)} aborted; rolling back` };
      }
      break;
    }
    case 'retry': {
      const image = summaryOf(before, id)!.image;
      const r = after.rollout;
      if (r && !r.rollingBack && r.image.digest === image.digest) {
        return {
          ok: true,
          text: `rolling out ${imageLabel(image)} again: ${describeRollout(rolloutView(r, now))}`,
        };
      }
      // It started, and ended within the same command (a failure seen at once): say so.
      const again = after.history.slice(before.history.length).find((h) => h.image.digest === image.digest);
      if (again) {
        return {
          ok: true,
          text: `rolled ${imageLabel(image)} out again; it ${outcomeText(again.outcome)} at once: ${again.reason}`,
        };
      }
      return { ok: false, text: `the retry of ${imageLabel(image)} did not start` };
    }
    case 'approve':
    case 'reject': {
      const verdict = judgeDecision(action, before, after, id, now);
      if (verdict) return verdict;
      break;
    }
  }
  const summary = summaryOf(after, id);
  if (summary) {
    return {
      ok: false,
      text: `the rollout had already ended: ${outcomeText(summary.outcome)}: ${summary.reason}`,
    };
  }
  return { ok: false, text: 'the command did not apply: the rollout changed meanwhile' };
}

/**
 * Why a promote of `rollout` does nothing, or undefined when it applies: the words of the decision's
 * `skipped` (lib/rollout/commands.ts), for the CLI (lib/commands/control.ts, refused with exit 1
 * before anything is written) and a Promote click. `from`: the step a button was drawn at.
 *
 *   ecs-canary at step 1/2        -> 'ECS times the shifts and bakes of strategy ecs-canary: promote does not apply (pause, resume and abort do)'
 *   canary at step 2/3, from 0    -> 'promote asked at step 1; the rollout is at step 2 now'
 *   canary at step 1/3            -> undefined
 */
export function promoteRefusal(rollout: Rollout, from?: number): string | undefined {
  if (from !== undefined && from !== rollout.stepIndex) {
    return `promote asked at step ${from + 1}; the rollout is at step ${rollout.stepIndex + 1} now`;
  }
  if (isEcsStrategy(rollout.strategy)) {
    return `ECS times the shifts and bakes of strategy ${rollout.strategy}: promote does not apply (pause, resume and abort do)`;
  }
  return undefined;
}

/**
 * What a promote did to the rollout in flight, read from the record it committed (`before` and
 * `after` the same rollout, not rolling back), for the CLI and a Promote click alike. A promote
 * under ECS's own strategies is refused whatever the step (ECS may have shifted in the same look:
 * that is not the promote's doing); one that did not move the step skipped the bake of the last
 * step, or of a step whose next waits for approval (promote skips bakes, not approvals).
 *
 *   canary 1/3 -> 2/3                 -> ok: 'web:v2 promoted to step 2/3 (50%), …'
 *   ecs-canary 1/2, nothing moved     -> refused: 'web:v2 was not promoted: ECS times … (pause, resume and abort do); it is at step 1/2 (10%), baking, …'
 *   canary 3/3                        -> ok: 'web:v2 is on its last step; its bake is skipped: step 3/3 (100%), …'
 *   canary 1/3, step 2 needs approval -> ok: 'web:v2 stays at step 1/3: step 2 (50%) waits for approval (promote does not skip it); its bake is skipped: …'
 */
export function judgePromote(
  before: Rollout,
  after: Rollout,
  now: number,
  from?: number,
): { ok: boolean; text: string } {
  const view = rolloutView(after, now);
  const ecs = isEcsStrategy(after.strategy) ? promoteRefusal(after) : undefined;
  if (ecs)
    return { ok: false, text: `${view.image} was not promoted: ${ecs}; it is at ${describeRollout(view)}` };
  if (after.stepIndex > before.stepIndex) {
    return { ok: true, text: `${view.image} promoted to ${describeRollout(view)}` };
  }
  const refused = promoteRefusal(after, from);
  if (refused)
    return {
      ok: false,
      text: `${view.image} was not promoted: ${refused}; it is at ${describeRollout(view)}`,
    };
  const next = after.stepIndex + 1;
  if (next < after.steps.length && needsApproval(after.steps, after.approvals, next)) {
    return {
      ok: true,
      text: `${view.image} stays at step ${view.step}/${view.steps}: step ${next + 1} (${after.steps[next]!.percent}%) waits for approval (promote does not skip it); its bake is skipped: ${describeRollout(view)}`,
    };
  }
  return {
    ok: true,
    text: `${view.image} is on its last step; its bake is skipped: ${describeRollout(view)}`,
  };
}

/**
 * What an approve or reject did, read from the record it committed (lib/commands/control.ts says
 * the same for the CLI): undefined when it did not apply.
 */
export function judgeDecision(
  action: 'approve' | 'reject',
  before: ServiceRecord,
  after: ServiceRecord,
  id: string,
  now: number,
): { ok: boolean; text: string } | undefined {
  const frozen = before.frozenPush?.id === id ? before.frozenPush : undefined;
  if (frozen) {
    const label = imageLabel(frozen.image);
    if (action === 'approve') {
      const r = after.rollout;
      if (r?.image.digest === frozen.image.digest) {
        return {
          ok: true,
          text: `${label} goes now, through the freeze: ${describeRollout(rolloutView(r, now))}`,
        };
      }
      const ended = after.history
        .slice(before.history.length)
        .find((h) => h.image.digest === frozen.image.digest);
      if (ended)
        return {
          ok: true,
          text: `${label} went through the freeze; it ${outcomeText(ended.outcome)}: ${ended.reason}`,
        };
      return undefined;
    }
    if (after.frozenPush?.id !== id && after.badDigests[frozen.image.digest]) {
      return { ok: true, text: `${label} will not be deployed when the freeze ends` };
    }
    return undefined;
  }
  const wait = before.rollout?.id === id ? before.rollout.approval : undefined;
  if (!wait) return undefined;
  if (action === 'approve') {
    const r = after.rollout;
    if (r?.id === id && r.approvals?.some((a) => a.gate === 'step' && a.step === wait.step)) {
      const view = rolloutView(r, now);
      return { ok: true, text: `${view.image} approved: ${describeRollout(view)}` };
    }
    return undefined;
  }
  const summary = summaryOf(after, id);
  if (summary?.outcome === 'aborted') {
    return {
      ok: true,
      text: `${imageLabel(summary.image)} rejected; rolling back to ${shortRevision(summary.fromTaskDefinition ?? '')}`,
    };
  }
  return undefined;
}

function stillRunning(after: ServiceRecord, id: string): boolean {
  return after.rollout?.id === id && !after.rollout.rollingBack;
}

/**
 * The original message with its buttons replaced: by `buttons` (Resume after a Pause), or by
 * nothing once there is nothing left to do; and a context line saying who did what, when.
 */
export function updatedMessage(
  original: { text?: string; blocks?: any[] } | undefined,
  change: { line: string; buttons?: unknown },
): { text: string; blocks: unknown[] } {
  // Slack takes at most 50 blocks: after many clicks, the oldest lines of who did what go first.
  const all = (original?.blocks ?? []).filter(
    (b) => b?.block_id !== ACTIONS_BLOCK_ID && b?.type !== 'actions',
  );
  const kept = all.length > MAX_KEPT ? [...all.slice(0, 2), ...all.slice(all.length - (MAX_KEPT - 2))] : all;
  return {
    text: original?.text ?? change.line,
    blocks: [
      ...kept,
      { type: 'context', elements: [{ type: 'mrkdwn', text: change.line }] },
      ...(change.buttons ? [change.buttons] : []),
    ],
  };
}

/** Blocks kept of the original message: 50, less the new line and the buttons. */
const MAX_KEPT = 48;

/** Slack shows it in the reader's time zone; the fallback is UTC. */
function slackDate(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${new Date(seconds * 1000).toISOString()}>`;
}
