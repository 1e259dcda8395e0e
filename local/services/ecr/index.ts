/**
 * The local ECR: private repositories of this world's registry, images addressed by digest and tag,
 * and the `ECR Image Action` events a push sends. JSON 1.1, target `AmazonEC2ContainerRegistry_V20150921`.
 *
 * A scenario's `push: web:v2` (and `docker push`) is `push('web', 'v2')`: a new image digest, the tag
 * moved to it, the behaviour from `world.images` bound to that digest, and the push event. The local ECS
 * runs images through `resolve(uri)`.
 *
 * Sources:
 * - ECR API Reference / @aws-sdk/client-ecr 3.1164 models: request and response shapes, modeled errors
 *   (RepositoryNotFoundException, RepositoryAlreadyExistsException, ImageNotFoundException,
 *   ImageAlreadyExistsException, ImageTagAlreadyExistsException, ImageDigestDoesNotMatchException,
 *   InvalidParameterException, RepositoryNotEmptyException) and BatchGetImage failure codes.
 * - ECR User Guide, "Amazon ECR events and EventBridge": the push and delete events (`ECR Image Action`,
 *   best effort, `resources: []`). Recent events also carry `artifact-media-type` and
 *   `manifest-media-type` (AWS CDK `aws_ecr.events.ECRImageAction` props; a 2025 push event in public
 *   code shows both, and `"image-tag": ""` for an untagged push).
 * - ECR User Guide, "Deleting an image": removing an image's last tag deletes the image.
 */
import { createHash } from 'node:crypto';
import type { ResolvedImage, WorldContext } from '../../core/context.ts';
import { AwsError, invalidParameter } from '../../core/errors.ts';
import { HEALTHY, type ImageBehaviour } from '../../core/images.ts';
import type { LocalService } from '../../core/service.ts';

export type { ResolvedImage };

/** What the local ECR asks of its world: the shared context, and the scenario's behaviours by `repository:tag`. */
export interface EcrContext extends WorldContext {
  readonly images: ReadonlyMap<string, ImageBehaviour>;
}

