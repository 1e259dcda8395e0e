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
 *   { startup: 30s }                 takes 30 s from pull to RUNNING
 *   { cpu: { idle: 2, perRequest: 0.05 }, memory: { base: 30, perRequest: 0.01 } }   percent of the task's size
 */
import { parseDuration } from '../../lib/duration.ts';

export interface ImageBehaviour {
  /** Seconds from the end of the pull to the container RUNNING. */
  startupSeconds: number;
  crash?: { afterSeconds: number; exitCode: number };
  unhealthy: boolean;
  pullError: boolean;
  /** Share of requests answered with a 5xx, 0..1. */
  errorRate: number;
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
  if (v.unhealthy !== undefined) b.unhealthy = bool(v.unhealthy, 'unhealthy');
  if (v['pull-error'] !== undefined) b.pullError = bool(v['pull-error'], 'pull-error');
  if (v.startup !== undefined) b.startupSeconds = parseDuration(v.startup) / 1000;
  if (v.errors !== undefined) {
    if (typeof v.errors !== 'number' || v.errors < 0 || v.errors > 1) {
      throw new Error(`errors: must be a share between 0 and 1, got ${JSON.stringify(v.errors)}`);
    }
    b.errorRate = v.errors;
  }
  if (v.crash !== undefined) {
    const c = v.crash;
    if (typeof c !== 'object' || c === null) throw new Error('crash: must be { after, exitCode }');
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
