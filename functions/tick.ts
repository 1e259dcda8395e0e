/** The safety sweep (every `sweep`, default 1 minute, lib/config.ts DEFAULT_SWEEP_MS): finishes what lost events and lost wake-ups left. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createHandler, pipelineFactory } from '../lib/handler.ts';
import { pushTimes, repositoryImages } from '../lib/missed-pushes.ts';

// Missed pushes are looked for here (and become pushes): this function bundles the ECR client.
export const handler = createHandler(
  'tick',
  pipelineFactory({ ecr: ECRClient }, { repositoryImages, pushTimes }),
);
