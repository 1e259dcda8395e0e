/**
 * A new task-definition revision for a pushed image: a clone of the service's current revision
 * with only the target container's image replaced (by digest), read-only fields stripped, tags
 * copied, and the digest recorded in a tag so a retried or duplicated push registers nothing twice;
 * the revision it was cloned from is recorded too, so that a service finds only a clone of its own
 * revision (two services of one family may run different revisions: lib/observe.ts
 * findRevisionByDigest).
 */
import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { PermanentError } from './errors.ts';
import type { ImageRef } from './image.ts';

export const DIGEST_TAG = 'ecs-autopilot:image-digest';
export const IMAGE_TAG = 'ecs-autopilot:image';
/** family:revision of the revision a clone was made from. */
export const CLONED_FROM_TAG = 'ecs-autopilot:cloned-from';
const PIPELINE_TAGS: readonly string[] = [DIGEST_TAG, IMAGE_TAG, CLONED_FROM_TAG];

/**
 * Returned by DescribeTaskDefinition but not accepted by RegisterTaskDefinition (the set difference
 * of the two model shapes; aws-facts.md §2, and aws-actions/amazon-ecs-deploy-task-definition).
 */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

export class RevisionError extends PermanentError {
  override name = 'RevisionError';
}

/** Which container's image changes: the named one, or the only one. */
export function targetContainer(
  containers: ContainerDefinition[],
  name: string | undefined,
  family: string,
): ContainerDefinition {
  if (name) {
    const found = containers.find((c) => c.name === name);
    if (!found) {
      throw new RevisionError(
        `task definition ${family} has no container "${name}" (it has ${containers.map((c) => c.name).join(', ')})`,
      );
    }
    return found;
  }
  if (containers.length !== 1) {
    throw new RevisionError(
      `task definition ${family} has ${containers.length} containers (${containers.map((c) => c.name).join(', ')}); set "container" on the target to say which one the repository feeds`,
    );
  }
  return containers[0]!;
}

export function cloneForImage(
  current: TaskDefinition,
  currentTags: Tag[] | undefined,
  containerName: string | undefined,
  image: ImageRef,
): RegisterTaskDefinitionCommandInput {
  const copy = structuredClone(current) as Record<string, unknown>;
  for (const f of READ_ONLY_FIELDS) delete copy[f];
  const containers = (copy.containerDefinitions as ContainerDefinition[]) ?? [];
  const container = targetContainer(containers, containerName, current.family ?? '?');
  container.image = image.uri;
  // `aws:` tags are reserved and cannot be set; the pipeline's own tags are rewritten.
  const kept = (currentTags ?? []).filter(
    (t) => t.key && !t.key.startsWith('aws:') && !PIPELINE_TAGS.includes(t.key),
  );
  const tags: Tag[] = [
    ...kept,
    { key: DIGEST_TAG, value: image.digest },
    { key: IMAGE_TAG, value: `${image.repository}:${image.tag}`.slice(0, 256) },
    {
      key: CLONED_FROM_TAG,
      value: shortRevision(current.taskDefinitionArn ?? `${current.family}:${current.revision}`),
    },
  ];
  if (tags.length > 50) {
    throw new RevisionError(
      `task definition ${current.family} has ${kept.length} tags; with the pipeline's ${PIPELINE_TAGS.length} that passes the limit of 50`,
    );
  }
  return { ...(copy as unknown as RegisterTaskDefinitionCommandInput), tags };
}

/**
 * Whether `revision`'s container the target feeds (the named one, or the only one) runs `image`: by
 * digest (`…@sha256:…`) or by the very URI.
 */
export function runsImage(
  revision: TaskDefinition,
  containerName: string | undefined,
  image: Pick<ImageRef, 'digest' | 'uri'>,
): boolean {
  const containers = revision.containerDefinitions ?? [];
  const container = containerName ? containers.find((c) => c.name === containerName) : containers[0];
  if (!container || (!containerName && containers.length !== 1)) return false;
  return container.image === image.uri || container.image?.endsWith(`@${image.digest}`) === true;
}

/**
 * Whether `revision` is what cloning `from` gives, its target container's image apart: the same
 * definition (read-only fields apart, as both were described), so running it is running a clone of
 * `from`. Tags are not part of it.
 */
export function sameApartFromImage(
  revision: TaskDefinition,
  from: TaskDefinition,
  containerName: string | undefined,
): boolean {
  const a = definitionShape(revision, containerName);
  return a !== undefined && a === definitionShape(from, containerName);
}

/**
 * A task definition as RegisterTaskDefinition takes it, to compare two: read-only fields and tags
 * left out, object keys in order (two descriptions compare whatever order their fields came in);
 * with `imageOf`, that container's image left out too (undefined when there is no such container,
 * or no name and more than one).
 */
export function definitionShape(td: object, imageOf?: string | null): string | undefined {
  const copy = structuredClone(td) as Record<string, unknown>;
  for (const f of READ_ONLY_FIELDS) delete copy[f];
  delete copy.tags;
  if (imageOf !== null) {
    const containers = (copy.containerDefinitions as ContainerDefinition[] | undefined) ?? [];
    const container = imageOf ? containers.find((c) => c.name === imageOf) : containers[0];
    if (!container || (!imageOf && containers.length !== 1)) return undefined;
    delete container.image;
  }
  return JSON.stringify(copy, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The revision number of an ARN or family:revision (web:12 -> 12), NaN for a family name alone. */
export function revisionNumber(arnOrName: string): number {
  return Number(/:(\d+)$/.exec(shortRevision(arnOrName))?.[1] ?? Number.NaN);
}

/** family:revision from an ARN (or the input when it already is one). */
export function shortRevision(arnOrName: string): string {
  const i = arnOrName.lastIndexOf('/');
  return i >= 0 ? arnOrName.slice(i + 1) : arnOrName;
}

export function familyOf(arnOrName: string): string {
  return shortRevision(arnOrName).replace(/:\d+$/, '');
}
