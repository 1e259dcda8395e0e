/**
 * One push feeding a fleet larger than one invocation can reach (lib/hand-on.ts): the push invocation
 * runs low on time and hands the rest on to the wake queue, whose invocations hand on theirs, until
 * every service has registered its revision and rolled out. Every hand-on is sent twice (SQS
 * delivers at least once): nothing is registered, started or told twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config.ts';
import { setLogSink } from '../../lib/log.ts';
import type { Waker } from '../../lib/waker.ts';
import { parseImageBehaviour } from '../../local/core/images.ts';
import { attachPipeline, type LocalPipeline } from '../../local/pipeline.ts';
import { createWebCluster, createWebService } from '../../local/web-service.ts';
import { World } from '../../local/world.ts';
import { WEB_TARGET } from '../helpers/web-target.ts';

const MIN = 60_000;
const FLEET = 30;
/**
 * The functions' timeout: with 15 s kept back (lib/pipeline.ts DEFER_MARGIN_MS), an invocation has
 * about 5 s of AWS calls, a few services' worth, so the push must be handed on several times.
 */
const TIMEOUT_MS = 20_000;

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function fleet(seed: string): Promise<{ world: World; p: LocalPipeline; logs: string[] }> {
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  // The latency model on: calls take time, so invocations run out of it.
  const world = new World({ seed, latency: true });
  world.images.set('web:v1', parseImageBehaviour('healthy'));
  await world.start();
  const v1 = world.ecr.push('web', 'v1');
  await createWebCluster(world);
  const names = Array.from({ length: FLEET }, (_, i) => `web-${String(i).padStart(2, '0')}`);
  const deploymentConfiguration = {
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    deploymentCircuitBreaker: { enable: true, rollback: true },
  };
  for (const name of names)
    await createWebService(world, { name, image: v1.uri, desiredCount: 1, deploymentConfiguration });
  await world.runFor(3 * MIN);
  const config = validateConfig({
    targets: names.map((service) => ({
      ...WEB_TARGET,
      service,
      steps: [{ percent: 100, bake: '1m' }],
      // Only the hand-on reaches a service the push did not: no sweep finds the image.
      missedPushCheck: false,
    })),
  });
  const p = await attachPipeline(world, config, { slack: false, timeoutMs: TIMEOUT_MS });
  stop = async () => {
    setLogSink(previousSink);
    await p.close();
    await world.stop();
  };
  return { world, p, logs };
}

/** Every hand-on is sent twice, as SQS may deliver a message twice. */
function sendTwice(waker: Waker): void {
  const once = waker.handOn.bind(waker);
  waker.handOn = async (handOn, delaySeconds) => {
    await once(handOn, delaySeconds);
    await once(handOn, delaySeconds);
  };
}

describe('a push to more services than one invocation reaches', () => {
  // Two worlds: in 'hand-on-e' both copies of a hand-on reach a service in the same moment, and
  // registering before the commit made two revisions of one digest there (31 registrations for 30).
  it.each(['hand-on', 'hand-on-e'])(
    'is handed on until every service has rolled out, each once, duplicates and all (%s)',
    async (seed) => {
      const { world, p, logs } = await fleet(seed);
      sendTwice(p.pipeline.options.waker!);
      world.ecr.push('web', 'v2');
      await world.runFor(12 * MIN);

      const handOns = logs.filter((l) => l.includes('"push.handOn"'));
      expect(handOns.length).toBeGreaterThan(1);
      // Each was received twice, and handled both times.
      const received = logs.filter((l) => l.includes('"push.handed.on"'));
      expect(received.length).toBeGreaterThanOrEqual(2 * handOns.length);
      const records = await p.records();
      expect(records.map((r) => r.key).sort()).toHaveLength(FLEET);
      for (const r of records) {
        expect(
          r.history.map((h) => `${h.image.tag} ${h.outcome}`),
          r.key,
        ).toEqual(['v2 succeeded']);
      }
      // One revision, one start and one success per service, whatever was delivered twice.
      expect(world.apiCalls['ecs:RegisterTaskDefinition']).toBe(FLEET);
      for (const kind of ['started', 'succeeded'] as const) {
        const told = p.notices.filter((n) => n.notice.kind === kind).map((n) => n.target.service);
        expect(told.sort(), kind).toEqual(records.map((r) => r.service).sort());
      }
      expect(p.lambda.counts.timeouts).toBe(0);
    },
    60_000,
  );
});
