/**
 * `autopilot status [CLUSTER/SERVICE]`: every managed service (or one) as it stands: its revision
 * and image, the rollout in progress and its step, running and desired counts of the primary and
 * its canary, and the gate alarms in ALARM. Under the table, what runs on which revision when it is
 * more than one (an ECS deployment or a rollback in flight: `0/4 (+4 pending)` alone reads like an
 * outage), and how the last rollout ended: from what, to what, why. Read-only.
 *
 *   SERVICE   REVISION  IMAGE   TASKS  CANARY  ROLLOUT                                      ALARMS
 *   prod/web  web:2     web:v2  4/4    1/1     web:v3 step 1/3 (10%), baking, 1m of 2m left  -
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type Service } from '@aws-sdk/client-ecs';
import { canaryServiceName } from '../canary-service.ts';
import { matchesGateAlarm, type TargetConfig } from '../config.ts';
import type { ServiceRecord } from '../record.ts';
import { IMAGE_TAG, shortRevision } from '../revision.ts';
import { canaryShare } from '../rollout-math.ts';
import {
  CommandFailed,
  type Deps,
  describeRollout,
  ISO,
  imageLabel,
  keyOf,
  lastGoodJson,
  outcomeText,
  printJson,
  type RolloutView,
  rolloutView,
  summaryJson,
  table,
  targetOf,
} from './common.ts';

export interface StatusOptions {
  /** `cluster/service`; every target when absent. */
  service?: string;
  json?: boolean;
}

export interface ServiceStatus {
  service: string;
  cluster: string;
  name: string;
  exists: boolean;
  revision?: string;
  image?: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  /** ECS's own deployment of the primary: IN_PROGRESS while it rolls. */
  deployment?: string;
  canary?: { revision?: string; desiredCount: number; runningCount: number; pendingCount: number };
  /** Tasks by revision: each ECS deployment of the primary (the new one first), then the canary's. */
  tasks: {
    revision: string;
    service: 'primary' | 'canary';
    /** PRIMARY: the revision ECS is moving to; ACTIVE: one it is replacing. */
    status: string;
    runningCount: number;
    desiredCount: number;
    pendingCount: number;
  }[];
  rollout?: RolloutView;
  /** A push that waits for a freeze window: it goes at `until` unless someone approves it sooner. */
  frozen?: { image: string; digest: string; since: string; until: string };
  /** During a rollout: the share of traffic the new revision serves now, by its running tasks (servedNow). */
  served?: { share: number; newTasks: number; tasks: number; byWeight?: true };
  lastGood?: ReturnType<typeof lastGoodJson>;
  last?: ReturnType<typeof summaryJson>;
  alarmsInAlarm: { name: string; reason: string }[];
}

export async function status(options: StatusOptions, deps: Deps): Promise<number> {
  const targets = options.service ? [targetOf(options.service, deps)] : deps.config.targets;
  const alarms = await alarmsInAlarm(deps);
  const images = new Map<string, Promise<string | undefined>>();
  const out: ServiceStatus[] = [];
  for (const target of targets) out.push(await serviceStatus(target, deps, alarms, images));
  if (options.json) printJson(deps.io, options.service ? out[0] : out);
  else deps.io.out(formatStatus(out));
  return 0;
}

