/**
 * `autopilot deploy CLUSTER/SERVICE --image REPOSITORY:TAG`: rolls an image out by hand, the same
 * way as a push: the tag is resolved to its digest in ECR, and the pipeline starts a rollout of
 * that digest with the target's strategy and steps. A deploy by hand is not held back by the tag
 * policy, nor by an earlier rollback of the digest: the person vouches for it.
 *
 *   $ autopilot deploy prod/web --image web:v2
 *   prod/web: rolling out web:v2 (sha256:920b73319a8a) from web:1, step 1/3 (10%), starting tasks
 *
 * `--dry-run` changes nothing: it shows the revision that would be registered, as a diff of the
 * task definition it starts from, and the steps that would run.
 */
import { DescribeImagesCommand, type ImageIdentifier } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { TargetConfig } from '../config.ts';
import { formatDuration } from '../duration.ts';
import { Pipeline } from '../pipeline.ts';
import type { ImageRef, ServiceRecord } from '../record.ts';
import { cloneForImage, familyOf, READ_ONLY_FIELDS, shortRevision } from '../revision.ts';
import {
  CommandFailed,
  type Deps,
  describeRollout,
  imageLabel,
  keyOf,
  outcomeText,
  parseImageRef,
  printJson,
  rolloutView,
  targetOf,
  tellOutcome,
} from './common.ts';

export interface DeployOptions {
  service: string;
  /** `repository:tag` or `repository@sha256:…` */
  image: string;
  json?: boolean;
  /** Show the revision and the steps, change nothing. */
  dryRun?: boolean;
}

/**
 * The pipeline a command runs through: the Lambdas' own, with the command's clock and Slack, and the
 * stack's lifecycle hook when the shell has it (AUTOPILOT_LIFECYCLE_HOOK_ARN and _ROLE_ARN, the
 * values the stack's functions have: `aws lambda get-function-configuration --function-name
 * ecs-autopilot-<stage>-tick`). Without it a deploy by hand of an ecs-* target is refused, with a
 * message naming the two variables, before anything is registered. No wake queue here: the store
 * (lib/commands/env.ts) schedules the record's wake-up itself; and no missed-push lookups: the
 * sweep does those.
 */
export function pipelineFor(deps: Deps): Pipeline {
  return new Pipeline({
    clients: deps.clients,
    store: deps.store,
    config: deps.config,
    now: deps.now,
    ...(deps.slack ? { slack: deps.slack } : {}),
    ...(deps.lifecycleHook && { lifecycleHook: deps.lifecycleHook }),
    ...(deps.onAction && { onAction: deps.onAction }),
  });
}

export async function deploy(options: DeployOptions, deps: Deps): Promise<number> {
  const target = targetOf(options.service, deps);
  const image = await resolveImage(options.image, deps, target);
  const before = await deps.store.get(target.cluster, target.service);
  if (options.dryRun) return dryRun(target, image, before, deps, options.json);
  const after = await pipelineFor(deps).command(target.cluster, target.service, { name: 'deploy', image });
  const result = deployResult(before, after, image, deps.now());
  return tellOutcome(
    deps,
    target,
    result,
    options.json ? { image: imageLabel(image), digest: image.digest, uri: image.uri, ...result } : undefined,
    'deploy',
  );
}

function deployResult(before: ServiceRecord, after: ServiceRecord, image: ImageRef, now: number) {
  const label = `${imageLabel(image)} (${image.digest.slice(0, 19)})`;
  const rollout = after.rollout;
  if (rollout && !rollout.rollingBack && rollout.image.digest === image.digest) {
    const view = rolloutView(rollout, now);
    const already = before.rollout?.id === rollout.id;
    return {
      ok: true,
      result: already ? 'in_progress' : 'started',
      rollout: view,
      text: `${already ? 'already rolling out' : 'rolling out'} ${label} from ${shortRevision(rollout.fromTaskDefinition)}, ${describeRollout(view)}${!already && before.badDigests[image.digest] ? ` (it was rolled back earlier: ${before.badDigests[image.digest]!.reason}; trying it again)` : ''}`,
    };
  }
  if (!rollout && after.lastGood?.image?.digest === image.digest) {
    return { ok: true, result: 'already_deployed', text: `${label} is already deployed` };
  }
  const ended = after.history.slice(before.history.length).find((h) => h.image.digest === image.digest);
  if (ended) {
    return {
      ok: ended.outcome === 'succeeded',
      result: ended.outcome,
      reason: ended.reason,
      text: `${label} ${outcomeText(ended.outcome)}: ${ended.reason}`,
    };
  }
  const frozen = after.frozenPush;
  if (frozen?.image.digest === image.digest) {
    return {
      ok: true,
      result: 'frozen',
      text: `${label} waits for the freeze; it goes at ${new Date(frozen.until).toISOString()} (approve to deploy it now)`,
    };
  }
  return { ok: false, result: 'not_started', text: `the rollout of ${label} did not start` };
}

