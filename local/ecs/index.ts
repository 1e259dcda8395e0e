/** The local ECS (issues 2 and 3). Owned by the ECS work. */
import type { LocalService } from '../service.ts';
import type { World } from '../world.ts';

export class LocalEcs implements LocalService {
  readonly name = 'ecs';
  readonly target = 'AmazonEC2ContainerServiceV20141113';
  readonly protocol = 'json1.1' as const;
  readonly operations: Record<string, (input: any) => unknown> = {};
  constructor(readonly world: World) {}
}
