import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  cloneForImage,
  DIGEST_TAG,
  familyOf,
  READ_ONLY_FIELDS,
  RevisionError,
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

  it('copies tags except reserved aws: ones, and records the digest and the tag', () => {
    expect(input.tags).toEqual([
      { key: 'team', value: 'web' },
      { key: DIGEST_TAG, value: image.digest },
      { key: 'ecs-autopilot:image', value: 'web:v2' },
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

  it('refuses to pass the 50-tag limit', () => {
    const tags = Array.from({ length: 49 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(() => cloneForImage(current, tags, 'web', image)).toThrow(/limit of 50/);
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
