import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  CLONED_FROM_TAG,
  cloneForImage,
  DIGEST_TAG,
  familyOf,
  READ_ONLY_FIELDS,
  RevisionError,
  runsImage,
  sameApartFromImage,
  shortRevision,
} from '../lib/revision.ts';

const image = {
  repository: 'web',
  tag: 'v2',
  digest: `sha256:${'a'.repeat(64)}`,
  uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${'a'.repeat(64)}`,
};

const current: TaskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
  family: 'web',
  revision: 7,
  status: 'ACTIVE',
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
  compatibilities: ['EC2', 'FARGATE'],
  registeredAt: new Date(0),
  registeredBy: 'arn:aws:iam::123456789012:role/deployer',
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  taskRoleArn: 'arn:aws:iam::123456789012:role/ecs-web-task',
  containerDefinitions: [
    { name: 'web', image: 'old', essential: true, environment: [{ name: 'A', value: '1' }] },
    { name: 'envoy', image: 'public.ecr.aws/envoy/envoy:v1.29', essential: true },
  ],
};

describe('cloneForImage', () => {
  const input = cloneForImage(
    current,
    [
      { key: 'team', value: 'web' },
      { key: 'aws:cloudformation:stack-name', value: 's' },
      { key: DIGEST_TAG, value: 'old' },
      { key: CLONED_FROM_TAG, value: 'web:6' },
    ],
    'web',
    image,
  );

  it('strips every read-only field and keeps the rest', () => {
    for (const f of READ_ONLY_FIELDS) expect(input).not.toHaveProperty(f);
    expect(input).toMatchObject({
      family: 'web',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      taskRoleArn: current.taskRoleArn,
    });
  });

  it('replaces only the target container image, by digest', () => {
    expect(input.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
      ['web', image.uri],
      ['envoy', 'public.ecr.aws/envoy/envoy:v1.29'],
    ]);
    expect(input.containerDefinitions?.[0]?.environment).toEqual([{ name: 'A', value: '1' }]);
  });

  it('copies tags except reserved aws: ones, and records the digest, the tag and the revision cloned', () => {
    expect(input.tags).toEqual([
      { key: 'team', value: 'web' },
      { key: DIGEST_TAG, value: image.digest },
      { key: 'ecs-autopilot:image', value: 'web:v2' },
      { key: 'ecs-autopilot:cloned-from', value: 'web:7' },
    ]);
  });

  it('does not modify the task definition it was given', () => {
    expect(current.containerDefinitions?.[0]?.image).toBe('old');
    expect(current.revision).toBe(7);
  });

  it('asks which container when there are several and none is named, and names a missing one', () => {
    expect(() => cloneForImage(current, [], undefined, image)).toThrow(RevisionError);
    expect(() => cloneForImage(current, [], undefined, image)).toThrow(
      /has 2 containers \(web, envoy\); set "container"/,
    );
    expect(() => cloneForImage(current, [], 'api', image)).toThrow(
      /has no container "api" \(it has web, envoy\)/,
    );
  });

  it("refuses to pass the 50-tag limit, counting the pipeline's 3 tags", () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(cloneForImage(current, tags(47), 'web', image).tags).toHaveLength(50);
    expect(() => cloneForImage(current, tags(48), 'web', image)).toThrow(
      /has 48 tags; with the pipeline's 3 that passes the limit of 50/,
    );
  });
});

describe('what a clone of a revision is (lib/observe.ts findRevisionByDigest)', () => {
  const registered = (input: ReturnType<typeof cloneForImage>, revision: number): TaskDefinition => ({
    ...(input as TaskDefinition),
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`,
    revision,
    status: 'ACTIVE',
  });
  const clone = registered(cloneForImage(current, [], 'web', image), 8);

  it('a clone runs the image in its target container, by digest or by the very URI', () => {
    expect(runsImage(clone, 'web', image)).toBe(true);
    expect(runsImage(clone, 'web', { ...image, uri: 'elsewhere/web:v2' })).toBe(true);
    expect(runsImage(clone, 'envoy', image)).toBe(false);
    expect(runsImage(clone, undefined, image)).toBe(false);
    expect(runsImage(current, 'web', image)).toBe(false);
  });

  it('is its source apart from the image; not another revision with a sidecar more or a bigger task', () => {
    expect(sameApartFromImage(clone, current, 'web')).toBe(true);
    const smaller = { ...current, cpu: '512' };
    expect(sameApartFromImage(clone, smaller, 'web')).toBe(false);
    const alone = { ...current, containerDefinitions: [current.containerDefinitions![0]!] };
    expect(sameApartFromImage(clone, alone, 'web')).toBe(false);
    expect(
      sameApartFromImage(registered(cloneForImage(alone, [], undefined, image), 9), alone, undefined),
    ).toBe(true);
  });

  it('compares definitions whatever order their fields came in', () => {
    const reordered = Object.fromEntries(Object.entries(current).reverse()) as TaskDefinition;
    expect(sameApartFromImage(clone, reordered, 'web')).toBe(true);
  });
});

describe('revision names', () => {
  it.each([
    ['arn:aws:ecs:us-east-1:1:task-definition/web:7', 'web:7', 'web'],
    ['web:12', 'web:12', 'web'],
    ['web', 'web', 'web'],
  ])('%s -> %s, family %s', (arn, short, family) => {
    expect(shortRevision(arn)).toBe(short);
    expect(familyOf(arn)).toBe(family);
  });
});
