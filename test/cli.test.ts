import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ECSClient, ListClustersCommand, ListServicesCommand } from '@aws-sdk/client-ecs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/autopilot.js');
/** Writes a scenario file of its own in a fresh temporary folder; its path. */
const scenarioFile = (name: string, text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cli-')), name);
  writeFileSync(file, text);
  return file;
};

/** Runs `node bin/autopilot.js ...args` to its end. */
function autopilot(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** `autopilot sim scenarios/held-out/<file> --json`: its exit code and its parsed report. */
async function simJson(file: string) {
  const { code, stdout } = await autopilot(['sim', `scenarios/held-out/${file}`, '--json']);
  return { code, report: JSON.parse(stdout) };
}

describe('autopilot CLI', () => {
  it('sim --json prints the report as JSON and exits 0', async () => {
    const { code, stdout, stderr } = await autopilot(['sim', 'scenarios/ecs-circuit-breaker.yml', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.scenario).toBe('ECS circuit breaker rolls back a crashing image');
    expect(report.services[0]).toMatchObject({ cluster: 'prod', name: 'web' });
    expect(report.events.length).toBeGreaterThan(0);
    expect(report.events[0]).toMatchObject({ at: expect.any(String), event: { id: expect.any(String) } });
    expect(report.apiCalls).toEqual({});
  });

  it('sim plays on while Slack messages wait out an outage: every one is sent, none reported lost', async () => {
    // stranger20 08: Slack answers 500, then 429, then times out for its first 23 requests; the run
    // ended at 32m with all 7 messages pending, and its invariant check called them lost.
    const { code, report } = await simJson(
      'stranger20/08-fargate-slack-outage-across-good-then-bad-release.yml',
    );
    expect(report.violations).toEqual([]);
    expect(report.notifications.length).toBeGreaterThan(0);
    expect(report.notifications.map((n: { outcome: string }) => n.outcome)).toEqual(
      report.notifications.map(() => 'sent'),
    );
    expect(code).toBe(0);
  }, 60_000);

  it('sim ends when two pushes land at the same instant and both want the Slack webhook', async () => {
    // stranger20 17: an invocation waited on another's SSM read of the webhook URL, which needed its
    // turn at the local AWS: the run hung for good (lib/slack/webhook.ts keeps URLs read, not reads).
    const { code, report } = await simJson(
      'stranger20/17-fargate-bad-config-two-pushes-same-instant-sim-hangs.yml',
    );
    expect(report.rollouts.find((r: { service: string }) => r.service === 'prod/web')?.outcome).toBe(
      'succeeded',
    );
    expect(code).toBe(0);
  }, 60_000);

  it('sim --json into a reader that stops early (| head) ends quietly, not with an EPIPE stack', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', 'scenarios/demo.yml', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    // Like `head -c 100`: read one chunk, then close the pipe while the report is still being written.
    child.stdout!.once('data', () => child.stdout!.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('sim tells the story in plain text when stdout is not a terminal', async () => {
    const { code, stdout } = await autopilot(['sim', 'scenarios/demo.yml']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).toContain('demo, a healthy release then a crashing one');
    expect(stdout).toMatch(/\n\+?Timeline\n/);
    expect(stdout).toMatch(/\+0:05:00 {2}scenario {3}push web:v2/);
    expect(stdout).toMatch(/Services\n {2}SERVICE/);
    expect(stdout).toContain('API calls');
  });

  it('sim --json tells a bad scenario or bad usage as one JSON document on stdout', async () => {
    const file = scenarioFile(
      'other.yml',
      'clusters: [{ name: prod }]\nimages: { web:v1: healthy }\nservices:\n  - { cluster: prod, name: web, image: web:v1, desiredCount: 2 }\nautopilot:\n  targets: [{ cluster: prod, service: api, repository: web }]\n',
    );
    const bad = await autopilot(['sim', file, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('');
    expect(JSON.parse(bad.stdout)).toEqual({
      ok: false,
      command: 'sim',
      exitCode: 1,
      error: {
        kind: 'config',
        message: `${file}:5:1: autopilot: names prod/api, which the scenario's services: do not have (it has prod/web)`,
        problems: [
          {
            path: 'autopilot',
            line: 5,
            message: "names prod/api, which the scenario's services: do not have (it has prod/web)",
          },
        ],
      },
    });
    // A mistake of the pipeline's config written inline names the scenario file once, not twice.
    const inline = scenarioFile(
      'inline.yml',
      'clusters: [{ name: prod }]\nimages: { web:v1: healthy }\nservices:\n  - { cluster: prod, name: web, image: web:v1, desiredCount: 2 }\nautopilot:\n  targets: [{ cluster: prod, service: web, repository: web, strategy: all-at-once, rolling: { bake: 3m } }]\n',
    );
    const once = await autopilot(['sim', inline, '--json']);
    expect(once.code).toBe(1);
    expect(JSON.parse(once.stdout).error.message).toBe(
      `${inline}:5:1: autopilot: targets[0].rolling: applies only to strategy: rolling`,
    );
    // Every mistake of the file, each with its path and line, as `validate --json` lists them.
    const many = scenarioFile(
      'many.yml',
      'clusters: [{ name: prod }]\nservices:\n  - { cluster: prod, name: web, image: web:v1, colour: blue }\ntimeline:\n  - { at: 60, push: web:v2 }\n',
    );
    const two = await autopilot(['sim', many, '--json']);
    expect(two.code).toBe(1);
    expect(JSON.parse(two.stdout).error.problems).toEqual([
      { path: 'services[0].colour', line: 3, message: expect.stringMatching(/^unknown field/) },
      { path: 'timeline[0].at', line: 5, message: expect.stringMatching(/^a bare number has no unit/) },
    ]);
    const usage = await autopilot(['sim', file, '--json', '--nope']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error).toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('--nope'),
    });
  });

  it('sim exits 1 with the file, line and field of a bad scenario', async () => {
    const file = scenarioFile(
      'bad.yml',
      'clusters: [{ name: prod }]\nservices:\n  - { cluster: prod, name: web, image: web:v1, desiredCount: four }\n',
    );
    const { code, stdout, stderr } = await autopilot(['sim', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `${file}:3:62: services[0].desiredCount: must be an integer from 0 to 5000, got "four"\n`,
    );
  });

  it('sim refuses a scenario whose autopilot: names a service the scenario does not have, before it plays', async () => {
    const file = scenarioFile(
      'lacking.yml',
      [
        'clusters: [{ name: prod }]',
        'services:',
        '  - { cluster: prod, name: web, image: web:v1, desiredCount: 2 }',
        'autopilot:',
        '  targets:',
        '    - { cluster: prod, service: api, repository: api, steps: [{ percent: 100, bake: 1m }] }',
        'timeline:',
        '  - { at: 1m, push: web:v2 }',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await autopilot(['sim', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      "autopilot: names prod/api, which the scenario's services: do not have (it has prod/web)",
    );
    expect(stderr).not.toContain('pipeline.error');
  });

  it('sim names a missing file', async () => {
    const { code, stderr } = await autopilot(['sim', 'scenarios/nope.yml']);
    expect(code).toBe(1);
    expect(stderr).toBe('scenarios/nope.yml: no such file\n');
  });

  it('exits 2 with the usage for an unknown command, a missing argument or an unknown option', async () => {
    const bogus = await autopilot(['bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(
      /^autopilot: unknown command "bogus"\n\nUsage:\n {2}autopilot sim FILE\.yml/,
    );
    const none = await autopilot(['sim']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('autopilot sim: give one scenario file\nUsage: autopilot sim FILE.yml');
    const option = await autopilot(['local', '--sped', '2']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--sped'");
    const help = await autopilot(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('autopilot local [--port N]');
  });

  describe('local', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill('SIGKILL');
      child = undefined;
    });

    /** Starts `autopilot local ...args`; resolves with its endpoint once printed. */
    function startLocal(
      args: string[],
    ): Promise<{ endpoint: string; output: () => string; exited: Promise<number | null> }> {
      const proc = spawn(process.execPath, [BIN, 'local', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let out = '';
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
      return new Promise((resolve, reject) => {
        proc.stderr.on('data', (d) => {
          out += d;
        });
        proc.stdout.on('data', (d) => {
          out += d;
          const m = out.match(/AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)/);
          if (m) resolve({ endpoint: m[1]!, output: () => out, exited });
        });
        exited.then((code) => reject(new Error(`autopilot local exited ${code}: ${out}`)));
      });
    }

    const ecs = (endpoint: string) =>
      new ECSClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });

    it("--port 0 serves the local AWS on an ephemeral port until Ctrl-C; the demo's world unless --empty", async () => {
      const log = path.join(mkdtempSync(path.join(tmpdir(), 'local-log-')), 'local.log');
      const { endpoint, output, exited } = await startLocal(['--port', '0', '--log', log, '--speed', '60']);
      const clusters = await ecs(endpoint).send(new ListClustersCommand({}));
      expect(clusters.clusterArns).toEqual([expect.stringMatching(/:cluster\/prod$/)]);
      expect(output()).toContain("No --scenario: serving the demo's world");
      expect(output()).toContain(`The Lambdas' log lines go to ${log}`);
      expect(output()).toContain('export AWS_REGION=us-east-1');
      // The commands' config is the one this world's pipeline runs, not the folder's autopilot.yml:
      // under --local they read it from the world, with neither --config nor AUTOPILOT_CONFIG_FILE.
      const demo = path.resolve('scenarios/demo.yml');
      expect(output()).toContain(`The commands with --local read this world's config, ${demo}`);
      const { AUTOPILOT_CONFIG_FILE: _, ...env } = process.env;
      const elsewhere = mkdtempSync(path.join(tmpdir(), 'no-autopilot-yml-'));
      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(
            process.execPath,
            [BIN, ...args, '--local'],
            { cwd: elsewhere, env: { ...env, AWS_ENDPOINT_URL: endpoint }, timeout: 60_000 },
            (error, stdout, stderr) =>
              resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          ),
        );
      const said = `config: ${demo} (the local world's, from the SSM parameter /ecs-autopilot/local/config-file)`;
      const status = await run(['status', '--verbose']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr.split('\n')[0]).toBe(said);
      expect(status.stdout).toMatch(/^prod\/web +web:1 /m);
      const dry = await run(['deploy', 'prod/web', '--image', 'web:v1', '--dry-run']);
      expect(dry.stdout.split('\n')[0]).toBe(said);
      // --config still wins.
      const named = await run(['status', '--verbose', '--config', path.resolve('scenarios/demo.yml')]);
      expect(named.stderr.split('\n')[0]).toBe(`config: ${demo} (--config)`);
      // validate too: with --local it checks the world's config, not a missing ./autopilot.yml.
      const validated = await run(['validate']);
      expect(validated.code, validated.stderr).toBe(0);
      expect(validated.stdout).toContain(`${demo}: valid`);
      // A failure names the config the command read (the world's), not the folder's autopilot.yml.
      const staging = path.join(elsewhere, 'staging.yml');
      writeFileSync(staging, readFileSync(demo, 'utf8').replaceAll('cluster: prod', 'cluster: staging'));
      await new SSMClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }).send(
        new PutParameterCommand({
          Name: '/ecs-autopilot/local/config-file',
          Value: staging,
          Type: 'String',
          Overwrite: true,
        }),
      );
      const missing = await run(['deploy', 'staging/web', '--image', 'web:v1']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        `ClusterNotFoundException: Cluster not found. ${staging} names services that`,
      );
      // The story only: the Lambdas' JSON lines are in the file.
      await new Promise((r) => setTimeout(r, 1500));
      expect(output()).not.toMatch(/^\{"level"/m);
      expect(readFileSync(log, 'utf8')).toMatch(/^\{"level"/m);
      child!.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output()).toMatch(/Stopped at virtual 2026-01-01T/);
    });

    it('--scenario sets up the scenario and plays its timeline at --speed', async () => {
      const { endpoint, output, exited } = await startLocal([
        '--port',
        '0',
        '--scenario',
        'scenarios/ecs-circuit-breaker.yml',
        '--speed',
        '600',
      ]);
      const services = await ecs(endpoint).send(new ListServicesCommand({ cluster: 'prod' }));
      expect(services.serviceArns).toEqual([expect.stringMatching(/:service\/prod\/web$/)]);
      // 600x: the update at 2m comes after 0.2 s of real time.
      await new Promise((r) => setTimeout(r, 1500));
      expect(output()).toMatch(/\+0:02:00 {2}scenario {3}update prod\/web to web:v2/);
      child!.kill('SIGINT');
      expect(await exited).toBe(0);
    });
  });
});
