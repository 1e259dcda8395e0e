/**
 * The operating commands against the local AWS: a world with prod/web and the real pipeline
 * attached (the Lambdas' handlers on the EventBridge rules), the commands run with the
 * environment a user would set (AWS_ENDPOINT_URL, region, any credentials), in-process and as
 * `bin/autopilot.js` child processes, while the test moves the world's clock.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type CommandName, runCommand } from '../lib/commands/cli.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { main } from '../local/cli.ts';
import { parseScenario } from '../local/scenario/parse.ts';
import { runScenario } from '../local/scenario/run.ts';
import { withPipeline } from '../local/scenario/sim-pipeline.ts';
import { describeService, type PipelineWorld, recordOf, usePipelineWorld } from './helpers/pipeline-world.ts';
import { type Ran, runCli } from './helpers/run-cli.ts';
import { WEB_TARGET } from './helpers/web-target.ts';

const MIN = 60_000;
const BIN = path.resolve('bin/autopilot.js');

/** The same target as the world's pipeline (test/helpers/web-target.ts). */
const CONFIG = stringify({ targets: [WEB_TARGET] });

let dir: string;
let configFile: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cli-commands-'));
  configFile = path.join(dir, 'autopilot.yml');
  writeFileSync(configFile, CONFIG);
});

const world = usePipelineWorld();

/** `autopilot NAME ...args --config FILE`, in-process, against the world. */
const cli = (w: PipelineWorld, name: CommandName, ...args: string[]) => runCli(w, configFile, name, ...args);

const json = (r: Ran) => JSON.parse(r.out);

/** A command that failed or was refused: exit 1, saying `message` on stderr. */
async function expectFailed(running: Promise<Ran>, message: string) {
  const ran = await running;
  expect(ran.code).toBe(1);
  expect(ran.err).toContain(message);
}

/** Commands run one after another, each refused with its message. */
async function expectEachFailed(w: PipelineWorld, runs: [[CommandName, ...string[]], string][]) {
  for (const [[name, ...args], message] of runs) await expectFailed(cli(w, name, ...args), message);
}

/** Moves the world's clock 5 virtual seconds at a time until `running` settles (at most `maxMs`). */
async function advanceWhile<T>(w: PipelineWorld, running: Promise<T>, maxMs = 30 * MIN): Promise<T> {
  let settled = false;
  running.finally(() => {
    settled = true;
  });
  for (let elapsed = 0; !settled && elapsed < maxMs; elapsed += 5000) {
    await w.world.runFor(5000);
    await new Promise((r) => setTimeout(r, 2));
  }
  return running;
}

async function record(w: PipelineWorld): Promise<ServiceRecord> {
  return (await recordOf(w))!;
}

const primary = (w: PipelineWorld) => describeService(w, 'web');

/** `node bin/autopilot.js ...args` against the world, while the world's clock moves. */
function child(w: PipelineWorld, args: string[]): Promise<Ran> {
  const running = new Promise<Ran>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--config', configFile],
      { env: { ...process.env, ...w.world.clientEnv() }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
  return advanceWhile(w, running);
}

describe('failures', () => {
  it('a host that does not resolve is unreachable, named, not an AWS error', async () => {
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => {} };
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: 'http://no-such-host.invalid:4566',
      AUTOPILOT_CONFIG_FILE: configFile,
    };
    expect(await runCommand('status', ['--json'], { io, env })).toBe(1);
    const doc = JSON.parse(out);
    expect(doc.error.kind).toBe('unreachable');
    expect(doc.error.message).toMatch(/^cannot reach AWS: .*no-such-host\.invalid/);
  });
});

describe('validate', () => {
  it('shows what each target will do, or every problem with its line (exit 1)', async () => {
    let out = '';
    let err = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
    expect(await runCommand('validate', [configFile], { io })).toBe(0);
    expect(out).toContain(`${configFile}: valid, 1 target`);
    expect(out).toMatch(
      /prod\/web +web +glob "v\*" +canary +10% 2m, 50% 2m, 100% 1m +- +1 failed task, 10m per step/,
    );

    out = '';
    expect(await runCommand('validate', ['--config', configFile, '--json'], { io })).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      valid: true,
      targets: [{ target: 'prod/web', strategy: 'canary' }],
    });

    const bad = path.join(dir, 'bad.yml');
    writeFileSync(
      bad,
      'targets:\n  - cluster: prod\n    service: web\n    repository: web\n    failedTasks: 0\n',
    );
    out = '';
    expect(await runCommand('validate', [bad], { io })).toBe(1);
    expect(err).toContain(
      `${bad}: targets[0].failedTasks: must be a whole number of 1 or more, got 0 (line 5)`,
    );
  });

  it('reads the autopilot: section of a scenario file', async () => {
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => {} };
    expect(await runCommand('validate', ['scenarios/demo.yml'], { io })).toBe(0);
    expect(out).toMatch(/prod\/web .* web-5xx/);
  });
});

