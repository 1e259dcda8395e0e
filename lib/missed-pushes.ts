/**
 * ECR sends push events "on a best effort basis" (ECR User Guide, Amazon ECR events and
 * EventBridge): one can be lost. The sweep looks in each target's repository now and then
 * (`missedPushCheck`, default 5m, at the sweeps) for images pushed since the last look that the
 * record has never seen, and hands them to the pipeline as pushes. One DescribeImages per
 * repository per check; the records are read only when the repository holds an image newer than
 * the last look's newest (its mark, lib/store.ts), so an idle fleet costs that one call.
 */
import { DescribeImagesCommand, type ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';
import type { Clients } from './aws.ts';
import type { TargetConfig } from './config.ts';
import { log } from './log.ts';
import type { ImageRef, ServiceRecord } from './record.ts';

/**
 * Whether the record already knows this digest: rolling out, waiting for a freeze to end, deployed,
 * rolled back, or in its history. (A push waiting for a freeze, found again by the sweep, was
 * decided twice: `ignored` in history at the find and again when the freeze ended.)
 */
export function knows(record: ServiceRecord, digest: string): boolean {
  return (
    record.rollout?.image.digest === digest ||
    record.frozenPush?.image.digest === digest ||
    record.lastGood?.image?.digest === digest ||
    record.badDigests[digest] !== undefined ||
    record.history.some((h) => h.image.digest === digest)
  );
}

/**
 * Targets whose check is due: never checked, or checked longer ago than their interval, by this
 * container (`seen`) or, for a new container, as the record says.
 */
export function dueForCheck(
  targets: TargetConfig[],
  records: Map<string, ServiceRecord>,
  now: number,
  seen: Map<string, number> = new Map(),
  marks: Map<string, { at: number }> = new Map(),
): TargetConfig[] {
  return targets.filter((t) => {
    if (t.missedPushCheckMs <= 0) return false;
    const key = `${t.cluster}/${t.service}`;
    const last = seen.get(key) ?? records.get(key)?.pushCheck?.at ?? marks.get(t.repository)?.at;
    return last === undefined || now - last >= t.missedPushCheckMs;
  });
}

/**
 * How long an image is left to its own push event: EventBridge delivers it in well under a second
 * (p99 387 ms, local/core/latency.ts) and its invocation registers the revision within a second or
 * two; a sweep that took the image as missed meanwhile would register a second revision for the
 * same digest beside it (a registration goes before its commit, lib/lease.ts actsBeforeCommit).
 * Shorter than the margin the look's mark keeps behind it (lib/pipeline.ts PUSH_CHECK_MARGIN_MS,
 * a minute), so the next look still takes the image if its event was lost.
 */
export const PUSH_EVENT_GRACE_MS = 30_000;

/**
 * The images of `repository` pushed at or after `since`, and no later than `until` (the look's time
 * less PUSH_EVENT_GRACE_MS: a younger image is its event's), that `record` never saw, oldest first,
 * one entry per tag (the policy decides which tag, if any, deploys). `since` is inclusive: an image
 * pushed in the very millisecond of the deploy (or of the last look) is news unless the record knows
 * it, and a known one is skipped whatever its time.
 *
 *   since 10:00; images v3 (09:55), v4 (10:02, seen), v5 (10:04)  ->  [v5]
 *   since 10:00; images v2 (10:00:00.000, never seen)             ->  [v2]
 *   since 10:00; images v2 (10:00:00.000, seen)                   ->  []
 *   since 10:00, until 10:03; images v5 (10:04, never seen)       ->  [] (its event is on its way)
 */
export function missedImages(
  images: ImageDetail[],
  record: ServiceRecord,
  since: number,
  until = Number.POSITIVE_INFINITY,
): { tag: string; digest: string; pushedAt: number }[] {
  return images
    .filter(
      (i) =>
        i.imageDigest &&
        i.imagePushedAt &&
        i.imagePushedAt.getTime() >= since &&
        i.imagePushedAt.getTime() <= until &&
        !knows(record, i.imageDigest),
    )
    .sort((a, b) => a.imagePushedAt!.getTime() - b.imagePushedAt!.getTime())
    .flatMap((i) =>
      (i.imageTags ?? []).map((tag) => ({
        tag,
        digest: i.imageDigest!,
        pushedAt: i.imagePushedAt!.getTime(),
      })),
    );
}

/**
 * When the newest image of a listing was pushed (no later than `until`: what the look took in): a
 * look that finds nothing newer than the last look's newest has nothing any record could have missed.
 *   [v1 pushed 10:00, v2 pushed 10:05]              -> 10:05
 *   []                                              -> 0
 *   [v1 pushed 10:00, v2 pushed 10:05], until 10:03 -> 10:00 (the next look takes v2 in)
 */
export function newestPush(images: ImageDetail[], until = Number.POSITIVE_INFINITY): number {
  return images.reduce((n, i) => {
    const at = i.imagePushedAt?.getTime() ?? 0;
    return at <= until ? Math.max(n, at) : n;
  }, 0);
}

/** Every tagged image of a repository (paginated), and the registry it lives in. */
export async function repositoryImages(
  clients: Clients & { ecr: ECRClient },
  repository: string,
): Promise<{ registry?: string; images: ImageDetail[] }> {
  const images: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    const out = await clients.ecr.send(
      new DescribeImagesCommand({
        repositoryName: repository,
        filter: { tagStatus: 'TAGGED' },
        maxResults: 1000,
        nextToken,
      }),
    );
    images.push(...(out.imageDetails ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  const registryId = images[0]?.registryId;
  return { images, ...(registryId ? { registry: registryId } : {}) };
}

/**
 * When ECR says each image was pushed: orders two pushes of the same second (lib/rollout). Given to
 * the pipeline only by the functions a push reaches (ecrPush, tick), with their ECR client.
 */
export async function pushTimes(
  clients: Clients & { ecr: ECRClient },
  images: ImageRef[],
): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  for (const repository of new Set(images.map((i) => i.repository))) {
    const digests = images.filter((i) => i.repository === repository).map((i) => i.digest);
    try {
      const out = await clients.ecr.send(
        new DescribeImagesCommand({
          repositoryName: repository,
          imageIds: digests.map((imageDigest) => ({ imageDigest })),
        }),
      );
      for (const detail of out.imageDetails ?? []) {
        const at = detail.imagePushedAt?.getTime();
        if (detail.imageDigest && at !== undefined) times[detail.imageDigest] = at;
      }
    } catch (e) {
      // An image deleted since (ImageNotFoundException) or a denied call: the tie stays a tie.
      log.warn('push.times.failed', { repository, error: e as Error });
    }
  }
  return times;
}
