/**
 * Owners' settings are kept. `all-at-once` starts every new task before an old one stops, by
 * setting the primary's deploymentConfiguration to 200 % / 100 % for its UpdateService; ECS keeps
 * what UpdateService sets (API Reference, UpdateService: "deploymentConfiguration … applies to the
 * service", not to one deployment), so a service its owner set to 50 / 100 stayed at 100 / 200 for
 * good. The owner's configuration is saved in the record (committed before the change) and put back
 * once the rollout has ended and the primary has one deployment again.
 *
 *   owner's { minimumHealthyPercent: 50, maximumPercent: 100, circuit breaker on }
 *   all-at-once applies { minimumHealthyPercent: 100, maximumPercent: 200, circuit breaker on }
 *   rollout ends (succeeded or rolled back), primary steady -> UpdateService back to 50 / 100
 */
import type { DeploymentConfiguration } from '@aws-sdk/client-ecs';
import type { ServiceRecord } from './record.ts';

/**
 * The configuration all-at-once applies: the owner's, with every new task started before an old one
 * stops (other fields, such as the circuit breaker and alarms, kept).
 *   { min 50, max 100, breaker on } -> { min 100, max 200, breaker on }
 */
export function allAtOnceConfiguration(owner: DeploymentConfiguration | undefined): DeploymentConfiguration {
  return { ...owner, maximumPercent: 200, minimumHealthyPercent: 100 };
}

/**
 * The record with the owner's settings saved, unless already saved (a retried action must not save
 * the pipeline's own 200 / 100 as the owner's).
 */
export function withOwnerSettings(
  record: ServiceRecord,
  owner: DeploymentConfiguration | undefined,
  rolloutId: string,
  now: number,
): ServiceRecord {
  if (record.ownerSettings || !owner) return record;
  return { ...record, ownerSettings: { deploymentConfiguration: owner, rolloutId, savedAt: now } };
}

/**
 * Whether to put the owner's settings back now: saved, no rollout in progress, and the primary on
 * one deployment (a rollback in flight keeps all-at-once's room until it has finished), or a
 * rollback because the cluster had no room for the new tasks: all-at-once's 200 % / 100 % would hold
 * that rollback too (ECS can neither start the restored tasks nor stop the old ones), so the owner's
 * settings go back with it.
 *   saved, no rollout, 1 deployment                  -> true
 *   saved, rollout open                              -> false
 *   saved, no rollout, 2 deployments                 -> false
 *   saved, rolling back for want of room, 3 deployments -> true
 */
export function restoreDue(record: ServiceRecord, primaryDeployments: number): boolean {
  if (!record.ownerSettings) return false;
  if (record.rollout?.rollingBack?.capacity) return true;
  return !record.rollout && primaryDeployments <= 1;
}
