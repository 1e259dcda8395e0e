/**
 * Approval gates: a step with `approve: true` (or the 100% step under `approval: before-promotion`)
 * is taken only once a person says yes. Until then the rollout holds where it is: the step before
 * keeps baking on its share of traffic, and a failure or a gate alarm still rolls it back. Nobody
 * deciding within `approvalTimeout` rolls back, or holds (`onApprovalTimeout: hold`) until someone
 * approves or rejects.
 *
 * The rule is two pure functions with worked examples (checked row by row in
 * test/step-rules.test.ts), and `throughGate`, which applies them to a decision.
 */
import type { TargetConfig } from '../config.ts';
import { formatDuration } from '../duration.ts';
import type { Approval, ApprovalWait, Rollout } from '../record.ts';
import type { Decision, DecisionTarget } from './decision.ts';
import { startRollback } from './rollback.ts';

/**
 * Whether step `index` must wait for a person: it has `approve`, and nobody approved it in this
 * rollout yet.
 *
 *   steps [10%, 100% approve], no approvals, index 1           -> true
 *   steps [10%, 100% approve], approved step 1, index 1        -> false
 *   steps [10%, 100% approve], no approvals, index 0           -> false (no gate there)
 *   steps [100% approve] (rolling), a freeze approval, index 0 -> true (a freeze's yes is not the step's)
 */
export function needsApproval(
  steps: readonly { approve?: boolean }[],
  approvals: readonly Approval[] | undefined,
  index: number,
): boolean {
  if (steps[index]?.approve !== true) return false;
  return !(approvals ?? []).some((a) => a.gate === 'step' && a.step === index);
}

export type GateVerdict =
  /** Keep waiting (a new wait starts now). */
  | { kind: 'wait'; since: number; timesOutAt: number }
  /** Nobody decided in time: roll back. */
  | { kind: 'rollback' }
  /** Nobody decided in time: hold, still asking. */
  | { kind: 'hold' };

/**
 * What a gate does now: a wait starts when the gate is first reached and times out
 * `timeoutMs` later (at that moment, not after it); then `onTimeout` says what follows.
 *
 * A pause stops the timeout's clock, as it stops a step's deadline: a release manager who pauses
 * a rollout at its gate to look at something has not let the time to decide run out, and nothing
 * rolls back behind a pause (`pausedAt`, set while paused). Resuming gives back what was left
 * (resumedWait). A wait that had already timed out when it was paused keeps its verdict.
 *
 *   no wait yet, now 5m, timeout 1h                  -> wait since 5m, times out at 1h5m
 *   waiting since 0 until 1h, now 59m59s             -> wait since 0, times out at 1h
 *   waiting since 0 until 1h, now 1h, rollback       -> rollback
 *   waiting since 0 until 1h, now 3h, hold           -> hold
 *   waiting since 0 until 1h, held at 1h, now 9h     -> hold (it holds until someone decides)
 *   waiting since 0 until 1h, paused at 20m, now 5h  -> wait since 0, times out at 1h (clock stopped)
 *   waiting since 0 until 1h, paused at 1h30m, now 5h, rollback -> rollback (timed out before the pause)
 *   no wait yet, paused at 0, now 5m                 -> wait since 5m, times out at 1h5m (resume moves it on)
 */
export function gateVerdict(
  wait: Pick<ApprovalWait, 'since' | 'timesOutAt'> | undefined,
  now: number,
  timeoutMs: number,
  onTimeout: 'rollback' | 'hold',
  pausedAt?: number,
): GateVerdict {
  if (!wait) return { kind: 'wait', since: now, timesOutAt: now + timeoutMs };
  const clock = pausedAt === undefined ? now : Math.min(now, pausedAt);
  if (clock < wait.timesOutAt) return { kind: 'wait', since: wait.since, timesOutAt: wait.timesOutAt };
  return { kind: onTimeout };
}

/**
 * The gate's wait once the rollout resumes: its timeout moves on by the time it was paused (the
 * time left when paused is left again), counted from when the wait began if it began during the
 * pause. A wait that timed out before the pause, or was already held, is as it was.
 *
 *   since 0 until 1h, paused at 20m, resumed at 2h        -> until 2h40m (40m were left)
 *   since 30m until 1h30m, paused at 0, resumed at 1h     -> until 2h (began paused: a full hour left)
 *   since 0 until 1h, paused at 1h0m30s, resumed at 5h    -> until 1h (timed out before the pause)
 *   since 0 until 1h, held at 1h, paused 2h, resumed 3h   -> as it was (held)
 */
export function resumedWait(wait: ApprovalWait, pausedAt: number, now: number): ApprovalWait {
  if (wait.heldAt !== undefined || wait.timesOutAt <= pausedAt) return wait;
  return { ...wait, timesOutAt: wait.timesOutAt + Math.max(0, now - Math.max(pausedAt, wait.since)) };
}

/**
 * When the rollout's approval gate times out, as a plain moment a wake-up can be set for
 * (lib/wake.ts on the wakeups branch reads it beside `frozenPush.until`); none while paused (the
 * clock is stopped: resumedWait sets the new moment), once held, while rolling back, or without a gate.
 *
 *   waiting until 1h                      -> 1h
 *   waiting until 1h, paused              -> none
 *   waiting until 1h, held at 1h          -> none (it holds until someone decides)
 *   no gate waits                         -> none
 */
