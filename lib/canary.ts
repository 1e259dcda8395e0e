/**
 * The canary service's name: a sibling of the primary in the same cluster. Pure, so the config
 * can refuse a target whose name would collide with another target's canary.
 */
export const CANARY_SUFFIX = '-canary';

export function canaryServiceName(service: string): string {
  return `${service}${CANARY_SUFFIX}`;
}
