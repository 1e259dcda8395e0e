/** The one-minute schedule: finishes what lost events left (every rollout in flight is reconciled). */
import { createHandler } from '../lib/handler.ts';

export const handler = createHandler('tick');
