/**
 * autopilot.yml: which services the pipeline deploys, from which ECR repository, how, and when it
 * gives up. Pure: reading the YAML file is lib/config-file.ts's (the Lambdas get the config parsed at
 * package time, lib/packaged-config.ts, and bundle no YAML parser).
 *
 *   defaults:                  # optional: any target field but cluster, service, repository
 *     failedTasks: 2
 *   targets:
 *     - cluster: prod          # required
 *       service: web           # required
 *       repository: web        # required: the ECR repository feeding it (targets may share one)
 *       container: web         # the container whose image changes; optional if the task has one
 *       tags: { glob: "v*" }   # see tag-policy.ts; default: any tag but latest, no pre-releases
 *       strategy: canary       # see steps.ts; default canary [10% 5m, 50% 5m, 100% 2m]
 *       steps: [{ percent: 10, bake: 5m }, { percent: 100, bake: 2m }]
 *       gateAlarms: [web-5xx, "web-latency-*"]   # names, or prefixes ending in *; default none
 *       failedTasks: 1         # failed new tasks that roll back; default 1
 *       stepDeadline: 15m      # a step unhealthy this long since it last asked for tasks rolls back; default 15m
 *       rollbackDeadline: 15m  # a rollback not finished this long tells a person; default 15m
 *       maxSurge: 100          # extra tasks a rollout may run, in % of the service's count; default 100
 *       notifications: { webhook: /ecs-autopilot/slack-web, steps: false }   # any key of the section below
 *       approvers: [U012ABCDEF, S0123GROUP]   # who may click Promote/Pause/Resume/Abort/Retry in Slack; default nobody
 *       buttons: true          # put those buttons on the Slack messages (needs the Slack app, README); default false
 *       approval: before-promotion   # wait for a person before the 100% step (or a step's approve: true)
 *       approvalTimeout: 24h   # how long a gate waits; default 24h
 *       onApprovalTimeout: rollback   # or hold; default rollback
 *       freeze: { timeZone: Europe/Berlin, windows: [{ from: "fri 16:00", to: "mon 08:00" }], allowTags: ["hotfix-*"] }
 *   notifications:             # Slack; optional: without it every kind but `ignored` goes to the default webhook
 *     webhook: /ecs-autopilot/slack-webhook-url   # the SSM SecureString holding the webhook URL (never the URL)
 *     kinds: [started, step, succeeded, rolled_back, superseded, scaled, paused, resumed, error]
 *     steps: false             # no step messages
 *     routes: { rolled_back: [/ecs-autopilot/slack-web, /ecs-autopilot/slack-oncall] }   # instead of webhook
 *   # notifications: false     # nothing is sent (a target may say the same for itself)
 *   sweep: 10m                 # the safety sweep's period (whole minutes, 1m to 1d); default 30m, 5m when a target scales
 *
 * A target's field replaces the same field of `defaults` whole (lists and blocks are not merged).
 * A target that sets `strategy` takes none of the defaults' steps, linear or rolling with it: a
 * strategy and its options go together.
 *
 * Every problem is collected, not only the first, and named by its path:
 * "autopilot.yml: targets[0].steps[1].percent: must be above 0 and at most 100, got 150 (line 12)".
 */
import { canaryServiceName } from './canary-service.ts';
import { parseDuration } from './duration.ts';
import { PermanentError } from './errors.ts';
import { type Freeze, parseFreeze } from './freeze.ts';
import { maskWebhooks } from './log.ts';
import type { ScalingPolicy } from './scaling.ts';
import { parseScaling } from './scaling-config.ts';
import { planRollout, type Step, type StrategyKind } from './steps.ts';
import { DEFAULT_TAG_POLICY, parseTagPolicy, type TagPolicy } from './tag-policy.ts';
import {
  parseCanaryTargetGroup,
  parseLoadBalancerNames,
  parseTrafficMode,
  resolveTraffic,
  type TrafficMode,
} from './traffic-config.ts';

export type { Step, StrategyKind } from './steps.ts';
export type { TagPolicy } from './tag-policy.ts';

