/**
 * A new task-definition revision for a pushed image: a clone of the service's current revision
 * with only the target container's image replaced (by digest), read-only fields stripped, tags
 * copied, and the digest recorded in a tag so a retried or duplicated push registers nothing twice.
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
    (t) => t.key && !t.key.startsWith('aws:') && t.key !== DIGEST_TAG && t.key !== IMAGE_TAG,
  );
  const tags: Tag[] = [
    ...kept,
    { key: DIGEST_TAG, value: image.digest },
    { key: IMAGE_TAG, value: `${image.repository}:${image.tag}`.slice(0, 256) },
  ];
  if (tags.length > 50) {
    throw new RevisionError(
      `task definition ${current.family} has ${kept.length} tags; with the pipeline's 2 that passes the limit of 50`,
    );
  }
  return { ...(copy as unknown as RegisterTaskDefinitionCommandInput), tags };
}

/** family:revision from an ARN (or the input when it already is one). */
export function shortRevision(arnOrName: string): string {
  const i = arnOrName.lastIndexOf('/');
  return i >= 0 ? arnOrName.slice(i + 1) : arnOrName;
}

export function familyOf(arnOrName: string): string {
  return shortRevision(arnOrName).replace(/:\d+$/, '');
}
