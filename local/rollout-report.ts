/**
 * The `rollouts` section of a scenario report, read from the service records (the source of
 * truth), so it shows what the pipeline itself recorded, including rollouts still in progress.
 */

import type { TargetConfig } from '../lib/config.ts';
import type { Notice } from '../lib/notice.ts';
import type { Rollout, RolloutSummary, ServiceRecord } from '../lib/record.ts';
import { shortRevision } from '../lib/revision.ts';

export interface RolloutReport {
  service: string;
  image: string;
  digest: string;
  taskDefinition?: string;
  strategy: string;
  outcome: RolloutSummary['outcome'] | 'in_progress';
  reason: string;
  startedAt: string;
  endedAt?: string;
  /** When the rollback was called (rolled-back rollouts only). */
  rollbackAt?: string;
  steps: { percent: number; reachedAt?: string }[];
  failures: { taskArn: string; reason: string; exitCode?: number; container?: string }[];
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function rolloutsReport(records: ServiceRecord[]): RolloutReport[] {
  const out: RolloutReport[] = [];
  for (const r of records) {
    for (const h of r.history) out.push(fromSummary(r.key, h));
    if (r.rollout && !r.rollout.rollingBack) out.push(inProgress(r.key, r.rollout));
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.service.localeCompare(b.service));
}

function fromSummary(service: string, h: RolloutSummary): RolloutReport {
  return report(service, h, {
    outcome: h.outcome,
    reason: h.reason,
    endedAt: iso(h.endedAt),
    rollbackAt: h.outcome === 'rolled_back' || h.outcome === 'aborted' ? iso(h.endedAt) : undefined,
    steps: h.steps.map((s) => ({ percent: s.percent, reachedAt: iso(s.reachedAt) })),
  });
}

function inProgress(service: string, r: Rollout): RolloutReport {
  return report(service, r, {
    outcome: 'in_progress',
    reason: `at step ${r.stepIndex + 1} of ${r.steps.length}${r.paused ? ' (paused)' : ''}`,
    steps: r.steps.map((s) => ({ percent: s.percent, reachedAt: iso(s.startedAt) })),
  });
}

/** A finished rollout (its summary) or one in progress, in the report's order of fields. */
function report(
  service: string,
  r: RolloutSummary | Rollout,
  how: Pick<RolloutReport, 'outcome' | 'reason' | 'endedAt' | 'rollbackAt' | 'steps'>,
): RolloutReport {
  return {
    service,
    image: `${r.image.repository}:${r.image.tag}`,
    digest: r.image.digest,
    taskDefinition: r.taskDefinition ? shortRevision(r.taskDefinition) : undefined,
    strategy: r.strategy,
    outcome: how.outcome,
    reason: how.reason,
    startedAt: iso(r.startedAt)!,
    ...('endedAt' in how && { endedAt: how.endedAt, rollbackAt: how.rollbackAt }),
    steps: how.steps,
    failures: r.failures.map((f) => ({
      taskArn: f.taskArn,
      reason: f.stoppedReason,
      exitCode: f.exitCode,
      container: f.container,
    })),
  };
}

export interface ScalingReport {
  service: string;
  from: number;
  to: number;
  alarm: string;
  reason: string;
  at: string;
  summary: string;
}

/** The `scaling` section: every change of a service's total, with the alarm and why. */
export function scalingReport(
  notices: { at: number; notice: Notice; target: TargetConfig }[],
): ScalingReport[] {
  return notices.flatMap(({ at, notice, target }) => {
    if (notice.kind !== 'scaled') return [];
    const service = `${target.cluster}/${target.service}`;
    return [
      {
        service,
        from: notice.from,
        to: notice.to,
        alarm: notice.alarm.name,
        reason: notice.reason,
        at: new Date(at).toISOString(),
        summary: `${service} scaled ${notice.from} -> ${notice.to}: ${notice.reason}`,
      },
    ];
  });
}
