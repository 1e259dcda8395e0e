/** ECR Image Action (PUSH, SUCCESS): a new image for the targets its repository feeds. */
import { createHandler } from '../lib/handler.ts';

export const handler = createHandler('ecr-push');
