/**
 * A push's revision is found by its digest tag only when it is a clone of the service's own revision
 * (`from`) with the target's container replaced (lib/observe.ts findRevisionByDigest, lib/act.ts
 * registerRevision): two services of one family running different revisions (stranger17 01: prod/web
 * and staging/web, staging's with an envoy sidecar and a bigger task) each get their own clone.
 * Real SDK clients against the local AWS.
 */
import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../lib/act.ts';
import { createClients } from '../lib/aws.ts';
import type { TargetConfig } from '../lib/config.ts';
import type { ImageRef } from '../lib/image.ts';
import { DIGEST_TAG, IMAGE_TAG, shortRevision } from '../lib/revision.ts';
import { parseImageBehaviour } from '../local/core/images.ts';
import { localClientConfig, sharedWorld } from './helpers/world.ts';
import { pushImage } from './local/ecs-fixtures.ts';

/** The tag naming the revision a clone was made from (lib/revision.ts CLONED_FROM_TAG). */
const CLONED_FROM = 'ecs-autopilot:cloned-from';

const t = sharedWorld();
let clients: ReturnType<typeof createClients>;

beforeAll(() => {
  clients = createClients(localClientConfig(t.endpoint, t.world.region));
});

/** `repository:tag` pushed to the local ECR (healthy), as the pipeline names it: by digest. */
function push(repository: string, tag: string): ImageRef {
  t.world.images.set(`${repository}:${tag}`, parseImageBehaviour('healthy'));
  const pushed = t.world.ecr.push(repository, tag);
  const registry = pushed.uri.slice(0, pushed.uri.lastIndexOf('/'));
  return { repository, tag, digest: pushed.digest, uri: `${registry}/${repository}@${pushed.digest}` };
}

async function register(
  family: string,
  containers: ContainerDefinition[],
  extra: Partial<RegisterTaskDefinitionCommandInput> = {},
): Promise<string> {
  const out = await t.ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: containers,
      ...extra,
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

/** A family with prod's revision (one container `web`, 256/512) and staging's (`web` and `envoy`, 1024/2048). */
async function sharedFamily(family: string): Promise<{ prod: string; staging: string; v1: string }> {
  const v1 = pushImage(t.world, family, 'v1');
  const prod = await register(family, [{ name: 'web', image: v1, essential: true }]);
  const staging = await register(
    family,
    [
      { name: 'web', image: v1, essential: true },
      { name: 'envoy', image: 'public.ecr.aws/envoy:v1.29', essential: true },
    ],
    { cpu: '1024', memory: '2048' },
  );
  return { prod, staging, v1 };
}

/** One registerRevision action, as a reconcile performs it (its own cache of task definitions). */
async function registerRevision(
  from: string,
  image: ImageRef,
  container?: string,
  seenBefore?: boolean,
): Promise<{ revisionForDigest?: string; registeredAnew?: boolean }> {
  return act(
    clients,
    { cluster: 'prod', service: 'web', container } as unknown as TargetConfig,
    {} as Service,
    { type: 'registerRevision', from, container, image, ...(seenBefore && { seenBefore }) },
    undefined,
    { taskDefinitions: new Map() },
  );
}

async function revisions(family: string): Promise<string[]> {
  const out = await t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' }));
  return (out.taskDefinitionArns ?? []).map(shortRevision);
}

async function described(revision: string) {
  return t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: revision, include: ['TAGS'] }));
}

/** The pipeline's tags of a clone of `from` for `image` (as lib/revision.ts cloneForImage writes them). */
function cloneTags(image: ImageRef, from: string | undefined): Tag[] {
  return [
    { key: DIGEST_TAG, value: image.digest },
    { key: IMAGE_TAG, value: `${image.repository}:${image.tag}` },
    ...(from ? [{ key: CLONED_FROM, value: shortRevision(from) }] : []),
  ];
}

