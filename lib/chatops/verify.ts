/**
 * Is this request from Slack? Checked exactly as Slack documents it ("Verifying requests from
 * Slack", https://api.slack.com/authentication/verifying-requests-from-slack):
 *
 *   1. the basestring is `v0:` + the `X-Slack-Request-Timestamp` header + `:` + the raw body, as sent
 *      (before any form decoding: one changed byte changes the signature);
 *   2. HMAC-SHA256 of the basestring, keyed with the app's signing secret, in hex, prefixed `v0=`;
 *   3. compared with the `X-Slack-Signature` header in constant time (crypto.timingSafeEqual, on
 *      equal-length buffers: timingSafeEqual throws on unequal lengths, and a length check leaks
 *      only the length, which is public);
 *   4. a timestamp more than 5 minutes from now, either way, is refused, so a captured request
 *      cannot be replayed later. Within those 5 minutes the same request is refused once acted
 *      on (lib/chatops/replay.ts).
 *
 * Slack's worked example (the same page): signing secret `8f742231b10e8888abcd99yyyzzz85a5`,
 * timestamp `1531420618`, the body of a slash command `token=xyzz0WbapA4vBCDEFasx0q6G&team_id=…`
 * -> `v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503` (test/chatops-verify.test.ts).
 *
 * Pure: no clock and no secret of its own; the caller passes both.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's window: "more than five minutes from local time", either direction. */
export const MAX_SKEW_SECONDS = 5 * 60;

export interface SlackRequest {
  /** The `X-Slack-Request-Timestamp` header: Unix seconds, as text. */
  timestamp: string | undefined;
  /** The `X-Slack-Signature` header: `v0=` + 64 hex digits. */
  signature: string | undefined;
  /** The raw body, exactly as received (base64-decoded if the function URL encoded it). */
  body: string;
}

export type Verdict =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale' | 'bad_signature' };

/**
 * The `v0=` signature Slack would send for this timestamp and body.
 *
 *   sign('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&…')
 *   -> 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'
 */
export function sign(secret: string, timestamp: string, body: string): string {
  const hmac = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex');
  return `v0=${hmac}`;
}

/**
 * Whether `timestamp` (Unix seconds, text) is within 5 minutes of `nowMs`, either way.
 *
 *   fresh('1531420618', 1531420618_000)            -> true
 *   fresh('1531420618', (1531420618 + 300) * 1000) -> true   (exactly 5 minutes: not older than 5 minutes)
 *   fresh('1531420618', (1531420618 + 301) * 1000) -> false  (replayed late)
 *   fresh('1531420618', (1531420618 - 301) * 1000) -> false  (from the future: a clock far off, or forged)
 *   fresh('15314206x8', …) -> false      fresh('', …) -> false
 */
export function fresh(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= MAX_SKEW_SECONDS;
}

/**
 * Slack's check, whole: headers present, timestamp fresh, signature equal in constant time.
 * The timestamp is checked first: a stale request is refused without computing anything.
 *
 *   Slack's example at 1531420618 s                 -> { ok: true }
 *   the same, one byte of the body changed          -> bad_signature
 *   the same, the signature's hex in upper case     -> bad_signature (Slack sends lower-case hex)
 *   the same, 6 minutes later                       -> stale
 *   no X-Slack-Signature header                     -> missing_headers
 */
export function verify(request: SlackRequest, secret: string, nowMs: number): Verdict {
  const { timestamp, signature, body } = request;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  if (!fresh(timestamp, nowMs)) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(sign(secret, timestamp, body), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true };
}

/**
 * The key that remembers a request once acted on: the signature names the request (timestamp
 * and body) uniquely, and is hashed so the key carries nothing an attacker could reuse.
 *
 *   replayKey('v0=a2114d…') -> 'slack-request#' + sha256 hex of 'v0=a2114d…'
 */
export function replayKey(signature: string): string {
  return `slack-request#${createHash('sha256').update(signature, 'utf8').digest('hex')}`;
}
