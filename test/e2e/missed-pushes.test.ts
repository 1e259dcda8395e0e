/**
 * ECR push events are best effort: when one is lost, the tick finds the image in the repository
 * and rolls it out anyway.
 */
import { describe, expect, it } from 'vitest';
import { knows, missedImages, newestPush } from '../../lib/missed-pushes.ts';
import { newRecord } from '../../lib/record.ts';
import { AwsError } from '../../local/core/errors.ts';
import { usePipelineWorld } from '../helpers/pipeline-world.ts';

const MIN = 60_000;
const world = usePipelineWorld();

describe('missedImages', () => {
  const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 10, m));
  const d = (n: number) => `sha256:${String(n).repeat(64)}`;
  it('lists images pushed after the mark that the record never saw, oldest first (the worked example)', () => {
    const record = newRecord('prod', 'web');
    record.history.push({
      id: 'x',
      image: { repository: 'web', tag: 'v4', digest: d(4), uri: '' },
      strategy: 'canary',
      outcome: 'ignored',
      reason: '',
      startedAt: 0,
      endedAt: 0,
      steps: [],
      failures: [],
    });
    const images = [
      { imageDigest: d(5), imageTags: ['v5'], imagePushedAt: at(4) },
      { imageDigest: d(3), imageTags: ['v3'], imagePushedAt: at(-5) },
      { imageDigest: d(4), imageTags: ['v4'], imagePushedAt: at(2) },
    ];
    expect(missedImages(images, record, at(0).getTime()).map((m) => m.tag)).toEqual(['v5']);
    expect(knows(record, d(4))).toBe(true);
    // A push waiting for a freeze to end is known: the sweep must not decide it a second time.
    expect(knows(record, d(6))).toBe(false);
    record.frozenPush = {
      id: 'f',
      image: { repository: 'web', tag: 'v6', digest: d(6), uri: '' },
      forced: false,
      since: 0,
      until: 1,
    };
    expect(knows(record, d(6))).toBe(true);
  });

  // The boundary: an image pushed in the very millisecond of `since` (the deploy, or the last look).
  it.each([
    { name: 'pushed at since, never seen', seen: false, want: ['v2'] },
    { name: 'pushed at since, seen', seen: true, want: [] },
  ])('$name', ({ seen, want }) => {
    const record = newRecord('prod', 'web');
    if (seen)
      record.lastGood = {
        taskDefinition: 'web:2',
        since: 0,
        image: { repository: 'web', tag: 'v2', digest: d(2), uri: '' },
      };
    const images = [{ imageDigest: d(2), imageTags: ['v2'], imagePushedAt: at(0) }];
    expect(missedImages(images, record, at(0).getTime()).map((m) => m.tag)).toEqual(want);
  });

  // An image younger than the look less PUSH_EVENT_GRACE_MS is its own event's: the sweep taking it
  // at once would register a second revision beside the one its event's invocation registers.
  it.each([
    { name: 'until 10:03, v5 pushed 10:04: its event is on its way', until: 3, want: [] },
    { name: 'until 10:04, v5 pushed 10:04: taken', until: 4, want: ['v5'] },
  ])('$name', ({ until, want }) => {
    const images = [{ imageDigest: d(5), imageTags: ['v5'], imagePushedAt: at(4) }];
    const record = newRecord('prod', 'web');
    expect(missedImages(images, record, at(0).getTime(), at(until).getTime()).map((m) => m.tag)).toEqual(
      want,
    );
  });

  it.each([
    { name: 'v1 10:00, v2 10:05', until: undefined, want: 5 },
    { name: 'nothing', until: undefined, want: undefined },
    { name: 'v1 10:00, v2 10:05, until 10:03', until: 3, want: 0 },
  ])('newestPush: $name', ({ name, until, want }) => {
    const images =
      name === 'nothing'
        ? []
        : [
            { imageDigest: d(1), imageTags: ['v1'], imagePushedAt: at(0) },
            { imageDigest: d(2), imageTags: ['v2'], imagePushedAt: at(5) },
          ];
    expect(newestPush(images, until === undefined ? undefined : at(until).getTime())).toBe(
      want === undefined ? 0 : at(want).getTime(),
    );
  });
});

describe('a lost push event', () => {
  it('is caught up by the tick and the image rolls out', async () => {
    const t = await world({ target: { missedPushCheck: '2m' } });
    // Let the tick take its first look (it only sets the mark).
    await t.world.runFor(3 * MIN);
    t.world.events.faults = {
      onDeliver: (d: any) => (d.event['detail-type'] === 'ECR Image Action' ? 'drop' : 'deliver'),
    };
    const pushed = t.world.ecr.push('web', 'v2');
    await t.world.runFor(25 * MIN);
    const record = (await t.records())[0]!;
    expect(t.logs.some((l) => l.includes('"push.missed"') && l.includes(pushed.digest))).toBe(true);
    expect(record.history.at(-1)).toMatchObject({
      outcome: 'succeeded',
      image: { tag: 'v2', digest: pushed.digest },
    });
    expect(t.world.apiCalls['ecs:RegisterTaskDefinition']).toBe(1);
  });

  it('with the check off, nothing happens', async () => {
    const t = await world({ target: { missedPushCheck: false } });
    t.world.events.faults = {
      onDeliver: (d: any) => (d.event['detail-type'] === 'ECR Image Action' ? 'drop' : 'deliver'),
    };
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(20 * MIN);
    expect((await t.records())[0]?.history ?? []).toEqual([]);
    expect(t.world.apiCalls['ecr:DescribeImages'] ?? 0).toBe(0);
  });
});

describe('a push handler running out of time', () => {
  const dropPushes = {
    onDeliver: (d: any) => (d.event['detail-type'] === 'ECR Image Action' ? 'drop' : 'deliver'),
  };

  it('hands the targets it could not start on to the wake queue, which rolls them out (no sweep needed)', async () => {
    const t = await world({ target: { missedPushCheck: false } });
    t.world.events.faults = dropPushes as any;
    t.world.ecr.push('web', 'v2');
    const event = t.world.eventLog.at(-1)!.event;
    const result = await t.pipeline.handleEvent(event, () => 5_000);
    expect(result).toMatchObject({ status: 'done', deferred: ['prod/web'], reason: '1 handed on' });
    expect(t.logs.some((l) => l.includes('"push.handOn"'))).toBe(true);
    await t.world.runFor(20 * MIN);
    expect((await t.records())[0]?.history.at(-1)).toMatchObject({
      outcome: 'succeeded',
      image: { tag: 'v2' },
    });
  });

  it('fails the invocation, so Lambda retries the push, when the hand-on cannot be sent', async () => {
    const t = await world({ target: { missedPushCheck: false } });
    t.world.events.faults = dropPushes as any;
    t.world.ecr.push('web', 'v2');
    const event = t.world.eventLog.at(-1)!.event;
    // SQS refuses every message for now (wake-ups too).
    const refuse = (service: string, operation: string) => {
      if (service === 'sqs' && operation === 'SendMessage')
        throw new AwsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    };
    t.world.interceptors.push(refuse);
    await expect(t.pipeline.handleEvent(event, () => 5_000)).rejects.toThrow(/handing on 1 targets failed/);
    t.world.interceptors.splice(t.world.interceptors.indexOf(refuse), 1);
    const retried = await t.pipeline.handleEvent(event);
    expect(retried.status).toBe('done');
    expect((await t.records())[0]?.rollout?.image.tag).toBe('v2');
  });
});
