/**
 * Scenarios: a YAML file that sets up a local world (clusters, images and how they behave, target
 * groups, services, alarms) and a timeline of what happens to it (pushes, updates, load, events,
 * alarm states). The format is public (README, "Scenarios"); every field is checked here, and a
 * mistake is reported with the file, the line and the field's path:
 *
 *   scenarios/demo.yml:14:19: services[0].desiredCount: must be an integer from 0 to 5000, got "four"
 *
 * Durations are read with lib/duration.ts (`90s`, `5m`, `1h30m`) and kept in milliseconds.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, parse as parseYaml } from 'yaml';
import { nearest } from '../../lib/config.ts';
import { parseDuration } from '../../lib/duration.ts';
import { CLI_COMMANDS, type CliCommand } from '../cli-step.ts';
import { type ImageBehaviour, parseImageBehaviour } from '../core/images.ts';
import type { AwsEvent } from '../core/service.ts';
import type { SlackAppSpec } from '../slack-click.ts';

export interface Scenario {
  name: string;
  /** Virtual start, ms since the epoch. */
  start: number;
  /** Stop this long after the start; when absent the run ends once settled (see run.ts). */
  until?: number;
  seed?: string;
  throttling: boolean;
  /** Model EventBridge, Lambda and AWS call latency (core/latency.ts); absent: the runner decides. */
  latency?: boolean;
  /**
   * How deliveries run as concurrent Lambda invocations (local/core/concurrency.ts): at most
   * `concurrency` in flight (default 1,000, the account's), ties `interleave`d round-robin.
   */
  lambda?: { concurrency?: number; interleave?: boolean };
  clusters: ClusterSpec[];
  /** Behaviours keyed by image reference (`web:v2`, or a full reference for other registries). */
  images: Record<string, ImageBehaviour>;
  targetGroups: TargetGroupSpec[];
  /**
   * Load balancers with their listeners and rules; absent: each target group gets `<name>-alb` with
   * one listener on port 80 forwarding to it. Present: a group no listener or rule names is behind
   * none (a canary's target group, before a rule forwards to it).
   */
  loadBalancers: LoadBalancerSpec[];
  services: ServiceSpec[];
  alarms: AlarmSpec[];
  /** The pipeline's configuration, carried through for whoever wires the pipeline in. */
  autopilot?: { config: unknown; path?: string };
  /**
   * The Slack app, locally (local/slack-click.ts): its user groups, what usergroups.users.list
   * answers (a group not listed answers `no_such_subteam`), and its bot token (`valid`, the
   * default; `invalid`: Slack answers `invalid_auth`). Absent: an app without a bot token.
   */
  slack?: SlackAppSpec;
  timeline: TimelineStep[];
  /** Where the scenario came from, for messages that name a file, a line and a field. */
  source: ScenarioSource;
}

export interface ScenarioSource {
  /** The file as the user named it (relative to the working directory when inside it). */
  file: string;
  /** The directory relative paths in the scenario are resolved against. */
  dir: string;
  /** Line and column (1-based) of each field, by path (`services[0].image`). */
  positions: Map<string, { line: number; col: number }>;
}

export interface ClusterSpec {
  name: string;
  /** EC2 container instances, one entry per instance (counts expanded); empty means Fargate. */
  instances: InstanceSpec[];
}

export interface InstanceSpec {
  instanceType: string;
  cpu: number;
  memory: number;
  availabilityZone: string;
  attributes: Record<string, string>;
}

export interface TargetGroupSpec {
  name: string;
  deregistrationDelaySeconds?: number;
  /** The load balancer's health check of each target (ELB's limits). */
  healthCheck?: { intervalSeconds?: number; healthyThreshold?: number; unhealthyThreshold?: number };
}

export interface LoadBalancerSpec {
  name: string;
  type: 'application' | 'network';
  listeners: {
    port: number;
    protocol?: string;
    /** The target group its default action forwards to. */
    forward: string;
    rules: { priority: number; path: string; forward: string }[];
  }[];
}

export interface ContainerSpec {
  name: string;
  image: string;
  essential: boolean;
}

export interface ServiceSpec {
  cluster: string;
  name: string;
  /** Index in the file's `services`, for messages. */
  index: number;
  /** The main container: named after the service unless `container:` says otherwise. */
  container: string;
  image: string;
  /** Sidecars. */
  containers: ContainerSpec[];
  desiredCount: number;
  cpu: number;
  memory: number;
  healthCheck?: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
  targetGroup?: string;
  /**
   * ECS's blue/green, canary and linear strategies: the alternate target group (behind the same load
   * balancer); the service gets advancedConfiguration with its production listener rule.
   */
  alternateTargetGroup?: string;
  port: number;
  /** Requests per second to its target group, set when the clock starts. */
  load?: number;
  healthCheckGracePeriodSeconds?: number;
  /** ECS's `launchType` (CreateService's own field): FARGATE unless the cluster has instances (then EC2). */
  launchType?: 'FARGATE' | 'EC2';
  /** ECS's `deploymentController.type` (CreateService's own field): ECS unless given. */
  deploymentController?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  deploymentConfiguration: {
    minimumHealthyPercent?: number;
    maximumPercent?: number;
    deploymentCircuitBreaker?: {
      enable: boolean;
      rollback: boolean;
      resetOnHealthyTask?: boolean;
      thresholdConfiguration?: { type: 'COUNT' | 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT'; value: number };
    };
    alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  };
  placementStrategy?: { type: string; field?: string }[];
  placementConstraints?: { type: string; expression?: string }[];
}

export interface AlarmSpec {
  name: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  statistic?: string;
  extendedStatistic?: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparison: string;
  treatMissingData?: string;
}

export type TimelineAction =
  | { type: 'push'; image: string }
  | { type: 'update'; cluster: string; service: string; image?: string; desiredCount?: number }
  | { type: 'load'; targetGroup: string; rps: number }
  /** An event as AWS delivers it; envelope fields it lacks (id, time, account...) are filled when put. */
  | { type: 'event'; event: EventInput; file?: string }
  | { type: 'alarm'; name: string; state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; reason: string }
  /** A click on a Slack message's button (local/slack-click.ts), signed as Slack would, or not. */
  | {
      type: 'slack';
      click: 'promote' | 'pause' | 'resume' | 'abort' | 'retry' | 'approve' | 'reject';
      user: string;
      signature: 'valid' | 'forged' | 'expired' | 'replayed';
      /** Which message carrying the button: the Nth from the first (1 = `first`); absent: the latest. */
      message?: number;
    }
  /** An operating command, as `npx autopilot approve prod/web --as alice` runs it (local/cli-step.ts). */
  | { type: 'cli'; command: CliCommand; service: string; as?: string; reason?: string };

export type EventInput = Pick<AwsEvent, 'source' | 'detail-type' | 'detail'> & Partial<AwsEvent>;

export interface TimelineStep {
  /** ms after the start */
  at: number;
  /** `timeline[3]`, for messages. */
  path: string;
  action: TimelineAction;
}

/**
 * A mistake in a scenario: which file, where, which field, and what is wrong. When a scenario has
 * several, one ScenarioError carries them all (`mistakes`), one line each, in the file's order.
 */
export class ScenarioError extends Error {
  /** Every mistake found, this one first; a single mistake lists itself. */
  mistakes: ScenarioError[] = [this];

  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
    readonly position?: { line: number; col: number },
  ) {
    const where = position ? `${file}:${position.line}:${position.col}` : file;
    super(`${where}: ${field ? `${field}: ` : ''}${problem}`);
    this.name = 'ScenarioError';
  }

