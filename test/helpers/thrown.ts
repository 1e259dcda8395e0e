/**
 * What `run` throws, checked to be of that class (the test fails when it throws nothing or something
 * else), so the test can go on to read the error's own fields:
 *
 *   const err = thrown(() => compileClusterQuery('attribute:x =~ t2('), ClusterQueryError);
 *   expect(err.position).toBe(15);
 */
import { expect } from 'vitest';

export function thrown<E>(run: () => unknown, type: abstract new (...args: any[]) => E): E {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  return error as E;
}
