/**
 * `autopilot logs [CLUSTER/SERVICE] [--since 1h] [--level warn] [--function tick] [--follow]`: the
 * Lambdas' log lines from CloudWatch Logs, oldest first, merged across the stack's functions.
 *
 * The functions are named after the records table, as Serverless names both after the service and
 * stage (`ecs-autopilot-prod` and `ecs-autopilot-prod-tick`), so the log groups are
 * `/aws/lambda/<AUTOPILOT_TABLE>-<function>`; the local AWS's are `/aws/lambda/ecs-autopilot-tick`,
 * written by its Lambda runtime (local/lambda.ts). The filtering is CloudWatch's (FilterLogEvents
 * with a JSON filter pattern, logsPattern below), so only the matching lines cross the network.
 * Lambda's own START/END/REPORT lines are not JSON and are left out (`aws logs tail` shows them).
 *
 * `--since` counts back from the AWS's clock (the local AWS's virtual one under --local).
 * `--follow` then keeps looking every `--interval` (real time) for newer lines until interrupted;
 * with --json it prints one JSON object per line (JSON Lines) instead of one document.
 */
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { CommandFailed, clockTime, type Deps, keyOf, printJson, targetOf } from './common.ts';
import { LOCAL_WORLD_TABLE } from './env.ts';

/** The stack's functions (serverless.yml), in the order a reader meets them. */
export const FUNCTIONS = ['ecrPush', 'ecsEvent', 'alarm', 'tick', 'slackInteract'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export const LOGS_SINCE_MS = 3_600_000;
export const LOGS_INTERVAL_MS = 2_000;

export interface LogsOptions {
  service?: string;
  sinceMs?: number;
  level?: Level;
  function?: FunctionName;
  follow?: boolean;
  intervalMs?: number;
  json?: boolean;
}

/** One line as the command shows it. */
export interface LogLine {
  at: string;
  function: string;
  logStream: string;
  eventId: string;
  /** The line's JSON fields (level, msg, service, ...). */
  fields: Record<string, unknown>;
}

/**
 * The FilterLogEvents pattern: the pipeline's JSON lines of one service, at a level or above.
 *
 *   service     level   pattern
 *   -           -       { $.level = "*" }
 *   prod/web    -       { $.service = "prod/web" }
 *   -           warn    { ($.level = "warn" || $.level = "error") }
 *   prod/web    error   { $.service = "prod/web" && ($.level = "error") }
 *   -           debug   { $.level = "*" }
 */
export function logsPattern(service: string | undefined, level: Level | undefined): string {
  const levels = level ? LEVELS.slice(LEVELS.indexOf(level)) : LEVELS;
  const parts = [
    ...(service ? [`$.service = "${service}"`] : []),
    ...(levels.length < LEVELS.length
      ? [`(${levels.map((l) => `$.level = "${l}"`).join(' || ')})`]
      : service
        ? []
        : ['$.level = "*"']),
  ];
  return `{ ${parts.join(' && ')} }`;
}

/** `/aws/lambda/ecs-autopilot-prod-tick` for the table `ecs-autopilot-prod`. */
export const logGroupOf = (table: string, fn: string) => `/aws/lambda/${table}-${fn}`;

/**
 * A line for the terminal: time, function, level, message, service, then the other fields.
 *
 *   2026-01-01 09:05:07Z  tick           info   action  prod/web  type=setCanary desired=1
 */
export function formatLine(line: LogLine): string {
  const { level, msg, service, function: _fn, requestId: _id, ...rest } = line.fields;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return [
    clockTime(Date.parse(line.at)),
    line.function.padEnd(13),
    String(level ?? '').padEnd(5),
    String(msg ?? ''),
    ...(service ? [String(service)] : []),
    ...(extra ? [extra] : []),
  ].join('  ');
}

export async function logs(options: LogsOptions, deps: Deps): Promise<number> {
  const target = options.service ? targetOf(options.service, deps) : undefined;
  const service = target ? keyOf(target) : undefined;
  const { CloudWatchLogsClient, FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const client = new CloudWatchLogsClient(deps.clientOptions ?? {});
  // Deps without a table are the local world's own (local/cli-step.ts).
  const table = deps.table ?? LOCAL_WORLD_TABLE;
  const functions = options.function ? [options.function] : [...FUNCTIONS];
  const filterPattern = logsPattern(service, options.level);
  const since = deps.now() - (options.sinceMs ?? LOGS_SINCE_MS);

  /** Every matching line of every function from `startTime` on; a group that does not exist is skipped. */
  const read = async (startTime: number) => {
    const found: LogLine[] = [];
    let groups = 0;
    for (const fn of functions) {
      let nextToken: string | undefined;
      try {
        do {
          const page = await client.send(
            new FilterLogEventsCommand({
              logGroupName: logGroupOf(table, fn),
              startTime,
              filterPattern,
              nextToken,
            }),
          );
          for (const e of page.events ?? []) found.push(lineOf(fn, e));
          nextToken = page.nextToken;
        } while (nextToken);
        groups++;
      } catch (e) {
        if ((e as Error).name !== 'ResourceNotFoundException') throw e;
      }
    }
    found.sort((a, b) => a.at.localeCompare(b.at) || a.eventId.localeCompare(b.eventId));
    return { found, groups };
  };

  const first = await read(since);
  if (first.groups === 0 && !options.follow) {
    throw new CommandFailed(
      `no log group ${logGroupOf(table, options.function ?? '*')} in ${deps.where}: the functions are named after the records table (AUTOPILOT_TABLE=${table}); a stack deployed with --stage prod logs to /aws/lambda/ecs-autopilot-prod-<function> (AUTOPILOT_TABLE=ecs-autopilot-prod)`,
    );
  }
  const header = { service: service ?? null, since: new Date(since).toISOString(), filterPattern };
  if (!options.follow) {
    if (options.json) printJson(deps.io, { ok: true, ...header, events: first.found });
    else if (first.found.length === 0)
      deps.io.err(`no lines${service ? ` of ${service}` : ''} since ${clockTime(since)}\n`);
    else deps.io.out(`${first.found.map(formatLine).join('\n')}\n`);
    return 0;
  }

  // --follow: the lines since the newest one shown (inclusive, so none at the same millisecond is
  // missed), without those already shown.
  const show = (line: LogLine) => deps.io.out(`${options.json ? JSON.stringify(line) : formatLine(line)}\n`);
  let shown = new Set<string>();
  let newest = since;
  const take = (lines: LogLine[]) => {
    for (const line of lines) {
      if (shown.has(line.eventId)) continue;
      show(line);
      const at = Date.parse(line.at);
      if (at > newest) {
        newest = at;
        shown = new Set();
      }
      shown.add(line.eventId);
    }
  };
  take(first.found);
  for (;;) {
    await deps.sleep(options.intervalMs ?? LOGS_INTERVAL_MS);
    take((await read(newest)).found);
  }
}

function lineOf(fn: string, e: FilteredLogEvent): LogLine {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(e.message ?? '');
  } catch {
    fields = { msg: e.message };
  }
  return {
    at: new Date(e.timestamp ?? 0).toISOString(),
    function: fn,
    logStream: e.logStreamName ?? '',
    eventId: e.eventId ?? '',
    fields,
  };
}
