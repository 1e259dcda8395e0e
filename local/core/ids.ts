/**
 * Deterministic identifiers: the same scenario yields the same task ARNs, event ids and digests,
 * so reports and failing property cases replay exactly.
 */
import { createHash } from 'node:crypto';

export class Ids {
  private counter = 0;
  constructor(private readonly seed = 'ecs-autopilot') {}

  /** 32 hex characters, like an ECS task id. */
  hex32(): string {
    return this.hash(String(this.counter++)).slice(0, 32);
  }

  /** A UUID-shaped id, like EventBridge event ids. */
  uuid(): string {
    const h = this.hash(String(this.counter++));
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }

  /** An image digest: sha256 of the inputs and a counter, so each push yields a new digest. */
  digest(...parts: string[]): string {
    return `sha256:${this.hash([...parts, String(this.counter++)].join('\0'))}`;
  }

  private hash(s: string): string {
    return createHash('sha256').update(this.seed).update('\0').update(s).digest('hex');
  }
}
