/** The canary's name and its inverse (lib/canary-service.ts): the worked examples of serviceOf. */
import { describe, expect, it } from 'vitest';
import { canaryServiceName, serviceOf } from '../lib/canary-service.ts';

describe('serviceOf', () => {
  it.each([
    ['web', { primary: 'web', of: 'primary' }],
    ['web-canary', { primary: 'web', of: 'canary' }],
    ['canary', { primary: 'canary', of: 'primary' }],
    ['web-canary-canary', { primary: 'web-canary', of: 'canary' }],
  ])('%s -> %o', (name, want) => {
    expect(serviceOf(name)).toEqual(want);
  });

  it('is the inverse of canaryServiceName', () => {
    for (const s of ['web', 'api-v2', 'web-canary'])
      expect(serviceOf(canaryServiceName(s))).toEqual({ primary: s, of: 'canary' });
  });
});
