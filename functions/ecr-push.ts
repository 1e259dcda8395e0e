/** ECR Image Action (PUSH, SUCCESS): a new image for the targets its repository feeds. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createHandler, pipelineFactory } from '../lib/handler.ts';
import { pushTimes } from '../lib/missed-pushes.ts';

// Two pushes in the same second are ordered by ECR's imagePushedAt: this function bundles the ECR client.
export const handler = createHandler('ecr-push', pipelineFactory({ ecr: ECRClient }, { pushTimes }));
