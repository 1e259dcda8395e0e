/**
 * A stranger's scenario (scenarios/wakeups/lost-pushes-one-repository.yml): with a sweep of 45m,
 * ECR loses the event of a push made 20 minutes after the deploy, before the first sweep. The
 * sweep's first look at the repository starts from the deploy, so it finds the push for both
 * services the repository feeds; a later push whose event arrives supersedes it at once.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../local/scenario/run.ts';
import { loadWithFaults } from '../../local/scenario/sim-pipeline.ts';

type Rollout = { service: string; image: string; outcome: string; startedAt: string };

const FILE = 'scenarios/wakeups/lost-pushes-one-repository.yml';

describe('a push whose event was lost before the first sweep', () => {
  it('is found by the first sweep for every service of the repository, then superseded by the next push', async () => {
    const { scenario, onWorld, latency } = loadWithFaults(FILE);
    const { report, world } = await runScenario(scenario, {
      onWorld,
      ...(latency !== undefined && { latency }),
    });
    const rollouts = report.rollouts as Rollout[];
    const faults = (report as unknown as { faults: { fault: string }[] }).faults;
    expect(faults.map((f) => f.fault)).toEqual(['event.drop']);
    for (const service of ['prod/front', 'prod/back']) {
      const v2 = rollouts.find((r) => r.service === service && r.image === 'shop:v2');
      const v3 = rollouts.find((r) => r.service === service && r.image === 'shop:v3');
      // At the first sweep (45m), not before: nothing else could have told of it.
      expect(v2?.startedAt).toBe('2026-01-01T00:45:00.000Z');
      expect(v2?.outcome).toBe('superseded');
      expect(v3?.outcome).toBe('succeeded');
    }
    const v3 = world.ecr.images('shop').at(-1)!.digest;
    for (const name of ['front', 'back'])
      expect(report.services.find((s) => s.name === name)?.containers[0]?.image).toMatch(
        new RegExp(`@${v3}$`),
      );
    expect(report.violations).toEqual([]);
  }, 240_000);
});
