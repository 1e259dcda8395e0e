/**
 * Trust II, end to end: real SDK clients against the local AWS, the real handlers and rules.
 * Nothing stuck (a failing target, a deleted primary, a removed target), nothing silently
 * unsupported (a config that does not name the container), owners' settings kept, the canary a
 * true sibling of the primary as it is now, one reconcile acting at a time.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lib/config.ts';
import type { ServiceRecord } from '../../lib/record.ts';
import type { RecordStore } from '../../lib/store.ts';
import {
  describeService,
  type PipelineWorld,
  recordOf,
  usePipelineWorld,
} from '../helpers/pipeline-world.ts';
import { WEB_TARGET } from '../helpers/web-target.ts';

const MIN = 60_000;
const world = usePipelineWorld();

async function revisions(w: PipelineWorld): Promise<string[]> {
  const out = (await w.world.ecs.operations.ListTaskDefinitions!({ familyPrefix: 'web' })) as any;
  return out.taskDefinitionArns;
}
/** Runs until the canary serves its first step's tasks. */
async function untilCanaryUp(w: PipelineWorld) {
  for (let i = 0; i < 60; i++) {
    await w.world.runFor(10_000);
    if ((await describeService(w, 'web-canary'))?.runningCount > 0) return;
  }
  throw new Error('the canary never came up');
}
/** A world whose push of a healthy web:v2 is rolling out, its canary serving the first step. */
async function canaryOfV2Up(): Promise<PipelineWorld> {
  const t = await world({ images: { 'web:v2': 'healthy' } });
  t.world.ecr.push('web', 'v2');
  await untilCanaryUp(t);
  return t;
}
/** The world's own target (test/helpers/web-target.ts). */
const TARGET = WEB_TARGET;

describe('a config mistake is a person’s problem, not the image’s', () => {
  it('several containers and none named: said at once naming them; nothing registered, nothing marked bad', async () => {
    const t = await world({
      sidecars: [{ name: 'envoy', image: 'public.ecr.aws/envoy/envoy:v1.29' }],
      slack: {},
    });
    const { container: _named, ...unnamed } = TARGET;
    t.redeploy(validateConfig({ targets: [unnamed] }));
    const before = await revisions(t);
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(2 * MIN);
    const r = (await recordOf(t))!;
    expect(r.rollout).toBeUndefined();
    expect(r.history).toEqual([]);
    expect(r.badDigests).toEqual({});
    expect(r.lastError?.message).toMatch(
      /has 2 containers \(web, envoy\) and none is named; set "container"/,
    );
    expect(await revisions(t)).toEqual(before);
    expect(t.actions).toEqual([]);
    const told = (await t.notificationsReport()).filter((n) => n.kind === 'blocked');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ outcome: 'sent', text: expect.stringContaining('web, envoy') });
    expect(t.logs.some((l) => l.includes('"pipeline.error"') && l.includes('web, envoy'))).toBe(true);
  }, 120_000);
});

