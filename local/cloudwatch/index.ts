/** The local CloudWatch (issue 2). Owned by the CloudWatch work: replace the bodies, keep the contract. */
import type { LocalService } from '../service.ts';
import type { World } from '../world.ts';

/** A datapoint recorded in-process (by the local ECS and load balancer), as PutMetricData would store it. */
export interface Datum {
  metricName: string;
  dimensions: Record<string, string>;
  value: number;
  /** ms since the epoch, virtual */
  timestamp: number;
  unit?: string;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export class LocalCloudWatch implements LocalService {
  readonly name = 'cloudwatch';
  readonly target = 'GraniteServiceVersion20100801';
  readonly protocol = 'json1.0' as const;
  readonly queryCompatible = true;
  readonly operations: Record<string, (input: any) => unknown> = {};
  constructor(readonly world: World) {}

  /** Stores datapoints without an API call (the local ECS publishes AWS/ECS and AWS/ApplicationELB metrics). */
  record(_namespace: string, _data: Datum[]): void {}

  /** The current state of an alarm, or undefined if there is no such alarm. */
  alarmState(_name: string): AlarmStateValue | undefined {
    return undefined;
  }
}
