/**
 * Item 6, the local world's own speed: 100 services of 10 tasks behind their target groups (load,
 * metrics every minute), created at the start of one virtual hour and run to its end in the
 * default 1 s steps; once steady, and once with a rolling update of every service at minutes 10
 * and 40 (2 × 1,000 tasks replaced). No pipeline: the world alone.
 */
import { benchWorld, MIN, registerRevision } from './world.ts';

export interface WorldSpeed {
  services: number;
  tasksPerService: number;
  virtualSeconds: number;
  realSeconds: number;
  virtualPerReal: number;
  events: number;
}

export async function worldSpeed(withDeployments: boolean): Promise<WorldSpeed> {
  const services = 100;
  const tasks = 10;
  const real0 = performance.now();
  const b = await benchWorld({
    seed: 'speed',
    services,
    desiredCount: tasks,
    load: 50,
    settleMs: 0,
    images: { 'web:v2': 'healthy' },
  });
  try {
    const { world } = b;
    const t0 = world.now();
    const deployAt = withDeployments ? [10 * MIN, 40 * MIN] : [];
    world.ecr.push('web', 'v2');
    for (const at of deployAt) {
      await world.runUntil(t0 + at);
      for (const s of b.services) {
        const rev = await registerRevision(world, 'v2', false, s.name);
        await world.ecs.operations.UpdateService!({ cluster: 'prod', service: s.name, taskDefinition: rev });
      }
    }
    await world.runUntil(t0 + 60 * MIN);
    const realSeconds = (performance.now() - real0) / 1000;
    return {
      services,
      tasksPerService: tasks,
      virtualSeconds: 3600,
      realSeconds,
      virtualPerReal: 3600 / realSeconds,
      events: world.eventLog.length,
    };
  } finally {
    await b.stop();
  }
}
