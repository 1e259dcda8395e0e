/**
 * The outbox: Slack messages decided but not yet delivered, kept in the service's record as plain
 * data (lib/outbox-entry.ts), so they are committed by the same conditional write as the decision
 * that made them and outlive any crash. The arithmetic is here, pure; deliver.ts does the I/O.
 *
 * An entry's life:
 *   queued (due at nextAt) -> leased (a send in flight until lease.until) -> removed once Slack
 *   said ok, or once it failed for good (logged once) -> or queued again, due later.
 *
 * Order: per service and webhook, the oldest entry goes first, and a newer one waits while an
 * older one waits for its retry, so a channel never reads "succeeded" before "started". An entry
 * that failed for good is removed and no longer holds the others back. Webhooks do not wait for
 * each other: an on-call channel that is down holds back nothing in the team's channel.
 *
 * Retries (the examples are checked in test/slack-outbox.test.ts):
 *   after attempt 1, 2, 3, 4, 5, 6…      wait 10s, 30s, 1m, 2m, 5m, 5m… (so Slack back from an outage
 *                                        hears within 5 minutes)
 *   429 with Retry-After: 30             wait 30s
 *   a retry due more than 24h after the decision: given up (and logged once, by deliver.ts)
 */
import { bounded, type Notice } from '../notice.ts';
import type { OutboxEntry } from '../outbox-entry.ts';
import type { SendResult } from './send.ts';

/**
 * The outbox is bounded by bytes (it lives in the record, lib/record-size.ts) and by count. Past
 * either, the least important kinds go first, oldest first, and the next message to that webhook
 * says how many were shed. What a person must read is never shed: a rollback, an error, a
 * blocked scaling. (A Slack outage with 41 messages queued once dropped 11, the rollback among them.)
 */
export const OUTBOX_BYTES = 64_000;
export const OUTBOX_LIMIT = 100;
/** Shed first to last; kinds not listed are never shed. */
export const SHED_ORDER: readonly Notice['kind'][] = [
  'step',
  'scaled',
  'resumed',
  'paused',
  'ignored',
  'started',
  'superseded',
  'succeeded',
];
/** `blocked` is an error that needs a person, or another owner of the count (lib/notice.ts). */
export const NEVER_SHED: readonly Notice['kind'][] = ['rolled_back', 'blocked'];

const bytes = (e: OutboxEntry) => Buffer.byteLength(JSON.stringify(e), 'utf8');

/**
 * The outbox within OUTBOX_BYTES and OUTBOX_LIMIT: entries shed by SHED_ORDER (oldest first within
 * a kind), never one of NEVER_SHED (not in SHED_ORDER) and never one being sent (leased). Each shed entry is counted on
 * the next entry kept for its webhook.
 *
 *   45 entries (40 steps, 1 rolled_back, 4 started), room for 30 -> 15 oldest steps shed;
 *     the first entry kept for that webhook says shed 15; the rolled_back is kept
 *   31 rolled_backs, room for 30 -> all kept (nothing a person must read is shed)
 */
export function bound(outbox: OutboxEntry[]): { outbox: OutboxEntry[]; shed: OutboxEntry[] } {
  let total = outbox.reduce((n, e) => n + bytes(e), 0);
  let count = outbox.length;
  if (total <= OUTBOX_BYTES && count <= OUTBOX_LIMIT) return { outbox, shed: [] };
  const shedIds = new Set<string>();
  for (const kind of SHED_ORDER) {
    for (const e of outbox) {
      if (total <= OUTBOX_BYTES && count <= OUTBOX_LIMIT) break;
      if (e.notice.kind !== kind || e.lease) continue;
      shedIds.add(e.id);
      total -= bytes(e);
      count--;
    }
  }
  const kept: OutboxEntry[] = [];
  const pending = new Map<string, number>();
  const shed: OutboxEntry[] = [];
  for (const e of outbox) {
    if (shedIds.has(e.id)) {
      shed.push(e);
      pending.set(e.webhook, (pending.get(e.webhook) ?? 0) + 1 + (e.shed ?? 0));
      continue;
    }
    kept.push(e);
  }
  // Said by the first message kept for the webhook that has not gone out yet.
  for (const [webhook, n] of pending) {
    const i = kept.findIndex((e) => e.webhook === webhook && !e.lease);
    if (i >= 0) kept[i] = { ...kept[i]!, shed: (kept[i]!.shed ?? 0) + n };
  }
  return { outbox: kept, shed };
}