export interface TargetConfig {
  cluster: string;
  service: string;
  /** Absent: the task definition must have exactly one container, found at run time. */
  container?: string;
  repository: string;
  tags: TagPolicy;
  strategy: StrategyKind;
  /** Presets and defaults expanded; the last is always 100. */
  steps: Step[];
  /** Alarm names, or prefixes ending in `*`; see matchesGateAlarm. */
  gateAlarms: string[];
  /** Failed new tasks (non-zero exit, failed health checks, cannot pull, cannot be placed) that roll back. */
  failedTasks: number;
  /** A step whose new tasks are not all running and healthy this long after it starts rolls back. */
  stepDeadlineMs: number;
  /** A rollback not finished this long after it started is told to a person (and stays in `status`). */
  rollbackDeadlineMs: number;
  /**
   * The extra tasks a rollout may run beside the service's count, in percent of it (as ECS's
   * maximumPercent - 100, argo-rollouts' maxSurge): past it the primary shrinks as the canary grows.
   */
  maxSurgePercent: number;
  /** How often the tick looks in the repository for pushes whose event was lost (ECR events are best effort); 0: never. */
  missedPushCheckMs: number;
  /** This target's own Slack settings: each key it sets replaces the top-level section's. */
  notifications?: NotificationSettings;
  /** Alarm-driven scaling (lib/scaling-config.ts); absent: the pipeline never changes the count. */
  scaling?: ScalingPolicy;
  /** Slack user (`U…`, `W…`) and user-group (`S…`) IDs allowed to act from Slack (lib/chatops); absent: nobody. */
  approvers?: string[];
  /** Buttons on this target's Slack messages (lib/slack/message.ts); only with the Slack app set up. */
  buttons?: boolean;
  /** How long an approval gate (a step's `approve`, or `approval`) waits for a person. */
  approvalTimeoutMs: number;
  /** What a gate nobody decided within approvalTimeoutMs does: roll back, or hold until someone does. */
  onApprovalTimeout: 'rollback' | 'hold';
  /** Freeze windows (lib/freeze.ts): pushes wait through them; absent or no windows: never frozen. */
  freeze?: Freeze;
  /** How the canary gets its share (lib/traffic-config.ts): listener weights, or its share of the tasks. */
  traffic?: TrafficMode;
  /** weighted: the load balancers whose listeners forward to the service (IAM is scoped to them). */
  loadBalancers?: string[];
  /** weighted: the canary's target group, when not the one the pipeline makes. */
  canaryTargetGroup?: string;
}

export interface Config {
  targets: TargetConfig[];
  /** Absent: every kind but `ignored` goes to the deployment's default webhook. */
  notifications?: NotificationSettings;
  /** How often the safety sweep runs (lib/rules.ts), ms: lost events are repaired within it. */
  sweepMs?: number;
}

/**
 * The sweep's default period: half an hour, a slow safety net. Nothing a rollout needs waits for it:
 * bakes end on their wake-ups, a failing task rolls back in the invocation its event reaches, a
 * step waiting for its tasks looks again 4m, 8m, … in (lib/wake.ts), a rollback whose invocation
 * died before acting is taken up when its lease ends, and a CLI command schedules its own wake-up.
 * What waits for it is what a lost event or a dead sender left: a push whose ECR event was lost,
 * a Slack message whose sender died mid-send, a canary a dead invocation left standing after a
 * good rollout. The old one-minute period cost an invocation and a Query a minute for those, 60
 * of each an hour on an idle fleet (issue 16's idle figures: 2).
 */
export const DEFAULT_SWEEP_MS = 30 * 60_000;

/**
 * The default when a target has `scaling:`: a scaling alarm's ALARM whose event was lost is heard
 * only by the sweep (it asks CloudWatch which are in ALARM), and a scale-out half an hour late is
 * no scale-out. Five minutes is 12 invocations an hour, for fleets that scale.
 */
export const SCALING_SWEEP_MS = 5 * 60_000;

/**
 * The sweep's period for a config: its `sweep`, else the default for what its targets use.
 *   sweep: 10m, a target scales           -> 600000 (what it says)
 *   no sweep, no target scales            -> 1800000 (30m)
 *   no sweep, a target has scaling:       -> 300000 (5m)
 */
export function sweepMsOf(config: Pick<Config, 'sweepMs' | 'targets'>): number {
  if (config.sweepMs !== undefined) return config.sweepMs;
  return config.targets.some((t) => t.scaling) ? SCALING_SWEEP_MS : DEFAULT_SWEEP_MS;
}

/**
 * A sweep period as written, or why not: whole minutes (an EventBridge rate), from 1 minute to a day.
 *   '10m' -> 600000;  '1h' -> 3600000;  '90s' -> 'must be whole minutes …';  '2d' -> 'must be at most 1d …'
 */
export function sweepPeriod(value: unknown): number | string {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    return (e as Error).message;
  }
  if (ms < 60_000 || ms % 60_000 !== 0)
    return `must be whole minutes, at least 1m (an EventBridge rate), got ${show(value)}`;
  if (ms > 86_400_000) return `must be at most 1d (a lost event waits for the sweep), got ${show(value)}`;
  return ms;
}

