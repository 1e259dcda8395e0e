import { readFileSync } from 'node:fs';
/** Slack request verification, the buttons' values and the approvers' config: the pure parts, table-tested. */
import { describe, expect, it } from 'vitest';
import { chatopsStatements } from '../lib/chatops/deploy.ts';
import {
  isSlackUrl,
  judgePromote,
  parsePayload,
  promoteRefusal,
  staleness,
  updatedMessage,
} from '../lib/chatops/interact.ts';
import { fresh, replayKey, sign, verify } from '../lib/chatops/verify.ts';
import { type ConfigError, validateConfig } from '../lib/config.ts';
import { DEFAULT_SIGNING_SECRET_PARAMETER, readEnv } from '../lib/env.ts';
import type { Notice } from '../lib/notice.ts';
import { newRecord, type Rollout, type ServiceRecord, summarize } from '../lib/record.ts';
import { actionOf, buttonsFor, buttonValue, parseButtonValue } from '../lib/slack/buttons.ts';
import { render } from '../lib/slack/message.ts';

// Slack's worked example, "Verifying requests from Slack"
// (https://api.slack.com/authentication/verifying-requests-from-slack).
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = Number(TIMESTAMP) * 1000;

describe('sign: Slack’s documented example', () => {
  it('gives the signature Slack published', () => {
    expect(sign(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });
});

describe('verify', () => {
  const request = { timestamp: TIMESTAMP, signature: SIGNATURE, body: BODY };
  it.each([
    ['Slack’s example, at its time', request, AT, { ok: true }],
    ['4 minutes later', request, AT + 240_000, { ok: true }],
    ['exactly 5 minutes later', request, AT + 300_000, { ok: true }],
    ['6 minutes later (a replay)', request, AT + 360_000, { ok: false, reason: 'stale' }],
    ['6 minutes before (from the future)', request, AT - 360_000, { ok: false, reason: 'stale' }],
    [
      'one byte of the body changed',
      { ...request, body: BODY.replace('foobar', 'foobaz') },
      AT,
      { ok: false, reason: 'bad_signature' },
    ],
    [
      'the signature in upper-case hex',
      { ...request, signature: SIGNATURE.toUpperCase() },
      AT,
      { ok: false, reason: 'bad_signature' },
    ],
    [
      'a v1 signature',
      { ...request, signature: SIGNATURE.replace('v0=', 'v1=') },
      AT,
      { ok: false, reason: 'bad_signature' },
    ],
    ['a short signature', { ...request, signature: 'v0=a2114d' }, AT, { ok: false, reason: 'bad_signature' }],
    [
      'the timestamp changed (signed for another)',
      { ...request, timestamp: '1531420619' },
      AT,
      { ok: false, reason: 'bad_signature' },
    ],
    [
      'no signature header',
      { ...request, signature: undefined },
      AT,
      { ok: false, reason: 'missing_headers' },
    ],
    [
      'no timestamp header',
      { ...request, timestamp: undefined },
      AT,
      { ok: false, reason: 'missing_headers' },
    ],
    [
      'a timestamp that is not a number',
      { ...request, timestamp: '15314206x8' },
      AT,
      { ok: false, reason: 'bad_timestamp' },
    ],
  ])('%s', (_name, req, now, expected) => {
    expect(verify(req, SECRET, now)).toEqual(expected);
  });

  it('refuses the right request signed with another secret', () => {
    expect(verify(request, 'another-secret-of-32-characters!', AT)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});

describe('fresh: the examples of its comment', () => {
  it.each([
    [TIMESTAMP, AT, true],
    [TIMESTAMP, (1531420618 + 300) * 1000, true],
    [TIMESTAMP, (1531420618 + 301) * 1000, false],
    [TIMESTAMP, (1531420618 - 301) * 1000, false],
    ['15314206x8', AT, false],
    ['', AT, false],
  ])('%s at %d -> %s', (ts, now, expected) => {
    expect(fresh(ts, now)).toBe(expected);
  });
});

describe('replayKey', () => {
  it('names a request by its signature, without carrying it', () => {
    const key = replayKey(SIGNATURE);
    expect(key).toMatch(/^slack-request#[0-9a-f]{64}$/);
    expect(key).not.toContain(SIGNATURE.slice(3));
    expect(replayKey(SIGNATURE)).toBe(key);
    expect(replayKey(SIGNATURE.replace('a2', 'a3'))).not.toBe(key);
  });
});

describe('buttons', () => {
  const v = { target: 'prod/web', rollout: '2026-01-01T09:00:00.000Z-7f5b3c2a9e10' };
  it.each([
    [buttonValue(v), v],
    ['prod/web', undefined],
    ['{"target":"prod/web"}', undefined],
    ['{"target":"prod web","rollout":"x"}', undefined],
    ['{"target":"prod/web","rollout":""}', undefined],
    [42, undefined],
  ])('parseButtonValue(%j)', (value, expected) => {
    expect(parseButtonValue(value)).toEqual(expected);
  });

  it.each([
    ['autopilot.promote', 'promote'],
    ['autopilot.abort', 'abort'],
    ['autopilot.retry', 'retry'],
    ['autopilot.deploy', undefined],
    ['abort', undefined],
    [undefined, undefined],
  ])('actionOf(%j) -> %j', (id, expected) => {
    expect(actionOf(id)).toBe(expected);
  });

  const rollout = {
    id: v.rollout,
    image: { repository: 'web', tag: 'v2', digest: `sha256:${'7f5b'.repeat(16)}`, uri: 'x/web@sha256:7f5b' },
    strategy: 'canary' as const,
    steps: [
      { percent: 10, bakeMs: 60_000 },
      { percent: 100, bakeMs: 60_000 },
    ],
    stepIndex: 0,
    fromTaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
    startedAt: 0,
  };
  const notices: [string, Notice, string[]][] = [
    [
      'started',
      { kind: 'started', rollout, fromTaskDefinition: rollout.fromTaskDefinition },
      ['promote', 'pause', 'abort'],
    ],
    [
      'step',
      { kind: 'step', rollout, stepIndex: 0, percent: 10, canaryTasks: 1, share: 10 },
      ['promote', 'pause', 'abort'],
    ],
    [
      'rolled_back',
      {
        kind: 'rolled_back',
        rollout,
        reason: 'r',
        failures: [],
        toTaskDefinition: rollout.fromTaskDefinition,
      },
      ['retry'],
    ],
    ['succeeded', { kind: 'succeeded', rollout, durationMs: 1 }, []],
    ['paused', { kind: 'paused', rollout }, []],
  ];
  it.each(notices)(
    'a %s message carries %j, each naming the target and the rollout',
    (_k, notice, actions) => {
      const ctx = { cluster: 'prod', service: 'web', region: 'us-east-1', at: 0 };
      const withButtons = render(notice, { ...ctx, buttons: true }).blocks;
      const block = withButtons.find((b) => b.type === 'actions');
      const elements = block?.type === 'actions' ? block.elements : [];
      expect(elements.map((e) => actionOf(e.action_id))).toEqual(actions);
      // Controls carry the step the message showed (a stale Promote is refused); the others do not.
      const want = _k === 'started' || _k === 'step' ? { ...v, step: 0 } : v;
      for (const e of elements) expect(parseButtonValue(e.value)).toEqual(want);
      expect(buttonsFor(notice, 'prod/web') !== undefined).toBe(actions.length > 0);
      // Without the setting, the message is as before: plain webhooks are unchanged.
      expect(render(notice, ctx).blocks.some((b) => b.type === 'actions')).toBe(false);
    },
  );
});

describe('buttons and their handler agree', () => {
  const image = {
    repository: 'web',
    tag: 'v2',
    digest: `sha256:${'7f5b'.repeat(16)}`,
    uri: 'x/web@sha256:7f5b',
  };
  const rollout = (more: Partial<Rollout> = {}): Rollout => ({
    id: '2026-01-01T09:00:00.000Z-7f5b3c2a9e10',
    image,
    strategy: 'canary',
    steps: [
      { percent: 10, bakeMs: 300_000, startedAt: 0, healthyAt: 0 },
      { percent: 100, bakeMs: 120_000 },
    ],
    stepIndex: 0,
    fromTaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2',
    startedAt: 0,
    failures: [],
    ignoredAlarms: [],
    ...more,
  });
  const ended = (outcome: Parameters<typeof summarize>[1], reason: string): ServiceRecord => ({
    ...newRecord('prod', 'web'),
    history: [summarize(rollout(), outcome, reason, 60_000)],
  });
  const value = { target: 'prod/web', rollout: rollout().id };

  // Every rolled_back message carries Retry (buttonsFor); a click on it is taken for every outcome
  // such a message tells (stranger17 07: a Reject at the gate is `aborted`, and was refused).
  it.each([
    ['rolled_back', 'a failed task'],
    ['aborted', 'rejected by U123: from Slack at the approval of step 2 (100%)'],
    ['aborted', 'aborted by hand: wrong build'],
  ] as const)('Retry on a rollout that ended %s (%s) applies', (outcome, reason) => {
    expect(staleness('retry', value, ended(outcome, reason))).toBeUndefined();
  });

  it.each([
    ['succeeded', 'all steps passed'],
    ['superseded', 'superseded by web:v3'],
  ] as const)('Retry on a rollout that %s has no rollback to retry: refused', (outcome, reason) => {
    expect(staleness('retry', value, ended(outcome, reason))).toMatch(
      /not a rollback on record; nothing was done/,
    );
  });

  it('a rolled_back message of a rejected rollout carries Retry', () => {
    const r = rollout();
    const n: Notice = {
      kind: 'rolled_back',
      rollout: r,
      reason: 'rejected by U123',
      failures: [],
      toTaskDefinition: r.fromTaskDefinition,
    };
    const block = buttonsFor(n, 'prod/web');
    expect(block?.elements.map((e) => actionOf(e.action_id))).toEqual(['retry']);
  });

  it("ECS's own strategies: no Promote on their messages (ECS times the shifts), Pause and Abort", () => {
    for (const strategy of ['ecs-canary', 'ecs-linear', 'ecs-blue-green'] as const) {
      const r = rollout({ strategy });
      const started: Notice = { kind: 'started', rollout: r, fromTaskDefinition: r.fromTaskDefinition };
      const step: Notice = { kind: 'step', rollout: r, stepIndex: 0, percent: 10, canaryTasks: 1, share: 10 };
      for (const n of [started, step]) {
        expect(buttonsFor(n, 'prod/web')?.elements.map((e) => actionOf(e.action_id))).toEqual([
          'pause',
          'abort',
        ]);
      }
    }
  });

  // stranger17 08: `promote` of an ecs-canary rollout said "is on its last step; its bake is
  // skipped" (exit 0) though the decision skipped it.
  it('promoteRefusal and judgePromote: the examples of their comments', () => {
    const ecs = rollout({ strategy: 'ecs-canary' });
    expect(promoteRefusal(ecs)).toBe(
      'ECS times the shifts and bakes of strategy ecs-canary: promote does not apply (pause, resume and abort do)',
    );
    expect(promoteRefusal(rollout({ stepIndex: 1 }), 0)).toBe(
      'promote asked at step 1; the rollout is at step 2 now',
    );
    expect(promoteRefusal(rollout())).toBeUndefined();

    const refused = judgePromote(ecs, ecs, 30_000);
    expect(refused.ok).toBe(false);
    expect(refused.text).toMatch(
      /^web:v2 was not promoted: ECS times the shifts and bakes of strategy ecs-canary: promote does not apply \(pause, resume and abort do\); it is at step 1\/2 \(10%\), baking/,
    );
    expect(refused.text).not.toMatch(/last step|skipped/);
    // ECS shifted in the same look: still not the promote's doing.
    expect(judgePromote(ecs, rollout({ strategy: 'ecs-canary', stepIndex: 1 }), 30_000).ok).toBe(false);

    expect(judgePromote(rollout(), rollout({ stepIndex: 1 }), 30_000)).toEqual({
      ok: true,
      text: expect.stringMatching(/^web:v2 promoted to step 2\/2 \(100%\)/),
    });
    const last = rollout({
      stepIndex: 1,
      steps: [
        { percent: 10, bakeMs: 0 },
        { percent: 100, bakeMs: 0, startedAt: 0, healthyAt: 0 },
      ],
    });
    expect(judgePromote(last, last, 30_000)).toEqual({
      ok: true,
      text: expect.stringMatching(/^web:v2 is on its last step; its bake is skipped: step 2\/2/),
    });
    const gated = rollout({
      steps: [
        { percent: 10, bakeMs: 0, startedAt: 0, healthyAt: 0 },
        { percent: 100, bakeMs: 60_000, approve: true },
      ],
    });
    expect(judgePromote(gated, gated, 30_000)).toEqual({
      ok: true,
      text: expect.stringMatching(
        /^web:v2 stays at step 1\/2: step 2 \(100%\) waits for approval \(promote does not skip it\); its bake is skipped/,
      ),
    });
    // A button drawn at step 1 while the rollout was at step 2 (a race past staleness): refused.
    const at2 = rollout({ stepIndex: 1 });
    expect(judgePromote(at2, at2, 30_000, 0).ok).toBe(false);
  });
});

describe('the interaction payload', () => {
  it.each([
    [`payload=${encodeURIComponent('{"type":"block_actions"}')}`, { type: 'block_actions' }],
    ['payload=not-json', undefined],
    ['token=abc', undefined],
    ['', undefined],
  ])('parsePayload(%j)', (body, expected) => {
    expect(parsePayload(body)).toEqual(expected);
  });

  it.each([
    ['https://hooks.slack.com/actions/T1/2/abc', true],
    ['https://hooks.slack.com.evil.example/x', false],
    ['http://hooks.slack.com/actions/T1/2/abc', false],
    ['https://example.com/https://hooks.slack.com/', false],
  ])('isSlackUrl(%s) -> %s', (url, expected) => {
    expect(isSlackUrl(url)).toBe(expected);
  });

  it('an updated message stays within Slack’s 50 blocks however often it is clicked', () => {
    const buttons = { type: 'actions', block_id: 'autopilot-actions', elements: [] };
    let message: { text: string; blocks: any[] } = {
      text: 't',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a' } }],
    };
    for (let i = 0; i < 60; i++) message = updatedMessage(message, { line: `click ${i}`, buttons }) as any;
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'a' } });
    expect(message.blocks.at(-2).elements[0].text).toBe('click 59');
    expect(message.blocks.filter((b) => b.type === 'actions')).toHaveLength(1);
  });

  it('an updated message keeps its blocks, drops the old buttons and says who did what', () => {
    const original = {
      text: 'prod/web: rolling out',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'a' } },
        { type: 'actions', block_id: 'autopilot-actions', elements: [] },
      ],
    };
    const out = updatedMessage(original, { line: 'Paused by <@U1>' });
    expect(out.text).toBe('prod/web: rolling out');
    expect(out.blocks).toEqual([
      original.blocks[0],
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Paused by <@U1>' }] },
    ]);
  });
});

