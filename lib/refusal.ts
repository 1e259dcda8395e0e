/**
 * What the pipeline refuses at a push, before anything is registered or marked: a service it cannot
 * roll out, or a configuration that does not say what to change. These are a person's problem, not
 * the image's: the push ends at once with an error notice that says what is wrong, no revision is
 * registered, and the digest is not marked bad (a fixed config can deploy the same image).
 *
 * - Deployment controller (API Reference, DeploymentController): with CODE_DEPLOY or EXTERNAL, ECS
 *   refuses an UpdateService of the task definition ("Unable to update task definition on services
 *   with a CODE_DEPLOY deployment controller"), so the canary would bake in the production target
 *   group and the rollout would stick at 100 %.
 * - Scheduling strategy DAEMON: one task per instance, no desired count to step, no canary share.
 * - Several containers and no `container` named in autopilot.yml (or one named that is not there):
 *   which image to replace is a guess the pipeline does not make.
 * - A canary that cannot be a true sibling (lib/canary-sibling.ts), for the canary strategies.
 * - ECS's own strategies (ecs-*) on a service that cannot run them: ECS shifts traffic between a
 *   production and an alternate target group by a listener rule, so every load balancer of the service
 *   needs `advancedConfiguration` (alternateTargetGroupArn, productionListenerRule, roleArn)
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AdvancedConfiguration.html;
 *   Service Connect, the other traffic path ECS supports, is not one this pipeline drives).
 */
import type { ContainerDefinition, Service } from '@aws-sdk/client-ecs';
import { isRefusal, siblingSettings } from './canary-sibling.ts';
import type { TargetConfig } from './config.ts';
import { isEcsStrategy } from './ecs-strategy.ts';
import { PermanentError } from './errors.ts';
import type { TrafficView } from './observation.ts';
import { trafficProblem } from './rollout/weighted.ts';

/** A push refused for a reason a person must fix; lib/pipeline.ts tells it and acts on nothing. */
export class RefusedError extends PermanentError {
  override readonly name = 'RefusedError';
}

/**
 * Why `primary` cannot be rolled out by the pipeline, or undefined.
 *   deploymentController CODE_DEPLOY -> 'prod/web uses the CODE_DEPLOY deployment controller: …'
 *   deploymentController ECS (or none: ECS is the default), REPLICA -> undefined
 */
export function serviceRefusal(target: TargetConfig, primary: Service): string | undefined {
  const key = `${target.cluster}/${target.service}`;
  const controller = primary.deploymentController?.type ?? 'ECS';
  if (controller !== 'ECS') {
    return (
      `${key} uses the ${controller} deployment controller: ecs-autopilot rolls out with UpdateService, which ` +
      `ECS refuses for a new task definition on ${controller} services (and a canary would share the production ` +
      'target group). Nothing was registered and the image is not marked bad; switch the service to the ECS ' +
      'controller, or take it out of autopilot.yml'
    );
  }
  if (primary.schedulingStrategy === 'DAEMON') {
    return (
      `${key} uses the DAEMON scheduling strategy (one task per instance): there is no desired count to step ` +
      'and no share for a canary. Nothing was registered and the image is not marked bad; take it out of autopilot.yml'
    );
  }
  if (isEcsStrategy(target.strategy)) {
    const refused = ecsStrategyRefusal(target.strategy, primary);
    if (refused) return `${key}: ${refused}. Nothing was registered and the image is not marked bad`;
  }
  if (target.strategy === 'canary' || target.strategy === 'linear') {
    const sibling = siblingSettings(primary);
    if (isRefusal(sibling))
      return `${key}: ${sibling.reason}. Nothing was registered and the image is not marked bad`;
  }
  return undefined;
}

/**
 * Why the container whose image changes cannot be told, or undefined.
 *   [web, envoy, log], container unset  -> 'task definition web:7 has 3 containers (web, envoy, log); set …'
 *   [web, envoy], container 'api'        -> 'task definition web:7 has no container "api" (it has web, envoy); …'
 *   [web], container unset               -> undefined
 */
export function containerRefusal(
  target: TargetConfig,
  containers: ContainerDefinition[],
  revision: string,
): string | undefined {
  const names = containers.map((c) => c.name ?? '?').join(', ');
  const fix = `set "container" on the target ${target.cluster}/${target.service} in autopilot.yml to the one the repository ${target.repository} feeds. Nothing was registered and the image is not marked bad`;
  if (target.container) {
    if (containers.some((c) => c.name === target.container)) return undefined;
    return `task definition ${revision} has no container "${target.container}" (it has ${names}); ${fix}`;
  }
  if (containers.length === 1) return undefined;
  return `task definition ${revision} has ${containers.length} containers (${names}) and none is named; ${fix}`;
}

/**
 * Why a service cannot run ECS's strategy `strategy`, or undefined.
 *
 *   no loadBalancers                                     -> 'strategy ecs-canary needs a load balancer …'
 *   a load balancer without advancedConfiguration        -> 'its load balancer (target group …) has no advancedConfiguration …'
 *   loadBalancers with alternateTargetGroupArn and productionListenerRule -> undefined
 */
export function ecsStrategyRefusal(strategy: string, primary: Service): string | undefined {
  const lbs = primary.loadBalancers ?? [];
  if (lbs.length === 0) {
    return `strategy ${strategy} needs a load balancer: ECS shifts traffic by a listener rule's weights between a production and an alternate target group, and the service has no loadBalancers (use canary, linear or rolling instead)`;
  }
  const bare = lbs.find(
    (lb) =>
      !lb.advancedConfiguration?.alternateTargetGroupArn || !lb.advancedConfiguration?.productionListenerRule,
  );
  if (bare) {
    return `strategy ${strategy} needs every load balancer of the service to name its alternate target group and production listener rule, and the one of target group ${bare.targetGroupArn ?? '?'} has no advancedConfiguration { alternateTargetGroupArn, productionListenerRule, roleArn } (set it on the service, in your IaC)`;
  }
  return undefined;
}

/**
 * Why a `traffic: weighted` target cannot be rolled out as its routes stand, or undefined (the same
 * check as during a rollout: lib/rollout/weighted.ts trafficProblem).
 *   no target group, or no rule forwards to it        -> 'prod/web: traffic: weighted needs …'
 *   a rule that also forwards to another group         -> 'prod/web: <rule>: the rule also forwards to …'
 */
export function trafficRefusal(target: TargetConfig, traffic: TrafficView | undefined): string | undefined {
  if (target.traffic !== 'weighted' || target.strategy === 'rolling' || target.strategy === 'all-at-once')
    return undefined;
  const problem = trafficProblem(traffic);
  return problem
    ? `${target.cluster}/${target.service}: ${problem}. Nothing was registered and the image is not marked bad`
    : undefined;
}
