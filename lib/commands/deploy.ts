/**
 * `autopilot deploy CLUSTER/SERVICE --image REPOSITORY:TAG`: rolls an image out by hand, the same
 * way as a push: the tag is resolved to its digest in ECR, and the pipeline starts a rollout of
 * that digest with the target's strategy and steps. A deploy by hand is not held back by the tag
 * policy, nor by an earlier rollback of the digest: the person vouches for it.
 *
 *   $ autopilot deploy prod/web --image web:v2
 *   prod/web: rolling out web:v2 (sha256:920b73319a8a) from web:1, step 1/3 (10%), starting tasks
 */
import { DescribeImagesCommand, type ImageIdentifier } from '@aws-sdk/client-ecr';
import type { TargetConfig } from '../config.ts';
import { Pipeline } from '../pipeline.ts';
import type { ImageRef, ServiceRecord } from '../record.ts';
import { shortRevision } from '../revision.ts';
import {
  CommandFailed,
  type Deps,
  describeRollout,
  imageLabel,
  keyOf,
  outcomeText,
  parseImageRef,
  rolloutView,
  targetOf,
  tellOutcome,
} from './common.ts';

export interface DeployOptions {
  service: string;
  /** `repository:tag` or `repository@sha256:…` */
  image: string;
  json?: boolean;
}

/** The pipeline a command runs through: the Lambdas' own, with the command's clock. */
export function pipelineFor(deps: Deps): Pipeline {
  return new Pipeline({
    clients: deps.clients,
    store: deps.store,
    config: deps.config,
    now: deps.now,
  });
}

export async function deploy(options: DeployOptions, deps: Deps): Promise<number> {
  const target = targetOf(options.service, deps);
  const image = await resolveImage(options.image, deps, target);
  const before = await deps.store.get(target.cluster, target.service);
  const after = await pipelineFor(deps).command(target.cluster, target.service, { name: 'deploy', image });
  const result = deployResult(before, after, image, deps.now());
  return tellOutcome(
    deps,
    target,
    result,
    options.json ? { image: imageLabel(image), digest: image.digest, uri: image.uri, ...result } : undefined,
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
      text: `${already ? 'already rolling out' : 'rolling out'} ${label} from ${shortRevision(rollout.fromTaskDefinition)}, ${describeRollout(view)}`,
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
          ? `${ref} is not in the ECR repository ${parsed.repository} (${deps.where})`
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
