/** ECS deployment lifecycle hook (strategy ecs-*): holds each traffic shift until the gates pass (lib/hook.ts). */
import { createHookHandler } from '../lib/handler.ts';

export const handler = createHookHandler();
