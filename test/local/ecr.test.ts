/**
 * The local ECR through the real @aws-sdk/client-ecr, the in-process `push`/`resolve` the scenarios
 * and the local ECS use, and the `ECR Image Action` event compared with AWS's sample.
 */
import { createHash } from 'node:crypto';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  ListImagesCommand,
  PutImageCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../local/core/errors.ts';
import { HEALTHY, parseImageBehaviour } from '../../local/core/images.ts';
import { fixture } from '../helpers/fixtures.ts';
import { thrown } from '../helpers/thrown.ts';
import { startWorld, worldPerTest } from '../helpers/world.ts';

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
// Amazon ECR User Guide, "Amazon ECR events and EventBridge": event for a completed image push.
const SAMPLE = fixture<any>('ecr-image-push.json');

const fresh = worldPerTest(
  () => startWorld({ start: Date.UTC(2026, 0, 1) }),
  (tw) => tw.world.stop(),
);

/** Keys and value types, recursively: `{ a: 'string', b: { c: 'number' }, d: ['string'] }`. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  }
  return v === null ? 'null' : typeof v;
}

const manifest = (layerDigest: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 100,
      digest: `sha256:${'c'.repeat(64)}`,
    },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 4242, digest: layerDigest },
    ],
  });

describe('repositories', () => {
  it('creates and describes repositories', async () => {
    const tw = await fresh();
    const created = await tw.ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'team/web',
        imageTagMutability: 'IMMUTABLE',
        tags: [{ Key: 'app', Value: 'web' }],
      }),
    );
    expect(created.repository).toMatchObject({
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/team/web',
      registryId: '123456789012',
      repositoryName: 'team/web',
      repositoryUri: `${HOST}/team/web`,
      imageTagMutability: 'IMMUTABLE',
    });
    expect(created.repository?.createdAt).toEqual(new Date(Date.UTC(2026, 0, 1)));
    tw.world.ecr.createRepository('api'); // in-process, MUTABLE
    tw.world.ecr.createRepository('api'); // idempotent
    const all = await tw.ecr.send(new DescribeRepositoriesCommand({}));
    expect(all.repositories?.map((r) => [r.repositoryName, r.imageTagMutability])).toEqual([
      ['team/web', 'IMMUTABLE'],
      ['api', 'MUTABLE'],
    ]);
    const one = await tw.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['api'] }));
    expect(one.repositories?.[0]?.repositoryUri).toBe(`${HOST}/api`);
  });

  it('answers with the modeled errors', async () => {
    const tw = await fresh();
    await tw.ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    const dup = await tw.ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' })).catch((e) => e);
    expect(dup).toBeInstanceOf(RepositoryAlreadyExistsException);
    expect(dup.message).toBe(
      "The repository with name 'web' already exists in the registry with id '123456789012'",
    );
    const missing = await tw.ecr
      .send(new DescribeRepositoriesCommand({ repositoryNames: ['web', 'nope'] }))
      .catch((e) => e);
    expect(missing).toBeInstanceOf(RepositoryNotFoundException);
    expect(missing.message).toBe(
      "The repository with name 'nope' does not exist in the registry with id '123456789012'",
    );
    for (const bad of ['Web', 'w', 'web//x', '-web']) {
      await expect(tw.ecr.send(new CreateRepositoryCommand({ repositoryName: bad }))).rejects.toBeInstanceOf(
        InvalidParameterException,
      );
    }
    await expect(tw.ecr.send(new ListImagesCommand({ repositoryName: 'nope' }))).rejects.toBeInstanceOf(
      RepositoryNotFoundException,
    );
    tw.world.ecr.push('web', 'v1');
    await expect(tw.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'web' }))).rejects.toBeInstanceOf(
      RepositoryNotEmptyException,
    );
    await tw.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'web', force: true }));
    await expect(
      tw.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['web'] })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
  });
});

describe('push', () => {
  it('sends an ECR Image Action event shaped like the real one', async () => {
    const tw = await fresh();
    const pushed = tw.world.ecr.push('web', 'v2');
    expect(pushed).toEqual({
      repository: 'web',
      tag: 'v2',
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      uri: `${HOST}/web:v2`,
    });
    expect(tw.world.eventLog).toHaveLength(1);
    const event = tw.world.eventLog[0]!.event;
    // The envelope: exactly the sample's keys and types.
    const { detail: sampleDetail, ...sampleEnvelope } = SAMPLE;
    const { detail, ...envelope } = event;
    expect(shape(envelope)).toEqual(shape(sampleEnvelope));
    // The detail: every field of the sample, same types; plus the two media types AWS now sends.
    expect(shape(detail)).toEqual({
      ...(shape(sampleDetail) as object),
      'artifact-media-type': 'string',
      'manifest-media-type': 'string',
    });
    expect(event).toMatchObject({
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: '123456789012',
      region: 'us-east-1',
      resources: [],
      time: '2026-01-01T00:00:00Z',
      detail: {
        result: 'SUCCESS',
        'repository-name': 'web',
        'image-digest': pushed.digest,
        'action-type': 'PUSH',
        'image-tag': 'v2',
        'artifact-media-type': 'application/vnd.docker.container.image.v1+json',
        'manifest-media-type': 'application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    expect(Object.keys(event.detail)).toEqual([
      'result',
      'repository-name',
      'image-digest',
      'action-type',
      'artifact-media-type',
      'image-tag',
      'manifest-media-type',
    ]);
  });

  it('makes a new digest per push and moves the tag; the old image stays, untagged', async () => {
    const tw = await fresh();
    const first = tw.world.ecr.push('web', 'latest');
    tw.world.clock.advanceBy(60_000);
    const second = tw.world.ecr.push('web', 'latest');
    expect(second.digest).not.toBe(first.digest);

    const details = await tw.ecr.send(new DescribeImagesCommand({ repositoryName: 'web' }));
    expect(details.imageDetails?.map((d) => [d.imageDigest, d.imageTags])).toEqual([
      [first.digest, undefined],
      [second.digest, ['latest']],
    ]);
    const d = details.imageDetails![1]!;
    expect(d.imagePushedAt).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 1)));
    expect(d.imageManifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(d.imageSizeInBytes).toBeGreaterThan(1_000_000);

    const tagged = await tw.ecr.send(
      new ListImagesCommand({ repositoryName: 'web', filter: { tagStatus: 'TAGGED' } }),
    );
    expect(tagged.imageIds).toEqual([{ imageDigest: second.digest, imageTag: 'latest' }]);
    const untagged = await tw.ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', filter: { tagStatus: 'UNTAGGED' } }),
    );
    expect(untagged.imageDetails?.map((x) => x.imageDigest)).toEqual([first.digest]);

    expect(tw.world.ecr.resolve(`${HOST}/web:latest`)?.digest).toBe(second.digest);
    expect(tw.world.ecr.resolve(`${HOST}/web@${first.digest}`)).toMatchObject({
      repository: 'web',
      digest: first.digest,
    });
    // The manifest is content-addressed: its sha256 is the digest.
    const got = await tw.ecr.send(
      new BatchGetImageCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'latest' }] }),
    );
    const m = got.images![0]!.imageManifest!;
    expect(`sha256:${createHash('sha256').update(m).digest('hex')}`).toBe(second.digest);
  });

  it('binds the scenario behaviour to the digest at push time', async () => {
    const tw = await fresh();
    tw.world.images.set('web:v2', parseImageBehaviour('unhealthy'));
    const v2 = tw.world.ecr.push('web', 'v2');
    const v3 = tw.world.ecr.push('web', 'v3');
    tw.world.images.set('web:v2', parseImageBehaviour('pull-error')); // too late for the pushed digest
    expect(tw.world.ecr.resolve(`${HOST}/web:v2`)?.behaviour.unhealthy).toBe(true);
    expect(tw.world.ecr.resolve(`${HOST}/web@${v2.digest}`)?.behaviour).toMatchObject({
      unhealthy: true,
      pullError: false,
    });
    expect(tw.world.ecr.resolve(`${HOST}/web:v3`)?.behaviour).toEqual(HEALTHY);
    expect(tw.world.resolveImage(`${HOST}/web:v3`)?.digest).toBe(v3.digest);
  });

  it('refuses to move a tag in an IMMUTABLE repository', async () => {
    const tw = await fresh();
    await tw.ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'web', imageTagMutability: 'IMMUTABLE' }),
    );
    const v1 = tw.world.ecr.push('web', 'v1');
    expect(thrown(() => tw.world.ecr.push('web', 'v1'), AwsError).code).toBe(
      'ImageTagAlreadyExistsException',
    );
    const viaApi = await tw.ecr
      .send(
        new PutImageCommand({
          repositoryName: 'web',
          imageTag: 'v1',
          imageManifest: manifest(`sha256:${'1'.repeat(64)}`),
        }),
      )
      .catch((e) => e);
    expect(viaApi).toBeInstanceOf(ImageTagAlreadyExistsException);
    expect(viaApi.message).toBe(
      "The image tag 'v1' already exists in the 'web' repository and cannot be overwritten because the repository is immutable.",
    );
    expect(tw.world.ecr.resolve(`${HOST}/web:v1`)?.digest).toBe(v1.digest);
    expect(tw.world.eventLog).toHaveLength(1); // failed pushes send no event
  });
});

describe('PutImage, BatchGetImage, DescribeImages, BatchDeleteImage', () => {
  it('puts images by manifest and sends the push event', async () => {
    const tw = await fresh();
    await tw.ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    const body = manifest(`sha256:${'a'.repeat(64)}`);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const put = await tw.ecr.send(
      new PutImageCommand({ repositoryName: 'web', imageManifest: body, imageTag: 'v1' }),
    );
    expect(put.image).toMatchObject({
      registryId: '123456789012',
      repositoryName: 'web',
      imageId: { imageDigest: digest, imageTag: 'v1' },
      imageManifest: body,
      imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    });
    expect(tw.world.eventLog.at(-1)?.event.detail).toMatchObject({
      'image-digest': digest,
      'image-tag': 'v1',
    });

    // Same manifest and tag again: nothing to change.
    await expect(
      tw.ecr.send(new PutImageCommand({ repositoryName: 'web', imageManifest: body, imageTag: 'v1' })),
    ).rejects.toBeInstanceOf(ImageAlreadyExistsException);
    // Same manifest, another tag: tags the same image.
    await tw.ecr.send(
      new PutImageCommand({ repositoryName: 'web', imageManifest: body, imageTag: 'stable' }),
    );
    const details = await tw.ecr.send(new DescribeImagesCommand({ repositoryName: 'web' }));
    expect(details.imageDetails).toHaveLength(1);
    expect(details.imageDetails?.[0]?.imageTags?.sort()).toEqual(['stable', 'v1']);
    expect(details.imageDetails?.[0]?.imageSizeInBytes).toBe(4242);

    await expect(
      tw.ecr.send(
        new PutImageCommand({
          repositoryName: 'web',
          imageManifest: body,
          imageTag: 'x',
          imageDigest: `sha256:${'0'.repeat(64)}`,
        }),
      ),
    ).rejects.toBeInstanceOf(ImageDigestDoesNotMatchException);
    await expect(
      tw.ecr.send(new PutImageCommand({ repositoryName: 'nope', imageManifest: body, imageTag: 'v1' })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    await expect(
      tw.ecr.send(
        new PutImageCommand({ repositoryName: 'web', imageManifest: '{"schemaVersion":2}', imageTag: 'v9' }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);

    // A mutable repository moves the tag to a new manifest.
    const body2 = manifest(`sha256:${'b'.repeat(64)}`);
    await tw.ecr.send(new PutImageCommand({ repositoryName: 'web', imageManifest: body2, imageTag: 'v1' }));
    const byTag = await tw.ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v1' }] }),
    );
    expect(byTag.imageDetails?.[0]?.imageDigest).not.toBe(digest);
  });

  it('reports BatchGetImage failures per image id', async () => {
    const tw = await fresh();
    const v1 = tw.world.ecr.push('web', 'v1');
    const v2 = tw.world.ecr.push('web', 'v2');
    const res = await tw.ecr.send(
      new BatchGetImageCommand({
        repositoryName: 'web',
        imageIds: [
          { imageTag: 'v1' },
          { imageDigest: v2.digest },
          { imageTag: 'v3' },
          { imageTag: 'v1', imageDigest: v2.digest },
          { imageDigest: `sha256:${'9'.repeat(64)}` },
          {},
        ],
      }),
    );
    expect(res.images?.map((i) => i.imageId)).toEqual([
      { imageDigest: v1.digest, imageTag: 'v1' },
      { imageDigest: v2.digest },
    ]);
    expect(res.failures?.map((f) => f.failureCode)).toEqual([
      'ImageNotFound',
      'ImageTagDoesNotMatchDigest',
      'ImageNotFound',
      'MissingDigestAndTag',
    ]);
  });

  it('raises ImageNotFoundException from DescribeImages', async () => {
    const tw = await fresh();
    tw.world.ecr.push('web', 'v1');
    const e = await tw.ecr
      .send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v9' }] }))
      .catch((x) => x);
    expect(e).toBeInstanceOf(ImageNotFoundException);
    expect(e.message).toBe(
      "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the repository with name 'web' in the registry with id '123456789012'",
    );
  });

  it('deletes tags and images, sending DELETE events', async () => {
    const tw = await fresh();
    const v1 = tw.world.ecr.push('web', 'v1');
    const v2 = tw.world.ecr.push('web', 'v2');
    const res = await tw.ecr.send(
      new BatchDeleteImageCommand({
        repositoryName: 'web',
        imageIds: [{ imageTag: 'v1' }, { imageDigest: v2.digest }],
      }),
    );
    expect(res.imageIds).toEqual([
      { imageDigest: v1.digest, imageTag: 'v1' },
      { imageDigest: v2.digest, imageTag: 'v2' },
    ]);
    expect(res.failures).toEqual([]);
    expect((await tw.ecr.send(new ListImagesCommand({ repositoryName: 'web' }))).imageIds).toEqual([]);
    expect(
      tw.world.eventLog.slice(2).map((l) => [l.event.detail['action-type'], l.event.detail['image-tag']]),
    ).toEqual([
      ['DELETE', 'v1'],
      ['DELETE', 'v2'],
    ]);
    expect(tw.world.ecr.resolve(`${HOST}/web:v1`)).toBeUndefined();
  });
});

describe('resolve', () => {
  it('returns undefined for this registry when the repository, tag or digest does not exist', async () => {
    const tw = await fresh();
    const v1 = tw.world.ecr.push('web', 'v1');
    expect(tw.world.ecr.resolve(`${HOST}/web:v1`)).toEqual({
      repository: 'web',
      tag: 'v1',
      digest: v1.digest,
      behaviour: HEALTHY,
    });
    expect(tw.world.ecr.resolve(`${HOST}/web:v2`)).toBeUndefined();
    expect(tw.world.ecr.resolve(`${HOST}/api:v1`)).toBeUndefined();
    expect(tw.world.ecr.resolve(`${HOST}/web@sha256:${'0'.repeat(64)}`)).toBeUndefined();
    expect(tw.world.ecr.resolve(`${HOST}/web`)).toBeUndefined(); // no tag means latest, which isn't there
    tw.world.ecr.push('web', 'latest');
    expect(tw.world.ecr.resolve(`${HOST}/web`)?.digest).toBeDefined();
  });

  it('runs images from other registries, with their scenario behaviour and a stable digest', async () => {
    const tw = await fresh();
    tw.world.images.set('nginx:1.25', parseImageBehaviour({ startup: '30s' }));
    const nginx = tw.world.ecr.resolve('nginx:1.25');
    expect(nginx).toMatchObject({ repository: 'nginx', tag: '1.25', behaviour: { startupSeconds: 30 } });
    expect(nginx?.digest).toBe(tw.world.ecr.resolve('nginx:1.25')?.digest);
    expect(nginx?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(tw.world.ecr.resolve('nginx:1.26')?.digest).not.toBe(nginx?.digest);
    const pub = tw.world.ecr.resolve('public.ecr.aws/docker/library/redis:7');
    expect(pub).toMatchObject({ repository: 'docker/library/redis', tag: '7', behaviour: HEALTHY });
    const pinned = tw.world.ecr.resolve(`ghcr.io/acme/app@sha256:${'e'.repeat(64)}`);
    expect(pinned).toMatchObject({ repository: 'acme/app', digest: `sha256:${'e'.repeat(64)}` });
    expect(pinned?.tag).toBeUndefined();
    // Another account's registry is another registry.
    expect(tw.world.ecr.resolve('999999999999.dkr.ecr.us-east-1.amazonaws.com/web:v1')?.behaviour).toEqual(
      HEALTHY,
    );
  });
});
