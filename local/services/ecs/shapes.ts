/**
 * What the local ECS answers: the SDK shapes of Task, Container, Service, Deployment, Cluster and
 * ContainerInstance, and the `detail` of the events it puts on the bus.
 */
import { FARGATE_PLATFORM_VERSION } from './constants.ts';
import type { Cluster, ContainerInstance, Deployment, Service, Task } from './model.ts';
import { instanceAttributes } from './placement.ts';
import { currentServiceDeployment } from './service-deployments.ts';

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** EventBridge-style whole-second time, as in the deployment event sample ("2020-05-23T11:11:11Z"). */
export const isoSeconds = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function eniDetails(t: Task) {
  const a = t.attachment!;
  return [
    { name: 'subnetId', value: a.subnetId },
    { name: 'networkInterfaceId', value: a.networkInterfaceId },
    { name: 'macAddress', value: a.macAddress },
    { name: 'privateDnsName', value: a.privateDnsName },
    { name: 'privateIPv4Address', value: a.privateIPv4Address },
  ];
}

/** DescribeTasks `tasks[]`. */
export function taskShape(t: Task, includeTags: boolean): any {
  const fargate = t.launchType === 'FARGATE';
  return {
    attachments: t.attachment
      ? [
          {
            id: t.attachment.id,
            type: 'ElasticNetworkInterface',
            status: t.attachment.status,
            details: eniDetails(t),
          },
        ]
      : [],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: t.availabilityZone,
    capacityProviderName: t.capacityProviderName,
    clusterArn: t.cluster.arn,
    connectivity: t.connectivityAt !== undefined ? 'CONNECTED' : undefined,
    connectivityAt: date(t.connectivityAt),
    containerInstanceArn: t.containerInstance?.arn,
    containers: t.containers.map((c) => ({
      containerArn: c.arn,
      taskArn: t.arn,
      name: c.name,
      image: c.image,
      imageDigest: c.imageDigest,
      runtimeId: c.runtimeId,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
      networkBindings: c.networkBindings ?? [],
      networkInterfaces: t.attachment
        ? [{ attachmentId: t.attachment.id, privateIpv4Address: t.attachment.privateIPv4Address }]
        : [],
      healthStatus: c.healthStatus,
      cpu: String(c.cpu),
      memory: c.memory !== undefined ? String(c.memory) : undefined,
      memoryReservation: c.memoryReservation !== undefined ? String(c.memoryReservation) : undefined,
    })),
    cpu: t.cpu,
    createdAt: date(t.createdAt),
    desiredStatus: t.desiredStatus,
    enableExecuteCommand: t.enableExecuteCommand,
    ephemeralStorage: fargate ? { sizeInGiB: 20 } : undefined,
    executionStoppedAt: date(t.executionStoppedAt),
    group: t.group,
    healthStatus: t.healthStatus,
    lastStatus: t.lastStatus,
    launchType: t.launchType,
    memory: t.memory,
    overrides: t.overrides,
    platformVersion: fargate ? (t.platformVersion ?? FARGATE_PLATFORM_VERSION) : undefined,
    platformFamily: fargate ? 'Linux' : undefined,
    pullStartedAt: date(t.pullStartedAt),
    pullStoppedAt: date(t.pullStoppedAt),
    startedAt: date(t.startedAt),
    startedBy: t.startedBy,
    stopCode: t.stopCode,
    stoppedAt: date(t.stoppedAt),
    stoppedReason: t.stoppedReason,
    stoppingAt: date(t.stoppingAt),
    tags: includeTags ? t.tags : undefined,
    taskArn: t.arn,
    taskDefinitionArn: t.taskDefinition.arn,
    version: t.version,
  };
}

/**
 * `detail` of `ECS Task State Change`: the fields, names and types of the documented sample
 * (ecs_cwe_events.md "Example Task state change event"): timestamps are ISO strings, attachment type
 * `eni`, containers without health, overrides with containerOverrides only. Stopped tasks add
 * stopCode, stoppedReason, stoppingAt, stoppedAt, executionStoppedAt and the containers' exitCode/reason.
 */
