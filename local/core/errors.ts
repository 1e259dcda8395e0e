/**
 * An error the local AWS answers with, as AWS would: the modeled error's name (so the SDK raises
 * the right exception class), a message, and the HTTP status.
 * `fault` is what CloudWatch's query-compatible protocol puts in `x-amzn-query-error` (Code;Sender).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fault: 'Sender' | 'Receiver' = 'Sender',
    /** CloudWatch only: the query-protocol error code, when it differs from the shape name. */
    readonly queryCode?: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);

/** Bad arguments to `autopilot local|sim`: the dispatcher prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
