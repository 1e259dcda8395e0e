/**
 * The local Elastic Load Balancing v2 API, over the wire protocol AWS serves it on: the Query
 * protocol (form-encoded POST with `Action` and `Version=2015-12-01`, XML answers; core/query.ts),
 * the only one ELBv2 has. It reads the target groups the local ECS keeps (ecs/elb.ts); registering
 * and deregistering is ECS's job, so only the read operations an ECS deployer needs are here.
 *
 * Shapes (ELBv2 API Reference, API version 2015-12-01):
 * - DescribeTargetHealth (TargetGroupArn, Targets?) → TargetHealthDescriptions[]:
 *   { Target: { Id, Port }, HealthCheckPort, TargetHealth: { State, Reason?, Description? } }.
 *   "If the target state is healthy, a reason code is not provided"; initial → Elb.RegistrationInProgress
 *   or Elb.InitialHealthChecking; unhealthy → Target.FailedHealthChecks (among others); draining →
 *   Target.DeregistrationInProgress; unused → Target.NotRegistered ("The target is not registered with
 *   the target group") for a target asked for by Id that the group does not hold (API_TargetHealth).
 * - Target Id: "If the target type is instance, specify an instance ID. If the target type is ip,
 *   specify an IP address" (API_TargetDescription): awsvpc tasks register their ENI's private IPv4
 *   address, bridge/host tasks their container instance's EC2 instance id and host port.
 * - DescribeTargetGroups (TargetGroupArns? | Names? | LoadBalancerArn?) → TargetGroups[] (API_TargetGroup).
 * - Errors: TargetGroupNotFound, HTTP 400, "The specified target group does not exist"
 *   (API_DescribeTargetHealth, Errors); a Query error answers `<ErrorResponse><Error><Type>Sender`.
 */
import type { WorldContext } from '../../core/context.ts';
import { AwsError } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';
import type { LoadBalancing } from '../ecs/elb.ts';
import type { Target, TargetGroup } from '../ecs/model.ts';

const targetGroupNotFound = (what: string) =>
  new AwsError('TargetGroupNotFound', `One or more target groups not found: ${what}`);

/** Reason codes per state (API_TargetHealth). */
function reason(t: Target): { Reason?: string; Description?: string } {
  switch (t.state) {
    case 'healthy':
      return {};
    case 'initial':
      return { Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' };
    case 'unhealthy':
      return { Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' };
    case 'draining':
      return {
        Reason: 'Target.DeregistrationInProgress',
        Description: 'Target deregistration is in progress',
      };
  }
}

/** The target's Id as ELB knows it: the task's IP (awsvpc, target type ip) or its EC2 instance (instance). */
export function targetId(t: Target): string {
  return t.task.attachment?.privateIPv4Address ?? t.task.containerInstance?.ec2InstanceId ?? t.task.id;
}

function targetType(g: TargetGroup): 'ip' | 'instance' {
  for (const t of g.targets) return t.task.attachment ? 'ip' : 'instance';
  return 'ip';
}

export class LocalElbv2 implements LocalService {
  readonly name = 'elasticloadbalancing';
  /** The model's service shape; ELBv2 has no JSON protocol, so nothing is sent with this target. */
  readonly target = 'ElasticLoadBalancing_v10';
  readonly protocol = 'query' as const;
  readonly query = {
    version: '2015-12-01',
    xmlns: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  };
  readonly operations: Record<string, (input: any) => unknown> = {
    DescribeTargetHealth: (i) => this.describeTargetHealth(i),
    DescribeTargetGroups: (i) => this.describeTargetGroups(i),
  };

  constructor(
    private readonly world: WorldContext,
    private readonly elb: () => LoadBalancing,
  ) {}

  private group(arn: unknown): TargetGroup {
    if (typeof arn !== 'string' || !arn)
      throw new AwsError(
        'ValidationError',
        "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null",
      );
    const g = this.elb().groups.get(arn);
    if (!g) throw targetGroupNotFound(arn);
    return g;
  }

  describeTargetHealth(input: {
    TargetGroupArn?: string;
    Targets?: { Id: string; Port?: number | string }[];
  }) {
    const g = this.group(input.TargetGroupArn);
    const held = [...g.targets];
    const describe = (t: Target) => ({
      Target: { Id: targetId(t), Port: t.port },
      HealthCheckPort: String(t.port),
      TargetHealth: { State: t.state, ...reason(t) },
    });
    if (!input.Targets?.length) return { TargetHealthDescriptions: held.map(describe) };
    return {
      TargetHealthDescriptions: input.Targets.map((want) => {
        const port = want.Port === undefined ? undefined : Number(want.Port);
        const t = held.find((x) => targetId(x) === want.Id && (port === undefined || x.port === port));
        if (t) return describe(t);
        return {
          Target: { Id: want.Id, Port: port },
          TargetHealth: {
            State: 'unused',
            Reason: 'Target.NotRegistered',
            Description: 'Target is not registered to the target group',
          },
        };
      }),
    };
  }

  describeTargetGroups(input: { TargetGroupArns?: string[]; Names?: string[]; LoadBalancerArn?: string }) {
    const all = [...this.elb().groups.values()];
    let groups = all;
    if (input.TargetGroupArns?.length) {
      groups = input.TargetGroupArns.map((arn) => all.find((g) => g.arn === arn) ?? this.missing(arn));
    } else if (input.Names?.length) {
      groups = input.Names.map((name) => all.find((g) => g.name === name) ?? this.missing(name));
    } else if (input.LoadBalancerArn) {
      groups = all.filter((g) => this.loadBalancerArn(g) === input.LoadBalancerArn);
    }
    return {
      TargetGroups: groups.map((g) => ({
        TargetGroupArn: g.arn,
        TargetGroupName: g.name,
        Protocol: 'HTTP',
        Port: 80,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: 'traffic-port',
        HealthCheckEnabled: true,
        HealthCheckIntervalSeconds: g.healthCheck.intervalSeconds,
        HealthyThresholdCount: g.healthCheck.healthyThreshold,
        UnhealthyThresholdCount: g.healthCheck.unhealthyThreshold,
        HealthCheckPath: '/',
        LoadBalancerArns: [this.loadBalancerArn(g)],
        TargetType: targetType(g),
      })),
    };
  }

  private missing(what: string): never {
    throw targetGroupNotFound(what);
  }

  /** `arn:aws:elasticloadbalancing:…:loadbalancer/app/<name>/<id>`, from the group's LoadBalancer dimension. */
  private loadBalancerArn(g: TargetGroup): string {
    return this.world.arn('elasticloadbalancing', `loadbalancer/${g.loadBalancerDimension}`);
  }
}
