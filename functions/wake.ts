/**
 * The wake queue's messages (lib/waker.ts): a record's moment has come (a bake's end, a step's
 * deadline, a Slack retry, a cooldown). Stale ones are dropped; due ones reconcile their service.
 */
import { createHandler } from '../lib/handler.ts';

export const handler = createHandler('wake');
