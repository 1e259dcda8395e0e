/**
 * scripts/esbuild-plugins.cjs leaves out of the bundles the SDK's modeled errors our code never
 * imports. An error of theirs must still arrive as AWS sent it: the client's ServiceException with
 * the error's name, message and fault; one our code imports keeps its class (`instanceof`).
 * DynamoDB's endpoint cache is left out too: its client is built and called all the same. The
 * schemas' string constants are written in place: every schema the functions' clients export is
 * the same value as the SDK's own.
 * Built with the functions' own esbuild options, called against a real HTTP server on loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
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

/** What each client in package.json exports from its schemas, as a value: thunks called, cycles once. */
function sameValue(a: unknown, b: unknown, path: string, seen = new Set<unknown>()): string | undefined {
  const x = typeof a === 'function' ? (a as () => unknown)() : a;
  const y = typeof b === 'function' ? (b as () => unknown)() : b;
  if (typeof x !== typeof y) return `${path}: ${typeof x} vs ${typeof y}`;
  if (x === null || typeof x !== 'object')
    return Object.is(x, y) ? undefined : `${path}: ${String(x)} vs ${String(y)}`;
  if (seen.has(x)) return undefined;
  seen.add(x);
  const keys = Object.keys(x as object);
  if (keys.join() !== Object.keys(y as object).join()) return `${path}: keys differ`;
  for (const k of keys) {
    const d = sameValue(
      (x as Record<string, unknown>)[k],
      (y as Record<string, unknown>)[k],
      `${path}.${k}`,
      seen,
    );
    if (d) return d;
  }
  return undefined;
}

describe('the bundles’ SDK schemas', () => {
  it('with their string constants written in place, are the same values as the SDK’s', async () => {
    const { inlineStrings } = createRequire(import.meta.url)('../scripts/esbuild-plugins.cjs');
    const clients = Object.keys(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).dependencies,
    ).filter((d) => d.startsWith('@aws-sdk/client-'));
    expect(clients.length).toBeGreaterThanOrEqual(7);
    const dir = mkdtempSync(join(tmpdir(), 'bundle-schemas-'));
    const schemas = (inline: boolean): Plugin => ({
      name: 'schemas',
      setup(b) {
        b.onLoad({ filter: /[\\/]schemas[\\/]schemas_0\.js$/ }, (args) => {
          const text = readFileSync(args.path, 'utf8');
          return { contents: inline ? inlineStrings(text, args.path) : text, loader: 'js' };
        });
      },
    });
    for (const client of clients) {
      const load = async (inline: boolean) => {
        const outfile = join(dir, `${client.slice('@aws-sdk/client-'.length)}-${inline}.mjs`);
        await build({
          bundle: true,
          platform: 'node',
          format: 'esm',
          mainFields: ['module', 'main'],
          stdin: {
            contents: `export * from '${client}/dist-es/schemas/schemas_0.js';`,
            resolveDir: join(import.meta.dirname, '..'),
          },
          outfile,
          plugins: [schemas(inline)],
          logLevel: 'error',
        });
        return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
      };
      const [theirs, ours] = [await load(false), await load(true)];
      expect(Object.keys(ours).length, client).toBeGreaterThan(50);
      expect(Object.keys(ours), client).toEqual(Object.keys(theirs));
      expect(sameValue(theirs, ours, client), client).toBeUndefined();
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
