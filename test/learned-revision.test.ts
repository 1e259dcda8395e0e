/**
 * A registration's revision is taken only for the rollout of the image it was registered for
 * (lib/act.ts learnedRevision): a rollout superseded between the registration and the next look
 * must not roll out the older image's revision under the newer one's name.
 */
import { describe, expect, it } from 'vitest';
import { learnedRevision } from '../lib/act.ts';
import { newRecord, type ServiceRecord } from '../lib/record.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const rollingOut = (digest: string): ServiceRecord =>
  ({
    ...newRecord('prod', 'web'),
    rollout: { image: { repository: 'web', tag: 'v', digest, uri: '' } },
  }) as unknown as ServiceRecord;

describe('learnedRevision (the worked examples)', () => {
  it.each([
    {
      name: 'registered for A, rolling out A',
      learned: { revisionForDigest: 'web:3', digest: A },
      record: rollingOut(A),
      want: { revisionForDigest: 'web:3' },
    },
    {
      name: 'registered for A, rolling out B',
      learned: { revisionForDigest: 'web:3', digest: A },
      record: rollingOut(B),
      want: {},
    },
    {
      name: 'registered for A, no rollout',
      learned: { revisionForDigest: 'web:3', digest: A },
      record: newRecord('prod', 'web'),
      want: {},
    },
    { name: 'nothing registered', learned: {}, record: rollingOut(A), want: {} },
  ])('$name', ({ learned, record, want }) => {
    expect(learnedRevision(learned, record)).toEqual(want);
  });
});
