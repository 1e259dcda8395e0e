/**
 * The `notifications:` section of autopilot.yml and a target's override: routing, noise control,
 * and errors named by their path like the rest of the config.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  type NotificationKind,
  validateConfig,
  webhookParameters,
  webhooksFor,
} from '../lib/config.ts';
import { parseConfig } from '../lib/config-file.ts';

const web = { cluster: 'prod', service: 'web', repository: 'web' };
const api = { cluster: 'prod', service: 'api', repository: 'api' };
const DEFAULT = '/ecs-autopilot/slack-webhook-url';

function routes(raw: Record<string, unknown>, kinds: NotificationKind[], target = 0) {
  const config = validateConfig(raw);
  return Object.fromEntries(kinds.map((k) => [k, webhooksFor(config, config.targets[target]!, k, DEFAULT)]));
}

function problems(raw: unknown): [string, string][] {
  try {
    validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => [p.path, p.message]);
    throw e;
  }
  return [];
}

describe('routing', () => {
  it('without the section: every kind but ignored to the default webhook', () => {
    expect(
      routes({ targets: [web] }, ['started', 'step', 'rolled_back', 'scaled', 'error', 'ignored']),
    ).toEqual({
      started: [DEFAULT],
      step: [DEFAULT],
      rolled_back: [DEFAULT],
      scaled: [DEFAULT],
      error: [DEFAULT],
      ignored: [],
    });
  });

  it('steps: false switches step messages off; kinds says which kinds are sent at all', () => {
    expect(routes({ notifications: { steps: false }, targets: [web] }, ['step', 'started'])).toEqual({
      step: [],
      started: [DEFAULT],
    });
    expect(
      routes({ notifications: { kinds: ['rolled_back', 'ignored'] }, targets: [web] }, [
        'started',
        'rolled_back',
        'ignored',
      ]),
    ).toEqual({
      started: [],
      rolled_back: [DEFAULT],
      ignored: [DEFAULT],
    });
  });

  it('routes send a kind to other webhooks instead; a target’s own keys replace the section’s', () => {
    const raw = {
      notifications: {
        webhook: '/slack/all',
        routes: { rolled_back: ['/slack/oncall', '/slack/all'], error: '/slack/oncall' },
      },
      targets: [{ ...web, notifications: { webhook: '/slack/web', steps: false } }, api],
    };
    expect(routes(raw, ['started', 'step', 'rolled_back', 'error'], 0)).toEqual({
      started: ['/slack/web'],
      step: [],
      rolled_back: ['/slack/oncall', '/slack/all'],
      error: ['/slack/oncall'],
    });
    expect(routes(raw, ['started', 'step'], 1)).toEqual({ started: ['/slack/all'], step: ['/slack/all'] });
    expect(webhookParameters(validateConfig(raw), DEFAULT)).toEqual([
      '/slack/all',
      '/slack/oncall',
      '/slack/web',
    ]);
  });

  it('notifications: false sends nothing, for all or for one target; defaults may carry a target’s settings', () => {
    expect(routes({ notifications: false, targets: [web] }, ['rolled_back', 'error'])).toEqual({
      rolled_back: [],
      error: [],
    });
    const raw = {
      defaults: { notifications: false },
      targets: [web, { ...api, notifications: { webhook: '/slack/api' } }],
    };
    expect(routes(raw, ['started'], 0)).toEqual({ started: [] });
    expect(routes(raw, ['started'], 1)).toEqual({ started: ['/slack/api'] });
    expect(webhookParameters(validateConfig({ notifications: false, targets: [web] }), DEFAULT)).toEqual([]);
  });

  it('leaves the config as it was when there is no section (no key is added)', () => {
    const config = validateConfig({ targets: [web] });
    expect('notifications' in config).toBe(false);
    expect('notifications' in config.targets[0]!).toBe(false);
  });
});

describe('problems, named by their path', () => {
  it.each([
    [
      'a kind with a typo',
      { notifications: { kinds: ['started', 'rolledback'] }, targets: [web] },
      [
        [
          'notifications.kinds[1]',
          'must be one of started, step, succeeded, rolled_back, superseded, scaled, paused, resumed, approval, approved, frozen, ignored, error (did you mean rolled_back?), got "rolledback"',
        ],
      ],
    ],
    [
      'steps that is not a boolean',
      { notifications: { steps: 'no' }, targets: [web] },
      [['notifications.steps', 'must be true or false, got "no"']],
    ],
    [
      'a route for an unknown kind, and an empty one',
      { notifications: { routes: { 'rolled-back': '/a', error: [] } }, targets: [web] },
      [
        [
          'notifications.routes.rolled-back',
          expect.stringMatching(/^unknown key \(did you mean rolled_back\?\)/),
        ],
        ['notifications.routes.error', expect.stringMatching(/^must name at least one webhook parameter/)],
      ],
    ],
    [
      'an unknown key in a target’s block',
      { targets: [{ ...web, notifications: { channel: '#deploys' } }] },
      [
        [
          'targets[0].notifications.channel',
          expect.stringMatching(/^unknown key; allowed here: webhook, kinds, steps, routes/),
        ],
      ],
    ],
    [
      'a name that is not an SSM parameter name',
      { notifications: { webhook: 'slack webhook' }, targets: [web] },
      [['notifications.webhook', expect.stringMatching(/^must be an SSM parameter name/)]],
    ],
    [
      'the section as a list',
      { notifications: ['/a'], targets: [web] },
      [['notifications', 'must be false, or a mapping of webhook, kinds, steps and routes, got ["/a"]']],
    ],
  ])('%s', (_name, raw, expected) => {
    expect(problems(raw)).toEqual(expected);
  });

  it('a webhook URL written in the file is refused without repeating it (it is a secret)', () => {
    const url = 'https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx';
    const text = [
      'notifications:',
      `  webhook: ${url}`,
      'targets:',
      '  - { cluster: prod, service: web, repository: web }',
    ].join('\n');
    let err: ConfigError | undefined;
    try {
      parseConfig(text, 'autopilot.yml');
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.problems).toEqual([
      {
        path: 'notifications.webhook',
        line: 2,
        message: expect.stringMatching(
          /^must be the name of the SSM parameter that holds the webhook URL, not the URL/,
        ),
      },
    ]);
    expect(err?.message).not.toContain('abcdefghijklmnopqrstuvwx');
  });
});