export async function serviceStatus(
  target: TargetConfig,
  deps: Deps,
  alarms: { name: string; reason: string }[],
  images = new Map<string, Promise<string | undefined>>(),
): Promise<ServiceStatus> {
  const [record, described] = await Promise.all([
    deps.store.get(target.cluster, target.service),
    deps.clients.ecs
      .send(
        new DescribeServicesCommand({
          cluster: target.cluster,
          services: [target.service, canaryServiceName(target.service)],
        }),
      )
      .catch((e: Error) => {
        if (e.name !== 'ClusterNotFoundException') throw e;
        const local = deps.where.startsWith('the local AWS');
        throw new CommandFailed(
          `${keyOf(target)}: ${deps.configFile} names the cluster ${target.cluster}, which ${deps.where} does not have${local ? ": serve a world that has it (`npx autopilot local` serves the demo's prod/web; `--scenario FILE.yml` another), or name that world's scenario with --config" : ': check AWS_REGION and AWS_PROFILE'}`,
        );
      }),
  ]);
  const primary = described.services?.find(
    (s) => s.serviceName === target.service && s.status !== 'INACTIVE',
  );
  const canary = described.services?.find(
    (s) => s.serviceName === canaryServiceName(target.service) && s.status === 'ACTIVE',
  );
  const imageOf = (arn: string) => {
    let found = images.get(arn);
    if (!found) {
      found = imageOfRevision(deps, arn, target.container, record);
      images.set(arn, found);
    }
    return found;
  };
  const last = record.history.at(-1);
  const tasks: ServiceStatus['tasks'] = [
    ...(primary?.deployments ?? []).map((d) => ({
      revision: shortRevision(d.taskDefinition ?? ''),
      service: 'primary' as const,
      status: d.status ?? '',
      runningCount: d.runningCount ?? 0,
      desiredCount: d.desiredCount ?? 0,
      pendingCount: d.pendingCount ?? 0,
    })),
    ...(canary?.taskDefinition && ((canary.runningCount ?? 0) > 0 || (canary.desiredCount ?? 0) > 0)
      ? [
          {
            revision: shortRevision(canary.taskDefinition),
            service: 'canary' as const,
            status: 'PRIMARY',
            runningCount: canary.runningCount ?? 0,
            desiredCount: canary.desiredCount ?? 0,
            pendingCount: canary.pendingCount ?? 0,
          },
        ]
      : []),
  ];
  return {
    service: keyOf(target),
    cluster: target.cluster,
    name: target.service,
    exists: primary !== undefined,
    ...(primary?.taskDefinition
      ? {
          revision: shortRevision(primary.taskDefinition),
          image: await imageOf(primary.taskDefinition),
        }
      : {}),
    desiredCount: primary?.desiredCount ?? 0,
    runningCount: primary?.runningCount ?? 0,
    pendingCount: primary?.pendingCount ?? 0,
    ...(primary ? { deployment: deploymentState(primary) } : {}),
    ...(canary
      ? {
          canary: {
            ...(canary.taskDefinition ? { revision: shortRevision(canary.taskDefinition) } : {}),
            desiredCount: canary.desiredCount ?? 0,
            runningCount: canary.runningCount ?? 0,
            pendingCount: canary.pendingCount ?? 0,
          },
        }
      : {}),
    tasks,
    ...(record.rollout
      ? {
          rollout: rolloutView(record.rollout, deps.now()),
          ...servedNow(tasks, record.rollout.taskDefinition, record.rollout),
        }
      : {}),
    ...(record.frozenPush && {
      frozen: {
        image: imageLabel(record.frozenPush.image),
        digest: record.frozenPush.image.digest,
        since: ISO(record.frozenPush.since)!,
        until: ISO(record.frozenPush.until)!,
      },
    }),
    ...(record.lastGood ? { lastGood: lastGoodJson(record.lastGood) } : {}),
    ...(last ? { last: summaryJson(last) } : {}),
    alarmsInAlarm: alarms.filter((a) => matchesGateAlarm(target, a.name)),
  };
}

/** Every alarm of the account in ALARM (one paginated call, then matched to each target's gate alarms). */
export async function alarmsInAlarm(deps: Deps): Promise<{ name: string; reason: string }[]> {
  if (!deps.config.targets.some((t) => t.gateAlarms.length > 0)) return [];
  const found: { name: string; reason: string }[] = [];
  let token: string | undefined;
  do {
    const out = await deps.clients.cloudwatch.send(
      new DescribeAlarmsCommand({
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken: token,
      }),
    );
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
      if (a.AlarmName) found.push({ name: a.AlarmName, reason: a.StateReason ?? '' });
    }
    token = out.NextToken;
  } while (token);
  return found;
}

