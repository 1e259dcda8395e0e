/**
 * The ECS API operations. Each takes the request JSON and returns the response JSON (Dates become
 * epoch seconds on the wire). Error names and, where known, messages are ECS's own:
 * ClusterNotFoundException "Cluster not found.", ServiceNotFoundException "Service not found.",
 * ServiceNotActiveException "Service was not ACTIVE.", ClientException "Unable to describe task
 * definition.", InvalidParameterException "Creation of service was not idempotent.", …
 * Limits: DescribeServices up to 10 services, DescribeTasks up to 100 tasks, ListTasks/ListServices
 * maxResults 1..100 (defaults 100 and 10) — API model, aws-facts.md §3.
 */
import { AwsError } from '../../core/errors.ts';
import { FARGATE_PLATFORM_VERSION } from './constants.ts';
import { clusterNameOf, type EcsContext, launchTypeOf } from './context.ts';
import { DESCRIBE_LIMITS, describeEach } from './describe.ts';
import type {
  Cluster,
  ContainerInstance,
  DeploymentConfiguration,
  Service,
  Tag,
  Task,
  TaskDefinition,
} from './model.ts';
import { strategyProblem } from './native.ts';
import { validatePlacement } from './placement.ts';
import { serviceDeploymentOperations } from './service-deployments.ts';
import {
  builtInAttributes,
  clusterShape,
  containerInstanceShape,
  serviceShape,
  taskShape,
} from './shapes.ts';
import { parseSize } from './tasks.ts';

