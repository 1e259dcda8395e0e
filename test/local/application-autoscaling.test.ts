import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  ObjectNotFoundException,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import { beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig, sharedWorld } from '../helpers/world.ts';

describe('local Application Auto Scaling', () => {
  const t = sharedWorld();
  let aas: ApplicationAutoScalingClient;
  beforeAll(() => {
    aas = new ApplicationAutoScalingClient(localClientConfig(t.endpoint));
  });
  const target = {
    ServiceNamespace: 'ecs' as const,
    ResourceId: 'service/prod/web',
    ScalableDimension: 'ecs:service:DesiredCount' as const,
  };

  it('registers, describes by resource id, and deregisters a scalable target', async () => {
    const out = await aas.send(
      new RegisterScalableTargetCommand({ ...target, MinCapacity: 2, MaxCapacity: 10 }),
    );
    expect(out.ScalableTargetARN).toMatch(
      /^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\//,
    );
    const found = await aas.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: ['service/prod/web'] }),
    );
    expect(found.ScalableTargets).toMatchObject([
      { ResourceId: 'service/prod/web', MinCapacity: 2, MaxCapacity: 10 },
    ]);
    expect(found.ScalableTargets?.[0]?.CreationTime).toBeInstanceOf(Date);
    const other = await aas.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: ['service/prod/api'] }),
    );
    expect(other.ScalableTargets).toEqual([]);
    await aas.send(new DeregisterScalableTargetCommand(target));
    await expect(aas.send(new DeregisterScalableTargetCommand(target))).rejects.toBeInstanceOf(
      ObjectNotFoundException,
    );
  });

  it('validates as AWS does', async () => {
    await expect(aas.send(new RegisterScalableTargetCommand(target))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(
      aas.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 5, MaxCapacity: 1 })),
    ).rejects.toThrow(/greater than maximum/);
  });
});