/** The line a message carries when messages before it were shed. */
export function shedLine(n: number): string {
  return `(${n} earlier message${n === 1 ? ' was' : 's were'} not sent: Slack was unreachable for long and the queue was full)`;
}
export const RETRY_BACKOFF_MS = [10_000, 30_000, 60_000, 120_000, 300_000] as const;
export const GIVE_UP_MS = 24 * 3_600_000;
/**
 * How long a send may take before another invocation may try the entry again: above Lambda's
 * timeout (60 s in serverless.yml), so a lease outlives the invocation that took it.
 */
export const LEASE_MS = 2 * 60_000;
/** Slack: "no more than one message per second" per webhook. */
export const SPACING_MS = 1000;

/**
 * Appends a decision's messages (ids from the version the write will create), each notice bounded
 * (lib/notice.ts), shedding the least important past the outbox's bounds (see `bound`). Two
 * decisions may go out in one write (the pipeline holds a decision back for the next round's
 * write), so the numbers go on after those the outbox already has for that version: two entries
 * with one id would be settled as one, and the second never sent.
 *   outbox 7.0, version 9, two messages        -> 10.0, 10.1
 *   outbox 10.0 10.1 (held), version 9, one    -> 10.2
 */
export function enqueue(
  outbox: OutboxEntry[] | undefined,
  version: number,
  messages: { webhook: string; notice: Notice }[],
  now: number,
): { outbox: OutboxEntry[]; dropped: OutboxEntry[] } {
  const prefix = `${version + 1}.`;
  const first = (outbox ?? [])
    .filter((e) => e.id.startsWith(prefix))
    .reduce((n, e) => Math.max(n, Number(e.id.slice(prefix.length)) + 1), 0);
  const added = messages.map(
    (m, i): OutboxEntry => ({
      id: `${version + 1}.${first + i}`,
      at: now,
      webhook: m.webhook,
      notice: bounded(m.notice),
      nextAt: now,
      attempts: 0,
    }),
  );
  const { outbox: kept, shed } = bound([...(outbox ?? []), ...added]);
  return { outbox: kept, dropped: shed };
}

/** What may be sent now: for each webhook its oldest entry, when that one is due and not leased. */
export function dueEntries(outbox: OutboxEntry[] | undefined, now: number): OutboxEntry[] {
  const first = new Map<string, OutboxEntry>();
  for (const e of outbox ?? []) if (!first.has(e.webhook)) first.set(e.webhook, e);
  return [...first.values()].filter((e) => e.nextAt <= now && (!e.lease || e.lease.until <= now));
}

/**
 * The entry the write that ends a reconcile leases for its invocation's delivery (lib/pipeline.ts):
 * the first one `dueEntries` gives that is not leased at all (one whose lease ran out goes the usual
 * way, which warns that Slack may have it) and whose webhook is paced no further than `maxWaitMs`
 * ahead (`slotOf`: the pacer's next slot for it).
 *   [m1 due, m2 due] to /a                      -> m1
 *   [m1 due] to /a, paced 5 s ahead (max 3 s)   -> none
 *   [m1 leased by another, live]                -> none (and m2 behind it waits)
 *   [m1 due in 10 s]                            -> none
 *   [m1 with a lease that ran out]              -> none
 *   empty                                       -> none
 */
