/**
 * `autopilot history CLUSTER/SERVICE [--limit N]`: the service's rollouts and rollbacks by hand,
 * newest first (the record keeps the last 25), the one in progress on top: from what revision, to
 * what, how it ended, and why. Read-only.
 *
 *   STARTED               IMAGE   FROM -> TO      OUTCOME              TOOK   WHY
 *   2026-01-01 09:40:00Z  -       web:3 -> web:2  rolled back by hand  0s     latency after v4
 *   2026-01-01 09:30:00Z  web:v3  web:2 -> web:3  rolled back          1m12s  1 new task failed: Essential container…
 *   2026-01-01 09:05:00Z  web:v2  web:1 -> web:2  succeeded            9m58s  every step healthy and baked
 */
import {
  clockTime,
  type Deps,
  describeRollout,
  fromTo,
  keyOf,
  lastGoodJson,
  outcomeOf,
  printJson,
  rolloutView,
  summaryJson,
  table,
  targetOf,
  took,
  whyOf,
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
      lastGood: record.lastGood ? lastGoodJson(record.lastGood) : null,
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
      `${view.from} -> ${view.revision ?? '(registering)'}`,
      'in progress',
      took(deps.now() - current.startedAt),
      describeRollout(view),
    ]);
  }
  for (const h of past) {
    const s = summaryJson(h);
    const { from, to } = fromTo(h);
    rows.push([
      clockTime(h.startedAt),
      s.image ?? '-',
      from || to ? `${from ?? '?'} -> ${to ?? '(not registered)'}` : '-',
      outcomeOf(h),
      took(h.endedAt - h.startedAt),
      whyOf(h),
    ]);
  }
  if (rows.length === 0) {
    deps.io.out(`${keyOf(target)}: no rollouts recorded yet\n`);
    return 0;
  }
  deps.io.out(table(['STARTED', 'IMAGE', 'FROM -> TO', 'OUTCOME', 'TOOK', 'WHY'], rows));
  return 0;
}
