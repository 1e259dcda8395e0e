/**
 * The loopback Slack clicks: a scenario's `slack: { click: promote, user: U123 }` finds the latest
 * message the local Slack took with that button (or, with `message: first` or N, the first or Nth
 * such message: a late click on an old message), builds the `block_actions` interaction Slack would
 * send, signs it with Slack's scheme (lib/chatops/verify.ts `sign`) and the signing secret in the
 * local SSM, and hands it to the real interaction handler as a function URL event (payload format
 * 2.0, base64 body). `signature: forged | expired | replayed` sends a bad one instead: signed with
 * another secret, signed 10 minutes ago, or the previous click's request again, byte for byte.
 *
 *   const click = slackClicker({ slack, handler, secret, now: () => world.now() });
 *   await click({ button: 'promote', user: 'U123' })   // -> { status: 200, answer: 'U123 promoted: …' }
 */

import type { Clients } from '../lib/aws.ts';
import type { FunctionUrlEvent } from '../lib/chatops/lambda.ts';
import { createInteractHandler, secretReader } from '../lib/chatops/lambda.ts';
import { sign } from '../lib/chatops/verify.ts';
import { DEFAULT_SIGNING_SECRET_PARAMETER } from '../lib/env.ts';
import type { Pipeline } from '../lib/pipeline.ts';
import type { ButtonAction } from '../lib/slack/buttons.ts';
import { actionOf } from '../lib/slack/buttons.ts';
import type { RecordStore } from '../lib/store.ts';
import type { LocalSlack } from './services/slack/index.ts';
import type { World } from './world.ts';

export type SignatureMode = 'valid' | 'forged' | 'expired' | 'replayed';

export interface SlackClick {
  button: ButtonAction;
  user: string;
  signature?: SignatureMode;
  /** The Nth message carrying the button, from the first; absent: the latest. */
  message?: number;
}

export interface ClickResult {
  status: number;
  /** What the clicker read: the ephemeral refusal, or the outcome posted in the thread. */
  answer?: string;
}

/** Where attachPipeline registers the clicker among the world's functions (scenario steps call it). */
export const SLACK_CLICK = 'local:slack-click';

/** The name the local Slack's `response_url` posts go to (LocalSlack channels). */
export const RESPONSE_CHANNEL = 'slack-response-url';

export function slackClicker(options: {
  slack: LocalSlack;
  handler: (event: FunctionUrlEvent) => Promise<{ statusCode: number }>;
  secret: string;
  now: () => number;
}): (click: SlackClick) => Promise<ClickResult> {
  const { slack } = options;
  const responseUrl = slack.webhook(RESPONSE_CHANNEL);
  let last: FunctionUrlEvent | undefined;
  let clicks = 0;
  return async (click) => {
    let event: FunctionUrlEvent;
    if (click.signature === 'replayed') {
      if (!last) throw new Error('signature: replayed needs an earlier click to replay');
      event = last;
    } else {
      // Resume sits where Pause was: the message's buttons are redrawn after a click.
      const button = (click.button === 'resume' ? ['resume', 'pause'] : [click.button])
        .map((b) => findButton(slack, b, click.message))
        .find((b) => b !== undefined);
      if (!button) {
        throw new Error(
          `no message in the local Slack carries a ${click.button} button${click.message ? ` (asked for message ${click.message})` : ''}`,
        );
      }
      clicks += 1;
      const ts = `${Math.floor(options.now() / 1000)}.${String(clicks).padStart(6, '0')}`;
      const payload = {
        type: 'block_actions',
        token: 'localVerificationToken0001',
        user: { id: click.user },
        team: { id: 'T0LOCAL00' },
        channel: { id: 'C0LOCAL00' },
        container: { type: 'message', message_ts: button.message.ts ?? ts, channel_id: 'C0LOCAL00' },
        message: { ts: button.message.ts ?? ts, text: button.message.text, blocks: button.message.blocks },
        response_url: responseUrl,
        actions: [
          { type: 'button', action_id: `autopilot.${click.button}`, value: button.value, action_ts: ts },
        ],
      };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const seconds = Math.floor(options.now() / 1000) - (click.signature === 'expired' ? 10 * 60 : 0);
      const secret = click.signature === 'forged' ? `${options.secret}-forged` : options.secret;
      event = {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(seconds),
          'x-slack-signature': sign(secret, String(seconds), body),
        },
        body: Buffer.from(body, 'utf8').toString('base64'),
        isBase64Encoded: true,
        requestContext: { http: { method: 'POST' } },
      };
      if (!click.signature || click.signature === 'valid') last = event;
    }
    const before = slack.messages(RESPONSE_CHANNEL).length;
    const res = await options.handler(event);
    const answers = slack.messages(RESPONSE_CHANNEL).slice(before);
    const answer = answers.at(-1)?.text;
    return { status: res.statusCode, ...(typeof answer === 'string' && { answer }) };
  };
}

/** The latest message carrying the button (or the Nth from the first), and the button's value. */
function findButton(slack: LocalSlack, action: string, nth?: number) {
  const found = [];
  for (const message of slack.messages()) {
    for (const block of message?.blocks ?? []) {
      if (block.type !== 'actions') continue;
      const button = block.elements.find((e: any) => actionOf(e.action_id) === action);
      if (button) found.push({ message, value: button.value as string });
    }
  }
  return nth === undefined ? found.at(-1) : found[nth - 1];
}

/**
 * The Slack app, locally: a signing secret in the local SSM, the real interaction handler over the
 * pipeline's own records, and the clicker among the world's functions for scenario steps.
 */
export function registerSlackClicks(
  world: World,
  parts: { pipeline: Pipeline; store: RecordStore; slack: LocalSlack; clients: Clients; table: string },
): void {
  const secret = `local-signing-secret-${world.ids.uuid()}`;
  world.ssm.operations.PutParameter({
    Name: DEFAULT_SIGNING_SECRET_PARAMETER,
    Value: secret,
    Type: 'SecureString',
    Overwrite: true,
  });
  const read = secretReader(parts.clients.ssm);
  const responseUrlPrefix = parts.slack.webhook(RESPONSE_CHANNEL).replace(/\/services\/.*$/, '/services/');
  const handler = createInteractHandler(async () => ({
    config: parts.pipeline.config,
    store: parts.store,
    command: (cluster, service, command) => parts.pipeline.command(cluster, service, command),
    dynamodb: parts.clients.dynamodb,
    table: parts.table,
    signingSecret: () => read(DEFAULT_SIGNING_SECRET_PARAMETER),
    now: () => world.now(),
    respond: async (url, message) => {
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(message) });
      if (!res.ok) throw new Error(`response_url answered ${res.status}`);
    },
    // The loopback Slack's URLs stand for hooks.slack.com.
    trustResponseUrl: (url) => url.startsWith(responseUrlPrefix),
  }));
  const click = slackClicker({
    slack: parts.slack,
    handler: (event) => handler(event, { awsRequestId: world.ids.uuid() } as never),
    secret,
    now: () => world.now(),
  });
  world.functions.set(SLACK_CLICK, (event) => click(event as SlackClick));
}
