/** The one-minute schedule: finishes what lost events left (every rollout in flight is reconciled). */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createHandler, environmentPipeline } from '../lib/handler.ts';
import { pushTimes, repositoryImages } from '../lib/missed-pushes.ts';

// Missed pushes are looked for here (and become pushes): this function bundles the ECR client.
export const handler = createHandler(
  'tick',
  environmentPipeline({ ecr: ECRClient }, { repositoryImages, pushTimes }),
);
