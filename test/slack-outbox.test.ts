/**
 * The outbox arithmetic: order, leases, back-off, Retry-After, giving up, the bound, the pacing.
 * The examples are the ones in lib/slack/outbox.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Notice } from '../lib/notice.ts';
import type { OutboxEntry } from '../lib/outbox-entry.ts';
import {
  afterAttempt,
  backoffMs,
  bound,
  dueEntries,
  enqueue,
  firstToLease,
  followerOf,
  GIVE_UP_MS,
  LEASE_MS,
  leased,
  NEVER_SHED,
  OUTBOX_BYTES,
  OUTBOX_LIMIT,
  Pacer,
  shedLine,
} from '../lib/slack/outbox.ts';
import { classify, retryAfterMs } from '../lib/slack/send.ts';

const S = 1000;
const M = 60_000;
const error = (text: string): Notice => ({ kind: 'blocked', reason: text });
const facts = {
  id: 'r1',
  image: { repository: 'web', tag: 'v2', digest: 'sha256:aa', uri: 'x/web@sha256:aa' },
  strategy: 'canary',
  steps: [{ percent: 10, bakeMs: M }],
  stepIndex: 0,
  fromTaskDefinition: 'web:1',
  startedAt: 0,
} as Extract<Notice, { kind: 'started' }>['rollout'];
const step = (i: number, pad = ''): Notice => ({
  kind: 'step',
  rollout: { ...facts, id: `r1${pad}` },
  stepIndex: i,
  percent: 10,
  canaryTasks: 1,
  share: 10,
});
const started: Notice = { kind: 'started', rollout: facts, fromTaskDefinition: 'web:1' };
const rolledBack: Notice = {
  kind: 'rolled_back',
  rollout: facts,
  reason: 'crashed',
  failures: [],
  failureCount: 1,
  toTaskDefinition: 'web:1',
};
/** Entries as one write queues them (ids 1.0, 1.1, …), not bounded. */
const enqueueAll = (messages: { webhook: string; notice: Notice }[]): OutboxEntry[] =>
  messages.map((m, i) => ({
    id: `1.${i}`,
    at: 0,
    webhook: m.webhook,
    notice: m.notice,
    nextAt: 0,
    attempts: 0,
  }));

function outbox(...webhooks: string[]): OutboxEntry[] {
  return enqueue(
    [],
    6,
    webhooks.map((webhook, i) => ({ webhook, notice: error(`m${i}`) })),
    0,
  ).outbox;
}

describe('enqueue', () => {
  it('numbers entries by the version the write creates, in order, due at once', () => {
    const { outbox: queued } = enqueue(
      outbox('/a'),
      9,
      [
        { webhook: '/a', notice: error('x') },
        { webhook: '/b', notice: error('y') },
      ],
      5 * S,
    );
    expect(queued.map((e) => [e.id, e.webhook, e.nextAt, e.attempts])).toEqual([
      ['7.0', '/a', 0, 0],
      ['10.0', '/a', 5 * S, 0],
      ['10.1', '/b', 5 * S, 0],
    ]);
  });

  it('numbers on after the entries a held decision queued for the same version (one write, two decisions)', () => {
    const held = enqueue(
      outbox('/a'),
      9,
      [
        { webhook: '/a', notice: error('x') },
        { webhook: '/b', notice: error('y') },
      ],
      0,
    );
    const { outbox: queued } = enqueue(held.outbox, 9, [{ webhook: '/a', notice: error('z') }], 0);
    expect(queued.map((e) => e.id)).toEqual(['7.0', '10.0', '10.1', '10.2']);
  });

  it(`past ${OUTBOX_LIMIT} entries, sheds the least important first and says how many in the next message`, () => {
    const steps = Array.from({ length: OUTBOX_LIMIT - 2 }, (_, i) => ({ webhook: '/a', notice: step(i) }));
    const full = enqueue(
      [],
      0,
      [...steps, { webhook: '/a', notice: rolledBack }, { webhook: '/a', notice: error('e') }],
      0,
    ).outbox;
    expect(full).toHaveLength(OUTBOX_LIMIT);
    const { outbox: next, dropped } = enqueue(full, 1, [{ webhook: '/a', notice: started }], S);
    expect(next).toHaveLength(OUTBOX_LIMIT);
    expect(dropped.map((e) => e.id)).toEqual(['1.0']);
    expect(dropped[0]!.notice.kind).toBe('step');
    expect(next[0]!.shed).toBe(1);
    expect(next.map((e) => e.notice.kind)).toEqual(
      expect.arrayContaining(['rolled_back', 'blocked', 'started']),
    );
  });
});