export function approvalDeadline(
  rollout: Pick<Rollout, 'approval' | 'paused' | 'rollingBack'> | undefined,
): number | undefined {
  const wait = rollout?.approval;
  if (!wait || rollout.paused || rollout.rollingBack || wait.heldAt !== undefined) return undefined;
  return wait.timesOutAt;
}

/**
 * What is left of the gate's time, as the timeout's clock stands at `now` (stopped at `pausedAt`).
 *
 *   until 1h, now 20m                 -> 40m
 *   until 1h, paused at 20m, now 5h   -> 40m
 *   until 1h, now 2h                  -> 0
 */
export function approvalLeftMs(
  wait: Pick<ApprovalWait, 'timesOutAt'>,
  now: number,
  pausedAt?: number,
): number {
  return Math.max(0, wait.timesOutAt - (pausedAt === undefined ? now : Math.min(now, pausedAt)));
}

/**
 * Whether the rollout may take step `index` now. When it may not, the rollout waits at the gate
 * (asking in Slack once), rolls back, or holds, as gateVerdict says; the caller leaves the step as
 * it is.
 */
export function throughGate(
  d: Decision,
  rollout: Rollout,
  index: number,
  target: Pick<TargetConfig, 'approvalTimeoutMs' | 'onApprovalTimeout'>,
  now: number,
): boolean {
  if (!needsApproval(rollout.steps, rollout.approvals, index)) {
    rollout.approval = undefined;
    return true;
  }
  const current = rollout.approval?.step === index ? rollout.approval : undefined;
  const pausedAt = rollout.paused ? (rollout.pausedAt ?? now) : undefined;
  const verdict = gateVerdict(current, now, target.approvalTimeoutMs, target.onApprovalTimeout, pausedAt);
  const step = rollout.steps[index]!;
  const what = `step ${index + 1} (${step.percent}%)`;
  const image = `${rollout.image.repository}:${rollout.image.tag}`;
  switch (verdict.kind) {
    case 'wait':
      if (!current) {
        rollout.approval = { step: index, since: verdict.since, timesOutAt: verdict.timesOutAt };
        d.notices.push({
          kind: 'approval',
          rollout,
          stepIndex: index,
          percent: step.percent,
          timesOutAt: verdict.timesOutAt,
          onTimeout: target.onApprovalTimeout,
        });
      }
      return false;
    case 'rollback':
      // Nobody said no to the image: its digest is not marked bad (a deploy of it may try again).
      startRollback(
        d,
        rollout,
        `nobody approved ${what} of ${image} within ${formatDuration(target.approvalTimeoutMs)}`,
        now,
        'rolled_back',
        undefined,
        undefined,
        false,
      );
      return false;
    case 'hold':
      if (current && current.heldAt === undefined) {
        current.heldAt = now;
        d.notices.push({
          kind: 'blocked',
          reason: `${d.record.key}: nobody approved ${what} of ${image} within ${formatDuration(target.approvalTimeoutMs)}; it holds there until someone approves or rejects it`,
        });
      }
      return false;
  }
}

/** What an approve or reject acts on (decisionSubject). */
export type DecisionSubject =
  | { kind: 'gate'; step: number }
  | { kind: 'push'; id: string }
  | { kind: 'none'; why: string };

/**
 * What an approve or reject acts on: the gate the rollout waits at, else the push waiting for a
 * freeze. A command that names its subject (`on`, from a Slack button) acts on that alone, so a
 * late click on the first gate's message never approves the second gate, nor a push that came
 * since; steps are 1-based in `why`, as people count them.
 *
 *   r1's gate before step 3 (index 2) waits, no `on`        -> gate 2
 *   r1's gate 2 waits, on { rollout: r1, step: 2 }          -> gate 2
 *   r1's gate 2 waits, on { rollout: r1, step: 1 }          -> none "the gate of step 2 is another gate …"
 *   r2's gate 2 waits, on { rollout: r1, step: 2 }          -> none "… another rollout …"
 *   no gate, push p1 waits, no `on`                         -> push p1
 *   r1's gate 2 and push p1 wait, on { push: 'p1' }         -> push p1
 *   no gate, push p2 waits, on { push: 'p1' }               -> none "that push no longer waits …"
 *   no gate, no push, on { rollout: r1, step: 1 }           -> none "no approval gate waits now …"
 *   nothing waits, no `on`                                  -> none "nothing waits for a decision"
 */
export function decisionSubject(
  gate: { rollout: string; step: number } | undefined,
  push: { id: string } | undefined,
  on?: DecisionTarget,
): DecisionSubject {
  if (!on) {
    if (gate) return { kind: 'gate', step: gate.step };
    if (push) return { kind: 'push', id: push.id };
    return { kind: 'none', why: 'nothing waits for a decision' };
  }
  if ('push' in on) {
    if (push?.id === on.push) return { kind: 'push', id: push.id };
    return {
      kind: 'none',
      why: 'that push no longer waits for its freeze (it went, or was dropped or replaced)',
    };
  }
  if (!gate)
    return { kind: 'none', why: `no approval gate waits now (the gate of step ${on.step + 1} was decided)` };
  if (gate.rollout !== on.rollout) {
    return { kind: 'none', why: "the gate waiting now is another rollout's (the one asked about has ended)" };
  }
  if (gate.step !== on.step) {
    return {
      kind: 'none',
      why: `the gate of step ${gate.step + 1} is another gate than the one asked about (step ${on.step + 1}, decided already)`,
    };
  }
  return { kind: 'gate', step: gate.step };
}
