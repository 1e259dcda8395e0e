/**
 * The record's byte budget. A DynamoDB item is at most 400 KB (names and values, UTF-8), and the
 * record is committed before the pipeline acts: a record that outgrows the limit makes every write
 * fail, and the rollback it decided never happens. One 200-task all-at-once failure made a 185 KB
 * record, because task failures were kept in full and copied into history.
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items)
 *
 * So every write goes through `fitRecord` (lib/store.ts):
 * - a rollout keeps its first FAILURES_KEPT failures in full; the rest become counts by reason,
 *   with the short ids of the tasks already counted, so a failure seen again is not counted twice
 *   (lib/decide.ts re-adds a failure it does not find in the list);
 * - a history entry keeps its first HISTORY_FAILURES_KEPT failures and counts the rest;
 * - history is bounded by bytes as well as by count: the oldest entries go first;
 * - what is left must fit RECORD_BUDGET_BYTES, well under the limit, or the write is refused with
 *   RecordTooLargeError (never sent to be refused by DynamoDB with a ValidationException).
 *
 * Worked example, a rollout whose 5,000 new tasks failed on the same exit:
 *   failures        5,000 × ~330 B = 1.6 MB  ->  20 in full (~6.6 KB)
 *   failuresBeyond  { count: 4980, byReason: { 'Essential container in task exited': 4980 }, seen: 4980 × 9 B }
 *   the record      ~52 KB, and ~8 KB once the rollout closes into history (3 failures in full + counts)
 */
import { PermanentError } from './errors.ts';
import type { FailuresBeyond, RolloutSummary, ServiceRecord, TaskFailure } from './record.ts';

/** Well under DynamoDB's 400 KB, leaving room for the key, the version and the outbox's own bound. */
export const RECORD_BUDGET_BYTES = 200_000;
export const FAILURES_KEPT = 20;
export const HISTORY_FAILURES_KEPT = 3;
/** Beyond this many ids the rest of a rollout's failures are counted without them (rare: 10,000+ tasks). */
export const SEEN_IDS_KEPT = 10_000;

export class RecordTooLargeError extends PermanentError {
  override readonly name = 'RecordTooLargeError';
  constructor(key: string, bytes: number) {
    super(
      `the record of ${key} would be ${bytes} bytes, over the ${RECORD_BUDGET_BYTES}-byte budget even with history trimmed`,
    );
  }
}

/** The stored size of a record: its JSON, as lib/store.ts writes it, in UTF-8 bytes. */
export function recordBytes(record: ServiceRecord): number {
  return Buffer.byteLength(JSON.stringify(record), 'utf8');
}

/**
 * The short id a counted failure is remembered by.
 *   'arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f60718293a4b5c6d7e8f9' -> 'c6d7e8f9'
 */
export function shortTaskId(taskArn: string): string {
  return taskArn.slice(-8);
}

/** The reason a failure is counted under: its stop reason, without the task-specific tail. */
export function failureReason(f: TaskFailure): string {
  return (f.stoppedReason || f.stopCode || 'unknown').slice(0, 120);
}

/**
 * `failures` past the first `kept`, folded into `beyond` (a failure already counted is not counted
 * again). With seen ids, up to SEEN_IDS_KEPT are kept.
 *   25 failures, kept 20, no beyond -> 20 failures, beyond { count: 5, byReason: { exited: 5 }, seen: 5 ids }
 *   the same 25 again               -> unchanged (the 5 are in seen)
 */
export function foldFailuresBeyond(
  failures: TaskFailure[],
  beyond: FailuresBeyond | undefined,
  kept: number,
  withSeen: boolean,
): { failures: TaskFailure[]; beyond?: FailuresBeyond } {
  if (failures.length <= kept) return { failures, ...(beyond && { beyond }) };
  const seenIds = new Set(beyond?.seen ? beyond.seen.split(' ') : []);
  const next: FailuresBeyond = { count: beyond?.count ?? 0, byReason: { ...beyond?.byReason } };
  for (const f of failures.slice(kept)) {
    const id = shortTaskId(f.taskArn);
    if (withSeen && seenIds.has(id)) continue;
    if (withSeen && seenIds.size < SEEN_IDS_KEPT) seenIds.add(id);
    next.count++;
    const reason = failureReason(f);
    next.byReason[reason] = (next.byReason[reason] ?? 0) + 1;
  }
  if (withSeen && seenIds.size > 0) next.seen = [...seenIds].join(' ');
  return { failures: failures.slice(0, kept), beyond: next };
}

/** A history entry with its first failures in full and the rest counted (no ids: never seen again). */
function fitSummary(s: RolloutSummary): RolloutSummary {
  if (s.failures.length <= HISTORY_FAILURES_KEPT && !s.failuresBeyond?.seen) return s;
  const { failures, beyond } = foldFailuresBeyond(s.failures, s.failuresBeyond, HISTORY_FAILURES_KEPT, false);
  const { seen: _seen, ...counts } = beyond ?? { count: 0, byReason: {} };
  return { ...s, failures, ...(beyond && { failuresBeyond: counts }) };
}

/**
 * The record as it may be written: failures folded, history trimmed by bytes (oldest first).
 * Throws RecordTooLargeError when even that does not fit.
 */
export function fitRecord(record: ServiceRecord): ServiceRecord {
  let out = record;
  const rollout = out.rollout;
  if (rollout && rollout.failures.length > FAILURES_KEPT) {
    const { failures, beyond } = foldFailuresBeyond(
      rollout.failures,
      rollout.failuresBeyond,
      FAILURES_KEPT,
      true,
    );
    out = { ...out, rollout: { ...rollout, failures, ...(beyond && { failuresBeyond: beyond }) } };
  }
  if (out.history.some((s) => s.failures.length > HISTORY_FAILURES_KEPT || s.failuresBeyond?.seen)) {
    out = { ...out, history: out.history.map(fitSummary) };
  }
  let bytes = recordBytes(out);
  if (bytes <= RECORD_BUDGET_BYTES) return out;
  // History is bounded by bytes too: drop the oldest entries until the record fits.
  const history = [...out.history];
  while (history.length > 0 && bytes > RECORD_BUDGET_BYTES) {
    history.shift();
    bytes = recordBytes({ ...out, history });
  }
  out = { ...out, history };
  if (bytes > RECORD_BUDGET_BYTES) throw new RecordTooLargeError(record.key, bytes);
  return out;
}

/**
 * Whether a task is counted among a rollout's failures already: kept in full, or beyond them by its
 * short id. The sets are built once; the predicate is asked per task.
 *   failures [a], beyond seen "b c"   -> a, b, c counted; d not
 */
export function countedAmongFailures(rollout: {
  failures: TaskFailure[];
  failuresBeyond?: FailuresBeyond;
}): (taskArn: string) => boolean {
  const kept = new Set(rollout.failures.map((f) => f.taskArn));
  const beyond = new Set((rollout.failuresBeyond?.seen ?? '').split(' ').filter(Boolean));
  return (taskArn) => kept.has(taskArn) || beyond.has(shortTaskId(taskArn));
}

/** How many of a rollout's (or summary's) tasks failed in all: those kept in full and those counted. */
export function failureCount(r: { failures: TaskFailure[]; failuresBeyond?: FailuresBeyond }): number {
  return r.failures.length + (r.failuresBeyond?.count ?? 0);
}