export function firstToLease(
  outbox: OutboxEntry[] | undefined,
  now: number,
  slotOf: (webhook: string) => number,
  maxWaitMs: number,
): OutboxEntry | undefined {
  return dueEntries(outbox, now).find((e) => !e.lease && slotOf(e.webhook) - now <= maxWaitMs);
}

/**
 * The entry queued right behind `entry` for the same webhook, when it is due and held by no lease:
 * no other invocation can take it while `entry` is leased (dueEntries gives a webhook's oldest entry
 * first), so the holder of `entry`'s lease may send it next with no lease write of its own.
 *   [m1, m2 due] to /a, behind m1                 -> m2
 *   [m1 to /a, o1 to /b, m2 to /a], behind m1     -> m2 (another webhook's entry is not its follower)
 *   [m1, m2 due in 10 s], behind m1               -> none
 *   [m1, m2 leased (a lease that ran out)], m1    -> none
 *   [m1], behind m1                               -> none
 */
export function followerOf(
  outbox: OutboxEntry[] | undefined,
  entry: Pick<OutboxEntry, 'id' | 'webhook'>,
  now: number,
): OutboxEntry | undefined {
  const list = outbox ?? [];
  const at = list.findIndex((e) => e.id === entry.id);
  if (at < 0) return undefined;
  const behind = list.slice(at + 1).find((e) => e.webhook === entry.webhook);
  return behind && behind.nextAt <= now && !behind.lease ? behind : undefined;
}

/** The entry taken for a send: leased to `token`, one more attempt. */
export function leased(entry: OutboxEntry, token: string, now: number): OutboxEntry {
  return { ...entry, attempts: entry.attempts + 1, lease: { token, until: now + LEASE_MS } };
}

export type AttemptOutcome =
  | { kind: 'sent' }
  | { kind: 'failed'; reason: string }
  | { kind: 'retry'; entry: OutboxEntry };

/** What an attempt's result does to its entry: removed (sent, or failed for good), or due later. */
export function afterAttempt(entry: OutboxEntry, result: SendResult, now: number): AttemptOutcome {
  if (result.outcome === 'sent') return { kind: 'sent' };
  if (result.outcome === 'failed') return { kind: 'failed', reason: result.error };
  const nextAt = now + (result.retryAfterMs ?? backoffMs(entry.attempts));
  if (nextAt - entry.at > GIVE_UP_MS) {
    return {
      kind: 'failed',
      reason: `gave up after ${entry.attempts} attempts over 24h; the last: ${result.error}`,
    };
  }
  const { lease: _, ...rest } = entry;
  return { kind: 'retry', entry: { ...rest, nextAt, lastError: result.error } };
}

/** The wait after `attempts` failed attempts: 1 -> 10s, 2 -> 30s, 3 -> 1m, 4 -> 2m, 5 and on -> 5m. */
export function backoffMs(attempts: number): number {
  return RETRY_BACKOFF_MS[Math.min(Math.max(attempts, 1), RETRY_BACKOFF_MS.length) - 1]!;
}

/**
 * One message a second per webhook, and a webhook that answered 429 waits for its Retry-After,
 * for every service. Kept per Lambda container: containers running at the same time are not
 * coordinated (Slack allows short bursts; past them it answers 429 and the entry waits).
 *
 *   slot('/a', 0) = 0;       took('/a', 0)
 *   slot('/a', 200) = 1000;  took('/a', 1000)
 *   slot('/a', 1000) = 2000
 *   hold('/b', 30_000): slot('/b', 0) = 30_000
 */
export class Pacer {
  private readonly next = new Map<string, number>();

  /** The earliest time a message may go to `webhook`. */
  slot(webhook: string, now: number): number {
    return Math.max(now, this.next.get(webhook) ?? now);
  }

  /** A message went to `webhook` at `at`. */
  took(webhook: string, at: number): void {
    this.hold(webhook, at + SPACING_MS);
  }

  /** Nothing goes to `webhook` before `until`. */
  hold(webhook: string, until: number): void {
    this.next.set(webhook, Math.max(this.next.get(webhook) ?? until, until));
  }
}