export function taskEventDetail(t: Task): any {
  const fargate = t.launchType === 'FARGATE';
  return compact({
    attachments: t.attachment
      ? [
          {
            id: t.attachment.id,
            type: 'eni',
            status: t.attachment.status,
            details: eniDetails(t).filter((d) => d.name !== 'privateDnsName'),
          },
        ]
      : [],
    availabilityZone: t.availabilityZone,
    clusterArn: t.cluster.arn,
    containerInstanceArn: t.containerInstance?.arn,
    containers: t.containers.map((c) => ({
      containerArn: c.arn,
      exitCode: c.exitCode,
      lastStatus: c.lastStatus,
      name: c.name,
      image: c.image,
      imageDigest: c.imageDigest,
      runtimeId: c.runtimeId,
      reason: c.reason,
      taskArn: t.arn,
      networkBindings: c.networkBindings,
      networkInterfaces: t.attachment
        ? [{ attachmentId: t.attachment.id, privateIpv4Address: t.attachment.privateIPv4Address }]
        : undefined,
      cpu: String(c.cpu),
    })),
    createdAt: iso(t.createdAt),
    launchType: t.launchType,
    cpu: t.cpu,
    memory: t.memory,
    desiredStatus: t.desiredStatus,
    group: t.group,
    lastStatus: t.lastStatus,
    overrides: { containerOverrides: t.containers.map((c) => ({ name: c.name })) },
    connectivity: t.connectivityAt !== undefined ? 'CONNECTED' : undefined,
    connectivityAt: iso(t.connectivityAt),
    pullStartedAt: iso(t.pullStartedAt),
    startedAt: iso(t.startedAt),
    startedBy: t.startedBy,
    stoppingAt: iso(t.stoppingAt),
    stoppedAt: iso(t.stoppedAt),
    executionStoppedAt: iso(t.executionStoppedAt),
    pullStoppedAt: iso(t.pullStoppedAt),
    stoppedReason: t.stoppedReason,
    stopCode: t.stopCode,
    updatedAt: iso(t.updatedAt),
    taskArn: t.arn,
    taskDefinitionArn: t.taskDefinition.arn,
    version: t.version,
    platformVersion: fargate ? (t.platformVersion ?? FARGATE_PLATFORM_VERSION) : undefined,
  });
}

/** Drops undefined members, recursively: an event detail is JSON, it has no undefined values. */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = compact(v);
    return out as T;
  }
  return value;
}

