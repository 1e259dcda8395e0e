import middy from '@middy/core';
import { ECSClient } from '@aws-sdk/client-ecs';
const a = new ECSClient({});
export const handler = middy().handler(async () => [a]);
