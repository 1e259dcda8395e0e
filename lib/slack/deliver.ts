/**
 * Slack delivery: a decision's notices are queued in the service's outbox (in the same write as
 * the decision), and what is due is sent after the pipeline has acted, each outcome recorded in
 * the record by a conditional write.
 *
 * No message twice, though incoming webhooks have no idempotency key:
 *   1. lease: the entry is marked as being sent (a token and an expiry) by a conditional write on
 *      the record's version. Of two invocations after the same entry (a retried invocation, the
 *      tick beside an ECS event) exactly one wins; the other re-reads and finds it leased.
 *   2. post.
 *   3. settle: the entry is removed (sent, or failed for good) or given its next time, by a
 *      conditional write again, re-read and re-applied on a conflict while the lease is still ours.
 *      The same write leases the next entry due (its step 1). Messages queued behind a leased one
 *      for the same webhook are due to no other invocation, so the holder posts them too before
 *      that write, which records every outcome: two messages cost two writes, as one does.
 * A retried invocation finds the entry gone. One window is left: the invocation dies after Slack
 * took the message and before step 3 (a Lambda timeout mid-post, a crash in those milliseconds);
 * once the lease runs out the entry is sent again. There a duplicate is possible and a loss is not:
 * a rollback nobody hears of is worse than one told twice.
 *
 * Nothing here delays a rollback: delivery runs after the pipeline acted, and an invocation spends
 * little on it (a Budget): at most MAX_SENDS messages; a webhook that fails is left alone for the
 * rest of the invocation, for every service (so one timeout at most per webhook); a webhook paced
 * for longer than MAX_WAIT_MS is left to a later invocation.
 */
import { randomUUID } from 'node:crypto';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { isPermanent } from '../errors.ts';
import { log } from '../log.ts';
import type { Notice } from '../notice.ts';
import type { OutboxEntry } from '../outbox-entry.ts';
import type { ServiceRecord } from '../record.ts';
import { ConflictError, type RecordStore } from '../store.ts';
import { render, type SlackMessage } from './message.ts';
import {
  type AttemptOutcome,
  afterAttempt,
  dueEntries,
  enqueue,
  firstToLease,
  followerOf,
  leased,
  Pacer,
  shedLine,
} from './outbox.ts';
import { postMessage, SEND_TIMEOUT_MS, type SendResult } from './send.ts';
import { WebhookUrls } from './webhook.ts';

/** What the pipeline needs to tell Slack: one per Lambda container (the URL cache and the pacing live here). */
export interface Slack {
  /** The SSM parameter for whatever the config routes nowhere else: AUTOPILOT_SLACK_PARAMETER. */
  defaultWebhook: string;
  /** For console links when no ARN names one. */
  region: string;
  webhooks: WebhookUrls;
  pacer: Pacer;
  timeoutMs: number;
  /** Waits out the pacing: a real wait in Lambda; nothing locally, where the clock is virtual. */
  sleep(ms: number): Promise<void>;
  /** Told of every attempt once its outcome is recorded (the local report). */
  onAttempt?(attempt: Attempt): void;
  /** Whether a service's messages carry the Slack buttons (its target's `buttons`, lib/chatops). */
  buttons?(service: string): boolean;
}

export interface Attempt {
  service: string;
  entry: OutboxEntry;
  /** The fallback text as sent. */
  text: string;
  at: number;
  result: SendResult;
  outcome: AttemptOutcome['kind'];
}

export interface SlackOptions {
  ssm: SSMClient;
  region: string;
  defaultWebhook: string;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onAttempt?: (attempt: Attempt) => void;
  buttons?: (service: string) => boolean;
}

export function createSlack(options: SlackOptions): Slack {
  return {
    defaultWebhook: options.defaultWebhook,
    region: options.region,
    webhooks: new WebhookUrls(options.ssm),
    pacer: new Pacer(),
    timeoutMs: options.timeoutMs ?? SEND_TIMEOUT_MS,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    onAttempt: options.onAttempt,
    buttons: options.buttons,
  };
}

/** Messages an invocation sends at most: the rest wait for the next invocation or the tick. */
const MAX_SENDS = 10;
/** Pacing longer than this is not waited for in this invocation. */
const MAX_WAIT_MS = 3000;

/** Whether this invocation may send to `webhook` now: its pacer's next slot is within MAX_WAIT_MS. */
const withinWait = (slack: Slack, webhook: string, now: number) =>
  slack.pacer.slot(webhook, now) - now <= MAX_WAIT_MS;

