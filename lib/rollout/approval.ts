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
import type { Decision } from './decision.ts';
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
 *   no wait yet, now 5m, timeout 1h                  -> wait since 5m, times out at 1h5m
 *   waiting since 0 until 1h, now 59m59s             -> wait since 0, times out at 1h
 *   waiting since 0 until 1h, now 1h, rollback       -> rollback
 *   waiting since 0 until 1h, now 3h, hold           -> hold
 *   waiting since 0 until 1h, held at 1h, now 9h     -> hold (it holds until someone decides)
 */
export function gateVerdict(
  wait: Pick<ApprovalWait, 'since' | 'timesOutAt'> | undefined,
  now: number,
  timeoutMs: number,
  onTimeout: 'rollback' | 'hold',
): GateVerdict {
  if (!wait) return { kind: 'wait', since: now, timesOutAt: now + timeoutMs };
  if (now < wait.timesOutAt) return { kind: 'wait', since: wait.since, timesOutAt: wait.timesOutAt };
  return { kind: onTimeout };
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
  const verdict = gateVerdict(current, now, target.approvalTimeoutMs, target.onApprovalTimeout);
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
