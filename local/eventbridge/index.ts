/** The local EventBridge (issue 2). Owned by the ECR/EventBridge work. */
import type { AwsEvent, LocalService } from '../service.ts';
import type { World } from '../world.ts';

export class LocalEventBridge implements LocalService {
  readonly name = 'events';
  readonly target = 'AWSEvents';
  readonly protocol = 'json1.1' as const;
  readonly operations: Record<string, (input: any) => unknown> = {};
  constructor(readonly world: World) {}
  put(event: AwsEvent): void {
    this.world.logEvent(event);
  }
  async drain(): Promise<number> {
    return 0;
  }
}