  /** One error for all the mistakes found (the first's fields, every line in the message). */
  static all(mistakes: ScenarioError[]): ScenarioError {
    const sorted = [...mistakes].sort(
      (a, b) =>
        (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.col ?? 0) - (b.position?.col ?? 0),
    );
    const first = sorted[0]!;
    if (sorted.length === 1) return first;
    const error = new ScenarioError(first.file, first.field, first.problem, first.position);
    error.message = `${sorted.length} mistakes:\n${sorted.map((m) => m.message).join('\n')}`;
    error.mistakes = sorted;
    return error;
  }
}

/** Builds a ScenarioError for a field of a parsed scenario (set-up and timeline failures use it too). */
export function scenarioError(source: ScenarioSource, field: string, problem: string): ScenarioError {
  return new ScenarioError(source.file, field, problem, locate(source, field));
}

/** The position of `field`, or of its nearest parent that has one. */
function locate(source: ScenarioSource, field: string): { line: number; col: number } | undefined {
  for (let f = field; ; f = parentPath(f)) {
    const pos = source.positions.get(f);
    if (pos || f === '') return pos;
  }
}

function parentPath(field: string): string {
  const cut = Math.max(field.lastIndexOf('.'), field.lastIndexOf('['));
  return cut > 0 ? field.slice(0, cut) : '';
}

/** Reads and parses a scenario file; relative paths in it are resolved against its directory. */
export function loadScenario(file: string): Scenario {
  const { text, where } = readScenarioFile(file);
  return parseScenario(text, where);
}

/** A scenario file's text, and how messages name it; a missing file is a ScenarioError. */
export function readScenarioFile(file: string): { text: string; where: { file: string; dir: string } } {
  const shown = displayPath(file);
  try {
    return {
      text: readFileSync(file, 'utf8'),
      where: { file: shown, dir: path.dirname(path.resolve(file)) },
    };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(shown, '', code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
}

/** Parses scenario text; `file` names it in messages, `dir` resolves relative paths (default: cwd). */
export function parseScenario(text: string, where: { file: string; dir?: string }): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const source: ScenarioSource = {
    file: where.file,
    dir: where.dir ?? process.cwd(),
    positions: new Map(),
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0] ?? lineCounter.linePos(syntax.pos[0]);
    const message = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    throw new ScenarioError(where.file, '', `invalid YAML: ${message}`, pos);
  }
  recordPositions(doc.contents, '', lineCounter, source.positions);
  return readScenario(doc.toJS({ maxAliasCount: 1000 }), new Reader(source));
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function recordPositions(
  node: unknown,
  at: string,
  lines: LineCounter,
  out: Map<string, { line: number; col: number }>,
): void {
  const range = (node as Node | null)?.range;
  if (range) out.set(at, lines.linePos(range[0]));
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = joinPath(at, key);
      const keyRange = (pair.key as Node | null)?.range;
      if (keyRange) out.set(child, lines.linePos(keyRange[0]));
      // A value on its own lines (a map or a list) is best pointed at by its key.
      if (isScalar(pair.value)) recordPositions(pair.value, child, lines, out);
      else if (pair.value) recordChildren(pair.value, child, lines, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      recordPositions(item, `${at}[${i}]`, lines, out);
    });
  }
}

function recordChildren(
  node: unknown,
  at: string,
  lines: LineCounter,
  out: Map<string, { line: number; col: number }>,
): void {
  const own = out.get(at);
  recordPositions(node, at, lines, out);
  if (own) out.set(at, own);
}

type Json = Record<string, unknown>;

