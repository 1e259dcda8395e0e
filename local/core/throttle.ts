/**
 * ECS request throttling: a token bucket per account and Region for each category of actions;
 * all actions of a category share one bucket. Burst is the bucket size, sustained the refill
 * per second. Source: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
 * Throttled calls get `ThrottlingException` "Rate exceeded", HTTP 400.
 */
import { AwsError } from './errors.ts';

interface Category {
  burst: number;
  perSecond: number;
  actions: string[];
}

export const ECS_THROTTLE_CATEGORIES: Record<string, Category> = {
  serviceRead: { burst: 100, perSecond: 20, actions: ['DescribeServices', 'ListServices'] },
  serviceModify: { burst: 50, perSecond: 5, actions: ['CreateService', 'DeleteService', 'UpdateService'] },
  clusterResourceRead: {
    burst: 100,
    perSecond: 20,
    actions: ['DescribeTasks', 'ListTasks', 'DescribeContainerInstances', 'ListContainerInstances'],
  },
  clusterResourceModify: { burst: 100, perSecond: 40, actions: ['RunTask', 'StopTask', 'StartTask'] },
  taskDefinitionRead: {
    burst: 50,
    perSecond: 20,
    actions: ['DescribeTaskDefinition', 'ListTaskDefinitions', 'ListTaskDefinitionFamilies'],
  },
  taskDefinitionModify: {
    burst: 20,
    perSecond: 1,
    actions: ['RegisterTaskDefinition', 'DeregisterTaskDefinition'],
  },
  taskDefinitionDeletion: { burst: 5, perSecond: 1, actions: ['DeleteTaskDefinitions'] },
  serviceDeployment: {
    burst: 50,
    perSecond: 20,
    actions: ['DescribeServiceDeployments', 'ListServiceDeployments'],
  },
  tagModify: { burst: 20, perSecond: 10, actions: ['TagResource', 'UntagResource'] },
  tagRead: { burst: 50, perSecond: 20, actions: ['ListTagsForResource'] },
  clusterRead: { burst: 50, perSecond: 20, actions: ['DescribeClusters', 'ListClusters'] },
  clusterModify: { burst: 20, perSecond: 1, actions: ['CreateCluster', 'DeleteCluster', 'UpdateCluster'] },
};

/** A token bucket on the virtual clock. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly burst: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class EcsThrottle {
  private buckets = new Map<string, TokenBucket>();
  private categoryOf = new Map<string, string>();

  constructor(private readonly now: () => number) {
    for (const [name, c] of Object.entries(ECS_THROTTLE_CATEGORIES)) {
      for (const a of c.actions) this.categoryOf.set(a, name);
    }
  }

  /** Throws ThrottlingException when the action's bucket is empty. */
  check(action: string): void {
    const name = this.categoryOf.get(action);
    if (!name) return;
    let bucket = this.buckets.get(name);
    if (!bucket) {
      const c = ECS_THROTTLE_CATEGORIES[name]!;
      bucket = new TokenBucket(c.burst, c.perSecond, this.now());
      this.buckets.set(name, bucket);
    }
    if (!bucket.take(this.now())) throw new AwsError('ThrottlingException', 'Rate exceeded', 400);
  }
}
