/**
 * What each local AWS service gives the HTTP server: the `X-Amz-Target` prefix it answers, its
 * protocol, and one function per operation. An operation takes the request's JSON (timestamps as
 * epoch seconds, as the SDK sends them) and returns the response's JSON; `Date` values in the
 * result are sent as epoch seconds. It throws `AwsError` for modeled errors.
 */
export interface LocalService {
  /** The service's short name, as in `apiCalls` keys: `ecs`, `ecr`, `cloudwatch`, `events`, `ssm`. */
  readonly name: string;
  /** e.g. `AmazonEC2ContainerServiceV20141113`. */
  readonly target: string;
  /** `query`: the Query protocol only (ELBv2), never answered on `X-Amz-Target`. */
  readonly protocol: 'json1.0' | 'json1.1' | 'query';
  /** CloudWatch's JSON protocol is query-compatible: errors also carry `x-amzn-query-error`. */
  readonly queryCompatible?: boolean;
  readonly operations: Record<string, (input: any) => unknown>;
  /** The AWS Query protocol (CloudWatch as well, ELBv2 only): its API version and XML namespace (core/query.ts). */
  readonly query?: { version: string; xmlns: string };
}

/** An event as EventBridge delivers it (the envelope AWS documents). */
export interface AwsEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: any;
}