/** `services[0].image`, `images["web:v2"]` */
function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][\w-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Field checks that fail with the file, the position and the path. */
class Reader {
  /** Mistakes found so far, in items that were skipped so the rest could be read (`attempt`). */
  readonly mistakes: ScenarioError[] = [];

  constructor(readonly source: ScenarioSource) {}

  /**
   * Reads one item (a cluster, a service, a step); a mistake in it is kept and the reading goes
   * on with the next item, so a user sees every mistake of the file at once, as `validate` shows them.
   */
  attempt<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      this.mistakes.push(...e.mistakes);
      return undefined;
    }
  }

  fail(field: string, problem: string): never {
    throw scenarioError(this.source, field, problem);
  }

  /** An object with only the given keys (unknown keys are mistakes, with a suggestion). */
  object(v: unknown, at: string, keys: readonly string[]): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(at, `must be a mapping with ${listOf(keys)}, got ${show(v)}`);
    }
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) {
        const guess = nearest(k, keys);
        this.fail(
          joinPath(at, k),
          `unknown field${guess ? `; did you mean "${guess}"?` : `; expected one of ${listOf(keys)}`}`,
        );
      }
    }
    return v as Json;
  }

  /** Which of two spellings of one field is given (undefined: neither); both is a mistake. */
  either(o: Json, at: string, short: string, long: string): string | undefined {
    if (o[short] !== undefined && o[long] !== undefined)
      this.fail(joinPath(at, long), `give "${short}" or "${long}", not both (they are the same field)`);
    if (o[short] !== undefined) return short;
    return o[long] !== undefined ? long : undefined;
  }

  list(v: unknown, at: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(at, `must be a list, got ${show(v)}`);
    return v;
  }

  string(v: unknown, at: string, pattern?: RegExp, hint?: string): string {
    if (typeof v !== 'string' || v === '') this.fail(at, `must be a non-empty string, got ${show(v)}`);
    if (pattern && !pattern.test(v)) this.fail(at, `${hint ?? `must match ${pattern}`}, got ${show(v)}`);
    return v;
  }

  int(v: unknown, at: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(at, `must be an integer from ${min} to ${max}, got ${show(v)}`);
    }
    return v;
  }

  number(v: unknown, at: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      this.fail(
        at,
        `must be a number${min > Number.NEGATIVE_INFINITY ? ` of at least ${min}` : ''}, got ${show(v)}`,
      );
    }
    return v;
  }

  bool(v: unknown, at: string): boolean {
    if (typeof v !== 'boolean') this.fail(at, `must be true or false, got ${show(v)}`);
    return v;
  }

  /** A duration in ms; `min`/`max` in ms. */
  duration(v: unknown, at: string, min = 0, max = Number.POSITIVE_INFINITY): number {
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch (e) {
      this.fail(at, (e as Error).message);
    }
    if (ms < min || ms > max) {
      this.fail(
        at,
        `must be ${max === Number.POSITIVE_INFINITY ? `at least ${min / 1000}s` : `from ${min / 1000}s to ${max / 1000}s`}, got ${show(v)}`,
      );
    }
    return ms;
  }

  oneOf<T extends string>(v: unknown, at: string, values: readonly T[]): T {
    if (!values.includes(v as T)) this.fail(at, `must be one of ${values.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  strings(v: unknown, at: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v))
      this.fail(at, `must be a mapping of names to values, got ${show(v)}`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
        this.fail(joinPath(at, k), `must be a string, got ${show(x)}`);
      }
      out[k] = String(x);
    }
    return out;
  }

  /** Reads a file named relative to the scenario; JSON or YAML. */
  file(v: unknown, at: string): { path: string; value: unknown } {
    const name = this.string(v, at);
    const full = path.resolve(this.source.dir, name);
    if (!existsSync(full)) {
      const looked = displayPath(full);
      this.fail(at, `no such file ${show(name)}${looked === name ? '' : ` (looked for ${looked})`}`);
    }
    const text = readFileSync(full, 'utf8');
    try {
      return { path: full, value: full.endsWith('.json') ? JSON.parse(text) : parseYaml(text) };
    } catch (e) {
      this.fail(
        at,
        `${displayPath(full)} is not valid ${full.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
      );
    }
  }

  /** Names in a list must be unique. */
  unique(names: string[], at: (i: number) => string, what: string): void {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) this.fail(at(i), `${what} "${n}" is defined twice`);
      seen.add(n);
    });
  }
}

function listOf(keys: readonly string[]): string {
  return keys.join(', ');
}

// Names as the AWS APIs accept them.
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const SERVICE_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const TARGET_GROUP_NAME = /^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$/;
/** `repository:tag` in the local ECR, or a full reference to another registry (`public.ecr.aws/envoy:v1.29`). */
const IMAGE_REF = /^[a-z0-9][a-z0-9._\-/:]*:[\w][\w.-]{0,127}$/;
const IMAGE_HINT = 'must be an image reference repository:tag, such as "web:v2"';

