/**
 * A person's commands: deploy, pause, resume, promote, abort, rollback, approve, reject.
 */

import type { TargetConfig } from '../config.ts';
import { isEcsStrategy } from '../ecs-strategy.ts';
import type { Observation } from '../observation.ts';
import { type Rollout, withBadDigest } from '../record.ts';
import { decisionSubject, needsApproval, resumedWait } from './approval.ts';
import type { Command, Decision, DecisionTarget } from './decision.ts';
import { startStep } from './progress.ts';
import { acceptPush, ignore } from './push.ts';
import { manualRollback, startRollback } from './rollback.ts';
import { askedForTasks, freshSteps } from './step-state.ts';

export function applyCommand(
  d: Decision,
  obs: Observation,
  target: TargetConfig,
  command: Command,
  now: number,
) {
  const rollout = d.record.rollout;
  switch (command.name) {
    case 'deploy':
      acceptPush(d, obs, target, command.image, now, true);
      return;
    case 'pause':
      if (!rollout || rollout.rollingBack) return;
      rollout.paused = true;
      rollout.pausedAt ??= now;
      d.notices.push({ kind: 'paused', rollout });
      return;
    case 'resume':
      if (!rollout || rollout.rollingBack) return;
      resume(rollout, obs, now);
      d.notices.push({ kind: 'resumed', rollout });
      return;
    case 'promote': {
      if (!rollout || rollout.rollingBack) return;
      if (command.from !== undefined && command.from !== rollout.stepIndex) {
        // A button drawn at another step: promoting now would skip a step nobody looked at.
        d.skipped = `promote asked at step ${command.from + 1}; the rollout is at step ${rollout.stepIndex + 1} now`;
        return;
      }
      if (isEcsStrategy(rollout.strategy)) {
        // ECS times its own shifts and bakes: nothing here can move them sooner.
        d.skipped = `ECS times the shifts and bakes of strategy ${rollout.strategy}: promote does not apply (pause, resume and abort do)`;
        return;
      }
      // Skip the rest of the bake (and with --full, every remaining canary step): the operator vouches.
      // An approval gate is not skipped: promote goes up to it, and the rollout waits there.
      resume(rollout, obs, now);
      let to = command.full
        ? rollout.steps.length - 1
        : Math.min(rollout.stepIndex + 1, rollout.steps.length - 1);
      for (let i = rollout.stepIndex + 1; i <= to; i++) {
        if (needsApproval(rollout.steps, rollout.approvals, i)) to = i - 1;
      }
      if (to > rollout.stepIndex) {
        rollout.stepIndex = to;
        startStep(d, rollout, to, obs, target, now);
      } else {
        const step = rollout.steps[rollout.stepIndex]!;
        step.bakeMs = 0;
      }
      return;
    }
    case 'abort':
      if (!rollout || rollout.rollingBack) return;
      // A revision a person deployed to the primary during the rollout stays: the pipeline said it
      // would not undo it (progress.ts), so an abort ends the rollout there, the canary scaled in.
      startRollback(
        d,
        rollout,
        `aborted by hand${command.reason ? `: ${command.reason}` : ''}`,
        now,
        'aborted',
        undefined,
        rollout.heldFor ?? rollout.fromTaskDefinition,
      );
      return;
    case 'rollback':
      manualRollback(d, obs, command.to, command.reason, now);
      return;
    case 'approve': {
      const { gate, subject } = decidedOn(d, rollout, command.on);
      if (subject.kind === 'none') {
        if (command.on) d.skipped = `approve: ${subject.why}`;
        return;
      }
      if (rollout && gate && subject.kind === 'gate') {
        // The rollout takes the step in this same decision (progress, lib/rollout/approval.ts).
        rollout.approvals = [
          ...(rollout.approvals ?? []),
          { gate: 'step', step: gate.step, by: command.by, at: now },
        ];
        rollout.approval = undefined;
        d.notices.push({
          kind: 'approved',
          image: rollout.image,
          by: command.by,
          stepIndex: gate.step,
          percent: rollout.steps[gate.step]!.percent,
        });
        return;
      }
      const frozen = d.record.frozenPush;
      if (!frozen) return;
      d.record.frozenPush = undefined;
      d.notices.push({ kind: 'approved', image: frozen.image, by: command.by });
      acceptPush(d, obs, target, frozen.image, now, frozen.forced, undefined, true);
      const started = d.record.rollout;
      if (started?.image.digest === frozen.image.digest) {
        started.approvals = [{ gate: 'freeze', by: command.by, at: now }];
      }
      return;
    }
    case 'reject': {
      const why = `rejected by ${command.by}${command.reason ? `: ${command.reason}` : ''}`;
      // A person's no is about the image: a duplicate push event of it does not bring it back.
      const { gate, subject } = decidedOn(d, rollout, command.on);
      if (subject.kind === 'none') {
        if (command.on) d.skipped = `reject: ${subject.why}`;
        return;
      }
      if (rollout && gate && subject.kind === 'gate') {
        const step = rollout.steps[gate.step]!;
        const reason = `${why} at the approval of step ${gate.step + 1} (${step.percent}%)`;
        startRollback(d, rollout, reason, now, 'aborted');
        d.record = withBadDigest(d.record, rollout.image.digest, reason, now);
        return;
      }
      const frozen = d.record.frozenPush;
      if (!frozen) return;
      d.record.frozenPush = undefined;
      const reason = `${why} while it waited for the freeze`;
      ignore(d, frozen.image, reason, now, target.strategy);
      d.record = withBadDigest(d.record, frozen.image.digest, reason, now);
      return;
    }
  }
}

