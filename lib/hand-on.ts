/**
 * A push that runs low on time hands itself on: the services it did not start go, with the image,
 * as one or more messages to the wake queue (lib/waker.ts), whose function rolls them out as pushes
 * within seconds, and hands on its own rest the same way. Nothing waits for the sweep's missed-push
 * check, and nothing is lost: a send that fails fails the invocation, and Lambda retries the push.
 *
 * Why the wake queue: it exists already (no new resource), SendMessage is one call for a whole
 * fleet's remainder, SQS keeps the message until an invocation has handled it (a failure comes back
 * after the visibility timeout, five times, then the dead-letter queue), and its consumer is a
 * function with its own 60 s. Delivery is at least once: a hand-on handled twice is a push heard
 * twice, which the pipeline already takes as one (lib/rollout/push.ts: "already rolling out",
 * "already deployed", an ignored push told once).
 */
import type { Config, TargetConfig } from './config.ts';
import type { ImageRef } from './image.ts';

/** What a hand-on message carries: the push's image, and the services (`cluster/service`) left to reach. */
export interface HandOn {
  image: ImageRef;
  services: string[];
}

/**
 * Services per message. SQS takes 256 KiB a message (SQS Developer Guide, "Amazon SQS message
 * quotas"); a key is at most 511 characters (ECS names clusters and services in up to 255 each), so
 * 100 keys and the image stay far below it whatever the names.
 */
export const HAND_ON_MAX_SERVICES = 100;

/**
 * The messages a push sends on for the services it did not start, in the order it would have
 * reached them.
 *   deferred []                        -> []  (every service was reached: nothing to send)
 *   deferred [prod/a, prod/b]          -> [{ image, [prod/a, prod/b] }]
 *   deferred 250 services, max 100     -> 3 messages: services 1-100, 101-200, 201-250
 */
export function handOnMessages(
  image: ImageRef,
  deferred: string[],
  max: number = HAND_ON_MAX_SERVICES,
): HandOn[] {
  const out: HandOn[] = [];
  for (let i = 0; i < deferred.length; i += max) out.push({ image, services: deferred.slice(i, i + max) });
  return out;
}

/**
 * The targets a hand-on still reaches: those it names that the config still has, fed by the image's
 * repository (the config may have changed since the push), in the message's order, each once.
 *   services [prod/a, prod/b], both targets fed by `web`, image of `web` -> [a, b]
 *   services [prod/a, prod/a]                                           -> [a]     (named twice)
 *   services [prod/gone]                                                -> []      (no longer a target)
 *   services [prod/c], c now fed by `api`, image of `web`               -> []      (not this repository's)
 */
export function handOnTargets(config: Config, handOn: HandOn): TargetConfig[] {
  const out: TargetConfig[] = [];
  for (const key of new Set(handOn.services)) {
    const target = config.targets.find(
      (t) => `${t.cluster}/${t.service}` === key && t.repository === handOn.image.repository,
    );
    if (target) out.push(target);
  }
  return out;
}

export function handOnBody(handOn: HandOn): string {
  return JSON.stringify({ handOn });
}

const isKey = (v: unknown) => typeof v === 'string' && /^[^/]+\/[^/]+$/.test(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * A queue message's body read as a hand-on: the hand-on, why it is not a valid one, or undefined
 * when the body is not a hand-on at all (a wake-up, lib/wake.ts).
 *   '{"handOn":{"image":{…},"services":["prod/web"]}}' -> { image, services: ['prod/web'] }
 *   '{"handOn":{"image":{…},"services":[]}}'           -> 'a hand-on without services'
 *   '{"service":"prod/web","at":1767225600000}'        -> undefined
 */
export function parseHandOnBody(body: unknown): HandOn | string | undefined {
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('handOn' in parsed)) return undefined;
  const h = (parsed as { handOn: unknown }).handOn as Record<string, unknown> | null;
  if (typeof h !== 'object' || h === null) return 'a hand-on that is not a JSON object';
  const image = h.image as Record<string, unknown> | null;
  if (
    typeof image !== 'object' ||
    image === null ||
    !isText(image.repository) ||
    !isText(image.tag) ||
    !isText(image.digest) ||
    !isText(image.uri) ||
    (image.pushedAt !== undefined && (typeof image.pushedAt !== 'number' || !Number.isFinite(image.pushedAt)))
  )
    return 'a hand-on without its image (repository, tag, digest, uri)';
  const services = h.services;
  if (!Array.isArray(services) || services.length === 0) return 'a hand-on without services';
  if (!services.every(isKey)) return 'a hand-on with a service that is not cluster/service';
  return {
    image: {
      repository: image.repository,
      tag: image.tag,
      digest: image.digest,
      uri: image.uri,
      ...(image.pushedAt !== undefined && { pushedAt: image.pushedAt as number }),
    },
    services: services as string[],
  };
}