/** True when `ref` names another registry (its first part is a host), not the local ECR. */
export function isExternalImage(ref: string): boolean {
  const first = ref.split('/')[0]!;
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/** `web:v2` -> { repository: 'web', tag: 'v2' } */
export function splitImage(ref: string): { repository: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

const TOP = [
  'name',
  'start',
  'until',
  'seed',
  'throttling',
  'latency',
  'lambda',
  'clusters',
  'images',
  'targetGroups',
  'loadBalancers',
  'services',
  'alarms',
  'autopilot',
  'slack',
  'timeline',
  // Read by the fault layer (local/scenario/faults.ts parseFaultScenario, which `sim` loads files
  // with), which blanks it before this parser: listed so a misspelt field's message names it.
  'faults',
] as const;

function readScenario(raw: unknown, r: Reader): Scenario {
  if (raw === null || raw === undefined) r.fail('', 'the scenario is empty');
  const top = r.object(raw, '', TOP);
  if (top.faults !== undefined)
    r.fail('faults', 'read by the fault layer: load the file with `autopilot sim` (or loadFaultScenario)');
  const name =
    r.attempt(() =>
      top.name === undefined
        ? path.basename(r.source.file).replace(/\.ya?ml$/, '')
        : r.string(typeof top.name === 'number' ? String(top.name) : top.name, 'name'),
    ) ?? '';
  const start =
    r.attempt(() => (top.start === undefined ? Date.UTC(2026, 0, 1) : readStart(top.start, r))) ?? 0;
  const until = r.attempt(() => (top.until === undefined ? undefined : r.duration(top.until, 'until', 1)));
  const seed = r.attempt(() =>
    top.seed === undefined
      ? undefined
      : typeof top.seed === 'number'
        ? String(top.seed)
        : r.string(top.seed, 'seed'),
  );
  const throttling =
    r.attempt(() => (top.throttling === undefined ? false : r.bool(top.throttling, 'throttling'))) ?? false;
  const latency = r.attempt(() => (top.latency === undefined ? undefined : r.bool(top.latency, 'latency')));
  const lambda = r.attempt(() => {
    if (top.lambda === undefined) return undefined;
    const l = r.object(top.lambda, 'lambda', ['concurrency', 'interleave']);
    return {
      ...(l.concurrency === undefined
        ? {}
        : { concurrency: r.int(l.concurrency, 'lambda.concurrency', 1, 1000) }),
      ...(l.interleave === undefined ? {} : { interleave: r.bool(l.interleave, 'lambda.interleave') }),
    };
  });

  // Each item is read on its own; an item with a mistake is skipped, but its name is still known to
  // the items that refer to it, so one mistake does not show up again as "no such cluster".
  const rawName = (v: unknown, key = 'name'): string | undefined =>
    typeof v === 'object' && v !== null && typeof (v as Json)[key] === 'string'
      ? ((v as Json)[key] as string)
      : undefined;
  // Names are unique within a list: a second item of the same name is a mistake at its own path.
  const each = <T extends { name: string }>(
    at: 'clusters' | 'targetGroups' | 'loadBalancers' | 'alarms',
    what: string,
    read: (v: unknown, path: string) => T,
    names: Set<string>,
  ) => {
    const out: T[] = [];
    (r.attempt(() => r.list(top[at], at)) ?? []).forEach((v, i) => {
      const item = r.attempt(() => read(v, `${at}[${i}]`));
      if (item === undefined) {
        const n = rawName(v);
        if (n) names.add(n);
      } else {
        out.push(item);
        names.add(item.name);
      }
    });
    r.attempt(() =>
      r.unique(
        out.map((t) => t.name),
        (i) => `${at}[${i}].name`,
        what,
      ),
    );
    return out;
  };
  const refs = { clusters: new Set<string>(), targetGroups: new Set<string>(), alarms: new Set<string>() };
  const clusters = each('clusters', 'cluster', (c, path) => readCluster(c, path, r), refs.clusters);
  const images = r.attempt(() => readImages(top.images, r)) ?? {};
  const targetGroups = each(
    'targetGroups',
    'target group',
    (t, path) => readTargetGroup(t, path, r),
    refs.targetGroups,
  );
  const loadBalancerNames = new Set<string>();
  const loadBalancers = each(
    'loadBalancers',
    'load balancer',
    (v, path) => readLoadBalancer(v, path, r, refs.targetGroups),
    loadBalancerNames,
  );
  const alarms = each('alarms', 'alarm', (a, path) => readAlarm(a, path, r), refs.alarms);
  const services: ServiceSpec[] = [];
  // Services with a mistake stay known to the timeline by cluster and name (never run).
  const known: ServiceSpec[] = [];
  (r.attempt(() => r.list(top.services, 'services')) ?? []).forEach((v, i) => {
    const spec = r.attempt(() => readService(v, i, r, refs));
    if (spec) {
      services.push(spec);
      known.push(spec);
      return;
    }
    const cluster = rawName(v, 'cluster');
    const name = rawName(v) ?? rawName(v, 'serviceName');
    if (cluster && name) known.push({ cluster, name } as ServiceSpec);
  });
  r.attempt(() =>
    r.unique(
      services.map((s) => `${s.cluster}/${s.name}`),
      (i) => `services[${services[i]!.index}].name`,
      'service',
    ),
  );
  const loaded = new Map<string, number>();
  for (const s of services) {
    if (s.load === undefined || !s.targetGroup) continue;
    const other = loaded.get(s.targetGroup);
    if (other !== undefined) {
      r.attempt(() =>
        r.fail(
          `services[${s.index}].load`,
          `target group "${s.targetGroup}" already gets its load from services[${other}]; give it once`,
        ),
      );
    }
    loaded.set(s.targetGroup, s.index);
  }
  const autopilot = r.attempt(() =>
    top.autopilot === undefined ? undefined : readAutopilot(top.autopilot, r),
  );
  const slack = r.attempt(() => (top.slack === undefined ? undefined : readSlackApp(top.slack, r)));
  const timeline: TimelineStep[] = [];
  (r.attempt(() => r.list(top.timeline, 'timeline')) ?? []).forEach((t, i) => {
    const step = r.attempt(() => readStep(t, `timeline[${i}]`, r, { ...refs, services: known }));
    if (step) timeline.push(step);
  });
  if (until !== undefined) {
    for (const step of timeline) {
      if (step.at > until)
        r.attempt(() =>
          r.fail(`${step.path}.at`, `comes after the end of the run (until: ${show(top.until)})`),
        );
    }
  }
  if (r.mistakes.length > 0) throw ScenarioError.all(r.mistakes);
  // Steps at the same time run in the order they are written.
  timeline.sort((a, b) => a.at - b.at);
  return {
    name,
    start,
    until,
    seed,
    throttling,
    ...(latency === undefined ? {} : { latency }),
    ...(lambda === undefined ? {} : { lambda }),
    clusters,
    images,
    targetGroups,
    loadBalancers,
    services,
    alarms,
    autopilot,
    ...(slack && { slack }),
    timeline,
    source: r.source,
  };
}

function readStart(v: unknown, r: Reader): number {
  if (v instanceof Date) return v.getTime();
  const text = r.string(
    v,
    'start',
    /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/,
    'must be an ISO time such as "2026-01-01T00:00:00Z"',
  );
  const ms = Date.parse(/[T ]\d\d:\d\d/.test(text) && !/(Z|[+-]\d\d:?\d\d)$/.test(text) ? `${text}Z` : text);
  if (Number.isNaN(ms)) r.fail('start', `is not a valid time, got ${show(v)}`);
  return ms;
}

function readCluster(v: unknown, at: string, r: Reader): ClusterSpec {
  const c = r.object(v, at, ['name', 'instances']);
  const name = r.string(c.name, `${at}.name`, CLUSTER_NAME, 'must be letters, digits, - and _');
  const instances: InstanceSpec[] = [];
  r.list(c.instances, `${at}.instances`).forEach((x, i) => {
    const p = `${at}.instances[${i}]`;
    const o = r.object(x, p, ['type', 'cpu', 'memory', 'zone', 'count', 'attributes']);
    const count = o.count === undefined ? 1 : r.int(o.count, `${p}.count`, 1, 1000);
    const spec = {
      instanceType: r.string(
        o.type,
        `${p}.type`,
        /^[a-z0-9]+\.[a-z0-9]+$/,
        'must be an EC2 instance type such as "t3.large"',
      ),
      cpu: r.int(o.cpu, `${p}.cpu`, 128, 1_000_000),
      memory: r.int(o.memory, `${p}.memory`, 128, 100_000_000),
      attributes: r.strings(o.attributes, `${p}.attributes`),
    };
    const zone =
      o.zone === undefined
        ? undefined
        : r.string(
            o.zone,
            `${p}.zone`,
            /^[a-z]{2}-[a-z]+-\d[a-z]$/,
            'must be an availability zone such as "us-east-1a"',
          );
    for (let n = 0; n < count; n++) {
      // Without a zone, instances are spread over three zones, as an Auto Scaling group would.
      instances.push({ ...spec, availabilityZone: zone ?? `us-east-1${'abc'[n % 3]}` });
    }
  });
  return { name, instances };
}

function readImages(v: unknown, r: Reader): Record<string, ImageBehaviour> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    r.fail('images', `must be a mapping of image references to behaviours, got ${show(v)}`);
  }
  const out: Record<string, ImageBehaviour> = {};
  for (const [ref, behaviour] of Object.entries(v)) {
    const at = joinPath('images', ref);
    r.attempt(() => {
      if (!IMAGE_REF.test(ref)) r.fail(at, `${IMAGE_HINT}, got ${show(ref)}`);
      try {
        out[ref] = parseImageBehaviour(behaviour);
      } catch (e) {
        r.fail(at, (e as Error).message);
      }
    });
  }
  return out;
}

const ALB_PROTOCOLS = ['HTTP', 'HTTPS'];
const NLB_PROTOCOLS = ['TCP', 'TLS', 'UDP', 'TCP_UDP'];

