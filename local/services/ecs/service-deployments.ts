/**
 * ListServiceDeployments / DescribeServiceDeployments: the service-deployment view of the same
 * deployments DescribeServices lists, with the circuit breaker's `failureCount` and `threshold`
 * (API ServiceDeployment, ServiceDeploymentCircuitBreaker; @aws-sdk/client-ecs 3.1164 models).
 *
 * In this view a circuit-breaker rollback belongs to the service deployment that failed
 * (`rollback: {reason, startedAt, serviceRevisionArn}`, status ROLLBACK_IN_PROGRESS →
 * ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED), so the rollback's own deployment is not listed separately.
 * Not documented, chosen here: a deployment the breaker failed without rollback, or one replaced by
 * a newer UpdateService before it completed, is STOPPED (the status enum has no FAILED).
 */
import { AwsError } from '../../core/errors.ts';
import { circuitBreakerThreshold } from './constants.ts';
import type { EcsContext } from './context.ts';
import { DESCRIBE_LIMITS, describeEach } from './describe.ts';
import type { Deployment, Service } from './model.ts';

const invalid = (m: string) => new AwsError('InvalidParameterException', m);
const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/** `…:service-revision/<cluster>/<service>/<digits>` for a deployment's revision. */
export function revisionArn(ecs: EcsContext, d: Deployment): string {
  const s = d.service;
  return ecs.world.arn(
    'ecs',
    `service-revision/${s.cluster.name}/${s.name}/${d.id.slice('ecs-svc/'.length)}`,
  );
}

/** The deployments that are service deployments (a rollback belongs to the deployment it undoes). */
function serviceDeployments(svc: Service): Deployment[] {
  return svc.history.filter((d) => !d.rollbackTo);
}

/** The service's current service deployment (Service.currentServiceDeployment). */
export function currentServiceDeployment(svc: Service): Deployment | undefined {
  return serviceDeployments(svc).at(-1);
}

function status(d: Deployment): string {
  if (d.native?.rollback) return d.native.rollback.state;
  const rb = d.rolledBackBy;
  if (rb)
    return rb.rolloutState === 'COMPLETED'
      ? 'ROLLBACK_SUCCESSFUL'
      : rb.rolloutState === 'FAILED'
        ? 'ROLLBACK_FAILED'
        : 'ROLLBACK_IN_PROGRESS';
  if (d.rolloutState === 'COMPLETED') return 'SUCCESSFUL';
  if (d.rolloutState === 'FAILED') return 'STOPPED';
  return d.status === 'PRIMARY' ? 'IN_PROGRESS' : 'STOPPED';
}

function finishedAt(d: Deployment): number | undefined {
  if (d.native?.rollback) return d.native.rollback.finishedAt;
  const rb = d.rolledBackBy;
  if (rb) return rb.finishedAt;
  return d.rolloutState === 'COMPLETED' ? d.finishedAt : undefined;
}

function stoppedAt(d: Deployment): number | undefined {
  if (status(d) !== 'STOPPED') return undefined;
  if (d.finishedAt !== undefined) return d.finishedAt;
  const next = d.service.history.find((x) => x.sourceIds.includes(d.id));
  return next?.createdAt ?? d.updatedAt;
}

function counts(d: Deployment) {
  let running = 0;
  let pending = 0;
  for (const t of d.tasks) {
    if (t.desiredStatus !== 'RUNNING') continue;
    if (t.lastStatus === 'RUNNING') running++;
    else pending++;
  }
  return { running, pending };
}

/** A revision's counts, and under ECS's strategies its share of production and test traffic. */
function revision(ecs: EcsContext, d: Deployment, weights?: { production: number; test: number }) {
  const { running, pending } = counts(d);
  return {
    arn: revisionArn(ecs, d),
    requestedTaskCount: d.status === 'PRIMARY' || weights ? d.service.desiredCount : 0,
    runningTaskCount: running,
    pendingTaskCount: pending,
    ...(weights && {
      requestedProductionTrafficWeight: weights.production,
      requestedTestTrafficWeight: weights.test,
    }),
  };
}

