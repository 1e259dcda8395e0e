/**
 * The glue between a decision and alarm-driven scaling (lib/scaling.ts holds the rules): the
 * record's scaling state is advanced, and the primary's desired count kept at the total.
 */
import type { Observation } from '../observation.ts';
import { clampCount, decideScale, type ScaleDecision, type ScalingPolicy } from '../scaling.ts';
import type { Decision } from './decision.ts';

/**
 * Scaling owns the service's total: each scaling alarm is weighed (lib/scaling.ts); of the changes
 * asked for at once, the largest scale-out wins, else the smallest scale-in, as Application Auto
 * Scaling does with several policies. The primary's desired count is kept at the total, so a deploy
 * that resets the count is put right; a rollout sizes its canary from it and a rollback leaves it.
 */
export function scale(d: Decision, obs: Observation, policy: ScalingPolicy, now: number) {
  if (!obs.primary.exists) return;
  const state = d.record.scaling ?? { firing: {} };
  if (obs.externalScaler) {
    // Two owners of desiredCount fight: the pipeline stands aside and says so once.
    if (state.blockedBy !== obs.externalScaler) {
      d.record.scaling = { ...state, blockedBy: obs.externalScaler };
      d.notices.push({ kind: 'blocked', reason: `scaling is off: ${obs.externalScaler}` });
    }
    return;
  }
  const baking = d.record.rollout !== undefined && !d.record.rollout.rollingBack;
  const firing = { ...state.firing };
  let best: (ScaleDecision & { change: NonNullable<ScaleDecision['change']> }) | undefined;
  for (const reading of obs.scalingAlarms ?? []) {
    const decided = decideScale(state, policy, reading, obs.primary.desiredCount, now, baking);
    const mark = decided.state.firing[reading.name];
    if (mark) firing[reading.name] = mark;
    else delete firing[reading.name];
    if (decided.change && (!best || decided.change.to > best.change.to))
      best = { ...decided, change: decided.change };
  }
  if (best) firing[best.change.alarm] = best.state.firing[best.change.alarm]!;
  const next = best ? { ...best.state, firing } : { ...state, firing };
  delete next.blockedBy;
  next.total = clampCount(next.total ?? obs.primary.desiredCount, policy);
  d.record.scaling = next;
  if (best) {
    const reading = obs.scalingAlarms!.find((a) => a.name === best.change.alarm)!;
    d.notices.push({
      kind: 'scaled',
      from: best.change.from,
      to: best.change.to,
      alarm: reading,
      reason: best.change.reason,
    });
  }
  // Once a rollout's steps began, the rollout sizes the primary from the total (lib/rollout/progress.ts):
  // past the surge the primary is meant to run fewer tasks than the total.
  const sizing = baking && d.record.rollout!.steps.some((s) => s.startedAt !== undefined);
  if (obs.primary.desiredCount !== next.total && !sizing) {
    d.actions.push({ type: 'setCount', desiredCount: next.total });
  }
}