const invalid = (m: string) => new AwsError('InvalidParameterException', m);
const client = (m: string) => new AwsError('ClientException', m);
const serviceNotFound = () => new AwsError('ServiceNotFoundException', 'Service not found.');
const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/** Valid Fargate task sizes: CPU units → memory MiB (API RegisterTaskDefinition `cpu`/`memory`). */
const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function buildOperations(ecs: EcsContext): Record<string, (input: any) => unknown> {
  const world = ecs.world;
  const now = () => world.now();

  // -------------------------------------------------------------- lookups

  function taskDefinitionByRef(ref: unknown, activeOnly: boolean): TaskDefinition | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    const arnIdx = ref.indexOf(':task-definition/');
    const name = arnIdx >= 0 ? ref.slice(arnIdx + ':task-definition/'.length) : ref;
    const colon = name.lastIndexOf(':');
    if (colon > 0) {
      const family = name.slice(0, colon);
      const revision = Number(name.slice(colon + 1));
      const td = ecs.families.get(family)?.[revision - 1];
      if (!td || (activeOnly && td.status !== 'ACTIVE')) return undefined;
      return td;
    }
    if (arnIdx >= 0) return undefined;
    const revisions = ecs.families.get(name) ?? [];
    for (let i = revisions.length - 1; i >= 0; i--)
      if (revisions[i]!.status === 'ACTIVE') return revisions[i];
    return undefined;
  }

  function serviceByRef(cluster: Cluster, ref: unknown): Service | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    const i = ref.indexOf(':service/');
    let name = ref;
    if (i >= 0) {
      const path = ref.slice(i + ':service/'.length).split('/');
      if (path.length === 2 && path[0] !== cluster.name) return undefined;
      name = path[path.length - 1]!;
    }
    return cluster.services.get(name);
  }

  function taskByRef(cluster: Cluster, ref: unknown): Task | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    if (ref.includes(':task/')) {
      const t = ecs.taskIndex.get(ref);
      return t?.cluster === cluster ? t : undefined;
    }
    return cluster.tasks.get(world.arn('ecs', `task/${cluster.name}/${ref}`));
  }

  function taskArnOf(cluster: Cluster, ref: string): string {
    return ref.includes(':task/') ? ref : world.arn('ecs', `task/${cluster.name}/${ref}`);
  }

  function serviceArnOf(cluster: Cluster, ref: string): string {
    return ref.includes(':service/') ? ref : world.arn('ecs', `service/${cluster.name}/${ref}`);
  }

  function activeService(cluster: Cluster, ref: unknown): Service {
    const svc = serviceByRef(cluster, ref);
    if (!svc) throw serviceNotFound();
    if (svc.status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    return svc;
  }

  // -------------------------------------------------------------- validation helpers

  function checkTags(tags: unknown): Tag[] {
    if (tags === undefined) return [];
    if (!Array.isArray(tags)) throw invalid('tags must be a list');
    if (tags.filter((t) => !String(t?.key ?? '').startsWith('aws:')).length > 50)
      throw invalid('The maximum number of tags for a resource is 50.');
    for (const t of tags) {
      if (typeof t?.key !== 'string' || t.key.length < 1 || t.key.length > 128)
        throw invalid('Tag keys must be between 1 and 128 characters.');
      if (t.value !== undefined && (typeof t.value !== 'string' || t.value.length > 256))
        throw invalid('Tag values must be at most 256 characters.');
    }
    return tags.map((t) => ({ key: t.key, value: t.value ?? '' }));
  }

  function maxResultsOf(v: unknown, dflt: number): number {
    if (v === undefined || v === null) return dflt;
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100)
      throw invalid('maxResults must be between 1 and 100.');
    return v as number;
  }

  function paginate<T>(
    items: T[],
    maxResults: number,
    nextToken: unknown,
  ): { page: T[]; nextToken?: string } {
    let offset = 0;
    if (nextToken !== undefined && nextToken !== null && nextToken !== '') {
      try {
        offset = JSON.parse(Buffer.from(String(nextToken), 'base64').toString('utf8')).o;
      } catch {
        throw invalid('Invalid nextToken.');
      }
      if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid nextToken.');
    }
    const page = items.slice(offset, offset + maxResults);
    const next = offset + maxResults < items.length ? offset + maxResults : undefined;
    return {
      page,
      nextToken: next === undefined ? undefined : Buffer.from(JSON.stringify({ o: next })).toString('base64'),
    };
  }

  function deploymentConfiguration(input: any, base?: DeploymentConfiguration): DeploymentConfiguration {
    const dc: DeploymentConfiguration = base
      ? { ...base, deploymentCircuitBreaker: { ...base.deploymentCircuitBreaker } }
      : {
          deploymentCircuitBreaker: { enable: false, rollback: false },
          maximumPercent: 200,
          minimumHealthyPercent: 100,
          alarms: { alarmNames: [], rollback: false, enable: false },
        };
    if (!input) return dc;
    for (const [k, v] of Object.entries(input)) if (v !== undefined) dc[k] = v;
    if (input.deploymentCircuitBreaker) {
      const cb = input.deploymentCircuitBreaker;
      dc.deploymentCircuitBreaker = { enable: cb.enable === true, rollback: cb.rollback === true };
      if (cb.resetOnHealthyTask !== undefined)
        dc.deploymentCircuitBreaker.resetOnHealthyTask = cb.resetOnHealthyTask;
      if (cb.thresholdConfiguration)
        dc.deploymentCircuitBreaker.thresholdConfiguration = cb.thresholdConfiguration;
    }
    if (!Number.isInteger(dc.maximumPercent) || dc.maximumPercent < 0)
      throw invalid('deploymentConfiguration.maximumPercent must be a non-negative integer.');
    if (
      !Number.isInteger(dc.minimumHealthyPercent) ||
      dc.minimumHealthyPercent < 0 ||
      dc.minimumHealthyPercent > 100
    )
      throw invalid('deploymentConfiguration.minimumHealthyPercent must be between 0 and 100.');
    if (dc.maximumPercent < dc.minimumHealthyPercent)
      throw invalid(
        'deploymentConfiguration.maximumPercent must be greater than or equal to minimumHealthyPercent.',
      );
    return dc;
  }

  /** A listener rule (ALB) or listener (NLB) of the local load balancers. */
  function ruleExists(arn: string): boolean {
    return ecs.elb.allRules().some((r) => r.arn === arn) || ecs.elb.listener(arn) !== undefined;
  }

  function checkLoadBalancers(lbs: unknown, td: TaskDefinition): any[] {
    if (lbs === undefined) return [];
    if (!Array.isArray(lbs)) throw invalid('loadBalancers must be a list');
    for (const lb of lbs) {
      if (lb.targetGroupArn && !ecs.elb.groups.has(lb.targetGroupArn))
        throw invalid(
          'Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.',
        );
      // ECS registers tasks only in a group a load balancer forwards to; AWS answers (CreateService,
      // UpdateService) "The target group with targetGroupArn … does not have an associated load
      // balancer." (as reported in https://github.com/umotif-public/terraform-aws-ecs-fargate/issues/43).
      if (lb.targetGroupArn && ecs.elb.loadBalancersOf(lb.targetGroupArn).length === 0)
        throw invalid(
          `The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`,
        );
      const container = (td.body.containerDefinitions as any[]).find((c) => c.name === lb.containerName);
      const port = container?.portMappings?.some((p: any) => p.containerPort === lb.containerPort);
      if (!container || !port)
        throw invalid(
          `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`,
        );
    }
    return lbs.map((lb) => ({ ...lb }));
  }

  function checkPlacement(strategy: any[], constraints: any[], group: string): void {
    try {
      validatePlacement({ strategy, constraints, group });
    } catch (e) {
      throw invalid((e as Error).message);
    }
  }

  /**
   * Fargate places tasks itself: "Task placement strategies and constraints aren't supported for
   * tasks using the Fargate launch type" (developerguide/task-placement.html); ECS refuses them.
   */
  function checkFargatePlacement(launchType: string, strategy: unknown[], constraints: unknown[]): void {
    if (launchType !== 'FARGATE') return;
    if (strategy.length > 0)
      throw invalid('Placement strategies are not supported with FARGATE launch type.');
    if (constraints.length > 0)
      throw invalid('Placement constraints are not supported with FARGATE launch type.');
  }

  function serviceTaskDefinition(ref: unknown): TaskDefinition {
    if (typeof ref !== 'string' || ref === '') throw invalid('TaskDefinition must be specified.');
    const td = taskDefinitionByRef(ref, false);
    if (!td) throw client('TaskDefinition not found.');
    if (td.status !== 'ACTIVE') throw client('TaskDefinition is inactive');
    return td;
  }

  function checkNetwork(td: TaskDefinition, launchType: string, networkConfiguration: any): void {
    if (launchType === 'FARGATE' && !(td.body.compatibilities as string[]).includes('FARGATE'))
      throw invalid('Task definition does not support launch_type FARGATE.');
    if (td.body.networkMode === 'awsvpc') {
      const subnets = networkConfiguration?.awsvpcConfiguration?.subnets;
      if (!Array.isArray(subnets) || subnets.length === 0)
        throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    } else if (networkConfiguration) {
      throw invalid('Network Configuration is not valid for the given networkMode of this task definition.');
    }
  }

  // -------------------------------------------------------------- task definitions

  function requiresAttributes(body: any): { name: string }[] {
    const names: string[] = [];
    const add = (n: string) => {
      if (!names.includes(n)) names.push(n);
    };
    const defs = body.containerDefinitions as any[];
    if (body.networkMode === 'awsvpc') {
      add('com.amazonaws.ecs.capability.docker-remote-api.1.18');
      add('ecs.capability.task-eni');
    }
    if (defs.some((c) => /^\d{12}\.dkr\.ecr\./.test(c.image))) {
      add('com.amazonaws.ecs.capability.ecr-auth');
      if (body.executionRoleArn) add('ecs.capability.execution-role-ecr-pull');
    }
    if (defs.some((c) => c.healthCheck)) {
      add('com.amazonaws.ecs.capability.docker-remote-api.1.24');
      add('ecs.capability.container-health-check');
    }
    if (defs.some((c) => c.logConfiguration?.logDriver === 'awslogs')) {
      add('com.amazonaws.ecs.capability.logging-driver.awslogs');
      add('com.amazonaws.ecs.capability.docker-remote-api.1.19');
      if (body.executionRoleArn) add('ecs.capability.execution-role-awslogs');
    }
    if (body.taskRoleArn) add('com.amazonaws.ecs.capability.task-iam-role');
    return names.map((name) => ({ name }));
  }

  function taskDefinitionShape(td: TaskDefinition): any {
    return {
      ...td.body,
      status: td.status,
      registeredAt: date(td.registeredAt),
      deregisteredAt: date(td.deregisteredAt),
    };
  }

  function RegisterTaskDefinition(input: any) {
    const { tags: rawTags, ...rest } = input ?? {};
    const family = rest.family;
    if (typeof family !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(family))
      throw client('Family contains invalid characters or is not between 1 and 255 characters long.');
    const defs = rest.containerDefinitions;
    if (!Array.isArray(defs) || defs.length === 0) throw client('Container list cannot be empty.');
    if (defs.length > 10)
      throw client('Too many containers. A task definition can have at most 10 containers.');
    const tags = checkTags(rawTags);
    const names = new Set<string>();
    for (const c of defs) {
      if (typeof c?.name !== 'string' || c.name === '')
        throw client('Container.name should not be null or empty.');
      if (typeof c.image !== 'string' || c.image === '')
        throw client('Container.image should not be null or empty.');
      if (names.has(c.name)) throw client(`Duplicate container name: ${c.name}`);
      names.add(c.name);
      if (rest.memory === undefined && c.memory === undefined && c.memoryReservation === undefined)
        throw client(
          `Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
        );
    }
    // "A task definition must have at least one essential container" (ClientException); `essential`
    // defaults to true (API ContainerDefinition.essential).
    if (!defs.some((c: any) => c.essential !== false))
      throw client('A task definition must have at least one essential container.');
    const awsvpcMode = rest.networkMode === 'awsvpc';
    for (const c of defs)
      for (const p of c.portMappings ?? []) {
        // awsvpc: "the hostPort can either be left blank or set to the same value as the containerPort"
        // (API PortMapping.hostPort); a hostPort of 0 is taken as blank.
        if (awsvpcMode && p.hostPort !== undefined && p.hostPort !== 0 && p.hostPort !== p.containerPort)
          throw client(
            'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
          );
      }
    const requires: string[] = rest.requiresCompatibilities ?? [];
    if (requires.includes('FARGATE')) {
      if (rest.networkMode !== 'awsvpc') throw client('Fargate only supports network mode ‘awsvpc’.');
      if (rest.cpu === undefined) throw client("Fargate requires that 'cpu' be defined at the task level.");
      if (rest.memory === undefined)
        throw client("Fargate requires that 'memory' be defined at the task level.");
    }
    const cpu = parseSize(rest.cpu, 'cpu');
    const memory = parseSize(rest.memory, 'memory');
    const fargateSize =
      cpu !== undefined && memory !== undefined && (FARGATE_SIZES[cpu]?.includes(memory) ?? false);
    if (requires.includes('FARGATE') && !fargateSize)
      throw client(
        `No Fargate configuration exists for given values: ${rest.cpu} CPU, ${rest.memory} memory.`,
      );
    const awsvpc = rest.networkMode === 'awsvpc';
    const containerDefinitions = defs.map((c: any) => ({
      ...c,
      cpu: c.cpu ?? 0,
      portMappings: (c.portMappings ?? []).map((p: any) => ({
        ...p,
        hostPort: awsvpc && !p.hostPort ? p.containerPort : p.hostPort,
        protocol: p.protocol ?? 'tcp',
      })),
      essential: c.essential ?? true,
      environment: c.environment ?? [],
      mountPoints: c.mountPoints ?? [],
      volumesFrom: c.volumesFrom ?? [],
      systemControls: c.systemControls ?? [],
    }));
    const revisions = ecs.families.get(family) ?? [];
    const revision = revisions.length + 1;
    const arn = world.arn('ecs', `task-definition/${family}:${revision}`);
    const body: Record<string, any> = {
      taskDefinitionArn: arn,
      ...rest,
      containerDefinitions,
      family,
      revision,
      volumes: rest.volumes ?? [],
      placementConstraints: rest.placementConstraints ?? [],
      requiresAttributes: [] as { name: string }[],
      compatibilities: awsvpc && fargateSize ? ['EC2', 'FARGATE'] : ['EC2'],
      registeredBy: `arn:aws:iam::${world.account}:root`,
    };
    // "When you register a task definition, a vCPU value is converted to an integer indicating the CPU
    // units" and GB to MiB (API RegisterTaskDefinition cpu, memory): '0.25 vCPU' → '256', '0.5 GB' → '512'.
    if (rest.cpu !== undefined) body.cpu = String(cpu ?? rest.cpu);
    if (rest.memory !== undefined) body.memory = String(memory ?? rest.memory);
    body.requiresAttributes = requiresAttributes(body);
    const td: TaskDefinition = { arn, family, revision, status: 'ACTIVE', body, tags, registeredAt: now() };
    revisions.push(td);
    ecs.families.set(family, revisions);
    ecs.taskDefinitions.set(arn, td);
    return { taskDefinition: taskDefinitionShape(td), tags };
  }

  function DescribeTaskDefinition(input: any) {
    const td = taskDefinitionByRef(input?.taskDefinition, false);
    if (!td) throw client('Unable to describe task definition.');
    const includeTags = (input.include ?? []).includes('TAGS');
    return { taskDefinition: taskDefinitionShape(td), tags: includeTags ? td.tags : undefined };
  }

  function ListTaskDefinitions(input: any) {
    const status = input?.status ?? 'ACTIVE';
    const sort = input?.sort ?? 'ASC';
    let all: TaskDefinition[] = [];
    const families = [...ecs.families.keys()].sort();
    for (const f of families) {
      if (input?.familyPrefix && f !== input.familyPrefix) continue;
      for (const td of ecs.families.get(f)!) if (td.status === status) all.push(td);
    }
    if (sort === 'DESC') all = all.reverse();
    const { page, nextToken } = paginate(all, maxResultsOf(input?.maxResults, 100), input?.nextToken);
    return { taskDefinitionArns: page.map((td) => td.arn), nextToken };
  }

  function ListTaskDefinitionFamilies(input: any) {
    const status = input?.status ?? 'ACTIVE';
    const families = [...ecs.families.entries()]
      .filter(([f]) => !input?.familyPrefix || f.startsWith(input.familyPrefix))
      .filter(([, tds]) => status === 'ALL' || tds.some((td) => td.status === status))
      .map(([f]) => f)
      .sort();
    const { page, nextToken } = paginate(families, maxResultsOf(input?.maxResults, 100), input?.nextToken);
    return { families: page, nextToken };
  }

  function DeregisterTaskDefinition(input: any) {
    const ref = input?.taskDefinition;
    if (typeof ref !== 'string' || !/:\d+$/.test(ref))
      throw client(
        'The specified task definition does not exist. Specify a valid revision (family:revision) or ARN.',
      );
    const td = taskDefinitionByRef(ref, false);
    if (!td) throw client('The specified task definition does not exist.');
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      td.deregisteredAt = now();
    }
    return { taskDefinition: taskDefinitionShape(td) };
  }

  // -------------------------------------------------------------- clusters

  function CreateCluster(input: any) {
    const name = input?.clusterName ?? 'default';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(name))
      throw invalid('Cluster name can have up to 255 letters, numbers, hyphens and underscores.');
    const tags = checkTags(input?.tags);
    checkProviders(input?.capacityProviders ?? []);
    let c = ecs.clusters.get(name);
    if (c?.status !== 'ACTIVE') {
      c = {
        arn: world.arn('ecs', `cluster/${name}`),
        name,
        status: 'ACTIVE',
        tags,
        settings: input?.settings ?? [{ name: 'containerInsights', value: 'disabled' }],
        capacityProviders: input?.capacityProviders ?? [],
        defaultCapacityProviderStrategy: input?.defaultCapacityProviderStrategy ?? [],
        services: new Map(),
        tasks: new Map(),
        instances: new Map(),
      };
      ecs.clusters.set(name, c);
    }
    return { cluster: clusterShape(c, true) };
  }

  /**
   * "Modifies the available capacity providers and the default capacity provider strategy for a
   * cluster"; both lists are replaced whole (API PutClusterCapacityProviders). A strategy may name
   * only providers of the cluster.
   */
  function PutClusterCapacityProviders(input: any) {
    const c = ecs.cluster(input?.cluster);
    const providers: string[] = input?.capacityProviders ?? [];
    const strategy: Cluster['defaultCapacityProviderStrategy'] = input?.defaultCapacityProviderStrategy ?? [];
    checkProviders(providers);
    for (const s of strategy)
      if (!providers.includes(s.capacityProvider))
        throw invalid(
          `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`,
        );
    c.capacityProviders = [...providers];
    c.defaultCapacityProviderStrategy = strategy.map((s) => ({ ...s }));
    return { cluster: clusterShape(c, true) };
  }

  // -------------------------------------------------------------- capacity providers
  //
  // API_CreateCapacityProvider, API_DescribeCapacityProviders (ECS API Reference): FARGATE and
  // FARGATE_SPOT exist in every account; an account's own are EC2 Auto Scaling group providers,
  // "Up to 255 characters … letters …, numbers, underscores (_), and hyphens (-). The name can't be
  // prefixed with "aws", "ecs", or "fargate""; DescribeCapacityProviders names up to 100, pages
  // 1–10 at a time (default 10), includes tags only with `include: ["TAGS"]`, and reports a name it
  // does not know as a failure (reason MISSING). Kept and answered, not used to place tasks (the
  // local ECS runs a strategy's first provider's tasks as Fargate or on the cluster's instances).

  const BUILT_IN_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'] as const;
  const providers = new Map<
    string,
    { name: string; arn: string; body: Record<string, unknown>; tags: Tag[] }
  >();
  const providerNameOf = (ref: string) => ref.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:capacity-provider\//, '');
  const providerExists = (name: string) =>
    (BUILT_IN_PROVIDERS as readonly string[]).includes(name) || providers.has(name);

  /** A cluster may name only providers that exist (message not documented: ours). */
  function checkProviders(names: string[]) {
    for (const n of names)
      if (!providerExists(providerNameOf(n)))
        throw invalid(
          `The specified capacity provider '${n}' does not exist. Specify a valid capacity provider and try again.`,
        );
  }

  function CreateCapacityProvider(input: any) {
    const name = input?.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(name))
      throw invalid(
        'The capacity provider name can have up to 255 letters, numbers, underscores and hyphens.',
      );
    if (/^(aws|ecs|fargate)/i.test(name))
      throw invalid('The capacity provider name cannot be prefixed with "aws", "ecs", or "fargate".');
    const asg = input?.autoScalingGroupProvider;
    if (typeof asg?.autoScalingGroupArn !== 'string' || !asg.autoScalingGroupArn)
      throw invalid('autoScalingGroupProvider.autoScalingGroupArn is required.');
    if (providers.has(name))
      throw client(
        'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.',
      );
    const tags = checkTags(input?.tags);
    const arn = world.arn('ecs', `capacity-provider/${name}`);
    const body = {
      capacityProviderArn: arn,
      name,
      status: 'ACTIVE',
      autoScalingGroupProvider: {
        managedTerminationProtection: 'DISABLED',
        managedDraining: 'ENABLED',
        ...asg,
      },
      type: 'EC2_AUTOSCALING',
    };
    providers.set(name, { name, arn, body, tags });
    return { capacityProvider: { ...body, tags } };
  }

  function DescribeCapacityProviders(input: any) {
    const includeTags = (input?.include ?? []).includes('TAGS');
    const refs: string[] | undefined = input?.capacityProviders;
    if (refs && refs.length > 100) throw invalid('capacityProviders can have at most 100 items.');
    const max = input?.maxResults ?? 10;
    if (!Number.isInteger(max) || max < 1 || max > 10) throw invalid('maxResults must be between 1 and 10.');
    const shape = (name: string) => {
      const own = providers.get(name);
      if (own) return { ...own.body, tags: includeTags ? own.tags : [] };
      return {
        capacityProviderArn: world.arn('ecs', `capacity-provider/${name}`),
        name,
        status: 'ACTIVE',
        tags: [],
        type: name,
      };
    };
    const all = [...providers.keys(), ...BUILT_IN_PROVIDERS];
    const failures: { arn: string; reason: string }[] = [];
    const named = refs
      ? refs.filter((ref) => {
          if (providerExists(providerNameOf(ref))) return true;
          failures.push({
            arn: ref.startsWith('arn:') ? ref : world.arn('ecs', `capacity-provider/${ref}`),
            reason: 'MISSING',
          });
          return false;
        })
      : all;
    const { page, nextToken } = paginate(named.map(providerNameOf), max, input?.nextToken);
    return { capacityProviders: page.map(shape), failures, nextToken };
  }

  /**
   * UpdateClusterSettings, and UpdateCluster's `settings` (API_UpdateClusterSettings: the one
   * setting is containerInsights, "enhanced", "enabled" or "disabled"); a setting named again
   * replaces its value. UpdateCluster's configuration and serviceConnectDefaults are kept as given.
   */
  function updateSettings(c: Cluster, settings: unknown) {
    for (const x of (settings ?? []) as { name?: string; value?: string }[]) {
      if (x?.name !== 'containerInsights')
        throw invalid(`Invalid setting name '${x?.name}'. The only valid name is containerInsights.`);
      if (!['enhanced', 'enabled', 'disabled'].includes(String(x.value)))
        throw invalid(`Invalid value '${x.value}' for containerInsights: enhanced, enabled or disabled.`);
      c.settings = [...c.settings.filter((y) => y.name !== x.name), { name: x.name, value: String(x.value) }];
    }
  }

  function UpdateClusterSettings(input: any) {
    const c = ecs.cluster(input?.cluster);
    if (!Array.isArray(input?.settings)) throw invalid('settings is required.');
    updateSettings(c, input.settings);
    return { cluster: clusterShape(c, true, true) };
  }

  function UpdateCluster(input: any) {
    const c = ecs.cluster(input?.cluster);
    updateSettings(c, input?.settings);
    return { cluster: clusterShape(c, true, true) };
  }

  function DescribeClusters(input: any) {
    const refs: string[] = input?.clusters ?? ['default'];
    const include: string[] = input?.include ?? [];
    const clusters: any[] = [];
    const failures: any[] = [];
    for (const ref of refs) {
      const c = ecs.clusters.get(clusterNameOf(ref));
      if (!c)
        failures.push({
          arn: ref.includes(':cluster/') ? ref : world.arn('ecs', `cluster/${ref}`),
          reason: 'MISSING',
        });
      else clusters.push(clusterShape(c, include.includes('TAGS'), include.includes('SETTINGS')));
    }
    return { clusters, failures };
  }

  function ListClusters(input: any) {
    const arns = [...ecs.clusters.values()].filter((c) => c.status === 'ACTIVE').map((c) => c.arn);
    const { page, nextToken } = paginate(arns, maxResultsOf(input?.maxResults, 100), input?.nextToken);
    return { clusterArns: page, nextToken };
  }

  function DeleteCluster(input: any) {
    const c = ecs.cluster(input?.cluster);
    if ([...c.services.values()].some((s) => s.status !== 'INACTIVE'))
      throw new AwsError(
        'ClusterContainsServicesException',
        'The Cluster cannot be deleted while Services are active.',
      );
    if (c.instances.size > 0)
      throw new AwsError(
        'ClusterContainsContainerInstancesException',
        'The Cluster cannot be deleted while Container Instances are active or draining.',
      );
    if ([...c.tasks.values()].some((t) => t.lastStatus !== 'STOPPED'))
      throw new AwsError(
        'ClusterContainsTasksException',
        'The Cluster cannot be deleted while Tasks are active.',
      );
    c.status = 'INACTIVE';
    return { cluster: clusterShape(c, true) };
  }

  // -------------------------------------------------------------- services

  function CreateService(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const name = input?.serviceName;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(name))
      throw invalid('Service name can have up to 255 letters, numbers, hyphens and underscores.');
    const { clientToken, ...request } = input;
    const requestKey = stableJson(request);
    const existing = cluster.services.get(name);
    if (existing && existing.status !== 'INACTIVE') {
      // Idempotent retry: the same clientToken with the same parameters returns the same service.
      if (clientToken && existing.clientToken === clientToken && existing.createRequestKey === requestKey)
        return { service: serviceShape(existing, false) };
      throw invalid('Creation of service was not idempotent.');
    }
    if (input.schedulingStrategy && input.schedulingStrategy !== 'REPLICA')
      throw invalid('The local ECS models the REPLICA scheduling strategy only.');
    const controller = input.deploymentController?.type ?? 'ECS';
    if (!['ECS', 'CODE_DEPLOY', 'EXTERNAL'].includes(controller))
      throw invalid(`Unsupported deployment controller type: ${controller}.`);
    if (input.launchType && input.capacityProviderStrategy?.length)
      throw invalid(
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    const td = serviceTaskDefinition(input.taskDefinition);
    const desiredCount = input.desiredCount ?? 0;
    if (!Number.isInteger(desiredCount) || desiredCount < 0)
      throw invalid('desiredCount must be a non-negative integer.');
    const tags = checkTags(input.tags);
    const loadBalancers = checkLoadBalancers(input.loadBalancers, td);
    const problem = strategyProblem(
      deploymentConfiguration(input.deploymentConfiguration),
      loadBalancers,
      controller,
      (a) => ruleExists(a),
    );
    if (problem) throw invalid(problem);
    const strategy = input.placementStrategy ?? [];
    const constraints = input.placementConstraints ?? [];
    checkPlacement(strategy, constraints, `service:${name}`);
    const svc: Service = {
      arn: world.arn('ecs', `service/${cluster.name}/${name}`),
      name,
      cluster,
      status: 'ACTIVE',
      desiredCount,
      taskDefinitionArn: td.arn,
      launchType: input.launchType,
      capacityProviderStrategy: input.capacityProviderStrategy?.length
        ? input.capacityProviderStrategy
        : undefined,
      platformVersion: input.platformVersion,
      deploymentConfiguration: deploymentConfiguration(input.deploymentConfiguration),
      deployments: [],
      history: [],
      events: [],
      loadBalancers,
      serviceRegistries: input.serviceRegistries ?? [],
      networkConfiguration: input.networkConfiguration,
      placementConstraints: constraints,
      placementStrategy: strategy,
      healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
      tags,
      createdAt: now(),
      createdBy: `arn:aws:iam::${world.account}:root`,
      deploymentController: controller,
      enableECSManagedTags: input.enableECSManagedTags ?? false,
      propagateTags: input.propagateTags ?? 'NONE',
      enableExecuteCommand: input.enableExecuteCommand ?? false,
      roleArn: input.role,
      clientToken,
      createRequestKey: requestKey,
      tasks: new Set(),
      startFailures: 0,
      nextLaunchAt: 0,
      steady: false,
      suppressed: new Map(),
      subnetCursor: 0,
    };
    svc.launchType ??= svc.capacityProviderStrategy ? undefined : launchTypeOf(svc);
    checkFargatePlacement(launchTypeOf(svc), strategy, constraints);
    checkNetwork(td, launchTypeOf(svc), svc.networkConfiguration);
    if (svc.launchType === 'FARGATE') svc.platformVersion ??= 'LATEST';
    cluster.services.set(name, svc);
    ecs.startMetrics();
    ecs.scheduler.createDeployment(svc, td.arn);
    return { service: serviceShape(svc, false) };
  }

  function UpdateService(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const svc = activeService(cluster, input?.service);
    let redeploy = input.forceNewDeployment === true;
    let td = ecs.taskDefinitions.get(svc.taskDefinitionArn)!;
    if (input.taskDefinition !== undefined) {
      td = serviceTaskDefinition(input.taskDefinition);
      if (td.arn !== svc.taskDefinitionArn) redeploy = true;
      // ECS's own answer (InvalidParameterException), as seen from CloudFormation and the CDK
      // (aws-cdk#23564, cdklabs/cdk-ecs-codedeploy#121): a new task definition goes through CodeDeploy.
      if (redeploy && svc.deploymentController === 'CODE_DEPLOY')
        throw invalid(
          'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
        );
      if (redeploy && svc.deploymentController === 'EXTERNAL')
        throw invalid(
          'Unable to update task definition on services with a EXTERNAL deployment controller. Use task sets (CreateTaskSet) to deploy.',
        );
    }
    if (input.desiredCount !== undefined) {
      if (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)
        throw invalid('desiredCount must be a non-negative integer.');
    }
    const dc = input.deploymentConfiguration
      ? deploymentConfiguration(input.deploymentConfiguration, svc.deploymentConfiguration)
      : undefined;
    const loadBalancers =
      input.loadBalancers !== undefined ? checkLoadBalancers(input.loadBalancers, td) : undefined;
    if (input.placementStrategy !== undefined || input.placementConstraints !== undefined) {
      checkPlacement(
        input.placementStrategy ?? svc.placementStrategy,
        input.placementConstraints ?? svc.placementConstraints,
        `service:${svc.name}`,
      );
      checkFargatePlacement(
        launchTypeOf(svc),
        input.placementStrategy ?? svc.placementStrategy,
        input.placementConstraints ?? svc.placementConstraints,
      );
    }
    const network = input.networkConfiguration ?? svc.networkConfiguration;
    checkNetwork(td, launchTypeOf(svc), network);
    const problem = strategyProblem(
      dc ?? svc.deploymentConfiguration,
      loadBalancers ?? svc.loadBalancers,
      svc.deploymentController,
      (a) => ruleExists(a),
    );
    if (problem) throw invalid(problem);
    // Everything validated: apply.
    if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount;
    if (dc) svc.deploymentConfiguration = dc;
    if (loadBalancers) {
      if (stableJson(loadBalancers) !== stableJson(svc.loadBalancers)) redeploy = true;
      svc.loadBalancers = loadBalancers;
    }
    if (input.networkConfiguration !== undefined) {
      if (stableJson(input.networkConfiguration) !== stableJson(svc.networkConfiguration)) redeploy = true;
      svc.networkConfiguration = input.networkConfiguration;
    }
    if (input.platformVersion !== undefined && input.platformVersion !== svc.platformVersion) {
      svc.platformVersion = input.platformVersion;
      redeploy = true;
    }
    if (input.placementStrategy !== undefined) svc.placementStrategy = input.placementStrategy;
    if (input.placementConstraints !== undefined) svc.placementConstraints = input.placementConstraints;
    if (input.healthCheckGracePeriodSeconds !== undefined)
      svc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    if (input.enableECSManagedTags !== undefined) svc.enableECSManagedTags = input.enableECSManagedTags;
    if (input.propagateTags !== undefined) svc.propagateTags = input.propagateTags;
    if (input.enableExecuteCommand !== undefined) svc.enableExecuteCommand = input.enableExecuteCommand;
    if (input.serviceRegistries !== undefined) svc.serviceRegistries = input.serviceRegistries;
    if (redeploy) {
      // A new task definition, forceNewDeployment or a changed network/load balancer configuration
      // starts a new PRIMARY deployment; a desiredCount change alone does not.
      svc.taskDefinitionArn = td.arn;
      ecs.scheduler.createDeployment(svc, td.arn);
    } else {
      ecs.scheduler.markDirty(svc);
    }
    return { service: serviceShape(svc, false) };
  }

  function DeleteService(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const svc = serviceByRef(cluster, input?.service);
    if (!svc) throw serviceNotFound();
    if (svc.status === 'INACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    if (svc.status === 'ACTIVE') {
      if (!input.force && svc.desiredCount > 0)
        throw invalid('The service cannot be stopped while it is scaled above 0.');
      svc.desiredCount = 0;
      svc.status = 'DRAINING';
      ecs.scheduler.markDirty(svc, 0);
    }
    return { service: serviceShape(svc, false) };
  }

  /**
   * DescribeServices and DescribeTasks: short names or ARNs in one cluster, tags only with
   * `include: ['TAGS']`; the list's limits and MISSING failures are describe.ts's.
   */
  function describeInCluster<T>(
    input: any,
    field: 'services' | 'tasks',
    byRef: (cluster: Cluster, ref: string) => T | undefined,
    shape: (found: T, includeTags: boolean) => unknown,
    arnOf: (cluster: Cluster, ref: string) => string,
  ) {
    const cluster = ecs.cluster(input?.cluster);
    const includeTags = (input?.include ?? []).includes('TAGS');
    const { described, failures } = describeEach(
      input?.[field],
      DESCRIBE_LIMITS[field],
      (ref) => {
        const found = byRef(cluster, ref);
        return found && shape(found, includeTags);
      },
      (ref) => arnOf(cluster, ref),
    );
    return { [field]: described, failures };
  }

  function DescribeServices(input: any) {
    return describeInCluster(input, 'services', serviceByRef, serviceShape, serviceArnOf);
  }

  function ListServices(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const arns: string[] = [];
    for (const s of cluster.services.values()) {
      if (s.status === 'INACTIVE') continue;
      if (input.launchType && launchTypeOf(s) !== input.launchType) continue;
      if (input.schedulingStrategy && input.schedulingStrategy !== 'REPLICA') continue;
      arns.push(s.arn);
    }
    const { page, nextToken } = paginate(arns, maxResultsOf(input.maxResults, 10), input.nextToken);
    return { serviceArns: page, nextToken };
  }

  // -------------------------------------------------------------- tasks

  function ListTasks(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const maxResults = maxResultsOf(input.maxResults, 100);
    let svc: Service | undefined;
    if (input.serviceName !== undefined) {
      svc = serviceByRef(cluster, input.serviceName);
      if (!svc) throw serviceNotFound();
    }
    const desired = input.desiredStatus ?? 'RUNNING';
    let instance: ContainerInstance | undefined;
    if (input.containerInstance !== undefined) {
      instance = [...cluster.instances.values()].find(
        (i) => i.arn === input.containerInstance || i.id === input.containerInstance,
      );
      if (!instance) throw invalid('The referenced container instance was not found.');
    }
    const arns: string[] = [];
    for (const t of cluster.tasks.values()) {
      if (t.desiredStatus !== desired) continue;
      if (svc && t.service !== svc) continue;
      if (input.family !== undefined && t.taskDefinition.family !== input.family) continue;
      if (input.startedBy !== undefined && t.startedBy !== input.startedBy) continue;
      if (input.launchType !== undefined && t.launchType !== input.launchType) continue;
      if (instance && t.containerInstance !== instance) continue;
      arns.push(t.arn);
    }
    const { page, nextToken } = paginate(arns, maxResults, input.nextToken);
    return { taskArns: page, nextToken };
  }

  function DescribeTasks(input: any) {
    return describeInCluster(input, 'tasks', taskByRef, taskShape, taskArnOf);
  }

  function StopTask(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const t = taskByRef(cluster, input?.task);
    if (!t) throw invalid('The referenced task was not found.');
    const reason =
      typeof input.reason === 'string' && input.reason !== '' ? input.reason : 'Task stopped by user';
    ecs.tasks.stop(t, 'UserInitiated', reason);
    return { task: taskShape(t, false) };
  }

  function RunTask(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const td = taskDefinitionByRef(input?.taskDefinition, false);
    if (!td) throw client('TaskDefinition not found.');
    if (td.status !== 'ACTIVE') throw client('TaskDefinition is inactive');
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10) throw invalid('count must be between 1 and 10.');
    const launchType = input.launchType ?? (cluster.instances.size > 0 ? 'EC2' : 'FARGATE');
    checkNetwork(td, launchType, input.networkConfiguration);
    const group = input.group ?? `family:${td.family}`;
    const strategy = input.placementStrategy ?? [];
    const constraints = input.placementConstraints ?? [];
    if (launchType === 'EC2') {
      checkPlacement(strategy, constraints, group);
      if (cluster.instances.size === 0) throw invalid('No Container Instances were found in your cluster.');
    }
    const tags = checkTags(input.tags);
    if (input.propagateTags === 'TASK_DEFINITION') tags.push(...td.tags);
    if (input.enableECSManagedTags) tags.push({ key: 'aws:ecs:clusterName', value: cluster.name });
    const tasks: any[] = [];
    const failures: any[] = [];
    for (let i = 0; i < count; i++) {
      let instance: ContainerInstance | undefined;
      if (launchType === 'EC2') {
        const placed = ecs.place(cluster, td, group, strategy, constraints);
        if (!placed.ok) {
          failures.push({ reason: placed.reason });
          continue;
        }
        instance = placed.instance;
      }
      const t = ecs.tasks.create({
        cluster,
        taskDefinition: td,
        startedBy: input.startedBy,
        group,
        launchType,
        platformVersion:
          launchType === 'FARGATE' ? (input.platformVersion ?? FARGATE_PLATFORM_VERSION) : undefined,
        networkConfiguration: input.networkConfiguration,
        subnetIndex: i,
        containerInstance: instance,
        tags: [...tags],
        enableExecuteCommand: input.enableExecuteCommand,
      });
      tasks.push(taskShape(t, false));
    }
    return { tasks, failures };
  }

  // -------------------------------------------------------------- container instances

  function ListContainerInstances(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const arns = [...cluster.instances.values()]
      .filter((i) => !input.status || i.status === input.status)
      .map((i) => i.arn);
    const { page, nextToken } = paginate(arns, maxResultsOf(input.maxResults, 100), input.nextToken);
    return { containerInstanceArns: page, nextToken };
  }

  /**
   * What the ECS agent sends when an EC2 instance joins the cluster: the instance identity document
   * (instanceType, availabilityZone, instanceId) and its totalResources (CPU units, MEMORY MiB).
   */
  function RegisterContainerInstance(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    let doc: any = {};
    if (input.instanceIdentityDocument !== undefined) {
      try {
        doc = JSON.parse(input.instanceIdentityDocument);
      } catch {
        throw client('The instance identity document is not valid JSON.');
      }
    }
    const resources: any[] = input.totalResources ?? [];
    const amount = (name: string) => resources.find((r) => r?.name === name)?.integerValue;
    const cpu = amount('CPU');
    const memory = amount('MEMORY');
    if (!Number.isInteger(cpu) || !Number.isInteger(memory))
      throw invalid('totalResources must give the CPU and MEMORY of the instance.');
    const attributes: Record<string, string> = {};
    for (const a of input.attributes ?? []) if (a?.name) attributes[a.name] = a.value ?? '';
    const arn = ecs.registerContainerInstance(cluster.name, {
      instanceType: doc.instanceType ?? attributes['ecs.instance-type'] ?? 'unknown',
      availabilityZone: doc.availabilityZone ?? attributes['ecs.availability-zone'] ?? `${world.region}a`,
      cpu,
      memory,
      attributes,
    });
    const inst = cluster.instances.get(arn)!;
    if (typeof doc.instanceId === 'string') inst.ec2InstanceId = doc.instanceId;
    inst.tags = checkTags(input.tags);
    return { containerInstance: containerInstanceShape(inst) };
  }

  function DescribeContainerInstances(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const { described, failures } = describeEach(
      input?.containerInstances,
      DESCRIBE_LIMITS.containerInstances,
      (ref) => {
        const inst = [...cluster.instances.values()].find((i) => i.arn === ref || i.id === ref);
        return inst && containerInstanceShape(inst);
      },
      (ref) =>
        ref.includes(':container-instance/')
          ? ref
          : world.arn('ecs', `container-instance/${cluster.name}/${ref}`),
    );
    return { containerInstances: described, failures };
  }

  // -------------------------------------------------------------- attributes
  //
  // API_PutAttributes, API_DeleteAttributes, API_ListAttributes (ECS API Reference): attributes
  // of container instances (the one target type here), named by short ID or ARN; a name of up to
  // 128 letters, numbers, hyphens, underscores, slashes, back slashes or periods; a value of up to
  // 128 characters; at most 10 custom attributes a resource (AttributeLimitExceededException);
  // PutAttributes takes at most 10 at a time. ListAttributes lists the built-in ones beside them
  // (what placement constraints read), filtered by attributeName, then attributeValue (which needs
  // attributeName).

  /** ECS service quotas: custom attributes per resource. */
  const MAX_CUSTOM_ATTRIBUTES = 10;

  function attributeTarget(cluster: Cluster, a: any) {
    const type = a?.targetType ?? 'container-instance';
    if (type !== 'container-instance') throw invalid(`Invalid targetType '${type}'.`);
    const id = String(a?.targetId ?? '');
    const inst = [...cluster.instances.values()].find((i) => i.arn === id || i.id === id);
    if (!inst) throw new AwsError('TargetNotFoundException', `Could not find ${id}.`);
    return inst;
  }

  function checkAttributes(input: any, withValues: boolean): any[] {
    const attrs = input?.attributes;
    if (!Array.isArray(attrs) || attrs.length === 0) throw invalid('attributes cannot be empty.');
    if (attrs.length > 10) throw invalid('You can specify up to 10 attributes in a single call.');
    for (const a of attrs) {
      if (!/^[A-Za-z0-9_./\\-]{1,128}$/.test(String(a?.name ?? '')))
        throw invalid(
          `The attribute name '${a?.name}' is not valid: up to 128 letters, numbers, hyphens, underscores, slashes, back slashes or periods.`,
        );
      if (
        withValues &&
        a.value !== undefined &&
        (String(a.value).length > 128 || String(a.value) !== String(a.value).trim())
      )
        throw invalid(`The attribute value '${a.value}' is not valid.`);
    }
    return attrs;
  }

  function PutAttributes(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const attrs = checkAttributes(input, true);
    const targets = attrs.map((a) => attributeTarget(cluster, a));
    // Checked for every target before any is changed.
    for (const inst of new Set(targets)) {
      const names = new Set(Object.keys(inst.attributes));
      attrs.forEach((a, i) => {
        if (targets[i] === inst) names.add(a.name);
      });
      if (names.size > MAX_CUSTOM_ATTRIBUTES)
        throw new AwsError(
          'AttributeLimitExceededException',
          `You can apply up to ${MAX_CUSTOM_ATTRIBUTES} custom attributes for each resource.`,
        );
    }
    attrs.forEach((a, i) => {
      targets[i]!.attributes[a.name] = a.value === undefined ? '' : String(a.value);
    });
    return { attributes: attrs };
  }

  function DeleteAttributes(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    const attrs = checkAttributes(input, false);
    const targets = attrs.map((a) => attributeTarget(cluster, a));
    attrs.forEach((a, i) => {
      delete targets[i]!.attributes[a.name];
    });
    return { attributes: attrs };
  }

  function ListAttributes(input: any) {
    const cluster = ecs.cluster(input?.cluster);
    if (input?.targetType !== 'container-instance')
      throw invalid(`Invalid targetType '${input?.targetType}'. Valid value: container-instance.`);
    if (input.attributeValue !== undefined && input.attributeName === undefined)
      throw invalid('attributeValue requires attributeName.');
    const all = [...cluster.instances.values()].flatMap((i) =>
      [
        ...builtInAttributes(i).filter((a) => !(a.name in i.attributes)),
        ...Object.entries(i.attributes).map(([name, value]) => ({ name, value })),
      ].map((a) => ({ ...a, targetType: 'container-instance', targetId: i.arn })),
    );
    const matching = all.filter(
      (a) =>
        (input.attributeName === undefined || a.name === input.attributeName) &&
        (input.attributeValue === undefined || a.value === input.attributeValue),
    );
    const { page, nextToken } = paginate(matching, maxResultsOf(input.maxResults, 100), input.nextToken);
    return { attributes: page, nextToken };
  }

  // -------------------------------------------------------------- tags

  function taggable(arn: unknown): { tags: Tag[]; set(tags: Tag[]): void } {
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw invalid('The ARN provided is not valid.');
    const resource = arn.split(':').slice(5).join(':');
    const [kind, ...path] = resource.split('/');
    const holder = (o: { tags: Tag[] } | undefined) => {
      if (!o) throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
      return { tags: o.tags, set: (tags: Tag[]) => (o.tags = tags) };
    };
    switch (kind) {
      case 'cluster':
        return holder([...ecs.clusters.values()].find((c) => c.arn === arn && c.status === 'ACTIVE'));
      case 'service': {
        const c = ecs.clusters.get(path[0] ?? '');
        return holder(c?.services.get(path[1] ?? '') ?? undefined);
      }
      case 'task':
        return holder(ecs.taskIndex.get(arn));
      case 'task-definition':
        return holder(ecs.taskDefinitions.get(arn));
      case 'container-instance': {
        const c = ecs.clusters.get(path[0] ?? '');
        return holder(c?.instances.get(arn));
      }
      default:
        throw invalid('The ARN provided is not valid.');
    }
  }

  function TagResource(input: any) {
    const target = taggable(input?.resourceArn);
    const add = checkTags(input.tags);
    const merged = [...target.tags.filter((t) => !add.some((a) => a.key === t.key)), ...add];
    checkTags(merged);
    target.set(merged);
    return {};
  }

  function UntagResource(input: any) {
    const target = taggable(input?.resourceArn);
    const keys: string[] = input.tagKeys ?? [];
    target.set(target.tags.filter((t) => !keys.includes(t.key)));
    return {};
  }

  function ListTagsForResource(input: any) {
    return { tags: taggable(input?.resourceArn).tags };
  }

  const { ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment } =
    serviceDeploymentOperations(ecs, serviceByRef);

  return {
    ListServiceDeployments,
    DescribeServiceDeployments,
    StopServiceDeployment,
    CreateCluster,
    PutClusterCapacityProviders,
    CreateCapacityProvider,
    DescribeCapacityProviders,
    UpdateClusterSettings,
    UpdateCluster,
    DescribeClusters,
    ListClusters,
    DeleteCluster,
    RegisterTaskDefinition,
    DescribeTaskDefinition,
    ListTaskDefinitions,
    ListTaskDefinitionFamilies,
    DeregisterTaskDefinition,
    CreateService,
    UpdateService,
    DeleteService,
    DescribeServices,
    ListServices,
    ListTasks,
    DescribeTasks,
    StopTask,
    RunTask,
    RegisterContainerInstance,
    ListContainerInstances,
    DescribeContainerInstances,
    PutAttributes,
    DeleteAttributes,
    ListAttributes,
    TagResource,
    UntagResource,
    ListTagsForResource,
  };
}

/** JSON with sorted keys, to compare requests. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, x[k]]),
        )
      : x,
  );
}