/**
 * The record a reconcile's last write stores, with the first Slack message due leased for this
 * invocation's delivery (lib/slack/outbox.ts firstToLease), and the entry it leased: that write
 * takes the lease a delivery would take in one of its own.
 */
export function leaseForDelivery(
  record: ServiceRecord,
  slack: Slack,
  now: number,
): { record: ServiceRecord; taken?: OutboxEntry } {
  const entry = firstToLease(record.outbox, now, (w) => slack.pacer.slot(w, now), MAX_WAIT_MS);
  if (!entry) return { record };
  const taken = leased(entry, randomUUID(), now);
  return { record: { ...record, outbox: record.outbox!.map((e) => (e.id === taken.id ? taken : e)) }, taken };
}
/** Lost races on the record per call before leaving the rest to a later invocation. */
const MAX_CONFLICTS = 5;

/** The record with `notifications` queued, each to the webhooks `route` names for its kind. */
export function queue(
  record: ServiceRecord,
  notifications: Notice[],
  route: (kind: Notice['kind']) => string[],
  now: number,
): ServiceRecord {
  const messages = notifications.flatMap((notice) =>
    route(notice.kind).map((webhook) => ({ webhook, notice })),
  );
  if (messages.length === 0) return record;
  const { outbox, dropped } = enqueue(record.outbox, record.version, messages, now);
  for (const e of dropped) {
    log.warn('notification.dropped', {
      service: record.key,
      kind: e.notice.kind,
      id: e.id,
      webhook: e.webhook,
      reason: 'the outbox is full: shed, least important first (said in the next message)',
    });
  }
  return { ...record, outbox };
}

/** What one invocation may still spend on Slack, shared by the services it delivers for. */
export interface Budget {
  sends: number;
  /** Webhooks that failed or are paced far ahead: not tried again in this invocation. */
  skip: Set<string>;
}

export function budget(): Budget {
  return { sends: MAX_SENDS, skip: new Set() };
}

/**
 * Sends what is due from the record's outbox; returns the record as last written or read. Each
 * send's outcome is recorded by the write that leases the next entry due (one conditional write,
 * not a settle and a lease): the two were consecutive writes with nothing sent between, so the
 * lease stays taken before its post and the outcome recorded right after the post that had it.
 * The messages behind a leased one for the same webhook go before that write (followerOf), with
 * their outcomes in it: a push's "started" and first step were three writes after the reconcile's
 * last, and are one.
 */
