/**
 * Application Load Balancer target groups, as far as ECS services see them: tasks register when
 * they start (ACTIVATING), are healthy once they pass their first health check ("After your target
 * is registered, it must pass one health check to be considered healthy", ELB User Guide, "Health
 * checks for Application Load Balancer target groups"; `healthyThreshold` is what brings an
 * unhealthy target back), fail after `unhealthyThreshold` failures, and drain for the deregistration
 * delay when they stop. Traffic set with `setLoad` is spread evenly over the healthy targets of a
 * target group, whichever service they belong to; with no healthy target the ALB "fails open" to
 * the unhealthy ones (ELB docs, "Target group health"). Accounting is deterministic: fractional
 * requests per target, integrated over time between changes.
 *
 * Every minute: AWS/ApplicationELB RequestCount, RequestCountPerTarget and HTTPCode_Target_5XX_Count,
 * and AWS/ECS CPUUtilization / MemoryUtilization per service. ELB "reports metrics only when requests
 * are flowing ... If there are no requests ... or no data for a metric, the metric is not reported"
 * (ELB User Guide, "CloudWatch metrics for your Application Load Balancer"), so zero counts are not
 * published. ECS publishes service utilization once a minute while the service has running tasks
 * (ECS Developer Guide, "Amazon ECS CloudWatch metrics").
 */
import type { Datum } from '../../core/context.ts';
import { errorShareAt } from '../../core/images.ts';
import {
  type Action,
  forwardGroups,
  forwardOf,
  type Listener,
  type LoadBalancer,
  type Rule,
  routedLoad,
} from '../elbv2/routing.ts';
import { type ServedKey, ServedLedger } from '../elbv2/served.ts';
import { TARGET_GROUP_DEFAULTS, TEXT } from './constants.ts';
import type { EcsContext, TargetRegistration } from './context.ts';
import type { LoadBalancerRef, Target, TargetGroup, Task } from './model.ts';

/** Rules in evaluation order: by priority, the default rule last. */
const rank = (r: Rule) => (r.priority === 'default' ? Number.POSITIVE_INFINITY : Number(r.priority));

/**
 * The metrics the local load balancers and ECS publish, with the dimension sets of each (what
 * `publishMinute` sends). An alarm whose metric and dimensions match none of these never gets a
 * datapoint here. ALB publishes HTTPCode_Target_5XX_Count and RequestCount per LoadBalancer and
 * TargetGroup together and per LoadBalancer alone (every group behind it), never per TargetGroup
 * alone (ELB User Guide, "CloudWatch metrics for your Application Load Balancer", Metric
 * dimensions); RequestCountPerTarget per TargetGroup.
 */
export const PUBLISHED_METRICS: Record<string, Record<string, string[][]>> = {
  'AWS/ApplicationELB': {
    RequestCount: [['LoadBalancer', 'TargetGroup'], ['LoadBalancer']],
    RequestCountPerTarget: [['TargetGroup']],
    HTTPCode_Target_5XX_Count: [['LoadBalancer', 'TargetGroup'], ['LoadBalancer']],
  },
  'AWS/ECS': {
    CPUUtilization: [['ClusterName', 'ServiceName']],
    MemoryUtilization: [['ClusterName', 'ServiceName']],
  },
};

export interface CreateTargetGroupOptions {
  name: string;
  healthCheck?: { intervalSeconds?: number; healthyThreshold?: number; unhealthyThreshold?: number };
  deregistrationDelaySeconds?: number;
  /**
   * The load balancer in front of it (default `<name>-alb`, made with a listener on port 80 whose
   * default action forwards to the group when the load balancer has no listener yet); `false`: none
   * (a group CreateTargetGroup made, until a rule forwards to it).
   */
  loadBalancerName?: string | false;
  protocol?: string;
  port?: number;
  targetType?: 'ip' | 'instance';
  healthCheckSettings?: Partial<TargetGroup['healthCheckSettings']>;
  attributes?: Record<string, string>;
}

export interface TargetHealth {
  taskArn: string;
  serviceName?: string;
  port: number;
  state: string;
}

