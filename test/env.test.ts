/** One way to configure: lib/env.ts reads every variable, with the defaults serverless.yml sets for `dev`. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connection, tableOf } from '../lib/commands/env.ts';
import { DEFAULT_REGION, DEFAULT_TABLE, DEFAULT_WEBHOOK_PARAMETER, logLevel, readEnv } from '../lib/env.ts';

const yml = readFileSync(new URL('../serverless.yml', import.meta.url), 'utf8');
const one = (re: RegExp) => {
  const m = re.exec(yml);
  if (!m) throw new Error(`serverless.yml has no ${re}`);
  return m[1]!;
};

describe('the defaults are what serverless.yml deploys for the dev stage', () => {
  it('the table: the service name, a dash, the default stage', () => {
    expect(yml).toMatch(/^\s+TableName: \$\{self:service\}-\$\{sls:stage\}$/m);
    const table = `${one(/^service: (\S+)$/m)}-${one(/stage: \$\{opt:stage, '([^']+)'\}/)}`;
    expect(DEFAULT_TABLE).toBe(table);
    expect(readEnv({}).table).toBe(table);
  });

  it('the Slack parameter and the region', () => {
    expect(one(/slackWebhookParameter: \$\{param:slackWebhookParameter, '([^']+)'\}/)).toBe(
      DEFAULT_WEBHOOK_PARAMETER,
    );
    expect(one(/region: \$\{param:region, '([^']+)'\}/)).toBe(DEFAULT_REGION);
    expect(readEnv({})).toMatchObject({ slackParameter: DEFAULT_WEBHOOK_PARAMETER, region: DEFAULT_REGION });
  });
});

describe('the CLI reads the same variables through readEnv (lib/commands/env.ts)', () => {
  it.each([
    [{}, undefined, 'ecs-autopilot-dev'],
    [{}, 'http://127.0.0.1:4566', 'ecs-autopilot'],
    [{ AUTOPILOT_TABLE: 'ecs-autopilot-prod' }, undefined, 'ecs-autopilot-prod'],
    [{ AUTOPILOT_TABLE: 'ecs-autopilot-prod' }, 'http://127.0.0.1:4566', 'ecs-autopilot-prod'],
  ])('tableOf(%j, %s) -> %s', (env, endpoint, table) => {
    expect(tableOf(env, endpoint)).toBe(table);
  });

  it("against real AWS its table is the deployed stack's default, and it has the Lambdas' Slack parameter and hook", () => {
    const hook = { hookTargetArn: 'arn:aws:lambda:us-east-1:1:function:h', roleArn: 'arn:aws:iam::1:role/r' };
    const c = connection(
      {},
      {
        AWS_REGION: 'eu-west-1',
        AUTOPILOT_SLACK_PARAMETER: '/team/hook',
        AUTOPILOT_LIFECYCLE_HOOK_ARN: hook.hookTargetArn,
        AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN: hook.roleArn,
      },
    );
    expect(c.table).toBe(DEFAULT_TABLE);
    expect(c.settings).toMatchObject({ slackParameter: '/team/hook', lifecycleHook: hook });
  });
});

describe('readEnv: the examples of its comment', () => {
  it.each([
    [{}, { table: 'ecs-autopilot-dev', region: 'us-east-1', logLevel: 'info' }],
    [{ AUTOPILOT_TABLE: 'ecs-autopilot-prod' }, { table: 'ecs-autopilot-prod' }],
    [{ AUTOPILOT_TABLE: '' }, { table: 'ecs-autopilot-dev' }],
    [
      { AWS_REGION: 'eu-west-1', AUTOPILOT_SLACK_PARAMETER: '/team/hook' },
      { region: 'eu-west-1', slackParameter: '/team/hook' },
    ],
  ])('%j -> %j', (source, expected) => {
    expect(readEnv(source)).toMatchObject(expected);
  });

  it.each([
    ['debug', 'debug'],
    ['error', 'error'],
    ['loud', 'info'],
    [undefined, 'info'],
  ])('log level %s -> %s', (level, expected) => {
    expect(logLevel({ AUTOPILOT_LOG_LEVEL: level })).toBe(expected);
  });
});

describe("AUTOPILOT_PACKAGED_AT: the sweep's first look starts from the package", () => {
  it.each([
    [{ AUTOPILOT_PACKAGED_AT: '2026-12-05T17:00:00.000Z' }, 1_796_490_000_000],
    [{}, undefined],
    [{ AUTOPILOT_PACKAGED_AT: '' }, undefined],
  ])('%j -> %s', (source, expected) => {
    expect(readEnv(source).packagedAt).toBe(expected);
  });

  it.each(['soon', '1796490000000', '2026-13-45T99:00:00Z'])(
    '%s is refused with the variable named',
    (value) => {
      expect(() => readEnv({ AUTOPILOT_PACKAGED_AT: value })).toThrow(
        /AUTOPILOT_PACKAGED_AT must be an ISO 8601 time .* got "/,
      );
    },
  );

  it('serverless.yml gives it to the tick, from the package script', () => {
    expect(yml).toMatch(/^ {6}AUTOPILOT_PACKAGED_AT: \$\{self:custom\.autopilot\.packagedAt\}$/m);
  });
});
