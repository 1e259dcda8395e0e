import { describe, expect, it } from 'vitest';
import { type Config, sweepMsOf } from '../lib/config.ts';
import { parseConfig } from '../lib/config-file.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { sweepReconciles } from '../lib/sweep.ts';

const at = (hhmm: string) => Date.parse(`2026-01-01T${hhmm}:00Z`);
const rollout = {} as ServiceRecord['rollout'];
const image = { repository: 'web', tag: 'v2', digest: 'sha256:2', uri: 'x' };

// The rows of lib/sweep.ts's worked examples.
describe('sweepReconciles', () => {
  it.each<[string, Partial<ServiceRecord>, string, boolean]>([
    ['a rollout in flight', { rollout }, '10:01', true],
    ['a push queued behind a rollout', { queuedPush: { image, forced: false } }, '10:01', true],
    [
      'a scaling alarm still in ALARM',
      { scaling: { firing: { 'web-cpu-high': at('09:50') } } as unknown as ServiceRecord['scaling'] },
      '10:01',
      true,
    ],
    [
      'a frozen push, its window over',
      { frozenPush: { image, until: at('10:00') } as ServiceRecord['frozenPush'] },
      '10:01',
      true,
    ],
    [
      'a frozen push, its window not over',
      { frozenPush: { image, until: at('10:00') } as ServiceRecord['frozenPush'] },
      '09:59',
      false,
    ],
    ['a wake-up overdue (its message lost)', { wake: { at: at('10:00'), why: 'bake ends' } }, '10:01', true],
    ['a wake-up still to come', { wake: { at: at('10:00'), why: 'bake ends' } }, '09:59', false],
    [
      'a rollout, failing and backed off',
      { rollout, failing: { count: 3, since: at('09:40'), nextAt: at('10:05'), message: 'throttled' } },
      '10:01',
      false,
    ],
    ['a lease never let go (its holder died)', { lease: { owner: 'a', until: at('10:00') } }, '10:01', true],
    ['a lease still held', { lease: { owner: 'a', until: at('10:00') } }, '09:59', false],
    ['nothing outstanding (an outbox waiting, say)', { outbox: [] }, '10:01', false],
  ])('%s -> %s', (_what, record, now, expected) => {
    expect(sweepReconciles(record as ServiceRecord, at(now))).toBe(expected);
  });
});

// The rows of lib/config.ts sweepMsOf's worked examples.
describe('sweepMsOf: the sweep period a config gets', () => {
  const plain = parseConfig('targets:\n  - { cluster: prod, service: web, repository: web }\n');
  const scaling = parseConfig(`targets:
  - cluster: prod
    service: web
    repository: web
    scaling: { min: 2, max: 10, rules: [{ alarm: web-cpu-high, adjust: "+2" }] }
`);
  it.each<[string, Pick<Config, 'sweepMs' | 'targets'>, number]>([
    ['sweep: 10m, a target scales', { ...scaling, sweepMs: 10 * 60_000 }, 10 * 60_000],
    ['no sweep, no target scales', plain, 30 * 60_000],
    ['no sweep, a target has scaling:', scaling, 5 * 60_000],
  ])('%s', (_name, config, ms) => {
    expect(sweepMsOf(config)).toBe(ms);
  });
});