/** `web:v2`: the image the pipeline tagged the revision with, else the target container's image as written. */
async function imageOfRevision(
  deps: Deps,
  arn: string,
  container: string | undefined,
  record: ServiceRecord,
): Promise<string | undefined> {
  if (record.lastGood?.taskDefinition === arn && record.lastGood.image)
    return imageLabel(record.lastGood.image);
  const out = await deps.clients.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
  );
  const tagged = out.tags?.find((t) => t.key === IMAGE_TAG)?.value;
  if (tagged) return tagged;
  const containers = out.taskDefinition?.containerDefinitions ?? [];
  const main = container ? containers.find((c) => c.name === container) : containers[0];
  return main?.image ? shortImage(main.image) : undefined;
}

/** Without the ECR registry host; a digest shortened. */
export function shortImage(uri: string): string {
  const image = uri.replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//, '');
  return image.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]*$/, '@$1');
}

function deploymentState(s: Service): string {
  const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
  return primary?.rolloutState ?? (s.deployments && s.deployments.length > 1 ? 'IN_PROGRESS' : 'COMPLETED');
}

const count = (running: number, desired: number, pending: number) =>
  `${running}/${desired}${pending ? ` (+${pending} pending)` : ''}`;

/**
 * What runs on which revision, when that is more than one revision or tasks are still starting;
 * empty when the service is steady on one.
 *
 *   [web:1 PRIMARY 0/4 +4 pending, web:3 ACTIVE 4/0]  'web:1 0 of 4 (4 starting), web:3 4 (being replaced)'
 *   [web:2 PRIMARY 4/4, canary web:3 1/1]             'web:2 4 of 4, canary web:3 1 of 1'
 *   [web:2 PRIMARY 4/4]                               ''
 */
export function runsText(tasks: ServiceStatus['tasks']): string {
  const steady =
    tasks.length === 1 && tasks[0]!.pendingCount === 0 && tasks[0]!.runningCount === tasks[0]!.desiredCount;
  if (tasks.length === 0 || steady) return '';
  return tasks
    .map((t) => {
      const who = t.service === 'canary' ? `canary ${t.revision}` : t.revision;
      if (t.status === 'ACTIVE') return `${who} ${t.runningCount} (being replaced)`;
      return `${who} ${t.runningCount} of ${t.desiredCount}${t.pendingCount ? ` (${t.pendingCount} starting)` : ''}`;
    })
    .join(', ');
}

/** How the last rollout ended: from what, to what, why, and what the service runs since. */
export function lastText(last: NonNullable<ServiceStatus['last']>): string {
  const at = last.endedAt?.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  if (last.kind === 'manual_rollback') {
    const why = last.reason.match(/^rolled back by hand from \S+ to \S+?(?:: (.*))?$/)?.[1];
    return `rolled back by hand from ${last.from} to ${last.to} at ${at}${why ? `, because: ${why}` : ' (no reason given)'}`;
  }
  const moves = last.to ? ` (${last.from} -> ${last.to})` : '';
  const runs = last.outcome !== 'succeeded' && last.runs ? `; back on ${last.runs}` : '';
  return `last rollout ${last.image}${moves} ${outcomeText(last.outcome)} at ${at}: ${last.reason}${runs}`;
}

/**
 * The share the new revision serves now with task-sized canaries: its running tasks (canary, or the
 * primary's new deployment at promotion) over every running task of the service and its canary,
 * since the load balancer spreads requests evenly over them (lib/rollout-math.ts canaryShare).
 *
 *   web:2 2 running, canary web:3 1 running    -> 33.3 % (1 of 3)   (the step asked for 10 %)
 *   web:3 4 running (PRIMARY), web:2 0         -> 100 % (4 of 4)
 *   nothing running                            -> none
 */