function readLoadBalancer(v: unknown, at: string, r: Reader, groups: Set<string>): LoadBalancerSpec {
  const o = r.object(v, at, ['name', 'type', 'listeners']);
  const name = r.string(
    o.name,
    `${at}.name`,
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/,
    'must be 1 to 32 letters, digits and hyphens, not starting or ending with a hyphen',
  );
  const type = o.type === undefined ? 'application' : r.string(o.type, `${at}.type`);
  if (type !== 'application' && type !== 'network')
    r.fail(`${at}.type`, `must be application or network, got "${type}"`);
  const group = (g: unknown, p: string) => {
    const n = r.string(g, p);
    if (!groups.has(n)) r.fail(p, `no target group "${n}" in targetGroups`);
    return n;
  };
  const protocols = type === 'application' ? ALB_PROTOCOLS : NLB_PROTOCOLS;
  const listeners = r.list(o.listeners, `${at}.listeners`).map((l, i) => {
    const p = `${at}.listeners[${i}]`;
    const x = r.object(l, p, ['port', 'protocol', 'forward', 'rules']);
    const protocol = x.protocol === undefined ? undefined : r.string(x.protocol, `${p}.protocol`);
    if (protocol !== undefined && !protocols.includes(protocol))
      r.fail(
        `${p}.protocol`,
        `${type === 'application' ? 'an application' : 'a network'} load balancer's listener is one of ${protocols.join(', ')}, got "${protocol}"`,
      );
    const rules =
      x.rules === undefined
        ? []
        : r.list(x.rules, `${p}.rules`).map((rule, j) => {
            const q = `${p}.rules[${j}]`;
            if (type === 'network') r.fail(q, 'a network load balancer has no rules: its listener forwards');
            const y = r.object(rule, q, ['priority', 'path', 'forward']);
            return {
              priority: r.int(y.priority, `${q}.priority`, 1, 50_000),
              path: r.string(y.path, `${q}.path`),
              forward: group(y.forward, `${q}.forward`),
            };
          });
    return {
      port: r.int(x.port, `${p}.port`, 1, 65_535),
      ...(protocol && { protocol }),
      forward: group(x.forward, `${p}.forward`),
      rules,
    };
  });
  if (!listeners.length) r.fail(`${at}.listeners`, 'needs at least one listener');
  return { name, type, listeners };
}

function readTargetGroup(v: unknown, at: string, r: Reader): TargetGroupSpec {
  const t = r.object(v, at, ['name', 'deregistrationDelay', 'healthCheck']);
  const spec: TargetGroupSpec = {
    name: r.string(t.name, `${at}.name`, TARGET_GROUP_NAME, 'must be 1 to 32 letters, digits and hyphens'),
  };
  if (t.deregistrationDelay !== undefined) {
    spec.deregistrationDelaySeconds =
      r.duration(t.deregistrationDelay, `${at}.deregistrationDelay`, 0, 3_600_000) / 1000;
  }
  if (t.healthCheck !== undefined) {
    const p = `${at}.healthCheck`;
    const h = r.object(t.healthCheck, p, ['interval', 'healthyThreshold', 'unhealthyThreshold']);
    const hc: NonNullable<TargetGroupSpec['healthCheck']> = {};
    if (h.interval !== undefined)
      hc.intervalSeconds = r.duration(h.interval, `${p}.interval`, 5000, 300_000) / 1000;
    if (h.healthyThreshold !== undefined)
      hc.healthyThreshold = r.int(h.healthyThreshold, `${p}.healthyThreshold`, 2, 10);
    if (h.unhealthyThreshold !== undefined) {
      hc.unhealthyThreshold = r.int(h.unhealthyThreshold, `${p}.unhealthyThreshold`, 2, 10);
    }
    spec.healthCheck = hc;
  }
  return spec;
}

/**
 * A service's fields. Beside the short names, ECS's own CreateService names are accepted
 * (`serviceName`, `healthCheckGracePeriodSeconds`, `deploymentConfiguration.deploymentCircuitBreaker`,
 * `deploymentConfiguration.alarms.alarmNames`), since users copy them from their IaC; giving both
 * spellings of one field is a mistake.
 */
const SERVICE_KEYS = [
  'cluster',
  'deploymentController',
  'launchType',
  'name',
  'serviceName',
  'healthCheckGracePeriodSeconds',
  'image',
  'container',
  'containers',
  'desiredCount',
  'cpu',
  'memory',
  'healthCheck',
  'targetGroup',
  'alternateTargetGroup',
  'port',
  'load',
  'healthCheckGracePeriod',
  'deploymentConfiguration',
  'placementStrategy',
  'placementConstraints',
] as const;