export class LoadBalancing implements TargetRegistration {
  readonly groups = new Map<string, TargetGroup>();
  readonly loadBalancers = new Map<string, LoadBalancer>();
  /** What each target group served, by revision: the share a step really had (elbv2/served.ts). */
  private readonly served = new ServedLedger();
  /** Carried fractions, so published counts are whole numbers without drift. */
  private carry = new Map<string, { requests: number; errors: number }>();

  constructor(private readonly ecs: EcsContext) {}

  private now(): number {
    return this.ecs.world.now();
  }

  createTargetGroup(o: CreateTargetGroupOptions): string {
    if (!/^[A-Za-z0-9-]{1,32}$/.test(o.name) || o.name.startsWith('-') || o.name.endsWith('-'))
      throw new Error(
        `target group name "${o.name}": 1-32 alphanumerics or hyphens, not starting or ending with "-"`,
      );
    for (const g of this.groups.values()) if (g.name === o.name) return g.arn;
    const world = this.ecs.world;
    const id = world.ids.hex32().slice(0, 16);
    const arn = world.arn('elasticloadbalancing', `targetgroup/${o.name}/${id}`);
    const protocol = o.protocol ?? 'HTTP';
    const group: TargetGroup = {
      arn,
      name: o.name,
      dimension: `targetgroup/${o.name}/${id}`,
      loadBalancerDimension: '',
      healthCheck: {
        intervalSeconds: o.healthCheck?.intervalSeconds ?? TARGET_GROUP_DEFAULTS.intervalSeconds,
        healthyThreshold: o.healthCheck?.healthyThreshold ?? TARGET_GROUP_DEFAULTS.healthyThreshold,
        unhealthyThreshold: o.healthCheck?.unhealthyThreshold ?? TARGET_GROUP_DEFAULTS.unhealthyThreshold,
      },
      deregistrationDelaySeconds:
        o.deregistrationDelaySeconds ?? TARGET_GROUP_DEFAULTS.deregistrationDelaySeconds,
      protocol,
      port: o.port ?? 80,
      targetType: o.targetType ?? 'ip',
      healthCheckSettings: {
        protocol:
          o.healthCheckSettings?.protocol ??
          (protocol === 'HTTPS' ? 'HTTPS' : protocol === 'HTTP' ? 'HTTP' : 'TCP'),
        port: o.healthCheckSettings?.port ?? 'traffic-port',
        path: o.healthCheckSettings?.path ?? (protocol.startsWith('HTTP') ? '/' : undefined),
        timeoutSeconds: o.healthCheckSettings?.timeoutSeconds ?? (protocol.startsWith('HTTP') ? 5 : 10),
        matcher: o.healthCheckSettings?.matcher ?? (protocol.startsWith('HTTP') ? '200' : undefined),
      },
      attributes: new Map(Object.entries(o.attributes ?? {})),
      createdAt: this.now(),
      targets: new Set(),
      offered: 0,
      requestsPerSecond: 0,
      lastFlush: this.now(),
      minuteRequests: 0,
      minuteErrors: 0,
    };
    this.groups.set(arn, group);
    if (o.loadBalancerName !== false) {
      const lb =
        this.loadBalancerNamed(o.loadBalancerName ?? `${o.name}-alb`) ??
        this.createLoadBalancer(o.loadBalancerName ?? `${o.name}-alb`);
      if (lb.listeners.length === 0)
        this.createListener(lb.arn, { port: 80, protocol: 'HTTP', targetGroupArn: arn });
      else group.loadBalancerDimension = lb.dimension;
    }
    return arn;
  }

  /** The task not yet stopped whose ENI address (ip) or EC2 instance (instance) is the target Id. */
  taskByTargetId(id: string): Task | undefined {
    for (const t of this.ecs.taskIndex.values())
      if (
        t.lastStatus !== 'STOPPED' &&
        (t.attachment?.privateIPv4Address === id || t.containerInstance?.ec2InstanceId === id)
      )
        return t;
    return undefined;
  }

  /** Requests served in [from, to) per target group, revision and service, accounted up to now. */
  servedBetween(
    from: number,
    to: number,
    keep?: (k: ServedKey) => boolean,
  ): { key: ServedKey; requests: number }[] {
    for (const g of this.groups.values()) this.flush(g);
    return this.served.between(from, to, keep);
  }