/** DescribeServices `deployments[]` entry. */
export function deploymentShape(d: Deployment, serviceDesired: number): any {
  let running = 0;
  let pending = 0;
  let live = 0;
  for (const t of d.tasks) {
    if (t.desiredStatus === 'RUNNING') live++;
    if (t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING') running++;
    else if (t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING' || t.lastStatus === 'ACTIVATING')
      pending++;
  }
  const fargate = d.launchType === 'FARGATE';
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinitionArn,
    desiredCount: d.status === 'PRIMARY' ? serviceDesired : live,
    pendingCount: pending,
    runningCount: running,
    failedTasks: d.failedTasks,
    createdAt: date(d.createdAt),
    updatedAt: date(d.updatedAt),
    launchType: d.launchType,
    platformVersion: fargate ? FARGATE_PLATFORM_VERSION : undefined,
    platformFamily: fargate ? 'Linux' : undefined,
    networkConfiguration: d.networkConfiguration,
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

/** DescribeServices `services[]` (and Create/Update/DeleteService `service`). */
export function serviceShape(s: Service, includeTags: boolean): any {
  let running = 0;
  let pending = 0;
  for (const t of s.tasks) {
    if (t.desiredStatus !== 'RUNNING') continue;
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING' || t.lastStatus === 'ACTIVATING')
      pending++;
  }
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.cluster.arn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: running,
    pendingCount: pending,
    launchType: s.capacityProviderStrategy ? undefined : s.launchType,
    capacityProviderStrategy: s.capacityProviderStrategy,
    platformVersion: s.launchType === 'FARGATE' ? (s.platformVersion ?? 'LATEST') : undefined,
    platformFamily: s.launchType === 'FARGATE' ? 'Linux' : undefined,
    taskDefinition: s.taskDefinitionArn,
    deploymentConfiguration: s.deploymentConfiguration,
    deployments: s.deployments.map((d) => deploymentShape(d, s.desiredCount)),
    currentServiceDeployment: currentServiceDeployment(s)?.arn,
    roleArn: s.roleArn,
    events: s.events.map((e) => ({ id: e.id, createdAt: date(e.createdAt), message: e.message })),
    createdAt: date(s.createdAt),
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    networkConfiguration: s.networkConfiguration,
    healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: s.deploymentController ?? 'ECS' },
    tags: includeTags ? s.tags : undefined,
    createdBy: s.createdBy,
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: s.enableExecuteCommand,
    availabilityZoneRebalancing: 'DISABLED',
  };
}

/** DescribeClusters `clusters[]`. */
export function clusterShape(c: Cluster, includeTags: boolean, includeSettings = true): any {
  let running = 0;
  let pending = 0;
  for (const t of c.tasks.values()) {
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING' || t.lastStatus === 'ACTIVATING')
      pending++;
  }
  let active = 0;
  for (const s of c.services.values()) if (s.status === 'ACTIVE') active++;
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: c.instances.size,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: active,
    statistics: [],
    tags: includeTags ? c.tags : [],
    settings: includeSettings ? c.settings : undefined,
    capacityProviders: [...c.capacityProviders],
    defaultCapacityProviderStrategy: c.defaultCapacityProviderStrategy.map((s) => ({ ...s })),
  };
}

/**
 * The attributes the ECS agent registers on every container instance (developerguide
 * ecs-placement-constraints.html "Built-in attributes"): those placement reads (placement.ts
 * instanceAttributes: ecs.availability-zone, ecs.instance-type, ecs.os-type, ecs.os-family,
 * ecs.cpu-architecture), ecs.ami-id, and a few capability attributes (name only).
 */
export function builtInAttributes(i: ContainerInstance): { name: string; value?: string }[] {
  const valued = instanceAttributes({
    instanceType: i.instanceType,
    availabilityZone: i.availabilityZone,
    attributes: {},
  });
  return [
    ...Object.entries(valued).map(([name, value]) => ({ name, value })),
    { name: 'ecs.ami-id', value: `ami-${i.ec2InstanceId.replace(/^i-/, '').slice(0, 17)}` },
    { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.44' },
    { name: 'com.amazonaws.ecs.capability.ecr-auth' },
    { name: 'com.amazonaws.ecs.capability.task-iam-role' },
    { name: 'ecs.capability.task-eni' },
    { name: 'ecs.capability.container-health-check' },
  ];
}

/** DescribeContainerInstances `containerInstances[]`. */
export function containerInstanceShape(i: ContainerInstance): any {
  let running = 0;
  let pending = 0;
  for (const t of i.tasks) {
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.lastStatus === 'PENDING' || t.lastStatus === 'ACTIVATING') pending++;
  }
  const used = i.usedHostPorts.map(String);
  return {
    containerInstanceArn: i.arn,
    ec2InstanceId: i.ec2InstanceId,
    version: i.version,
    versionInfo: { agentVersion: '1.89.0', agentHash: 'local', dockerVersion: 'DockerVersion: 25.0.8' },
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: i.remaining.cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: i.remaining.memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679', ...used] },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    registeredResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: i.registered.cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: i.registered.memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    status: i.status,
    agentConnected: true,
    runningTasksCount: running,
    pendingTasksCount: pending,
    attributes: [
      ...builtInAttributes(i).filter((a) => !(a.name in i.attributes)),
      ...Object.entries(i.attributes).map(([name, value]) => ({ name, value })),
    ],
    registeredAt: date(i.registeredAt),
    attachments: [],
    tags: [],
  };
}
