/**
 * How an image behaves when the local ECS runs it. A scenario names a behaviour per
 * `repository:tag`; the local ECR binds it to the digest at push time, so a rollout that deploys
 * by digest runs exactly what was pushed.
 *
 *   healthy                          runs and passes its health check
 *   unhealthy                        runs, but its container health check fails
 *   pull-error                       CannotPullContainerError: the task never reaches RUNNING
 *   { crash: { after: 20s, exitCode: 1 } }   the essential container exits after 20 s
 *   { errors: 0.25 }                 runs, but 25% of requests fail (HTTP 5xx)
 *   { unhealthy: { after: 2m } }     healthy at first; its health checks fail from 2 min after it started
 *   { errors: { rate: 0.3, after: 5m } }   no errors at first; 30% of requests fail from 5 min after start
 *   { startup: 30s }                 takes 30 s from pull to RUNNING
 *   { cpu: { idle: 2, perRequest: 0.05 }, memory: { base: 30, perRequest: 0.01 } }   percent of the task's size
 */
import { parseDuration } from '../../lib/duration.ts';

export interface ImageBehaviour {
  /** Seconds from the end of the pull to the container RUNNING. */
  startupSeconds: number;
  crash?: { afterSeconds: number; exitCode: number };
  unhealthy: boolean;
  /** With `unhealthy`: seconds after the task started before the checks begin to fail (0: from the start). */
  unhealthyAfterSeconds?: number;
  pullError: boolean;
  /** Share of requests answered with a 5xx, 0..1. */
  errorRate: number;
  /** Seconds after the task started before `errorRate` applies (0: from the start). */
  errorsAfterSeconds?: number;
  /** CPU use in percent of the task's CPU: idle plus per request/second served by one task. */
  cpu: { idle: number; perRequest: number };
  memory: { base: number; perRequest: number };
}

export const HEALTHY: ImageBehaviour = {
  startupSeconds: 5,
  unhealthy: false,
  pullError: false,
  errorRate: 0,
  cpu: { idle: 2, perRequest: 0.5 },
  memory: { base: 20, perRequest: 0.1 },
};

const KEYS = ['healthy', 'unhealthy', 'pull-error', 'crash', 'errors', 'startup', 'cpu', 'memory'];

/** Parses a scenario's behaviour value; throws a message naming the problem (the caller adds the path). */
export function parseImageBehaviour(value: unknown): ImageBehaviour {
  if (value === 'healthy' || value === null || value === undefined) return { ...HEALTHY };
  if (value === 'unhealthy') return { ...HEALTHY, unhealthy: true };
  if (value === 'pull-error') return { ...HEALTHY, pullError: true };
  if (typeof value === 'string') {
    throw new Error(`unknown image behaviour "${value}"; use healthy, unhealthy, pull-error or an object`);
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Error('must be a behaviour name or an object');
  const v = value as Record<string, any>;
  for (const k of Object.keys(v)) {
    if (!KEYS.includes(k)) throw new Error(`unknown field "${k}"; expected one of ${KEYS.join(', ')}`);
  }
  const b: ImageBehaviour = { ...HEALTHY, cpu: { ...HEALTHY.cpu }, memory: { ...HEALTHY.memory } };
  if (v.unhealthy !== undefined && typeof v.unhealthy === 'object' && v.unhealthy !== null) {
    only(v.unhealthy, 'unhealthy', ['after']);
    b.unhealthy = true;
    b.unhealthyAfterSeconds = duration(v.unhealthy.after, 'unhealthy.after');
  } else if (v.unhealthy !== undefined) b.unhealthy = bool(v.unhealthy, 'unhealthy');
  if (v['pull-error'] !== undefined) b.pullError = bool(v['pull-error'], 'pull-error');
  if (v.startup !== undefined) b.startupSeconds = parseDuration(v.startup) / 1000;
  if (v.errors !== undefined && typeof v.errors === 'object' && v.errors !== null) {
    only(v.errors, 'errors', ['rate', 'after']);
    b.errorRate = share(v.errors.rate, 'errors.rate');
    b.errorsAfterSeconds = duration(v.errors.after ?? 0, 'errors.after');
  } else if (v.errors !== undefined) b.errorRate = share(v.errors, 'errors');
  if (v.crash !== undefined) {
    const c = v.crash;
    if (typeof c !== 'object' || c === null) throw new Error('crash: must be { after, exitCode }');
    only(c, 'crash', ['after', 'exitCode']);
    const exitCode = c.exitCode ?? 1;
    if (!Number.isInteger(exitCode))
      throw new Error(`crash.exitCode: must be an integer, got ${JSON.stringify(exitCode)}`);
    let after: number;
    try {
      after = parseDuration(c.after ?? '30s') / 1000;
    } catch (e) {
      throw new Error(`crash.after: ${(e as Error).message}`);
    }
    b.crash = { afterSeconds: after, exitCode };
  }
  if (v.cpu !== undefined)
    b.cpu = usage(v.cpu, 'cpu', ['idle', 'perRequest'], b.cpu) as ImageBehaviour['cpu'];
  if (v.memory !== undefined) {
    b.memory = usage(v.memory, 'memory', ['base', 'perRequest'], b.memory) as ImageBehaviour['memory'];
  }
  return b;
}

/** Unknown fields are mistakes, as everywhere in a scenario: `crash: { afterr: 20s }` is refused. */
function only(v: object, field: string, keys: string[]): void {
  for (const k of Object.keys(v))
    if (!keys.includes(k)) throw new Error(`${field}.${k}: unknown field; expected ${keys.join(' or ')}`);
}

function share(v: unknown, field: string): number {
  if (typeof v !== 'number' || v < 0 || v > 1)
    throw new Error(`${field}: must be a share between 0 and 1, got ${JSON.stringify(v)}`);
  return v;
}

function duration(v: unknown, field: string): number {
  if (v === undefined) throw new Error(`${field}: required (a duration such as 2m)`);
  try {
    return parseDuration(v as string) / 1000;
  } catch (e) {
    throw new Error(`${field}: ${(e as Error).message}`);
  }
}

/**
 * The share of requests an image answers with 5xx, `sinceStartMs` after its task started. An app
 * that fails its health checks fails them all.
 *
 *   behaviour                              sinceStart  →  share
 *   { errors: 0.25 }                       0              0.25
 *   { errors: { rate: 0.3, after: 5m } }   4m             0
 *   { errors: { rate: 0.3, after: 5m } }   5m             0.3
 *   { unhealthy: { after: 2m } }           1m             0
 *   { unhealthy: { after: 2m } }           3m             1
 */
export function errorShareAt(b: ImageBehaviour, sinceStartMs: number): number {
  if (b.unhealthy && sinceStartMs >= (b.unhealthyAfterSeconds ?? 0) * 1000) return 1;
  if (sinceStartMs < (b.errorsAfterSeconds ?? 0) * 1000) return 0;
  return b.errorRate;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`${field}: must be true or false`);
  return v;
}

function usage(
  v: unknown,
  field: string,
  keys: string[],
  base: Record<string, number>,
): Record<string, number> {
  if (typeof v !== 'object' || v === null)
    throw new Error(`${field}: must be an object with ${keys.join(', ')}`);
  const out = { ...base };
  for (const [k, n] of Object.entries(v)) {
    if (!keys.includes(k)) throw new Error(`${field}.${k}: unknown field; expected ${keys.join(' or ')}`);
    if (typeof n !== 'number' || n < 0) throw new Error(`${field}.${k}: must be a non-negative number`);
    out[k] = n;
  }
  return out;
}