function readService(
  v: unknown,
  index: number,
  r: Reader,
  refs: { clusters: Set<string>; targetGroups: Set<string>; alarms: Set<string> },
): ServiceSpec {
  const at = `services[${index}]`;
  const s = r.object(v, at, SERVICE_KEYS);
  const cluster = r.string(s.cluster, `${at}.cluster`);
  if (!refs.clusters.has(cluster)) r.fail(`${at}.cluster`, `no cluster "${cluster}" in clusters`);
  const nameKey = r.either(s, at, 'name', 'serviceName') ?? 'name';
  const name = r.string(s[nameKey], `${at}.${nameKey}`, SERVICE_NAME, 'must be letters, digits, - and _');
  const container =
    s.container === undefined
      ? name
      : r.string(s.container, `${at}.container`, CONTAINER_NAME, 'must be letters, digits, - and _');
  const image = r.string(s.image, `${at}.image`, IMAGE_REF, IMAGE_HINT);
  const containers = r.list(s.containers, `${at}.containers`).map((x, i) => {
    const p = `${at}.containers[${i}]`;
    const o = r.object(x, p, ['name', 'image', 'essential']);
    return {
      name: r.string(o.name, `${p}.name`, CONTAINER_NAME, 'must be letters, digits, - and _'),
      image: r.string(o.image, `${p}.image`, IMAGE_REF, IMAGE_HINT),
      essential: o.essential === undefined ? true : r.bool(o.essential, `${p}.essential`),
    };
  });
  r.unique(
    [container, ...containers.map((c) => c.name)],
    (i) => (i === 0 ? `${at}.container` : `${at}.containers[${i - 1}].name`),
    'container',
  );
  const spec: ServiceSpec = {
    cluster,
    name,
    index,
    container,
    image,
    containers,
    desiredCount: s.desiredCount === undefined ? 1 : r.int(s.desiredCount, `${at}.desiredCount`, 0, 5000),
    cpu: s.cpu === undefined ? 256 : r.int(s.cpu, `${at}.cpu`, 128, 192 * 1024),
    memory: s.memory === undefined ? 512 : r.int(s.memory, `${at}.memory`, 128, 1024 * 1024),
    port: s.port === undefined ? 80 : r.int(s.port, `${at}.port`, 1, 65535),
    deploymentConfiguration: {},
  };
  if (s.healthCheck !== undefined) spec.healthCheck = readHealthCheck(s.healthCheck, `${at}.healthCheck`, r);
  // IaC gives it; a launch type the cluster cannot place is left to ECS to refuse, as it would.
  if (s.launchType !== undefined) {
    spec.launchType = r.oneOf(s.launchType, `${at}.launchType`, ['FARGATE', 'EC2'] as const);
  }
  if (s.deploymentController !== undefined) {
    const o = r.object(s.deploymentController, `${at}.deploymentController`, ['type']);
    spec.deploymentController = r.oneOf(o.type, `${at}.deploymentController.type`, [
      'ECS',
      'CODE_DEPLOY',
      'EXTERNAL',
    ] as const);
  }
  if (s.targetGroup !== undefined) {
    spec.targetGroup = r.string(s.targetGroup, `${at}.targetGroup`);
    if (!refs.targetGroups.has(spec.targetGroup)) {
      r.fail(`${at}.targetGroup`, `no target group "${spec.targetGroup}" in targetGroups`);
    }
  }
  if (s.alternateTargetGroup !== undefined) {
    const alt = r.string(s.alternateTargetGroup, `${at}.alternateTargetGroup`);
    spec.alternateTargetGroup = alt;
    if (!refs.targetGroups.has(alt))
      r.fail(`${at}.alternateTargetGroup`, `no target group "${alt}" in targetGroups`);
    else if (!spec.targetGroup)
      r.fail(`${at}.alternateTargetGroup`, 'needs a targetGroup: the alternate is the other of the pair');
    else if (alt === spec.targetGroup)
      r.fail(
        `${at}.alternateTargetGroup`,
        'must differ from targetGroup: ECS shifts traffic between the two',
      );
  }
  if (s.load !== undefined) {
    spec.load = r.number(s.load, `${at}.load`);
    if (!spec.targetGroup)
      r.fail(`${at}.load`, 'needs a targetGroup: load is sent to the service through its target group');
  }
  const graceKey = r.either(s, at, 'healthCheckGracePeriod', 'healthCheckGracePeriodSeconds');
  if (graceKey === 'healthCheckGracePeriod') {
    spec.healthCheckGracePeriodSeconds =
      r.duration(s.healthCheckGracePeriod, `${at}.healthCheckGracePeriod`, 0, 2_147_483_647_000) / 1000;
  } else if (graceKey === 'healthCheckGracePeriodSeconds') {
    spec.healthCheckGracePeriodSeconds = r.int(
      s.healthCheckGracePeriodSeconds,
      `${at}.healthCheckGracePeriodSeconds`,
      0,
      2_147_483_647,
    );
  }
  if (s.deploymentConfiguration !== undefined) {
    spec.deploymentConfiguration = readDeploymentConfiguration(
      s.deploymentConfiguration,
      `${at}.deploymentConfiguration`,
      r,
      refs.alarms,
    );
  }
  if (s.placementStrategy !== undefined) {
    spec.placementStrategy = r.list(s.placementStrategy, `${at}.placementStrategy`).map((x, i) => {
      const p = `${at}.placementStrategy[${i}]`;
      const o = r.object(x, p, ['type', 'field']);
      const type = r.oneOf(o.type, `${p}.type`, ['random', 'spread', 'binpack'] as const);
      if (type !== 'random' && o.field === undefined) r.fail(`${p}.field`, `is required for ${type}`);
      return o.field === undefined ? { type } : { type, field: r.string(o.field, `${p}.field`) };
    });
  }
  if (s.placementConstraints !== undefined) {
    spec.placementConstraints = r.list(s.placementConstraints, `${at}.placementConstraints`).map((x, i) => {
      const p = `${at}.placementConstraints[${i}]`;
      const o = r.object(x, p, ['type', 'expression']);
      const type = r.oneOf(o.type, `${p}.type`, ['distinctInstance', 'memberOf'] as const);
      if (type === 'memberOf' && o.expression === undefined)
        r.fail(`${p}.expression`, 'is required for memberOf');
      if (type === 'distinctInstance' && o.expression !== undefined)
        r.fail(`${p}.expression`, 'is not allowed for distinctInstance');
      return o.expression === undefined
        ? { type }
        : { type, expression: r.string(o.expression, `${p}.expression`) };
    });
  }
  return spec;
}

function readHealthCheck(v: unknown, at: string, r: Reader): NonNullable<ServiceSpec['healthCheck']> {
  const h = r.object(v, at, ['command', 'interval', 'timeout', 'retries', 'startPeriod']);
  let command = ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'];
  if (h.command !== undefined) {
    const list = r.list(h.command, `${at}.command`);
    command = list.map((x, i) => r.string(x, `${at}.command[${i}]`));
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(command[0]!)) {
      r.fail(`${at}.command[0]`, `must be CMD, CMD-SHELL or NONE, got ${show(command[0])}`);
    }
  }
  // ECS's own limits (HealthCheck in the ECS API reference).
  return {
    command,
    interval: h.interval === undefined ? 30 : r.duration(h.interval, `${at}.interval`, 5000, 300_000) / 1000,
    timeout: h.timeout === undefined ? 5 : r.duration(h.timeout, `${at}.timeout`, 2000, 120_000) / 1000,
    retries: h.retries === undefined ? 3 : r.int(h.retries, `${at}.retries`, 1, 10),
    startPeriod:
      h.startPeriod === undefined ? 0 : r.duration(h.startPeriod, `${at}.startPeriod`, 0, 300_000) / 1000,
  };
}