describe('approvers in the config', () => {
  const web = { cluster: 'prod', service: 'web', repository: 'web' };
  it('reads user and user-group IDs per target, and from defaults', () => {
    const config = validateConfig({
      defaults: { approvers: ['S0ABCDEF12'], buttons: true },
      targets: [web, { ...web, service: 'api', approvers: ['U012ABCDEF', 'W0123ABCD'] }],
    });
    expect(config.targets.map((t) => [t.approvers, t.buttons])).toEqual([
      [['S0ABCDEF12'], true],
      [['U012ABCDEF', 'W0123ABCD'], true],
    ]);
  });

  it('nobody, and no buttons, when unset', () => {
    const [t] = validateConfig({ targets: [web] }).targets;
    expect(t!.approvers).toBeUndefined();
    expect(t!.buttons).toBeUndefined();
  });

  it('names each bad entry by its path', () => {
    let err: ConfigError | undefined;
    try {
      validateConfig({
        defaults: { approvers: 'U012ABCDEF' },
        targets: [{ ...web, approvers: ['alice', 'U012ABCDEF', 7], buttons: 'yes' }],
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.problems.map((p) => p.path)).toEqual([
      'defaults.approvers',
      'targets[0].approvers[0]',
      'targets[0].approvers[2]',
      'targets[0].buttons',
    ]);
    expect(err?.problems[1]?.message).toMatch(/Slack user ID \(U… or W…\) or user-group ID \(S…\)/);
  });
});

describe('one way to configure: the Slack buttons’ settings', () => {
  it('the signing secret parameter defaults to what serverless.yml deploys; the bot token to none', () => {
    const yml = readFileSync(new URL('../serverless.yml', import.meta.url), 'utf8');
    expect(yml).toContain(`\${param:slackSigningSecretParameter, '${DEFAULT_SIGNING_SECRET_PARAMETER}'}`);
    expect(readEnv({})).toMatchObject({ signingSecretParameter: '/ecs-autopilot/slack-signing-secret' });
    expect(readEnv({}).botTokenParameter).toBeUndefined();
    expect(readEnv({ AUTOPILOT_SLACK_BOT_TOKEN_PARAMETER: '' }).botTokenParameter).toBeUndefined();
    expect(
      readEnv({
        AUTOPILOT_SLACK_SIGNING_SECRET_PARAMETER: '/t/s',
        AUTOPILOT_SLACK_BOT_TOKEN_PARAMETER: '/t/b',
      }),
    ).toMatchObject({ signingSecretParameter: '/t/s', botTokenParameter: '/t/b' });
  });

  it('the function’s own statements name the parameters it reads, and only those', () => {
    const arnOf = (name: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${name}`,
    });
    const base = {
      service: 'ecs-autopilot',
      stage: 'prod',
      signingSecretParameter: '/ecs-autopilot/slack-signing-secret',
    };
    expect(chatopsStatements(base)[0]!.Resource).toEqual([arnOf('ecs-autopilot/slack-signing-secret')]);
    expect(chatopsStatements({ ...base, botTokenParameter: '' })[0]!.Resource).toHaveLength(1);
    expect(
      chatopsStatements({ ...base, botTokenParameter: '/ecs-autopilot/slack-bot-token' })[0]!.Resource,
    ).toEqual([arnOf('ecs-autopilot/slack-signing-secret'), arnOf('ecs-autopilot/slack-bot-token')]);
    expect(() => chatopsStatements({ ...base, signingSecretParameter: 'a b' })).toThrow(
      /not an SSM parameter name/,
    );
  });
});
