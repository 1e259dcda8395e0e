/**
 * `autopilot local` as a new user meets it: the demo's world when no scenario is named, the
 * Lambdas' log lines kept out of the story, a port in use told in one line, and `local push`
 * putting an image in the local ECR so that the pipeline rolls it out.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLocalArgs } from '../lib/commands/local-args.ts';
import { push } from '../lib/commands/push.ts';
import { main } from '../local/cli.ts';
import { readOptions } from '../local/scenario/local.ts';
import { usePipelineWorld } from './helpers/pipeline-world.ts';

const DEMO = '/repo/scenarios/demo.yml';

describe('autopilot local: its arguments', () => {
  it.each([
    [[], { args: ['--scenario', DEMO], log: 'autopilot-local.log', verbose: false, defaulted: true }],
    [['--empty'], { args: [], log: 'autopilot-local.log', verbose: false, defaulted: false }],
    [
      ['--scenario', 'x.yml', '--port', '0'],
      { args: ['--scenario', 'x.yml', '--port', '0'], defaulted: false },
    ],
    [['--verbose', '--log', '/tmp/l.log'], { args: ['--scenario', DEMO], log: '/tmp/l.log', verbose: true }],
  ])('%j -> %j', (args, expected) => {
    expect(readLocalArgs(args, DEMO)).toMatchObject(expected);
  });
});

describe('autopilot local: its port', () => {
  it.each([
    [[], 4566],
    [['--port', '0'], 0],
    [['--port', '4599', '--speed', '5'], 4599],
  ])(
    '%j listens on %i (4566 unless told: the README, `status --local` and `local push` assume it)',
    (args, port) => {
      expect(readOptions(args).port).toBe(port);
    },
  );
});

describe('autopilot local and sim: --help', () => {
  it.each(['local', 'sim'])('%s --help prints its options and an example, exit 0', async (name) => {
    let out = '';
    let err = '';
    const code = await main([name, '--help'], { out: (t) => (out += t), err: (t) => (err += t) });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(new RegExp(`^Usage: autopilot ${name} `));
    expect(out).toContain('Options:');
    expect(out).toMatch(/Examples?:\n {2}autopilot /);
  });
});

describe('autopilot local: a port in use', () => {
  it('is told in one line naming the port and how to pick another', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    let err = '';
    const log = path.join(mkdtempSync(path.join(tmpdir(), 'local-')), 'local.log');
    // The log of the world already running there (same folder, same default file name).
    writeFileSync(log, '{"msg":"the running world\'s line"}\n');
    try {
      const code = await main(['local', '--empty', '--port', String(port), '--log', log], {
        out: () => {},
        err: (s) => (err += s),
      });
      expect(code).toBe(1);
    } finally {
      server.close();
    }
    expect(err).toBe(
      `autopilot local: port ${port} is in use (another autopilot local, or LocalStack?): pick another with --port N, and point the commands at it with AWS_ENDPOINT_URL=http://127.0.0.1:N\n`,
    );
    // The failed start did not wipe the running world's log.
    expect(readFileSync(log, 'utf8')).toBe('{"msg":"the running world\'s line"}\n');
  }, 60_000);
});

const world = usePipelineWorld();

describe('autopilot local push', () => {
  it('puts the image in the local ECR, and ECR tells the pipeline as a docker push would', async () => {
    const t = await world();
    let out = '';
    const code = await push(['web:v2'], t.world.clientEnv(), { out: (s) => (out += s), err: () => {} });
    expect(code).toBe(0);
    expect(out).toMatch(
      /^pushed web:v2 \(sha256:[0-9a-f]{12}…\) to the local ECR at http:\/\/127\.0\.0\.1:\d+\n$/,
    );
    await t.world.runFor(60_000);
    const record = (await t.records()).find((r) => r.key === 'prod/web')!;
    expect(record.rollout?.image.tag).toBe('v2');
  }, 60_000);

  it('names what is missing when nothing answers', async () => {
    let err = '';
    const code = await push(['web:v2', '--port', '9'], {}, { out: () => {}, err: (s) => (err += s) });
    expect(code).toBe(1);
    expect(err).toContain('nothing answers at http://127.0.0.1:9: start the local AWS first');
  }, 60_000);
});
