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

/** Entries kept per service: past it the oldest is dropped (and logged), so the record stays small. */
export const OUTBOX_LIMIT = 30;
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
 * (lib/notice.ts), dropping the oldest past OUTBOX_LIMIT.
 */
export function enqueue(
  outbox: OutboxEntry[] | undefined,
  version: number,
  messages: { webhook: string; notice: Notice }[],
  now: number,
): { outbox: OutboxEntry[]; dropped: OutboxEntry[] } {
  const added = messages.map(
    (m, i): OutboxEntry => ({
      id: `${version + 1}.${i}`,
      at: now,
      webhook: m.webhook,
      notice: bounded(m.notice),
      nextAt: now,
      attempts: 0,
    }),
  );
  const all = [...(outbox ?? []), ...added];
  const over = Math.max(0, all.length - OUTBOX_LIMIT);
  return { outbox: all.slice(over), dropped: all.slice(0, over) };
}

/** What may be sent now: for each webhook its oldest entry, when that one is due and not leased. */
export function dueEntries(outbox: OutboxEntry[] | undefined, now: number): OutboxEntry[] {
  const first = new Map<string, OutboxEntry>();
  for (const e of outbox ?? []) if (!first.has(e.webhook)) first.set(e.webhook, e);
  return [...first.values()].filter((e) => e.nextAt <= now && (!e.lease || e.lease.until <= now));
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
