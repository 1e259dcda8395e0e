/**
 * The local Elastic Load Balancing v2 API, over the wire protocol AWS serves it on: the Query
 * protocol (form-encoded POST with `Action` and `Version=2015-12-01`, XML answers; core/query.ts),
 * the only one ELBv2 has. It serves the target groups the local ECS keeps (ecs/elb.ts) and the load
 * balancers, listeners and rules in front of them (routing.ts): what a deployer that shifts traffic
 * by weight needs (a canary target group made like the primary's, weighted forward actions).
 *
 * Limits and errors (ELBv2 API Reference 2015-12-01; ALB User Guide "Quotas for your Application
 * Load Balancers", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html):
 * - a forward action names 1 to 5 target groups ("Target groups per action: 5"), each weight 0–999
 *   (API_TargetGroupTuple: "The weight. The range is 0 to 999."); a target group at most once;
 * - TargetGroupStickinessConfig.DurationSeconds 1–604800, required when enabled (API_TargetGroupStickinessConfig);
 * - a target group belongs to at most one load balancer ("Load balancers per target group: 1"):
 *   TargetGroupAssociationLimit;
 * - the default rule changes only through ModifyListener ("To modify the actions for the default
 *   rule, use ModifyListener", API_ModifyRule): ModifyRule on it is OperationNotPermitted;
 * - ModifyRule / ModifyListener replace the whole Actions list (API_ModifyRule);
 * - CreateTargetGroup with a name in use and the same settings returns that group ("If you attempt
 *   to create multiple target groups with the same settings, each call succeeds"), with other
 *   settings DuplicateTargetGroupName (API_CreateTargetGroup);
 * - an ALB listener (HTTP, HTTPS) forwards only to HTTP/HTTPS groups, an NLB listener (TCP, UDP,
 *   TLS, TCP_UDP) only to those: IncompatibleProtocols;
 * - CreateTargetGroup in a VPC that does not exist (the local AWS has one): ValidationError "The
 *   VPC ID '…' is not found";
 * - the targets of a group no load balancer forwards to are `unused`, Target.NotInUse
 *   (API_TargetHealth); ECS refuses such a group for a service (ecs/api.ts).
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
 * - Tags (API_AddTags, API_RemoveTags, API_DescribeTags): load balancers, target groups, listeners
 *   and rules take tags; DescribeTags names up to 20 resources ("You can specify up to 20 resources
 *   in a single call") and answers TagDescriptions [{ ResourceArn, Tags }] in the order asked; a
 *   resource holds at most 50 tags (ELB quotas "Tags per load balancer/target group: 50"):
 *   TooManyTags; a key twice in one AddTags: DuplicateTagKeys; an ARN that names nothing:
 *   LoadBalancerNotFound, TargetGroupNotFound, ListenerNotFound or RuleNotFound by its kind.
 */
import type { WorldContext } from '../../core/context.ts';
import { AwsError } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';
import type { LoadBalancing } from '../ecs/elb.ts';
import type { Target, TargetGroup, Task } from '../ecs/model.ts';
import type { Action, ForwardAction, Listener, LoadBalancer, Rule } from './routing.ts';

/** ALB User Guide, Quotas: target groups per action. */
export const MAX_GROUPS_PER_FORWARD = 5;
/** API_TargetGroupTuple: "The range is 0 to 999." */
export const MAX_WEIGHT = 999;
/** API_TargetGroupStickinessConfig: "The range is 1-604800 seconds (7 days)." */
const MAX_STICKINESS_SECONDS = 604_800;
/** ELB quotas: "Target groups per Region: 3,000". */
const MAX_TARGET_GROUPS = 3000;
/**
 * The answer of an action whose output shape is empty (RegisterTargets, DeregisterTargets, AddTags,
 * RemoveTags): AWS still sends `<AddTagsResult/>`, and botocore (the AWS CLI) fails without it
 * ("'AddTagsResult'"). core/query.ts writes the wrapper for a result with a member and drops
 * members that are undefined, so this renders as the empty wrapper; CloudWatch's actions without an
 * output shape (PutMetricData, …) answer `{}` and get none, as AWS sends none.
 */
