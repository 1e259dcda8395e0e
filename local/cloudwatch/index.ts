/** The local CloudWatch (issue 2). Owned by the CloudWatch work. */
import type { LocalService } from '../service.ts';
import type { World } from '../world.ts';

export class LocalCloudWatch implements LocalService {
  readonly name = 'cloudwatch';
  readonly target = 'GraniteServiceVersion20100801';
  readonly protocol = 'json1.0' as const;
  readonly queryCompatible = true;
  readonly operations: Record<string, (input: any) => unknown> = {};
  constructor(readonly world: World) {}
}
