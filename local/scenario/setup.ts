/**
 * A scenario's set-up: the world as it stands before the clock starts. Everything here is done
 * in-process, through the local services' own operations (the AWS API shapes), so none of it is
 * counted in `world.apiCalls`, which counts only what clients ask over HTTP.
 *
 * Order: image behaviours, clusters and their instances, ECR pushes (every image the services run,
 * and every image a timeline `update:` names that no earlier `push:` step pushes), target groups,
 * alarms, then one task definition and one service per scenario service, then the load.
 */
import type { LocalService } from '../core/service.ts';
import type { World } from '../world.ts';
import {
  type AlarmSpec,
  isExternalImage,
  type Scenario,
  type ServiceSpec,
  scenarioError,
  splitImage,
} from './parse.ts';
import { unpublishedMetricWarning } from './published.ts';

/** Calls a local service's operation in-process (not counted as an API call). */
export async function call(service: LocalService, operation: string, input: unknown): Promise<any> {
  const op = service.operations[operation];
  if (!op) throw new Error(`the local ${service.name} has no ${operation} operation`);
  return await op(input);
}

/** `ClientException: No Fargate configuration exists...`: an AWS error with its code. */
export function describeError(e: unknown): string {
  const err = e as Error;
  return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : String(err.message ?? err);
}

/** The URI a task definition names: `<registry>/<repository>:<tag>` for the local ECR, else as written. */
export function imageUri(world: World, ref: string): string {
  return isExternalImage(ref) ? ref : `${world.ecr.registryHost}/${ref}`;
}

/** What set-up made that the timeline needs: target group ARNs by name; and what it warns of. */
export interface SetUp {
  targetGroupArns: Map<string, string>;
  /** Things that are allowed but probably wrong (an alarm on a metric nothing publishes), with file and line. */
  warnings: string[];
}

export async function setUp(world: World, scenario: Scenario): Promise<SetUp> {
  const step = async <T>(field: string, what: string, fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw scenarioError(scenario.source, field, `${what} failed: ${describeError(e)}`);
    }
  };

  for (const [ref, behaviour] of Object.entries(scenario.images)) world.images.set(ref, behaviour);

  for (const [i, cluster] of scenario.clusters.entries()) {
    const at = `clusters[${i}]`;
    await step(at, 'CreateCluster', () => call(world.ecs, 'CreateCluster', { clusterName: cluster.name }));
    for (const instance of cluster.instances) {
      await step(`${at}.instances`, 'registering a container instance', () =>
        world.ecs.registerContainerInstance(cluster.name, instance),
      );
    }
  }

  for (const { ref, field } of imagesToPush(scenario)) {
    const { repository, tag } = splitImage(ref);
    await step(field, `pushing ${ref} to the local ECR`, () => world.ecr.push(repository, tag));
  }

  const targetGroupArns = new Map<string, string>();
  // An alternate target group sits behind its production group's load balancer (made first).
  const alternateOf = new Map(
    scenario.services.flatMap((s) =>
      s.alternateTargetGroup && s.targetGroup ? [[s.alternateTargetGroup, s.targetGroup] as const] : [],
    ),
  );
  const ordered = [...scenario.targetGroups.entries()].sort(
    ([, a], [, b]) => Number(alternateOf.has(a.name)) - Number(alternateOf.has(b.name)),
  );
  // A group behind a Network Load Balancer speaks its listener's protocol (a TLS listener's group: TCP).
  const protocolOf = new Map(
    scenario.loadBalancers
      .filter((lb) => lb.type === 'network')
      .flatMap((lb) =>
        lb.listeners.map((l) => [l.forward, l.protocol === 'TLS' ? 'TCP' : (l.protocol ?? 'TCP')]),
      ),
  );
  for (const [i, tg] of ordered) {
    const production = alternateOf.get(tg.name);
    const arn = await step(`targetGroups[${i}]`, 'creating the target group', () =>
      world.ecs.createTargetGroup({
        name: tg.name,
        ...(protocolOf.has(tg.name) && { protocol: protocolOf.get(tg.name) }),
        deregistrationDelaySeconds: tg.deregistrationDelaySeconds,
        healthCheck: tg.healthCheck,
        // With `loadBalancers:` the scenario says what each group is behind; without, each has its own
        // (a production group of an ECS strategy's service is behind `<group>-alb`).
        ...(production
          ? { loadBalancerName: `${production}-alb` }
          : scenario.loadBalancers.length > 0 && { loadBalancerName: false as const }),
      }),
    );
    targetGroupArns.set(tg.name, arn);
  }
  for (const [i, spec] of scenario.loadBalancers.entries()) {
    await step(`loadBalancers[${i}]`, 'creating the load balancer, its listeners and rules', () => {
      const elb = world.ecs.elb;
      const lb = elb.createLoadBalancer(spec.name, spec.type);
      for (const l of spec.listeners) {
        const listener = elb.createListener(lb.arn, {
          port: l.port,
          protocol: l.protocol,
          targetGroupArn: targetGroupArns.get(l.forward)!,
        });
        for (const rule of l.rules)
          elb.createRule(listener.arn, {
            priority: rule.priority,
            pathPattern: rule.path,
            targetGroupArn: targetGroupArns.get(rule.forward)!,
          });
      }
    });
  }

  // The load balancer in front of each target group: `app/<name>-alb/<id>`, its LoadBalancer dimension.
  const loadBalancers = new Map<string, string>();
  for (const g of world.ecs.elb.groups.values()) {
    loadBalancers.set(g.name, g.loadBalancerDimension);
    loadBalancers.set(`${g.name}-alb`, g.loadBalancerDimension);
  }
  for (const lb of world.ecs.elb.loadBalancers.values()) loadBalancers.set(lb.name, lb.dimension);
  const warnings: string[] = [];
  for (const [i, alarm] of scenario.alarms.entries()) {
    await step(`alarms[${i}]`, 'PutMetricAlarm', () =>
      call(world.cloudwatch, 'PutMetricAlarm', alarmInput(alarm, targetGroupArns, loadBalancers)),
    );
    const warning = unpublishedMetricWarning(alarm.namespace, alarm.metric, Object.keys(alarm.dimensions));
    if (warning) warnings.push(scenarioError(scenario.source, `alarms[${i}].dimensions`, warning).message);
  }

  for (const service of scenario.services) {
    const at = `services[${service.index}]`;
    const registered = await step(at, 'RegisterTaskDefinition', () =>
      call(world.ecs, 'RegisterTaskDefinition', taskDefinitionInput(world, scenario, service)),
    );
    const taskDefinition: string = registered.taskDefinition.taskDefinitionArn;
    await step(at, 'CreateService', () =>
      call(
        world.ecs,
        'CreateService',
        serviceInput(
          scenario,
          service,
          taskDefinition,
          targetGroupArns,
          productionRules(world, targetGroupArns),
        ),
      ),
    );
  }

  for (const service of scenario.services) {
    if (service.load === undefined || !service.targetGroup) continue;
    const arn = targetGroupArns.get(service.targetGroup)!;
    const rps = service.load;
    await step(`services[${service.index}].load`, 'setting the load', () => world.ecs.setLoad(arn, rps));
  }
  return { targetGroupArns, warnings };
}

