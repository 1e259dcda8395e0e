/**
 * A raw HTTP request to the local AWS, signed with the SDK's SigV4 signer, for what the SDK v3
 * clients never send (a member of the wrong JSON type, CloudWatch's form-encoded Query protocol).
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** The SHA-256 the signer wants (a Checksum constructor), from node:crypto. */
class Sha256 {
  private hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export async function signedPost(
  endpoint: string,
  service: string,
  region: string,
  headers: Record<string, string>,
  body: string,
): Promise<Response> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, ...headers },
    body,
  });
  return fetch(endpoint, { method: 'POST', headers: signed.headers, body });
}
