/**
 * The operating commands behind `autopilot <command>`: arguments parsed, dependencies connected
 * (real AWS or the local AWS, see env.ts), the command run, its failure told in one line.
 *
 *   runCommand('status', ['prod/web', '--json'])                    // as bin/autopilot.js does
 *   runCommand('wait', ['prod/web'], { env: world.clientEnv(), io }) // in a test
 *
 * Options every command takes: --json (the result as JSON on stdout), --local (the local AWS:
 * AWS_ENDPOINT_URL, or http://127.0.0.1:4566), --config FILE (autopilot.yml, or a scenario file
 * with an autopilot: section), --verbose (the pipeline's log lines on stderr).
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { parseDuration } from '../duration.ts';
import { setLogSink } from '../log.ts';
import { CommandFailed, type Deps, type Io, parseImageRef, UsageError } from './common.ts';
import { connect, DEFAULT_CONFIG, LOCAL_ENDPOINT } from './env.ts';

export type CommandName =
  | 'status'
  | 'history'
  | 'deploy'
  | 'promote'
  | 'pause'
  | 'resume'
  | 'abort'
  | 'rollback'
  | 'wait'
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

/**
 * A command of control.ts on one service, its own flags passed on by name:
 * `abort prod/web --reason "bad"` runs abort({ service: 'prod/web', reason: 'bad', json }).
 */
function control(name: 'promote' | 'pause' | 'resume' | 'abort' | 'rollback', flags: OptionSpec): Spec {
  return {
    positionals: [1, 1],
    options: flags,
    prepare: (v, [service]) => {
      const options = {
        service: service!,
        ...Object.fromEntries(Object.keys(flags).map((k) => [k, v[k]])),
        json: v.json,
      };
      return async (deps) => (await import('./control.ts'))[name](options, deps);
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
    options: { image: { type: 'string' } },
    prepare: (v, [service]) => {
      if (!v.image) throw new UsageError('--image REPOSITORY:TAG is required');
      parseImageRef(v.image);
      const options = { service: service!, image: v.image, json: v.json };
      return async (deps) => (await import('./deploy.ts')).deploy(options, deps);
    },
  },
  promote: control('promote', { full: { type: 'boolean' } }),
  pause: control('pause', {}),
  resume: control('resume', {}),
  abort: control('abort', { reason: { type: 'string' } }),
  rollback: control('rollback', { to: { type: 'string' }, reason: { type: 'string' } }),
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

/** Runs one operating command; resolves to its exit code. Throws UsageError for bad arguments. */
export async function runCommand(
  name: CommandName,
  args: string[],
  options: RunOptions = {},
): Promise<number> {
  const env = options.env ?? process.env;
  const io = options.io ?? processIo;
  if (name === 'validate') {
    const { values, positionals } = parse(args, {}, [0, 1]);
    const file = positionals[0] ?? values.config ?? env.AUTOPILOT_CONFIG_FILE ?? DEFAULT_CONFIG;
    return (await import('./validate.ts')).validate({ file, json: values.json }, io);
  }
  const spec = SPECS[name];
  const { values, positionals } = parse(args, spec.options, spec.positionals);
  const run = spec.prepare(values, positionals);
  const previousSink = setLogSink((line) => {
    if (values.verbose || line.startsWith('{"level":"error"')) io.err(`${line}\n`);
  });
  try {
    const deps = await connect({ local: values.local, config: values.config }, env, io);
    return await run(deps);
  } catch (e) {
    const message = explain(
      e,
      values.local ? (env.AWS_ENDPOINT_URL ?? LOCAL_ENDPOINT) : env.AWS_ENDPOINT_URL,
      env,
    );
    if (message === undefined) throw e;
    io.err(`autopilot ${name}: ${message}\n`);
    return e instanceof CommandFailed ? e.code : 1;
  } finally {
    setLogSink(previousSink);
  }
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
    return parseDuration(/^\d+(\.\d+)?$/.test(text) ? Number(text) : text);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number of 1 or more, got "${text}"`);
  return n;
}

/** A failure told in one line for the person at the terminal, or undefined for a bug (the stack is shown). */
function explain(e: unknown, endpoint: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const err = e as Error & { code?: string; $metadata?: unknown; errors?: Error[] };
  if (err instanceof UsageError) throw err;
  if (err instanceof CommandFailed || err instanceof ConfigError) return err.message;
  const name = err?.name ?? '';
  if (['UnknownServiceError', 'RevisionError', 'CorruptRecordError'].includes(name)) return err.message;
  const codes = [err?.code, ...(err?.errors ?? []).map((x) => (x as { code?: string }).code)];
  if (codes.includes('ECONNREFUSED') || /ECONNREFUSED/.test(String(err?.message))) {
    return `nothing answers at ${endpoint ?? 'the endpoint'}: start the local AWS with \`npx autopilot local --port ${portOf(endpoint)} --scenario scenarios/demo.yml\`, or set AWS_ENDPOINT_URL to where it listens`;
  }
  if (name === 'ResourceNotFoundException') {
    const table = env.AUTOPILOT_TABLE || 'ecs-autopilot';
    return endpoint
      ? `the local AWS at ${endpoint} has no table ${table}: start it with a scenario that has an autopilot: section (\`npx autopilot local --scenario FILE.yml\`)`
      : `the records table ${table} was not found: deploy the pipeline (npx serverless deploy) in this region, or set AUTOPILOT_TABLE`;
  }
  if (name === 'CredentialsProviderError') {
    return `no AWS credentials: ${err.message} (set AWS_PROFILE, log in with aws sso login, or use --local)`;
  }
  if (/Region is missing/i.test(String(err?.message))) {
    return 'no AWS region: set AWS_REGION (or a region in your AWS profile), or use --local';
  }
  if (err?.$metadata) return `${name}: ${err.message}`;
  return undefined;
}

function portOf(endpoint: string | undefined): string {
  return endpoint?.match(/:(\d+)\/?$/)?.[1] ?? '4566';
}