export async function deliver(
  store: RecordStore,
  start: ServiceRecord,
  slack: Slack,
  now: () => number,
  spend: Budget = budget(),
  /**
   * Lease tokens this invocation put on entries by the write that ended its reconcile
   * (lib/pipeline.ts): such an entry is sent with no lease write of its own, or given back.
   */
  own: ReadonlySet<string> = new Set(),
): Promise<ServiceRecord> {
  let record = start;
  const skip = spend.skip;
  let conflicts = 0;
  const givenBack = new Set<string>();
  /** An entry leased for this invocation (own) and not given back yet. */
  const ours = (r: ServiceRecord) =>
    r.outbox?.find((e) => e.lease && own.has(e.lease.token) && !givenBack.has(e.id));
  /** The next entry due that this invocation may send now (a webhook paced far ahead is left). */
  const pick = (r: ServiceRecord): OutboxEntry | undefined => {
    for (;;) {
      const entry = dueEntries(r.outbox, now()).find((e) => !skip.has(e.webhook));
      if (!entry || withinWait(slack, entry.webhook, now())) return entry;
      skip.add(entry.webhook);
    }
  };
  /** An entry leased by the last settling write, to be sent next. */
  let next: { taken: OutboxEntry; was: OutboxEntry } | undefined;
  while (spend.sends > 0 && conflicts < MAX_CONFLICTS) {
    let taken: OutboxEntry;
    let was: OutboxEntry;
    const mine = next ? undefined : ours(record);
    if (mine) {
      const paced = !withinWait(slack, mine.webhook, now());
      if (skip.has(mine.webhook) || paced) {
        // Not this invocation's to send after all: given back, due as it was.
        if (paced) skip.add(mine.webhook);
        givenBack.add(mine.id);
        record = await giveBack(store, record, mine);
        continue;
      }
      next = { taken: mine, was: { ...mine, attempts: mine.attempts - 1, lease: undefined } };
    }
    if (next) {
      ({ taken, was } = next);
      next = undefined;
    } else {
      const entry = pick(record);
      if (!entry) break;
      taken = leased(entry, randomUUID(), now());
      was = entry;
      try {
        record = await store.put({
          ...record,
          outbox: record.outbox!.map((e) => (e.id === taken.id ? taken : e)),
        });
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        conflicts += 1;
        record = await store.get(record.cluster, record.service);
        continue;
      }
    }
    if (was.lease) {
      // An earlier send of this entry never recorded its outcome: Slack may have it already.
      log.warn('notification.lease_expired', { service: record.key, kind: was.notice.kind, id: was.id });
    }
    const posted = [await post(slack, record, taken, now, spend)];
    // Behind a message this invocation holds the lease of, the next one to the same webhook is due
    // to no other invocation (dueEntries gives a webhook's oldest entry, and that one is leased):
    // it is sent now too, with no lease write of its own, and one write records every outcome.
    // Should the invocation die before that write, all of them go again once the lease runs out
    // (the one duplicate possible, as for one message).
    for (;;) {
      const last = posted.at(-1)!;
      if (last.result.outcome !== 'sent' || spend.sends <= 0) break;
      const behind = followerOf(record.outbox, last.taken, now());
      if (!behind || !withinWait(slack, behind.webhook, now())) break;
      posted.push(await post(slack, record, { ...behind, attempts: behind.attempts + 1 }, now, spend));
    }

    const settled = await settle(store, record, posted, now(), (r) =>
      spend.sends > 0 ? pick(r) : undefined,
    );
    record = settled.record;
    next = settled.next;
    for (const [i, p] of posted.entries()) {
      const outcome = settled.outcomes?.[i];
      if (!outcome) continue;
      report(record.key, p.taken, p.text, p.result, outcome);
      slack.onAttempt?.({
        service: record.key,
        entry: p.taken,
        text: p.text,
        at: p.sentAt,
        result: p.result,
        outcome: outcome.kind,
      });
    }
  }
  // Leased for this invocation and not sent (its budget spent): given back, due as they were.
  for (let mine = ours(record); mine; mine = ours(record)) {
    givenBack.add(mine.id);
    record = await giveBack(store, record, mine);
  }
  return record;
}

/**
 * An entry leased for this invocation and not sent, given back (its lease and its attempt undone),
 * re-read and re-applied on a conflict while the lease is still ours. A write that keeps failing
 * leaves it leased: sent once the lease runs out.
 */
async function giveBack(store: RecordStore, start: ServiceRecord, mine: OutboxEntry): Promise<ServiceRecord> {
  let record = start;
  for (let i = 0; i < MAX_CONFLICTS; i++) {
    const current = record.outbox?.find((e) => e.id === mine.id);
    if (!current || current.lease?.token !== mine.lease?.token) return record;
    const { lease: _lease, ...rest } = current;
    const back = { ...rest, attempts: current.attempts - 1 };
    try {
      return await store.put({ ...record, outbox: record.outbox!.map((e) => (e.id === mine.id ? back : e)) });
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      record = await store.get(record.cluster, record.service);
    }
  }
  log.warn('notification.unsettled', { service: record.key, kind: mine.notice.kind, id: mine.id });
  return record;
}

/** The message with a line saying how many before it were shed (lib/slack/outbox.ts `bound`). */
function withShed(message: SlackMessage, shed: number | undefined): SlackMessage {
  if (!shed) return message;
  const line = shedLine(shed);
  return {
    text: `${message.text}\n${line}`,
    blocks: [...message.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: line }] }],
  };
}

async function send(slack: Slack, webhook: string, message: SlackMessage): Promise<SendResult> {
  let url: string;
  try {
    url = await slack.webhooks.url(webhook);
  } catch (e) {
    const permanent = isPermanent(e);
    return { outcome: permanent ? 'failed' : 'retry', error: (e as Error).message };
  }
  const result = await postMessage(url, message, slack.timeoutMs);
  // Refused for good: the webhook may have been rotated, so the next message reads the parameter again.
  if (result.outcome === 'failed') slack.webhooks.forget(webhook);
  return result;
}

/** A message posted by this invocation, its outcome not yet recorded. */
interface Posted {
  /** The entry as sent: its attempt counted. */
  taken: OutboxEntry;
  result: SendResult;
  text: string;
  sentAt: number;
}

