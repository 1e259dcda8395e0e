/** The safety sweep (every `sweep`, default 30 minutes, 5 when a target scales: lib/config.ts sweepMsOf): finishes what lost events and lost wake-ups left. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createHandler, pipelineFactory } from '../lib/handler.ts';
import { pushTimes, repositoryImages } from '../lib/missed-pushes.ts';

// Missed pushes are looked for here (and become pushes): this function bundles the ECR client.
export const handler = createHandler(
  'tick',
  pipelineFactory({ ecr: ECRClient }, { repositoryImages, pushTimes }),
);
