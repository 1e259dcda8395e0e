/**
 * The `rollouts` section of a scenario report, read from the service records (the source of
 * truth), so it shows what the pipeline itself recorded, including rollouts still in progress.
 */

import { canaryServiceName } from '../../lib/canary-service.ts';
import type { TargetConfig } from '../../lib/config.ts';
import type { Notice } from '../../lib/notice.ts';
import type { Rollout, RolloutSummary, ServiceRecord } from '../../lib/record.ts';
import { shortRevision } from '../../lib/revision.ts';
import type { ServedKey } from '../services/elbv2/served.ts';

/** What the local load balancer served in [from, to), per target group, revision and service. */
export type ServedBetween = (from: number, to: number) => { key: ServedKey; requests: number }[];

/**
 * The step's share as the load balancer really served it: the requests the rollout's revision
 * answered over all the requests the service and its canary answered, from the step's start to the
 * next step's (or the rollout's end, or now), in percent with one decimal. Undefined without traffic.
 *
 *   canary revision 1,000 of 10,000 requests  → 10
 *   canary revision 3,333 of 10,000           → 33.3
 */
export function servedShare(
  service: string,
  revision: string,
  from: number,
  to: number,
  served: ServedBetween,
): { servedShare?: number; requests: number } {
  const [cluster, name] = service.split('/') as [string, string];
  const ours = new Set([service, `${cluster}/${canaryServiceName(name)}`]);
  let total = 0;
  let mine = 0;
  for (const row of served(from, to)) {
    if (!row.key.service || !ours.has(row.key.service)) continue;
    total += row.requests;
    if (row.key.revision === revision) mine += row.requests;
  }
  if (!(total > 0)) return { requests: 0 };
  return { servedShare: Math.round((mine / total) * 1000) / 10, requests: Math.round(total) };
}

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
  /**
   * Each step: the share it asked for, when it was reached, and (with the local load balancer's
   * counts) the share of the service's requests the new revision really answered during it.
   */
  steps: {
    percent: number;
    reachedAt?: string;
    /** Weighted traffic: when the listener weights moved to the step's share (its served share counts from here). */
    shiftedAt?: string;
    servedShare?: number;
    requests?: number;
  }[];
  failures: { taskArn: string; reason: string; exitCode?: number; container?: string }[];
  /**
   * Whether the service's record holds the digest as bad now (a later push of it is refused): a
   * rollback the image was not to blame for (a cluster with no room) leaves it unmarked.
   */
  digestMarkedBad: boolean;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function rolloutsReport(
  records: ServiceRecord[],
  traffic?: { served: ServedBetween; now: number },
): RolloutReport[] {
  const out: RolloutReport[] = [];
  for (const r of records) {
    const bad = (digest: string) => r.badDigests[digest] !== undefined;
    for (const h of r.history)
      out.push(withServed(fromSummary(r.key, h, bad(h.image.digest)), h, h.endedAt, traffic));
    if (r.rollout && !r.rollout.rollingBack)
      out.push(
        withServed(inProgress(r.key, r.rollout, bad(r.rollout.image.digest)), r.rollout, undefined, traffic),
      );
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.service.localeCompare(b.service));
}

/** Each reached step's served share, over its window: to the next step's start, the end, or now. */
function withServed(
  report: RolloutReport,
  r: RolloutSummary | Rollout,
  endedAt: number | undefined,
  traffic: { served: ServedBetween; now: number } | undefined,
): RolloutReport {
  if (!traffic || !r.taskDefinition) return report;
  // By weight a step's share holds from its shift; by tasks, from when its tasks were asked for.
  const starts = report.steps.map((s) => {
    const at = s.shiftedAt ?? s.reachedAt;
    return at ? Date.parse(at) : undefined;
  });
  report.steps = report.steps.map((s, i) => {
    const from = starts[i];
    if (from === undefined) return s;
    const to = starts.slice(i + 1).find((x) => x !== undefined) ?? endedAt ?? traffic.now;
    return to > from
      ? { ...s, ...servedShare(report.service, r.taskDefinition!, from, to, traffic.served) }
      : s;
  });
  return report;
}

function fromSummary(service: string, h: RolloutSummary, digestMarkedBad: boolean): RolloutReport {
  return report(service, h, digestMarkedBad, {
    outcome: h.outcome,
    reason: h.reason,
    endedAt: iso(h.endedAt),
    rollbackAt: h.outcome === 'rolled_back' || h.outcome === 'aborted' ? iso(h.endedAt) : undefined,
    steps: h.steps.map((s) => ({
      percent: s.percent,
      reachedAt: iso(s.reachedAt),
      ...(s.shiftedAt !== undefined && { shiftedAt: iso(s.shiftedAt) }),
    })),
  });
}

function inProgress(service: string, r: Rollout, digestMarkedBad: boolean): RolloutReport {
  return report(service, r, digestMarkedBad, {
    outcome: 'in_progress',
    reason: `at step ${r.stepIndex + 1} of ${r.steps.length}${r.paused ? ' (paused)' : ''}`,
    steps: r.steps.map((s) => ({
      percent: s.percent,
      reachedAt: iso(s.startedAt),
      ...(s.shiftedAt !== undefined && { shiftedAt: iso(s.shiftedAt) }),
    })),
  });
}

/** A finished rollout (its summary) or one in progress, in the report's order of fields. */
function report(
  service: string,
  r: RolloutSummary | Rollout,
  digestMarkedBad: boolean,
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
    digestMarkedBad,
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