export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` */
  uri: string;
}

type Mutability = 'MUTABLE' | 'IMMUTABLE';

interface Image {
  digest: string;
  manifest: string;
  manifestMediaType: string;
  artifactMediaType: string;
  sizeInBytes: number;
  pushedAt: number;
  behaviour: ImageBehaviour;
}

interface Repository {
  name: string;
  arn: string;
  createdAt: number;
  mutability: Mutability;
  tags: { Key: string; Value: string }[];
  scanOnPush: boolean;
  images: Map<string, Image>; // by digest, in push order
  tagIndex: Map<string, string>; // tag → digest
}

/** `imageIds` of BatchGetImage and BatchDeleteImage: 1 to 100 of them (ECR API Reference, both actions). */
function batchImageIds(ids: ImageId[] | undefined): ImageId[] {
  if (!ids || ids.length < 1 || ids.length > 100) {
    throw invalidParameter(
      "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'",
    );
  }
  return ids;
}

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

// Docker Image Manifest V2 Schema 2, what `docker push` sends.
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

// ECR API Reference, CreateRepository `repositoryName`: 2-256 characters of this pattern.
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export class LocalEcr implements LocalService {
  readonly name = 'ecr';
  readonly target = 'AmazonEC2ContainerRegistry_V20150921';
  readonly protocol = 'json1.1' as const;
  private readonly repositories = new Map<string, Repository>();

  constructor(readonly world: EcrContext) {}

  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  get registryHost(): string {
    return `${this.world.account}.dkr.ecr.${this.world.region}.amazonaws.com`;
  }

  /** Creates the repository if it does not exist (in-process set-up; no API call counted). */
  createRepository(name: string): void {
    if (!this.repositories.has(name)) this.addRepository(name, 'MUTABLE', [], false);
  }

  /**
   * Pushes `repository:tag` as `docker push` would: a new digest (creating the repository if needed),
   * the tag moved to it, the behaviour from `world.images` bound to the digest, and an
   * `ECR Image Action` event (PUSH, SUCCESS) on the bus. Throws ImageTagAlreadyExistsException when
   * the tag exists in an IMMUTABLE repository.
   */
  push(repository: string, tag: string): PushedImage {
    this.createRepository(repository);
    const repo = this.repositories.get(repository)!;
    // A fresh config and layer per push (world.ids.digest counts), so every push is a new image.
    const layerSize =
      20_000_000 + (Number.parseInt(this.world.ids.digest('size').slice(7, 13), 16) % 80_000_000);
    const manifest = JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: {
          mediaType: DOCKER_CONFIG,
          size: 1470,
          digest: this.world.ids.digest(repository, tag, 'config'),
        },
        layers: [
          {
            mediaType: DOCKER_LAYER,
            size: layerSize,
            digest: this.world.ids.digest(repository, tag, 'layer'),
          },
        ],
      },
      null,
      3,
    );
    const image = this.store(repo, manifest, DOCKER_MANIFEST, tag);
    return { repository, tag, digest: image.digest, uri: `${this.registryHost}/${repository}:${tag}` };
  }

  /** A repository's images, digest and push time, in push order (in-process; no API call counted). */
  images(repository: string): { digest: string; pushedAt: number }[] {
    const repo = this.repositories.get(repository);
    return repo ? [...repo.images.values()].map((i) => ({ digest: i.digest, pushedAt: i.pushedAt })) : [];
  }

  /** What an image URI (by tag or by digest) runs as; undefined when the registry has no such image. */
  resolve(uri: string): ResolvedImage | undefined {
    const ref = parseReference(uri);
    if (ref.host === this.registryHost) {
      const repo = this.repositories.get(ref.repository);
      if (!repo) return undefined;
      const digest = ref.digest ?? repo.tagIndex.get(ref.tag ?? 'latest');
      const image = digest ? repo.images.get(digest) : undefined;
      // `repo:tag@digest`: the digest wins, as with docker pull.
      if (!image) return undefined;
      return {
        repository: ref.repository,
        ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
        digest: image.digest,
        behaviour: image.behaviour,
      };
    }
    // Another registry (Docker Hub, public.ecr.aws, …): always pullable here.
    return {
      repository: ref.repository,
      ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
      digest: ref.digest ?? `sha256:${sha256(uri)}`,
      behaviour: this.world.images.get(uri) ?? HEALTHY,
    };
  }

  // ---- operations ---------------------------------------------------------------------------

  readonly operations: Record<string, (input: any) => unknown> = {
    /**
     * "Retrieves an authorization token ... valid for 12 hours": base64 of `AWS:<password>`, the
     * user and password `docker login` takes, and the registry's proxy endpoint (API
     * GetAuthorizationToken). The local password comes from the world's seeded ids, so a run
     * replays; no registry checks it.
     */
    GetAuthorizationToken: () => {
      const issued = this.world.now();
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:local-${this.world.ids.hex32()}`).toString('base64'),
            expiresAt: new Date(issued + 12 * 3_600_000),
            proxyEndpoint: `https://${this.registryHost}`,
          },
        ],
      };
    },
    CreateRepository: (input: {
      repositoryName?: string;
      imageTagMutability?: string;
      tags?: { Key: string; Value: string }[];
      imageScanningConfiguration?: { scanOnPush?: boolean };
    }) => {
      const name = checkRepositoryName(input.repositoryName);
      const mutability = input.imageTagMutability ?? 'MUTABLE';
      if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') {
        throw invalidParameter(
          `Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'`,
        );
      }
      if (this.repositories.has(name)) {
        throw new AwsError(
          'RepositoryAlreadyExistsException',
          `The repository with name '${name}' already exists in the registry with id '${this.world.account}'`,
        );
      }
      const repo = this.addRepository(
        name,
        mutability,
        input.tags ?? [],
        input.imageScanningConfiguration?.scanOnPush ?? false,
      );
      return { repository: this.repositoryView(repo) };
    },
    DescribeRepositories: (input: {
      repositoryNames?: string[];
      maxResults?: number;
      nextToken?: string;
    }) => {
      let repos: Repository[];
      if (input.repositoryNames?.length) {
        if (input.maxResults !== undefined || input.nextToken !== undefined) {
          throw invalidParameter(
            'Invalid parameter: maxResults and nextToken cannot be used with repositoryNames',
          );
        }
        repos = input.repositoryNames.map((n) => this.repository(n));
      } else {
        repos = [...this.repositories.values()];
      }
      const { page, next } = paginate(repos, input.maxResults, input.nextToken);
      return { repositories: page.map((r) => this.repositoryView(r)), ...(next ? { nextToken: next } : {}) };
    },
    DeleteRepository: (input: { repositoryName: string; force?: boolean }) => {
      const repo = this.repository(input.repositoryName);
      if (repo.images.size > 0 && !input.force) {
        throw new AwsError(
          'RepositoryNotEmptyException',
          `The repository with name '${repo.name}' in registry with id '${this.world.account}' cannot be deleted because it still contains images`,
        );
      }
      this.repositories.delete(repo.name);
      return { repository: this.repositoryView(repo) };
    },
    ListTagsForResource: (input: { resourceArn: string }) => {
      const repo = [...this.repositories.values()].find((r) => r.arn === input.resourceArn);
      if (!repo) throw invalidParameter(`Invalid parameter at 'resourceArn': ${input.resourceArn}`);
      return { tags: repo.tags.map((t) => ({ ...t })) };
    },
    DescribeImages: (input: {
      repositoryName: string;
      imageIds?: ImageId[];
      filter?: { tagStatus?: string };
      maxResults?: number;
      nextToken?: string;
    }) => {
      const repo = this.repository(input.repositoryName);
      let images: Image[];
      if (input.imageIds?.length) {
        if (input.filter) throw invalidParameter('Invalid parameter: filter cannot be used with imageIds');
        images = [];
        for (const id of input.imageIds) {
          const found = this.find(repo, id);
          if ('failureCode' in found) {
            if (found.failureCode === 'ImageNotFound' || found.failureCode === 'ImageTagDoesNotMatchDigest') {
              throw new AwsError(
                'ImageNotFoundException',
                `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${this.world.account}'`,
              );
            }
            throw invalidParameter(found.failureReason);
          }
          if (!images.includes(found.image)) images.push(found.image);
        }
      } else {
        images = this.filtered(repo, input.filter?.tagStatus);
      }
      const { page, next } = paginate(images, input.maxResults, input.nextToken);
      return { imageDetails: page.map((i) => this.detail(repo, i)), ...(next ? { nextToken: next } : {}) };
    },
    ListImages: (input: {
      repositoryName: string;
      filter?: { tagStatus?: string };
      maxResults?: number;
      nextToken?: string;
    }) => {
      const repo = this.repository(input.repositoryName);
      const ids: ImageId[] = [];
      for (const image of this.filtered(repo, input.filter?.tagStatus)) {
        const tags = this.tagsOf(repo, image.digest);
        if (tags.length === 0) ids.push({ imageDigest: image.digest });
        for (const tag of tags) ids.push({ imageDigest: image.digest, imageTag: tag });
      }
      const { page, next } = paginate(ids, input.maxResults, input.nextToken);
      return { imageIds: page, ...(next ? { nextToken: next } : {}) };
    },
    BatchGetImage: (input: { repositoryName: string; imageIds?: ImageId[] }) => {
      const repo = this.repository(input.repositoryName);
      const images: unknown[] = [];
      const failures = this.forEachFound(repo, input.imageIds, (id, image) => {
        images.push(this.imageView(repo, image, id.imageTag));
      });
      return { images, failures };
    },
    PutImage: (input: {
      repositoryName: string;
      imageManifest?: string;
      imageManifestMediaType?: string;
      imageTag?: string;
      imageDigest?: string;
    }) => {
      const repo = this.repository(input.repositoryName);
      const manifest = input.imageManifest;
      if (typeof manifest !== 'string' || manifest.length === 0) {
        throw invalidParameter(
          "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must not be null'",
        );
      }
      let parsed: any;
      try {
        parsed = JSON.parse(manifest);
      } catch {
        throw invalidParameter("Invalid parameter at 'imageManifest': the manifest is not valid JSON");
      }
      const mediaType = input.imageManifestMediaType ?? parsed?.mediaType;
      if (typeof mediaType !== 'string') {
        throw invalidParameter(
          "Invalid parameter at 'imageManifestMediaType': the manifest has no mediaType, so imageManifestMediaType is required",
        );
      }
      if (input.imageTag !== undefined && !TAG.test(input.imageTag)) {
        throw invalidParameter(
          `Invalid parameter at 'imageTag' failed to satisfy constraint: '${input.imageTag}'`,
        );
      }
      const digest = `sha256:${sha256(manifest)}`;
      if (input.imageDigest !== undefined && input.imageDigest !== digest) {
        throw new AwsError(
          'ImageDigestDoesNotMatchException',
          `The specified image digest '${input.imageDigest}' does not match the digest that Amazon ECR calculated for the image: '${digest}'`,
        );
      }
      const image = this.store(repo, manifest, mediaType, input.imageTag);
      return { image: this.imageView(repo, image, input.imageTag) };
    },
    BatchDeleteImage: (input: { repositoryName: string; imageIds?: ImageId[] }) => {
      const repo = this.repository(input.repositoryName);
      const deleted: ImageId[] = [];
      const failures = this.forEachFound(repo, input.imageIds, (id, image) => {
        const digest = image.digest;
        if (id.imageTag && !id.imageDigest) {
          // Removing a tag; the image goes with its last tag.
          repo.tagIndex.delete(id.imageTag);
          deleted.push({ imageDigest: digest, imageTag: id.imageTag });
          this.emitAction('DELETE', repo.name, image, id.imageTag);
          if (this.tagsOf(repo, digest).length === 0) repo.images.delete(digest);
        } else {
          for (const tag of this.tagsOf(repo, digest)) {
            repo.tagIndex.delete(tag);
            deleted.push({ imageDigest: digest, imageTag: tag });
            this.emitAction('DELETE', repo.name, image, tag);
          }
          if (repo.images.delete(digest) && !deleted.some((d) => d.imageDigest === digest)) {
            deleted.push({ imageDigest: digest });
            this.emitAction('DELETE', repo.name, image, '');
          }
        }
      });
      return { imageIds: deleted, failures };
    },
  };

  // ---- internals ----------------------------------------------------------------------------

  private addRepository(
    name: string,
    mutability: Mutability,
    tags: Repository['tags'],
    scanOnPush: boolean,
  ): Repository {
    const repo: Repository = {
      name,
      arn: this.world.arn('ecr', `repository/${name}`),
      createdAt: this.world.now(),
      mutability,
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
      scanOnPush,
      images: new Map(),
      tagIndex: new Map(),
    };
    this.repositories.set(name, repo);
    return repo;
  }

  private repository(name: string | undefined): Repository {
    const repo = name ? this.repositories.get(name) : undefined;
    if (!repo) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.world.account}'`,
      );
    }
    return repo;
  }

  /** The `Image` of BatchGetImage and PutImage: its id as asked for (the tag only when one was named). */
  private imageView(repo: Repository, image: Image, tag: string | undefined) {
    return {
      registryId: this.world.account,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(tag ? { imageTag: tag } : {}) },
      imageManifest: image.manifest,
      imageManifestMediaType: image.manifestMediaType,
    };
  }

  private repositoryView(r: Repository) {
    return {
      repositoryArn: r.arn,
      registryId: this.world.account,
      repositoryName: r.name,
      repositoryUri: `${this.registryHost}/${r.name}`,
      createdAt: new Date(r.createdAt),
      imageTagMutability: r.mutability,
      imageScanningConfiguration: { scanOnPush: r.scanOnPush },
      encryptionConfiguration: { encryptionType: 'AES256' },
    };
  }

  /**
   * Stores a manifest (PutImage, or a push) and moves `tag` to it. Throws ImageTagAlreadyExistsException
   * on an immutable repository and ImageAlreadyExistsException when nothing would change.
   */
  private store(
    repo: Repository,
    manifest: string,
    manifestMediaType: string,
    tag: string | undefined,
  ): Image {
    const digest = `sha256:${sha256(manifest)}`;
    const existing = repo.images.get(digest);
    const taggedDigest = tag ? repo.tagIndex.get(tag) : undefined;
    if (existing && (tag === undefined || taggedDigest === digest)) {
      throw new AwsError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}'${tag ? ` and tag '${tag}'` : ''} already exists in the repository with name '${repo.name}' in registry with id '${this.world.account}'`,
      );
    }
    if (tag && taggedDigest && taggedDigest !== digest && repo.mutability === 'IMMUTABLE') {
      throw new AwsError(
        'ImageTagAlreadyExistsException',
        `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`,
      );
    }
    let parsed: any;
    try {
      parsed = JSON.parse(manifest);
    } catch {
      parsed = {};
    }
    const layers: { size?: number }[] = Array.isArray(parsed?.layers) ? parsed.layers : [];
    const image: Image = existing ?? {
      digest,
      manifest,
      manifestMediaType,
      artifactMediaType:
        typeof parsed?.config?.mediaType === 'string' ? parsed.config.mediaType : DOCKER_CONFIG,
      sizeInBytes:
        layers.reduce((n, l) => n + (typeof l.size === 'number' ? l.size : 0), 0) || manifest.length,
      pushedAt: this.world.now(),
      // The behaviour is bound at push: the digest runs what was pushed, whatever the scenario says later.
      behaviour: { ...(this.world.images.get(`${repo.name}:${tag ?? ''}`) ?? HEALTHY) },
    };
    repo.images.set(digest, image);
    if (tag) {
      repo.tagIndex.set(tag, digest);
      // An image that lost its last tag stays, untagged (ECR keeps it until deleted or expired).
    }
    this.emitAction('PUSH', repo.name, image, tag ?? '');
    return image;
  }

  /** The `ECR Image Action` event, with the fields and order of the real event. */
  private emitAction(action: 'PUSH' | 'DELETE', repository: string, image: Image, tag: string): void {
    this.world.emit('aws.ecr', 'ECR Image Action', {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': image.digest,
      'action-type': action,
      'artifact-media-type': image.artifactMediaType,
      'image-tag': tag,
      'manifest-media-type': image.manifestMediaType,
    });
  }

  private tagsOf(repo: Repository, digest: string): string[] {
    return [...repo.tagIndex].filter(([, d]) => d === digest).map(([t]) => t);
  }

  private filtered(repo: Repository, tagStatus: string | undefined): Image[] {
    const status = tagStatus ?? 'ANY';
    if (!['TAGGED', 'UNTAGGED', 'ANY'].includes(status)) {
      throw invalidParameter(`Invalid parameter at 'tagStatus' failed to satisfy constraint: '${status}'`);
    }
    return [...repo.images.values()].filter((i) => {
      const tagged = this.tagsOf(repo, i.digest).length > 0;
      return status === 'ANY' || (status === 'TAGGED') === tagged;
    });
  }

  /**
   * The images a batch action names (1 to 100 ids), each found one handed to `use` in order; the
   * ids not found are the action's `failures`, with ECR's code and reason.
   */
  private forEachFound(
    repo: Repository,
    ids: ImageId[] | undefined,
    use: (id: ImageId, image: Image) => void,
  ): unknown[] {
    const failures: unknown[] = [];
    for (const id of batchImageIds(ids)) {
      const found = this.find(repo, id);
      if ('failureCode' in found) failures.push({ imageId: id, ...found });
      else use(id, found.image);
    }
    return failures;
  }

  private find(
    repo: Repository,
    id: ImageId,
  ): { image: Image } | { failureCode: string; failureReason: string } {
    if (!id.imageDigest && !id.imageTag) {
      return {
        failureCode: 'MissingDigestAndTag',
        failureReason: 'Invalid request parameters: both tag and digest cannot be null',
      };
    }
    if (id.imageDigest && !DIGEST.test(id.imageDigest)) {
      return { failureCode: 'InvalidImageDigest', failureReason: 'Invalid image digest' };
    }
    const byTag = id.imageTag ? repo.tagIndex.get(id.imageTag) : undefined;
    if (id.imageTag && id.imageDigest && byTag && byTag !== id.imageDigest) {
      return {
        failureCode: 'ImageTagDoesNotMatchDigest',
        failureReason: 'Invalid image tag for image digest',
      };
    }
    const digest = id.imageDigest ?? byTag;
    const image = digest ? repo.images.get(digest) : undefined;
    if (!image || (id.imageTag && !byTag)) {
      return { failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
    }
    return { image };
  }

  private detail(repo: Repository, image: Image) {
    const tags = this.tagsOf(repo, image.digest);
    return {
      registryId: this.world.account,
      repositoryName: repo.name,
      imageDigest: image.digest,
      ...(tags.length ? { imageTags: tags } : {}),
      imageSizeInBytes: image.sizeInBytes,
      imagePushedAt: new Date(image.pushedAt),
      imageManifestMediaType: image.manifestMediaType,
      artifactMediaType: image.artifactMediaType,
      imageStatus: 'ACTIVE',
    };
  }
}

function checkRepositoryName(name: string | undefined): string {
  if (typeof name !== 'string' || name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
    throw invalidParameter(
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`,
    );
  }
  return name;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Splits an image reference the way docker does: the first path component is a registry host when it
 * has a `.` or `:` or is `localhost`; `@sha256:…` is a digest; the last `:` after the final `/` is a tag.
 */
function parseReference(uri: string): { host?: string; repository: string; tag?: string; digest?: string } {
  let rest = uri;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let host: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      host = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return {
    ...(host ? { host } : {}),
    repository: rest,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

function paginate<T>(all: T[], limit?: number, token?: string): { page: T[]; next?: string } {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
    throw invalidParameter(
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'",
    );
  }
  const start = token ? Number(Buffer.from(token, 'base64').toString()) || 0 : 0;
  const size = limit ?? 1000;
  const page = all.slice(start, start + size);
  const end = start + page.length;
  return end < all.length ? { page, next: Buffer.from(String(end)).toString('base64') } : { page };
}
