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
import { type ClientOptions, type Clients, createClients } from '../aws.ts';
import { type Config, validateConfig } from '../config.ts';
import { loadConfig, parseConfig, readConfigFile } from '../config-file.ts';
import { DEFAULT_REGION, type Env, readEnv } from '../env.ts';
import { isPermanent } from '../errors.ts';
import { createSlack } from '../slack/deliver.ts';
import { WebhookUnreadable, WebhookUrls } from '../slack/webhook.ts';
import { DynamoRecordStore } from '../store.ts';
import { NamedQueueWaker, WakingStore, wakeQueueName } from '../waker.ts';
import type { Deps, Io } from './common.ts';

export const LOCAL_ENDPOINT = 'http://127.0.0.1:4566';
/** The local world's records table (local/pipeline.ts attachPipeline's default), not a deployed stage's. */
export const LOCAL_WORLD_TABLE = 'ecs-autopilot';
export const DEFAULT_CONFIG = 'autopilot.yml';
/** Where `autopilot local` writes the path of the config its pipeline runs (its scenario). */
export const LOCAL_CONFIG_PARAMETER = '/ecs-autopilot/local/config-file';
/** The scratch parameter a command writes to read the local AWS's clock. */
export const CLOCK_PARAMETER = '/ecs-autopilot/cli/clock';

export interface ConnectFlags {
  local?: boolean;
  config?: string;
}

export interface Connection {
  clients: Deps['clients'];
  options: ClientOptions;
  endpoint?: string;
  region?: string;
  table: string;
  /** The pipeline's own variables, as the Lambdas read them (lib/env.ts). */
  settings: Env;
}

/**
 * The records table a command reads: AUTOPILOT_TABLE, else the deployed stack's default (lib/env.ts,
 * serverless.yml's dev stage); against an endpoint (the local AWS), the local world's.
 *
 *   {}, real AWS                                 -> 'ecs-autopilot-dev'
 *   {}, the local AWS                            -> 'ecs-autopilot'
 *   { AUTOPILOT_TABLE: 'ecs-autopilot-prod' }, either -> 'ecs-autopilot-prod'
 */
export function tableOf(env: NodeJS.ProcessEnv, endpoint: string | undefined): string {
  return endpoint && !env.AUTOPILOT_TABLE ? LOCAL_WORLD_TABLE : readEnv(env).table;
}

/**
 * The clients for real AWS or the local AWS, from the flags and the environment. The pipeline's
 * variables are read as the Lambdas read them (readEnv); the SDK's own (region, credentials, endpoint)
 * are read here only because a command's environment is handed in (a test's), not process.env, and
 * the region is left to the SDK's chain (a profile's) against real AWS.
 */
export function connection(flags: ConnectFlags, env: NodeJS.ProcessEnv): Connection {
  const endpoint = flags.local ? (env.AWS_ENDPOINT_URL ?? LOCAL_ENDPOINT) : env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? DEFAULT_REGION : undefined);
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
  return { clients, options, endpoint, region, table: tableOf(env, endpoint), settings: readEnv(env) };
}

/** Everything a command needs, connected. */
export async function connect(flags: ConnectFlags, env: NodeJS.ProcessEnv, io: Io): Promise<Deps> {
  const c = connection(flags, env);
  const { file: configFile, source: configSource } = await configFileOf(flags, env, c);
  const config = await loadCommandConfig(configFile);
  let now = c.endpoint ? await endpointClock(c.clients) : Date.now;
  // Never backwards: each read of the endpoint's clock is off by the read's own latency, so a
  // fresh read can land before what the last one extrapolated; a wait measured across them would
  // come out negative (`wait --timeout 0s` looped, reading the clock, until chance made it positive).
  let latest = 0;
  const clock = () => {
    latest = Math.max(latest, now());
    return latest;
  };
  const region = c.region ?? (await c.clients.ecs.config.region());
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return {
    clients: c.clients,
    // A command's record write schedules its next wake-up, as the Lambdas' writes do (lib/waker.ts).
    store: new WakingStore(
      new DynamoRecordStore(c.clients.dynamodb, c.table),
      () => config,
      new NamedQueueWaker(new SQSClient(c.options), wakeQueueName(c.table)),
      clock,
    ),
    config,
    configFile,
    configSource,
    now: clock,
    refreshClock: async () => {
      if (c.endpoint) now = await endpointClock(c.clients);
    },
    io,
    sleep,
    where: c.endpoint ? `the local AWS at ${c.endpoint}` : `region ${region}`,
    table: c.table,
    ...(c.settings.lifecycleHook && { lifecycleHook: c.settings.lifecycleHook }),
    clientOptions: c.options,
    slack: {
      ...createSlack({
        ssm: c.clients.ssm,
        region,
        defaultWebhook: c.settings.slackParameter,
        // Slack's pacing is kept on the endpoint's clock: the local AWS's virtual one does not wait.
        ...(c.endpoint ? { sleep: async () => {} } : {}),
      }),
      webhooks: new OperatorWebhookUrls(c.clients.ssm),
    },
  };
}

/**
 * Which config the command reads, and why: `--config`, else AUTOPILOT_CONFIG_FILE, else (under
 * --local) the one the local world's pipeline runs, which `autopilot local` writes to the SSM
 * parameter LOCAL_CONFIG_PARAMETER of that world, else autopilot.yml. The parameter lives in the
 * world the command talks to (so two worlds on two ports each name their own, and it goes when
 * the world stops), whatever directory either was started from.
 *
 *   --config a.yml                          { file: 'a.yml', source: '--config' }
 *   --local, world serving demo.yml         { file: '/…/scenarios/demo.yml', source: 'the local world's config (SSM …)' }
 *   --local, an empty world                 { file: 'autopilot.yml', source: 'the default' }
 */
export async function configFileOf(
  flags: ConnectFlags,
  env: NodeJS.ProcessEnv,
  c: Pick<Connection, 'clients'>,
): Promise<{ file: string; source: string }> {
  if (flags.config) return { file: flags.config, source: '--config' };
  if (env.AUTOPILOT_CONFIG_FILE) return { file: env.AUTOPILOT_CONFIG_FILE, source: 'AUTOPILOT_CONFIG_FILE' };
  if (flags.local) {
    const world = await c.clients.ssm
      .send(new GetParameterCommand({ Name: LOCAL_CONFIG_PARAMETER }))
      .then((out) => out.Parameter?.Value)
      // Not found (an empty world, or one started before this parameter existed), or nothing
      // answers: the default, and the command's own call says what is wrong with the endpoint.
      .catch(() => undefined);
    if (world)
      return { file: world, source: `the local world's, from the SSM parameter ${LOCAL_CONFIG_PARAMETER}` };
  }
  return { file: DEFAULT_CONFIG, source: 'the default' };
}

/**
 * The webhook parameters as an operator reads them: one the operator cannot read (no
 * ssm:GetParameter or kms:Decrypt in their role, or not made yet) is the operator's problem, not
 * the message's, so the message is tried again (it stays queued, and the pipeline's tick sends it
 * with the Lambdas' role) instead of being given up for good as the Lambdas give up on it.
 */
class OperatorWebhookUrls extends WebhookUrls {
  override url(parameter: string): Promise<string> {
    return super.url(parameter).catch((e: unknown) => {
      throw isPermanent(e) ? new WebhookUnreadable((e as Error).message) : e;
    });
  }
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
export async function endpointClock(clients: Pick<Clients, 'ssm'>): Promise<() => number> {
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