describe('status, history', () => {
  it('show every managed service, readable and as JSON, before any rollout', async () => {
    const t = await world();
    const status = await cli(t, 'status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^SERVICE +REVISION +IMAGE +TASKS +CANARY +ROLLOUT +ALARMS IN ALARM\n/);
    expect(status.out).toMatch(/prod\/web +web:1 +web:v1 +4\/4 +- +idle +-/);

    const one = json(await cli(t, 'status', 'prod/web', '--json'));
    expect(one).toMatchObject({
      service: 'prod/web',
      revision: 'web:1',
      image: 'web:v1',
      desiredCount: 4,
      runningCount: 4,
      alarmsInAlarm: [],
    });
    expect(one.rollout).toBeUndefined();
    const all = json(await cli(t, 'status', '--json'));
    expect(all).toHaveLength(1);

    expect((await cli(t, 'history', 'prod/web')).out).toBe('prod/web: no rollouts recorded yet\n');
    expect(json(await cli(t, 'history', 'prod/web', '--json'))).toMatchObject({
      service: 'prod/web',
      inProgress: null,
      history: [],
    });
  });

  it('name a service that is not a target, and refuse bad arguments with the usage (exit 2)', async () => {
    const t = await world();
    await expectFailed(
      cli(t, 'status', 'prod/api'),
      `prod/api is not a target in ${configFile} (its targets: prod/web)`,
    );

    let err = '';
    const io = { out: () => {}, err: (s: string) => (err += s) };
    expect(await main(['pause'], io)).toBe(2);
    expect(err).toContain(
      'autopilot pause: name the service as CLUSTER/SERVICE, such as prod/web\nUsage: autopilot pause',
    );
    err = '';
    expect(await main(['wait', 'prod/web', '--timeout', 'soon'], io)).toBe(2);
    expect(err).toContain('autopilot wait: --timeout: must be a duration');
    err = '';
    expect(await main(['status', '--bogus'], io)).toBe(2);
    expect(err).toContain("Unknown option '--bogus'");
  });
});

describe("a command's next moment", () => {
  it('is woken to the second: a bake resumed by hand ends on time, not at the next sweep', async () => {
    // An hour's sweep: only the command's own wake-up can end the resumed bake within minutes.
    const t = await world({ sweep: '1h' });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(30_000);
    expect((await record(t)).rollout).toMatchObject({ stepIndex: 0 });
    expect((await cli(t, 'pause', 'prod/web')).code).toBe(0);
    await t.world.runFor(MIN);
    expect((await cli(t, 'resume', 'prod/web')).code).toBe(0);
    const resumed = await record(t);
    // The resume's write carries the bake's end as its wake-up, and the queue delivers it then.
    expect(resumed.wake?.at).toBeGreaterThan(t.world.now());
    await t.world.runFor(4 * MIN);
    expect((await record(t)).rollout?.stepIndex).toBeGreaterThanOrEqual(1);
  });
});

describe('a rollout in progress, by hand', () => {
  it('pause holds it on its step, resume lets it go on, promote and promote --full move it; wait exits 0', async () => {
    const t = await world();
    const pushed = t.world.ecr.push('web', 'v2');
    await t.world.runFor(30_000);
    const started = json(await cli(t, 'status', 'prod/web', '--json'));
    expect(started.rollout).toMatchObject({ image: 'web:v2', step: 1, steps: 3, percent: 10 });

    const paused = await cli(t, 'pause', 'prod/web');
    expect(paused.code).toBe(0);
    // This world has no Slack webhook parameter: the command says so, and the message stays queued.
    expect(paused.err).toMatch(
      /^note: Slack was not told of paused yet: SSM parameter \/ecs-autopilot\/slack-webhook-url does not exist.*next tick\n$/,
    );
    expect(paused.out).toContain('prod/web: web:v2 paused at step 1/3 (10%)');
    expect((await record(t)).rollout?.paused).toBe(true);
    // Far past the step's 2m bake: still on step 1.
    await t.world.runFor(6 * MIN);
    expect((await record(t)).rollout).toMatchObject({ stepIndex: 0, paused: true });
    expect((await cli(t, 'status')).out).toMatch(/web:v2 step 1\/3 \(10%\), paused/);

    // promote goes on from a paused step: the person vouches for it.
    const promoted = await cli(t, 'promote', 'prod/web');
    expect(promoted.code).toBe(0);
    expect(promoted.out).toContain('prod/web: web:v2 promoted to step 2/3 (50%)');
    expect((await record(t)).rollout).toMatchObject({ stepIndex: 1, paused: false });

    expect((await cli(t, 'pause', 'prod/web')).code).toBe(0);
    const resumed = await cli(t, 'resume', 'prod/web');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('prod/web: web:v2 resumed: step 2/3 (50%)');
    expect((await record(t)).rollout).toMatchObject({ stepIndex: 1, paused: false });

    const full = json(await cli(t, 'promote', 'prod/web', '--full', '--json'));
    expect(full).toMatchObject({ command: 'promote', ok: true, rollout: { step: 3, percent: 100 } });
    expect((await record(t)).rollout?.stepIndex).toBe(2);

    const waited = await advanceWhile(t, cli(t, 'wait', 'prod/web', '--interval', '1ms'));
    expect(waited.code).toBe(0);
    expect(waited.out).toMatch(/^prod\/web: web:v2 succeeded in \S+ \(every step healthy and baked\)\n$/);
    // Progress on stderr, a line per place the rollout reached.
    expect(waited.err).toMatch(/prod\/web web:v2: step 3\/3 \(100%\)/);

    const history = json(await cli(t, 'history', 'prod/web', '--json'));
    expect(history.history[0]).toMatchObject({
      image: 'web:v2',
      digest: pushed.digest,
      outcome: 'succeeded',
      revision: 'web:2',
      from: 'web:1',
    });
    const table = (await cli(t, 'history', 'prod/web')).out;
    expect(table).toMatch(/^STARTED +IMAGE +FROM -> TO +OUTCOME +TOOK +WHY\n/);
    expect(table).toMatch(/web:v2 +web:1 -> web:2 +succeeded +\S+ +every step healthy and baked/);
    expect((await primary(t)).taskDefinition).toMatch(/:task-definition\/web:2$/);

    await expectFailed(cli(t, 'pause', 'prod/web'), 'prod/web: nothing to pause: no rollout is in progress');
  });

  it('wait exits 1 with the reason when the rollout is rolled back', async () => {
    const t = await world({ images: { 'web:v3': { crash: { after: '20s', exitCode: 1 } } } });
    t.world.ecr.push('web', 'v3');
    await t.world.runFor(5000);
    const waited = await advanceWhile(t, cli(t, 'wait', 'prod/web', '--interval', '1ms'));
    expect(waited.code).toBe(1);
    expect(waited.out).toBe('');
    expect(waited.err).toContain(
      'prod/web: web:v3 rolled back: 1 new task failed: Essential container in task exited (web exit code 1)',
    );
    // Afterwards, and as JSON: how the last rollout ended, the same exit code.
    const again = await cli(t, 'wait', 'prod/web', '--json');
    expect(again.code).toBe(1);
    expect(json(again)).toMatchObject({
      outcome: 'rolled_back',
      image: 'web:v3',
      revision: 'web:2',
      from: 'web:1',
    });
    expect((await primary(t)).taskDefinition).toMatch(/web:1$/);
  });

  it('deploy by hand of a digest that was rolled back retries it for real: new tasks, a new verdict', async () => {
    const t = await world({ images: { 'web:v3': { crash: { after: '20s', exitCode: 1 } } } });
    t.world.ecr.push('web', 'v3');
    await t.world.runFor(5 * MIN);
    const first = (await record(t)).history.at(-1)!;
    expect(first.outcome).toBe('rolled_back');

    const retried = await cli(t, 'deploy', 'prod/web', '--image', 'web:v3', '--json');
    expect(retried.code).toBe(0);
    expect(json(retried)).toMatchObject({ ok: true, result: 'started', rollout: { step: 1 } });
    expect(json(retried).text).toMatch(
      /\(it was rolled back earlier: 1 new task failed: .*; trying it again\)$/,
    );
    const rollout = (await record(t)).rollout!;
    expect(rollout.failures).toEqual([]);
    await t.world.runFor(5 * MIN);
    const second = (await record(t)).history.at(-1)!;
    expect(second.outcome).toBe('rolled_back');
    expect(second.id).not.toBe(first.id);
    // A task of its own failed, not the first rollout's.
    const firstTasks = new Set(first.failures.map((f) => f.taskArn));
    expect(second.failures.length).toBeGreaterThan(0);
    expect(second.failures.some((f) => firstTasks.has(f.taskArn))).toBe(false);
  });

  it('deploy rolls out a tag the policy ignores on push; abort stops it and goes back; wait says aborted', async () => {
    const t = await world();
    const hotfix = t.world.ecr.push('web', 'hotfix-1');
    await t.world.runFor(MIN);
    expect((await record(t)).history.map((h) => h.outcome)).toEqual(['ignored']);

    const deployed = await cli(t, 'deploy', 'prod/web', '--image', 'web:hotfix-1');
    expect(deployed.code).toBe(0);
    expect(deployed.out).toMatch(
      /^prod\/web: rolling out web:hotfix-1 \(sha256:[0-9a-f]{12}\) from web:1, step 1\/3 \(10%\)/,
    );
    const rollout = (await record(t)).rollout!;
    expect(rollout.image).toEqual({
      repository: 'web',
      tag: 'hotfix-1',
      digest: hotfix.digest,
      uri: `${t.world.ecr.registryHost}/web@${hotfix.digest}`,
    });
    // The same path as a push: the revision is registered and the canary created by the command itself.
    expect(rollout.taskDefinition).toMatch(/web:2$/);
    await t.world.runFor(MIN);
    expect((await cli(t, 'status')).out).toMatch(
      /prod\/web +web:1 +web:v1 +4\/4 +1\/1 +web:hotfix-1 step 1\/3/,
    );

    const aborted = await cli(t, 'abort', 'prod/web', '--reason', 'wrong build');
    expect(aborted.code).toBe(0);
    expect(aborted.out).toBe('prod/web: web:hotfix-1 aborted; rolling back to web:1\n');
    const last = (await record(t)).history.at(-1)!;
    expect(last).toMatchObject({ outcome: 'aborted', reason: 'aborted by hand: wrong build' });

    await expectFailed(
      advanceWhile(t, cli(t, 'wait', 'prod/web', '--interval', '1ms')),
      'prod/web: web:hotfix-1 aborted: aborted by hand: wrong build',
    );
    expect((await record(t)).rollout).toBeUndefined();
    expect((await primary(t)).taskDefinition).toMatch(/web:1$/);

    await expectEachFailed(t, [
      [['deploy', 'prod/web', '--image', 'web:v9'], 'web:v9 is not in the ECR repository web'],
      [['deploy', 'prod/web', '--image', 'api:v1'], 'prod/web is fed by the ECR repository web, not api'],
    ]);
    await expect(cli(t, 'deploy', 'prod/web', '--image', 'web')).rejects.toThrow(
      /--image must be REPOSITORY:TAG/,
    );
  });

  it('wait --image follows the rollout of that image once it starts', async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    const waited = await advanceWhile(
      t,
      cli(t, 'wait', 'prod/web', '--image', 'web:v2', '--interval', '1ms'),
    );
    expect(waited.code).toBe(0);
    expect(waited.out).toContain('prod/web: web:v2 succeeded');
    const timedOut = await cli(t, 'wait', 'prod/web', '--image', 'web:v2', '--timeout', '1s');
    expect(timedOut.code).toBe(0); // already deployed
  });

  it('wait gives up after --timeout with exit 3, naming where the rollout is', async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(30_000);
    // --timeout counts the world's time: a minute of it passes only as the world's clock moves.
    const waited = await advanceWhile(t, cli(t, 'wait', 'prod/web', '--timeout', '1m', '--interval', '1ms'));
    expect(waited.code).toBe(3);
    expect(waited.err).toMatch(/prod\/web: gave up after \S+: web:v2 is still at step 1\/3 \(10%\)/);
  });
});

