/** One way to fail: typed errors say whether retrying helps; the handler's onError acts on it. */
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createInteractHandler } from '../lib/chatops/lambda.ts';
import { ConfigError } from '../lib/config.ts';
import { isPermanent, PermanentError, TransientError } from '../lib/errors.ts';
import { createHandler, createHookHandler } from '../lib/handler.ts';
import { errorFields, log, setLogSink } from '../lib/log.ts';
import { UnknownServiceError } from '../lib/observe.ts';
import type { Pipeline } from '../lib/pipeline.ts';
import { RevisionError } from '../lib/revision.ts';
import { WebhookUnreadable, WebhookUnusable } from '../lib/slack/webhook.ts';
import { ConflictError, CorruptRecordError } from '../lib/store.ts';

describe('isPermanent: the examples of its comment, and every typed error of lib', () => {
  it.each([
    ['PermanentError', new PermanentError('x'), true],
    ['TransientError', new TransientError('x'), false],
    ['a plain Error', new Error('x'), false],
    [
      'a throttling error as the SDK throws it',
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
      false,
    ],
    ['a string', 'text', false],
    ['UnknownServiceError', new UnknownServiceError('x'), true],
    ['RevisionError', new RevisionError('x'), true],
    ['CorruptRecordError', new CorruptRecordError('prod/web', 'x'), true],
    ['ConflictError', new ConflictError('prod/web'), false],
    ['ConfigError', new ConfigError([], 'autopilot.yml'), true],
    ['WebhookUnusable', new WebhookUnusable('x'), true],
    ['WebhookUnreadable', new WebhookUnreadable('x'), false],
  ])('%s -> %s', (_name, error, permanent) => {
    expect(isPermanent(error)).toBe(permanent);
  });
});

describe('an error in a log line (lib/log.ts errorFields): the examples of its comment, and the base classes', () => {
  it.each([
    ['UnknownServiceError', new UnknownServiceError('gone'), 'UnknownServiceError', true],
    ['a plain Error', new Error('boom'), 'Error', undefined],
    ['PermanentError', new PermanentError('boom'), 'PermanentError', true],
    ['TransientError', new TransientError('boom'), 'TransientError', false],
  ])('%s: its name, message, stack and whether retrying can fix it', (_case, error, name, permanent) => {
    expect(errorFields(error)).toEqual({
      name,
      message: error.message,
      stack: expect.stringMatching(new RegExp(`^${name}: ${error.message}\\n\\s+at `)),
      ...(permanent !== undefined && { permanent }),
    });
    // Any field of any line: what the pipeline logs of a service's failure (pipeline.error) included.
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      log.error('pipeline.error', { service: 'c/web', error });
    } finally {
      setLogSink(previous);
    }
    expect(JSON.parse(lines[0]!).error).toEqual(JSON.parse(JSON.stringify(errorFields(error))));
  });
});

describe('the onError middleware', () => {
  const lines: Record<string, any>[] = [];
  const previous = setLogSink((line) => lines.push(JSON.parse(line)));
  afterEach(() => {
    lines.length = 0;
  });
  const context = { awsRequestId: 'req-9', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
  const failing = (error: Error) =>
    createHandler(
      'tick',
      async () => ({ handleEvent: async () => Promise.reject(error) }) as unknown as Pipeline,
    );

  it('a permanent error: one JSON line with its stack, acknowledged with the reason', async () => {
    const result = await failing(new UnknownServiceError('service web does not exist'))({}, context);
    expect(result).toEqual({ status: 'error', reason: 'service web does not exist' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'handler.error',
      requestId: 'req-9',
      permanent: true,
    });
    expect(lines[0]!.error.stack).toContain('UnknownServiceError: service web does not exist');
  });

  it('a transient error (or one nobody classified): logged with its stack, rethrown for Lambda to retry', async () => {
    for (const error of [new TransientError('out of time'), new Error('socket hang up')]) {
      lines.length = 0;
      await expect(failing(error)({}, context)).rejects.toBe(error);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'error', msg: 'handler.error', permanent: false });
      expect(lines[0]!.error.stack).toContain(error.message);
    }
  });

  it("off Lambda's clock (the local world), middy's real-time early timeout is off: a slow turn is not a TimeoutError", async () => {
    // The context reports 20 ms left (a virtual remaining time); the work takes 60 ms of real time.
    const short = { awsRequestId: 'req-10', getRemainingTimeInMillis: () => 20 } as unknown as Context;
    const slow = (host?: { timeoutEarlyInMillis: number }) =>
      createHandler(
        'ecsEvent',
        async () =>
          ({
            handleEvent: () => new Promise((done) => setTimeout(() => done({ status: 'done' }), 60)),
          }) as unknown as Pipeline,
        host,
      );
    // As in Lambda: middy answers 5 ms before the time it was told is up.
    await expect(slow()({}, short)).rejects.toMatchObject({ name: 'TimeoutError' });
    // The local world's host (local/pipeline.ts): its own Lambda enforces the timeout, virtually.
    expect(await slow({ timeoutEarlyInMillis: 0 })({}, short)).toEqual({ status: 'done' });
  });

  it('a pipeline that does not start (its config) is permanent: config.invalid, acknowledged', async () => {
    const handler = createHandler('tick', () =>
      Promise.reject(new Error('ENOENT: no such file, autopilot.yml')),
    );
    const result = await handler({}, context);
    expect(result).toEqual({ status: 'error', reason: 'ENOENT: no such file, autopilot.yml' });
    expect(lines[0]).toMatchObject({ msg: 'config.invalid', permanent: true });
  });

  it('the hook and the Slack click, which answer instead of failing, log the same line: stack and all', async () => {
    const hook = createHookHandler(() => Promise.reject(new PermanentError('no config in this bundle')));
    expect(await hook({}, context)).toMatchObject({ hookStatus: 'IN_PROGRESS' });
    const click = createInteractHandler(() => Promise.reject(new PermanentError('no config in this bundle')));
    expect(await click({ body: '' }, context)).toMatchObject({ statusCode: 500 });
    expect(lines.map((l) => [l.msg, l.function, l.permanent, l.error.name, l.error.permanent])).toEqual([
      ['config.invalid', 'lifecycleHook', true, 'PermanentError', true],
      ['slack.error', 'slackInteract', true, 'PermanentError', true],
    ]);
    for (const l of lines) expect(l.error.stack).toMatch(/^PermanentError: no config in this bundle\n\s+at /);
    setLogSink(previous);
  });
});
