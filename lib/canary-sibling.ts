/**
 * The canary is a true sibling of the primary: it takes its share of the primary's traffic in the
 * same way, or it bakes on nothing (no traffic) or fails to start (a false rollback). What the
 * primary has, the canary gets: network, load balancers, capacity providers or launch type,
 * placement, Cloud Map registries, Service Connect, and the volumes configured at deployment.
 * The canary is brought in line with the primary at the start of every rollout, as the primary may
 * have changed since the canary was created. What cannot be copied is refused, with the reason.
 *
 * Where ECS keeps each (DescribeServices, API Reference `Service` and `Deployment`):
 *   loadBalancers, serviceRegistries, networkConfiguration, capacityProviderStrategy, launchType,
 *   platformVersion, placementConstraints, placementStrategy    on the service
 *   serviceConnectConfiguration, volumeConfigurations            on its PRIMARY deployment
 * UpdateService takes every one of them (API Reference, UpdateService), so a canary is aligned in place.
 *
 * Service Connect: a `services` entry publishes a discovery name and client aliases that "must be
 * unique within the namespace" (API Reference, ServiceConnectService and ServiceConnectClientAlias):
 * the canary cannot publish the primary's endpoint. It joins the namespace as a client (it can call
 * what the primary calls), and takes traffic through the load balancers or Cloud Map registries it
 * shares with the primary. A primary that takes traffic only through Service Connect is refused:
 * its canary would bake on no traffic at all.
 */
import type {
  CapacityProviderStrategyItem,
  CreateServiceCommandInput,
  LoadBalancer,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  Service,
  ServiceConnectConfiguration,
  ServiceRegistry,
  ServiceVolumeConfiguration,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';

/** What the canary copies from the primary: CreateService's and UpdateService's common fields. */
export interface SiblingSettings {
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  networkConfiguration?: NetworkConfiguration;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  launchType?: CreateServiceCommandInput['launchType'];
  platformVersion?: string;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  serviceConnectConfiguration?: ServiceConnectConfiguration;
  volumeConfigurations: ServiceVolumeConfiguration[];
}

/** The primary cannot have a sibling canary: why, in words for a person. */
export interface SiblingRefusal {
  reason: string;
}

/** The deployment whose settings are the service's own: PRIMARY (the newest). */
function primaryDeployment(service: Service) {
  return service.deployments?.find((d) => d.status === 'PRIMARY') ?? service.deployments?.[0];
}

/**
 * The primary's Service Connect, as a canary may use it: the same namespace and logs, as a client
 * only (no `services`: their names are unique in the namespace).
 *   { enabled, namespace: 'shop', services: [{ portName: 'http', discoveryName: 'web' }] }
 *     -> { enabled: true, namespace: 'shop' }
 *   { enabled: false } or none -> none
 */
export function clientOnly(
  sc: ServiceConnectConfiguration | undefined,
): ServiceConnectConfiguration | undefined {
  if (!sc?.enabled) return undefined;
  return {
    enabled: true,
    ...(sc.namespace && { namespace: sc.namespace }),
    ...(sc.logConfiguration && { logConfiguration: sc.logConfiguration }),
  };
}

/** A service's settings as DescribeServices returns them; Service Connect as the canary may have it. */
function readSettings(service: Service): SiblingSettings {
  const deployment = primaryDeployment(service);
  const capacity = service.capacityProviderStrategy?.length ? service.capacityProviderStrategy : undefined;
  const sc = clientOnly(deployment?.serviceConnectConfiguration);
  return {
    loadBalancers: service.loadBalancers ?? [],
    serviceRegistries: service.serviceRegistries ?? [],
    ...(service.networkConfiguration && { networkConfiguration: service.networkConfiguration }),
    ...(capacity
      ? { capacityProviderStrategy: capacity }
      : service.launchType
        ? { launchType: service.launchType }
        : {}),
    ...(service.platformVersion && { platformVersion: service.platformVersion }),
    placementConstraints: service.placementConstraints ?? [],
    placementStrategy: service.placementStrategy ?? [],
    ...(sc && { serviceConnectConfiguration: sc }),
    volumeConfigurations: deployment?.volumeConfigurations ?? [],
  };
}

/**
 * The canary's settings from the primary as DescribeServices returned it, or the reason there can
 * be no true sibling.
 *   primary behind a target group, Service Connect client and server -> settings, SC client-only
 *   primary reached only through Service Connect (no target group, no registry) -> refused
 */
export function siblingSettings(primary: Service): SiblingSettings | SiblingRefusal {
  const sc = primaryDeployment(primary)?.serviceConnectConfiguration;
  const published = (sc?.enabled && sc.services?.map((s) => s.discoveryName ?? s.portName)) || [];
  if (published.length > 0 && !primary.loadBalancers?.length && !primary.serviceRegistries?.length) {
    return {
      reason:
        `${primary.serviceName} takes its traffic only through Service Connect (${published.join(', ')}), and a ` +
        'discovery name is unique in its namespace: a canary cannot serve it, so it would bake on no traffic. ' +
        'Put the service behind a target group (or a Cloud Map registry) to roll it out by canary, or use strategy rolling',
    };
  }
  return readSettings(primary);
}

export function isRefusal(s: SiblingSettings | SiblingRefusal): s is SiblingRefusal {
  return 'reason' in s;
}

/** JSON with sorted keys: ECS returns the same settings in any key order. */
function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([k, x]) => [k, norm(x)]),
          )
        : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/**
 * The UpdateService that brings an existing canary in line with the primary, or undefined when it
 * already is. Only what differs is sent (each changed field may start a new canary deployment).
 * A launch type cannot be changed by UpdateService, only a capacity provider strategy: a canary
 * whose launch type differs is recreated by the caller (returned as `recreate`).
 *   canary on the same subnets, target group moved on the primary -> { loadBalancers: [the new one] }
 *   nothing changed -> undefined
 */
export function alignCanary(
  cluster: string,
  canary: Service,
  wanted: SiblingSettings,
): { update?: UpdateServiceCommandInput; recreate?: string } {
  const have = readSettings(canary);
  if (!wanted.capacityProviderStrategy && wanted.launchType && canary.launchType !== wanted.launchType) {
    return {
      recreate: `the primary runs on ${wanted.launchType}, the canary on ${canary.launchType ?? 'a capacity provider'}`,
    };
  }
  const update: UpdateServiceCommandInput = { cluster, service: canary.serviceName };
  let changed = false;
  const fields = [
    'loadBalancers',
    'serviceRegistries',
    'networkConfiguration',
    'capacityProviderStrategy',
    'platformVersion',
    'placementConstraints',
    'placementStrategy',
    'serviceConnectConfiguration',
    'volumeConfigurations',
  ] as const;
  for (const field of fields) {
    if (same(have[field], wanted[field])) continue;
    if (wanted[field] === undefined && field !== 'serviceConnectConfiguration') continue;
    changed = true;
    (update as unknown as Record<string, unknown>)[field] =
      field === 'serviceConnectConfiguration' && wanted[field] === undefined
        ? { enabled: false }
        : wanted[field];
  }
  return changed ? { update } : {};
}
