/**
 * An outbox entry: a notice decided but not yet delivered, kept in the service's record, so it is
 * committed by the same conditional write as the decision that made it and outlives any crash.
 * Plain data the record owns; lib/slack/outbox.ts does the arithmetic of its life and
 * lib/slack/deliver.ts the sending.
 */
import type { Notice } from './notice.ts';

export interface OutboxEntry {
  /** `<record version that queued it>.<n>`: unique in the record, in the order queued. */
  id: string;
  /** When the decision was taken. */
  at: number;
  /** The SSM parameter holding the webhook URL (never the URL: it is a secret, and it may rotate). */
  webhook: string;
  /** Bounded (lib/notice.ts `bounded`): the record stays small. */
  notice: Notice;
  /** Not sent before this: the back-off, or Slack's Retry-After. */
  nextAt: number;
  /** Attempts started so far. */
  attempts: number;
  /** A send in flight: nobody else sends this entry until `until` (see lib/slack/deliver.ts). */
  lease?: { token: string; until: number };
  /** Why the last attempt failed, for people reading the record. */
  lastError?: string;
  /** Messages to the same webhook shed before this one for lack of room (lib/slack/outbox.ts): said in this message. */
  shed?: number;
}
