/**
 * `autopilot local push REPOSITORY:TAG [--port N]`: pushes an image to the local AWS's ECR, as
 * `docker push` does to real ECR: a new image manifest under the tag (ECR PutImage, which is the
 * last call of a `docker push`), so ECR sends its `ECR Image Action` PUSH event and the pipeline
 * starts a rollout, and `deploy --image` finds the tag. The local world runs the image as its
 * scenario's `images:` section describes it (by REPOSITORY:TAG), healthy when it is not listed.
 *
 *   $ npx autopilot local push web:v2
 *   pushed web:v2 (sha256:3f1c…) to the local ECR at http://127.0.0.1:4566
 *
 * Against real AWS use docker push: this command only talks to a local endpoint.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { type Io, UsageError } from './common.ts';
import { connection, LOCAL_ENDPOINT } from './env.ts';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function push(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Io = processIo,
): Promise<number> {
  let parsed: { values: { port?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { port: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [ref, extra] = parsed.positionals;
  if (!ref || extra !== undefined) throw new UsageError('name one image as REPOSITORY:TAG, such as web:v2');
  const colon = ref.lastIndexOf(':');
  if (colon <= 0 || colon === ref.length - 1 || ref.includes('@')) {
    throw new UsageError(`name the image as REPOSITORY:TAG, such as web:v2; got "${ref}"`);
  }
  const repositoryName = ref.slice(0, colon);
  const imageTag = ref.slice(colon + 1);
  const endpoint = parsed.values.port
    ? `http://127.0.0.1:${parsed.values.port}`
    : (env.AWS_ENDPOINT_URL ?? LOCAL_ENDPOINT);
  const { clients } = connection({ local: true }, { ...env, AWS_ENDPOINT_URL: endpoint });
  // A fresh config and layer each time, as a new build: every push is a new digest.
  const blob = (what: string) =>
    `sha256:${createHash('sha256')
      .update(`${ref}:${what}:${randomBytes(16).toString('hex')}`)
      .digest('hex')}`;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1470,
      digest: blob('config'),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: 31_457_280,
        digest: blob('layer'),
      },
    ],
  });
  try {
    await clients.ecr.send(new CreateRepositoryCommand({ repositoryName })).catch((e: Error) => {
      if (e.name !== 'RepositoryAlreadyExistsException') throw e;
    });
    const out = await clients.ecr.send(
      new PutImageCommand({
        repositoryName,
        imageTag,
        imageManifest: manifest,
        imageManifestMediaType: DOCKER_MANIFEST,
      }),
    );
    io.out(
      `pushed ${ref} (${out.image?.imageId?.imageDigest?.slice(0, 19)}…) to the local ECR at ${endpoint}\n`,
    );
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (
      err.code === 'ECONNREFUSED' ||
      /ECONNREFUSED/.test(String(err.message)) ||
      err.name === 'AggregateError'
    ) {
      io.err(
        `autopilot local push: nothing answers at ${endpoint}: start the local AWS first (npx autopilot local), or pass --port\n`,
      );
      return 1;
    }
    io.err(`autopilot local push: ${err.name}: ${err.message}\n`);
    return 1;
  }
}
