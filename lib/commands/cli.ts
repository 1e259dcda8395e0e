/**
 * The operating commands behind `autopilot <command>`: arguments parsed, dependencies connected
 * (real AWS or the local AWS, see env.ts), the command run, its failure told in one line.
 *
 *   runCommand('status', ['prod/web', '--json'])                    // as bin/autopilot.js does
 *   runCommand('wait', ['prod/web'], { env: world.clientEnv(), io }) // in a test
 *
 * Options every command takes: --json (the result as JSON on stdout), --local (the local AWS:
 * AWS_ENDPOINT_URL, or http://127.0.0.1:4566), --config FILE (autopilot.yml, or a scenario file
 * with an autopilot: section; under --local, the one the local world runs), --verbose (the config
 * read and the pipeline's log lines on stderr), --help (the
 * command's options and an example, exit 0).
 *
 * Under --json every outcome is one JSON document on stdout, failures included, so a script never
 * parses stderr. A failure is always this shape (the README documents it):
 *
 *   { "ok": false, "command": "status", "exitCode": 1,
 *     "error": { "kind": "unreachable", "message": "nothing answers at http://127.0.0.1:4566: …" } }
 *
 * where kind is one of ERROR_KINDS and exitCode is the process's exit code (2 for bad usage).
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { parseDuration } from '../duration.ts';
import { setLogSink } from '../log.ts';
import { CommandFailed, type Deps, type Io, parseImageRef, printJson, UsageError } from './common.ts';
import { configFileOf, connect, connection, DEFAULT_CONFIG, LOCAL_ENDPOINT, tableOf } from './env.ts';
import { FUNCTIONS, LEVELS } from './logs.ts';

export type CommandName =
  | 'status'
  | 'history'
  | 'deploy'
  | 'promote'
  | 'pause'
  | 'resume'
  | 'abort'
  | 'approve'
  | 'reject'
  | 'rollback'
  | 'wait'
  | 'logs'
  | 'validate';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

interface Spec {
  /** How many CLUSTER/SERVICE positionals: [min, max]. */
  positionals: [number, number];
  options: OptionSpec;
  /** Reads the arguments (a mistake throws UsageError before anything is connected), returns the run. */
  prepare(values: Record<string, any>, positionals: string[]): (deps: Deps) => Promise<number>;
}

const COMMON: OptionSpec = {
  json: { type: 'boolean' },
  local: { type: 'boolean' },
  config: { type: 'string' },
  verbose: { type: 'boolean' },
};

/** What `autopilot COMMAND --help` prints: the usage line, what it does, its own options, an example. */
export const HELP: Record<
  CommandName,
  { usage: string; summary: string; options: string[]; example: string }