/**
 * Carries on after a pause: the step's deadline clock and an approval gate's timeout move on by
 * the time paused (a pause stops them), and after a person's deploy to the primary the rollout
 * carries on from that revision: it is what a rollback returns to, since the person chose it.
 */
/**
 * What an approve or reject decides on: the gate the rollout waits at (none while it rolls back) or
 * the frozen push, checked against what the click or command named (`on`; lib/rollout/approval.ts).
 */
function decidedOn(d: Decision, rollout: Rollout | undefined, on: DecisionTarget | undefined) {
  const gate = rollout && !rollout.rollingBack ? rollout.approval : undefined;
  const subject = decisionSubject(
    gate && rollout && { rollout: rollout.id, step: gate.step },
    d.record.frozenPush,
    on,
  );
  return { gate, subject };
}

function resume(rollout: Rollout, obs: Observation, now: number) {
  const step = rollout.steps[rollout.stepIndex];
  // A step recorded before the unhealthy clock existed counts from its start while not healthy.
  const since = step && (step.unhealthySince ?? (step.healthyAt === undefined ? step.startedAt : undefined));
  if (step && rollout.paused && rollout.pausedAt !== undefined && since !== undefined) {
    step.unhealthySince = Math.min(now, since + (now - Math.max(rollout.pausedAt, since)));
  }
  if (rollout.heldFor !== undefined && obs.primary.taskDefinition === rollout.heldFor) {
    rollout.fromTaskDefinition = rollout.heldFor;
    if (isEcsStrategy(rollout.strategy)) {
      // The person's UpdateService replaced ECS's deployment (ECS rolled it back, ROLLBACK_*): kept,
      // it read as ECS's own verdict and a healthy image was rolled back and marked bad (stranger18
      // 01, 02). ECS runs its strategy again from the start in a new deployment, and so do the steps.
      rollout.ecsDeployment = undefined;
      rollout.restartedAt = now;
      rollout.stepIndex = 0;
      rollout.steps = freshSteps(rollout.steps);
    } else if (step && (step.percent === 100 || rollout.promotedAt !== undefined)) {
      // The person's deploy replaced what the promotion had put on the primary: it is promoted
      // again, from the start, and bakes again. Kept, `promotedAt` would read the primary on `from`
      // as ECS's own rollback (progress.ts ecsVerdict), and a healthy image was rolled back and
      // marked bad (stranger17 03-05). Under listener weights the routes go back through the canary.
      rollout.promotedAt = undefined;
      if (rollout.canaryDetached) {
        rollout.canaryDetached = undefined;
        rollout.canaryWeight = undefined;
      }
      askedForTasks(step, now);
    }
  }
  if (rollout.approval && rollout.paused && rollout.pausedAt !== undefined) {
    // A pause stopped the approval's timeout too: what was left is left again (gateVerdict).
    rollout.approval = resumedWait(rollout.approval, rollout.pausedAt, now);
  }
  rollout.heldFor = undefined;
  rollout.paused = false;
  rollout.pausedAt = undefined;
}
