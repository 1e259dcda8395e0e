/**
 * The one way to configure the Lambda side: every environment variable the pipeline reads, read
 * here. The defaults are what serverless.yml sets for the `dev` stage (test/env.test.ts reads
 * serverless.yml to check it), so a function run without its environment talks to the dev stack.
 *
 *   AUTOPILOT_TABLE            the records' table; default `ecs-autopilot-dev` (`${self:service}-${sls:stage}`)
 *   AUTOPILOT_SLACK_PARAMETER  the SSM parameter with the default webhook; default `/ecs-autopilot/slack-webhook-url`
 *   AUTOPILOT_SLACK_SIGNING_SECRET_PARAMETER  the SSM SecureString with the Slack app's signing secret
 *                              (the Slack buttons, lib/chatops); default `/ecs-autopilot/slack-signing-secret`
 *   AUTOPILOT_SLACK_BOT_TOKEN_PARAMETER  the SSM SecureString with the Slack app's bot token; optional:
 *                              needed for user-group approvers (S…) and thread replies by chat.postMessage
 *   AUTOPILOT_WAKE_QUEUE_URL   the wake-up queue's URL (lib/waker.ts); unset: no wake-ups are
 *                              scheduled, and only events and the sweep wake a record
 *   AUTOPILOT_LIFECYCLE_HOOK_ARN, AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN  the pipeline's ECS lifecycle hook
 *                              (functions/lifecycle-hook.ts) and the role ECS invokes it with: both, or
 *                              neither (then a push to an ecs-* strategy target is refused)
 *   AUTOPILOT_PACKAGED_AT      when `serverless package` ran (ISO 8601; scripts/serverless-config.cjs
 *                              sets it, the tick's only): the sweep's first look at a repository takes
 *                              it as its baseline, so a push after the deploy whose event was lost is
 *                              deployed; unset: the first look only records where it looked
 *   AWS_REGION                 set by Lambda; default `us-east-1` (serverless.yml's `region` default)
 *   AUTOPILOT_LOG_LEVEL        debug, info, warn or error; default info
 *
 * The config is not read here: it is built into each bundle at package time (lib/packaged-config.ts).
 * The AWS SDK reads its own variables (AWS_ENDPOINT_URL, credentials) itself: see lib/aws.ts.
 */
import { PermanentError } from './errors.ts';

export const DEFAULT_TABLE = 'ecs-autopilot-dev';
/** serverless.yml's `slackWebhookParameter` default. */
export const DEFAULT_WEBHOOK_PARAMETER = '/ecs-autopilot/slack-webhook-url';
/** serverless.yml's `slackSigningSecretParameter` default. */
export const DEFAULT_SIGNING_SECRET_PARAMETER = '/ecs-autopilot/slack-signing-secret';
export const DEFAULT_REGION = 'us-east-1';
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Env {
  table: string;
  slackParameter: string;
  signingSecretParameter: string;
  /** Absent: no bot token; user-group approvers cannot be checked. */
  botTokenParameter?: string;
  /** Absent: no wake-ups are scheduled. */
  wakeQueueUrl?: string;
  /** The ECS lifecycle hook and the role ECS invokes it with (the ecs-* strategies); absent: none. */
  lifecycleHook?: { hookTargetArn: string; roleArn: string };
  /** When the stack was packaged, ms (the sweep's first look's baseline); absent: unknown. */
  packagedAt?: number;
  region: string;
  logLevel: LogLevel;
}

type Source = Record<string, string | undefined>;

/**
 * The settings from `source` (process.env by default); an empty variable counts as unset.
 *
 *   {}                                       -> table 'ecs-autopilot-dev', region 'us-east-1', log level 'info'
 *   { AUTOPILOT_TABLE: 'ecs-autopilot-prod' } -> table 'ecs-autopilot-prod'
 */
export function readEnv(source: Source = process.env): Env {
  const get = (name: string) => (source[name] ? source[name] : undefined);
  return {
    table: get('AUTOPILOT_TABLE') ?? DEFAULT_TABLE,
    slackParameter: get('AUTOPILOT_SLACK_PARAMETER') ?? DEFAULT_WEBHOOK_PARAMETER,
    signingSecretParameter:
      get('AUTOPILOT_SLACK_SIGNING_SECRET_PARAMETER') ?? DEFAULT_SIGNING_SECRET_PARAMETER,
    ...(get('AUTOPILOT_SLACK_BOT_TOKEN_PARAMETER') && {
      botTokenParameter: get('AUTOPILOT_SLACK_BOT_TOKEN_PARAMETER'),
    }),
    ...(get('AUTOPILOT_WAKE_QUEUE_URL') && { wakeQueueUrl: get('AUTOPILOT_WAKE_QUEUE_URL') }),
    ...lifecycleHook(get('AUTOPILOT_LIFECYCLE_HOOK_ARN'), get('AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN')),
    ...packagedAt(get('AUTOPILOT_PACKAGED_AT')),
    region: get('AWS_REGION') ?? DEFAULT_REGION,
    logLevel: logLevel(source),
  };
}

/** The hook only with its role: ECS refuses a Lambda hook without the role that invokes it. */
function lifecycleHook(hookTargetArn: string | undefined, roleArn: string | undefined) {
  return hookTargetArn && roleArn ? { lifecycleHook: { hookTargetArn, roleArn } } : {};
}

/**
 * The package's time, refused when it is no time: read as none, the first sweep would again skip a
 * push whose event was lost (README "Wake-ups and the sweep").
 *   '2026-12-05T17:00:00.000Z' -> { packagedAt: 1796490000000 };  undefined -> {};  'soon' -> throws
 */
function packagedAt(value: string | undefined): { packagedAt?: number } {
  if (value === undefined) return {};
  const at = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(at))
    throw new PermanentError(
      `AUTOPILOT_PACKAGED_AT must be an ISO 8601 time (scripts/serverless-config.cjs sets it when the stack is packaged), got ${JSON.stringify(value)}`,
    );
  return { packagedAt: at };
}

/** The log level; an unknown one is `info`. Read at each line, so a test or the CLI may change it. */
export function logLevel(source: Source = process.env): LogLevel {
  const level = source.AUTOPILOT_LOG_LEVEL;
  return (LOG_LEVELS as readonly string[]).includes(level ?? '') ? (level as LogLevel) : 'info';
}
