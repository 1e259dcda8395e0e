/**
 * Image behaviours (local/core/images.ts): the scenario syntax, its mistakes, and images that turn
 * bad later, run by the local ECS behind its health checks.
 */
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { expect, describe as group, it } from 'vitest';
import { errorShareAt, parseImageBehaviour } from '../../local/core/images.ts';
import { runUntil } from '../helpers/world.ts';
import { createService, describe, pushImage, registerFargate, useWorld } from './ecs-fixtures.ts';

const world = useWorld();

group('parse', () => {
  it.each([
    [{ crash: { afterr: '20s' } }, 'crash.afterr: unknown field; expected after or exitCode'],
    [{ unhealthy: { afer: '2m' } }, 'unhealthy.afer: unknown field; expected after'],
    [{ unhealthy: {} }, 'unhealthy.after: required'],
    [{ errors: { rate: 2 } }, 'errors.rate: must be a share between 0 and 1'],
    [{ errors: { rate: 0.3, when: '5m' } }, 'errors.when: unknown field; expected rate or after'],
  ])('%j is refused: %s', (value, message) => {
    expect(() => parseImageBehaviour(value)).toThrow(message);
  });

  it('reads images that turn bad later', () => {
    expect(parseImageBehaviour({ unhealthy: { after: '2m' } })).toMatchObject({
      unhealthy: true,
      unhealthyAfterSeconds: 120,
    });
    expect(parseImageBehaviour({ errors: { rate: 0.3, after: '5m' } })).toMatchObject({
      errorRate: 0.3,
      errorsAfterSeconds: 300,
    });
  });

  const MIN = 60_000;
  it.each([
    [{ errors: 0.25 }, 0, 0.25],
    [{ errors: { rate: 0.3, after: '5m' } }, 4 * MIN, 0],
    [{ errors: { rate: 0.3, after: '5m' } }, 5 * MIN, 0.3],
    [{ unhealthy: { after: '2m' } }, 1 * MIN, 0],
    [{ unhealthy: { after: '2m' } }, 3 * MIN, 1],
  ])('errorShareAt(%j, %i ms) = %f', (value, since, share) => {
    expect(errorShareAt(parseImageBehaviour(value), since)).toBe(share);
  });
});

group('an image that turns unhealthy later', () => {
  it('passes its health checks, completes its deployment, then fails them and is replaced', async () => {
    const tw = await world();
    const image = pushImage(tw.world, 'web', 'v1', { unhealthy: { after: '2m' } });
    const td = await registerFargate(tw.ecs, 'web', image, {
      healthCheck: { command: ['CMD-SHELL', 'true'], interval: 10, timeout: 5, retries: 3, startPeriod: 0 },
    });
    const start = tw.world.now();
    await createService(tw.ecs, { serviceName: 'web', taskDefinition: td, desiredCount: 1 });
    await runUntil(
      tw.world,
      async () => (await describe(tw.ecs, 'web')).deployments![0]!.rolloutState === 'COMPLETED',
      5 * 60_000,
    );
    // Completed before the image turned bad: it was healthy first.
    expect(tw.world.now() - start).toBeLessThan(2 * 60_000);
    const stopped = async () => {
      const arns = await tw.ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'STOPPED' }));
      if (!arns.taskArns?.length) return [];
      return (await tw.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns.taskArns }))).tasks!;
    };
    expect(await stopped()).toEqual([]);
    await runUntil(tw.world, async () => (await stopped()).length > 0, 10 * 60_000);
    const [task] = await stopped();
    expect(task!.stoppedReason).toBe('Task failed container health checks');
    expect(tw.world.now() - start).toBeGreaterThan(2 * 60_000);
  });
});