describe('rollback', () => {
  it('when idle goes back to the good revision before the current one, or to --to', async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(20 * MIN);
    expect((await primary(t)).taskDefinition).toMatch(/web:2$/);

    const back = await cli(t, 'rollback', 'prod/web', '--reason', 'bad config');
    expect(back.code).toBe(0);
    expect(back.out).toBe('prod/web: rolled back by hand from web:2 to web:1: bad config\n');
    await t.world.runFor(5 * MIN);
    expect((await primary(t)).taskDefinition).toMatch(/web:1$/);
    expect((await record(t)).rollout).toBeUndefined();

    const forward = json(await cli(t, 'rollback', 'prod/web', '--to', '2', '--json'));
    expect(forward).toMatchObject({ command: 'rollback', ok: true });
    await t.world.runFor(5 * MIN);
    expect((await primary(t)).taskDefinition).toMatch(/web:2$/);

    await expectEachFailed(t, [
      [['rollback', 'prod/web', '--to', 'web:2'], 'nothing rolled back: the service already runs web:2'],
      [['rollback', 'prod/web', '--to', 'web:99'], '--to web:99: there is no task definition web:99'],
    ]);
  });

  it('refuses a revision of another family: --to api:1 would put the api containers on prod/web', async () => {
    const t = await world();
    await t.world.ecs.operations.RegisterTaskDefinition!({
      family: 'api',
      containerDefinitions: [
        { name: 'api', image: t.world.ecr.push('api', 'v1').uri, memory: 512, essential: true },
      ],
    });
    await expectFailed(
      cli(t, 'rollback', 'prod/web', '--to', 'api:1', '--force'),
      'prod/web: --to api:1: api:1 is a revision of api, not of web (the family the service runs)',
    );
    await t.world.runFor(2 * MIN);
    expect((await primary(t)).taskDefinition).toMatch(/web:1$/);
  });
});