function shape(ecs: EcsContext, d: Deployment): any {
  const svc = d.service;
  const cb = d.configuration.deploymentCircuitBreaker;
  const rb = d.rolledBackBy;
  const sources = svc.history.filter((x) => d.sourceIds.includes(x.id));
  const n = d.native;
  let breakerStatus = 'DISABLED';
  if (cb.enable)
    breakerStatus = d.breakerTriggered
      ? 'TRIGGERED'
      : d.rolloutState === 'IN_PROGRESS' && !d.breakerDone && d.status === 'PRIMARY'
        ? 'MONITORING'
        : 'MONITORING_COMPLETE';
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: svc.arn,
    clusterArn: svc.cluster.arn,
    createdAt: date(d.createdAt),
    startedAt: date(d.createdAt),
    finishedAt: date(finishedAt(d)),
    stoppedAt: date(stoppedAt(d)),
    updatedAt: date(Math.max(d.updatedAt, rb?.updatedAt ?? 0)),
    sourceServiceRevisions: sources.map((x) =>
      revision(
        ecs,
        x,
        n && x === n.blue ? { production: 100 - n.weight, test: 100 - n.testWeight } : undefined,
      ),
    ),
    targetServiceRevision: revision(ecs, d, n && { production: n.weight, test: n.testWeight }),
    status: status(d),
    statusReason: d.rolloutStateReason,
    ...(n && { lifecycleStage: n.stage === 'DONE' ? 'CLEAN_UP' : n.stage }),
    deploymentConfiguration: d.configuration,
    rollback: n?.rollback
      ? {
          reason: n.rollback.reason,
          startedAt: date(n.rollback.startedAt),
          serviceRevisionArn: revisionArn(ecs, n.blue),
        }
      : rb
        ? {
            reason: rb.rolloutStateReasonAtStart,
            startedAt: date(rb.createdAt),
            serviceRevisionArn: revisionArn(ecs, rb),
          }
        : undefined,
    deploymentCircuitBreaker: {
      status: breakerStatus,
      failureCount: d.failedTasks,
      threshold: circuitBreakerThreshold(svc.desiredCount, cb.thresholdConfiguration),
    },
    // API ServiceDeploymentAlarms: status TRIGGERED | MONITORING | MONITORING_COMPLETE | DISABLED.
    alarms: d.alarms
      ? {
          status:
            d.alarms.status === 'MONITORING' && d.rolloutState !== 'IN_PROGRESS'
              ? 'MONITORING_COMPLETE'
              : d.alarms.status,
          alarmNames: d.alarms.names,
          triggeredAlarmNames: d.alarms.triggered,
        }
      : { status: 'DISABLED' },
  };
}

export function serviceDeploymentOperations(
  ecs: EcsContext,
  serviceByRef: (cluster: ReturnType<EcsContext['cluster']>, ref: unknown) => Service | undefined,
) {
  function ListServiceDeployments(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const svc = serviceByRef(cluster, input?.service);
    if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    const maxResults = input.maxResults ?? 20;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
      throw invalid('maxResults must be between 1 and 100.');
    const wanted: string[] | undefined = input.status;
    const before =
      input.createdAt?.before !== undefined ? input.createdAt.before * 1000 : Number.POSITIVE_INFINITY;
    const after =
      input.createdAt?.after !== undefined ? input.createdAt.after * 1000 : Number.NEGATIVE_INFINITY;
    const all = serviceDeployments(svc)
      .filter((d) => (!wanted || wanted.includes(status(d))) && d.createdAt <= before && d.createdAt >= after)
      .reverse();
    let offset = 0;
    if (input.nextToken) {
      offset = Number(Buffer.from(String(input.nextToken), 'base64').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid nextToken.');
    }
    const page = all.slice(offset, offset + maxResults);
    const next =
      offset + maxResults < all.length
        ? Buffer.from(String(offset + maxResults)).toString('base64')
        : undefined;
    return {
      serviceDeployments: page.map((d) => ({
        serviceDeploymentArn: d.arn,
        serviceArn: svc.arn,
        clusterArn: svc.cluster.arn,
        startedAt: date(d.createdAt),
        createdAt: date(d.createdAt),
        finishedAt: date(finishedAt(d)),
        targetServiceRevisionArn: revisionArn(ecs, d),
        status: status(d),
        statusReason: d.rolloutStateReason,
      })),
      nextToken: next,
    };
  }

  function DescribeServiceDeployments(input: any) {
    const { described, failures } = describeEach(
      input?.serviceDeploymentArns,
      DESCRIBE_LIMITS.serviceDeploymentArns,
      (arn) => {
        const d = ecs.deploymentIndex.get(arn);
        return d && !d.rollbackTo ? shape(ecs, d) : undefined;
      },
      (arn) => arn,
    );
    return { serviceDeployments: described, failures };
  }

  /**
   * StopServiceDeployment: stopType ROLLBACK ("The valid values are ROLLBACK"), for a deployment in
   * PENDING or IN_PROGRESS (it moves to a rollback); one already rolling back goes on; any other
   * state is refused (the error is chosen here: the docs list the states that can be stopped, not
   * the answer for the others). https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html,
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html
   */
  function StopServiceDeployment(input: any) {
    const arn = input?.serviceDeploymentArn;
    if (typeof arn !== 'string' || !arn) throw invalid('serviceDeploymentArn is required.');
    const stopType = input.stopType ?? 'ROLLBACK';
    if (stopType !== 'ROLLBACK')
      throw invalid(`Unsupported stopType ${stopType}. The valid value is ROLLBACK.`);
    const d = ecs.deploymentIndex.get(arn);
    if (!d || d.rollbackTo)
      throw new AwsError(
        'ServiceDeploymentNotFoundException',
        `The service deployment ${arn} does not exist.`,
      );
    const now = status(d);
    if (now.startsWith('ROLLBACK_REQUESTED') || now === 'ROLLBACK_IN_PROGRESS')
      return { serviceDeploymentArn: arn };
    if (now !== 'IN_PROGRESS' && now !== 'PENDING')
      throw new AwsError('ConflictException', `The service deployment is ${now} and cannot be stopped.`);
    ecs.scheduler.stopDeployment(d.service, d, 'Service deployment rolled back by StopServiceDeployment.');
    return { serviceDeploymentArn: arn };
  }

  return { ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment };
}
