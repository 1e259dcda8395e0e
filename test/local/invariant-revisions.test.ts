/**
 * The runner's `one-revision-per-digest` invariant (local/scenario/invariants.ts checkRevisions): two
 * revisions of a family for one digest are a registration made twice, unless they differ beyond the
 * image, as when two services share a family and each runs a revision of its own (stranger17 01).
 */
import { expect, it } from 'vitest';
import { DIGEST_TAG } from '../../lib/revision.ts';
import { InvariantChecker } from '../../local/scenario/invariants.ts';
import { usePipelineWorld } from '../helpers/pipeline-world.ts';

const pipeline = usePipelineWorld();
const DIGEST = `sha256:${'ab'.repeat(32)}`;

async function register(world: any, environment: { name: string; value: string }[]) {
  await world.ecs.operations.RegisterTaskDefinition({
    family: 'web',
    containerDefinitions: [{ name: 'web', image: `web@${DIGEST}`, memory: 512, environment }],
    tags: [{ key: DIGEST_TAG, value: DIGEST }],
  });
}

it('two identical revisions for one digest are reported; two that differ beyond the image are not', async () => {
  const t = await pipeline({});
  const { world } = t;
  const checker = new InvariantChecker(world, t);
  checker.start();
  await register(world, []);
  await register(world, [{ name: 'SIDECAR', value: 'envoy' }]);
  // The digest in a second container, the first one's image changed by a person between
  // (stranger18 06: compared by the first container's name, they passed for one registration).
  for (const first of ['nginx:1', 'nginx:2'])
    await world.ecs.operations.RegisterTaskDefinition!({
      family: 'web',
      containerDefinitions: [
        { name: 'proxy', image: first, memory: 256 },
        { name: 'worker', image: `web@${DIGEST}`, memory: 512 },
      ],
      tags: [{ key: DIGEST_TAG, value: DIGEST }],
    });
  await world.runFor(2_000);
  expect((await checker.finish()).filter((v) => v.invariant === 'one-revision-per-digest')).toEqual([]);

  const again = new InvariantChecker(world, t);
  again.start();
  await register(world, []);
  await world.runFor(2_000);
  const twice = (await again.finish()).filter((v) => v.invariant === 'one-revision-per-digest');
  checker.stop();
  again.stop();
  expect(twice).toHaveLength(1);
  expect(twice[0]!.detail).toMatch(/2 revisions for digest sha256:abab.*: web:\d+, web:\d+/);
});
