/**
 * ECS's own strategies in the local ECS (local/services/ecs/native.ts), driven through the real SDK:
 * a new UpdateService during an in-flight CANARY deployment.
 */
import {
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { expect, describe as group, it } from 'vitest';
import { runUntil, type TestWorld } from '../helpers/world.ts';
import { createService, describe, pushImage, registerFargate, useWorld } from './ecs-fixtures.ts';

const world = useWorld();

/** `web` behind `web` (production) and `web-green` (alternate) under CANARY 10 % 5m, bake 2m, steady on v1. */
async function canaryService(tw: TestWorld): Promise<{ v1: string; v2: string; v3: string }> {
  const blue = tw.world.ecs.createTargetGroup({ name: 'web', deregistrationDelaySeconds: 10 });
  const green = tw.world.ecs.createTargetGroup({
    name: 'web-green',
    deregistrationDelaySeconds: 10,
    loadBalancerName: 'web-alb',
  });
  const rule = tw.world.ecs.elb
    .allRules()
    .find((r) => r.actions.some((a) => (a as { TargetGroupArn?: string }).TargetGroupArn === blue))!;
  const v1 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v1'));
  const v2 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v2'));
  const v3 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v3'));
  await createService(tw.ecs, {
    serviceName: 'web',
    taskDefinition: v1,
    desiredCount: 4,
    deploymentConfiguration: {
      strategy: 'CANARY',
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
      bakeTimeInMinutes: 2,
    },
    loadBalancers: [
      {
        targetGroupArn: blue,
        containerName: 'app',
        containerPort: 8080,
        advancedConfiguration: {
          alternateTargetGroupArn: green,
          productionListenerRule: rule.arn,
          roleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers',
        },
      },
    ],
  });
  await runUntil(
    tw.world,
    async () => {
      const s = await describe(tw.ecs, 'web');
      return s.deployments!.length === 1 && s.deployments![0]!.rolloutState === 'COMPLETED';
    },
    300_000,
  );
  return { v1, v2, v3 };
}

group('an UpdateService during an in-flight CANARY deployment', () => {
  it("names the new revision as the service's task definition, the one PRIMARY deployment's", async () => {
    const tw = await world();
    const { v1, v2, v3 } = await canaryService(tw);
    await tw.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: v2 }));
    // The canary's 10 % is on v2 and baking (ECS's canaryBakeTimeInMinutes).
    const v2Deployment = async () => {
      const listed = await tw.ecs.send(
        new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }),
      );
      const arn = listed.serviceDeployments![0]!.serviceDeploymentArn!;
      const out = await tw.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
      return out.serviceDeployments![0]!;
    };
    await runUntil(
      tw.world,
      async () => (await v2Deployment()).targetServiceRevision?.requestedProductionTrafficWeight === 10,
      600_000,
    );
    const baking = await v2Deployment();
    expect(baking).toMatchObject({ status: 'IN_PROGRESS', lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' });
    expect((await describe(tw.ecs, 'web')).taskDefinition).toBe(v2);

    // A person's deploy of v3 mid-bake: ECS starts a new deployment of v3; v2's is rolled back.
    const out = await tw.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: v3 }),
    );
    expect(out.service!.taskDefinition).toBe(v3);
    const s = await describe(tw.ecs, 'web');
    expect(s.taskDefinition).toBe(v3);
    expect(s.deployments![0]).toMatchObject({ status: 'PRIMARY', taskDefinition: v3 });
    expect(s.deployments!.find((d) => d.taskDefinition === v2)?.status).not.toBe('PRIMARY');

    // ECS carries on with v3 (the blue v1 still serving meanwhile) and the service ends on it.
    await runUntil(
      tw.world,
      async () => {
        const now = await describe(tw.ecs, 'web');
        return now.deployments!.length === 1 && now.deployments![0]!.rolloutState === 'COMPLETED';
      },
      1_800_000,
      async () => expect((await describe(tw.ecs, 'web')).taskDefinition).toBe(v3),
    );
    const end = await describe(tw.ecs, 'web');
    expect(end.taskDefinition).toBe(v3);
    expect(end.deployments![0]!.taskDefinition).toBe(v3);
    expect(end.deployments![0]!.taskDefinition).not.toBe(v1);
  }, 120_000);
});
