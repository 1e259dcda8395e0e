/**
 * The one way to log: one JSON object per line, `level`, `msg` and fields. Secrets never reach a
 * line: values registered with `redact()` (the Slack webhook URL) are replaced wherever they
 * appear, even inside error messages and stacks.
 *
 *   log.info('rollout.started', { service: 'prod/web', digest });
 */
import { type LogLevel as Level, logLevel } from './env.ts';

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets = new Set<string>();
let sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`);
let context: Record<string, unknown> = {};

/** Registers a secret so it is masked in every later log line. */
export function redact(secret: string | undefined): void {
  if (secret && secret.length >= 8) secrets.add(secret);
}

/** Replaces every registered secret in `text`. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/** Where lines go (tests and the scenario runner capture them). Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = next;
  return prev;
}

/** Fields added to every line, e.g. the Lambda request id. */
export function setLogContext(fields: Record<string, unknown>): void {
  context = fields;
}

function threshold(): number {
  return ORDER[logLevel()];
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold()) return;
  const line = JSON.stringify({ level, msg, ...context, ...fields }, (_k, v) => {
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (typeof v === 'bigint') return String(v);
    return v;
  });
  sink(scrub(line));
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