export function servedNow(
  tasks: ServiceStatus['tasks'],
  revision: string | undefined,
  /** Weighted traffic: the share is the routes' weight the pipeline set (all of it once promoted). */
  weights?: { canaryWeight?: number; canaryDetached?: true },
): { served?: ServiceStatus['served'] } {
  if (!revision) return {};
  const rev = shortRevision(revision);
  const all = tasks.reduce((n, t) => n + t.runningCount, 0);
  const mine = tasks.filter((t) => t.revision === rev).reduce((n, t) => n + t.runningCount, 0);
  if (weights?.canaryWeight !== undefined)
    return {
      served: {
        share: weights.canaryDetached ? 100 : weights.canaryWeight,
        newTasks: mine,
        tasks: all,
        byWeight: true,
      },
    };
  if (all === 0) return {};
  return { served: { share: canaryShare(all - mine, mine), newTasks: mine, tasks: all } };
}

export function formatStatus(services: ServiceStatus[]): string {
  if (services.length === 0) return 'no targets in the config\n';
  const rows = services.map((s) => [
    s.service,
    s.exists ? (s.revision ?? '?') : 'missing',
    s.image ?? '',
    count(s.runningCount, s.desiredCount, s.pendingCount),
    s.canary && (s.canary.desiredCount > 0 || s.canary.runningCount > 0)
      ? count(s.canary.runningCount, s.canary.desiredCount, s.canary.pendingCount)
      : '-',
    s.rollout
      ? `${s.rollout.image} ${describeRollout(s.rollout)}`
      : s.deployment === 'IN_PROGRESS'
        ? 'idle (ECS deployment in progress)'
        : 'idle',
    s.alarmsInAlarm.length ? s.alarmsInAlarm.map((a) => a.name).join(', ') : '-',
  ]);
  const text = table(['SERVICE', 'REVISION', 'IMAGE', 'TASKS', 'CANARY', 'ROLLOUT', 'ALARMS IN ALARM'], rows);
  const notes: string[] = [];
  for (const s of services) {
    if (!s.exists) notes.push(`${s.service}: the ECS service does not exist (or is INACTIVE)`);
    const runs = runsText(s.tasks);
    if (runs) notes.push(`${s.service} runs ${runs}`);
    if (s.rollout?.manual)
      notes.push(
        `${s.service}: rolling back by hand from ${s.rollout.manual.from} to ${s.rollout.manual.to}; ${s.rollout.manual.to} runs ${s.tasks
          .filter((t) => t.revision === s.rollout!.manual!.to)
          .reduce((n, t) => n + t.runningCount, 0)} of ${s.desiredCount} tasks`,
      );
    else if (s.rollout?.phase === 'rolling_back' && s.served)
      notes.push(
        `${s.service}: rolling back to ${s.rollout.backTo ?? s.rollout.from}; ${s.rollout.revision ?? 'the new revision'} still serves ${s.served.share}% (${s.served.newTasks} of ${s.served.tasks} running tasks)`,
      );
    else if (s.rollout && s.served)
      notes.push(
        `${s.service}: step ${s.rollout.step} asks for ${s.rollout.percent}% of traffic; ${s.rollout.revision ?? 'the new revision'} serves ${s.served.share}% ${s.served.byWeight ? `by listener weight (${s.served.newTasks} of ${s.served.tasks} running tasks on it)` : `(${s.served.newTasks} of ${s.served.tasks} running tasks)`}`,
      );
    if (!s.rollout && s.last) notes.push(`${s.service}: ${lastText(s.last)}`);
    if (s.frozen) {
      notes.push(
        `${s.service}: ${s.frozen.image} waits for the freeze since ${s.frozen.since}; it goes at ${s.frozen.until} (approve to deploy it now, reject to drop it)`,
      );
    }
    for (const a of s.alarmsInAlarm) notes.push(`${s.service}: gate alarm ${a.name} in ALARM: ${a.reason}`);
  }
  return notes.length ? `${text}\n${notes.join('\n')}\n` : text;
}
