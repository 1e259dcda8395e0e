/** The one-minute schedule: finishes what lost events left (every rollout in flight is reconciled). */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createHandler, environmentPipeline } from '../lib/handler.ts';
import { repositoryImages } from '../lib/missed-pushes.ts';

// The only function that looks for missed pushes, so the only one that bundles the ECR client.
export const handler = createHandler('tick', environmentPipeline({ ecr: ECRClient }, { repositoryImages }));