/** What Slack hears about (lib/slack/message.ts renders each). */
export const NOTIFICATION_KINDS = [
  'started',
  'step',
  'succeeded',
  'rolled_back',
  'superseded',
  'scaled',
  'paused',
  'resumed',
  'approval',
  'approved',
  'frozen',
  'ignored',
  'error',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
/** A push the tag policy turns away (`latest`, a feature branch) is noise in a channel: asked for by name only. */
const DEFAULT_KINDS: readonly NotificationKind[] = NOTIFICATION_KINDS.filter((k) => k !== 'ignored');

/** The `notifications:` section, and a target's override of it. Webhooks are SSM parameter names. */
export interface NotificationSettings {
  /** `notifications: false`. */
  off?: true;
  webhook?: string;
  kinds?: NotificationKind[];
  steps?: boolean;
  /** A kind to these webhooks instead of `webhook`. */
  routes?: Partial<Record<NotificationKind, string[]>>;
}

export interface ConfigProblem {
  /** Where, as written: `targets[1].tags.semver`; '' for the file as a whole. */
  path: string;
  message: string;
  /** Line in the file, when the config came from YAML text. */
  line?: number;
}

/** Every problem found in a config; the message lists one per line. */
export class ConfigError extends PermanentError {
  override readonly name = 'ConfigError';
  readonly problems: ConfigProblem[];
  readonly file: string;

  constructor(found: ConfigProblem[], file = 'config') {
    // A webhook written in any form (even without its scheme) is never echoed: the problem is said without it.
    const problems = found.map((p) => ({ ...p, message: maskWebhooks(p.message) }));
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.problems = problems;
    this.file = file;
  }
}

/** What a target gets for a field neither it nor `defaults` sets (strategy and tags: see steps.ts, tag-policy.ts). */
const TARGET_DEFAULTS = {
  gateAlarms: [] as readonly string[],
  failedTasks: 1,
  stepDeadlineMs: 15 * 60_000,
  rollbackDeadlineMs: 15 * 60_000,
  maxSurgePercent: 100,
  missedPushCheckMs: 5 * 60_000,
  // A release left for the next working day is still decided then, not rolled back overnight.
  approvalTimeoutMs: 24 * 60 * 60_000,
  onApprovalTimeout: 'rollback',
} as const;

/**
 * A config given as an object (scenarios embed one; lib/config-file.ts reads autopilot.yml into one)
 * -> a validated Config; throws ConfigError. `lineOfPath` puts each problem's line in its message.
 */
export function validateConfig(
  raw: unknown,
  file = 'config',
  lineOfPath?: (path: string) => number | undefined,
): Config {
  return check(raw, file, lineOfPath);
}

/**
 * The webhooks (SSM parameter names) a message of `kind` about `target` goes to; none when it is
 * switched off. A key the target sets replaces the section's; `defaultWebhook` is the deployment's
 * parameter (AUTOPILOT_SLACK_PARAMETER).
 *
 *   no section                                  started -> [default]   ignored -> []
 *   { steps: false }                            step -> []
 *   { routes: { rolled_back: [/a, /b] } }       rolled_back -> [/a, /b]   started -> [default]
 *   target { webhook: /web }, section routes    started -> [/web]   rolled_back -> the section's route
 */
export function webhooksFor(
  config: Config,
  target: TargetConfig,
  kind: NotificationKind,
  defaultWebhook: string,
): string[] {
  const top = config.notifications ?? {};
  const own = target.notifications ?? {};
  if (top.off || own.off) return [];
  const kinds = own.kinds ?? top.kinds ?? DEFAULT_KINDS;
  if (!kinds.includes(kind)) return [];
  if (kind === 'step' && (own.steps ?? top.steps) === false) return [];
  const routed = (own.routes ?? top.routes)?.[kind];
  return routed ? [...routed] : [own.webhook ?? top.webhook ?? defaultWebhook];
}

/** Every SSM parameter the pipeline may read a webhook from: what IAM must grant, what the local SSM holds. */
export function webhookParameters(config: Config, defaultWebhook: string): string[] {
  const names = new Set<string>();
  for (const target of config.targets) {
    for (const kind of NOTIFICATION_KINDS) {
      for (const name of webhooksFor(config, target, kind, defaultWebhook)) names.add(name);
    }
  }
  return [...names].sort();
}

/** Whether a service's (`cluster/service`) Slack messages carry buttons: its target's `buttons: true`. */
export function buttonsOn(config: Config): (service: string) => boolean {
  const on = new Set(config.targets.filter((t) => t.buttons).map((t) => `${t.cluster}/${t.service}`));
  return (service) => on.has(service);
}

/** The targets an image pushed to `repository` may roll out to. */
export function targetsForRepository(config: Config, repository: string): TargetConfig[] {
  return config.targets.filter((t) => t.repository === repository);
}

/** The target for a service; cluster and service may be names or ARNs (as events carry them). */
export function targetFor(config: Config, cluster: string, service: string): TargetConfig | undefined {
  const clusterName = nameOf(cluster);
  const serviceName = nameOf(service);
  return config.targets.find((t) => t.cluster === clusterName && t.service === serviceName);
}

/** Whether an alarm gates the target's rollouts: `web-5xx` matches only itself, `web-*` every name starting `web-`. */
export function matchesGateAlarm(target: TargetConfig, alarmName: string): boolean {
  return target.gateAlarms.some((p) =>
    p.endsWith('*') ? alarmName.startsWith(p.slice(0, -1)) : alarmName === p,
  );
}

// ---- The format: one parser per field ----

type Parser<T> = (value: unknown, path: string, problems: Problems) => T | undefined;

/**
 * Every field a target may have. To add one (say `scaling`): a parser here, a field in TargetConfig,
 * a line in resolveSettings. The key check, `defaults` and error paths follow from this table.
 */
// `@__PURE__`: only validation reads these tables, and the Lambdas get the config validated at package
// time (lib/packaged-config.ts): so marked, esbuild leaves the validation out of their bundles.
const TARGET_FIELDS = {
  cluster: /* @__PURE__ */ ecsName('ECS cluster'),
  service: /* @__PURE__ */ ecsName('ECS service'),
  repository: repositoryName,
  container: /* @__PURE__ */ ecsName('container'),
  tags: tagPolicy,
  // strategy, steps, linear and rolling depend on each other: planRollout (steps.ts) checks them together.
  strategy: asWritten,
  steps: asWritten,
  linear: asWritten,
  rolling: asWritten,
  gateAlarms: gateAlarmPatterns,
  failedTasks: positiveInteger,
  stepDeadline: positiveDuration,
  rollbackDeadline: positiveDuration,
  maxSurge: surgePercent,
  missedPushCheck: (value: unknown, path: string, problems: Problems) =>
    value === false ? 0 : positiveDuration(value, path, problems),
  notifications: notificationSettings,
  scaling: (value: unknown, path: string, problems: Problems) =>
    parseScaling(value, path, (at, message) => problems.add(at, message)),
  approvers: slackApprovers,
  buttons: (value: unknown, path: string, problems: Problems) => {
    if (typeof value === 'boolean') return value;
    problems.add(path, `must be true or false, got ${show(value)}`);
    return undefined;
  },
  approval: (value: unknown, path: string, problems: Problems) => {
    if (value === 'before-promotion' || value === false) return value;
    problems.add(
      path,
      `must be before-promotion (an approval gate before the 100% step), or false, got ${show(value)}`,
    );
    return undefined;
  },
  approvalTimeout: positiveDuration,
  onApprovalTimeout: (value: unknown, path: string, problems: Problems) => {
    if (value === 'rollback' || value === 'hold') return value;
    problems.add(path, `must be rollback or hold, got ${show(value)}`);
    return undefined;
  },
  freeze: (value: unknown, path: string, problems: Problems) =>
    parseFreeze(value, path, (at, message) => problems.add(at, message)),
  traffic: (value: unknown, path: string, problems: Problems) =>
    parseTrafficMode(value, path, (at, message) => problems.add(at, message)),
  loadBalancers: (value: unknown, path: string, problems: Problems) =>
    parseLoadBalancerNames(value, path, (at, message) => problems.add(at, message)),
  canaryTargetGroup: (value: unknown, path: string, problems: Problems) =>
    parseCanaryTargetGroup(value, path, (at, message) => problems.add(at, message)),
} satisfies Record<string, Parser<unknown>>;

type TargetField = keyof typeof TARGET_FIELDS;

/** Named by each target, never by `defaults`. */
const IDENTITY: Record<'cluster' | 'service' | 'repository', string> = {
  cluster: 'the ECS cluster name',
  service: 'the ECS service name',
  repository: 'the ECR repository whose pushes deploy this target',
};
const ROLLOUT_OPTIONS: readonly string[] = ['steps', 'linear', 'rolling'];

const TARGET_KEYS = /* @__PURE__ */ Object.keys(TARGET_FIELDS);
const DEFAULTS_KEYS = /* @__PURE__ */ TARGET_KEYS.filter((k) => !Object.hasOwn(IDENTITY, k));
/** Top-level sections; a new one (say `scaling`) is a key here and a line in check(). */
const TOP_KEYS = ['defaults', 'targets', 'notifications', 'sweep'];

type Settings = Omit<TargetConfig, keyof typeof IDENTITY>;
type Lookup = (key: TargetField) => { value: unknown; path: string } | undefined;

function check(raw: unknown, file: string, lineOfPath?: (path: string) => number | undefined): Config {
  const problems = new Problems();
  const top = readMapping(raw, '', TOP_KEYS, 'a mapping with a targets list', problems);
  const defaults =
    top?.defaults === undefined
      ? {}
      : (readMapping(top.defaults, 'defaults', DEFAULTS_KEYS, 'a mapping of target fields', problems) ?? {});
  // Checked on their own as well, so their problems show even when no target reads them.
  resolveSettings(lookup(defaults, 'defaults', {}), problems);
  const notifications =
    top?.notifications === undefined
      ? undefined
      : notificationSettings(top.notifications, 'notifications', problems);

  let sweepMs: number | undefined;
  if (top?.sweep !== undefined) {
    const period = sweepPeriod(top.sweep);
    if (typeof period === 'string') problems.add('sweep', period);
    else sweepMs = period;
  }

  const targets: TargetConfig[] = [];
  if (top && !Array.isArray(top.targets)) {
    problems.add('targets', 'is required: a list of targets, each with cluster, service and repository');
  } else if (top && top.targets.length === 0) {
    problems.add('targets', 'must list at least one target');
  } else if (top) {
    const seen = new Map<string, number>();
    top.targets.forEach((item: unknown, i: number) => {
      const target = resolveTarget(item, `targets[${i}]`, defaults, problems);
      if (!target) return;
      const key = `${target.cluster}/${target.service}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else
        problems.add(`targets[${i}]`, `deploys ${key} again (see targets[${first}]): one target per service`);
      targets.push(target);
    });
    // The pipeline runs each target's canary as `<service>-canary` beside it.
    targets.forEach((target, i) => {
      const owner = targets.findIndex(
        (t) => t.cluster === target.cluster && canaryServiceName(t.service) === target.service,
      );
      if (owner >= 0) {
        problems.add(
          `targets[${i}].service`,
          `${target.service} is the name of the canary service of targets[${owner}] (${targets[owner]!.service})`,
        );
      }
      // A busy service trips its scaling alarm: as a gate alarm too, it would roll back every rollout under load.
      target.scaling?.rules.forEach((rule, j) => {
        if (matchesGateAlarm(target, rule.alarm)) {
          problems.add(
            `targets[${i}].scaling.rules[${j}].alarm`,
            `${rule.alarm} is also a gate alarm of this target: an alarm either scales or gates rollouts, not both`,
          );
        }
      });
    });
  }

  if (problems.list.length > 0) {
    if (!lineOfPath) throw new ConfigError(problems.list, file);
    // In the file's order, top to bottom (the sort is stable for problems on one line).
    const located = problems.list.map((p) => {
      const line = lineOfPath(p.path);
      return line === undefined ? p : { ...p, line };
    });
    throw new ConfigError(
      located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
      file,
    );
  }
  return {
    targets,
    ...(notifications !== undefined && { notifications }),
    ...(sweepMs !== undefined && { sweepMs }),
  };
}

function resolveTarget(
  raw: unknown,
  path: string,
  defaults: Record<string, unknown>,
  problems: Problems,
): TargetConfig | undefined {
  const own = readMapping(raw, path, TARGET_KEYS, 'a target with cluster, service and repository', problems);
  if (!own) return undefined;
  const identity = (key: keyof typeof IDENTITY): string | undefined => {
    if (!Object.hasOwn(own, key)) {
      problems.add(`${path}.${key}`, `is required: ${IDENTITY[key]}`);
      return undefined;
    }
    return TARGET_FIELDS[key](own[key], `${path}.${key}`, problems);
  };
  const cluster = identity('cluster');
  const service = identity('service');
  const repository = identity('repository');
  const settings = resolveSettings(lookup(own, path, defaults), problems);
  if (cluster === undefined || service === undefined || repository === undefined) return undefined;
  return { cluster, service, repository, ...settings };
}

/** Every field but the identity, from the target or else `defaults`, checked, with defaults filled in. */
function resolveSettings(find: Lookup, problems: Problems): Settings {
  const read = <K extends TargetField>(key: K): ReturnType<(typeof TARGET_FIELDS)[K]> | undefined => {
    const source = find(key);
    if (!source) return undefined;
    return TARGET_FIELDS[key](source.value, source.path, problems) as ReturnType<(typeof TARGET_FIELDS)[K]>;
  };
  const container = read('container');
  const tags = read('tags');
  const notifications = read('notifications');
  const scaling = read('scaling');
  const freeze = read('freeze');
  const rollout = planRollout({
    strategy: read('strategy'),
    steps: read('steps'),
    linear: read('linear'),
    rolling: read('rolling'),
  });
  for (const p of rollout.problems) {
    // Relative paths start with the field's name: put the target's or the defaults' path in front.
    const [, field, rest] = /^(\w+)(.*)$/.exec(p.path)!;
    problems.add(`${find(field as TargetField)?.path ?? field}${rest}`, p.message);
  }
  const steps = rollout.plan?.steps ?? [];
  const sourced = <K extends 'traffic' | 'loadBalancers' | 'canaryTargetGroup'>(key: K) => ({
    value: read(key),
    path: find(key)?.path,
  });
  const traffic = resolveTraffic(
    rollout.plan?.strategy ?? 'canary',
    sourced('traffic'),
    sourced('loadBalancers'),
    sourced('canaryTargetGroup'),
    (at, message) => problems.add(at, message),
  );
  // `approval: before-promotion` is the last step's `approve: true`, whatever the strategy.
  if (read('approval') === 'before-promotion' && steps.length > 0) steps[steps.length - 1]!.approve = true;
  return {
    ...(container !== undefined && { container }),
    tags: tags ?? { ...DEFAULT_TAG_POLICY },
    strategy: rollout.plan?.strategy ?? 'canary',
    steps,
    gateAlarms: read('gateAlarms') ?? [...TARGET_DEFAULTS.gateAlarms],
    failedTasks: read('failedTasks') ?? TARGET_DEFAULTS.failedTasks,
    stepDeadlineMs: read('stepDeadline') ?? TARGET_DEFAULTS.stepDeadlineMs,
    rollbackDeadlineMs: read('rollbackDeadline') ?? TARGET_DEFAULTS.rollbackDeadlineMs,
    maxSurgePercent: read('maxSurge') ?? TARGET_DEFAULTS.maxSurgePercent,
    missedPushCheckMs: read('missedPushCheck') ?? TARGET_DEFAULTS.missedPushCheckMs,
    ...(notifications !== undefined && { notifications }),
    ...(scaling !== undefined && { scaling }),
    ...chatops(read('approvers'), read('buttons')),
    approvalTimeoutMs: read('approvalTimeout') ?? TARGET_DEFAULTS.approvalTimeoutMs,
    onApprovalTimeout: read('onApprovalTimeout') ?? TARGET_DEFAULTS.onApprovalTimeout,
    ...(freeze !== undefined && freeze.windows.length > 0 && { freeze }),
    ...(traffic.traffic === 'weighted' && traffic),
  };
}

/** `approvers` and `buttons` only when set, so a config without the Slack buttons reads as before. */
function chatops(approvers: string[] | undefined, buttons: boolean | undefined) {
  return { ...(approvers !== undefined && { approvers }), ...(buttons !== undefined && { buttons }) };
}

/** Where a target's field comes from: the target itself, else `defaults`. */
function lookup(own: Record<string, unknown>, ownPath: string, defaults: Record<string, unknown>): Lookup {
  return (key) => {
    if (Object.hasOwn(own, key)) return { value: own[key], path: `${ownPath}.${key}` };
    // A target that names its strategy takes none of the defaults' steps or options with it.
    if (ROLLOUT_OPTIONS.includes(key) && Object.hasOwn(own, 'strategy')) return undefined;
    if (Object.hasOwn(defaults, key)) return { value: defaults[key], path: `defaults.${key}` };
    return undefined;
  };
}

// ---- Field parsers ----

function asWritten(value: unknown): unknown {
  return value;
}

/** ECS cluster, service and container names: 1-255 letters, digits, hyphens and underscores. */
function ecsName(what: string): Parser<string> {
  return (value, path, problems) => {
    if (typeof value === 'string' && /^[A-Za-z0-9_-]{1,255}$/.test(value)) return value;
    problems.add(
      path,
      typeof value === 'string' && value.startsWith('arn:')
        ? `must be the ${what} name, not an ARN`
        : `must be the ${what} name (1-255 letters, digits, - and _), got ${show(value)}`,
    );
    return undefined;
  };
}

const ECR_REPOSITORY = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

function repositoryName(value: unknown, path: string, problems: Problems): string | undefined {
  // 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web would pass as a name; it is the image URI.
  const uri = typeof value === 'string' ? /^[^/]+\.amazonaws\.com[^/]*\/([^:@]+)/.exec(value) : null;
  if (!uri && typeof value === 'string' && ECR_REPOSITORY.test(value)) return value;
  problems.add(
    path,
    uri
      ? `must be the repository name ("${uri[1]}"), not the image URI`
      : `must be an ECR repository name (lowercase letters, digits, . _ - and / between parts), got ${show(value)}`,
  );
  return undefined;
}

function tagPolicy(value: unknown, path: string, problems: Problems): TagPolicy | undefined {
  const { policy, problems: found } = parseTagPolicy(value);
  for (const p of found) problems.add(p.path ? `${path}.${p.path}` : path, p.message);
  return policy;
}

/** Alarm names, or prefixes ending in `*`. A lone `*` (every alarm in the account) is refused. */
function gateAlarmPatterns(value: unknown, path: string, problems: Problems): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.add(
      path,
      `must be a list of alarm names or prefixes ending in *, e.g. [web-5xx, "web-*"], got ${show(value)}`,
    );
    return undefined;
  }
  const before = problems.list.length;
  value.forEach((item: unknown, i: number) => {
    const at = `${path}[${i}]`;
    if (typeof item !== 'string' || item === '') {
      problems.add(at, `must be an alarm name or a prefix ending in *, got ${show(item)}`);
    } else if (item.length > 255) {
      problems.add(at, 'is longer than 255 characters, the limit for an alarm name');
    } else if (item === '*') {
      problems.add(at, 'a lone * would gate on every alarm in the account; write a prefix such as "web-*"');
    } else if (item.indexOf('*') < item.length - 1 && item.includes('*')) {
      problems.add(at, `"${item}" has a * before its end: write an exact name, or a prefix ending in *`);
    }
  });
  return problems.list.length === before ? (value as string[]).slice() : undefined;
}

/**
 * Slack IDs of who may act from Slack: users (`U…`, or `W…` on Enterprise Grid) and user groups
 * (`S…`). IDs, not names: a name can be changed or reused, an ID cannot.
 *
 *   [U012ABCDEF, W0123ABCD, S0ABCDEF12] -> ok      []   -> ok (nobody)
 *   [alice]  -> "approvers[0]: must be a Slack user ID (U… or W…) or user-group ID (S…) …"
 */
function slackApprovers(value: unknown, path: string, problems: Problems): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.add(
      path,
      `must be a list of Slack user IDs (U… or W…) or user-group IDs (S…), got ${show(value)}`,
    );
    return undefined;
  }
  const before = problems.list.length;
  value.forEach((item: unknown, i: number) => {
    if (typeof item !== 'string' || !/^[UWS][A-Z0-9]{2,}$/.test(item)) {
      problems.add(
        `${path}[${i}]`,
        `must be a Slack user ID (U… or W…) or user-group ID (S…), such as U012ABCDEF, got ${show(item)}; find it in the person's Slack profile, "Copy member ID"`,
      );
    }
  });
  return problems.list.length === before ? (value as string[]).slice() : undefined;
}

