/**
 * A person's commands: deploy, pause, resume, promote, abort, rollback.
 */
import type { TargetConfig } from '../config.ts';
import type { Observation } from '../observation.ts';
import type { Command, Decision } from './decision.ts';
import { startStep } from './progress.ts';
import { acceptPush } from './push.ts';
import { manualRollback, startRollback } from './rollback.ts';

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
    case 'resume':
      if (!rollout || rollout.rollingBack) return;
      rollout.paused = command.name === 'pause';
      d.notices.push({ kind: command.name === 'pause' ? 'paused' : 'resumed', rollout });
      return;
    case 'promote': {
      if (!rollout || rollout.rollingBack) return;
      // Skip the rest of the bake (and with --full, every remaining canary step): the operator vouches.
      rollout.paused = false;
      const to = command.full
        ? rollout.steps.length - 1
        : Math.min(rollout.stepIndex + 1, rollout.steps.length - 1);
      if (to > rollout.stepIndex) {
        rollout.stepIndex = to;
        startStep(d, rollout, to, obs, now);
      } else {
        const step = rollout.steps[rollout.stepIndex]!;
        step.bakeMs = 0;
      }
      return;
    }
    case 'abort':
      if (!rollout || rollout.rollingBack) return;
      startRollback(
        d,
        rollout,
        `aborted by hand${command.reason ? `: ${command.reason}` : ''}`,
        now,
        'aborted',
      );
      return;
    case 'rollback':
      manualRollback(d, obs, command.to, command.reason, now);
      return;
  }
}
