/**
 * The Slack interaction function as Lambda runs it: a function URL request (payload format 2.0,
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html: lower-case `headers`, `body`
 * base64-encoded when `isBase64Encoded`) in, an HTTP answer out. Everything it decides is in
 * interact.ts; this file builds its dependencies once per container from the environment
 * (lib/env.ts) and reads the secrets from SSM.
 *
 * The signing secret and the bot token are SecureString parameters read with `WithDecryption`
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html), cached
 * for the container's life (a rotated secret takes effect in new containers; Slack lets an app
 * regenerate its secret, after which old containers refuse until recycled: redeploy to force it),
 * registered with the log's redaction, and never logged.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Config } from '../config.ts';
import { pipelineOptionsFromEnvironment } from '../environment-pipeline.ts';
import { isPermanent, PermanentError, TransientError } from '../errors.ts';
import { inLogContext, log, redact } from '../log.ts';
import { keptUnlessFailed } from '../once.ts';
import { packagedConfig } from '../packaged-config.ts';
import { Pipeline } from '../pipeline.ts';
import { type InteractDeps, type InteractionResponse, interact } from './interact.ts';

/** The function URL's event, payload format 2.0: the parts read here. */
export interface FunctionUrlEvent {
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

class SecretUnavailable extends PermanentError {
  override name = 'SecretUnavailable';
}

/** A SecureString, decrypted, once per container; the value is redacted from every log line. */
export function secretReader(ssm: SSMClient): (name: string) => Promise<string> {
  // Values read, not reads in flight (as lib/slack/webhook.ts WebhookUrls, for the same reason); a
  // failed read (throttled, not yet created) is tried again by the next request.
  const cache = new Map<string, string>();
  return async (name) => {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (!value) throw new SecretUnavailable(`the SSM parameter ${name} has no value`);
    redact(value);
    cache.set(name, value);
    return value;
  };
}

/**
 * Slack's Web API answered with an error: `ok: false` and its word (`no_such_subteam`,
 * `invalid_auth`, `missing_scope`…), or HTTP 429 `ratelimited` with `Retry-After` seconds
 * (https://api.slack.com/apis/rate-limits). The message names the method and the word only: never
 * the token.
 */
export class SlackApiError extends TransientError {
  override name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly error: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(
      `Slack ${method}: ${error}${retryAfterSeconds !== undefined ? ` (retry after ${retryAfterSeconds} s)` : ''}`,
    );
  }
}

/**
 * Slack's Web API, with the bot token: the two methods the buttons use. Nothing is cached: a
 * group's members are asked at each click (a person's click, far below usergroups.users.list's
 * Tier 2 limit of 20+ a minute), so a member removed from the group cannot click a minute later.
 */
export function slackApi(token: () => Promise<string>, base = 'https://slack.com/api/') {
  const call = async (method: string, init: RequestInit) => {
    const res = await fetch(`${base}${method}`, {
      ...init,
      headers: { authorization: `Bearer ${await token()}`, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(2000),
    });
    const name = method.replace(/\?.*$/, '');
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      throw new SlackApiError(name, 'ratelimited', Number.isFinite(after) ? after : undefined);
    }
    let body: { ok?: boolean; error?: string; users?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new SlackApiError(name, `HTTP ${res.status}, not JSON`);
    }
    if (!body.ok) throw new SlackApiError(name, body.error ?? `HTTP ${res.status}`);
    return body;
  };
  return {
    /** https://api.slack.com/methods/usergroups.users.list (scope usergroups:read): `{ ok, users }` */
    groupMembers: async (group: string): Promise<string[]> => {
      const { users } = await call(`usergroups.users.list?usergroup=${encodeURIComponent(group)}`, {
        method: 'GET',
      });
      if (!Array.isArray(users) || !users.every((u) => typeof u === 'string')) {
        throw new SlackApiError('usergroups.users.list', 'an answer without a list of users');
      }
      return users;
    },
    /** https://api.slack.com/methods/chat.postMessage (scope chat:write), in the thread of `threadTs` */
    postInThread: async (channel: string, threadTs: string, text: string) => {
      await call('chat.postMessage', {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ channel, thread_ts: threadTs, text }),
      });
    },
  };
}

/** POSTs JSON to a `response_url`; Slack answers 200 `ok` or an error word. */
export async function respond(url: string, message: Record<string, unknown>): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(2000),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}

/**
 * What a click needs, from the config and the environment: the same pipeline options as the
 * trigger functions' (lib/environment-pipeline.ts), lifecycle hook included, so a "Retry this
 * digest" or a "Deploy now" on an ecs-* target starts ECS's deployment as a push would. `now` is
 * Date.now in Lambda (a test passes the virtual clock).
 */
export function interactDeps(config: Config, now: () => number = Date.now): InteractDeps {
  const { env, options } = pipelineOptionsFromEnvironment(config, {}, now);
  const pipeline = new Pipeline(options);
  const secret = secretReader(options.clients.ssm);
  const api = env.botTokenParameter ? slackApi(() => secret(env.botTokenParameter!)) : undefined;
  return {
    config,
    store: options.store,
    command: (cluster, service, command) => pipeline.command(cluster, service, command),
    dynamodb: options.clients.dynamodb,
    table: env.table,
    signingSecret: () => secret(env.signingSecretParameter),
    now,
    respond,
    ...(api && { groupMembers: api.groupMembers, postInThread: api.postInThread }),
  };
}

/** The raw body, as Slack signed it: function URLs base64-encode a body they do not treat as text. */
function rawBody(event: FunctionUrlEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/**
 * `getDeps`' default is evaluated at each call, so each handler has its own: functions/slack-interact.ts
 * makes one when its module loads, so its dependencies (the pipeline, the cached secrets) are built
 * at the first click of an execution environment and kept for its warm ones; a failed build (no
 * config) is not kept, and the next click tries again.
 */
export function createInteractHandler(
  getDeps: () => Promise<InteractDeps> = keptUnlessFailed(async () => interactDeps(packagedConfig())),
) {
  const handler = middy<FunctionUrlEvent, InteractionResponse, Error, Context>().handler(async (event) => {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') {
      return { statusCode: 405, headers: { allow: 'POST' }, body: '' };
    }
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
    try {
      return await interact({ headers, body: rawBody(event) }, await getDeps());
    } catch (e) {
      // An answer Slack can show (a click is never retried: the person clicks again); the details
      // (never the secret: redacted) are in the log line, stack and all, as onError's (lib/handler.ts).
      log.error('slack.error', { error: e, permanent: isPermanent(e) });
      return { statusCode: 500, headers: {}, body: '' };
    }
  });
  return inLogContext('slackInteract', (event: FunctionUrlEvent, context: Context) =>
    handler(event, context),
  );
}
