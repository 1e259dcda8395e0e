/**
 * When a service may be reconciled, and by whom.
 *
 * Serialised: one reconcile of a service acts at a time. A burst of events for one service (a
 * rollout's task events arrive in tens) used to make as many concurrent observe-decide-act loops,
 * and a slow one's `setCanary(N)` could land after another's rollback. Now a reconcile that acts
 * holds a lease on the record, taken by the same conditional write that commits its decision; a
 * reconcile that finds another's live lease does not act: it asks the holder for one more round
 * (`again`, a conditional write) and returns, and the holder looks again before it lets go. A
 * holder that died frees the lease when it expires (LEASE_MS, above Lambda's 60 s timeout).
 *
 * Fenced: right before acting on a service, the holder knows the record as stored: by the conditional
 * write that committed the decision when the action follows it at once, or by reading it again
 * (fenceNeedsRead); an action decided from a version that is no longer the stored one, or under a
 * lease that is no longer its own, is not performed (the loop observes and decides again).
 *
 * Backed off: a target whose reconciles keep failing (throttled, refused, deleted) is recorded as
 * failing with a back-off the tick respects, so it costs little and never holds back the others,
 * and a person is told once it persists.
 */
import type { Failing, ServiceRecord } from './record.ts';

/** Above Lambda's 60 s timeout: a lease outlives the invocation that holds it, never much longer. */
export const LEASE_MS = 90_000;

/**
 * Whether another invocation holds the service now.
 *   no lease                       -> false
 *   lease of 'b' until 10:01, 10:00 -> true (for 'a'), false (for 'b')
 *   lease of 'b' until 10:00, 10:01 -> false (expired: its holder died)
 */
export function heldByAnother(record: ServiceRecord, me: string, now: number): boolean {
  return !!record.lease && record.lease.owner !== me && record.lease.until > now;
}

/** The record with the lease taken (or renewed) by `me`, keeping a pending `again` of its own. */
export function withLease(record: ServiceRecord, me: string, now: number): ServiceRecord {
  return { ...record, lease: { owner: me, until: now + LEASE_MS } };
}

/** The record with the holder asked for one more round. */
export function askAgain(record: ServiceRecord): ServiceRecord {
  return record.lease ? { ...record, lease: { ...record.lease, again: true } } : record;
}

/** Whether someone asked the holder for one more round since it last looked. */
export function askedAgain(record: ServiceRecord): boolean {
  return record.lease?.again === true;
}

/** The record without the lease. */
export function withoutLease(record: ServiceRecord): ServiceRecord {
  const { lease: _lease, ...rest } = record;
  return rest;
}

/**
 * Whether an action decided from `decided` may still be performed, given the record as stored now:
 * the lease still ours, and the same version, or a newer one that only asks us for one more look
 * (another invocation's `again`: the decision stands, and must, or a burst of events would fence
 * the holder out of every action).
 *   decided v7 lease a, stored v7 lease a            -> true
 *   decided v7, stored v8 (another commit: a rollback) -> false
 *   decided v7, stored v8 = v7 + lease.again          -> true
 *   stored lease taken over by b                      -> false
 */
export function stillCurrent(decided: ServiceRecord, stored: ServiceRecord, me: string): boolean {
  if (stored.lease?.owner !== me) return false;
  if (stored.version === decided.version) return true;
  const decision = (r: ServiceRecord) =>
    JSON.stringify({ ...r, version: 0, writeId: undefined, lease: { ...r.lease, again: undefined } });
  return decision(stored) === decision(decided);
}