  loadBalancerNamed(name: string): LoadBalancer | undefined {
    for (const lb of this.loadBalancers.values()) if (lb.name === name) return lb;
    return undefined;
  }

  createLoadBalancer(name: string, type: 'application' | 'network' = 'application'): LoadBalancer {
    if (this.loadBalancerNamed(name)) throw new Error(`a load balancer named "${name}" exists`);
    const world = this.ecs.world;
    const id = world.ids.hex32().slice(0, 16);
    const dimension = `${type === 'application' ? 'app' : 'net'}/${name}/${id}`;
    const lb: LoadBalancer = {
      arn: world.arn('elasticloadbalancing', `loadbalancer/${dimension}`),
      name,
      type,
      dimension,
      listeners: [],
      createdAt: this.now(),
    };
    this.loadBalancers.set(lb.arn, lb);
    return lb;
  }

  /** A listener whose default action forwards to one target group. */
  createListener(
    loadBalancerArn: string,
    o: { port: number; protocol?: string; targetGroupArn: string },
  ): Listener {
    const lb = this.loadBalancers.get(loadBalancerArn);
    if (!lb) throw new Error(`no load balancer ${loadBalancerArn}`);
    // As ELBv2 refuses it (IncompatibleProtocols): an ALB forwards to HTTP/HTTPS groups, an NLB to the others.
    const group = this.groups.get(o.targetGroupArn);
    if (group && (lb.type === 'application') !== group.protocol.startsWith('HTTP'))
      throw new Error(
        `an ${lb.type} load balancer's listener cannot forward to target group ${group.name} (protocol ${group.protocol})`,
      );
    const id = this.ecs.world.ids.hex32().slice(0, 16);
    const [, kind, name, lbId] = lb.dimension.match(/^(app|net)\/([^/]+)\/(.+)$/)!;
    const arn = this.ecs.world.arn('elasticloadbalancing', `listener/${kind}/${name}/${lbId}/${id}`);
    const listener: Listener = {
      arn,
      loadBalancer: lb,
      port: o.port,
      protocol: o.protocol ?? (lb.type === 'application' ? 'HTTP' : 'TCP'),
      rules: [],
    };
    listener.rules.push({
      arn: this.ecs.world.arn(
        'elasticloadbalancing',
        `listener-rule/${kind}/${name}/${lbId}/${id}/${this.ecs.world.ids.hex32().slice(0, 16)}`,
      ),
      listener,
      priority: 'default',
      conditions: [],
      actions: [{ Type: 'forward', TargetGroupArn: o.targetGroupArn }],
    });
    lb.listeners.push(listener);
    this.reroute();
    return listener;
  }

  /** A rule (path pattern) that forwards to one target group, before the default rule. */
  createRule(
    listenerArn: string,
    o: { priority: number; pathPattern: string; targetGroupArn: string },
  ): Rule {
    const listener = this.listener(listenerArn);
    if (!listener) throw new Error(`no listener ${listenerArn}`);
    const rule: Rule = {
      arn: listener.rules.at(-1)!.arn.replace(/\/[^/]+$/, `/${this.ecs.world.ids.hex32().slice(0, 16)}`),
      listener,
      priority: String(o.priority),
      conditions: [
        { Field: 'path-pattern', Values: [o.pathPattern], PathPatternConfig: { Values: [o.pathPattern] } },
      ],
      actions: [{ Type: 'forward', TargetGroupArn: o.targetGroupArn }],
    };
    listener.rules.splice(listener.rules.length - 1, 0, rule);
    listener.rules.sort((a, b) => rank(a) - rank(b));
    this.reroute();
    return rule;
  }

  listener(arn: string): Listener | undefined {
    for (const lb of this.loadBalancers.values()) for (const l of lb.listeners) if (l.arn === arn) return l;
    return undefined;
  }

  allRules(): Rule[] {
    return [...this.loadBalancers.values()].flatMap((lb) => lb.listeners.flatMap((l) => l.rules));
  }

  /** The load balancers whose rules forward to the group (a target group belongs to at most one). */
  loadBalancersOf(targetGroupArn: string): LoadBalancer[] {
    const out = new Set<LoadBalancer>();
    for (const rule of this.allRules()) {
      const f = forwardOf(rule);
      if (f && forwardGroups(f).some((g) => g.TargetGroupArn === targetGroupArn))
        out.add(rule.listener.loadBalancer);
    }
    return [...out];
  }