/** `web:v2` -> the digest ECR holds for it, and the URI to deploy by digest. */
export async function resolveImage(ref: string, deps: Deps, target?: TargetConfig): Promise<ImageRef> {
  const parsed = parseImageRef(ref);
  if (target && parsed.repository !== target.repository) {
    throw new CommandFailed(
      `${keyOf(target)} is fed by the ECR repository ${target.repository}, not ${parsed.repository}`,
    );
  }
  const imageId: ImageIdentifier = parsed.digest ? { imageDigest: parsed.digest } : { imageTag: parsed.tag };
  let detail: Awaited<ReturnType<typeof describe>>;
  try {
    detail = await describe(deps, parsed.repository, imageId);
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') {
      throw new CommandFailed(
        name === 'ImageNotFoundException'
          ? `${ref} is not in the ECR repository ${parsed.repository} (${deps.where})${deps.where.startsWith('the local AWS') && parsed.tag ? `: push it with \`npx autopilot local push ${ref}\`` : ': push it first'}`
          : `there is no ECR repository ${parsed.repository} (${deps.where})`,
      );
    }
    throw e;
  }
  if (!detail?.imageDigest || !detail.registryId) throw new CommandFailed(`ECR did not describe ${ref}`);
  const region = await deps.clients.ecr.config.region();
  const tag = parsed.tag ?? detail.imageTags?.[0] ?? '';
  return {
    repository: parsed.repository,
    tag,
    digest: detail.imageDigest,
    uri: `${detail.registryId}.dkr.ecr.${region}.amazonaws.com/${parsed.repository}@${detail.imageDigest}`,
  };
}

async function describe(deps: Deps, repositoryName: string, imageId: ImageIdentifier) {
  const out = await deps.clients.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [imageId] }));
  return out.imageDetails?.[0];
}

/** `deploy --dry-run`: what the deploy would register and run, read-only. */
async function dryRun(
  target: TargetConfig,
  image: ImageRef,
  record: ServiceRecord,
  deps: Deps,
  json?: boolean,
): Promise<number> {
  let from = record.lastGood?.taskDefinition;
  if (!from) {
    const out = await deps.clients.ecs.send(
      new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }),
    );
    from = out.services?.find((s) => s.status !== 'INACTIVE')?.taskDefinition;
  }
  if (!from) throw new CommandFailed(`${keyOf(target)}: the ECS service was not found (${deps.where})`);
  const current = await deps.clients.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: from, include: ['TAGS'] }),
  );
  if (!current.taskDefinition) throw new CommandFailed(`task definition ${from} was not found`);
  const next = cloneForImage(current.taskDefinition, current.tags, target.container, image);
  const base = { ...current.taskDefinition, tags: current.tags ?? [] } as Record<string, unknown>;
  for (const f of READ_ONLY_FIELDS) delete base[f];
  const changes = diff(base, next as unknown as Record<string, unknown>);
  const rollout = record.rollout && !record.rollout.rollingBack ? record.rollout : undefined;
  const label = `${imageLabel(image)} (${image.digest.slice(0, 19)})`;
  const would =
    rollout?.image.digest === image.digest
      ? `do nothing: ${label} is already rolling out`
      : !rollout && record.lastGood?.image?.digest === image.digest
        ? `do nothing: ${label} is already deployed`
        : `roll out ${label} from ${shortRevision(from)}${rollout ? `, superseding ${imageLabel(rollout.image)}` : ''}${record.badDigests[image.digest] ? ` (it was rolled back earlier: ${record.badDigests[image.digest]!.reason}; a deploy by hand tries it again)` : ''}`;
  const steps = target.steps.map((s) => ({ percent: s.percent, bakeMs: s.bakeMs }));
  const rollsBack = `${target.failedTasks} failed task${target.failedTasks === 1 ? '' : 's'}, ${formatDuration(target.stepDeadlineMs)} per step`;
  if (json) {
    printJson(deps.io, {
      ok: true,
      dryRun: true,
      service: keyOf(target),
      image: imageLabel(image),
      digest: image.digest,
      uri: image.uri,
      would,
      from: shortRevision(from),
      family: familyOf(from),
      changes,
      strategy: target.strategy,
      steps,
      rollsBackAfter: { failedTasks: target.failedTasks, stepDeadlineMs: target.stepDeadlineMs },
      config: { file: deps.configFile, source: deps.configSource ?? 'the default' },
    });
    return 0;
  }
  const lines = [
    // First: a dry run is read to check a config, so it says which one it read.
    `config: ${deps.configFile} (${deps.configSource ?? 'the default'})`,
    `${keyOf(target)}: dry run, nothing changed: would ${would}`,
    `new revision of ${familyOf(from)}, from ${shortRevision(from)}:`,
    ...changes.map((c) => `  ${c.path}: ${c.before ?? '(none)'} -> ${c.after ?? '(none)'}`),
    `steps (${target.strategy}): ${steps.map((s) => `${s.percent}% for ${formatDuration(s.bakeMs)}`).join(', ')}`,
    `rolls back after ${rollsBack}`,
  ];
  deps.io.out(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * What differs between two task definitions, path by path (containers by name, tags by key).
 *
 *   diff({ containerDefinitions: [{ name: 'web', image: 'a' }] },
 *        { containerDefinitions: [{ name: 'web', image: 'b' }] })
 *     = [{ path: 'containerDefinitions[web].image', before: '"a"', after: '"b"' }]
 */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { path: string; before?: string; after?: string }[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: { path: string; before?: string; after?: string }[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(path) !== b.get(path)) {
      out.push({
        path,
        ...(a.has(path) ? { before: a.get(path) } : {}),
        ...(b.has(path) ? { after: b.get(path) } : {}),
      });
    }
  }
  return out;
}

function flatten(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const key =
        item && typeof item === 'object' && 'name' in item
          ? (item as { name: string }).name
          : item && typeof item === 'object' && 'key' in item
            ? (item as { key: string }).key
            : String(i);
      if (item && typeof item === 'object' && 'key' in item && 'value' in item && !('name' in item)) {
        into.set(`${path}[${key}]`, JSON.stringify((item as { value: unknown }).value));
      } else flatten(item, `${path}[${key}]`, into);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) flatten(v, path ? `${path}.${k}` : k, into);
    }
  } else into.set(path, JSON.stringify(value));
  return into;
}
