/** An image as a push names it: the one thing every part of the pipeline agrees on. */
export interface ImageRef {
  repository: string;
  tag: string;
  digest: string;
  /** `<registry>/<repository>@<digest>`: deployed by digest, so a moved tag changes nothing. */
  uri: string;
  /** When it was pushed (the push event's time, or ECR's imagePushedAt): the newest push wins. */
  pushedAt?: number;
}
