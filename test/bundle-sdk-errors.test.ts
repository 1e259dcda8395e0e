/**
 * scripts/esbuild-plugins.cjs leaves out of the bundles the SDK's modeled errors our code never
 * imports. An error of theirs must still arrive as AWS sent it: the client's ServiceException with
 * the error's name, message and fault; one our code imports keeps its class (`instanceof`).
 * DynamoDB's endpoint cache is left out too: its client is built and called all the same.
 * Built with the functions' own esbuild options, called against a real HTTP server on loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_CONFIG, esbuildOptions } from '../bench/code.ts';
import { parseConfig } from '../lib/config-file.ts';

const ENTRY = `
import { SSMClient, GetParameterCommand, SSMServiceException } from '@aws-sdk/client-ssm';
import { DynamoDBClient, PutItemCommand, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
export async function call(endpoint) {
  const config = { endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  const ssm = await new SSMClient(config).send(new GetParameterCommand({ Name: '/x', WithDecryption: true })).catch((e) => e);
  const ddb = await new DynamoDBClient(config)
    .send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } }))
    .catch((e) => e);
  return {
    ssm: { name: ssm.name, message: ssm.message, fault: ssm.$fault, status: ssm.$metadata?.httpStatusCode, base: ssm instanceof SSMServiceException },
    ddb: { name: ddb.name, modeled: ddb instanceof ConditionalCheckFailedException },
  };
}`;

let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    req.resume();
    req.on('end', () => {
      const type = target.startsWith('AmazonSSM')
        ? 'ParameterNotFound'
        : 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException';
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r1' });
      res.end(JSON.stringify({ __type: type, message: 'not here' }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('the bundles’ SDK errors', () => {
  it('an error our code never imports arrives as the ServiceException with its name; an imported one keeps its class', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-errors-'));
    const outfile = join(dir, 'entry.mjs');
    await build({
      ...esbuildOptions(parseConfig(BENCH_CONFIG)),
      stdin: { contents: ENTRY, resolveDir: join(import.meta.dirname, '..'), loader: 'js' },
      outfile,
    });
    const bundle = readFileSync(outfile, 'utf8');
    // The plugin ran: SSM's modeled ParameterNotFound class is not in the bundle.
    expect(bundle).not.toContain('com.amazonaws.ssm#ParameterNotFound');
    expect(bundle).not.toContain('mnemonist/lru-cache');
    const { call } = await import(pathToFileURL(outfile).href);
    expect(await call(endpoint)).toEqual({
      ssm: { name: 'ParameterNotFound', message: 'not here', fault: 'client', status: 400, base: true },
      ddb: { name: 'ConditionalCheckFailedException', modeled: true },
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