describe('the CLI tells the truth', () => {
  it('every command has --help with its options and an example (exit 0)', async () => {
    for (const name of [
      'status',
      'history',
      'deploy',
      'promote',
      'pause',
      'resume',
      'abort',
      'rollback',
      'wait',
      'validate',
    ] as const) {
      let out = '';
      const code = await runCommand(name, ['--help'], { io: { out: (s) => (out += s), err: () => {} } });
      expect(code).toBe(0);
      expect(out).toMatch(new RegExp(`^Usage: autopilot ${name}`));
      expect(out).toContain('Options:');
      expect(out).toContain('--json');
      expect(out).toMatch(new RegExp(`Example:\\n  autopilot ${name}`));
    }
  });

  it('--json: every failure is one JSON document on stdout with the exit code', async () => {
    const t = await world();
    const unknown = await cli(t, 'status', 'prod/api', '--json');
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toEqual({
      ok: false,
      command: 'status',
      exitCode: 1,
      error: { kind: 'refused', message: expect.stringContaining('prod/api is not a target') },
    });
    const usage = await cli(t, 'deploy', 'prod/web', '--json');
    expect(usage.code).toBe(2);
    expect(json(usage)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { kind: 'usage', message: '--image REPOSITORY:TAG is required' },
    });
    const nothing = await cli(t, 'abort', 'prod/web', '--json');
    expect(nothing.code).toBe(1);
    expect(json(nothing)).toMatchObject({
      ok: false,
      error: { kind: 'refused', message: expect.stringContaining('nothing to abort') },
    });
    const missing = await cli(t, 'deploy', 'prod/web', '--image', 'web:v9', '--json');
    expect(json(missing)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('web:v9 is not in the ECR repository web') },
    });
    const duration = await cli(t, 'wait', 'prod/web', '--timeout', '15', '--json');
    expect(duration.code).toBe(2);
    expect(json(duration).error.message).toBe(
      '--timeout: a bare number has no unit: write "15s" or "15m", not 15',
    );
    for (const r of [unknown, usage, nothing, missing, duration]) expect(r.err).toBe('');

    // A config naming a cluster the world lacks: which cluster, from which file, and what to start.
    const other = path.join(dir, 'staging.yml');
    writeFileSync(other, CONFIG.replace('cluster: prod', 'cluster: staging'));
    let out = '';
    const code = await runCommand('status', ['--config', other, '--json'], {
      env: t.world.clientEnv(),
      io: { out: (s) => (out += s), err: () => {} },
    });
    expect(code).toBe(1);
    expect(JSON.parse(out).error.message).toBe(
      `staging/web: ${other} names the cluster staging, which the local AWS at ${t.world.clientEnv().AWS_ENDPOINT_URL} does not have: serve a world that has it (\`npx autopilot local\` serves the demo's prod/web; \`--scenario FILE.yml\` another), or name that world's scenario with --config`,
    );
  });

  it('deploy --dry-run shows the revision as a diff and the steps, and changes nothing', async () => {
    const t = await world();
    const v2 = t.world.ecr.push('web', 'hotfix-2');
    const dry = await cli(t, 'deploy', 'prod/web', '--image', 'web:hotfix-2', '--dry-run');
    expect(dry.code).toBe(0);
    const lines = dry.out.split('\n');
    expect(lines[0]).toBe(`config: ${configFile} (--config)`);
    expect(lines[1]).toMatch(
      /^prod\/web: dry run, nothing changed: would roll out web:hotfix-2 \(sha256:[0-9a-f]{12}\) from web:1$/,
    );
    expect(lines[2]).toBe('new revision of web, from web:1:');
    expect(dry.out).toContain(
      `  containerDefinitions[web].image: "${t.world.ecr.registryHost}/web:v1" -> "${t.world.ecr.registryHost}/web@${v2.digest}"`,
    );
    expect(dry.out).toContain(`  tags[ecs-autopilot:image-digest]: (none) -> "${v2.digest}"`);
    expect(dry.out).toContain('steps (canary): 10% for 2m, 50% for 2m, 100% for 1m');
    expect(dry.out).toContain('rolls back after 1 failed task, 10m per step');
    const asJson = json(await cli(t, 'deploy', 'prod/web', '--image', 'web:hotfix-2', '--dry-run', '--json'));
    expect(asJson).toMatchObject({
      ok: true,
      dryRun: true,
      from: 'web:1',
      strategy: 'canary',
      config: { file: configFile, source: '--config' },
    });
    // No record was written, no revision registered.
    expect(await t.records()).toEqual([]);
    expect((await primary(t)).taskDefinition).toMatch(/web:1$/);
  });

  it('resume of a rollout that is not paused is an error; pause, resume and abort reach Slack', async () => {
    const slack: string[] = [];
    const t = await world({ slack: { print: (text) => slack.push(text) } });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(30_000);
    // A dry run of the image already rolling out says so in a sentence.
    expect((await cli(t, 'deploy', 'prod/web', '--image', 'web:v2', '--dry-run')).out).toMatch(
      /^config: .* \(--config\)\nprod\/web: dry run, nothing changed: would do nothing: web:v2 \(sha256:[0-9a-f]{12}\) is already rolling out\n/,
    );
    const resumed = await cli(t, 'resume', 'prod/web');
    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain(
      'prod/web: nothing to resume: the rollout of web:v2 is not paused (step 1/3 (10%)',
    );
    const before = t.slack!.received.length;
    expect((await cli(t, 'pause', 'prod/web')).code).toBe(0);
    expect((await cli(t, 'pause', 'prod/web')).out).toContain('already paused');
    expect((await cli(t, 'resume', 'prod/web')).code).toBe(0);
    expect((await cli(t, 'abort', 'prod/web', '--reason', 'wrong build')).code).toBe(0);
    const said = t.slack!.received.slice(before).map((r) => JSON.stringify(r.payload));
    expect(said.some((p) => /paused/i.test(p))).toBe(true);
    expect(said.some((p) => /resumed/i.test(p))).toBe(true);
    expect(said.some((p) => /wrong build/.test(p))).toBe(true);

    // Right after the abort: what runs on which revision, not a bare count.
    const status = await cli(t, 'status', 'prod/web', '--json');
    expect(json(status).tasks[0]).toMatchObject({ revision: 'web:1', service: 'primary' });
  });

  it('rollback --to a revision never known good needs --force; history and status say from what, to what, why', async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(30_000);
    expect((await cli(t, 'abort', 'prod/web')).code).toBe(0);
    await t.world.runFor(5 * MIN);
    expect((await primary(t)).taskDefinition).toMatch(/web:1$/);

    await expectFailed(
      cli(t, 'rollback', 'prod/web', '--to', 'web:2'),
      'web:2 was never known good (its rollout of web:v2 aborted: aborted by hand); add --force',
    );
    expect((await record(t)).rollout).toBeUndefined();

    const forced = await cli(
      t,
      'rollback',
      'prod/web',
      '--to',
      'web:2',
      '--force',
      '--reason',
      'v1 leaks memory',
    );
    expect(forced.code).toBe(0);
    expect(forced.err).toContain('warning: web:2 was never known good');
    await t.world.runFor(5 * MIN);
    expect((await primary(t)).taskDefinition).toMatch(/web:2$/);

    const table = (await cli(t, 'history', 'prod/web')).out.split('\n');
    expect(table[1]).toMatch(/ - +web:1 -> web:2 +rolled back by hand +\S+ +v1 leaks memory$/);
    expect(table[2]).toMatch(/web:v2 +web:1 -> web:2 +aborted +\S+ +aborted by hand$/);
    const last = json(await cli(t, 'history', 'prod/web', '--json')).history[0];
    expect(last).toMatchObject({ kind: 'manual_rollback', from: 'web:1', to: 'web:2', runs: 'web:2' });
    expect((await cli(t, 'status', 'prod/web')).out).toMatch(
      /prod\/web: rolled back by hand from web:1 to web:2 at .*, because: v1 leaks memory/,
    );
  });
});

