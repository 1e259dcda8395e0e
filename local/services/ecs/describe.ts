/**
 * The Describe* calls that name what they describe in a list (DescribeServices, DescribeTasks,
 * DescribeContainerInstances, DescribeServiceDeployments): a missing or empty list, or one longer
 * than the call takes, is refused whole; otherwise each name is described, or, where nothing
 * answers to it, listed in `failures` with reason MISSING under the ARN it would have
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Failure.html).
 */
import { AwsError } from '../../core/errors.ts';

export interface DescribeLimits {
  /** The most names one call takes (10 services, 100 tasks or container instances, 20 deployments). */
  max: number;
  /** ECS's words for an empty list and for one over `max`. */
  empty: string;
  over: string;
}

/** Each call's limit and words, as ECS answers them. */
export const DESCRIBE_LIMITS = {
  services: {
    max: 10,
    empty: 'Services cannot be empty.',
    over: 'You may specify up to 10 services to describe in a single operation.',
  },
  tasks: {
    max: 100,
    empty: 'Tasks cannot be empty.',
    over: 'You may specify up to 100 tasks to describe in a single operation.',
  },
  containerInstances: {
    max: 100,
    empty: 'Container instances cannot be empty.',
    over: 'You may specify up to 100 container instances in a single operation.',
  },
  serviceDeploymentArns: {
    max: 20,
    empty: 'serviceDeploymentArns cannot be empty.',
    over: 'You may specify up to 20 service deployment ARNs in a single operation.',
  },
} satisfies Record<string, DescribeLimits>;

export function describeEach<T>(
  refs: unknown,
  limits: DescribeLimits,
  describe: (ref: string) => T | undefined,
  missingArn: (ref: string) => string,
): { described: T[]; failures: { arn: string; reason: 'MISSING' }[] } {
  const invalid = (m: string) => new AwsError('InvalidParameterException', m);
  if (!Array.isArray(refs) || refs.length === 0) throw invalid(limits.empty);
  if (refs.length > limits.max) throw invalid(limits.over);
  const described: T[] = [];
  const failures: { arn: string; reason: 'MISSING' }[] = [];
  for (const ref of refs.map(String)) {
    const found = describe(ref);
    if (found !== undefined) described.push(found);
    else failures.push({ arn: missingArn(ref), reason: 'MISSING' });
  }
  return { described, failures };
}
