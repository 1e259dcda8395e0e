/** A click on a Slack message's button (Lambda function URL, signed by Slack): lib/chatops/interact.ts. */
import { createInteractHandler } from '../lib/chatops/lambda.ts';

export const handler = createInteractHandler();
