/**
 * What other clients (the AWS CLI, SDK v2, docker login) ask of the local AWS: request ids on every
 * answer, ECR authorization tokens, container instances' built-in attributes, a cluster's capacity
 * providers, and `autopilot local --start`.
 */
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ClientException,
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  DeleteAttributesCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  InvalidParameterException,
  ListAttributesCommand,
  ListContainerInstancesCommand,
  PutAttributesCommand,
  PutClusterCapacityProvidersCommand,
  UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../local/core/errors.ts';
import { startOption } from '../../local/scenario/local.ts';
import { sharedWorld } from '../helpers/world.ts';

const t = sharedWorld();

describe('every answer', () => {
  it('carries x-amzn-RequestId, which the SDK reads as $metadata.requestId, different each time', async () => {
    const a = await t.ecs.send(new DescribeClustersCommand({}));
    const b = await t.ecs.send(new DescribeClustersCommand({}));
    expect(a.$metadata.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.$metadata.requestId).not.toBe(a.$metadata.requestId);
  });
});

describe('ECR GetAuthorizationToken', () => {
  it('answers AWS:<password> in base64, valid 12 hours, for the registry endpoint', async () => {
    const out = await t.ecr.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData![0]!;
    expect(Buffer.from(data.authorizationToken!, 'base64').toString('utf8')).toMatch(/^AWS:.+/);
    expect(data.expiresAt!.getTime() - t.world.now()).toBe(12 * 3_600_000);
    expect(data.proxyEndpoint).toBe(`https://${t.world.ecr.registryHost}`);
  });
});