/**
 * The local-ECR images set-up pushes, each once: the services' images, and those a timeline
 * `update:` deploys without an earlier `push:` step (they were in the registry all along).
 */
function imagesToPush(scenario: Scenario): { ref: string; field: string }[] {
  const out = new Map<string, string>();
  const add = (ref: string, field: string) => {
    if (!isExternalImage(ref) && !out.has(ref)) out.set(ref, field);
  };
  for (const s of scenario.services) {
    add(s.image, `services[${s.index}].image`);
    s.containers.forEach((c, i) => {
      add(c.image, `services[${s.index}].containers[${i}].image`);
    });
  }
  const pushed = new Set<string>();
  for (const step of scenario.timeline) {
    if (step.action.type === 'push') pushed.add(step.action.image);
    if (step.action.type === 'update' && step.action.image && !pushed.has(step.action.image)) {
      add(step.action.image, `${step.path}.update.image`);
    }
  }
  return [...out].map(([ref, field]) => ({ ref, field }));
}

function isFargate(scenario: Scenario, service: ServiceSpec): boolean {
  if (service.launchType) return service.launchType === 'FARGATE';
  return !scenario.clusters.find((c) => c.name === service.cluster)?.instances.length;
}

/** RegisterTaskDefinition input: Fargate (awsvpc) unless the cluster has EC2 instances (bridge). */
export function taskDefinitionInput(world: World, scenario: Scenario, service: ServiceSpec) {
  const fargate = isFargate(scenario, service);
  const main: Record<string, unknown> = {
    name: service.container,
    image: imageUri(world, service.image),
    essential: true,
    portMappings: [{ containerPort: service.port, protocol: 'tcp', ...(fargate ? {} : { hostPort: 0 }) }],
  };
  if (service.healthCheck) main.healthCheck = service.healthCheck;
  return {
    family: service.name,
    networkMode: fargate ? 'awsvpc' : 'bridge',
    requiresCompatibilities: [fargate ? 'FARGATE' : 'EC2'],
    cpu: String(service.cpu),
    memory: String(service.memory),
    containerDefinitions: [
      main,
      ...service.containers.map((c) => ({
        name: c.name,
        image: imageUri(world, c.image),
        essential: c.essential,
      })),
    ],
  };
}