function readDeploymentConfiguration(
  v: unknown,
  at: string,
  r: Reader,
  alarms: Set<string>,
): ServiceSpec['deploymentConfiguration'] {
  const d = r.object(v, at, [
    'minimumHealthyPercent',
    'maximumPercent',
    'circuitBreaker',
    'deploymentCircuitBreaker',
    'alarms',
  ]);
  const out: ServiceSpec['deploymentConfiguration'] = {};
  if (d.minimumHealthyPercent !== undefined) {
    out.minimumHealthyPercent = r.int(d.minimumHealthyPercent, `${at}.minimumHealthyPercent`, 0, 100);
  }
  if (d.maximumPercent !== undefined)
    out.maximumPercent = r.int(d.maximumPercent, `${at}.maximumPercent`, 100, 200);
  const breakerKey = r.either(d, at, 'circuitBreaker', 'deploymentCircuitBreaker');
  if (breakerKey) {
    const p = `${at}.${breakerKey}`;
    const c = r.object(d[breakerKey], p, [
      'enable',
      'rollback',
      'resetOnHealthyTask',
      'thresholdConfiguration',
    ]);
    out.deploymentCircuitBreaker = {
      enable: c.enable === undefined ? true : r.bool(c.enable, `${p}.enable`),
      rollback: c.rollback === undefined ? false : r.bool(c.rollback, `${p}.rollback`),
    };
    if (c.resetOnHealthyTask !== undefined)
      out.deploymentCircuitBreaker.resetOnHealthyTask = r.bool(
        c.resetOnHealthyTask,
        `${p}.resetOnHealthyTask`,
      );
    if (c.thresholdConfiguration !== undefined) {
      // API ThresholdConfiguration: COUNT (value is the threshold), BOUNDED_PERCENT (default, 50),
      // UNBOUNDED_PERCENT.
      const tp = `${p}.thresholdConfiguration`;
      const t = r.object(c.thresholdConfiguration, tp, ['type', 'value']);
      const type = r.oneOf(t.type ?? 'BOUNDED_PERCENT', `${tp}.type`, [
        'COUNT',
        'BOUNDED_PERCENT',
        'UNBOUNDED_PERCENT',
      ] as const);
      out.deploymentCircuitBreaker.thresholdConfiguration = {
        type,
        value:
          t.value === undefined ? (type === 'COUNT' ? 3 : 50) : r.int(t.value, `${tp}.value`, 1, 1_000_000),
      };
    }
  }
  if (d.alarms !== undefined) {
    const p = `${at}.alarms`;
    const a = r.object(d.alarms, p, ['names', 'alarmNames', 'enable', 'rollback']);
    const key = r.either(a, p, 'names', 'alarmNames') ?? 'names';
    const names = r.list(a[key], `${p}.${key}`).map((n, i) => {
      const name = r.string(n, `${p}.${key}[${i}]`);
      if (!alarms.has(name)) r.fail(`${p}.${key}[${i}]`, `no alarm "${name}" in alarms`);
      return name;
    });
    out.alarms = {
      alarmNames: names,
      enable: a.enable === undefined ? true : r.bool(a.enable, `${p}.enable`),
      rollback: a.rollback === undefined ? false : r.bool(a.rollback, `${p}.rollback`),
    };
  }
  return out;
}

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
const COMPARISONS: Record<string, string> = {
  GreaterThanThreshold: 'GreaterThanThreshold',
  GreaterThanOrEqualToThreshold: 'GreaterThanOrEqualToThreshold',
  LessThanThreshold: 'LessThanThreshold',
  LessThanOrEqualToThreshold: 'LessThanOrEqualToThreshold',
  '>': 'GreaterThanThreshold',
  '>=': 'GreaterThanOrEqualToThreshold',
  '<': 'LessThanThreshold',
  '<=': 'LessThanOrEqualToThreshold',
};

function readAlarm(v: unknown, at: string, r: Reader): AlarmSpec {
  const a = r.object(v, at, [
    'name',
    'namespace',
    'metric',
    'dimensions',
    'statistic',
    'period',
    'evaluationPeriods',
    'datapointsToAlarm',
    'threshold',
    'comparison',
    'treatMissingData',
  ]);
  const spec: AlarmSpec = {
    name: r.string(a.name, `${at}.name`, /^.{1,255}$/, 'must be 1 to 255 characters on one line'),
    namespace: r.string(a.namespace, `${at}.namespace`),
    metric: r.string(a.metric, `${at}.metric`),
    dimensions: r.strings(a.dimensions, `${at}.dimensions`),
    periodSeconds: 60,
    evaluationPeriods:
      a.evaluationPeriods === undefined ? 1 : r.int(a.evaluationPeriods, `${at}.evaluationPeriods`, 1, 1440),
    threshold: r.number(a.threshold, `${at}.threshold`, Number.NEGATIVE_INFINITY),
    comparison: '',
  };
  const statistic = a.statistic === undefined ? 'Average' : r.string(a.statistic, `${at}.statistic`);
  if ((STATISTICS as readonly string[]).includes(statistic)) spec.statistic = statistic;
  else if (/^p\d{1,2}(\.\d+)?$/.test(statistic)) spec.extendedStatistic = statistic;
  else
    r.fail(
      `${at}.statistic`,
      `must be one of ${STATISTICS.join(', ')} or a percentile such as p99, got ${show(statistic)}`,
    );
  if (a.period !== undefined) {
    const ms = r.duration(a.period, `${at}.period`, 10_000, 86_400_000);
    if (ms !== 10_000 && ms !== 30_000 && ms % 60_000 !== 0) {
      r.fail(`${at}.period`, `must be 10s, 30s or a multiple of 1m, got ${show(a.period)}`);
    }
    spec.periodSeconds = ms / 1000;
  }
  if (a.datapointsToAlarm !== undefined) {
    spec.datapointsToAlarm = r.int(a.datapointsToAlarm, `${at}.datapointsToAlarm`, 1, spec.evaluationPeriods);
  }
  const comparison = r.string(a.comparison, `${at}.comparison`);
  const op = COMPARISONS[comparison];
  if (!op)
    r.fail(
      `${at}.comparison`,
      `must be one of ${Object.keys(COMPARISONS).join(', ')}, got ${show(comparison)}`,
    );
  spec.comparison = op;
  if (a.treatMissingData !== undefined) {
    spec.treatMissingData = r.oneOf(a.treatMissingData, `${at}.treatMissingData`, [
      'breaching',
      'notBreaching',
      'ignore',
      'missing',
    ] as const);
  }
  return spec;
}

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

function readSlackApp(v: unknown, r: Reader): SlackAppSpec {
  const o = r.object(v, 'slack', ['groups', 'botToken']);
  const groups: Record<string, string[]> = {};
  if (o.groups !== undefined) {
    const g = r.object(o.groups, 'slack.groups', Object.keys(o.groups ?? {}));
    for (const [id, members] of Object.entries(g)) {
      const at = `slack.groups.${id}`;
      if (!/^S[A-Z0-9]{2,}$/.test(id)) r.fail(at, 'must be a Slack user-group ID such as S0DEPLOY');
      groups[id] = r
        .list(members, at)
        .map((u, i) => r.string(u, `${at}[${i}]`, SLACK_USER, 'a Slack user ID such as U123'));
    }
  }
  return {
    groups,
    botToken:
      o.botToken === undefined
        ? 'valid'
        : r.oneOf(o.botToken, 'slack.botToken', ['valid', 'invalid'] as const),
  };
}

function readAutopilot(v: unknown, r: Reader): Scenario['autopilot'] {
  if (typeof v === 'string') {
    const { path: file, value } = r.file(v, 'autopilot');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      r.fail('autopilot', `${displayPath(file)} must hold a mapping (the pipeline's configuration)`);
    }
    return { config: value, path: file };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.fail(
      'autopilot',
      `must be the pipeline's configuration (a mapping) or the path of its file, got ${show(v)}`,
    );
  }
  return { config: v };
}