describe('ECS clusters and container instances', () => {
  it('keeps a cluster capacity providers and default strategy', async () => {
    const created = await t.ecs.send(
      new CreateClusterCommand({
        clusterName: 'cp',
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
      }),
    );
    expect(created.cluster?.capacityProviders).toEqual(['FARGATE', 'FARGATE_SPOT']);
    await t.ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'cp',
        capacityProviders: ['FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      }),
    );
    const described = await t.ecs.send(new DescribeClustersCommand({ clusters: ['cp'] }));
    expect(described.clusters![0]).toMatchObject({
      capacityProviders: ['FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    });
    const err = await t.ecs
      .send(
        new PutClusterCapacityProvidersCommand({
          cluster: 'cp',
          capacityProviders: [],
          defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE' }],
        }),
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(InvalidParameterException);
  });

  it('describes the capacity providers: FARGATE and FARGATE_SPOT built in, and those created', async () => {
    const builtIn = await t.ecs.send(new DescribeCapacityProvidersCommand({}));
    expect(builtIn.capacityProviders?.map((p) => [p.name, p.status, p.type])).toEqual([
      ['FARGATE', 'ACTIVE', 'FARGATE'],
      ['FARGATE_SPOT', 'ACTIVE', 'FARGATE_SPOT'],
    ]);
    const asg = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/ec2-asg';
    const created = await t.ecs.send(
      new CreateCapacityProviderCommand({
        name: 'ec2-asg',
        autoScalingGroupProvider: { autoScalingGroupArn: asg },
        tags: [{ key: 'team', value: 'web' }],
      }),
    );
    expect(created.capacityProvider).toMatchObject({
      name: 'ec2-asg',
      type: 'EC2_AUTOSCALING',
      capacityProviderArn: t.world.arn('ecs', 'capacity-provider/ec2-asg'),
      autoScalingGroupProvider: { autoScalingGroupArn: asg, managedTerminationProtection: 'DISABLED' },
    });
    const again = t.ecs.send(
      new CreateCapacityProviderCommand({
        name: 'ec2-asg',
        autoScalingGroupProvider: { autoScalingGroupArn: asg },
      }),
    );
    await expect(again).rejects.toBeInstanceOf(ClientException);
    await expect(
      t.ecs.send(
        new CreateCapacityProviderCommand({
          name: 'fargate-x',
          autoScalingGroupProvider: { autoScalingGroupArn: asg },
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);

    const named = await t.ecs.send(
      new DescribeCapacityProvidersCommand({ capacityProviders: ['ec2-asg', 'nope'], include: ['TAGS'] }),
    );
    expect(named.capacityProviders?.map((p) => [p.name, p.tags])).toEqual([
      ['ec2-asg', [{ key: 'team', value: 'web' }]],
    ]);
    expect(named.failures).toEqual([
      { arn: t.world.arn('ecs', 'capacity-provider/nope'), reason: 'MISSING' },
    ]);
    const page = await t.ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 2 }));
    expect(page.capacityProviders?.map((p) => p.name)).toEqual(['ec2-asg', 'FARGATE']);
    const rest = await t.ecs.send(
      new DescribeCapacityProvidersCommand({ maxResults: 2, nextToken: page.nextToken }),
    );
    expect(rest.capacityProviders?.map((p) => p.name)).toEqual(['FARGATE_SPOT']);

    // A cluster takes a provider that exists, and only that.
    await t.ecs.send(
      new CreateClusterCommand({ clusterName: 'mixed', capacityProviders: ['ec2-asg', 'FARGATE'] }),
    );
    await expect(
      t.ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster: 'mixed',
          capacityProviders: ['nope'],
          defaultCapacityProviderStrategy: [],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('updates a cluster setting (containerInsights) and refuses any other', async () => {
    await t.ecs.send(new CreateClusterCommand({ clusterName: 'insights' }));
    const out = await t.ecs.send(
      new UpdateClusterSettingsCommand({
        cluster: 'insights',
        settings: [{ name: 'containerInsights', value: 'enhanced' }],
      }),
    );
    expect(out.cluster?.settings).toEqual([{ name: 'containerInsights', value: 'enhanced' }]);
    await expect(
      t.ecs.send(
        new UpdateClusterSettingsCommand({
          cluster: 'insights',
          settings: [{ name: 'other' as never, value: 'x' }],
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('shows the built-in attributes of a container instance beside its own', async () => {
    await t.ecs.send(new CreateClusterCommand({ clusterName: 'ec2' }));
    t.world.ecs.registerContainerInstance('ec2', {
      instanceType: 'm7g.large',
      cpu: 2048,
      memory: 8192,
      availabilityZone: 'us-east-1b',
      attributes: { team: 'web' },
    });
    const arns = await t.ecs.send(new ListContainerInstancesCommand({ cluster: 'ec2' }));
    const out = await t.ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'ec2',
        containerInstances: arns.containerInstanceArns,
      }),
    );
    const attributes = Object.fromEntries(
      out.containerInstances![0]!.attributes!.map((a) => [a.name, a.value]),
    );
    expect(attributes).toMatchObject({
      'ecs.availability-zone': 'us-east-1b',
      'ecs.instance-type': 'm7g.large',
      'ecs.os-type': 'linux',
      'ecs.cpu-architecture': 'arm64',
      team: 'web',
    });
    expect('com.amazonaws.ecs.capability.ecr-auth' in attributes).toBe(true);
  });
});

describe('ECS attributes: PutAttributes, ListAttributes, DeleteAttributes', () => {
  it('sets custom attributes on a container instance, lists them beside the built-in ones, and keeps to 10', async () => {
    await t.ecs.send(new CreateClusterCommand({ clusterName: 'attrs' }));
    const arn = t.world.ecs.registerContainerInstance('attrs', {
      instanceType: 'm7g.large',
      cpu: 2048,
      memory: 8192,
      availabilityZone: 'us-east-1c',
    });
    const id = arn.split('/').at(-1)!;
    await t.ecs.send(
      new PutAttributesCommand({
        cluster: 'attrs',
        attributes: [{ name: 'stack', value: 'prod', targetType: 'container-instance', targetId: id }],
      }),
    );
    const stack = await t.ecs.send(
      new ListAttributesCommand({
        cluster: 'attrs',
        targetType: 'container-instance',
        attributeName: 'stack',
      }),
    );
    expect(stack.attributes).toEqual([
      { name: 'stack', value: 'prod', targetType: 'container-instance', targetId: arn },
    ]);
    const zone = await t.ecs.send(
      new ListAttributesCommand({
        cluster: 'attrs',
        targetType: 'container-instance',
        attributeName: 'ecs.availability-zone',
        attributeValue: 'us-east-1c',
      }),
    );
    expect(zone.attributes?.map((a) => a.targetId)).toEqual([arn]);

    const ten = Array.from({ length: 10 }, (_, i) => ({ name: `a${i}`, value: 'x', targetId: arn }));
    await expect(
      t.ecs.send(new PutAttributesCommand({ cluster: 'attrs', attributes: ten })),
    ).rejects.toMatchObject({
      name: 'AttributeLimitExceededException',
    });
    await t.ecs.send(
      new DeleteAttributesCommand({ cluster: 'attrs', attributes: [{ name: 'stack', targetId: arn }] }),
    );
    const gone = await t.ecs.send(
      new ListAttributesCommand({
        cluster: 'attrs',
        targetType: 'container-instance',
        attributeName: 'stack',
      }),
    );
    expect(gone.attributes).toEqual([]);
    await expect(
      t.ecs.send(
        new PutAttributesCommand({ cluster: 'attrs', attributes: [{ name: 'x', targetId: 'nope' }] }),
      ),
    ).rejects.toMatchObject({ name: 'TargetNotFoundException' });
  });
});

describe('autopilot local --start', () => {
  it.each([
    [undefined, undefined],
    ['now', 1764900000000],
    ['2026-03-01T12:00:00Z', 1772366400000],
  ])('--start %s → %s', (value, want) => {
    expect(startOption(value, 1764900000123)).toBe(want);
  });

  it('refuses anything else', () => {
    expect(() => startOption('yesterday', 0)).toThrow(UsageError);
  });
});