> = {
  status: {
    usage: 'status [CLUSTER/SERVICE]',
    summary:
      'Every managed service (or one): the revision and image it runs, its tasks by revision, the rollout in progress and its step, the gate alarms in ALARM, and how the last rollout ended (from what, to what, why).',
    options: [],
    example: 'autopilot status prod/web --json',
  },
  history: {
    usage: 'history CLUSTER/SERVICE [--limit N]',
    summary:
      "The service's rollouts and rollbacks, newest first: the image, the revision it went from and to, the outcome, how long it took and why.",
    options: ['--limit N   only the N newest (the record keeps the last 25)'],
    example: 'autopilot history prod/web --limit 5',
  },
  deploy: {
    usage: 'deploy CLUSTER/SERVICE --image REPOSITORY:TAG [--dry-run]',
    summary:
      "Roll an image out by hand, the same way as a push to ECR, with the target's strategy and steps. Not held back by the tag policy, nor by an earlier rollback of the digest: the image is tried again, for real.",
    options: [
      '--image REF   REPOSITORY:TAG or REPOSITORY@sha256:… (required)',
      '--dry-run     show the revision that would be registered (as a diff) and the steps, change nothing',
    ],
    example: 'autopilot deploy prod/web --image web:v2 && autopilot wait prod/web --image web:v2',
  },
  promote: {
    usage: 'promote CLUSTER/SERVICE [--full]',
    summary: 'Go to the next step now, skipping the rest of the bake (also from a paused step).',
    options: ['--full   straight to 100%'],
    example: 'autopilot promote prod/web',
  },
  pause: {
    usage: 'pause CLUSTER/SERVICE',
    summary: 'Hold the rollout on its step until resume or promote. A failure still rolls it back.',
    options: [],
    example: 'autopilot pause prod/web',
  },
  resume: {
    usage: 'resume CLUSTER/SERVICE',
    summary: 'Go on with a paused rollout from its step. A rollout that is not paused is an error (exit 1).',
    options: [],
    example: 'autopilot resume prod/web',
  },
  abort: {
    usage: 'abort CLUSTER/SERVICE [--reason TEXT]',
    summary: 'Stop the rollout in progress and go back to the revision it started from.',
    options: ['--reason TEXT   why, for history and Slack'],
    example: 'autopilot abort prod/web --reason "wrong build"',
  },
  approve: {
    usage: 'approve CLUSTER/SERVICE [--as NAME]',
    summary:
      'Let the rollout through the approval gate it waits at (it takes the next step now); with no gate waiting, deploy the push that waits for a freeze now. Nothing waiting is an error (exit 1).',
    options: ['--as NAME   who approves, for the record and Slack (default: cli:<your login name>)'],
    example: 'autopilot approve prod/web',
  },
  reject: {
    usage: 'reject CLUSTER/SERVICE [--as NAME] [--reason TEXT]',
    summary:
      'Roll back the rollout that waits at its approval gate; with no gate waiting, drop the push that waits for a freeze. Either way its digest is not deployed again by a push (deploy it by hand to retry).',
    options: [
      '--as NAME       who rejects, for the record and Slack (default: cli:<your login name>)',
      '--reason TEXT   why, for history and Slack',
    ],
    example: 'autopilot reject prod/web --reason "wait for the migration"',
  },
  rollback: {
    usage: 'rollback CLUSTER/SERVICE [--to REVISION] [--reason TEXT] [--force]',
    summary:
      'During a rollout, as abort (to REVISION if given). Otherwise the service goes back to REVISION, or to the good revision before the one it runs.',
    options: [
      "--to REVISION   web:3, 3 (the service's family) or a task definition ARN",
      '--reason TEXT   why, for history and Slack',
      '--force         roll back to a revision never known good (one whose rollout failed or was aborted)',
    ],
    example: 'autopilot rollback prod/web --to web:3 --reason "latency after v4"',
  },
  wait: {
    usage: 'wait CLUSTER/SERVICE [--image REPOSITORY:TAG] [--timeout 1h] [--interval 2s]',
    summary:
      'Follow the rollout to its end, progress on stderr. Exit 0 if it succeeded, 1 with the reason if not, 3 if --timeout passed first.',
    options: [
      '--image REF       wait for the rollout of that image (it may not have started yet)',
      "--timeout 1h      give up after this long, in the AWS's time (the local AWS's clock under --local)",
      '--interval 2s     real time between two looks at the record',
    ],
    example: 'autopilot wait prod/web --image web:v2 --timeout 30m',
  },
  logs: {
    usage:
      'logs [CLUSTER/SERVICE] [--since 1h] [--level debug|info|warn|error] [--function NAME] [--follow] [--interval 2s]',
    summary:
      "The Lambdas' log lines from CloudWatch Logs (/aws/lambda/<AUTOPILOT_TABLE>-<function>), oldest first, across the stack's functions: those naming the service, at the level or above, since the time given (the AWS's clock). --follow keeps printing new lines until interrupted.",
    options: [
      "--since 1h        how far back, in the AWS's time (the local AWS's clock under --local)",
      '--level LEVEL     debug, info, warn or error: that level and above',
      `--function NAME   one function: ${FUNCTIONS.join(', ')}`,
      '--follow          keep printing new lines (with --json: one JSON object per line)',
      '--interval 2s     real time between two looks when following',
    ],
    example: 'autopilot logs prod/web --since 30m --level warn',
  },
  validate: {
    usage: 'validate [FILE] [--live]',
    summary:
      'Check autopilot.yml (or FILE, or --config) without touching AWS, and show what each target will do. Every problem is listed with its path and line (exit 1). With --live, also ask AWS (reads only) whether each service exists and can be rolled out (its deployment controller, scheduling, containers) and whether every gate alarm exists (exit 1 naming what is wrong).',
    options: ['--live   also check the services and gate alarms in AWS (or the local AWS with --local)'],
    example: 'autopilot validate autopilot.yml --live',
  },
};

