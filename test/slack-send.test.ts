/**
 * One POST, against the loopback Slack (local/slack.ts), a real HTTP server: every answer Slack
 * gives, a slow one, and a closed port.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postMessage } from '../lib/slack/send.ts';
import { LocalSlack } from '../local/services/slack/index.ts';

const message = {
  text: 'prod/web: web:v2 is live',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'prod/web: web:v2 is live' } }],
};
let slack: LocalSlack;
let url: string;

beforeEach(async () => {
  slack = new LocalSlack();
  await slack.start();
  url = slack.webhook('/ecs-autopilot/slack-webhook-url');
});
afterEach(() => slack.stop());

describe('postMessage', () => {
  it('200 ok: sent, and Slack has the message', async () => {
    expect(await postMessage(url, message)).toEqual({ outcome: 'sent', status: 200 });
    expect(slack.messages()).toEqual([message]);
  });

  it('429 with Retry-After: retry after that many seconds', async () => {
    slack.answers.push({ status: 429, retryAfter: 12 });
    expect(await postMessage(url, message)).toEqual({
      outcome: 'retry',
      status: 429,
      error: '429 rate_limited',
      retryAfterMs: 12_000,
    });
    expect(slack.messages()).toEqual([]);
  });

  it('500: retry', async () => {
    slack.answers.push({ status: 500 });
    expect(await postMessage(url, message)).toEqual({
      outcome: 'retry',
      status: 500,
      error: '500 rollup_error',
    });
  });

  it('400 invalid_payload, as Slack answers a payload past its limits: failed for good', async () => {
    const tooMany = { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) };
    expect(await postMessage(url, tooMany)).toEqual({
      outcome: 'failed',
      status: 400,
      error: '400 invalid_payload',
    });
    expect(await postMessage(url, { blocks: [] })).toEqual({
      outcome: 'failed',
      status: 400,
      error: '400 no_text',
    });
    expect(slack.received.map((r) => r.problem)).toEqual([
      '51 blocks, more than 50',
      'neither text nor blocks',
    ]);
  });

  it('a webhook Slack does not know: 404, failed for good', async () => {
    const unknown = url.replace(/\/[0-9a-f]+$/, '/0000000000000000');
    expect(await postMessage(unknown, message)).toEqual({
      outcome: 'failed',
      status: 404,
      error: '404 no_service',
    });
  });

  it('a slow answer within the timeout: sent once', async () => {
    slack.answers.push({ slow: 150 });
    expect(await postMessage(url, message, 2000)).toEqual({ outcome: 'sent', status: 200 });
    expect(slack.messages()).toHaveLength(1);
  });

  it('no answer within the timeout: retry, and the caller waited no longer than the timeout', async () => {
    slack.answers.push({ slow: 1500 });
    const started = performance.now();
    const result = await postMessage(url, message, 200);
    const waited = performance.now() - started;
    expect(result).toEqual({ outcome: 'retry', error: 'no answer within 200ms' });
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1000);
  });

  it('a refused connection: retry, naming the socket error and not the URL', async () => {
    await slack.refuse();
    const result = await postMessage(url, message, 1000);
    expect(result).toEqual({ outcome: 'retry', error: 'could not connect (ECONNREFUSED)' });
    await slack.recover();
    expect(await postMessage(url, message)).toEqual({ outcome: 'sent', status: 200 });
  });
});
