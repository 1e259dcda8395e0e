/**
 * A push that runs low on time hands itself on: the services it did not start go, with the image,
 * as one or more messages to the wake queue (lib/waker.ts), whose function rolls them out as pushes
 * within seconds, and hands on its own rest the same way; a service whose reconcile failed with an
 * error retrying may fix is handed on too, a little later. Nothing waits for the sweep's missed-push
 * check, and nothing is lost: a send that fails fails the invocation, and Lambda retries the push
 * (or the queue delivers the message again).
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
  /** How many times these services were handed on after failing (absent: never). */
  tries?: number;
}

/** A hand-on to send, and how long the queue holds it first (SendMessage DelaySeconds). */
export interface HandOnSend {
  handOn: HandOn;
  delaySeconds: number;
}

/**
 * Services per message. SQS takes 256 KiB a message (SQS Developer Guide, "Amazon SQS message
 * quotas"); a key is at most 511 characters (ECS names clusters and services in up to 255 each), so
 * 100 keys and the image stay far below it whatever the names.
 */
export const HAND_ON_MAX_SERVICES = 100;

/**
 * Waits before a failed service is tried again, by the try it will be: a failing target's back-off
 * (lib/lease.ts BACKOFF_MS, 1m to 15m; SQS delays up to 15 minutes). After the last, the push is left
 * to the sweep's missed-push check: an error that outlasts half an hour needs a person (the target's
 * failures are told), not a message every quarter of an hour for ever.
 */
export const HAND_ON_RETRY_S = [60, 120, 300, 600, 900] as const;

/**
 * What a push sends on once its invocation has done what it could, in the order it would have
 * reached the services, at most `max` services a message:
 *   the services it did not start (out of time)      at once, their tries unchanged;
 *   the services that failed with an error retrying   after HAND_ON_RETRY_S of their next try;
 *   may fix (throttled past the SDK's retries, a race lost again and again), while tries remain.
 *
 *   deferred [], failed [], tries 0              -> []  (every service was reached)
 *   deferred [a, b], failed [], tries 0          -> [{ [a, b], tries 0, delay 0 }]
 *   deferred [a], failed [c], tries 0            -> [{ [a], tries 0, delay 0 }, { [c], tries 1, delay 60 }]
 *   deferred [], failed [c], tries 2             -> [{ [c], tries 3, delay 300 }]
 *   deferred [a], failed [c], tries 5 (the last) -> [{ [a], tries 5, delay 0 }]  (c: the sweep's)
 *   deferred 250 services, max 100               -> 3 messages at once: 1-100, 101-200, 201-250
 */
export function handOnMessages(
  image: ImageRef,
  deferred: string[],
  failed: string[] = [],
  tries = 0,
  max: number = HAND_ON_MAX_SERVICES,
): HandOnSend[] {
  const out: HandOnSend[] = [];
  const add = (services: string[], n: number, delaySeconds: number) => {
    for (let i = 0; i < services.length; i += max)
      out.push({
        handOn: { image, services: services.slice(i, i + max), ...(n > 0 && { tries: n }) },
        delaySeconds,
      });
  };
  add(deferred, tries, 0);
  const wait = HAND_ON_RETRY_S[tries];
  if (wait !== undefined) add(failed, tries + 1, wait);
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
  const tries = h.tries;
  if (tries !== undefined && (!Number.isInteger(tries) || (tries as number) < 0))
    return 'a hand-on whose tries is not a whole number';
  return {
    image: {
      repository: image.repository,
      tag: image.tag,
      digest: image.digest,
      uri: image.uri,
      ...(image.pushedAt !== undefined && { pushedAt: image.pushedAt as number }),
    },
    services: services as string[],
    ...(tries !== undefined && tries !== 0 && { tries: tries as number }),
  };
}