const EMPTY_RESULT = { empty: undefined };

/** ELB quotas: tags per resource. */
export const MAX_TAGS = 50;
/** API_DescribeTags: resources per call. */
const MAX_DESCRIBE_TAG_RESOURCES = 20;
/** The local AWS has one VPC. */
const VPC_ID = 'vpc-0a1b2c3d4e5f60718';

/** A rule as Describe/Modify answer it: `Priority` "default" for the default rule. */
function describeRule(r: Rule) {
  return {
    RuleArn: r.arn,
    Priority: r.priority,
    Conditions: r.conditions,
    Actions: r.actions.map(describeAction),
    IsDefault: r.priority === 'default',
  };
}

/**
 * AWS answers a forward action with both forms: TargetGroupArn (when it names one group) and a
 * ForwardConfig with every weight filled in and stickiness off unless set.
 */
function describeAction(a: Action, i: number) {
  if (a.Type !== 'forward') return { Order: i + 1, ...a };
  const f = a as ForwardAction;
  const groups = f.ForwardConfig?.TargetGroups?.length
    ? f.ForwardConfig.TargetGroups.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 }))
    : [{ TargetGroupArn: f.TargetGroupArn!, Weight: 1 }];
  return {
    Type: 'forward',
    Order: f.Order ?? i + 1,
    ...(groups.length === 1 && { TargetGroupArn: groups[0]!.TargetGroupArn }),
    ForwardConfig: {
      TargetGroups: groups,
      TargetGroupStickinessConfig: f.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false },
    },
  };
}