  /** Replaces a rule's actions (ModifyRule, ModifyListener): the traffic moves from now on. */
  setActions(rule: Rule, actions: Action[]): void {
    for (const g of this.groups.values()) this.flush(g);
    rule.actions = actions;
    this.reroute();
  }

  /** Sets each group's request rate from the offered loads and the rules' weights (elbv2/routing.ts). */
  reroute(): void {
    for (const g of this.groups.values()) this.flush(g);
    const rules = this.allRules();
    const offered = new Map([...this.groups.values()].map((g) => [g.arn, g.offered]));
    const routed = routedLoad(offered, rules);
    for (const g of this.groups.values()) {
      g.requestsPerSecond = routed.get(g.arn) ?? 0;
      const lb = this.loadBalancersOf(g.arn)[0];
      if (lb) g.loadBalancerDimension = lb.dimension;
    }
  }

  setLoad(targetGroupArn: string, requestsPerSecond: number): void {
    const g = this.groups.get(targetGroupArn);
    if (!g) throw new Error(`no target group ${targetGroupArn}`);
    if (!(requestsPerSecond >= 0)) throw new Error('requestsPerSecond must be >= 0');
    g.offered = requestsPerSecond;
    this.reroute();
  }

  /** Registers a service task in the target groups of its service's load balancers. */
  register(task: Task): void {
    const svc = task.service;
    if (!svc || task.targets.length > 0) return;
    for (const [i, lb] of svc.loadBalancers.entries()) {
      // Blue/green, canary, linear: a new revision registers in the target group not serving production.
      const arn = this.ecs.native.targetGroupFor(svc, task, i, lb);
      const g = arn ? this.groups.get(arn) : undefined;
      if (!g) continue;
      const container = task.containers.find((c) => c.name === lb.containerName) ?? task.containers[0]!;
      const binding = container.networkBindings?.find((b) => b.containerPort === lb.containerPort);
      this.registerTarget(task, g, container.name, binding?.hostPort ?? lb.containerPort ?? 80);
    }
  }

  /** One registration (ECS's, or RegisterTargets'): `initial` until the health check passes. */
  registerTarget(task: Task, g: TargetGroup, containerName: string, port: number): Target {
    const held = [...g.targets].find((t) => t.task === task && t.port === port && t.state !== 'draining');
    if (held) return held;
    const container = task.containers.find((c) => c.name === containerName) ?? task.containers[0]!;
    const target: Target = {
      group: g,
      task,
      containerName: container.name,
      port,
      state: 'initial',
      since: this.now(),
      timers: [],
    };
    this.flush(g);
    g.targets.add(target);
    task.targets.push(target);
    const svc = task.service;
    if (svc) this.ecs.scheduler.addEvent(svc, TEXT.registeredTargets(svc.name, 1, g.arn));
    // The ALB health check: one success makes a new target healthy (ELB User Guide, "Health checks
    // for Application Load Balancer target groups"), unhealthyThreshold failures unhealthy. When the
    // first check comes after registration is not documented: the model takes the harshest reading,
    // one whole interval (30 s with the defaults).
    const hc = g.healthCheck;
    const b = container.behaviour;
    // An image that turns bad later ({ unhealthy: { after } }) passes its checks until then.
    const badInMs = b?.unhealthy
      ? Math.max(0, (task.startedAt ?? this.now()) + (b.unhealthyAfterSeconds ?? 0) * 1000 - this.now())
      : Number.POSITIVE_INFINITY;
    const healthyAt = hc.intervalSeconds * 1000;
    if (healthyAt < badInMs)
      target.timers.push(this.ecs.world.clock.after(healthyAt, () => this.setState(target, 'healthy')));
    if (badInMs !== Number.POSITIVE_INFINITY)
      target.timers.push(
        this.ecs.world.clock.after(badInMs + hc.unhealthyThreshold * hc.intervalSeconds * 1000, () =>
          this.setState(target, 'unhealthy'),
        ),
      );
    return target;
  }

