/**
 * How a canary gets its share of traffic, from autopilot.yml (a target's or the defaults'):
 *
 *   traffic: weighted          # tasks (default): the canary's tasks join the primary's target group
 *   loadBalancers: [front]     # weighted: the ALB/NLB names whose listeners forward to the service
 *   canaryTargetGroup: web-green   # weighted, optional: the canary's target group (default: made by
 *                                  # the pipeline, named canaryGroupName(cluster, service))
 *
 * `loadBalancers` is required with `weighted`: the pipeline's IAM (lib/deploy-config.ts) may change
 * only the rules and listeners of those load balancers, and a service behind none cannot be
 * weighted. `weighted` only means something for a strategy with a canary (canary, linear): set on a
 * target of another strategy it is a mistake (reported); from `defaults` such a target keeps `tasks`.
 */
import { createHash } from 'node:crypto';

export type TrafficMode = 'weighted' | 'tasks';

type Add = (path: string, message: string) => void;

/** ELBv2 load balancer and target group names: 1-32 alphanumerics or hyphens, not starting or ending with one. */
const ELB_NAME = /^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$/;

export function parseTrafficMode(value: unknown, path: string, add: Add): TrafficMode | undefined {
  if (value === 'weighted' || value === 'tasks') return value;
  add(
    path,
    `must be weighted (listener weights: the exact share, needs an ALB or NLB) or tasks (the canary's share of the tasks), got ${JSON.stringify(value ?? null)}`,
  );
  return undefined;
}

function elbName(what: string) {
  return (value: unknown, path: string, add: Add): string | undefined => {
    if (typeof value === 'string' && ELB_NAME.test(value)) return value;
    add(
      path,
      typeof value === 'string' && value.startsWith('arn:')
        ? `must be the ${what} name, not an ARN`
        : `must be a ${what} name (1-32 letters, digits and hyphens, not starting or ending with a hyphen), got ${JSON.stringify(value ?? null)}`,
    );
    return undefined;
  };
}

export const parseCanaryTargetGroup = elbName('target group');

export function parseLoadBalancerNames(value: unknown, path: string, add: Add): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    add(path, 'must be a list of load balancer names, e.g. [front]');
    return undefined;
  }
  const names = value.map((v, i) => elbName('load balancer')(v, `${path}[${i}]`, add));
  return names.every((n): n is string => n !== undefined) ? [...new Set(names)] : undefined;
}

/** Where a setting was read from: the target itself, or `defaults`. */
export interface Sourced<T> {
  value: T | undefined;
  path?: string;
}

/**
 * The target's traffic settings, checked together, or the problems.
 *
 *   weighted, canary, loadBalancers [front]       -> weighted
 *   weighted, canary, no loadBalancers             -> problem: needs the load balancers
 *   weighted (on the target), strategy rolling     -> problem: rolling has no canary
 *   weighted (from defaults), strategy rolling     -> tasks
 *   tasks, canaryTargetGroup set                   -> problem: only with weighted
 */
export function resolveTraffic(
  strategy: string,
  mode: Sourced<TrafficMode>,
  loadBalancers: Sourced<string[]>,
  canaryTargetGroup: Sourced<string>,
  add: Add,
): { traffic: TrafficMode; loadBalancers?: string[]; canaryTargetGroup?: string } {
  const canaried = strategy === 'canary' || strategy === 'linear';
  const fromDefaults = (p?: string) => p?.startsWith('defaults.') === true;
  if (mode.value !== 'weighted' || !canaried) {
    if (mode.value === 'weighted' && !fromDefaults(mode.path))
      add(
        mode.path ?? 'traffic',
        `weighted shifts a canary's share by listener weights, and strategy ${strategy} has no canary of the pipeline's (use canary or linear, or leave traffic out)`,
      );
    for (const s of [loadBalancers, canaryTargetGroup])
      if (s.value !== undefined && !fromDefaults(s.path))
        add(s.path!, 'only with traffic: weighted (and strategy canary or linear)');
    return { traffic: 'tasks' };
  }
  if (!loadBalancers.value) {
    if (loadBalancers.path === undefined)
      add(
        `${mode.path!.replace(/traffic$/, '')}loadBalancers`,
        'is required with traffic: weighted: the names of the Application or Network Load Balancers whose listeners forward to the service (weighted traffic needs the service behind one)',
      );
    return { traffic: 'tasks' };
  }
  return {
    traffic: 'weighted',
    loadBalancers: loadBalancers.value,
    ...(canaryTargetGroup.value !== undefined && { canaryTargetGroup: canaryTargetGroup.value }),
  };
}

/**
 * The target group the pipeline makes for a weighted canary, named after the cluster and the service
 * so that deploy-time IAM can name it (target group names are unique per account and Region,
 * 1-32 alphanumerics or hyphens: API_CreateTargetGroup). Too long a name keeps its start and a hash.
 *
 *   prod, web                                  -> prod-web-canary
 *   prod, web_api                              -> prod-web-api-canary
 *   production-eu-west-1, checkout-service     -> production-eu-west-3bd65a-canary  (32 characters)
 */
export function canaryGroupName(cluster: string, service: string): string {
  const base = `${cluster}-${service}`.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+/g, '-');
  if (base.length + '-canary'.length <= 32) return `${base}-canary`;
  const hash = createHash('sha256').update(`${cluster}/${service}`).digest('hex').slice(0, 6);
  return `${base.slice(0, 18).replace(/-+$/, '')}-${hash}-canary`;
}

/** The canary's target group of a target: the one named in the config, else the pipeline's. */
export function canaryGroupOf(target: {
  cluster: string;
  service: string;
  canaryTargetGroup?: string;
}): string {
  return target.canaryTargetGroup ?? canaryGroupName(target.cluster, target.service);
}
