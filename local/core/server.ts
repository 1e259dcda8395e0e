/**
 * The local AWS endpoint: one HTTP server on loopback that answers the AWS SDK v3 clients as AWS
 * would. Requests are dispatched on `X-Amz-Target` (`<ServiceTarget>.<Operation>`); JSON 1.1 for ECS,
 * ECR, EventBridge and SSM, JSON 1.0 for CloudWatch (query-compatible) and DynamoDB, which is
 * forwarded to dynalite; form-encoded Query requests (CloudWatch, ELBv2) on their `Version`. Point any
 * client at it with `AWS_ENDPOINT_URL`.
 *
 * Errors: `__type` carries the modeled error's name so the SDK raises that exception class;
 * CloudWatch also gets `x-amzn-query-error: Code;Sender|Receiver` (the SDK reads the query code
 * from it). Source: @aws-sdk/core AwsJsonRpcProtocol / awsQueryCompatible handling.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AwsError } from './errors.ts';
import { queryError, queryInput, queryResponse } from './query.ts';
import type { LocalService } from './service.ts';

export interface ServerHooks {
  /** Counts the call (`ecs:UpdateService`) and may throw to throttle or inject a fault. */
  beforeCall(service: LocalService | { name: string }, operation: string): void;
  /** Where DynamoDB requests go (dynalite). */
  dynamodbPort(): number | undefined;
}

const CONTENT_TYPE = { 'json1.0': 'application/x-amz-json-1.0', 'json1.1': 'application/x-amz-json-1.1' };

export class LocalServer {
  private server: http.Server;
  private byTarget = new Map<string, LocalService>();
  private requests = 0;

  constructor(
    services: LocalService[],
    private readonly hooks: ServerHooks,
  ) {
    for (const s of services) this.byTarget.set(s.target, s);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
    });
    this.server.keepAliveTimeout = 60_000;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    return `http://${host}:${addr.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Every AWS answer carries `x-amzn-RequestId` (a UUID; the SDK puts it in `$metadata.requestId`).
   * Ours count up, so a run replays with the same ids.
   */
  private nextRequestId(): string {
    const n = (++this.requests).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('x-amzn-RequestId', this.nextRequestId());
    let body = await readBody(req);
    // The SDK gzips large request bodies (PutMetricData over 10 KiB); AWS accepts them.
    if (String(req.headers['content-encoding'] ?? '').includes('gzip')) body = gunzipSync(body);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target && String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded'))
      return this.handleQuery(res, body.toString('utf8'));
    const dot = target.lastIndexOf('.');
    const prefix = dot > 0 ? target.slice(0, dot) : target;
    const operation = dot > 0 ? target.slice(dot + 1) : '';

    if (prefix === 'DynamoDB_20120810') return this.forwardToDynamo(req, res, body, operation);

    const service = this.byTarget.get(prefix);
    if (!service || service.protocol === 'query') {
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'UnknownOperationException',
      });
      res.end(
        JSON.stringify({
          __type: 'UnknownOperationException',
          message: `No service answers X-Amz-Target "${target}"`,
        }),
      );
      return;
    }
    const contentType = CONTENT_TYPE[service.protocol as keyof typeof CONTENT_TYPE];
    try {
      const op = service.operations[operation];
      if (!op)
        throw new AwsError(
          'UnknownOperationException',
          `${operation} is not an operation of the local ${service.name}`,
        );
      this.hooks.beforeCall(service, operation);
      let input: unknown;
      try {
        input = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        throw new AwsError('SerializationException', 'Request body is not valid JSON');
      }
      const output = await op(input ?? {});
      res.writeHead(200, { 'content-type': contentType });
      res.end(toWire(output ?? {}));
    } catch (e) {
      const err =
        e instanceof AwsError
          ? e
          : new AwsError(
              service.name === 'ecs' ? 'ServerException' : 'InternalFailure',
              String((e as Error)?.stack ?? e),
              500,
              'Receiver',
            );
      const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-errortype': err.code };
      if (service.queryCompatible)
        headers['x-amzn-query-error'] = `${err.queryCode ?? err.code};${err.fault}`;
      res.writeHead(err.status, headers);
      res.end(JSON.stringify({ __type: err.code, message: err.message }));
    }
  }

  /** A Query-protocol request (core/query.ts): form in, XML out, the same operations as JSON. */
  private async handleQuery(res: http.ServerResponse, body: string): Promise<void> {
    const requestId = String(res.getHeader('x-amzn-RequestId'));
    const { action, version, input } = queryInput(body);
    const service = [...this.byTarget.values()].find((s) => s.query?.version === version);
    const xmlns = service?.query?.xmlns ?? '';
    const answer = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(text);
    };
    if (!service) {
      answer(
        400,
        queryError(xmlns, 'Sender', 'InvalidAction', `No service answers Version "${version}"`, requestId),
      );
      return;
    }
    try {
      const op = service.operations[action];
      if (!op) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
      this.hooks.beforeCall(service, action);
      const output = await op(input);
      answer(200, queryResponse(action, xmlns, output ?? {}, requestId));
    } catch (e) {
      const err =
        e instanceof AwsError
          ? e
          : new AwsError('InternalFailure', String((e as Error)?.message ?? e), 500, 'Receiver');
      answer(err.status, queryError(xmlns, err.fault, err.queryCode ?? err.code, err.message, requestId));
    }
  }

  private async forwardToDynamo(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    operation: string,
  ) {
    try {
      this.hooks.beforeCall({ name: 'dynamodb' }, operation);
    } catch (e) {
      const err = e as AwsError;
      res.writeHead(err.status ?? 400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${err.code}`, message: err.message }),
      );
      return;
    }
    const port = this.hooks.dynamodbPort();
    const headers = { ...req.headers };
    delete headers.host;
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers });
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 500, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    upstream.end(body);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON as the AWS JSON protocols send it: timestamps as epoch seconds. */
export function toWire(value: unknown): string {
  return JSON.stringify(value, function (this: any, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return raw.getTime() / 1000;
    return v;
  });
}