const COMMON_HELP = [
  '--json          the outcome as one JSON document on stdout, failures included',
  '--local         the local AWS (AWS_ENDPOINT_URL, or http://127.0.0.1:4566)',
  "--config FILE   autopilot.yml, or a scenario with an autopilot: section (default: AUTOPILOT_CONFIG_FILE; under --local the local world's; else autopilot.yml)",
  "--verbose       which config was read, and the pipeline's log lines, on stderr",
  '--help          this help',
];

export function helpText(name: CommandName): string {
  const h = HELP[name];
  const options = [
    ...h.options,
    ...(name === 'validate' ? [COMMON_HELP[0]!, COMMON_HELP[1]!, COMMON_HELP[2]!] : COMMON_HELP),
  ];
  return `Usage: autopilot ${h.usage} [options]\n\n${h.summary}\n\nOptions:\n${options.map((o) => `  ${o}`).join('\n')}\n\nExample:\n  ${h.example}\n\nExit codes: 0 done, 1 failed, 2 bad usage${name === 'wait' ? ', 3 --timeout passed' : ''}.\n`;
}

/**
 * A command of control.ts on one CLUSTER/SERVICE: its own options are passed on by the names they
 * have on the command line (`abort prod/web --reason x` -> abort({ service, json, reason: 'x' })).
 */
function control(
  name: 'promote' | 'pause' | 'resume' | 'abort' | 'approve' | 'reject' | 'rollback',
  options: OptionSpec,
): Spec {
  return {
    positionals: [1, 1],
    options,
    prepare: (v, [service]) => {
      const own = Object.fromEntries(Object.keys(options).map((key) => [key, v[key]]));
      const run = { ...own, service: service!, json: v.json };
      return async (deps) => (await import('./control.ts'))[name](run, deps);
    },
  };
}

const SPECS: Record<Exclude<CommandName, 'validate'>, Spec> = {
  status: {
    positionals: [0, 1],
    options: {},
    prepare: (v, [service]) => {
      const options = { service, json: v.json };
      return async (deps) => (await import('./status.ts')).status(options, deps);
    },
  },
  history: {
    positionals: [1, 1],
    options: { limit: { type: 'string' } },
    prepare: (v, [service]) => {
      const options = {
        service: service!,
        json: v.json,
        limit: v.limit === undefined ? undefined : count('--limit', v.limit),
      };
      return async (deps) => (await import('./history.ts')).history(options, deps);
    },
  },
  deploy: {
    positionals: [1, 1],
    options: { image: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    prepare: (v, [service]) => {
      if (!v.image) throw new UsageError('--image REPOSITORY:TAG is required');
      parseImageRef(v.image);
      const options = { service: service!, image: v.image, json: v.json, dryRun: v['dry-run'] };
      return async (deps) => (await import('./deploy.ts')).deploy(options, deps);
    },
  },
  promote: control('promote', { full: { type: 'boolean' } }),
  pause: control('pause', {}),
  resume: control('resume', {}),
  abort: control('abort', { reason: { type: 'string' } }),
  approve: control('approve', { as: { type: 'string' } }),
  reject: control('reject', { as: { type: 'string' }, reason: { type: 'string' } }),
  rollback: control('rollback', {
    to: { type: 'string' },
    reason: { type: 'string' },
    force: { type: 'boolean' },
  }),
  wait: {
    positionals: [1, 1],
    options: { image: { type: 'string' }, timeout: { type: 'string' }, interval: { type: 'string' } },
    prepare: (v, [service]) => {
      if (v.image) parseImageRef(v.image);
      const options = {
        service: service!,
        image: v.image,
        json: v.json,
        timeoutMs: v.timeout === undefined ? undefined : duration('--timeout', v.timeout),
        intervalMs: v.interval === undefined ? undefined : duration('--interval', v.interval),
      };
      return async (deps) => (await import('./wait.ts')).wait(options, deps);
    },
  },
  logs: {
    positionals: [0, 1],
    options: {
      since: { type: 'string' },
      level: { type: 'string' },
      function: { type: 'string' },
      follow: { type: 'boolean' },
      interval: { type: 'string' },
    },
    prepare: (v, [service]) => {
      const options = {
        service,
        json: v.json,
        follow: v.follow,
        sinceMs: v.since === undefined ? undefined : duration('--since', v.since),
        intervalMs: v.interval === undefined ? undefined : duration('--interval', v.interval),
        level: v.level === undefined ? undefined : oneOf('--level', v.level, LEVELS),
        function: v.function === undefined ? undefined : oneOf('--function', v.function, FUNCTIONS),
      };
      return async (deps) => (await import('./logs.ts')).logs(options, deps);
    },
  },
};

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
};

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  io?: Io;
}