/** Each target group's production listener rule: the default rule of the listener that forwards to it. */
function productionRules(world: World, targetGroupArns: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const rules = world.ecs.elb.allRules();
  for (const [name, arn] of targetGroupArns) {
    const rule = rules.find((r) =>
      r.actions.some(
        (a) => a.Type === 'forward' && (a as { TargetGroupArn?: string }).TargetGroupArn === arn,
      ),
    );
    if (rule) out.set(name, rule.arn);
  }
  return out;
}

export function serviceInput(
  scenario: Scenario,
  service: ServiceSpec,
  taskDefinition: string,
  targetGroupArns: Map<string, string>,
  /** The production listener rule of each target group's load balancer (its listener's default rule). */
  productionRules?: Map<string, string>,
) {
  const fargate = isFargate(scenario, service);
  const input: Record<string, unknown> = {
    cluster: service.cluster,
    serviceName: service.name,
    taskDefinition,
    desiredCount: service.desiredCount,
    launchType: fargate ? 'FARGATE' : 'EC2',
    deploymentController: { type: service.deploymentController ?? 'ECS' },
    deploymentConfiguration: service.deploymentConfiguration,
  };
  if (fargate) {
    input.networkConfiguration = {
      awsvpcConfiguration: {
        subnets: ['subnet-local-a', 'subnet-local-b', 'subnet-local-c'],
        securityGroups: ['sg-local'],
        assignPublicIp: 'DISABLED',
      },
    };
  }
  if (service.targetGroup) {
    input.loadBalancers = [
      {
        targetGroupArn: targetGroupArns.get(service.targetGroup),
        containerName: service.container,
        containerPort: service.port,
        ...(service.alternateTargetGroup && {
          advancedConfiguration: {
            alternateTargetGroupArn: targetGroupArns.get(service.alternateTargetGroup),
            productionListenerRule: productionRules?.get(service.targetGroup),
            roleArn: `arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers`,
          },
        }),
      },
    ];
  }
  if (service.healthCheckGracePeriodSeconds !== undefined) {
    input.healthCheckGracePeriodSeconds = service.healthCheckGracePeriodSeconds;
  }
  if (service.placementStrategy) input.placementStrategy = service.placementStrategy;
  if (service.placementConstraints) input.placementConstraints = service.placementConstraints;
  return input;
}

/**
 * PutMetricAlarm input. A `TargetGroup` dimension naming a scenario target group becomes the value
 * AWS/ApplicationELB metrics carry, `targetgroup/<name>/<id>` (the end of the target group's ARN).
 */
/**
 * PutMetricAlarm's input for a scenario alarm. A dimension naming a scenario target group becomes
 * what ELB publishes: `TargetGroup: web` → `targetgroup/web/<id>`, and `LoadBalancer: web` (or
 * `web-alb`) → the dimension of the load balancer in front of it, `app/web-alb/<id>`.
 */
export function alarmInput(
  alarm: AlarmSpec,
  targetGroupArns: Map<string, string>,
  loadBalancers: Map<string, string> = new Map(),
) {
  const dimensions = Object.entries(alarm.dimensions).map(([Name, value]) => {
    if (Name === 'LoadBalancer') return { Name, Value: loadBalancers.get(value) ?? value };
    const arn = Name === 'TargetGroup' ? targetGroupArns.get(value) : undefined;
    const suffix = arn?.match(/:(targetgroup\/.+)$/)?.[1];
    return { Name, Value: suffix ?? value };
  });
  const input: Record<string, unknown> = {
    AlarmName: alarm.name,
    Namespace: alarm.namespace,
    MetricName: alarm.metric,
    Dimensions: dimensions,
    Period: alarm.periodSeconds,
    EvaluationPeriods: alarm.evaluationPeriods,
    Threshold: alarm.threshold,
    ComparisonOperator: alarm.comparison,
  };
  if (alarm.statistic) input.Statistic = alarm.statistic;
  if (alarm.extendedStatistic) input.ExtendedStatistic = alarm.extendedStatistic;
  if (alarm.datapointsToAlarm !== undefined) input.DatapointsToAlarm = alarm.datapointsToAlarm;
  if (alarm.treatMissingData) input.TreatMissingData = alarm.treatMissingData;
  return input;
}
