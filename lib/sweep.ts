/**
 * Which records the sweep reconciles, pure. The sweep (functions/tick.ts, every `sweep`) reads only
 * the records with work outstanding (the sparse index, lib/store.ts) and reconciles those that may
 * have been left by a lost event or a lost wake-up; the others it only sends Slack's waiting
 * messages for. The worked examples are the rows of test/sweep.test.ts.
 *
 *   a rollout in flight                                  -> true
 *   a push queued behind a rollout                       -> true
 *   a scaling alarm still in ALARM (its rule applies again after each cooldown) -> true
 *   a frozen push whose window ended at 10:00, now 10:01 -> true; now 09:59 -> false
 *   a wake-up for 10:00 (its message lost), now 10:01    -> true; now 09:59 -> false
 *   a lease until 10:00 never let go (its holder died), now 10:01 -> true; now 09:59 -> false
 *   a rollout in flight, failing, backed off to 10:05, now 10:01 -> false (it waits out its back-off)
 *   nothing of the above (an outbox waiting, say)        -> false
 */
import { backedOff } from './lease.ts';
import type { ServiceRecord } from './record.ts';

export function sweepReconciles(
  r: Pick<ServiceRecord, 'rollout' | 'queuedPush' | 'scaling' | 'frozenPush' | 'wake' | 'failing' | 'lease'>,
  now: number,
): boolean {
  const work =
    Boolean(r.rollout) ||
    Boolean(r.queuedPush) ||
    Object.keys(r.scaling?.firing ?? {}).length > 0 ||
    (r.frozenPush !== undefined && r.frozenPush.until <= now) ||
    (r.wake !== undefined && r.wake.at <= now) ||
    // A holder that died between its commit and its actions (killed, timed out, its own writes
    // refused) left them undone: a rollout it closed may have left the canary up. Nothing else comes
    // back for such a record once the events are spent; a look after the lease decides them again.
    (r.lease !== undefined && r.lease.until <= now);
  return work && !backedOff(r, now);
}
