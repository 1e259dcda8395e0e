/**
 * The one way to log: one JSON object per line, `level`, `msg` and fields. Secrets never reach a
 * line: values registered with `redact()` (the Slack webhook URL) are replaced wherever they
 * appear, even inside error messages and stacks.
 *
 *   log.info('rollout.started', { service: 'prod/web', digest });
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type LogLevel as Level, logLevel } from './env.ts';
import { PipelineError } from './errors.ts';

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets = new Set<string>();
let sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`);
/** Readers of every line besides the sink: the local Lambda runtime keeps them in CloudWatch Logs. */
const taps = new Set<(line: string) => void>();
/** An invocation's own fields: the local Lambda runs several invocations at once in one process. */
const invocation = new AsyncLocalStorage<Record<string, unknown>>();

/** Registers a secret so it is masked in every later log line. */
export function redact(secret: string | undefined): void {
  if (secret && secret.length >= 8) secrets.add(secret);
}

/** A path separator as written, JSON-escaped or URL-encoded. */
const SEP = String.raw`(?:/|\\/|%2[Ff])`;
/** A Slack webhook with or without its scheme: the host and everything after it. */
const SLACK_WEBHOOK = new RegExp(
  String.raw`(?:[a-z]+(?::|%3[Aa])${SEP}${SEP})?hooks\.slack(?:-gov)?\.com${SEP}[^\s"'<>\x60,)\]}]*`,
  'gi',
);
/** The secret part of a Slack webhook on its own (a host left out, or another host in front). */
const SLACK_WEBHOOK_PATH = new RegExp(
  `${SEP}?services${SEP}T[A-Z0-9]+${SEP}B[A-Z0-9]+${SEP}[A-Za-z0-9]+`,
  'g',
);

/**
 * Masks anything shaped like a Slack webhook, registered or not: a URL written into autopilot.yml by
 * mistake (with its scheme, or without: `hooks.slack.com/services/T…/B…/…`) is never echoed.
 *
 *   'got "hooks.slack.com/services/T0/B1/abc"'  -> 'got "[webhook redacted]"'
 *   'https://hooks.slack.com/services/T0/B1/x'  -> '[webhook redacted]'
 *   'http://127.0.0.1:9/services/T0/B1/x'       -> 'http://127.0.0.1:9[webhook redacted]'
 */
export function maskWebhooks(text: string): string {
  return text.replace(SLACK_WEBHOOK, '[webhook redacted]').replace(SLACK_WEBHOOK_PATH, '[webhook redacted]');
}

/** Replaces every registered secret, and anything shaped like a webhook, in `text`. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return maskWebhooks(out);
}

/** Where lines go (tests and the scenario runner capture them). Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = next;
  return prev;
}

/**
 * Also gives every line to `tap`, whatever the sink (the local Lambda runtime writes each
 * invocation's lines into its log group, as Lambda does). Returns the function that removes it.
 */
export function addLogTap(tap: (line: string) => void): () => void {
  taps.add(tap);
  return () => taps.delete(tap);
}

/**
 * A Lambda handler whose every line names its function and request id, its own even when
 * invocations overlap in one process (locally; Lambda runs one at a time per container, but the
 * lines must not depend on it).
 */
export function inLogContext<E, C extends { awsRequestId?: string } | undefined, R>(
  fn: string,
  handler: (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  return (event, ctx) =>
    invocation.run({ function: fn, requestId: ctx?.awsRequestId }, () => handler(event, ctx));
}

/**
 * An error as a log line carries it, wherever it is logged (a handler's `onError`, a service's
 * failure in the pipeline, a Slack click): its name, message and stack, and for the pipeline's
 * typed errors (lib/errors.ts) whether retrying can fix it.
 *
 *   new UnknownServiceError('gone') -> { name: 'UnknownServiceError', message: 'gone', stack: 'UnknownServiceError: gone\n    at …', permanent: true }
 *   new Error('boom')               -> { name: 'Error', message: 'boom', stack: 'Error: boom\n    at …' }
 */
export function errorFields(e: Error): Record<string, unknown> {
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    ...(e instanceof PipelineError && { permanent: e.permanent }),
  };
}

function threshold(): number {
  return ORDER[logLevel()];
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold()) return;
  const line = JSON.stringify({ level, msg, ...invocation.getStore(), ...fields }, (_k, v) => {
    if (v instanceof Error) return errorFields(v);
    if (typeof v === 'bigint') return String(v);
    return v;
  });
  const scrubbed = scrub(line);
  sink(scrubbed);
  for (const tap of taps) tap(scrubbed);
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