describe('bin/autopilot.js against the local AWS', () => {
  it('status --json and wait run as commands, wait exiting 1 with the reason of a rollback', async () => {
    const t = await world({ images: { 'web:v3': { crash: { after: '20s', exitCode: 1 } } } });
    const status = await child(t, ['status', '--local', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)[0]).toMatchObject({ service: 'prod/web', revision: 'web:1' });

    t.world.ecr.push('web', 'v3');
    await t.world.runFor(5000);
    await expectFailed(
      child(t, ['wait', 'prod/web', '--local', '--interval', '50ms']),
      'prod/web: web:v3 rolled back: 1 new task failed',
    );
  });

  it('--local says what to start when nothing answers', async () => {
    const ran = await new Promise<Ran>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'status', '--local', '--config', configFile],
        { env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
      );
    });
    expect(ran.code).toBe(1);
    expect(ran.err).toContain(
      'autopilot status: nothing answers at http://127.0.0.1:9: start the local AWS with',
    );
  });
});

describe("logs: the Lambdas' log lines from CloudWatch Logs", () => {
  /** A line as a Lambda of the world would have written it, `agoMs` before the world's now. */
  const put = (w: PipelineWorld, fn: string, agoMs: number, fields: Record<string, unknown>) =>
    w.world.logs.put(`/aws/lambda/ecs-autopilot-${fn}`, 'by-test', [
      { timestamp: w.world.now() - agoMs, message: JSON.stringify({ function: fn, ...fields }) },
    ]);

  it("reads the service's lines across the functions, by time, level and function, as text and JSON", async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(3 * MIN);
    put(t, 'alarm', 0, { level: 'error', msg: 'pipeline.error', service: 'prod/web', reason: 'boom' });
    put(t, 'tick', 90 * MIN, { level: 'warn', msg: 'push.missed', service: 'prod/web' });
    put(t, 'tick', 0, { level: 'error', msg: 'pipeline.error', service: 'prod/api' });

    const all = json(await cli(t, 'logs', 'prod/web', '--json'));
    expect(all).toMatchObject({ ok: true, service: 'prod/web', filterPattern: '{ $.service = "prod/web" }' });
    const events = all.events as { at: string; function: string; fields: any }[];
    expect(events.every((e) => e.fields.service === 'prod/web')).toBe(true);
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort());
    expect(events.find((e) => e.fields.msg === 'rollout.started')).toMatchObject({
      function: 'ecrPush',
      fields: { level: 'info', tag: 'v2' },
    });
    expect([...new Set(events.map((e) => e.function))]).toEqual(expect.arrayContaining(['ecrPush', 'alarm']));
    // The line from 90 minutes ago is outside the default hour; --since 2h reaches it.
    expect(events.some((e) => e.fields.msg === 'push.missed')).toBe(false);
    const older = json(await cli(t, 'logs', 'prod/web', '--json', '--since', '2h'));
    expect(older.events.some((e: any) => e.fields.msg === 'push.missed')).toBe(true);

    const errors = await cli(t, 'logs', 'prod/web', '--level', 'error');
    expect(errors.code).toBe(0);
    expect(errors.out).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}alarm +error {2}pipeline\.error {2}prod\/web {2}reason=boom\n$/,
    );

    const text = await cli(t, 'logs', 'prod/web', '--function', 'ecrPush');
    expect(text.out).toMatch(/Z {2}ecrPush +info +rollout\.started {2}prod\/web {2}tag=v2 digest=sha256:/);
    expect(
      text.out
        .split('\n')
        .filter(Boolean)
        .every((l) => / ecrPush /.test(l)),
    ).toBe(true);

    // Every service's lines without a name; none of Lambda's START/END/REPORT lines.
    const everything = await cli(t, 'logs', '--level', 'error');
    expect(everything.out).toContain('pipeline.error  prod/api');
    expect((await cli(t, 'logs', '--since', '10m')).out).not.toMatch(/START RequestId|REPORT RequestId/);
  });

  it('says where it looked when the stack has no log groups, and refuses a bad option', async () => {
    const t = await world();
    let out = '';
    let err = '';
    const code = await runCommand('logs', ['--config', configFile], {
      env: { ...t.world.clientEnv(), AUTOPILOT_TABLE: 'ecs-autopilot-prod' },
      io: { out: (s) => (out += s), err: (s) => (err += s), tty: false },
    });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('no log group /aws/lambda/ecs-autopilot-prod-* in the local AWS at');
    const bad = json(await cli(t, 'logs', '--level', 'loud', '--json'));
    expect(bad).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { kind: 'usage', message: '--level must be one of debug, info, warn, error; got "loud"' },
    });
    await expect(cli(t, 'logs', '--since', '15')).rejects.toThrow('--since: a bare number has no unit');
    expect((await cli(t, 'logs', 'prod/api')).err).toContain('prod/api is not a target');
  });

  it('--follow prints new lines as they come, as bin/autopilot.js (JSON Lines with --json)', async () => {
    const t = await world();
    put(t, 'tick', 0, { level: 'info', msg: 'first', service: 'prod/web' });
    const w = t;
    const proc = spawn(
      process.execPath,
      [
        BIN,
        'logs',
        'prod/web',
        '--follow',
        '--json',
        '--interval',
        '50ms',
        '--config',
        configFile,
        '--local',
      ],
      { env: { ...process.env, ...w.world.clientEnv() } },
    );
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).fields.msg);
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await until(() => lines().length >= 1);
      expect(lines()).toEqual(['first']);
      put(w, 'alarm', 0, { level: 'warn', msg: 'second', service: 'prod/web' });
      put(w, 'alarm', 0, { level: 'warn', msg: 'other', service: 'prod/api' });
      await w.world.runFor(1000);
      put(w, 'tick', 0, { level: 'info', msg: 'third', service: 'prod/web' });
      await until(() => lines().length >= 3);
      expect(lines()).toEqual(['first', 'second', 'third']);
    } finally {
      proc.kill();
    }
  });
});