describe('two services of one family on different revisions, one push', () => {
  it('each gets a clone of its own revision: staging keeps its sidecar and task size', async () => {
    const { prod, staging } = await sharedFamily('sf1');
    const v2 = push('sf1', 'v2');
    const forProd = await registerRevision(prod, v2);
    const forStaging = await registerRevision(staging, v2, 'web');
    expect(shortRevision(forProd.revisionForDigest!)).toBe('sf1:3');
    expect(shortRevision(forStaging.revisionForDigest!)).toBe('sf1:4');
    expect(forStaging.registeredAnew).toBe(true);
    const td = (await described(forStaging.revisionForDigest!)).taskDefinition!;
    expect(td.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
      ['web', v2.uri],
      ['envoy', 'public.ecr.aws/envoy:v1.29'],
    ]);
    expect([td.cpu, td.memory]).toEqual(['1024', '2048']);
    expect((await described('sf1:3')).tags).toContainEqual({ key: CLONED_FROM, value: 'sf1:1' });
    expect((await described('sf1:4')).tags).toContainEqual({ key: CLONED_FROM, value: 'sf1:2' });
  });

  it('a retried push finds its own clone, not the other service’s newer one, and registers nothing', async () => {
    const { prod, staging } = await sharedFamily('sf2');
    const v2 = push('sf2', 'v2');
    const prodClone = await register('sf2', [{ name: 'web', image: v2.uri, essential: true }], {
      tags: cloneTags(v2, prod),
    });
    const stagingClone = await register(
      'sf2',
      [
        { name: 'web', image: v2.uri, essential: true },
        { name: 'envoy', image: 'public.ecr.aws/envoy:v1.29', essential: true },
      ],
      { cpu: '1024', memory: '2048', tags: cloneTags(v2, staging) },
    );
    const calls = { ...t.world.apiCalls };
    expect((await registerRevision(prod, v2)).revisionForDigest).toBe(prodClone);
    expect((await registerRevision(staging, v2, 'web')).revisionForDigest).toBe(stagingClone);
    expect(await revisions('sf2')).toEqual(['sf2:1', 'sf2:2', 'sf2:3', 'sf2:4']);
    expect(
      (t.world.apiCalls['ecs:RegisterTaskDefinition'] ?? 0) - (calls['ecs:RegisterTaskDefinition'] ?? 0),
    ).toBe(0);
  });

  it('the same revision run by two services: the second push finds the first one’s clone', async () => {
    const v1 = pushImage(t.world, 'sf3', 'v1');
    const shared = await register('sf3', [{ name: 'web', image: v1, essential: true }]);
    const v2 = push('sf3', 'v2');
    const first = await registerRevision(shared, v2);
    const before = { ...t.world.apiCalls };
    const second = await registerRevision(shared, v2);
    // The newest revision is the clone, its cloned-from tag names `from`: one call, no listing.
    const spent = (op: string) => (t.world.apiCalls[`ecs:${op}`] ?? 0) - (before[`ecs:${op}`] ?? 0);
    expect([
      spent('DescribeTaskDefinition'),
      spent('ListTaskDefinitions'),
      spent('RegisterTaskDefinition'),
    ]).toEqual([1, 0, 0]);
    expect(first.registeredAnew).toBe(true);
    expect(second).toEqual({ revisionForDigest: first.revisionForDigest });
    expect(await revisions('sf3')).toEqual(['sf3:1', 'sf3:2']);
  });
});

describe('revisions without the cloned-from tag (registered by an older version)', () => {
  it('one cloned from another service’s revision is not taken: a clone of this one is registered', async () => {
    const { staging } = await sharedFamily('lg1');
    const v2 = push('lg1', 'v2');
    // prod's clone as the older version registered it: the digest tag, no cloned-from.
    const legacy = await register('lg1', [{ name: 'web', image: v2.uri, essential: true }], {
      tags: cloneTags(v2, undefined),
    });
    const got = await registerRevision(staging, v2, 'web');
    expect(got.revisionForDigest).not.toBe(legacy);
    expect(got.registeredAnew).toBe(true);
    expect(
      (await described(got.revisionForDigest!)).taskDefinition!.containerDefinitions!.map((c) => c.name),
    ).toEqual(['web', 'envoy']);
  });
});

describe('a digest pushed again after a newer release (seenBefore)', () => {
  it('finds its own older revision when a clone of the running one would be the same (one revision per digest)', async () => {
    const v1 = pushImage(t.world, 'rp1', 'v1');
    const first = await register('rp1', [{ name: 'web', image: v1, essential: true }]);
    const v2 = push('rp1', 'v2');
    const v3 = push('rp1', 'v3');
    const forV2 = (await registerRevision(first, v2)).revisionForDigest!;
    const forV3 = (await registerRevision(forV2, v3)).revisionForDigest!;
    const again = await registerRevision(forV3, v2, undefined, true);
    expect(again).toEqual({ revisionForDigest: forV2 });
    expect(await revisions('rp1')).toEqual(['rp1:1', 'rp1:2', 'rp1:3']);
  });

  it('does not take its older revision back when a person changed the task definition since', async () => {
    const v1 = pushImage(t.world, 'rp2', 'v1');
    const first = await register('rp2', [{ name: 'web', image: v1, essential: true }]);
    const v2 = push('rp2', 'v2');
    const v3 = push('rp2', 'v3');
    const forV2 = (await registerRevision(first, v2)).revisionForDigest!;
    // A person raises the memory of the running revision; v3 is cloned from theirs.
    const byHand = await register('rp2', [{ name: 'web', image: v2.uri, essential: true }], {
      memory: '1024',
    });
    const forV3 = (await registerRevision(byHand, v3)).revisionForDigest!;
    const again = await registerRevision(forV3, v2, undefined, true);
    expect(again.revisionForDigest).not.toBe(forV2);
    expect(again.registeredAnew).toBe(true);
    expect((await described(again.revisionForDigest!)).taskDefinition!.memory).toBe('1024');
  });
});
