/**
 * The canary service: a sibling of the primary in the same cluster, named after it. Its name is
 * pure, so the config can refuse a target whose name would collide with another target's canary;
 * its CreateService input is built from the primary as ECS describes it.
 */
import { createHash } from 'node:crypto';
import type { CreateServiceCommandInput, Service } from '@aws-sdk/client-ecs';
import type { SiblingSettings } from './canary-sibling.ts';

/** Where the primary runs; a TargetConfig is one (not imported: lib/config.ts imports this file). */
export interface PrimaryRef {
  cluster: string;
  service: string;
}

export const CANARY_SUFFIX = '-canary';

export function canaryServiceName(service: string): string {
  return `${service}${CANARY_SUFFIX}`;
}

/**
 * The primary a service name belongs to, and which of its two services it is: the inverse of
 * canaryServiceName.
 *   'web'        -> { primary: 'web', of: 'primary' }
 *   'web-canary' -> { primary: 'web', of: 'canary' }
 */
export function serviceOf(name: string): { primary: string; of: 'primary' | 'canary' } {
  return name.endsWith(CANARY_SUFFIX)
    ? { primary: name.slice(0, -CANARY_SUFFIX.length), of: 'canary' }
    : { primary: name, of: 'primary' };
}

/**
 * The canary is a sibling of the primary: same cluster, network, load balancer target groups,
 * capacity, placement, Cloud Map registries, Service Connect (as a client), volumes and tags, so it
 * takes its share of the primary's traffic (`sibling`: lib/canary-sibling.ts). Its own circuit
 * breaker is off: the pipeline watches it, faster.
 */
export function canaryServiceInput(
  target: PrimaryRef,
  primary: Service,
  taskDefinition: string,
  desiredCount: number,
  sibling: SiblingSettings,
): CreateServiceCommandInput {
  const serviceName = canaryServiceName(target.service);
  const tags = (primary.tags ?? []).filter(
    (t) => t.key && !t.key.startsWith('aws:') && !t.key.startsWith('ecs-autopilot:'),
  );
  return {
    cluster: target.cluster,
    serviceName,
    taskDefinition,
    desiredCount,
    // Same token for the same canary and revision: a retried create returns the service instead of a second one.
    clientToken: createHash('sha256')
      .update(`${target.cluster}/${serviceName}/${taskDefinition}`)
      .digest('hex')
      .slice(0, 32),
    ...sibling,
    ...(sibling.serviceRegistries.length === 0 && { serviceRegistries: undefined }),
    ...(sibling.volumeConfigurations.length === 0 && { volumeConfigurations: undefined }),
    healthCheckGracePeriodSeconds: primary.healthCheckGracePeriodSeconds,
    enableECSManagedTags: primary.enableECSManagedTags,
    propagateTags: primary.propagateTags,
    enableExecuteCommand: primary.enableExecuteCommand,
    schedulingStrategy: 'REPLICA',
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    },
    tags: [
      ...tags,
      { key: 'ecs-autopilot:role', value: 'canary' },
      { key: 'ecs-autopilot:primary', value: target.service },
    ],
  };
}