describe('the example scenarios', () => {
  /** `autopilot sim FILE --json`: the report. */
  const sim = (file: string) =>
    new Promise<any>((resolve, reject) => {
      execFile(
        process.execPath,
        [BIN, 'sim', file, '--json'],
        // Five sims at once on a busy machine: give each the test's whole time.
        { timeout: 230_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${file}: ${stderr}`)) : resolve(JSON.parse(stdout)),
      );
    });
  const outcomes = (report: any) =>
    report.rollouts.map((r: any) => `${r.service} ${r.image} ${r.outcome}: ${r.reason}`);

  it('tell the stories their comments promise', async () => {
    const [demo, gate, linear, rolling, unhealthy] = await Promise.all(
      ['demo', 'gate-alarm', 'linear-rollout', 'rolling-pull-error', 'unhealthy-canary'].map((n) =>
        sim(`scenarios/${n}.yml`),
      ),
    );
    expect(outcomes(demo)).toEqual([
      'prod/web web:v2 succeeded: every step healthy and baked',
      'prod/web web:v3 rolled_back: 1 new task failed: Essential container in task exited (web exit code 1)',
    ]);
    const alarms = demo.events
      .filter((e: any) => e.event['detail-type'] === 'CloudWatch Alarm State Change')
      .map((e: any) => `${e.event.detail.alarmName} ${e.event.detail.state.value}`);
    expect(alarms).toEqual(
      expect.arrayContaining(['web-cpu-high ALARM', 'web-cpu-high OK', 'web-cpu-low ALARM']),
    );
    expect(alarms.indexOf('web-cpu-high ALARM')).toBeLessThan(alarms.indexOf('web-cpu-low ALARM'));

    expect(outcomes(gate)).toEqual([
      expect.stringMatching(
        /^prod\/web web:v2 rolled_back: gate alarm web-canary-cpu-high is in ALARM: Threshold Crossed/,
      ),
    ]);
    expect(outcomes(linear)).toEqual([
      'prod/api api:v2 superseded: superseded by api:v3',
      'prod/api api:v3 succeeded: every step healthy and baked',
    ]);
    expect(linear.rollouts[1].steps).toHaveLength(10);
    expect(outcomes(rolling)).toEqual([
      'prod/worker worker:1.4.1 succeeded: every step healthy and baked',
      expect.stringMatching(
        /^prod\/worker worker:1\.5\.0 rolled_back: \d new tasks? failed: CannotPullContainerError/,
      ),
      'prod/worker worker:1.4.0 ignored: tag "1.4.0" is not above the deployed 1.4.1 (allowDowngrade is false)',
      'prod/worker worker:1.5.1 succeeded: every step healthy and baked',
    ]);
    expect(outcomes(unhealthy)).toEqual([
      expect.stringMatching(
        /^prod\/shop-web shop:v2 rolled_back: 2 new tasks failed: Task failed (ELB|container) health checks/,
      ),
      'prod/shop-worker shop:v2 succeeded: every step healthy and baked',
    ]);
  });
});

// stranger17 08: `promote` of an ecs-canary rollout exited 0 with "app:v2 is on its last step; its
// bake is skipped: step 1/2 (10%), baking, …" though the decision skipped it (ECS times its shifts).
describe("promote under ECS's own strategies", () => {
  const SCENARIO = `
name: ecs-canary promote refused
seed: ecs-promote
clusters: [{ name: prod }]
images: { app:v1: healthy, app:v2: healthy }
targetGroups:
  - { name: api, deregistrationDelay: 10s }
  - { name: api-green, deregistrationDelay: 10s }
services:
  - { cluster: prod, name: api, image: app:v1, desiredCount: 4, targetGroup: api, alternateTargetGroup: api-green, load: 40 }
autopilot:
  targets:
    - { cluster: prod, service: api, repository: app, strategy: ecs-canary, steps: [{ percent: 10, bake: 5m }, { percent: 100, bake: 2m }] }
timeline:
  - { at: 1m, push: app:v2 }
  - { at: 2m30s, cli: { command: promote, service: prod/api } }
until: 20m
`;

  it('is refused with exit 1 and the reason; the rollout goes on at ECS’s pace', async () => {
    const scenario = parseScenario(SCENARIO, { file: 'ecs-promote.yml' });
    const { report } = await runScenario(scenario, { onWorld: withPipeline });
    const r = report as any;
    expect(r.violations).toEqual([]);
    const [plain] = report.timeline.filter((s) => s.action === 'cli').map((s) => s.result as any);
    expect(plain.exitCode).toBe(1);
    expect(plain.output).toMatch(
      /^prod\/api: nothing to promote: ECS times the shifts and bakes of strategy ecs-canary: promote does not apply \(pause, resume and abort do\); the rollout of app:v2 is at step 1\/2 \(10%\)/,
    );
    expect(plain.output).not.toMatch(/last step|skipped/);
    expect(r.rollouts.map((x: any) => [x.image, x.outcome])).toEqual([['app:v2', 'succeeded']]);
  }, 300_000);
});
