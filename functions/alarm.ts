/** CloudWatch alarm state change, as an EventBridge event, an SNS notification or an alarm's Lambda action. */
import { createHandler } from '../lib/handler.ts';

export const handler = createHandler('alarm');
