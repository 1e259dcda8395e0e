/**
 * A rollout whose service is gone from under it: the primary was deleted, or the target was taken
 * out of autopilot.yml while the rollout ran. Nothing can be rolled forward or back any more, but
 * the canary must not keep serving (and costing), and the record must not keep a rollout open that
 * no command can close. So: the canary is scaled to 0 and deleted, the rollout is closed in history
 * with the reason, and a person is told.
 *
 * The canary goes first, then the record: a retry after a failure in between finds no canary
 * (DescribeServices says MISSING or INACTIVE) and closes the record. ECS: DeleteService of a
 * service scaled above 0 needs `force` or a desiredCount of 0 first (API Reference, DeleteService);
 * scaling to 0 first lets its tasks drain from the target group as in any scale-in.
 */
import { DeleteServiceCommand, DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Clients } from './aws.ts';
import { canaryServiceName } from './canary-service.ts';
import { log } from './log.ts';
import type { Notice } from './notice.ts';
import { type ServiceRecord, summarize, withHistory } from './record.ts';

export interface Retired {
  record: ServiceRecord;
  notices: Notice[];
}

/** Reasons, in a person's words. */
export const primaryDeleted = (key: string) =>
  `the primary service ${key} no longer exists (deleted or INACTIVE): the rollout was closed and its canary scaled to 0 and deleted`;
export const targetRemoved = (key: string) =>
  `${key} was taken out of autopilot.yml during the rollout: the rollout was closed and its canary scaled to 0 and deleted`;

/** Scales the canary of `cluster/service` to 0 and deletes it; nothing when it is already gone. */
export async function retireCanary(clients: Clients, cluster: string, service: string): Promise<boolean> {
  const name = canaryServiceName(service);
  const described = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const canary = described.services?.find((s) => s.serviceName === name && s.status === 'ACTIVE');
  if (!canary) return false;
  if ((canary.desiredCount ?? 0) > 0) {
    await clients.ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 }));
  }
  await clients.ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true }));
  log.warn('canary.retired', { service: `${cluster}/${service}`, canary: name });
  return true;
}

/** The record with its rollout closed for `reason`, and the notice that tells it. */
export function closeRollout(record: ServiceRecord, reason: string, now: number): Retired {
  const rollout = record.rollout;
  if (!rollout) return { record, notices: [] };
  const closed = withHistory({ ...record, rollout: undefined }, summarize(rollout, 'aborted', reason, now));
  return {
    record: closed,
    notices: [
      {
        kind: 'rolled_back',
        rollout,
        reason,
        failures: [],
        toTaskDefinition: rollout.fromTaskDefinition,
      },
    ],
  };
}
