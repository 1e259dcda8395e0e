/**
 * The loopback Slack clicks: a scenario's `slack: { click: promote, user: U123 }` finds the latest
 * message the local Slack took with that button (or, with `message: first` or N, the first or Nth
 * such message: a late click on an old message), builds the `block_actions` interaction Slack would
 * send, signs it with Slack's scheme (lib/chatops/verify.ts `sign`) and the signing secret in the
 * local SSM, and hands it to the real interaction handler as a function URL event (payload format
 * 2.0, base64 body). `signature: forged | expired | replayed` sends a bad one instead: signed with
 * another secret, signed 10 minutes ago, or the previous click's request again, byte for byte.
 *
 * Each click reports what it changed, so a test (and `sim --json`) can hold a refusal to "nothing":
 * the AWS writes served while it ran (`writes`: every call but Describe/Get/List), whether the
 * clicked target's record got a new version (`recordChanged`), the log lines' `msg`s (with a
 * refusal's reason: `slack.refused:not_approver`), and whether the answer was ephemeral.
 *
 *   const click = slackClicker({ slack, handler, secret, now: () => world.now() });
 *   await click({ button: 'promote', user: 'U123' })
 *   // -> { status: 200, answer: '<@U123> promoted: …', ephemeral: false, writes: ['ecs:UpdateService', …],
 *   //      recordChanged: true, log: ['slack.acted'] }
 *
 * A scenario's `slack:` section (SlackAppSpec) gives the app a bot token (in the local SSM, as
 * `slackBotTokenParameter` would name it) and user groups that the loopback Slack's
 * usergroups.users.list answers; thread replies then go by chat.postMessage, as deployed.
 */

import type { Clients } from '../lib/aws.ts';
import { parsePayload } from '../lib/chatops/interact.ts';
import type { FunctionUrlEvent } from '../lib/chatops/lambda.ts';
import { createInteractHandler, secretReader, slackApi } from '../lib/chatops/lambda.ts';
import { sign } from '../lib/chatops/verify.ts';
import { DEFAULT_SIGNING_SECRET_PARAMETER } from '../lib/env.ts';
import { addLogTap } from '../lib/log.ts';
import type { Pipeline } from '../lib/pipeline.ts';
import type { ButtonAction } from '../lib/slack/buttons.ts';
import { actionOf, parseButtonValue } from '../lib/slack/buttons.ts';
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
  /** Whether that answer was shown to the clicker alone. */
  ephemeral?: boolean;
  /** AWS writes served while the click ran (`ecs:UpdateService`…), in order. */
  writes: string[];
  /** Whether the clicked target's record was written (its version moved). */
  recordChanged: boolean;
  /** The log lines' `msg`, a refusal's with its reason (`slack.refused:replayed`). */
  log: string[];
}

/** The Slack app, locally: its user groups and whether its bot token is the one Slack gave. */
export interface SlackAppSpec {
  /** User-group ID (S…) -> its members' user IDs (usergroups.users.list); others: no_such_subteam. */
  groups: Record<string, string[]>;
  /** `invalid`: the parameter holds a token Slack refuses (invalid_auth). */
  botToken: 'valid' | 'invalid';
}

/** The parameter the local app's bot token is kept in (`slackBotTokenParameter` when deployed). */
export const LOCAL_BOT_TOKEN_PARAMETER = '/ecs-autopilot/slack-bot-token';

/** What the clicker watches while a click runs, to say what it changed. */
export interface ClickWatch {
  /** Called for each AWS call served; returns the function that stops watching. */
  watchCalls(onCall: (service: string, operation: string) => void): () => void;
  /** The record's version of `cluster/service`. */
  version(target: string): Promise<number>;
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
  watch?: ClickWatch;
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
    const target = targetOf(event);
    const version = async () => (target && options.watch ? await options.watch.version(target) : Number.NaN);
    const versionBefore = await version();
    const writes: string[] = [];
    const stopCalls = options.watch?.watchCalls((service, operation) => {
      if (!/^(Describe|Get|List)/.test(operation)) writes.push(`${service}:${operation}`);
    });
    const lines: string[] = [];
    const stopLog = addLogTap((line) => {
      const { msg, reason } = JSON.parse(line) as { msg: string; reason?: string };
      lines.push(msg === 'slack.refused' ? `${msg}:${reason}` : msg);
    });
    const before = slack.messages(RESPONSE_CHANNEL).length;
    const posted = slack.posts.length;
    let res: { statusCode: number };
    try {
      res = await options.handler(event);
    } finally {
      stopCalls?.();
      stopLog();
    }
    const answers = [...slack.messages(RESPONSE_CHANNEL).slice(before), ...slack.posts.slice(posted)] as {
      text?: unknown;
      response_type?: string;
    }[];
    const said = answers.at(-1);
    return {
      status: res.statusCode,
      ...(typeof said?.text === 'string' && {
        answer: said.text,
        ephemeral: said.response_type === 'ephemeral',
      }),
      writes,
      recordChanged: (await version()) !== versionBefore,
      log: lines,
    };
  };
}

/** The `cluster/service` the event's button names, if it names one. */
function targetOf(event: FunctionUrlEvent): string | undefined {
  const body = Buffer.from(event.body ?? '', 'base64').toString('utf8');
  return parseButtonValue(parsePayload(body)?.actions?.[0]?.value)?.target;
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
  parts: {
    pipeline: Pipeline;
    store: RecordStore;
    /** The same table, read past the call count: what the clicker looks up is not the pipeline's call. */
    runnerStore: RecordStore;
    slack: LocalSlack;
    clients: Clients;
    table: string;
    app?: SlackAppSpec;
  },
): void {
  const secret = `local-signing-secret-${world.ids.uuid()}`;
  world.ssm.operations.PutParameter({
    Name: DEFAULT_SIGNING_SECRET_PARAMETER,
    Value: secret,
    Type: 'SecureString',
    Overwrite: true,
  });
  const read = secretReader(parts.clients.ssm);
  const { app, slack } = parts;
  let api: ReturnType<typeof slackApi> | undefined;
  if (app) {
    for (const [group, members] of Object.entries(app.groups)) slack.groups.set(group, members);
    world.ssm.operations.PutParameter({
      Name: LOCAL_BOT_TOKEN_PARAMETER,
      Value: app.botToken === 'valid' ? slack.botToken : 'xoxb-local-revoked-0000',
      Type: 'SecureString',
      Overwrite: true,
    });
    api = slackApi(() => read(LOCAL_BOT_TOKEN_PARAMETER), slack.apiBase());
  }
  const responseUrlPrefix = slack.webhook(RESPONSE_CHANNEL).replace(/\/services\/.*$/, '/services/');
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
    ...(api && { groupMembers: api.groupMembers, postInThread: api.postInThread }),
  }));
  const click = slackClicker({
    slack,
    handler: (event) => handler(event, { awsRequestId: world.ids.uuid() } as never),
    secret,
    now: () => world.now(),
    watch: {
      watchCalls: (onCall) => {
        world.interceptors.push(onCall);
        return () => {
          const i = world.interceptors.indexOf(onCall);
          if (i >= 0) world.interceptors.splice(i, 1);
        };
      },
      version: async (target) => {
        const [cluster, service] = target.split('/') as [string, string];
        return (await parts.runnerStore.get(cluster, service)).version;
      },
    },
  });
  world.functions.set(SLACK_CLICK, (event) => click(event as SlackClick));
}