/**
 * Whether an action needs the record read again right before it (its fence), by what it changes
 * and by what came between the decision's commit and it.
 *
 * A registration changes nothing any service runs: a revision registered on a superseded decision is
 * a task definition nobody uses, and it is taken only for the rollout of its own image (lib/act.ts
 * learnedRevision); the next round's decision is committed by a conditional write, which a commit
 * since it makes conflict.
 *
 * Every action on a service is fenced: a person's rollback or pause, or a newer push, committed
 * since our write must not be overtaken by the step it superseded. The first action right after this
 * round's own commit is fenced by that commit: its condition proved the decision current, and a read
 * a moment later would only narrow a window of a few milliseconds to another of the same size (a
 * write landing between the read and the call). A read pays where time passes: after an earlier
 * action (a registration, a scale-in before a switch), or when the round committed nothing.
 *   registerRevision, any                                   -> no read
 *   setCanary, first after this round's commit              -> no read (the commit fenced it)
 *   setPrimary, after the rollback's setCanary              -> read
 *   setCanary, after a registration of the same round       -> read
 *   setCount, the round committed nothing (no change)       -> read
 */
export function fenceNeedsRead(action: { type: string }, rightAfterOwnCommit: boolean): boolean {
  return action.type !== 'registerRevision' && !rightAfterOwnCommit;
}

/**
 * Whether a decision's actions are performed before the decision is committed, its write held for
 * the next round's (lib/pipeline.ts): only a registration on its own. It changes no service, so it
 * is safe before any commit as a look is; a crash after it loses what a crash during the look
 * would (the push comes again: Lambda's retry, or the sweep's missed-push check), and leaves a
 * revision that the digest tag finds the next time (lib/act.ts). Taken before the commit, a push's
 * start, its registration and its first step are one write (and one wake-up) instead of two.
 *   [registerRevision]                  -> before the commit
 *   [registerRevision, setCanary]       -> after (the canary is a service)
 *   [setCanary], [setPrimary], …        -> after
 *   []                                  -> no (nothing to perform)
 */
export function actsBeforeCommit(actions: readonly { type: string }[]): boolean {
  return actions.length === 1 && actions[0]!.type === 'registerRevision';
}

// ---- back-off -----------------------------------------------------------------------------------

/** Waits after 1, 2, 3, 4, 5+ failures in a row: the tick leaves the target alone until then. */
export const BACKOFF_MS = [60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000] as const;
/** Told to a person once it has failed this many times in a row over at least TELL_AFTER_MS. */
export const TELL_AFTER_FAILURES = 3;
export const TELL_AFTER_MS = 5 * 60_000;
/** Told again while it persists, at most this often. */
export const TELL_AGAIN_MS = 3_600_000;

/**
 * The back-off after `count` failures in a row.
 *   1 -> 1m, 2 -> 2m, 3 -> 5m, 4 -> 10m, 5 -> 15m, 9 -> 15m
 */
export function backoffMs(count: number): number {
  return BACKOFF_MS[Math.min(Math.max(count, 1), BACKOFF_MS.length) - 1]!;
}

/**
 * One more failure.
 *   none, 10:00                    -> { since 10:00, count 1, nextAt 10:01 }
 *   { since 10:00, count 2 }, 10:03 -> { since 10:00, count 3, nextAt 10:08 }
 */
export function nextFailing(previous: Failing | undefined, message: string, now: number): Failing {
  const count = (previous?.count ?? 0) + 1;
  return {
    since: previous?.since ?? now,
    count,
    nextAt: now + backoffMs(count),
    message,
    ...(previous?.toldAt !== undefined && { toldAt: previous.toldAt }),
  };
}

/**
 * Whether the failure has persisted enough to tell a person now.
 *   count 2, since 10m ago            -> false (not enough in a row)
 *   count 3, since 2m ago             -> false (not long enough)
 *   count 3, since 6m ago, never told -> true
 *   count 9, told 20m ago             -> false (told within the hour)
 */
export function tellFailing(f: Failing, now: number): boolean {
  if (f.count < TELL_AFTER_FAILURES || now - f.since < TELL_AFTER_MS) return false;
  return f.toldAt === undefined || now - f.toldAt >= TELL_AGAIN_MS;
}

/** Whether the tick should leave the target alone for now. */
export function backedOff(record: Pick<ServiceRecord, 'failing'>, now: number): boolean {
  return !!record.failing && record.failing.nextAt > now;
}
