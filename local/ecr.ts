/** The local ECR (issue 2). Contract: see the helper brief; this file is owned by the ECR/EventBridge work. */
import type { ImageBehaviour } from './images.ts';
import type { LocalService } from './service.ts';
import type { World } from './world.ts';

export interface ResolvedImage {
  repository: string;
  tag?: string;
  digest: string;
  behaviour: ImageBehaviour;
}

export class LocalEcr implements LocalService {
  readonly name = 'ecr';
  readonly target = 'AmazonEC2ContainerRegistry_V20150921';
  readonly protocol = 'json1.1' as const;
  readonly operations: Record<string, (input: any) => unknown> = {};
  constructor(readonly world: World) {}
  resolve(_uri: string): ResolvedImage | undefined {
    return undefined;
  }
}
