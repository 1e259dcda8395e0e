/** The local ECR (issue 2). Owned by the ECR/EventBridge work: replace the bodies, keep the contract. */
import type { ImageBehaviour } from './images.ts';
import type { LocalService } from './service.ts';
import type { World } from './world.ts';

export interface ResolvedImage {
  repository: string;
  /** The tag the URI named, if it named one. */
  tag?: string;
  digest: string;
  behaviour: ImageBehaviour;
}

export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` */
  uri: string;
}

export class LocalEcr implements LocalService {
  readonly name = 'ecr';
  readonly target = 'AmazonEC2ContainerRegistry_V20150921';
  readonly protocol = 'json1.1' as const;
  readonly operations: Record<string, (input: any) => unknown> = {};
  constructor(readonly world: World) {}

  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  get registryHost(): string {
    return `${this.world.account}.dkr.ecr.${this.world.region}.amazonaws.com`;
  }

  /** Creates the repository if it does not exist (in-process set-up; no API call counted). */
  createRepository(_name: string): void {}

  /**
   * Pushes `repository:tag` as `docker push` would: a new digest (creating the repository if needed),
   * the tag moved to it, the behaviour from `world.images` bound to the digest, and an
   * `ECR Image Action` event (PUSH, SUCCESS) on the bus.
   */
  push(_repository: string, _tag: string): PushedImage {
    throw new Error('unavailable');
  }

  /** What an image URI (by tag or by digest) runs as; undefined when the registry has no such image. */
  resolve(_uri: string): ResolvedImage | undefined {
    return undefined;
  }
}
