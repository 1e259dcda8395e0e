/**
 * The hand-on rule (lib/hand-on.ts): what a push that ran low on time, or failed for some services,
 * sends on, which targets a hand-on still reaches, and its message read back.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../lib/config.ts';
import {
  HAND_ON_RETRY_S,
  type HandOn,
  handOnBody,
  handOnMessages,
  handOnTargets,
  parseHandOnBody,
} from '../lib/hand-on.ts';
import type { ImageRef } from '../lib/image.ts';
import { parseTrigger } from '../lib/triggers.ts';

const image: ImageRef = {
  repository: 'web',
  tag: 'v2',
  digest: `sha256:${'2'.repeat(64)}`,
  uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${'2'.repeat(64)}`,
  pushedAt: Date.UTC(2026, 0, 1, 10),
};
const keys = (n: number) => Array.from({ length: n }, (_, i) => `prod/s${i + 1}`);

describe('handOnMessages (the worked examples)', () => {
  const shape = (sends: ReturnType<typeof handOnMessages>) =>
    sends.map((s) => ({ services: s.handOn.services, tries: s.handOn.tries ?? 0, delay: s.delaySeconds }));
  it.each([
    { name: 'every service reached', deferred: [], failed: [], tries: 0, want: [] },
    {
      name: 'two not started',
      deferred: ['prod/a', 'prod/b'],
      failed: [],
      tries: 0,
      want: [{ services: ['prod/a', 'prod/b'], tries: 0, delay: 0 }],
    },
    {
      name: 'one not started, one failed',
      deferred: ['prod/a'],
      failed: ['prod/c'],
      tries: 0,
      want: [
        { services: ['prod/a'], tries: 0, delay: 0 },
        { services: ['prod/c'], tries: 1, delay: 60 },
      ],
    },
    {
      name: 'failed on its third try',
      deferred: [],
      failed: ['prod/c'],
      tries: 2,
      want: [{ services: ['prod/c'], tries: 3, delay: 300 }],
    },
    {
      name: 'failed on its last try: left to the sweep',
      deferred: ['prod/a'],
      failed: ['prod/c'],
      tries: HAND_ON_RETRY_S.length,
      want: [{ services: ['prod/a'], tries: 5, delay: 0 }],
    },
  ])('$name', ({ deferred, failed, tries, want }) => {
    expect(shape(handOnMessages(image, deferred, failed, tries))).toEqual(want);
  });

  it('250 services not started: 3 messages at once, in order, of at most 100', () => {
    const sends = handOnMessages(image, keys(250));
    expect(sends.map((s) => s.handOn.services.length)).toEqual([100, 100, 50]);
    expect(sends.flatMap((s) => s.handOn.services)).toEqual(keys(250));
    expect(sends.every((s) => s.delaySeconds === 0 && s.handOn.image === image)).toBe(true);
  });

  it('the longest names ECS allows fit in an SQS message (256 KiB)', () => {
    const long = Array.from({ length: 250 }, (_, i) => `${'c'.repeat(255)}/${String(i).padStart(255, 's')}`);
    for (const s of handOnMessages(image, long))
      expect(Buffer.byteLength(handOnBody(s.handOn))).toBeLessThan(256 * 1024);
  });
});

describe('handOnTargets (the worked examples)', () => {
  const config = validateConfig({
    targets: [
      { cluster: 'prod', service: 'a', repository: 'web' },
      { cluster: 'prod', service: 'b', repository: 'web' },
      { cluster: 'prod', service: 'c', repository: 'api' },
    ],
  });
  it.each([
    { name: 'both targets fed by the image', services: ['prod/a', 'prod/b'], want: ['a', 'b'] },
    { name: 'named twice', services: ['prod/a', 'prod/a'], want: ['a'] },
    { name: 'no longer a target', services: ['prod/gone'], want: [] },
    { name: "another repository's target", services: ['prod/c'], want: [] },
  ])('$name', ({ services, want }) => {
    expect(handOnTargets(config, { image, services }).map((t) => t.service)).toEqual(want);
  });
});

describe('parseHandOnBody (the worked examples)', () => {
  const body = (handOn: unknown) => JSON.stringify({ handOn });
  it.each([
    {
      name: 'a hand-on',
      body: body({ image, services: ['prod/web'] }),
      want: { image, services: ['prod/web'] },
    },
    {
      name: 'with its tries',
      body: body({ image, services: ['prod/web'], tries: 2 }),
      want: { image, services: ['prod/web'], tries: 2 },
    },
    { name: 'without services', body: body({ image, services: [] }), want: 'a hand-on without services' },
    {
      name: 'a service not cluster/service',
      body: body({ image, services: ['web'] }),
      want: 'a hand-on with a service that is not cluster/service',
    },
    {
      name: 'without its digest',
      body: body({ image: { ...image, digest: undefined }, services: ['prod/web'] }),
      want: 'a hand-on without its image (repository, tag, digest, uri)',
    },
    {
      name: 'tries not a whole number',
      body: body({ image, services: ['prod/web'], tries: 1.5 }),
      want: 'a hand-on whose tries is not a whole number',
    },
    { name: 'a wake-up', body: '{"service":"prod/web","at":1767225600000}', want: undefined },
    { name: 'not JSON', body: 'nope', want: undefined },
  ])('$name', ({ body, want }) => {
    expect(parseHandOnBody(body)).toEqual(want);
  });

  it('round-trips what handOnMessages sends', () => {
    for (const { handOn } of handOnMessages(image, ['prod/a'], ['prod/b'], 1))
      expect(parseHandOnBody(handOnBody(handOn))).toEqual(handOn);
  });
});

describe("the wake queue's batch (parseTrigger)", () => {
  it('keeps hand-ons apart from wake-ups, each with its message id; an unreadable hand-on is invalid', () => {
    const handOn: HandOn = { image, services: ['prod/a'] };
    const sqs = (id: string, body: string) => ({ messageId: id, eventSource: 'aws:sqs', body });
    const t = parseTrigger({
      Records: [
        sqs('m1', '{"service":"prod/web","at":1767225600000}'),
        sqs('m2', handOnBody(handOn)),
        sqs('m3', JSON.stringify({ handOn: { image, services: [] } })),
      ],
    });
    expect(t).toEqual({
      kind: 'wake',
      messages: [
        { id: 'm1', wake: { service: 'prod/web', at: 1767225600000 } },
        { id: 'm3', wake: { invalid: 'a hand-on without services' } },
      ],
      handOns: [{ id: 'm2', handOn }],
    });
  });
});