const ACTIONS = ['push', 'update', 'load', 'event', 'alarm', 'slack', 'cli'] as const;

function readStep(
  v: unknown,
  at: string,
  r: Reader,
  refs: { targetGroups: Set<string>; alarms: Set<string>; services: ServiceSpec[] },
): TimelineStep {
  const s = r.object(v, at, ['at', ...ACTIONS]);
  if (s.at === undefined)
    r.fail(`${at}.at`, 'is required: when the step happens, such as "5m" after the start');
  const time = r.duration(s.at, `${at}.at`);
  const given = ACTIONS.filter((a) => s[a] !== undefined);
  if (given.length !== 1) {
    r.fail(
      at,
      given.length
        ? `has ${given.join(' and ')}: give one action per step`
        : `needs one of ${ACTIONS.join(', ')}`,
    );
  }
  const kind = given[0]!;
  const p = `${at}.${kind}`;
  const value = s[kind];
  let action: TimelineAction;
  switch (kind) {
    case 'push': {
      const image = r.string(value, p, IMAGE_REF, IMAGE_HINT);
      if (isExternalImage(image))
        r.fail(p, `pushes go to the local ECR: give repository:tag, got ${show(image)}`);
      action = { type: 'push', image };
      break;
    }
    case 'update': {
      const u = r.object(value, p, ['service', 'image', 'desiredCount']);
      const ref = r.string(u.service, `${p}.service`);
      const service = findService(ref, `${p}.service`, refs.services, r);
      action = { type: 'update', cluster: service.cluster, service: service.name };
      if (u.image !== undefined) action.image = r.string(u.image, `${p}.image`, IMAGE_REF, IMAGE_HINT);
      if (u.desiredCount !== undefined)
        action.desiredCount = r.int(u.desiredCount, `${p}.desiredCount`, 0, 5000);
      if (u.image === undefined && u.desiredCount === undefined)
        r.fail(p, 'needs image or desiredCount (or both)');
      break;
    }
    case 'load': {
      const l = r.object(value, p, ['targetGroup', 'rps']);
      const targetGroup = r.string(l.targetGroup, `${p}.targetGroup`);
      if (!refs.targetGroups.has(targetGroup))
        r.fail(`${p}.targetGroup`, `no target group "${targetGroup}" in targetGroups`);
      action = { type: 'load', targetGroup, rps: r.number(l.rps, `${p}.rps`) };
      break;
    }
    case 'event': {
      if (typeof value === 'string') {
        const { path: file, value: event } = r.file(value, p);
        action = { type: 'event', event: readEvent(event, p, r, file), file };
      } else {
        action = { type: 'event', event: readEvent(value, p, r) };
      }
      break;
    }
    case 'alarm': {
      const a = r.object(value, p, ['name', 'state', 'reason']);
      const name = r.string(a.name, `${p}.name`);
      if (!refs.alarms.has(name)) r.fail(`${p}.name`, `no alarm "${name}" in alarms`);
      action = {
        type: 'alarm',
        name,
        state: r.oneOf(a.state, `${p}.state`, ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const),
        reason: a.reason === undefined ? 'set by the scenario' : r.string(a.reason, `${p}.reason`),
      };
      break;
    }
    case 'slack': {
      const c = r.object(value, p, ['click', 'user', 'signature', 'message']);
      action = {
        type: 'slack',
        click: r.oneOf(c.click, `${p}.click`, [
          'promote',
          'pause',
          'resume',
          'abort',
          'retry',
          'approve',
          'reject',
        ] as const),
        user: r.string(c.user, `${p}.user`, SLACK_USER, 'a Slack user ID such as U123'),
        signature:
          c.signature === undefined
            ? 'valid'
            : r.oneOf(c.signature, `${p}.signature`, ['valid', 'forged', 'expired', 'replayed'] as const),
        ...(c.message !== undefined &&
          c.message !== 'latest' && {
            message: c.message === 'first' ? 1 : r.int(c.message, `${p}.message`, 1, 1000),
          }),
      };
      break;
    }
    case 'cli': {
      const c = r.object(value, p, ['command', 'service', 'as', 'reason']);
      const service = findService(r.string(c.service, `${p}.service`), `${p}.service`, refs.services, r);
      action = {
        type: 'cli',
        command: r.oneOf(c.command, `${p}.command`, CLI_COMMANDS),
        service: `${service.cluster}/${service.name}`,
        ...(c.as !== undefined && { as: r.string(c.as, `${p}.as`) }),
        ...(c.reason !== undefined && { reason: r.string(c.reason, `${p}.reason`) }),
      };
      break;
    }
  }
  return { at: time, path: at, action };
}

/** `prod/web`, or `web` when only one cluster has a service of that name. */
function findService(ref: string, at: string, services: ServiceSpec[], r: Reader): ServiceSpec {
  const slash = ref.indexOf('/');
  const matches =
    slash >= 0
      ? services.filter((s) => s.cluster === ref.slice(0, slash) && s.name === ref.slice(slash + 1))
      : services.filter((s) => s.name === ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) r.fail(at, `"${ref}" is in more than one cluster: write cluster/service`);
  return r.fail(at, `no service "${ref}" in services (write cluster/service, such as "prod/web")`);
}

const ENVELOPE_STRINGS = ['version', 'id', 'account', 'time', 'region'];

/** An event to put on the bus: `source`, `detail-type` and `detail` are required, the rest is filled in. */
function readEvent(v: unknown, at: string, r: Reader, file?: string): EventInput {
  const where = file ? `${displayPath(file)}: ` : '';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.fail(
      at,
      `${where}must be an event (an object with source, detail-type and detail), or the path of a JSON file holding one`,
    );
  }
  const e = v as Json;
  for (const key of ['source', 'detail-type']) {
    if (typeof e[key] !== 'string' || e[key] === '') r.fail(at, `${where}the event needs a "${key}" string`);
  }
  if (typeof e.detail !== 'object' || e.detail === null || Array.isArray(e.detail)) {
    r.fail(at, `${where}the event needs a "detail" object`);
  }
  for (const key of ENVELOPE_STRINGS) {
    if (e[key] !== undefined && typeof e[key] !== 'string')
      r.fail(at, `${where}the event's "${key}" must be a string`);
  }
  if (
    e.resources !== undefined &&
    (!Array.isArray(e.resources) || e.resources.some((x) => typeof x !== 'string'))
  ) {
    r.fail(at, `${where}the event's "resources" must be a list of strings`);
  }
  return e as EventInput;
}
