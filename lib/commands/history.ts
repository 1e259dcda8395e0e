/**
 * `autopilot history CLUSTER/SERVICE [--limit N]`: the service's rollouts, newest first, with their
 * outcome and reason (the record keeps the last 25), the one in progress on top. Read-only.
 *
 *   STARTED               IMAGE   REVISION  OUTCOME      TOOK    REASON
 *   2026-01-01 09:30:00Z  web:v3  web:3     rolled back  1m12s   1 new task failed: Essential container…
 *   2026-01-01 09:05:00Z  web:v2  web:2     succeeded    9m58s   every step healthy and baked
 */
import {
  clockTime,
  type Deps,
  describeRollout,
  keyOf,
  outcomeText,
  printJson,
  rolloutView,
  summaryJson,
  table,
  targetOf,
  took,
} from './common.ts';

export interface HistoryOptions {
  service: string;
  limit?: number;
  json?: boolean;
}

export async function history(options: HistoryOptions, deps: Deps): Promise<number> {
  const target = targetOf(options.service, deps);
  const record = await deps.store.get(target.cluster, target.service);
  const limit = options.limit ?? record.history.length;
  const past = record.history.slice(-limit).reverse();
  const current = record.rollout && !record.rollout.rollingBack ? record.rollout : undefined;
  if (options.json) {
    printJson(deps.io, {
      service: keyOf(target),
      inProgress: current ? rolloutView(current, deps.now()) : null,
      lastGood: record.lastGood ?? null,
      history: past.map(summaryJson),
    });
    return 0;
  }
  const rows: string[][] = [];
  if (current) {
    const view = rolloutView(current, deps.now());
    rows.push([
      clockTime(current.startedAt),
      view.image,
      view.revision ?? '',
      'in progress',
      took(deps.now() - current.startedAt),
      describeRollout(view),
    ]);
  }
  for (const h of past) {
    const s = summaryJson(h);
    rows.push([
      clockTime(h.startedAt),
      s.image,
      s.revision ?? '',
      outcomeText(h.outcome),
      took(h.endedAt - h.startedAt),
      h.reason,
    ]);
  }
  if (rows.length === 0) {
    deps.io.out(`${keyOf(target)}: no rollouts recorded yet\n`);
    return 0;
  }
  deps.io.out(table(['STARTED', 'IMAGE', 'REVISION', 'OUTCOME', 'TOOK', 'REASON'], rows));
  return 0;
}