describe('nothing stuck', () => {
  it('a deleted primary: the canary is scaled to 0 and deleted, the rollout closed with the reason, and told', async () => {
    const t = await canaryOfV2Up();
    await t.world.ecs.operations.DeleteService!({ cluster: 'prod', service: 'web', force: true });
    await t.world.runFor(3 * MIN);
    const r = (await recordOf(t))!;
    expect(r.rollout).toBeUndefined();
    expect(r.history.at(-1)).toMatchObject({
      outcome: 'aborted',
      reason: expect.stringMatching(/no longer exists/),
    });
    const canary = await describeService(t, 'web-canary');
    expect(canary === undefined || canary.status !== 'ACTIVE').toBe(true);
    expect(canary?.desiredCount ?? 0).toBe(0);
    const last = t.notices.at(-1)!.notice;
    expect(last).toMatchObject({ kind: 'rolled_back', reason: expect.stringMatching(/no longer exists/) });
  }, 180_000);

  it('a target taken out of autopilot.yml mid-rollout: the same, at the next tick', async () => {
    const t = await canaryOfV2Up();
    t.redeploy(validateConfig({ targets: [{ ...TARGET, service: 'api', repository: 'api' }] }));
    await t.world.runFor(3 * MIN);
    const r = (await recordOf(t))!;
    expect(r.rollout).toBeUndefined();
    expect(r.history.at(-1)).toMatchObject({
      outcome: 'aborted',
      reason: expect.stringMatching(/taken out of autopilot.yml/),
    });
    const canary = await describeService(t, 'web-canary');
    expect(canary === undefined || canary.status !== 'ACTIVE').toBe(true);
    // The primary is left as its owner has it: on its revision, serving.
    expect((await describeService(t, 'web')).runningCount).toBe(4);
  }, 180_000);

  it('one failing target never blocks the others: the other rolls out, the failing one is backed off', async () => {
    const t = await world({ images: { 'web:v2': 'healthy' } });
    // The first target's cluster does not exist: ECS answers ClusterNotFoundException, not a permanent error.
    t.redeploy(validateConfig({ targets: [{ ...TARGET, cluster: 'gone' }, TARGET] }));
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(15 * MIN);
    expect((await recordOf(t))!.history.at(-1)).toMatchObject({ outcome: 'succeeded', image: { tag: 'v2' } });
    const gone = (await recordOf(t, 'gone/web'))!;
    expect(gone.failing).toMatchObject({
      count: expect.any(Number),
      message: expect.stringMatching(/cluster/i),
    });
    expect(gone.failing!.count).toBeGreaterThanOrEqual(1);
    expect(gone.failing!.nextAt).toBeGreaterThan(gone.failing!.since);
    expect(t.logs.some((l) => l.includes('"pipeline.error"') && l.includes('gone/web'))).toBe(true);
  }, 240_000);
});

