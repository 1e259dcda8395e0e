/**
 * A batch of task events from the task event queue (lib/task-queue.ts), as the pipeline takes it:
 * grouped by the target each event is of (a canary's tasks are its primary's target), each task
 * once, its newest fact. Pure; the worked examples are in test/task-batch.test.ts, one row each.
 * Each group then costs at most one record read and one reconcile (lib/pipeline.ts onTaskEvents).
 */
import { serviceOf } from './canary-service.ts';
import type { TargetConfig } from './config.ts';
import type { TaskEventFacts, TaskTrigger } from './triggers.ts';

export interface TaskBatchItem {
  /** The message that carried it. */
  id: string;
  task: TaskEventFacts;
  /** Whose task: the primary service's or its canary's. */
  of: 'primary' | 'canary';
  /** What happened, for the log and the reconcile's reason (`task RUNNING`). */
  detail: string;
}

export interface TaskBatchGroup {
  target: TargetConfig;
  /** Each task once: its newest event (by `version`; on a tie the first). */
  items: TaskBatchItem[];
  /** Every message of the group, the duplicates' too: retried or acknowledged with it. */
  ids: string[];
}

/**
 * The batch's events grouped by target, in the order each target first appears; an event of no
 * target is `unmanaged`. Within a group a task's events are folded as the record folds them
 * (lib/event-facts.ts mergeTasks): the one with the highest `version` stands, a duplicate (same
 * version) adds nothing.
 *
 *   [web a v3 RUNNING, web b v2 RUNNING]           -> web: [a v3, b v2]
 *   [web a v3 RUNNING, web a v3 RUNNING]           -> web: [a v3] (a duplicate), ids of both
 *   [web a v3 RUNNING, web a v5 STOPPED]           -> web: [a v5 STOPPED]
 *   [web a v5 STOPPED, web a v3 RUNNING]           -> web: [a v5 STOPPED] (an older event late)
 *   [web-canary c v2, web a v3]                    -> web: [c v2 of canary, a v3 of primary]
 *   [web a v3, api b v1]                           -> web: [a v3]; api: [b v1]
 *   [web in cluster prod, web in cluster batch]    -> two groups, one per target
 *   [other x v1] (not a target)                    -> unmanaged: [other]
 */
export function groupTaskEvents(
  targets: TargetConfig[],
  messages: { id: string; event: TaskTrigger }[],
): { groups: TaskBatchGroup[]; unmanaged: { id: string; service: string }[] } {
  const groups = new Map<string, TaskBatchGroup>();
  const unmanaged: { id: string; service: string }[] = [];
  for (const { id, event } of messages) {
    const { primary, of } = serviceOf(event.service);
    const target = targets.find(
      (t) => t.service === primary && (event.cluster === undefined || t.cluster === event.cluster),
    );
    if (!target) {
      unmanaged.push({ id, service: `${event.cluster ?? '?'}/${event.service}` });
      continue;
    }
    const key = `${target.cluster}/${target.service}`;
    const group = groups.get(key) ?? { target, items: [], ids: [] };
    groups.set(key, group);
    group.ids.push(id);
    const item: TaskBatchItem = {
      id,
      task: event.task,
      of,
      detail: event.detail,
    };
    const had = group.items.findIndex((i) => i.task.taskArn === event.task.taskArn);
    if (had < 0) group.items.push(item);
    else if (event.task.version > group.items[had]!.task.version) group.items[had] = item;
  }
  return { groups: [...groups.values()], unmanaged };
}

/**
 * The reason a batch's reconcile gives: its one event's detail, or how many of each.
 *
 *   ['task RUNNING']                                  -> 'task RUNNING'
 *   ['task RUNNING', 'task RUNNING', 'task STOPPED']  -> '3 task events: task RUNNING ×2, task STOPPED ×1'
 */
export function batchReason(details: string[]): string {
  if (details.length === 1) return details[0]!;
  const counts = new Map<string, number>();
  for (const d of details) counts.set(d, (counts.get(d) ?? 0) + 1);
  const each = [...counts].map(([d, n]) => `${d} ×${n}`).join(', ');
  return `${details.length} task events: ${each}`;
}