/** What went wrong, under --json: `error.kind`. */
export const ERROR_KINDS = [
  /** Bad arguments (exit 2). */
  'usage',
  /** The config file does not load or is invalid. */
  'config',
  /** The command could not do what was asked: no rollout to pause, an unknown service or image. */
  'refused',
  /** Nothing answers at the endpoint. */
  'unreachable',
  /** No credentials or no region. */
  'credentials',
  /** AWS answered with an error. */
  'aws',
  /** A bug: the message is the error's, the stack on stderr. */
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Runs one operating command; resolves to its exit code. Without --json, bad arguments throw
 * UsageError (the dispatcher prints the usage, exit 2); with --json they are a JSON failure, exit 2.
 */
export async function runCommand(
  name: CommandName,
  args: string[],
  options: RunOptions = {},
): Promise<number> {
  const env = options.env ?? process.env;
  const io = options.io ?? processIo;
  const json = args.includes('--json');
  if (args.includes('--help') || args.includes('-h')) {
    io.out(helpText(name));
    return 0;
  }
  const failed = (kind: ErrorKind, message: string, exitCode: number, extra: object = {}) => {
    if (json) printJson(io, { ok: false, command: name, exitCode, error: { kind, message, ...extra } });
    else io.err(`autopilot ${name}: ${message}\n`);
    return exitCode;
  };
  let values: Record<string, any>;
  let run: ((deps: Deps) => Promise<number>) | undefined;
  let service: string | undefined;
  try {
    if (name === 'validate') {
      const parsed = parse(args, { live: { type: 'boolean' } }, [0, 1]);
      values = parsed.values;
      const c = values.live || values.local ? connection({ local: values.local }, env) : undefined;
      // The same config as every other command: under --local, the one the world's pipeline runs.
      const file =
        parsed.positionals[0] ??
        (c ? (await configFileOf({ config: values.config, local: values.local }, env, c)).file : undefined) ??
        values.config ??
        env.AUTOPILOT_CONFIG_FILE ??
        DEFAULT_CONFIG;
      const live = values.live ? c?.clients : undefined;
      return await (await import('./validate.ts')).validate({ file, json: values.json, live }, io);
    }
    const spec = SPECS[name];
    const parsed = parse(args, spec.options, spec.positionals);
    values = parsed.values;
    run = spec.prepare(values, parsed.positionals);
    service = parsed.positionals[0];
  } catch (e) {
    if (e instanceof UsageError && json)
      return failed('usage', e.message, 2, { usage: `autopilot ${HELP[name].usage}` });
    throw e;
  }
  const slackTrouble: SlackTrouble[] = [];
  const previousSink = setLogSink((line) => {
    const trouble = slackTroubleOf(line);
    if (trouble) slackTrouble.push(trouble);
    if (values.verbose) io.err(`${line}\n`);
    else if (line.startsWith('{"level":"error"') && !trouble) io.err(`${line}\n`);
  });
  // The config a failure names: the one the command read once it is known (under --local, the
  // world's), until then the one it was told of.
  let configFile: string = values.config ?? env.AUTOPILOT_CONFIG_FILE ?? DEFAULT_CONFIG;
  try {
    const deps = await connect({ local: values.local, config: values.config }, env, io);
    configFile = deps.configFile;
    if (values.verbose) io.err(`config: ${deps.configFile} (${deps.configSource ?? 'the default'})\n`);
    const outbox = await outboxOf(deps, service);
    try {
      return await run(deps);
    } finally {
      if (slackTrouble.length > 0)
        for (const note of slackNotes(slackTrouble, outbox, await outboxOf(deps, service)))
          io.err(`${note}\n`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      if (json) return failed('usage', e.message, 2, { usage: `autopilot ${HELP[name].usage}` });
      throw e;
    }
    const endpoint = values.local ? (env.AWS_ENDPOINT_URL ?? LOCAL_ENDPOINT) : env.AWS_ENDPOINT_URL;
    const explained = explain(e, endpoint, env, configFile);
    if (explained === undefined) {
      if (!json) throw e;
      io.err(`${(e as Error)?.stack ?? e}\n`);
      return failed('internal', String((e as Error)?.message ?? e), 1);
    }
    const extra = e instanceof ConfigError ? { problems: e.problems } : {};
    return failed(explained.kind, explained.message, e instanceof CommandFailed ? e.code : 1, extra);
  } finally {
    setLogSink(previousSink);
  }
}

/** A Slack message the pipeline could not send while the command ran, from its log line. */
interface SlackTrouble {
  id: string;
  kind: string;
  reason: string;
  /** Given up for good (`notification.failed`), else tried again later (`notification.retry`). */
  failed: boolean;
}

function slackTroubleOf(line: string): SlackTrouble | undefined {
  if (!line.includes('"msg":"notification.')) return undefined;
  let fields: { msg?: string; reason?: string; error?: string; kind?: string; id?: string };
  try {
    fields = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (fields.msg !== 'notification.failed' && fields.msg !== 'notification.retry') return undefined;
  return {
    id: fields.id ?? '',
    kind: fields.kind ?? 'a message',
    reason: fields.reason ?? fields.error ?? fields.msg,
    failed: fields.msg === 'notification.failed',
  };
}

/** The service's queued Slack messages (ids and kinds), or none when there is no service or no record. */
async function outboxOf(deps: Deps, service: string | undefined): Promise<{ id: string; kind: string }[]> {
  const target = deps.config.targets.find((t) => `${t.cluster}/${t.service}` === service);
  if (!target) return [];
  const record = await deps.store.get(target.cluster, target.service).catch(() => undefined);
  return (record?.outbox ?? []).map((e) => ({ id: e.id, kind: e.notice.kind }));
}

/**
 * What a person should know of the Slack messages that did not go while the command ran: the
 * command's own (queued by it: not in the outbox before), each by its kind, whether it stays queued
 * and behind how many older ones; an older message given up on is said apart. The sender tries the
 * oldest message first and stops at a webhook's first failure, so the command's own may not have
 * been tried at all: it is then named with the failure that held it back.
 *
 *   before [], after [paused 5.0], trouble [paused 5.0 retry "HTTP 500"]
 *     -> 'note: Slack was not told of paused yet: HTTP 500; it stays queued for the pipeline's next tick'
 *   before [started 3.0], after [started 3.0, paused 5.0], trouble [started 3.0 retry "HTTP 500"]
 *     -> 'note: Slack was not told of paused yet: HTTP 500 (for started, tried first); it stays queued
 *         for the pipeline's next tick, behind 1 older message'
 */
export function slackNotes(
  trouble: SlackTrouble[],
  before: { id: string; kind: string }[],
  after: { id: string; kind: string }[],
): string[] {
  const older = new Set(before.map((e) => e.id));
  const queued = new Set(after.map((e) => e.id));
  const last = new Map(trouble.map((t) => [t.id, t]));
  const notes: string[] = [];
  const waiting = after.filter((e) => older.has(e.id)).length;
  const behind = waiting ? `, behind ${waiting} older message${waiting === 1 ? '' : 's'}` : '';
  const held = trouble.at(-1)!;
  for (const own of after.filter((e) => !older.has(e.id))) {
    const t = last.get(own.id);
    const why = t ? t.reason : `${held.reason} (for ${held.kind}, tried first)`;
    notes.push(
      `note: Slack was not told of ${own.kind} yet: ${why}; it stays queued for the pipeline's next tick${behind}`,
    );
  }
  for (const t of last.values()) {
    if (queued.has(t.id)) continue;
    if (!t.failed) continue;
    const whose = older.has(t.id) ? `an older message, ${t.kind}` : t.kind;
    notes.push(`note: Slack was not told of ${whose}: ${t.reason}; given up, it will not be sent`);
  }
  return notes;
}

function parse(args: string[], options: OptionSpec, [min, max]: [number, number]) {
  let parsed: { values: Record<string, any>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const n = parsed.positionals.length;
  if (n < min)
    throw new UsageError(
      min === 1 ? 'name the service as CLUSTER/SERVICE, such as prod/web' : 'missing arguments',
    );
  if (n > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  return parsed;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

function oneOf<T extends string>(flag: string, text: string, values: readonly T[]): T {
  if (!values.includes(text as T))
    throw new UsageError(`${flag} must be one of ${values.join(', ')}; got "${text}"`);
  return text as T;
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number of 1 or more, got "${text}"`);
  return n;
}

/** A failure told in one line for the person at the terminal, or undefined for a bug (the stack is shown). */
function explain(
  e: unknown,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
  configFile: string,
): { kind: ErrorKind; message: string } | undefined {
  const err = e as Error & { code?: string; $metadata?: unknown; errors?: Error[] };
  if (err instanceof ConfigError) return { kind: 'config', message: err.message };
  if (err instanceof CommandFailed) return { kind: 'refused', message: err.message };
  const name = err?.name ?? '';
  if (['UnknownServiceError', 'RevisionError', 'CorruptRecordError', 'RefusedError'].includes(name))
    return { kind: 'refused', message: err.message };
  const codes = [err?.code, ...(err?.errors ?? []).map((x) => (x as { code?: string }).code)];
  const start = `npx autopilot local --port ${portOf(endpoint)}`;
  if (codes.includes('ECONNREFUSED') || /ECONNREFUSED/.test(String(err?.message))) {
    return {
      kind: 'unreachable',
      message: `nothing answers at ${endpoint ?? 'the endpoint'}: start the local AWS with \`${start}\` (the demo's world), or set AWS_ENDPOINT_URL to where it listens`,
    };
  }
  // No network, no DNS, or a proxy that is needed and not set: getaddrinfo names the host.
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN') || /getaddrinfo/.test(String(err?.message))) {
    return {
      kind: 'unreachable',
      message: `cannot reach AWS: ${err.message} (check the network and DNS, HTTPS_PROXY if you need one, and AWS_ENDPOINT_URL if set)`,
    };
  }
  if (name === 'ResourceNotFoundException') {
    const table = tableOf(env, endpoint);
    return {
      kind: 'aws',
      message: endpoint
        ? `the local AWS at ${endpoint} has no table ${table}: start it with a world that has an autopilot: section (\`${start}\` for the demo's, or \`${start} --scenario FILE.yml\`)`
        : `the records table ${table} was not found: deploy the pipeline (npx serverless deploy) in this region, or set AUTOPILOT_TABLE`,
    };
  }
  if (name === 'ClusterNotFoundException' || name === 'ServiceNotFoundException') {
    return {
      kind: 'aws',
      message: `${name}: ${err.message} ${configFile} names services that ${endpoint ? `the local AWS at ${endpoint}` : 'this account and region'} does not have${endpoint ? `: start it with the scenario the config comes from (\`${start} --scenario FILE.yml\`), or use --config with the running world's scenario` : ': check AWS_REGION and AWS_PROFILE'}`,
    };
  }
  if (name === 'CredentialsProviderError') {
    return {
      kind: 'credentials',
      message: `no AWS credentials: ${err.message} (set AWS_PROFILE, log in with aws sso login, or use --local)`,
    };
  }
  if (/Region is missing/i.test(String(err?.message))) {
    return {
      kind: 'credentials',
      message: 'no AWS region: set AWS_REGION (or a region in your AWS profile), or use --local',
    };
  }
  if (err?.$metadata) return { kind: 'aws', message: `${name}: ${err.message}` };
  return undefined;
}

function portOf(endpoint: string | undefined): string {
  return endpoint?.match(/:(\d+)\/?$/)?.[1] ?? '4566';
}
