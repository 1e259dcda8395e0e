/**
 * Which event or wake-up made each AWS call of a run: every call the pipeline makes in a local world
 * is counted under the trigger of the Lambda invocation that made it (an ECR push, an ECS service
 * event by name, a task event by status and stop code, a wake-up, the sweep). Used by the headline
 * section (bench/headline.ts) to break `apiCallsPer…Rollout` down, and on its own:
 *
 *   npx tsx bench/calls.ts canary 30m     (strategy canary|rolling, the config's sweep)
 */
import { addLogTap } from '../lib/log.ts';
import { Pipeline } from '../lib/pipeline.ts';
import type { World } from '../local/world.ts';

const TRIGGER = Symbol('bench trigger');

/**
 * `wake-up`, `ECS Service Action SERVICE_STEADY_STATE`, `task web-canary STOPPED/STOPPED
 * ServiceSchedulerInitiated`, …; a batch from the task event queue by its events' kinds:
 * `task batch: web RUNNING/RUNNING`, `task batch: web RUNNING/RUNNING + web-canary STOPPED/STOPPED …`.
 */
export function triggerOf(event: unknown): string {
  const e = event as Record<string, any>;
  if (Array.isArray(e?.Records)) {
    const tasks = e.Records.map((r: { body?: string }) => {
      try {
        return JSON.parse(r.body ?? '');
      } catch {
        return undefined;
      }
    }).filter((b: any) => b?.['detail-type'] === 'ECS Task State Change');
    if (tasks.length === 0) return 'wake-up';
    const kinds = [...new Set(tasks.map((b: unknown) => triggerOf(b).replace(/^task /, '')))].sort();
    return `task batch: ${kinds.join(' + ')}`;
  }
  const type = String(e?.['detail-type'] ?? 'unknown');
  const d = e?.detail ?? {};
  if (type === 'ECS Task State Change')
    return `task ${String(d.group ?? '').replace('service:', '')} ${d.lastStatus}/${d.desiredStatus}${d.stopCode ? ` ${d.stopCode}` : ''}`;
  if (type === 'Scheduled Event') return 'sweep';
  return d.eventName ? `${type} ${d.eventName}` : type;
}

export interface CallsByTrigger {
  /** Per trigger: its invocations and calls by `service:Operation`. */
  byTrigger: Record<string, { invocations: number; calls: Record<string, number> }>;
  /**
   * From now on only the invocations already running are counted (to their end): a rollout's last
   * invocation still records its Slack message after the notice that ends the measurement.
   */
  closeNew(): void;
  /** Every call counted, by `service:Operation`. */
  total(): Record<string, number>;
  stop(): void;
}

/** Counts from now until `stop()`: only calls made inside a pipeline invocation are counted. */
export function countCallsByTrigger(world: World): CallsByTrigger {
  const byTrigger: CallsByTrigger['byTrigger'] = {};
  const handle = Pipeline.prototype.handleEvent;
  let open = true;
  Pipeline.prototype.handleEvent = async function (this: Pipeline, event, remainingMs) {
    if (!open) return handle.call(this, event, remainingMs);
    const label = triggerOf(event);
    byTrigger[label] ??= { invocations: 0, calls: {} };
    byTrigger[label].invocations++;
    const stack = world.tasks.stack<string>(TRIGGER);
    stack.push(label);
    try {
      return await handle.call(this, event, remainingMs);
    } finally {
      stack.splice(stack.lastIndexOf(label), 1);
    }
  };
  const intercept = (service: string, operation: string) => {
    const label = world.tasks.stack<string>(TRIGGER).at(-1);
    if (!label) return;
    const calls = byTrigger[label]!.calls;
    // BENCH_CALLS_TRACE=1: one line per call, virtual time first, to see which invocation wastes what.
    if (process.env.BENCH_CALLS_TRACE)
      console.log(new Date(world.clock.now()).toISOString().slice(11, 19), label, `${service}:${operation}`);
    calls[`${service}:${operation}`] = (calls[`${service}:${operation}`] ?? 0) + 1;
  };
  world.interceptors.push(intercept);
  const untap = process.env.BENCH_CALLS_TRACE === 'log' ? traceLog(world) : undefined;
  return {
    byTrigger,
    closeNew() {
      open = false;
    },
    total() {
      const all: Record<string, number> = {};
      for (const { calls } of Object.values(byTrigger))
        for (const [k, n] of Object.entries(calls)) all[k] = (all[k] ?? 0) + n;
      return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
    },
    stop() {
      untap?.();
      Pipeline.prototype.handleEvent = handle;
      const i = world.interceptors.indexOf(intercept);
      if (i >= 0) world.interceptors.splice(i, 1);
    },
  };
}

/** BENCH_CALLS_TRACE=log: the pipeline's own log lines too, between the calls they explain. */
function traceLog(world: World): () => void {
  return addLogTap((line) => {
    const { level: _l, msg, function: _f, requestId: _r, ...fields } = JSON.parse(line);
    const at = new Date(world.clock.now()).toISOString().slice(11, 19);
    console.log(`${at}   · ${msg} ${JSON.stringify(fields)}`);
  });
}

/** `{ trigger: total }`, largest first: the short form for a results `how`. */
export function triggerTotals(byTrigger: CallsByTrigger['byTrigger']): Record<string, number> {
  const totals = Object.entries(byTrigger)
    .map(([k, v]) => [k, Object.values(v.calls).reduce((s, n) => s + n, 0)] as const)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return Object.fromEntries(totals);
}
