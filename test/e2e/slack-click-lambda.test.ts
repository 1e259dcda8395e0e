/**
 * The pipelines that are not the trigger functions', composed as they are outside the local world:
 * the Slack interaction function's, built from its environment (lib/chatops/lambda.ts
 * `interactDeps`, lib/environment-pipeline.ts), and the CLI's (lib/commands/deploy.ts
 * `pipelineFor`). Each must carry the lifecycle hook the stack sets (AUTOPILOT_LIFECYCLE_HOOK_ARN
 * and _ROLE_ARN, serverless.yml), as the trigger functions' does: without it a "Retry this digest"
 * on an ecs-* target was refused ("needs the pipeline's lifecycle hook, and this deployment has none").
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInteractHandler, interactDeps } from '../../lib/chatops/lambda.ts';
import { runCommand } from '../../lib/commands/cli.ts';
import { validateConfig } from '../../lib/config.ts';
import { DEFAULT_SIGNING_SECRET_PARAMETER } from '../../lib/env.ts';
import { setLogSink } from '../../lib/log.ts';
import { attachPipeline, type LocalPipeline } from '../../local/pipeline.ts';
import { ScenarioWorld } from '../../local/scenario/index.ts';
import { parseScenario } from '../../local/scenario/parse.ts';
import { RESPONSE_CHANNEL, slackClicker } from '../../local/slack-click.ts';

const MIN = 60_000;
const SECRET = '8f14e45fceea167a5a36dedd4bea2543-local';
const APPROVER = 'U123APPROVE';

// ECS's canary strategy; web:v2 crashes 20 s after it starts, so the pipeline rolls it back and
// posts "Retry this digest".
const SCENARIO = `
name: ecs-canary retried from Slack
clusters: [{ name: prod }]
images:
  web:v1: healthy
  web:v2: { crash: { after: 20s, exitCode: 1 } }
targetGroups:
  - { name: web, deregistrationDelay: 10s }
  - { name: web-green, deregistrationDelay: 10s }
services:
  - { cluster: prod, name: web, image: web:v1, desiredCount: 2, targetGroup: web, alternateTargetGroup: web-green, load: 20 }
autopilot:
  targets:
    - cluster: prod
      service: web
      repository: web
      tags: { glob: "v*" }
      strategy: ecs-canary
      steps: [{ percent: 50, bake: 5m }, { percent: 100, bake: 2m }]
      buttons: true
      approvers: [${APPROVER}]
timeline:
  - { at: 1m, push: web:v2 }
`;

describe('the Slack click and the CLI on an ecs-* target, each with its own pipeline', () => {
  let play: ScenarioWorld;
  let local: LocalPipeline;
  const savedEnv = { ...process.env };
  const lines: string[] = [];
  let previousSink: (line: string) => void;
  let configFile: string;
  /** The stack's hook and the role ECS invokes it with (the local world's, local/pipeline.ts). */
  let hook: { hookTargetArn: string; roleArn: string };
  const describeWeb = async () =>
    ((await play.world.ecs.operations.DescribeServices!({ cluster: 'prod', services: ['web'] })) as any)
      .services[0];

  beforeAll(async () => {
    previousSink = setLogSink((line) => lines.push(line));
    const scenario = parseScenario(SCENARIO, { file: 'slack-click-lambda.yml' });
    play = await ScenarioWorld.create(scenario);
    await play.world.start();
    await play.world.settle();
    local = await attachPipeline(play.world, validateConfig(scenario.autopilot!.config), {
      slack: { print: false },
    });
    await play.playUntil(scenario.start + 5 * MIN);
    const { world } = play;
    hook = {
      hookTargetArn: world.arn('lambda', 'function:ecs-autopilot-lifecycleHook'),
      roleArn: `arn:aws:iam::${world.account}:role/ecs-autopilot-lifecycle-hook`,
    };
    configFile = join(mkdtempSync(join(tmpdir(), 'autopilot-')), 'scenario.yml');
    writeFileSync(configFile, SCENARIO);
  }, 120_000);

  afterAll(async () => {
    process.env = savedEnv;
    await local?.close();
    await play?.world.stop();
    setLogSink(previousSink);
  });

  it("the CLI: a deploy by hand runs ECS's deployment with the hook the shell has, and is refused without one", async () => {
    const { world } = play;
    expect((await local.store.get('prod', 'web')).history.at(-1)?.outcome).toBe('rolled_back');
    const deploy = async (env: Record<string, string>) => {
      let out = '';
      const code = await runCommand('deploy', ['prod/web', '--image', 'web:v2', '--config', configFile], {
        env: { ...world.clientEnv(), ...env },
        io: { out: (t) => (out += t), err: (t) => (out += t), tty: false },
      });
      return { code, out };
    };
    const before = await describeWeb();
    const refused = await deploy({});
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/needs the pipeline's lifecycle hook.*AUTOPILOT_LIFECYCLE_HOOK_ARN/);
    expect((await describeWeb()).taskDefinition).toBe(before.taskDefinition);

    const ran = await deploy({
      AUTOPILOT_LIFECYCLE_HOOK_ARN: hook.hookTargetArn,
      AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN: hook.roleArn,
    });
    expect(ran).toMatchObject({ code: 0, out: expect.stringMatching(/rolling out web:v2/) });
    const configuration = (await describeWeb()).deploymentConfiguration;
    expect(configuration.strategy).toBe('CANARY');
    expect(configuration.lifecycleHooks.map((h: any) => [h.hookTargetArn, h.roleArn])).toEqual([
      [hook.hookTargetArn, hook.roleArn],
    ]);
    // web:v2 crashes again: rolled back, and Slack has a fresh "Retry this digest".
    await play.playUntil(world.now() + 5 * MIN);
    expect((await local.store.get('prod', 'web')).history.at(-1)?.outcome).toBe('rolled_back');
  });

  it('"Retry this digest" on an ecs-canary target starts ECS\'s deployment with the stack\'s hook', async () => {
    const { world } = play;
    const rolledBack = (await local.store.get('prod', 'web')).history.at(-1);
    expect(rolledBack?.outcome).toBe('rolled_back');

    // The stack's environment (serverless.yml): the world's endpoint, the table, the hook and its role.
    Object.assign(process.env, world.clientEnv(), {
      AUTOPILOT_TABLE: 'ecs-autopilot',
      AUTOPILOT_LIFECYCLE_HOOK_ARN: hook.hookTargetArn,
      AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN: hook.roleArn,
    });
    world.ssm.operations.PutParameter({
      Name: DEFAULT_SIGNING_SECRET_PARAMETER,
      Value: SECRET,
      Type: 'SecureString',
      Overwrite: true,
    });
    const slack = local.slack!;
    const responsePrefix = slack.webhook(RESPONSE_CHANNEL).replace(/\/services\/.*$/, '/services/');
    const handler = createInteractHandler(async () => ({
      ...interactDeps(local.pipeline.config, () => world.now()),
      // The loopback Slack's URLs stand for hooks.slack.com.
      trustResponseUrl: (url: string) => url.startsWith(responsePrefix),
    }));
    const click = slackClicker({
      slack,
      handler: (event) => handler(event, { awsRequestId: 'req-retry' } as never),
      secret: SECRET,
      now: () => world.now(),
      watch: {
        watchCalls: (onCall) => {
          world.interceptors.push(onCall);
          return () => world.interceptors.splice(world.interceptors.indexOf(onCall), 1);
        },
        version: async () => (await local.store.get('prod', 'web')).version,
      },
    });

    const result = await click({ button: 'retry', user: APPROVER });

    expect(result.log.filter((l) => l.startsWith('slack.refused'))).toEqual([]);
    expect(result.log).toContain('slack.acted');
    expect(result.answer).toMatch(/web:v2 .*again/);
    expect(result.writes).toContain('ecs:UpdateService');
    const configuration = (await describeWeb()).deploymentConfiguration;
    expect(configuration.strategy).toBe('CANARY');
    expect(configuration.lifecycleHooks.map((h: any) => [h.hookTargetArn, h.roleArn])).toEqual([
      [hook.hookTargetArn, hook.roleArn],
    ]);
  });
});
