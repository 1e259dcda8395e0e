/**
 * Application Auto Scaling, the part that matters here: scalable targets. The pipeline looks for a
 * target registered on a service it scales, because two owners of `desiredCount` fight.
 * JSON 1.1, target `AnyScaleFrontendService` (aws-facts.md §4).
 */

import type { WorldContext } from '../../core/context.ts';
import { AwsError } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';

interface ScalableTarget {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: Date;
  ScalableTargetARN: string;
  SuspendedState: {
    DynamicScalingInSuspended: boolean;
    DynamicScalingOutSuspended: boolean;
    ScheduledScalingSuspended: boolean;
  };
}

const key = (ns: string, id: string, dim: string) => `${ns}|${id}|${dim}`;

export class LocalApplicationAutoScaling implements LocalService {
  readonly name = 'application-autoscaling';
  readonly target = 'AnyScaleFrontendService';
  readonly protocol = 'json1.1' as const;
  private targets = new Map<string, ScalableTarget>();

  constructor(private readonly world: WorldContext) {}

  readonly operations = {
    RegisterScalableTarget: (input: any) => {
      const { ServiceNamespace, ResourceId, ScalableDimension } = input;
      if (!ServiceNamespace || !ResourceId || !ScalableDimension) {
        throw new AwsError(
          'ValidationException',
          'ServiceNamespace, ResourceId and ScalableDimension are required',
        );
      }
      const k = key(ServiceNamespace, ResourceId, ScalableDimension);
      const existing = this.targets.get(k);
      if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
        // "MinCapacity and MaxCapacity are required to register a scalable target for the first time" (API reference).
        throw new AwsError(
          'ValidationException',
          'MinCapacity and MaxCapacity are required for a new scalable target',
        );
      }
      const target: ScalableTarget = {
        ServiceNamespace,
        ResourceId,
        ScalableDimension,
        MinCapacity: input.MinCapacity ?? existing!.MinCapacity,
        MaxCapacity: input.MaxCapacity ?? existing!.MaxCapacity,
        RoleARN:
          input.RoleARN ??
          existing?.RoleARN ??
          this.world
            .arn(
              'iam',
              'role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
            )
            .replace(`:${this.world.region}:`, '::'),
        CreationTime: existing?.CreationTime ?? new Date(this.world.now()),
        ScalableTargetARN:
          existing?.ScalableTargetARN ??
          this.world.arn('application-autoscaling', `scalable-target/${this.world.ids.hex32().slice(0, 20)}`),
        SuspendedState: {
          DynamicScalingInSuspended: false,
          DynamicScalingOutSuspended: false,
          ScheduledScalingSuspended: false,
          ...existing?.SuspendedState,
          ...input.SuspendedState,
        },
      };
      if (target.MinCapacity > target.MaxCapacity) {
        throw new AwsError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity');
      }
      this.targets.set(k, target);
      return { ScalableTargetARN: target.ScalableTargetARN };
    },
    DescribeScalableTargets: (input: any) => {
      if (!input.ServiceNamespace) throw new AwsError('ValidationException', 'ServiceNamespace is required');
      const ids: string[] | undefined = input.ResourceIds;
      const found = [...this.targets.values()].filter(
        (t) =>
          t.ServiceNamespace === input.ServiceNamespace &&
          (!ids?.length || ids.includes(t.ResourceId)) &&
          (!input.ScalableDimension || t.ScalableDimension === input.ScalableDimension),
      );
      return { ScalableTargets: found };
    },
    DeregisterScalableTarget: (input: any) => {
      const k = key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
      if (!this.targets.delete(k)) {
        throw new AwsError(
          'ObjectNotFoundException',
          `No scalable target registered for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`,
        );
      }
      return {};
    },
  };
}