describe('bound: by bytes and count, never shedding what a person must read', () => {
  it('a long Slack outage: 41 messages, steps shed first (oldest first), rolled_back and error all kept', () => {
    const queued = [
      ...Array.from({ length: 30 }, (_, i) => ({ webhook: '/a', notice: step(i, 'x'.repeat(3000)) })),
      { webhook: '/a', notice: rolledBack },
      ...Array.from({ length: 8 }, () => ({ webhook: '/a', notice: started })),
      { webhook: '/a', notice: error('the pipeline needs a person') },
      { webhook: '/b', notice: step(99) },
    ];
    const { outbox: kept, shed } = bound(enqueue([], 0, [], 0).outbox.concat(enqueueAll(queued)));
    const size = kept.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
    expect(size).toBeLessThanOrEqual(OUTBOX_BYTES);
    expect(shed.length).toBeGreaterThan(10);
    expect(shed.every((e) => e.notice.kind === 'step')).toBe(true);
    // Oldest steps first.
    expect(shed.map((e) => e.id)).toEqual(queued.slice(0, shed.length).map((_, i) => `1.${i}`));
    for (const kind of NEVER_SHED) expect(kept.filter((e) => e.notice.kind === kind)).toHaveLength(1);
    // The next message to /a says how many were shed before it.
    expect(kept.find((e) => e.webhook === '/a')!.shed).toBe(shed.length);
    expect(kept.find((e) => e.webhook === '/b')!.shed).toBeUndefined();
  });

  it('never sheds a rollback, an error, or an entry being sent, even past the bound', () => {
    const many = enqueueAll(
      Array.from({ length: OUTBOX_LIMIT + 5 }, () => ({ webhook: '/a', notice: rolledBack })),
    );
    expect(bound(many).outbox).toHaveLength(OUTBOX_LIMIT + 5);
    const sending = {
      ...enqueueAll([{ webhook: '/a', notice: step(1) }])[0]!,
      lease: { token: 't', until: M },
    };
    expect(bound([sending, ...many]).outbox[0]).toEqual(sending);
  });

  it('what it says', () => {
    expect(shedLine(1)).toMatch(/^\(1 earlier message was not sent/);
    expect(shedLine(11)).toMatch(/^\(11 earlier messages were not sent/);
  });
});

describe('dueEntries: the oldest per webhook, when due and not leased', () => {
  it('a newer entry waits while an older one of the same webhook waits for its retry; other webhooks do not', () => {
    const [a1, a2, b1] = outbox('/a', '/a', '/b');
    const waiting = { ...a1!, nextAt: 30 * S };
    expect(dueEntries([waiting, a2!, b1!], 10 * S).map((e) => e.id)).toEqual(['7.2']);
    expect(dueEntries([waiting, a2!, b1!], 30 * S).map((e) => e.id)).toEqual(['7.0', '7.2']);
  });

  it('once the older one is gone (sent, or failed for good) the next is due', () => {
    const [, a2] = outbox('/a', '/a');
    expect(dueEntries([a2!], 0).map((e) => e.id)).toEqual(['7.1']);
  });

  it('a leased entry is not due until its lease runs out, and holds back the ones after it', () => {
    const [a1, a2] = outbox('/a', '/a');
    const taken = leased(a1!, 'token', 0);
    expect(taken.attempts).toBe(1);
    expect(dueEntries([taken, a2!], LEASE_MS - 1)).toEqual([]);
    expect(dueEntries([taken, a2!], LEASE_MS).map((e) => e.id)).toEqual(['7.0']);
  });
});

describe('afterAttempt', () => {
  const entry = { ...outbox('/a')[0]!, attempts: 1, lease: { token: 't', until: LEASE_MS } };

  it('sent, or failed for good: the entry goes', () => {
    expect(afterAttempt(entry, { outcome: 'sent', status: 200 }, S)).toEqual({ kind: 'sent' });
    expect(afterAttempt(entry, { outcome: 'failed', status: 400, error: '400 invalid_payload' }, S)).toEqual({
      kind: 'failed',
      reason: '400 invalid_payload',
    });
  });

  it('a retry comes back after the back-off, unleased, with the error', () => {
    const out = afterAttempt(entry, { outcome: 'retry', status: 500, error: '500 rollup_error' }, S);
    expect(out).toEqual({
      kind: 'retry',
      entry: { ...entry, lease: undefined, nextAt: S + 10 * S, lastError: '500 rollup_error' },
    });
    expect('lease' in (out as any).entry).toBe(false);
  });

  it('a 429 comes back after its Retry-After', () => {
    const out = afterAttempt(entry, { outcome: 'retry', status: 429, error: '429', retryAfterMs: 30 * S }, S);
    expect(out.kind === 'retry' && out.entry.nextAt).toBe(31 * S);
  });

  it('a retry due more than 24h after the decision is given up', () => {
    const late = { ...entry, attempts: 150 };
    expect(
      afterAttempt(late, { outcome: 'retry', error: 'could not connect (ECONNREFUSED)' }, GIVE_UP_MS - 5 * M),
    ).toEqual({
      kind: 'retry',
      entry: expect.objectContaining({ nextAt: GIVE_UP_MS }),
    });
    expect(
      afterAttempt(
        late,
        { outcome: 'retry', error: 'could not connect (ECONNREFUSED)' },
        GIVE_UP_MS - 5 * M + 1,
      ),
    ).toEqual({
      kind: 'failed',
      reason: 'gave up after 150 attempts over 24h; the last: could not connect (ECONNREFUSED)',
    });
  });
});

describe('back-off and Retry-After', () => {
  it.each([
    [1, 10 * S],
    [2, 30 * S],
    [3, M],
    [4, 2 * M],
    [5, 5 * M],
    [6, 5 * M],
    [100, 5 * M],
  ])('after attempt %i wait %i ms', (attempts, ms) => {
    expect(backoffMs(attempts)).toBe(ms);
  });

  it.each([
    ['30', 30 * S],
    ['0', S],
    ['86400', 3_600_000],
    ['1.5', 1500],
    [undefined, M],
    ['soon', M],
    ['Wed, 21 Oct 2015 07:28:00 GMT', M],
  ])('Retry-After %j waits %i ms', (header, ms) => {
    expect(retryAfterMs(header)).toBe(ms);
  });
});

describe('classify: what Slack’s answer means', () => {
  it.each([
    [200, 'ok', undefined, { outcome: 'sent', status: 200 }],
    [
      429,
      'rate_limited',
      '7',
      { outcome: 'retry', status: 429, error: '429 rate_limited', retryAfterMs: 7000 },
    ],
    [500, 'rollup_error', undefined, { outcome: 'retry', status: 500, error: '500 rollup_error' }],
    [503, '', undefined, { outcome: 'retry', status: 503, error: '503 Service Unavailable' }],
    [400, 'invalid_payload', undefined, { outcome: 'failed', status: 400, error: '400 invalid_payload' }],
    [400, 'no_text', undefined, { outcome: 'failed', status: 400, error: '400 no_text' }],
    [403, 'action_prohibited', undefined, { outcome: 'failed', status: 403, error: '403 action_prohibited' }],
    [404, 'no_service', undefined, { outcome: 'failed', status: 404, error: '404 no_service' }],
    [
      410,
      'channel_is_archived',
      undefined,
      { outcome: 'failed', status: 410, error: '410 channel_is_archived' },
    ],
  ])('%i %s', (status, body, retryAfter, result) => {
    expect(classify(status, body, retryAfter)).toEqual(result);
  });
});

describe('Pacer: one message a second per webhook', () => {
  it('spaces the messages of a webhook a second apart, and a held webhook waits', () => {
    const pacer = new Pacer();
    expect(pacer.slot('/a', 0)).toBe(0);
    pacer.took('/a', 0);
    expect(pacer.slot('/a', 200)).toBe(1000);
    pacer.took('/a', 1000);
    expect(pacer.slot('/a', 1000)).toBe(2000);
    expect(pacer.slot('/other', 1000)).toBe(1000);
    pacer.hold('/b', 30_000);
    expect(pacer.slot('/b', 0)).toBe(30_000);
    pacer.took('/b', 0);
    expect(pacer.slot('/b', 0)).toBe(30_000);
  });
});

/** An outbox entry to /a, due at 0, for the lease rules. */
const entry = (id: string, extra: Partial<OutboxEntry> = {}): OutboxEntry => ({
  id,
  at: 0,
  webhook: '/a',
  notice: error(id),
  nextAt: 0,
  attempts: 0,
  ...extra,
});

describe('firstToLease', () => {
  const now = 20 * S;
  const free = () => now;
  it.each([
    ['[m1 due, m2 due] to /a', [entry('m1'), entry('m2')], free, 'm1'],
    ['[m1 due] to /a, paced 5 s ahead (max 3 s)', [entry('m1')], () => now + 5 * S, undefined],
    [
      '[m1 leased by another, live]',
      [entry('m1', { lease: { token: 'x', until: now + M } }), entry('m2')],
      free,
      undefined,
    ],
    ['[m1 due in 10 s]', [entry('m1', { nextAt: now + 10 * S })], free, undefined],
    [
      '[m1 with a lease that ran out]',
      [entry('m1', { lease: { token: 'x', until: now - 1 } })],
      free,
      undefined,
    ],
    ['empty', [], free, undefined],
  ])('%s -> %s', (_, outbox, slotOf, want) => {
    expect(firstToLease(outbox as OutboxEntry[], now, slotOf as (w: string) => number, 3 * S)?.id).toBe(want);
  });
});

describe('followerOf', () => {
  const now = 20 * S;
  const m1 = entry('m1', { lease: { token: 'mine', until: now + M } });
  it.each([
    ['[m1, m2 due] to /a, behind m1', [m1, entry('m2')], 'm2'],
    ['[m1 to /a, o1 to /b, m2 to /a], behind m1', [m1, entry('o1', { webhook: '/b' }), entry('m2')], 'm2'],
    ['[m1, m2 due in 10 s], behind m1', [m1, entry('m2', { nextAt: now + 10 * S })], undefined],
    [
      '[m1, m2 leased (a lease that ran out)], behind m1',
      [m1, entry('m2', { lease: { token: 'x', until: now - 1 } })],
      undefined,
    ],
    ['[m1], behind m1', [m1], undefined],
  ])('%s -> %s', (_, outbox, want) => {
    expect(followerOf(outbox as OutboxEntry[], m1, now)?.id).toBe(want);
  });
});