function positiveInteger(value: unknown, path: string, problems: Problems): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  problems.add(path, `must be a whole number of 1 or more, got ${show(value)}`);
  return undefined;
}

/**
 * maxSurge: a whole percent from 1 to 900 (900: a 90% canary beside the whole primary). A canary
 * needs room for at least one task, so 0 is refused.
 */
function surgePercent(value: unknown, path: string, problems: Problems): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 900) return value;
  const hint =
    typeof value === 'string' && value.endsWith('%') ? ` (write ${value.slice(0, -1)}, not "${value}")` : '';
  problems.add(path, `must be a whole percent from 1 to 900${hint}, got ${show(value)}`);
  return undefined;
}

function positiveDuration(value: unknown, path: string, problems: Problems): number | undefined {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    problems.add(path, (err as Error).message);
    return undefined;
  }
  if (ms > 0) return ms;
  problems.add(path, `must be longer than 0, got ${show(value)}`);
  return undefined;
}

const NOTIFICATION_KEYS = ['webhook', 'kinds', 'steps', 'routes'];

/** `false`, or a mapping of webhook, kinds, steps and routes; see NotificationSettings. */
function notificationSettings(
  value: unknown,
  path: string,
  problems: Problems,
): NotificationSettings | undefined {
  if (value === false) return { off: true };
  const raw = readMapping(
    value,
    path,
    NOTIFICATION_KEYS,
    'false, or a mapping of webhook, kinds, steps and routes',
    problems,
  );
  if (!raw) return undefined;
  const before = problems.list.length;
  const out: NotificationSettings = {};
  if (raw.webhook !== undefined) out.webhook = webhookParameter(raw.webhook, `${path}.webhook`, problems);
  if (raw.kinds !== undefined) {
    if (!Array.isArray(raw.kinds)) {
      problems.add(
        `${path}.kinds`,
        `must be a list of message kinds (${NOTIFICATION_KINDS.join(', ')}), got ${show(raw.kinds)}`,
      );
    } else {
      raw.kinds.forEach((k: unknown, i: number) => {
        notificationKind(k, `${path}.kinds[${i}]`, problems);
      });
      out.kinds = raw.kinds;
    }
  }
  if (raw.steps !== undefined) {
    if (typeof raw.steps === 'boolean') out.steps = raw.steps;
    else problems.add(`${path}.steps`, `must be true or false, got ${show(raw.steps)}`);
  }
  if (raw.routes !== undefined) {
    const routes = readMapping(
      raw.routes,
      `${path}.routes`,
      NOTIFICATION_KINDS,
      'a mapping of message kind to webhook parameters',
      problems,
    );
    out.routes = {};
    for (const [kind, to] of Object.entries(routes ?? {})) {
      const at = `${path}.routes.${kind}`;
      const list = Array.isArray(to) ? to : [to];
      if (list.length === 0)
        problems.add(
          at,
          'must name at least one webhook parameter (leave the kind out of kinds to send it nowhere)',
        );
      out.routes[kind as NotificationKind] = list.map(
        (name, i) => webhookParameter(name, Array.isArray(to) ? `${at}[${i}]` : at, problems)!,
      );
    }
  }
  return problems.list.length === before ? out : undefined;
}