/** Posts one entry, paced for its webhook: what it spends of the budget, and what Slack said. */
async function post(
  slack: Slack,
  record: ServiceRecord,
  taken: OutboxEntry,
  now: () => number,
  spend: Budget,
): Promise<Posted> {
  const slot = slack.pacer.slot(taken.webhook, now());
  if (slot > now()) await slack.sleep(slot - now());
  spend.sends -= 1;
  const sentAt = Math.max(slot, now());
  slack.pacer.took(taken.webhook, sentAt);
  const message = withShed(
    render(withRevision(taken.notice, record), {
      cluster: record.cluster,
      service: record.service,
      region: slack.region,
      at: taken.at,
      buttons: slack.buttons?.(record.key) === true,
    }),
    taken.shed,
  );
  const result = await send(slack, taken.webhook, message);
  if (result.outcome === 'retry' && result.retryAfterMs)
    slack.pacer.hold(taken.webhook, now() + result.retryAfterMs);
  if (result.outcome !== 'sent') spend.skip.add(taken.webhook);
  return { taken, result, text: message.text, sentAt };
}

/**
 * Records the outcomes of what this invocation posted in one write: the first entry under its lease,
 * if still ours, and those sent behind it (followerOf), which hold no lease. The same
 * write leases the entry `pick` names next (none: the outcomes alone). Re-read and re-applied on a
 * conflict while the lease is still ours. `outcomes` follows `posted`, one per entry recorded.
 */
async function settle(
  store: RecordStore,
  start: ServiceRecord,
  posted: Posted[],
  now: number,
  pick: (record: ServiceRecord) => OutboxEntry | undefined = () => undefined,
): Promise<{
  record: ServiceRecord;
  outcomes?: (AttemptOutcome | undefined)[];
  next?: { taken: OutboxEntry; was: OutboxEntry };
}> {
  let record = start;
  const token = posted[0]!.taken.lease!.token;
  for (let i = 0; i < MAX_CONFLICTS; i++) {
    const lead = record.outbox?.find((e) => e.id === posted[0]!.taken.id);
    // Our lease ran out and another invocation took the entry over: its outcome is its own to record.
    if (!lead || lead.lease?.token !== token) return { record };
    let outbox = record.outbox!;
    const outcomes = posted.map((p, n) => {
      const current = outbox.find((e) => e.id === p.taken.id);
      if (!current || (n === 0 ? current.lease?.token !== token : current.lease !== undefined))
        return undefined;
      const outcome = afterAttempt({ ...current, attempts: p.taken.attempts }, p.result, now);
      outbox = outbox.flatMap((e) =>
        e.id !== p.taken.id ? [e] : outcome.kind === 'retry' ? [outcome.entry] : [],
      );
      return outcome;
    });
    const was = pick({ ...record, outbox });
    const next = was && leased(was, randomUUID(), now);
    try {
      const written = await store.put({
        ...record,
        outbox: next ? outbox.map((e) => (e.id === next.id ? next : e)) : outbox,
      });
      return { record: written, outcomes, ...(next && was && { next: { taken: next, was } }) };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      record = await store.get(record.cluster, record.service);
    }
  }
  // The lease runs out and a later invocation sends the entries again.
  for (const p of posted)
    log.warn('notification.unsettled', { service: record.key, kind: p.taken.notice.kind, id: p.taken.id });
  return { record };
}

function report(
  service: string,
  entry: OutboxEntry,
  text: string,
  result: SendResult,
  outcome: AttemptOutcome,
) {
  const fields = {
    service,
    kind: entry.notice.kind,
    id: entry.id,
    webhook: entry.webhook,
    attempts: entry.attempts,
  };
  switch (outcome.kind) {
    case 'sent':
      log.info('notification.sent', fields);
      return;
    case 'retry':
      log.warn('notification.retry', {
        ...fields,
        error: result.outcome === 'sent' ? undefined : result.error,
        retryAt: new Date(outcome.entry.nextAt).toISOString(),
      });
      return;
    case 'failed':
      // Once per message: the entry is removed by the same conditional write.
      log.error('notification.failed', { ...fields, reason: outcome.reason, text });
      return;
  }
}

/** A message queued before its revision was registered ("started") names it once the record knows it. */
function withRevision(n: Notice, record: ServiceRecord): Notice {
  if (!('rollout' in n) || n.rollout.taskDefinition) return n;
  const id = n.rollout.id;
  const to =
    record.rollout?.id === id
      ? record.rollout.taskDefinition
      : record.history.findLast((h) => h.id === id)?.taskDefinition;
  return to ? { ...n, rollout: { ...n.rollout, taskDefinition: to } } : n;
}
