/** A rollout as the service record holds it, for the tests of the rules that read one. */
import type { Rollout } from '../../lib/record.ts';

/** The task definition ARNs of the test rollouts: `${TD}web:2`. */
export const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/';

/**
 * The canary rollout of web:v`n` (revision web:`n`) over web:`n - 1`, started at 0 and at its first
 * step, nothing failed yet; `extra` sets its steps and whatever else the case is about.
 */
export function canaryRollout(n: number, extra: Partial<Rollout> = {}): Rollout {
  return {
    id: 'r1',
    image: { repository: 'web', tag: `v${n}`, digest: `sha256:${n}`, uri: `web@sha256:${n}` },
    strategy: 'canary',
    steps: [],
    stepIndex: 0,
    fromTaskDefinition: `${TD}web:${n - 1}`,
    taskDefinition: `${TD}web:${n}`,
    startedAt: 0,
    failures: [],
    ignoredAlarms: [],
    ...extra,
  };
}
