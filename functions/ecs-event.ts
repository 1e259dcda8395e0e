/** ECS Task State Change and ECS Deployment State Change: a managed service changed; reconcile it. */
import { createHandler } from '../lib/handler.ts';

export const handler = createHandler('ecs-event');