function describeListener(l: Listener) {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancer.arn,
    Port: l.port,
    Protocol: l.protocol,
    DefaultActions: l.rules.find((r) => r.priority === 'default')!.actions.map(describeAction),
  };
}

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
    DescribeTargetGroupAttributes: (i) => this.describeTargetGroupAttributes(i),
    ModifyTargetGroupAttributes: (i) => this.modifyTargetGroupAttributes(i),
    CreateTargetGroup: (i) => this.createTargetGroup(i),
    RegisterTargets: (i) => this.registerTargets(i),
    DeregisterTargets: (i) => this.deregisterTargets(i),
    DescribeLoadBalancers: (i) => this.describeLoadBalancers(i),
    DescribeListeners: (i) => this.describeListeners(i),
    DescribeRules: (i) => this.describeRules(i),
    ModifyListener: (i) => this.modifyListener(i),
    ModifyRule: (i) => this.modifyRule(i),
    AddTags: (i) => this.addTags(i),
    RemoveTags: (i) => this.removeTags(i),
    DescribeTags: (i) => this.describeTags(i),
  };

  /** Tags by resource ARN, in the order they were added. */
  private tags = new Map<string, Map<string, string>>();

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
    // A group no listener forwards to sends no health checks: its targets are unused, Target.NotInUse
    // ("The target group is not used by any load balancer", API_TargetHealth).
    // (An ECS blue/green alternate group stands behind its production load balancer: in use.)
    const inUse = this.elb().loadBalancersOf(g.arn).length > 0 || g.loadBalancerDimension !== '';
    const describe = (t: Target) => ({
      Target: { Id: targetId(t), Port: t.port },
      HealthCheckPort: String(t.port),
      TargetHealth:
        inUse || t.state === 'draining'
          ? { State: t.state, ...reason(t) }
          : {
              State: 'unused',
              Reason: 'Target.NotInUse',
              Description: 'Target group is not configured to receive traffic from the load balancer',
            },
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
      this.loadBalancer(input.LoadBalancerArn);
      groups = all.filter((g) =>
        this.elb()
          .loadBalancersOf(g.arn)
          .some((lb) => lb.arn === input.LoadBalancerArn),
      );
    }
    return { TargetGroups: groups.map((g) => this.describeGroup(g)) };
  }

  private describeGroup(g: TargetGroup) {
    const hc = g.healthCheckSettings;
    return {
      TargetGroupArn: g.arn,
      TargetGroupName: g.name,
      Protocol: g.protocol,
      Port: g.port,
      VpcId: VPC_ID,
      HealthCheckProtocol: hc.protocol,
      HealthCheckPort: hc.port,
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: g.healthCheck.intervalSeconds,
      HealthCheckTimeoutSeconds: hc.timeoutSeconds,
      HealthyThresholdCount: g.healthCheck.healthyThreshold,
      UnhealthyThresholdCount: g.healthCheck.unhealthyThreshold,
      HealthCheckPath: hc.path,
      Matcher: hc.matcher ? { HttpCode: hc.matcher } : undefined,
      LoadBalancerArns: this.elb()
        .loadBalancersOf(g.arn)
        .map((lb) => lb.arn),
      TargetType: g.targets.size ? targetType(g) : g.targetType,
      ProtocolVersion: g.protocol.startsWith('HTTP') ? 'HTTP1' : undefined,
      IpAddressType: 'ipv4',
    };
  }

  /** The attributes AWS lists for every group, with the deregistration delay the model uses. */
  private attributesOf(g: TargetGroup): Record<string, string> {
    return {
      'deregistration_delay.timeout_seconds': String(g.deregistrationDelaySeconds),
      'stickiness.enabled': 'false',
      'stickiness.type': g.protocol.startsWith('HTTP') ? 'lb_cookie' : 'source_ip',
      ...(g.protocol.startsWith('HTTP') && {
        'stickiness.lb_cookie.duration_seconds': '86400',
        'load_balancing.algorithm.type': 'round_robin',
        'slow_start.duration_seconds': '0',
      }),
      ...Object.fromEntries(g.attributes),
    };
  }

  describeTargetGroupAttributes(input: { TargetGroupArn?: string }) {
    const g = this.group(input.TargetGroupArn);
    return { Attributes: Object.entries(this.attributesOf(g)).map(([Key, Value]) => ({ Key, Value })) };
  }

  modifyTargetGroupAttributes(input: {
    TargetGroupArn?: string;
    Attributes?: { Key?: string; Value?: unknown }[];
  }) {
    const g = this.group(input.TargetGroupArn);
    const known = this.attributesOf(g);
    for (const a of input.Attributes ?? []) {
      const key = String(a.Key ?? '');
      const value = String(a.Value ?? '');
      if (!(key in known))
        throw new AwsError(
          'InvalidConfigurationRequest',
          `Target group attribute key '${key}' is not recognized`,
        );
      if (key === 'deregistration_delay.timeout_seconds') {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 3600)
          throw new AwsError(
            'InvalidConfigurationRequest',
            `Target group attribute deregistration_delay.timeout_seconds must be between 0 and 3600, got '${value}'`,
          );
        g.deregistrationDelaySeconds = n;
      } else g.attributes.set(key, value);
    }
    return this.describeTargetGroupAttributes(input);
  }

  createTargetGroup(input: {
    Name?: string;
    Protocol?: string;
    Port?: number | string;
    VpcId?: string;
    TargetType?: string;
    HealthCheckProtocol?: string;
    HealthCheckPort?: string;
    HealthCheckPath?: string;
    HealthCheckIntervalSeconds?: number | string;
    HealthCheckTimeoutSeconds?: number | string;
    HealthyThresholdCount?: number | string;
    UnhealthyThresholdCount?: number | string;
    Matcher?: { HttpCode?: string };
  }) {
    const name = input.Name ?? '';
    if (!/^[A-Za-z0-9-]{1,32}$/.test(name) || name.startsWith('-') || name.endsWith('-'))
      throw new AwsError(
        'ValidationError',
        `Target group name '${name}' can have a maximum of 32 characters, can contain only alphanumeric characters or hyphens, and cannot begin or end with a hyphen`,
      );
    const targetType = input.TargetType ?? 'instance';
    if (targetType !== 'ip' && targetType !== 'instance')
      throw new AwsError(
        'ValidationError',
        `Target type '${targetType}' is not supported here (ip, instance)`,
      );
    if (!input.Protocol || input.Port === undefined || !input.VpcId)
      throw new AwsError(
        'ValidationError',
        'A protocol, port and VPC ID must be specified for target groups of type instance or ip',
      );
    // The local AWS has one VPC: a group elsewhere could never take its tasks, or join its load
    // balancers' listeners (AWS: "ValidationError: The VPC ID 'vpc-…' is not found", as reported in
    // https://github.com/ansible/ansible/issues/31919).
    if (input.VpcId !== VPC_ID)
      throw new AwsError('ValidationError', `The VPC ID '${input.VpcId}' is not found`);
    const int = (v: unknown, field: string, lo: number, hi: number): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < lo || n > hi)
        throw new AwsError(
          'ValidationError',
          `1 validation error detected: Value '${String(v)}' at '${field}' failed to satisfy constraint: Member must have value between ${lo} and ${hi}`,
        );
      return n;
    };
    const wanted = {
      protocol: input.Protocol,
      port: int(input.Port, 'port', 1, 65535)!,
      targetType,
      healthCheck: {
        intervalSeconds: int(input.HealthCheckIntervalSeconds, 'healthCheckIntervalSeconds', 5, 300),
        healthyThreshold: int(input.HealthyThresholdCount, 'healthyThresholdCount', 2, 10),
        unhealthyThreshold: int(input.UnhealthyThresholdCount, 'unhealthyThresholdCount', 2, 10),
      },
      healthCheckSettings: {
        protocol: input.HealthCheckProtocol,
        port: input.HealthCheckPort,
        path: input.HealthCheckPath,
        timeoutSeconds: int(input.HealthCheckTimeoutSeconds, 'healthCheckTimeoutSeconds', 2, 120),
        matcher: input.Matcher?.HttpCode,
      },
    };
    const existing = [...this.elb().groups.values()].find((g) => g.name === name);
    if (existing) {
      const d = this.describeGroup(existing);
      const same =
        d.Protocol === wanted.protocol &&
        d.Port === wanted.port &&
        existing.targetType === targetType &&
        (wanted.healthCheck.intervalSeconds ?? d.HealthCheckIntervalSeconds) ===
          d.HealthCheckIntervalSeconds &&
        (wanted.healthCheck.healthyThreshold ?? d.HealthyThresholdCount) === d.HealthyThresholdCount &&
        (wanted.healthCheck.unhealthyThreshold ?? d.UnhealthyThresholdCount) === d.UnhealthyThresholdCount &&
        (wanted.healthCheckSettings.path ?? d.HealthCheckPath) === d.HealthCheckPath;
      if (!same)
        throw new AwsError(
          'DuplicateTargetGroupName',
          'A target group with the same name exists, but with different settings',
        );
      return { TargetGroups: [d] };
    }
    if (this.elb().groups.size >= MAX_TARGET_GROUPS)
      throw new AwsError(
        'TooManyTargetGroups',
        'You have reached the limit on the number of target groups for your AWS account',
      );
    const arn = this.elb().createTargetGroup({
      name,
      protocol: wanted.protocol,
      port: wanted.port,
      targetType,
      healthCheck: {
        intervalSeconds: wanted.healthCheck.intervalSeconds,
        healthyThreshold: wanted.healthCheck.healthyThreshold,
        unhealthyThreshold: wanted.healthCheck.unhealthyThreshold,
      },
      healthCheckSettings: Object.fromEntries(
        Object.entries(wanted.healthCheckSettings).filter(([, v]) => v !== undefined),
      ),
      loadBalancerName: false,
    });
    return { TargetGroups: [this.describeGroup(this.elb().groups.get(arn)!)] };
  }

  private taskOf(id: string): Task | undefined {
    return this.elb().taskByTargetId(id);
  }

  registerTargets(input: { TargetGroupArn?: string; Targets?: { Id?: string; Port?: number | string }[] }) {
    const g = this.group(input.TargetGroupArn);
    const targets = input.Targets ?? [];
    for (const want of targets) {
      const task = want.Id ? this.taskOf(want.Id) : undefined;
      if (!task)
        throw new AwsError(
          'InvalidTarget',
          `The following targets are not in a running state and cannot be registered: '${want.Id}'`,
        );
    }
    for (const want of targets) {
      const task = this.taskOf(want.Id!)!;
      this.elb().registerTarget(
        task,
        g,
        task.containers[0]!.name,
        want.Port === undefined ? g.port : Number(want.Port),
      );
    }
    return EMPTY_RESULT;
  }

  deregisterTargets(input: { TargetGroupArn?: string; Targets?: { Id?: string; Port?: number | string }[] }) {
    const g = this.group(input.TargetGroupArn);
    for (const want of input.Targets ?? []) {
      const port = want.Port === undefined ? undefined : Number(want.Port);
      const held = [...g.targets].filter(
        (t) => targetId(t) === want.Id && (port === undefined || t.port === port),
      );
      if (!held.length)
        throw new AwsError(
          'InvalidTarget',
          `The following targets are not registered in target group '${g.name}': '${want.Id}'`,
        );
      for (const t of held) this.elb().deregisterTarget(t);
    }
    return EMPTY_RESULT;
  }

  // ------------------------------------------------------------ tags

  /** The tags of a resource that exists (its kind read from the ARN), else that kind's NotFound. */
  private tagsOf(arn: unknown): Map<string, string> {
    const a = String(arn ?? '');
    if (a.includes(':loadbalancer/')) this.loadBalancer(a);
    else if (a.includes(':targetgroup/')) this.group(a);
    else if (a.includes(':listener-rule/')) this.rule(a);
    else if (a.includes(':listener/')) this.listener(a);
    else throw new AwsError('ValidationError', `'${a}' is not a valid load balancer resource ARN`);
    const held = this.tags.get(a) ?? new Map<string, string>();
    this.tags.set(a, held);
    return held;
  }

  private resourceArns(input: { ResourceArns?: string[] }, max: number): string[] {
    const arns = input.ResourceArns ?? [];
    if (arns.length < 1 || arns.length > max)
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length ${arns.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${max}`}`,
      );
    return arns;
  }

  addTags(input: { ResourceArns?: string[]; Tags?: { Key?: string; Value?: string }[] }) {
    const arns = this.resourceArns(input, MAX_DESCRIBE_TAG_RESOURCES);
    const add = input.Tags ?? [];
    const keys = add.map((t) => String(t.Key ?? ''));
    for (const k of keys)
      if (k.length < 1 || k.length > 128)
        throw new AwsError(
          'ValidationError',
          `1 validation error detected: Value '${k}' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128`,
        );
    if (new Set(keys).size !== keys.length)
      throw new AwsError('DuplicateTagKeys', 'A tag key was specified more than once.');
    // Every resource is checked before any is changed: one missing ARN changes nothing.
    const targets = arns.map((arn) => this.tagsOf(arn));
    for (const held of targets)
      if (new Set([...held.keys(), ...keys]).size > MAX_TAGS)
        throw new AwsError(
          'TooManyTags',
          "You've reached the limit on the number of tags for this resource.",
        );
    for (const held of targets) for (const t of add) held.set(String(t.Key), String(t.Value ?? ''));
    return EMPTY_RESULT;
  }

  removeTags(input: { ResourceArns?: string[]; TagKeys?: string[] }) {
    const targets = this.resourceArns(input, MAX_DESCRIBE_TAG_RESOURCES).map((arn) => this.tagsOf(arn));
    for (const held of targets) for (const k of input.TagKeys ?? []) held.delete(k);
    return EMPTY_RESULT;
  }

  describeTags(input: { ResourceArns?: string[] }) {
    return {
      TagDescriptions: this.resourceArns(input, MAX_DESCRIBE_TAG_RESOURCES).map((arn) => ({
        ResourceArn: arn,
        Tags: [...this.tagsOf(arn)].map(([Key, Value]) => ({ Key, Value })),
      })),
    };
  }

  // ------------------------------------------------------------ load balancers, listeners, rules

  private loadBalancer(arn: string): LoadBalancer {
    const lb = this.elb().loadBalancers.get(arn);
    if (!lb) throw new AwsError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
    return lb;
  }

  private listener(arn: unknown): Listener {
    const l = typeof arn === 'string' ? this.elb().listener(arn) : undefined;
    if (!l) throw new AwsError('ListenerNotFound', `Listener '${String(arn)}' not found`);
    return l;
  }

  private rule(arn: unknown): Rule {
    const r = this.elb()
      .allRules()
      .find((x) => x.arn === arn);
    if (!r) throw new AwsError('RuleNotFound', `One or more rules not found`);
    return r;
  }

  describeLoadBalancers(input: { LoadBalancerArns?: string[]; Names?: string[] }) {
    const all = [...this.elb().loadBalancers.values()];
    let lbs = all;
    if (input.LoadBalancerArns?.length) lbs = input.LoadBalancerArns.map((arn) => this.loadBalancer(arn));
    else if (input.Names?.length)
      lbs = input.Names.map(
        (n) =>
          all.find((lb) => lb.name === n) ??
          (() => {
            throw new AwsError('LoadBalancerNotFound', `Load balancers '[${n}]' not found`);
          })(),
      );
    return {
      LoadBalancers: lbs.map((lb) => ({
        LoadBalancerArn: lb.arn,
        DNSName: `${lb.name}-${lb.dimension.split('/')[2]!.slice(0, 10)}.${this.world.region}.elb.amazonaws.com`,
        CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
        CreatedTime: new Date(lb.createdAt),
        LoadBalancerName: lb.name,
        Scheme: 'internet-facing',
        VpcId: VPC_ID,
        State: { Code: 'active' },
        Type: lb.type,
        IpAddressType: 'ipv4',
      })),
    };
  }

  describeListeners(input: { LoadBalancerArn?: string; ListenerArns?: string[] }) {
    let listeners: Listener[];
    if (input.ListenerArns?.length) listeners = input.ListenerArns.map((arn) => this.listener(arn));
    else if (input.LoadBalancerArn) listeners = this.loadBalancer(input.LoadBalancerArn).listeners;
    else
      throw new AwsError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
    return { Listeners: listeners.map((l) => describeListener(l)) };
  }

  describeRules(input: { ListenerArn?: string; RuleArns?: string[] }) {
    let rules: Rule[];
    if (input.RuleArns?.length) rules = input.RuleArns.map((arn) => this.rule(arn));
    else if (input.ListenerArn) rules = this.listener(input.ListenerArn).rules;
    else throw new AwsError('ValidationError', 'You must specify either listener ARN or rule ARNs');
    return { Rules: rules.map(describeRule) };
  }

  modifyListener(input: {
    ListenerArn?: string;
    DefaultActions?: unknown[];
    Port?: number | string;
    Protocol?: string;
  }) {
    const l = this.listener(input.ListenerArn);
    const rule = l.rules.find((r) => r.priority === 'default')!;
    if (input.DefaultActions !== undefined) {
      const actions = this.checkActions(l, input.DefaultActions, 'defaultActions');
      this.elb().setActions(rule, actions);
    }
    if (input.Port !== undefined) l.port = Number(input.Port);
    if (input.Protocol !== undefined) l.protocol = input.Protocol;
    return { Listeners: [describeListener(l)] };
  }

  modifyRule(input: { RuleArn?: string; Actions?: unknown[]; Conditions?: unknown[] }) {
    const rule = this.rule(input.RuleArn);
    if (rule.priority === 'default')
      throw new AwsError(
        'OperationNotPermitted',
        'Default rule cannot be modified: use ModifyListener to change its actions',
      );
    if (input.Conditions !== undefined) rule.conditions = input.Conditions;
    if (input.Actions !== undefined)
      this.elb().setActions(rule, this.checkActions(rule.listener, input.Actions, 'actions'));
    return { Rules: [describeRule(rule)] };
  }

  /** The actions as AWS checks them before taking them (see the limits in the header). */
  private checkActions(listener: Listener, raw: unknown[], field: string): Action[] {
    if (!raw.length)
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: '${field}' must contain at least one action`,
      );
    const actions = raw.map((a) => ({ ...(a as Record<string, unknown>) })) as Action[];
    const forwards = actions.filter((a): a is ForwardAction => a.Type === 'forward');
    if (forwards.length > 1)
      throw new AwsError('TooManyActions', 'A rule can have at most one forward action');
    for (const [i, a] of actions.entries()) {
      if (a.Order !== undefined) (a as { Order: number }).Order = Number(a.Order);
      if (a.Type !== 'forward') continue;
      const f = a as ForwardAction;
      const at = `${field}.${i + 1}.member.forwardConfig`;
      const tuples = f.ForwardConfig?.TargetGroups ?? [];
      if (f.ForwardConfig && !tuples.length && !f.TargetGroupArn)
        throw new AwsError(
          'ValidationError',
          `A forward action must name a target group (TargetGroupArn or ForwardConfig.TargetGroups)`,
        );
      if (!f.ForwardConfig && !f.TargetGroupArn)
        throw new AwsError(
          'ValidationError',
          'A forward action must name a target group (TargetGroupArn or ForwardConfig.TargetGroups)',
        );
      if (tuples.length > MAX_GROUPS_PER_FORWARD)
        throw new AwsError(
          'InvalidLoadBalancerAction',
          `A forward action can have at most ${MAX_GROUPS_PER_FORWARD} target groups; got ${tuples.length}`,
        );
      if (
        f.TargetGroupArn &&
        tuples.length &&
        (tuples.length !== 1 || tuples[0]!.TargetGroupArn !== f.TargetGroupArn)
      )
        throw new AwsError(
          'InvalidLoadBalancerAction',
          'With both TargetGroupArn and ForwardConfig, ForwardConfig must name exactly that one target group',
        );
      const seen = new Set<string>();
      for (const [j, t] of tuples.entries()) {
        if (t.Weight !== undefined) {
          const w = Number(t.Weight);
          if (!Number.isInteger(w) || w < 0 || w > MAX_WEIGHT)
            throw new AwsError(
              'ValidationError',
              `1 validation error detected: Value '${String(t.Weight)}' at '${at}.targetGroups.${j + 1}.member.weight' failed to satisfy constraint: Member must have value between 0 and ${MAX_WEIGHT}`,
            );
          t.Weight = w;
        }
        if (seen.has(t.TargetGroupArn))
          throw new AwsError(
            'InvalidLoadBalancerAction',
            `Target group '${t.TargetGroupArn}' is named more than once in the forward action`,
          );
        seen.add(t.TargetGroupArn);
      }
      const sticky = f.ForwardConfig?.TargetGroupStickinessConfig;
      if (sticky) {
        const enabled = String(sticky.Enabled) === 'true';
        sticky.Enabled = enabled;
        if (sticky.DurationSeconds !== undefined) sticky.DurationSeconds = Number(sticky.DurationSeconds);
        if (enabled) {
          const d = sticky.DurationSeconds;
          if (d === undefined || !Number.isInteger(d) || d < 1 || d > MAX_STICKINESS_SECONDS)
            throw new AwsError(
              'ValidationError',
              `Target group stickiness duration must be between 1 and ${MAX_STICKINESS_SECONDS} seconds when stickiness is enabled`,
            );
        }
      }
      for (const arn of new Set([...(f.TargetGroupArn ? [f.TargetGroupArn] : []), ...seen])) {
        const g = this.group(arn);
        const alb = listener.loadBalancer.type === 'application';
        if (alb !== g.protocol.startsWith('HTTP'))
          throw new AwsError(
            'IncompatibleProtocols',
            `The target group '${g.name}' uses protocol ${g.protocol}, which a ${listener.protocol} listener cannot forward to`,
          );
        const others = this.elb()
          .loadBalancersOf(arn)
          .filter((lb) => lb !== listener.loadBalancer);
        if (others.length)
          throw new AwsError(
            'TargetGroupAssociationLimit',
            `The following target groups cannot be associated with more than one load balancer: ${arn}`,
          );
      }
    }
    return actions;
  }

  private missing(what: string): never {
    throw targetGroupNotFound(what);
  }
}