function notificationKind(value: unknown, path: string, problems: Problems): void {
  if (typeof value === 'string' && (NOTIFICATION_KINDS as readonly string[]).includes(value)) return;
  const near = typeof value === 'string' ? nearest(value, NOTIFICATION_KINDS) : undefined;
  problems.add(
    path,
    `must be one of ${NOTIFICATION_KINDS.join(', ')}${near ? ` (did you mean ${near}?)` : ''}, got ${show(value)}`,
  );
}

/**
 * The name of the SSM parameter (a SecureString) that holds a webhook URL. The URL itself is a
 * secret: written here by mistake it is refused, and not repeated in the message.
 */
function webhookParameter(value: unknown, path: string, problems: Problems): string | undefined {
  if (typeof value === 'string' && (/^[a-z]+:\/\//i.test(value) || maskWebhooks(value) !== value)) {
    problems.add(
      path,
      'must be the name of the SSM parameter that holds the webhook URL, not the URL: the URL is a secret, keep it out of this file',
    );
    return undefined;
  }
  if (
    typeof value === 'string' &&
    /^(?:\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/.test(value) &&
    value.length <= 2048
  ) {
    return value;
  }
  problems.add(
    path,
    `must be an SSM parameter name such as /ecs-autopilot/slack-webhook-url (letters, digits, _ . - and / between parts), got ${show(value)}`,
  );
  return undefined;
}

// ---- Mechanics ----

/** Problems in the order found, each (path, message) once: `defaults` are checked once per target. */
class Problems {
  readonly list: ConfigProblem[] = [];
  private readonly seen = new Set<string>();

  add(path: string, message: string): void {
    const key = `${path}\n${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path, message });
  }
}

/** A mapping whose unknown keys are reported (with the nearest known key when one is close). */
function readMapping(
  value: unknown,
  path: string,
  allowed: readonly string[],
  shape: string,
  problems: Problems,
): Record<string, any> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.add(path, `must be ${shape}, got ${show(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const at = path ? `${path}.${key}` : key;
    if (path === 'defaults' && Object.hasOwn(IDENTITY, key)) {
      problems.add(at, `cannot be set in defaults: each target names its own ${key}`);
      continue;
    }
    const near = nearest(key, allowed);
    problems.add(
      at,
      `unknown key${near ? ` (did you mean ${near}?)` : ''}; allowed here: ${allowed.join(', ')}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * The allowed key a typo most likely meant: the same letters in another case, a part of the name
 * (`alarms` -> gateAlarms), or a few edits away (`stratgy` -> strategy). Exported for the other
 * readers of YAML (scenarios), so "did you mean" means the same everywhere.
 */
export function nearest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  const lower = key.toLowerCase();
  for (const candidate of allowed) {
    const d =
      candidate.toLowerCase() === lower
        ? 0
        : lower.length >= 4 && candidate.toLowerCase().includes(lower)
          ? 1
          : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

function formatProblem(file: string, p: ConfigProblem): string {
  return `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}${p.line ? ` (line ${p.line})` : ''}`;
}

/** "arn:aws:ecs:eu-west-1:123:service/prod/web" -> "web"; a plain name stays as it is. */
function nameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
