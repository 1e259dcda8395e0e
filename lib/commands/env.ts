/**
 * Where the operating commands run: real AWS through the SDK's usual credential chain and region
 * (`AWS_PROFILE`, `AWS_REGION`, SSO, instance roles...), or the local AWS (`--local`, or any
 * `AWS_ENDPOINT_URL`). `--local` means `AWS_ENDPOINT_URL`, or http://127.0.0.1:4566 when it is
 * unset (`npx autopilot local --port 4566 --scenario FILE.yml`); the local AWS needs no
 * credentials (any will do) and its region defaults to us-east-1.
 *
 * The local AWS runs on a virtual clock (`autopilot local --speed 5` runs it five times faster), and
 * the pipeline's decisions compare times (bakes, deadlines), so a command against it must use that
 * clock, not the wall clock: it is read from the endpoint (the modified time of a scratch SSM
 * parameter, the one read-back of the server's clock its APIs offer) when the command connects and
 * again before every display (`wait` reads it on each look, and counts --timeout on it).
 *
 * Slack: a command is a decision like any other, so its notices (started, paused, resumed, rolled
 * back) are queued in the record and sent to the webhooks the config routes them to, from the SSM
 * parameters the Lambdas read (AUTOPILOT_SLACK_PARAMETER, default /ecs-autopilot/slack-webhook-url).
 * What the command cannot send (no access to the parameter, Slack down) stays queued in the record,
 * and the pipeline's one-minute tick sends it.
 */
import path from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { parse as parseYaml } from 'yaml';
import { type ClientOptions, createClients } from '../aws.ts';
import { type Config, validateConfig } from '../config.ts';
import { loadConfig, parseConfig, readConfigFile } from '../config-file.ts';
import { createSlack } from '../slack/deliver.ts';
import { DEFAULT_WEBHOOK_PARAMETER } from '../slack/webhook.ts';
import { DynamoRecordStore } from '../store.ts';
import { NamedQueueWaker, WakingStore, wakeQueueName } from '../waker.ts';
import type { CommandClients, Deps, Io } from './common.ts';

export const LOCAL_ENDPOINT = 'http://127.0.0.1:4566';
export const DEFAULT_TABLE = 'ecs-autopilot';
export const DEFAULT_CONFIG = 'autopilot.yml';
/** The scratch parameter a command writes to read the local AWS's clock. */
export const CLOCK_PARAMETER = '/ecs-autopilot/cli/clock';

export interface ConnectFlags {
  local?: boolean;
  config?: string;
}

export interface Connection {
  clients: CommandClients;
  options: ClientOptions;
  endpoint?: string;
  region?: string;
  table: string;
}

/** The clients for real AWS or the local AWS, from the flags and the environment. */
export function connection(flags: ConnectFlags, env: NodeJS.ProcessEnv): Connection {
  const endpoint = flags.local ? (env.AWS_ENDPOINT_URL ?? LOCAL_ENDPOINT) : env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : endpoint
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : undefined;
  const options = {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 3,
  };
  const clients = { ...createClients(options), ecr: new ECRClient(options) };
  return { clients, options, endpoint, region, table: env.AUTOPILOT_TABLE || DEFAULT_TABLE };
}

/** Everything a command needs, connected. */
export async function connect(flags: ConnectFlags, env: NodeJS.ProcessEnv, io: Io): Promise<Deps> {
  const configFile = flags.config ?? env.AUTOPILOT_CONFIG_FILE ?? DEFAULT_CONFIG;
  const config = await loadCommandConfig(configFile);
  const c = connection(flags, env);
  let now = c.endpoint ? await endpointClock(c.clients) : Date.now;
  const region = c.region ?? (await c.clients.ecs.config.region());
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return {
    clients: c.clients,
    // A command's record write schedules its next wake-up, as the Lambdas' writes do (lib/waker.ts).
    store: new WakingStore(
      new DynamoRecordStore(c.clients.dynamodb, c.table),
      () => config,
      new NamedQueueWaker(new SQSClient(c.options), wakeQueueName(c.table)),
      () => now(),
    ),
    config,
    configFile,
    now: () => now(),
    refreshClock: async () => {
      if (c.endpoint) now = await endpointClock(c.clients);
    },
    io,
    sleep,
    where: c.endpoint ? `the local AWS at ${c.endpoint}` : `region ${region}`,
    table: c.table,
    clientOptions: c.options,
    slack: createSlack({
      ssm: c.clients.ssm,
      region,
      defaultWebhook: env.AUTOPILOT_SLACK_PARAMETER || DEFAULT_WEBHOOK_PARAMETER,
      // Slack's pacing is kept on the endpoint's clock: the local AWS's virtual one does not wait.
      ...(c.endpoint ? { sleep: async () => {} } : {}),
    }),
  };
}

/**
 * The pipeline's config from `autopilot.yml`, or from a scenario file's `autopilot:` section (a
 * mapping, or the path of a config file), so a rehearsal on the local AWS uses the scenario's own.
 */
export async function loadCommandConfig(file: string): Promise<Config> {
  const text = await readConfigFile(file);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    doc = undefined; // parseConfig reports the YAML error with its line
  }
  if (doc && typeof doc === 'object' && 'autopilot' in doc && !('targets' in doc)) {
    const section = (doc as { autopilot: unknown }).autopilot;
    if (typeof section === 'string') return loadConfig(path.resolve(path.dirname(file), section));
    return validateConfig(section, `${file} (autopilot:)`);
  }
  return parseConfig(text, file);
}

/** The endpoint's clock: read now, then run forward with the wall clock until read again. Falls back to the wall clock. */
export async function endpointClock(clients: Pick<CommandClients, 'ssm'>): Promise<() => number> {
  try {
    const asked = Date.now();
    await clients.ssm.send(
      new PutParameterCommand({ Name: CLOCK_PARAMETER, Value: 'clock', Type: 'String', Overwrite: true }),
    );
    const out = await clients.ssm.send(new GetParameterCommand({ Name: CLOCK_PARAMETER }));
    const then = out.Parameter?.LastModifiedDate?.getTime();
    if (then === undefined) return Date.now;
    const offset = then - asked;
    return () => Date.now() + offset;
  } catch {
    return Date.now;
  }
}
