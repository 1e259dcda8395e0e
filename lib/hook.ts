/**
 * The ECS deployment lifecycle hook: ECS invokes the pipeline's hook Lambda (functions/lifecycle-hook.ts)
 * at POST_SCALE_UP, before every production traffic shift (PRE_PRODUCTION_TRAFFIC_SHIFT) and after the
 * last (POST_PRODUCTION_TRAFFIC_SHIFT) of a deployment under an ecs-* strategy, and waits for its answer:
 *
 *   { "hookStatus": "SUCCEEDED" }                      the deployment goes on to its next stage
 *   { "hookStatus": "IN_PROGRESS", "callBackDelay": 15 }  ECS asks again after 15 s (default 30 s)
 *   { "hookStatus": "FAILED" }                         ECS rolls the deployment back
 *
 * "If a hookStatus is not returned, or if the function fails, the deployment rolls back"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html), so the hook
 * never throws: a pipeline error (a throttled call) answers IN_PROGRESS, and the next call tries again.
 *
 * The payload (same page, "Lifecycle payloads"): serviceArn, targetServiceRevisionArn,
 * testTrafficWeights and productionTrafficWeights (service revision ARN -> percent), and the hook's
 * hookDetails. The hook reconciles the service first (lib/pipeline.ts: observe, decide, act, so a
 * failed task or a gate alarm seen now stops the deployment with StopServiceDeployment in this very
 * invocation), then answers from the record with `hookAnswer`, a pure function.
 */
import type { Rollout, ServiceRecord } from './record.ts';

export type HookStatus = 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';

export interface HookAnswer {
  hookStatus: HookStatus;
  /** Seconds until ECS asks again (IN_PROGRESS only). */
  callBackDelay?: number;
}

export interface HookInput {
  serviceArn: string;
  cluster: string;
  service: string;
  targetServiceRevisionArn?: string;
  productionTrafficWeights?: Record<string, number>;
}

/** How soon ECS asks again while the new tasks come up or a person holds the rollout. */
export const HOOK_RECHECK_S = 15;

/**
 * The payload read, or why it cannot be (then the hook answers IN_PROGRESS and logs it: a payload
 * the pipeline cannot read is not a reason to roll a deployment back).
 *
 *   { serviceArn: 'arn:aws:ecs:us-east-1:1:service/prod/web', … } -> cluster prod, service web
 *   { serviceArn: 'arn:aws:ecs:us-east-1:1:service/web' }         -> error: the old ARN format names no cluster
 *   {}                                                           -> error: no serviceArn
 */
export function parseHookInput(event: unknown): HookInput | { error: string } {
  if (typeof event !== 'object' || event === null) return { error: 'the hook payload is not an object' };
  const e = event as Record<string, unknown>;
  const arn = e.serviceArn;
  if (typeof arn !== 'string') return { error: 'the hook payload has no serviceArn' };
  const m = /^arn:aws[a-z-]*:ecs:[^:]*:\d*:service\/([^/]+)\/([^/]+)$/.exec(arn);
  if (!m)
    return { error: `serviceArn ${arn} is not a service ARN with its cluster (service/<cluster>/<service>)` };
  const weights = e.productionTrafficWeights;
  return {
    serviceArn: arn,
    cluster: m[1]!,
    service: m[2]!,
    ...(typeof e.targetServiceRevisionArn === 'string' && {
      targetServiceRevisionArn: e.targetServiceRevisionArn,
    }),
    ...(typeof weights === 'object' &&
      weights !== null && { productionTrafficWeights: weights as Record<string, number> }),
  };
}

/**
 * The answer to ECS, from the service's record just reconciled.
 *
 *   no rollout of an ecs-* strategy (a deployment the pipeline did not start)  -> SUCCEEDED (not ours to hold)
 *   a deployment of another revision than the rollout's                         -> SUCCEEDED (not ours)
 *   the rollout is rolling back, ECS already undoing it (ROLLBACK_*)           -> SUCCEEDED (never hold a rollback)
 *   the rollout is rolling back, ECS not yet (our StopServiceDeployment failed) -> FAILED (ECS rolls back)
 *   paused (a person, or a person's deploy)                                     -> IN_PROGRESS, 15 s
 *   the new tasks are not all healthy yet                                       -> IN_PROGRESS, 15 s
 *   otherwise (no failed task, no gate alarm in ALARM, tasks healthy)           -> SUCCEEDED
 */
export function hookAnswer(
  record: ServiceRecord,
  input: Pick<HookInput, 'targetServiceRevisionArn'>,
): HookAnswer {
  const rollout = record.rollout;
  if (!rollout?.ecsDeployment) return { hookStatus: 'SUCCEEDED' };
  const ours =
    !input.targetServiceRevisionArn ||
    !rollout.ecsDeployment.revisionArn ||
    rollout.ecsDeployment.revisionArn === input.targetServiceRevisionArn;
  if (!ours) return { hookStatus: 'SUCCEEDED' };
  if (rollout.rollingBack) {
    return rollout.ecsDeployment.status?.startsWith('ROLLBACK')
      ? { hookStatus: 'SUCCEEDED' }
      : { hookStatus: 'FAILED' };
  }
  if (rollout.paused || !healthyNow(rollout))
    return { hookStatus: 'IN_PROGRESS', callBackDelay: HOOK_RECHECK_S };
  return { hookStatus: 'SUCCEEDED' };
}

/** The current step's tasks are healthy (its bake has a start). */
function healthyNow(rollout: Rollout): boolean {
  return rollout.steps[rollout.stepIndex]?.healthyAt !== undefined;
}
