/**
 * One POST to an incoming webhook, with a timeout, and what the answer means (aws-facts.md §6):
 *
 *   2xx (`ok`)                                     sent
 *   429 with Retry-After                           retry after that many seconds
 *   5xx, 408, no answer in time, a refused or
 *   reset connection                               retry, with back-off
 *   any other 4xx: 400 `invalid_payload`,
 *   `no_text`, 403 `action_prohibited`, 404
 *   `no_service`, 410 `channel_is_archived`…        failed for good ("should not be retried
 *                                                  without correction")
 *
 * A timeout is ambiguous: Slack may have posted the message and answered late. It is retried, since
 * a message lost is worse than one shown twice; 5 s is far above Slack's usual answer.
 * Errors carry the status, Slack's error string or the socket's error code, never the URL.
 */
import http from 'node:http';
import https from 'node:https';

export type SendResult =
  | { outcome: 'sent'; status: number }
  | { outcome: 'retry'; status?: number; error: string; retryAfterMs?: number }
  | { outcome: 'failed'; status?: number; error: string };

export const SEND_TIMEOUT_MS = 5000;

/** Slack's answers are a word or two; anything longer is not read. */
const BODY_LIMIT = 2048;

export function postMessage(url: string, message: unknown, timeoutMs = SEND_TIMEOUT_MS): Promise<SendResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ outcome: 'failed', error: 'the webhook parameter does not hold a URL' });
  }
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!client)
    return Promise.resolve({ outcome: 'failed', error: 'the webhook URL is neither https nor http' });
  const body = Buffer.from(JSON.stringify(message));
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: SendResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < BODY_LIMIT) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, BODY_LIMIT);
          const retryAfter = res.headers['retry-after'];
          finish(classify(res.statusCode ?? 0, text, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter));
        });
        res.on('error', (e) => finish({ outcome: 'retry', error: `the answer broke off (${errorCode(e)})` }));
      },
    );
    const timer = setTimeout(() => {
      finish({ outcome: 'retry', error: `no answer within ${timeoutMs}ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish({ outcome: 'retry', error: `could not connect (${errorCode(e)})` }));
    req.end(body);
  });
}

/** What an answer means; see the table above. */
export function classify(status: number, body: string, retryAfter: string | undefined): SendResult {
  const said = body.trim().slice(0, 200) || http.STATUS_CODES[status] || '';
  const error = `${status}${said ? ` ${said}` : ''}`;
  if (status >= 200 && status < 300) return { outcome: 'sent', status };
  if (status === 429) return { outcome: 'retry', status, error, retryAfterMs: retryAfterMs(retryAfter) };
  if (status >= 500 || status === 408) return { outcome: 'retry', status, error };
  return { outcome: 'failed', status, error };
}

/** ECONNREFUSED, ECONNRESET…: the code, not the message (which names the host and port). */
function errorCode(e: Error): string {
  return (e as NodeJS.ErrnoException).code ?? e.name;
}

/** A Retry-After is honoured between these bounds (a missing or garbled one waits a minute). */
const RETRY_AFTER_MIN_MS = 1000;
const RETRY_AFTER_MAX_MS = 3_600_000;
const RETRY_AFTER_DEFAULT_MS = 60_000;

/**
 * Slack's Retry-After is "the number of seconds until you can retry".
 *
 *   '30' -> 30_000   '0' -> 1000 (at least a second)   '86400' -> 3_600_000 (at most an hour)
 *   undefined, 'soon' -> 60_000
 */
export function retryAfterMs(header: string | undefined): number {
  const seconds = header !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(header) ? Number(header) : Number.NaN;
  if (Number.isNaN(seconds)) return RETRY_AFTER_DEFAULT_MS;
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, Math.round(seconds * 1000)));
}
