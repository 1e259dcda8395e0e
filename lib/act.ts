/**
 * Act: perform the actions `decide()` asks for on ECS. Every action is safe to repeat:
 * UpdateService to absolute values, CreateService with a clientToken (lib/canary-service.ts),
 * RegisterTaskDefinition only after looking for a revision already tagged with the digest.
 */
import {
  CreateServiceCommand,
  type DeploymentLifecycleHook,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { Clients } from './aws.ts';
import { canaryServiceInput, canaryServiceName } from './canary-service.ts';
import { alignCanary, isRefusal, type SiblingSettings, siblingSettings } from './canary-sibling.ts';
import type { TargetConfig } from './config.ts';
import type { Action } from './decide.ts';
import { type EcsStrategyFields, HOOK_STAGES } from './ecs-strategy.ts';
import { PermanentError } from './errors.ts';
import { createCanaryGroup, setRoutes } from './listener-routes.ts';
import { log } from './log.ts';
import {
  describeTaskDefinition,
  findRevisionByDigest,
  type TaskDefinitions,
  withHealthCheck,
} from './observe.ts';
import { allAtOnceConfiguration } from './owner-settings.ts';
import type { ServiceRecord } from './record.ts';
import { RefusedError } from './refusal.ts';
import { cloneForImage, familyOf, RevisionError } from './revision.ts';

/**
 * The pipeline's lifecycle hook (functions/lifecycle-hook.ts) and the role ECS assumes to invoke it
 * (lambda:InvokeFunction on the hook: serverless.yml EcsLifecycleHookRole), for the ecs-* strategies.
 */
export interface LifecycleHookSettings {
  hookTargetArn: string;
  roleArn: string;
}

/**
 * What the reconcile already knows that an action would otherwise ask ECS for again: the task
 * definitions it described (lib/observe.ts TaskDefinitions), and the canary as this round's look
 * showed it (only the lease holder acts on the canary, so between the look and the action, both
 * in one round, nothing else changes it; a round deciding on an older look leaves it out).
 */
export interface Known {
  taskDefinitions?: TaskDefinitions;
  canary?: Service | 'none';
}

/** What a registration taught: the revision registered for an image's digest. */
export interface Learned {
  revisionForDigest?: string;
  digest?: string;
}

/**
 * The revision a registration taught, for the rollout the record holds now: only if it is the
 * rollout of the image it was registered for. Between the registration and the next look another
 * invocation may have superseded the rollout (a newer push): taken for the newer image, the older
 * image's revision rolled out under the newer one's name (a fault schedule found it: v3 "succeeded"
 * with v2's revision).
 *   registered web:3 for A, rolling out A   -> web:3
 *   registered web:3 for A, rolling out B   -> none (B superseded A meanwhile)
 *   registered web:3 for A, no rollout      -> none
 *   nothing registered                      -> none
 */
export function learnedRevision(learned: Learned, record: ServiceRecord): { revisionForDigest?: string } {
  if (learned.revisionForDigest === undefined || learned.digest === undefined) return {};
  return record.rollout?.image.digest === learned.digest
    ? { revisionForDigest: learned.revisionForDigest }
    : {};
}

/**
 * Performs one action. Returns what was learned: a registered revision, whether it has a container
 * health check (read from RegisterTaskDefinition's answer, not asked again), and whether it was
 * registered just now (no task can run it yet) rather than found by its digest tag.
 */
export async function act(
  clients: Clients,
  target: TargetConfig,
  primary: Service,
  action: Action,
  hook?: LifecycleHookSettings,
  known: Known = {},
): Promise<{ revisionForDigest?: string; hasHealthCheck?: boolean; registeredAnew?: boolean }> {
  switch (action.type) {
    case 'registerRevision': {
      const tds = known.taskDefinitions ?? new Map();
      const existing = await findRevisionByDigest(
        clients,
        action.from,
        action.image,
        action.container,
        tds,
        action.seenBefore === true,
      );
      if (existing) return { revisionForDigest: existing };
      const current = await describeTaskDefinition(clients, action.from, tds);
      // The revision the service runs, as observed this round, is gone (deregistered and deleted
      // under it): asking again finds it no more, and only a person (pointing the service at a
      // revision that exists) can fix it, so it is told, not retried into the dead-letter queue.
      if (!current.taskDefinition) throw new RevisionError(`task definition ${action.from} was not found`);
      const input = cloneForImage(current.taskDefinition, current.tags, action.container, action.image);
      const out = await clients.ecs.send(new RegisterTaskDefinitionCommand(input));
      // The family's newest revision is now this one: a later look in the same reconcile (a lost
      // race decides again) finds it by its digest tag instead of registering another.
      if (out.taskDefinition) tds.set(familyOf(action.from), out);
      return {
        revisionForDigest: out.taskDefinition?.taskDefinitionArn,
        registeredAnew: out.taskDefinition?.taskDefinitionArn !== undefined,
        ...(out.taskDefinition && { hasHealthCheck: withHealthCheck(out.taskDefinition) }),
      };
    }
    case 'setCanary':
      await setCanary(
        clients,
        target,
        primary,
        action.taskDefinition,
        action.desiredCount,
        action.targetGroup,
        known.canary,
      );
      return {};
    case 'createCanaryGroup':
      await createCanaryGroup(clients, action.primaryGroup, action.name);
      return {};
    case 'setRoutes':
      await setRoutes(clients, action.routes);
      return {};
    case 'setPrimary':
      await updatePrimary(clients, target, {
        taskDefinition: action.taskDefinition,
        ...(action.allAtOnce && {
          deploymentConfiguration: allAtOnceConfiguration(primary.deploymentConfiguration),
        }),
        ...((action.maximumPercent !== undefined || action.minimumHealthyPercent !== undefined) && {
          deploymentConfiguration: {
            ...primary.deploymentConfiguration,
            ...(action.maximumPercent !== undefined && { maximumPercent: action.maximumPercent }),
            ...(action.minimumHealthyPercent !== undefined && {
              minimumHealthyPercent: action.minimumHealthyPercent,
            }),
          },
        }),
      });
      return {};
    case 'setCount':
      await updatePrimary(clients, target, { desiredCount: action.desiredCount });
      return {};
    case 'startEcsDeployment':
      await clients.ecs.send(
        new UpdateServiceCommand({
          cluster: target.cluster,
          service: target.service,
          taskDefinition: action.taskDefinition,
          deploymentConfiguration: withStrategy(primary, action.strategy, hook, target),
        }),
      );
      return {};
    case 'stopEcsDeployment':
      // "ROLLBACK - This option rolls back the service deployment to the previous service revision.
      // You can use this option even if you didn't configure the service deployment for the rollback
      // option." https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
      await clients.ecs.send(
        new StopServiceDeploymentCommand({
          serviceDeploymentArn: action.serviceDeploymentArn,
          stopType: 'ROLLBACK',
        }),
      );
      return {};
  }
}

/** UpdateService on the target's own (primary) service, to the absolute values in `changes`. */
async function updatePrimary(
  clients: Clients,
  target: TargetConfig,
  changes: Omit<UpdateServiceCommandInput, 'cluster' | 'service'>,
): Promise<void> {
  await clients.ecs.send(
    new UpdateServiceCommand({ ...changes, cluster: target.cluster, service: target.service }),
  );
}

/**
 * The service's deploymentConfiguration with ECS's strategy and bakes, and the pipeline's hook beside
 * any hook of the owner's (kept as they are: the pipeline only adds its own, once).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
 */
function withStrategy(
  primary: Service,
  strategy: EcsStrategyFields,
  hook: LifecycleHookSettings | undefined,
  target: TargetConfig,
) {
  if (!hook) {
    throw new PermanentError(
      `${target.cluster}/${target.service}: strategy ecs-* needs the pipeline's lifecycle hook (AUTOPILOT_LIFECYCLE_HOOK_ARN and AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN, set by serverless.yml)`,
    );
  }
  const {
    canaryConfiguration: _c,
    linearConfiguration: _l,
    ...current
  } = primary.deploymentConfiguration ?? {};
  const others = (current.lifecycleHooks ?? []).filter(
    (h: DeploymentLifecycleHook) => h.hookTargetArn !== hook.hookTargetArn,
  );
  return {
    ...current,
    ...strategy,
    lifecycleHooks: [
      ...others,
      { hookTargetArn: hook.hookTargetArn, roleArn: hook.roleArn, lifecycleStages: [...HOOK_STAGES] },
    ],
  } as Service['deploymentConfiguration'];
}

async function setCanary(
  clients: Clients,
  target: TargetConfig,
  primary: Service,
  taskDefinition: string,
  desiredCount: number,
  targetGroup?: string,
  seen?: Service | 'none',
) {
  const serviceName = canaryServiceName(target.service);
  const existing =
    seen === 'none'
      ? undefined
      : (seen ??
        (
          await clients.ecs.send(
            new DescribeServicesCommand({ cluster: target.cluster, services: [serviceName] }),
          )
        ).services?.find((s) => s.status === 'ACTIVE'));
  if (existing) {
    // A true sibling: brought in line with the primary as it is now (lib/canary-sibling.ts).
    const aligned =
      desiredCount > 0 ? alignCanary(target.cluster, existing, canarySettings(primary, targetGroup)) : {};
    if (aligned.recreate) log.warn('canary.unaligned', { service: serviceName, reason: aligned.recreate });
    if (
      existing.taskDefinition === taskDefinition &&
      existing.desiredCount === desiredCount &&
      !aligned.update
    )
      return;
    const { cluster: _cluster, service: _service, ...changes } = aligned.update ?? { service: serviceName };
    if (aligned.update) log.info('canary.aligned', { service: serviceName, ...changes });
    await clients.ecs.send(
      new UpdateServiceCommand({
        ...changes,
        cluster: target.cluster,
        service: serviceName,
        taskDefinition,
        desiredCount,
      }),
    );
    return;
  }
  if (desiredCount === 0) return;
  await clients.ecs.send(
    new CreateServiceCommand(
      canaryServiceInput(target, primary, taskDefinition, desiredCount, canarySettings(primary, targetGroup)),
    ),
  );
}

/**
 * The primary's settings a canary copies, or the push is refused with why (lib/refusal.ts checks
 * first). With weighted traffic the canary registers in its own target group (`targetGroup`).
 */
function canarySettings(primary: Service, targetGroup?: string): SiblingSettings {
  const sibling = siblingSettings(primary);
  if (isRefusal(sibling)) throw new RefusedError(sibling.reason);
  if (!targetGroup) return sibling;
  return {
    ...sibling,
    loadBalancers: sibling.loadBalancers.map((lb) =>
      lb.targetGroupArn ? { ...lb, targetGroupArn: targetGroup } : lb,
    ),
  };
}
