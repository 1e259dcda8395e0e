/**
 * Validation the local ECS does as ECS does: essential containers, awsvpc port mappings, vCPU/GB
 * sizes, Fargate placement, and JSON members of the wrong type (SerializationException), through the
 * real SDK and, for wrong types the SDK would not send, a raw signed HTTP request.
 */
import {
  ClientException,
  CreateServiceCommand,
  DescribeTaskDefinitionCommand,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { expect, describe as group, it } from 'vitest';
import { jsonTypeProblem } from '../../local/services/ecs/input-types.ts';
import { sharedWorld } from '../helpers/world.ts';
import { NETWORK, pushImage, registerFargate, startEcsWorld } from './ecs-fixtures.ts';
import { signedPost } from './signed-request.ts';

const t = sharedWorld(startEcsWorld);

const register = (input: Record<string, unknown>) =>
  t.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'nginx', portMappings: [{ containerPort: 8080 }] }],
      ...input,
    } as any),
  );

group('task definitions', () => {
  it.each([
    [
      'no essential container',
      { name: 'app', image: 'nginx', essential: false },
      'at least one essential container',
    ],
    [
      'awsvpc port mappings whose host and container ports differ',
      { name: 'app', image: 'nginx', portMappings: [{ containerPort: 8080, hostPort: 80 }] },
      'host ports and container ports in port mappings must match',
    ],
  ])('refuses a task definition with %s', async (_, container, message) => {
    const err = await register({ containerDefinitions: [container] }).catch((e) => e);
    expect(err).toBeInstanceOf(ClientException);
    expect(err.message).toContain(message);
  });

  it('rewrites hostPort 0 to the container port in awsvpc', async () => {
    const out = await register({
      containerDefinitions: [
        { name: 'app', image: 'nginx', portMappings: [{ containerPort: 8080, hostPort: 0 }] },
      ],
    });
    expect(out.taskDefinition!.containerDefinitions![0]!.portMappings![0]!.hostPort).toBe(8080);
  });

  it('converts 0.25 vCPU and 0.5 GB to units', async () => {
    const out = await register({ cpu: '0.25 vCPU', memory: '0.5 GB' });
    const td = await t.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: out.taskDefinition!.taskDefinitionArn! }),
    );
    expect(td.taskDefinition!.cpu).toBe('256');
    expect(td.taskDefinition!.memory).toBe('512');
  });
});

group('services', () => {
  it('refuses placement strategies and constraints on Fargate', async () => {
    const td = await registerFargate(t.ecs, 'web', pushImage(t.world, 'web', 'v1'));
    const create = (extra: Record<string, unknown>) =>
      t.ecs
        .send(
          new CreateServiceCommand({
            cluster: 'prod',
            serviceName: `web-${Object.keys(extra)[0]}`,
            taskDefinition: td,
            desiredCount: 1,
            launchType: 'FARGATE',
            networkConfiguration: NETWORK,
            ...extra,
          }),
        )
        .catch((e) => e);
    const strategy = await create({
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    });
    expect(strategy).toBeInstanceOf(InvalidParameterException);
    expect(strategy.message).toContain('Placement strategies are not supported with FARGATE');
    const constraint = await create({ placementConstraints: [{ type: 'distinctInstance' }] });
    expect(constraint).toBeInstanceOf(InvalidParameterException);
    expect(constraint.message).toContain('Placement constraints are not supported with FARGATE');
  });
});

group('wrong JSON types', () => {
  it.each([
    [{ clusters: 'prod' }, 'STRING_VALUE can not be converted to a Collection'],
    [{ desiredCount: '2' }, 'STRING_VALUE can not be converted to an Integer'],
    [
      { deploymentConfiguration: { maximumPercent: true } },
      'BOOLEAN_VALUE can not be converted to an Integer',
    ],
    [{ clusters: ['prod'] }, undefined],
  ])('%j → %s', (input, want) => {
    expect(jsonTypeProblem(input)).toBe(want);
  });

  it('answers {"clusters":"prod"} with SerializationException (400), as AWS does', async () => {
    const res = await signedPost(
      t.endpoint,
      'ecs',
      t.world.region,
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeClusters',
      },
      JSON.stringify({ clusters: 'prod' }),
    );
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { __type: string };
    expect(answer.__type).toBe('SerializationException');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