  /** DeregisterTargets: the target drains for the group's deregistration delay, then leaves it. */
  deregisterTarget(target: Target): number {
    if (target.state === 'draining') return 0;
    const g = target.group;
    this.flush(g);
    for (const cancel of target.timers) cancel();
    target.timers = [];
    target.state = 'draining';
    target.since = this.now();
    const ms = g.deregistrationDelaySeconds * 1000;
    target.timers.push(this.ecs.world.clock.after(ms, () => g.targets.delete(target)));
    return ms;
  }

  private setState(target: Target, state: 'healthy' | 'unhealthy'): void {
    if (target.state === 'draining' || !target.group.targets.has(target)) return;
    this.flush(target.group);
    target.state = state;
    target.since = this.now();
    // Only the target groups of the task's own service move ECS (a target registered by hand does not).
    // (Under ECS's blue/green strategies, the alternate target group is the service's own too.)
    const own = (lb: LoadBalancerRef) =>
      lb.targetGroupArn === target.group.arn ||
      lb.advancedConfiguration?.alternateTargetGroupArn === target.group.arn;
    if (!target.task.service?.loadBalancers.some(own)) return;
    if (state === 'healthy') this.ecs.scheduler.onTaskHealthChange(target.task);
    else this.ecs.scheduler.onTargetUnhealthy(target.task, target);
  }

  /**
   * Deregisters the task's targets. With `drain`, they drain for the deregistration delay (the task
   * stays DEACTIVATING meanwhile); returns that delay in ms (0 when there was nothing to drain).
   */
  deregister(task: Task, drain: boolean): number {
    let delay = 0;
    const svc = task.service;
    if (drain && svc && task.targets.some((x) => x.state !== 'draining'))
      this.ecs.scheduler.addEvent(svc, TEXT.drainingConnections(svc.name, 1));
    for (const target of task.targets) {
      if (target.state === 'draining') continue;
      if (svc) this.ecs.scheduler.addEvent(svc, TEXT.deregisteredTargets(svc.name, 1, target.group.arn));
      const ms = this.deregisterTarget(target);
      if (drain) delay = Math.max(delay, ms);
    }
    return delay;
  }

  /** The task is STOPPED: drop whatever registration is left. */
  forget(task: Task): void {
    for (const target of task.targets) {
      if (target.state !== 'draining') {
        this.flush(target.group);
        for (const cancel of target.timers) cancel();
        target.group.targets.delete(target);
      }
    }
  }

  /** Targets that receive requests: the healthy ones; with none healthy, the unhealthy ones (fail open). */
  private serving(g: TargetGroup): Target[] {
    const healthy: Target[] = [];
    const unhealthy: Target[] = [];
    for (const t of g.targets) {
      if (t.state === 'healthy') healthy.push(t);
      else if (t.state === 'unhealthy') unhealthy.push(t);
    }
    return healthy.length > 0 ? healthy : unhealthy;
  }

  /** Accounts the requests served since the last flush, at the load and membership of that period. */
  flush(g: TargetGroup): void {
    const now = this.now();
    const dt = now - g.lastFlush;
    g.lastFlush = now;
    if (dt <= 0 || g.requestsPerSecond <= 0) return;
    const serving = this.serving(g);
    if (serving.length === 0) return; // the ALB answers 503 itself: no target sees the request
    const total = (g.requestsPerSecond * dt) / 1000;
    const each = total / serving.length;
    for (const t of serving) {
      this.served.record(
        {
          targetGroupArn: g.arn,
          revision: t.task.taskDefinition.arn,
          service: t.task.service ? `${t.task.cluster.name}/${t.task.service.name}` : undefined,
        },
        now - dt,
        now,
        each,
      );
      const errors = each * errorRate(t, now);
      t.task.requests += each;
      t.task.errors += errors;
      t.task.minuteRequests += each;
      g.minuteErrors += errors;
    }
    g.minuteRequests += total;
  }

  targetHealth(targetGroupArn: string): TargetHealth[] {
    const g = this.groups.get(targetGroupArn);
    if (!g) throw new Error(`no target group ${targetGroupArn}`);
    return [...g.targets].map((t) => ({
      taskArn: t.task.arn,
      serviceName: t.task.service?.name,
      port: t.port,
      state: t.state,
    }));
  }

