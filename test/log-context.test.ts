import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { inLogContext, log, setLogSink } from '../lib/log.ts';

let restore: ((line: string) => void) | undefined;
afterEach(() => {
  if (restore) setLogSink(restore);
});

describe('log context', () => {
  it('overlapping invocations each stamp their own function and request id; outside them, none', async () => {
    const lines: Record<string, unknown>[] = [];
    restore = setLogSink((l) => lines.push(JSON.parse(l)));
    const handler = inLogContext(
      'ecsEvent',
      async (event: { n: number; wait: number }, _ctx: { awsRequestId: string }) => {
        log.info('started', { n: event.n });
        await sleep(event.wait);
        log.info('done', { n: event.n });
      },
    );
    // The first starts first and ends last: the second's context must not leak into it.
    await Promise.all([
      handler({ n: 1, wait: 30 }, { awsRequestId: 'r1' }),
      handler({ n: 2, wait: 1 }, { awsRequestId: 'r2' }),
    ]);
    log.info('after');
    expect(lines.map((l) => [l.msg, l.n, l.function, l.requestId])).toEqual([
      ['started', 1, 'ecsEvent', 'r1'],
      ['started', 2, 'ecsEvent', 'r2'],
      ['done', 2, 'ecsEvent', 'r2'],
      ['done', 1, 'ecsEvent', 'r1'],
      ['after', undefined, undefined, undefined],
    ]);
  });
});