describe('owners’ settings are kept', () => {
  it('all-at-once puts the primary’s deploymentConfiguration back once the rollout ends', async () => {
    const t = await world({
      images: { 'web:v2': 'healthy' },
      target: { strategy: 'all-at-once', steps: undefined },
    });
    await t.world.ecs.operations.UpdateService!({
      cluster: 'prod',
      service: 'web',
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
    });
    t.world.ecr.push('web', 'v2');
    let widened = false;
    for (let i = 0; i < 90; i++) {
      await t.world.runFor(10_000);
      const dc = (await describeService(t, 'web')).deploymentConfiguration;
      if (dc.maximumPercent === 200) widened = true;
    }
    const r = (await recordOf(t))!;
    expect(r.history.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expect(widened).toBe(true);
    const dc = (await describeService(t, 'web')).deploymentConfiguration;
    expect(dc).toMatchObject({ minimumHealthyPercent: 50, maximumPercent: 100 });
    expect(r.ownerSettings).toBeUndefined();
  }, 240_000);

  it('one task at 50 / 100 (ECS alone would neither start nor stop one): one new at once, then the owner’s back', async () => {
    // ECS rounds 50 % of 1 up to 1 and 100 % of 1 down to 1: its rolling update waits for ever, and
    // a healthy image was rolled back at its step deadline (lib/rollout-math.ts unstuckMaximumPercent).
    const t = await world({ images: { 'web:v2': 'healthy' }, desiredCount: 1 });
    await t.world.ecs.operations.UpdateService!({
      cluster: 'prod',
      service: 'web',
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
    });
    t.world.ecr.push('web', 'v2');
    const seen = new Set<number>();
    for (let i = 0; i < 120; i++) {
      await t.world.runFor(10_000);
      seen.add((await describeService(t, 'web')).deploymentConfiguration.maximumPercent);
      if ((await recordOf(t))!.history.length > 0 && seen.size > 1) break;
    }
    const r = (await recordOf(t))!;
    expect(r.history.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expect(r.badDigests).toEqual({});
    expect([...seen].sort()).toEqual([100, 200]);
    await t.world.runFor(2 * MIN);
    const web = await describeService(t, 'web');
    expect(web.taskDefinition).toMatch(/web:2$/);
    expect(web.deploymentConfiguration).toMatchObject({ minimumHealthyPercent: 50, maximumPercent: 100 });
    expect((await recordOf(t))!.ownerSettings).toBeUndefined();
  }, 240_000);
});

describe('the canary is a true sibling', () => {
  it('brought in line with the primary at the next rollout: a changed network and target group follow', async () => {
    const t = await world({ images: { 'web:v2': 'healthy', 'web:v3': 'healthy' } });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(15 * MIN);
    expect((await recordOf(t))!.history.at(-1)).toMatchObject({ outcome: 'succeeded' });
    const second = t.world.ecs.createTargetGroup({ name: 'web-2', deregistrationDelaySeconds: 30 });
    const network = { awsvpcConfiguration: { subnets: ['subnet-2'], securityGroups: ['sg-2'] } };
    const loadBalancers = [{ targetGroupArn: second, containerName: 'web', containerPort: 8080 }];
    await t.world.ecs.operations.UpdateService!({
      cluster: 'prod',
      service: 'web',
      networkConfiguration: network,
      loadBalancers,
    });
    await t.world.runFor(3 * MIN);
    t.world.ecr.push('web', 'v3');
    await untilCanaryUp(t);
    const canary = await describeService(t, 'web-canary');
    expect(canary.networkConfiguration).toMatchObject(network);
    expect(canary.loadBalancers).toMatchObject(loadBalancers);
    await t.world.runFor(15 * MIN);
    expect((await recordOf(t))!.history.at(-1)).toMatchObject({ outcome: 'succeeded', image: { tag: 'v3' } });
  }, 300_000);
});

describe('one reconcile acts at a time', () => {
  it('while another invocation holds the service, a burst of reconciles acts on nothing and asks it to look again', async () => {
    const t = await canaryOfV2Up();
    const held = (await recordOf(t))!;
    // Another invocation is in the middle of its observe-decide-act loop.
    await t.store.put({ ...held, lease: { owner: 'another-invocation', until: t.world.now() + 90_000 } });
    const target = t.pipeline.config.targets[0]!;
    const before = t.actions.length;
    await Promise.all(
      Array.from({ length: 5 }, () => t!.pipeline.reconcile(target, { kind: 'reconcile', reason: 'burst' })),
    );
    expect(t.actions.length).toBe(before);
    const asked = (await recordOf(t))!;
    expect(asked.lease).toMatchObject({ owner: 'another-invocation', again: true });
    expect(t.logs.filter((l) => l.includes('"reconcile.serialised"')).length).toBeGreaterThan(0);
    // The holder died: its lease expires and the rollout goes on to the end, nothing stuck.
    await t.world.runFor(15 * MIN);
    const done = (await recordOf(t))!;
    expect(done.history.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expect(done.lease).toBeUndefined();
  }, 240_000);
});

describe('nothing lost: the Slack outbox never drops what matters', () => {
  it('a Slack outage with a long queue: the least important are shed, the rollback is sent, and says how many were shed', async () => {
    const t = await world({ images: { 'web:v2': { crash: { after: '20s', exitCode: 1 } } }, slack: {} });
    await t.slack!.refuse();
    // A long outage has queued many step messages already (an earlier rollout's, say).
    const before = await t.store.get('prod', 'web');
    const { DEFAULT_WEBHOOK_PARAMETER } = await import('../../lib/slack/webhook.ts');
    const filler = 'a long reason '.repeat(60);
    const queued = Array.from({ length: 90 }, (_, i) => ({
      id: `0.${i}`,
      at: t!.world.now(),
      webhook: DEFAULT_WEBHOOK_PARAMETER,
      notice: {
        kind: 'ignored' as const,
        image: { repository: 'web', tag: `old-${i}`, digest: 'sha256:00', uri: 'x' },
        reason: filler,
      },
      nextAt: t!.world.now() + 10 * MIN,
      attempts: 3,
    }));
    await t.store.put({ ...before, outbox: queued });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(6 * MIN);
    const during = (await recordOf(t))!;
    expect(during.history.at(-1)).toMatchObject({ outcome: 'rolled_back' });
    const kinds = during.outbox!.map((e) => e.notice.kind);
    expect(kinds).toContain('rolled_back');
    expect(Buffer.byteLength(JSON.stringify(during.outbox))).toBeLessThan(70_000);
    await t.slack!.start();
    // Paced at Slack's one message a second per webhook, oldest first: the queue drains over ticks.
    await t.world.runFor(40 * MIN);
    expect((await recordOf(t))!.outbox).toEqual([]);
    const sent = t.slack!.messages().map((p) => p.text as string);
    const rolledBack = sent.find((s) => /rolled back web:v2/.test(s));
    expect(rolledBack).toBeDefined();
    expect(sent.some((s) => /\(\d+ earlier messages were not sent/.test(s))).toBe(true);
  }, 300_000);
});

describe('a decision held for the next round’s write', () => {
  it('a person’s pause whose write loses a race is decided again on the record as stored, not dropped', async () => {
    const t = await canaryOfV2Up();
    const store = t.store;
    // The pause changes only the record: it is held, then written when the loop has nothing more to
    // do. Right before that write lands, another invocation writes the record (Slack settling).
    let raced = false;
    const racing = withPut(store, async (r: ServiceRecord) => {
      if (!raced && r.rollout?.paused) {
        raced = true;
        const stored = await store.get(r.cluster, r.service);
        await store.put({ ...stored, lastError: { message: 'another invocation wrote', at: 0 } });
      }
      return store.put(r);
    });
    const { Pipeline } = await import('../../lib/pipeline.ts');
    const pipeline = new Pipeline({ ...t.pipeline.options, store: racing });
    await pipeline.command('prod', 'web', { name: 'pause' });
    expect(raced).toBe(true);
    const r = (await store.get('prod', 'web'))!;
    expect(r.rollout?.paused).toBe(true);
    expect(r.lastError?.message).toBe('another invocation wrote');
  }, 240_000);
});

describe('actions are fenced', () => {
  // The first action after a round's commit is fenced by that conditional write (lib/lease.ts
  // fenceNeedsRead); a command that lands in the moment between them is read at the round's end.
  it('a pause landing between a step’s commit and its action stands: the step goes no further', async () => {
    const t = await canaryOfV2Up();
    const store = t.store;
    const hold = async (paused: boolean) => {
      const r = await store.get('prod', 'web');
      await store.put({ ...r, rollout: { ...r.rollout!, paused } });
    };
    // Held at step 1 past its bake, then released: the next reconcile decides step 2.
    await hold(true);
    // Past the target group's health check (the bake counts from in service) and the 2m bake.
    await t.world.runFor(8 * MIN);
    const canaryBefore = (await describeService(t, 'web-canary')).desiredCount;
    await hold(false);
    const atStep1 = (await store.get('prod', 'web')).rollout!;
    // Between this reconcile's commit (step 2) and its action, another invocation commits a decision
    // taken from step 1: a person's pause there.
    let raced = false;
    const racing = withPut(store, async (r: ServiceRecord) => {
      const written = await store.put(r);
      if (!raced && written.lease) {
        raced = true;
        await store.put({ ...written, lease: undefined, rollout: { ...atStep1, paused: true } });
      }
      return written;
    });
    const { Pipeline } = await import('../../lib/pipeline.ts');
    const pipeline = new Pipeline({ ...t.pipeline.options, store: racing });
    const before = t.actions.length;
    await pipeline.reconcile(pipeline.config.targets[0]!, { kind: 'reconcile', reason: 'bake ended' });
    expect(raced).toBe(true);
    // The step's one action was current when committed: it is taken, with no read in between.
    // The round's next write loses to the pause, which is read: the canary goes back to the paused
    // step's size, and nothing more is done under the pause.
    expect(t.logs.some((l) => l.includes('"action.fenced"'))).toBe(false);
    const sizes = t.actions
      .slice(before)
      .map((a) => (a.action.type === 'setCanary' ? a.action.desiredCount : -1));
    expect(sizes).toEqual([expect.any(Number), canaryBefore]);
    expect(sizes[0]).toBeGreaterThan(canaryBefore);
    expect((await describeService(t, 'web-canary')).desiredCount).toBe(canaryBefore);
    expect((await store.get('prod', 'web')).rollout?.paused).toBe(true);
    await pipeline.reconcile(pipeline.config.targets[0]!, { kind: 'reconcile', reason: 'again' });
    expect(t.actions.length).toBe(before + 2);
    expect((await store.get('prod', 'web')).rollout?.paused).toBe(true);
  }, 240_000);
});

/** The store with its `put` replaced: another invocation's write slipped into a chosen moment. */
function withPut(store: RecordStore, put: (r: ServiceRecord) => Promise<ServiceRecord>) {
  return {
    get: (cluster: string, service: string) => store.get(cluster, service),
    list: () => store.list(),
    outstanding: () => store.outstanding(),
    putMark: store.putMark.bind(store),
    put,
  };
}