  /** Publishes the minute that ends now. */
  publishMinute(): void {
    const world = this.ecs.world;
    const minuteStart = this.now() - 60_000;
    // Per load balancer: the sum of its groups' minute (a weighted canary's group included).
    const perBalancer = new Map<string, { requests: number; errors: number }>();
    for (const g of this.groups.values()) {
      this.flush(g);
      const carry = this.carry.get(g.arn) ?? { requests: 0, errors: 0 };
      const requests = Math.floor(g.minuteRequests + carry.requests + 1e-9);
      const errors = Math.floor(g.minuteErrors + carry.errors + 1e-9);
      carry.requests = g.minuteRequests + carry.requests - requests;
      carry.errors = g.minuteErrors + carry.errors - errors;
      this.carry.set(g.arn, carry);
      g.minuteRequests = 0;
      g.minuteErrors = 0;
      if (requests <= 0) continue;
      if (g.loadBalancerDimension) {
        const lb = perBalancer.get(g.loadBalancerDimension) ?? { requests: 0, errors: 0 };
        lb.requests += requests;
        lb.errors += errors;
        perBalancer.set(g.loadBalancerDimension, lb);
      }
      let healthy = 0;
      for (const t of g.targets) if (t.state === 'healthy') healthy++;
      const data: Datum[] = [
        {
          metricName: 'RequestCount',
          dimensions: { TargetGroup: g.dimension, LoadBalancer: g.loadBalancerDimension },
          value: requests,
          timestamp: minuteStart,
          unit: 'Count',
        },
        {
          metricName: 'RequestCountPerTarget',
          dimensions: { TargetGroup: g.dimension },
          value: requests / Math.max(1, healthy),
          timestamp: minuteStart,
          unit: 'Count',
        },
      ];
      if (errors > 0)
        data.push({
          metricName: 'HTTPCode_Target_5XX_Count',
          dimensions: { TargetGroup: g.dimension, LoadBalancer: g.loadBalancerDimension },
          value: errors,
          timestamp: minuteStart,
          unit: 'Count',
        });
      world.metrics.record('AWS/ApplicationELB', data);
    }
    for (const [LoadBalancer, lb] of perBalancer) {
      const data: Datum[] = [
        {
          metricName: 'RequestCount',
          dimensions: { LoadBalancer },
          value: lb.requests,
          timestamp: minuteStart,
          unit: 'Count',
        },
      ];
      if (lb.errors > 0)
        data.push({
          metricName: 'HTTPCode_Target_5XX_Count',
          dimensions: { LoadBalancer },
          value: lb.errors,
          timestamp: minuteStart,
          unit: 'Count',
        });
      world.metrics.record('AWS/ApplicationELB', data);
    }
    for (const cluster of this.ecs.clusters.values()) {
      for (const svc of cluster.services.values()) {
        if (svc.status === 'INACTIVE' || svc.tasks.size === 0) continue;
        let n = 0;
        let cpu = 0;
        let mem = 0;
        for (const t of svc.tasks) {
          const perSecond = t.minuteRequests / 60;
          t.minuteRequests = 0;
          if (t.lastStatus !== 'RUNNING') continue;
          const b = t.containers.find((c) => c.essential && c.behaviour)?.behaviour;
          if (!b) continue;
          n++;
          cpu += Math.min(100, b.cpu.idle + b.cpu.perRequest * perSecond);
          mem += Math.min(100, b.memory.base + b.memory.perRequest * perSecond);
        }
        if (n === 0) continue;
        const dimensions = { ClusterName: cluster.name, ServiceName: svc.name };
        world.metrics.record('AWS/ECS', [
          {
            metricName: 'CPUUtilization',
            dimensions,
            value: cpu / n,
            timestamp: minuteStart,
            unit: 'Percent',
          },
          {
            metricName: 'MemoryUtilization',
            dimensions,
            value: mem / n,
            timestamp: minuteStart,
            unit: 'Percent',
          },
        ]);
      }
    }
  }
}

/** Share of a target's requests answered with 5xx: the image's errorRate; an app that fails its health check fails them all. */
function errorRate(t: Target, now: number): number {
  const c = t.task.containers.find((x) => x.name === t.containerName);
  const b = c?.behaviour;
  if (!b) return 0;
  return errorShareAt(b, now - (t.task.startedAt ?? now));
}
