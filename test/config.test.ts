import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type Config,
  ConfigError,
  matchesGateAlarm,
  type TargetConfig,
  targetFor,
  targetsForRepository,
  validateConfig,
} from '../lib/config.ts';
import { loadConfig, parseConfig } from '../lib/config-file.ts';

const m = 60_000;
const web = { cluster: 'prod', service: 'web', repository: 'web' };

/** What a target gets for every field it leaves out. */
const UNTUNED = {
  tags: { kind: 'any', prerelease: false, allowLatest: false },
  strategy: 'canary',
  steps: [
    { percent: 10, bakeMs: 5 * m },
    { percent: 50, bakeMs: 5 * m },
    { percent: 100, bakeMs: 2 * m },
  ],
  gateAlarms: [],
  failedTasks: 1,
  stepDeadlineMs: 15 * m,
  rollbackDeadlineMs: 15 * m,
  maxSurgePercent: 100,
  missedPushCheckMs: 5 * m,
  approvalTimeoutMs: 24 * 60 * m,
  onApprovalTimeout: 'rollback',
} satisfies Omit<TargetConfig, 'cluster' | 'service' | 'repository'>;

/** The paths of every problem in `raw`, in the order reported. */
function problemPaths(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.path);
    throw err;
  }
  return [];
}

function onlyTarget(raw: unknown): TargetConfig {
  const config = validateConfig(raw);
  expect(config.targets).toHaveLength(1);
  return config.targets[0]!;
}

describe('the example autopilot.yml', () => {
  it('parses to the documented target', async () => {
    const config = await loadConfig(fileURLToPath(new URL('../autopilot.yml', import.meta.url)));
    expect(config).toEqual({
      targets: [
        {
          ...UNTUNED,
          cluster: 'prod',
          service: 'web',
          container: 'web',
          repository: 'web',
          tags: { kind: 'glob', glob: 'v*', prerelease: false, allowLatest: false },
        },
      ],
    } satisfies Config);
  });
});

describe('defaults', () => {
  it('fills every field a minimal target leaves out', () => {
    expect(onlyTarget({ targets: [web] })).toEqual({ ...web, ...UNTUNED });
  });

  it('takes a field from defaults unless the target sets it, whole (lists are replaced, not merged)', () => {
    const config = validateConfig({
      defaults: { container: 'app', gateAlarms: ['shared-5xx'], failedTasks: 3, tags: { semver: '>=1' } },
      targets: [web, { ...web, service: 'api', gateAlarms: ['api-*'], tags: { glob: 'v*' } }],
    });
    const [first, second] = config.targets;
    expect(first).toMatchObject({ container: 'app', gateAlarms: ['shared-5xx'], failedTasks: 3 });
    expect(first!.tags).toEqual({
      kind: 'semver',
      semver: '>=1',
      comparators: [['>=1.0.0']],
      prerelease: false,
      allowDowngrade: false,
    });
    expect(second).toMatchObject({ container: 'app', gateAlarms: ['api-*'], failedTasks: 3 });
    expect(second!.tags).toEqual({ kind: 'glob', glob: 'v*', prerelease: false, allowLatest: false });
  });

  it('a target naming its strategy takes none of the defaults steps or options', () => {
    const config = validateConfig({
      defaults: { strategy: 'linear', linear: { stepPercent: 50, bake: '2m' } },
      targets: [
        web,
        { ...web, service: 'api', strategy: 'rolling' },
        { ...web, service: 'jobs', strategy: 'linear' },
      ],
    });
    expect(config.targets.map((t) => [t.strategy, t.steps])).toEqual([
      [
        'linear',
        [
          { percent: 50, bakeMs: 2 * m },
          { percent: 100, bakeMs: 2 * m },
        ],
      ],
      ['rolling', [{ percent: 100, bakeMs: 5 * m }]],
      ['linear', Array.from({ length: 10 }, (_, i) => ({ percent: (i + 1) * 10, bakeMs: m }))],
    ]);
  });

  it('a target giving only steps keeps the defaults strategy', () => {
    const target = onlyTarget({
      defaults: { strategy: 'linear' },
      targets: [{ ...web, steps: [{ percent: 50, bake: '1m' }, { percent: 100 }] }],
    });
    expect(target.strategy).toBe('linear');
    expect(target.steps).toEqual([
      { percent: 50, bakeMs: m },
      { percent: 100, bakeMs: 0 },
    ]);
  });

  it('expands presets', () => {
    expect(onlyTarget({ targets: [{ ...web, strategy: 'Canary10Percent15Minutes' }] })).toMatchObject({
      strategy: 'canary',
      steps: [
        { percent: 10, bakeMs: 15 * m },
        { percent: 100, bakeMs: 0 },
      ],
    });
  });
});

describe('validation names the path of every problem', () => {
  const t = (extra: Record<string, unknown>) => ({ targets: [{ ...web, ...extra }] });
  it.each<[string, unknown, string[]]>([
    ['not a mapping', ['targets'], ['']],
    ['empty file', null, ['']],
    ['targets missing', {}, ['targets']],
    ['targets empty', { targets: [] }, ['targets']],
    ['targets not a list', { targets: web }, ['targets']],
    ['unknown top-level key', { targets: [web], slack: {} }, ['slack']],
    ['target not a mapping', { targets: ['prod/web'] }, ['targets[0]']],
    [
      'required fields missing',
      { targets: [{ container: 'web' }] },
      ['targets[0].cluster', 'targets[0].service', 'targets[0].repository'],
    ],
    ['cluster not a string', t({ cluster: 7 }), ['targets[0].cluster']],
    [
      'service an ARN',
      t({ service: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web' }),
      ['targets[0].service'],
    ],
    ['container empty', t({ container: '' }), ['targets[0].container']],
    [
      'repository a URI',
      t({ repository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web' }),
      ['targets[0].repository'],
    ],
    ['repository uppercase', t({ repository: 'Web' }), ['targets[0].repository']],
    ['unknown target key', t({ image: 'web' }), ['targets[0].image']],
    [
      'percent out of range',
      t({ steps: [{ percent: 0, bake: '1m' }, { percent: 100 }] }),
      ['targets[0].steps[0].percent'],
    ],
    [
      'steps not strictly increasing',
      t({ steps: [{ percent: 50, bake: '1m' }, { percent: 20, bake: '1m' }, { percent: 100 }] }),
      ['targets[0].steps[1].percent'],
    ],
    [
      'last step not 100',
      t({
        steps: [
          { percent: 10, bake: '1m' },
          { percent: 90, bake: '1m' },
        ],
      }),
      ['targets[0].steps[1].percent'],
    ],
    [
      'bake malformed',
      t({ steps: [{ percent: 10, bake: '5 min' }, { percent: 100 }] }),
      ['targets[0].steps[0].bake'],
    ],
    ['stepDeadline malformed', t({ stepDeadline: 'a while' }), ['targets[0].stepDeadline']],
    ['stepDeadline zero', t({ stepDeadline: '0s' }), ['targets[0].stepDeadline']],
    ['failedTasks zero', t({ failedTasks: 0 }), ['targets[0].failedTasks']],
    ['failedTasks fractional', t({ failedTasks: 1.5 }), ['targets[0].failedTasks']],
    ['failedTasks text', t({ failedTasks: '1' }), ['targets[0].failedTasks']],
    ['invalid regex', t({ tags: { regex: '[a-' } }), ['targets[0].tags.regex']],
    ['invalid semver range', t({ tags: { semver: '>=1.2.0 <<2' } }), ['targets[0].tags.semver']],
    ['empty glob', t({ tags: { glob: '' } }), ['targets[0].tags.glob']],
    ['glob and regex', t({ tags: { glob: 'v*', regex: '^v' } }), ['targets[0].tags']],
    ['unknown tags key', t({ tags: { glob: 'v*', pre: true } }), ['targets[0].tags.pre']],
    ['unknown strategy', t({ strategy: 'blue-green' }), ['targets[0].strategy']],
    [
      'preset with steps',
      t({ strategy: 'Canary10Percent5Minutes', steps: [{ percent: 100 }] }),
      ['targets[0].steps'],
    ],
    ['rolling with steps', t({ strategy: 'rolling', steps: [{ percent: 100 }] }), ['targets[0].steps']],
    ['linear options on canary', t({ linear: { stepPercent: 10 } }), ['targets[0].linear']],
    ['gateAlarms not a list', t({ gateAlarms: 'web-5xx' }), ['targets[0].gateAlarms']],
    ['gate alarm * inside', t({ gateAlarms: ['web-5xx', 'web-*-latency'] }), ['targets[0].gateAlarms[1]']],
    ['gate alarm lone *', t({ gateAlarms: ['*'] }), ['targets[0].gateAlarms[0]']],
    ['gate alarm empty', t({ gateAlarms: [''] }), ['targets[0].gateAlarms[0]']],
    ['duplicate target', { targets: [web, { ...web, repository: 'other' }] }, ['targets[1]']],
    ['defaults not a mapping', { defaults: [], targets: [web] }, ['defaults']],
    ['identity in defaults', { defaults: { cluster: 'prod' }, targets: [web] }, ['defaults.cluster']],
    ['unknown defaults key', { defaults: { stratgy: 'canary' }, targets: [web] }, ['defaults.stratgy']],
    // A problem in defaults is reported once, under defaults, however many targets read it.
    [
      'defaults problem read by two targets',
      { defaults: { failedTasks: -1 }, targets: [web, { ...web, service: 'api' }] },
      ['defaults.failedTasks'],
    ],
    [
      'defaults problem with no targets',
      { defaults: { stepDeadline: 'soon' } },
      ['defaults.stepDeadline', 'targets'],
    ],
    [
      'defaults preset with target steps',
      { defaults: { strategy: 'Canary10Percent5Minutes' }, targets: [{ ...web, steps: [{ percent: 100 }] }] },
      ['targets[0].steps'],
    ],
  ])('%s', (_name, raw, paths) => {
    expect(problemPaths(raw)).toEqual(paths);
  });

  it('collects every problem of every target, each once', () => {
    expect(
      problemPaths({
        targets: [
          { cluster: 'prod', service: 'web', repository: 'web', failedTasks: 0, tags: { semver: 'one' } },
          {
            cluster: 'prod',
            repository: 'api',
            strategy: 'Linear10PercentEvery1Minutes',
            stepDeadline: '-1m',
          },
        ],
      }),
    ).toEqual([
      'targets[0].tags.semver',
      'targets[0].failedTasks',
      'targets[1].service',
      'targets[1].strategy',
      'targets[1].stepDeadline',
    ]);
  });
});

describe('ConfigError', () => {
  it('lists every problem as "<file>: <path>: <message>"', () => {
    const err = catchError(() =>
      validateConfig(
        { targets: [{ ...web, failedTasks: 0, strategy: 'rolling', steps: [] }] },
        'autopilot.yml',
      ),
    );
    expect(err.name).toBe('ConfigError');
    expect(err.file).toBe('autopilot.yml');
    expect(err.message).toBe(
      [
        'autopilot.yml: targets[0].steps: must be a non-empty list of steps such as { percent: 10, bake: 5m }, the last at 100',
        'autopilot.yml: targets[0].steps: does not apply to strategy: rolling, which watches one ECS rolling update; set rolling.bake for the watch after it',
        'autopilot.yml: targets[0].failedTasks: must be a whole number of 1 or more, got 0',
      ].join('\n'),
    );
  });

  it('suggests the key a typo meant, and lists the allowed ones', () => {
    const err = catchError(() => validateConfig({ targets: [{ ...web, gateAlarm: [] }] }));
    expect(err.problems).toEqual([
      {
        path: 'targets[0].gateAlarm',
        message:
          'unknown key (did you mean gateAlarms?); allowed here: cluster, service, repository, container, tags, ' +
          'strategy, steps, linear, rolling, gateAlarms, failedTasks, stepDeadline, rollbackDeadline, maxSurge, missedPushCheck, notifications, scaling, approvers, buttons, approval, approvalTimeout, onApprovalTimeout, freeze, traffic, loadBalancers, canaryTargetGroup',
      },
    ]);
    expect(catchError(() => validateConfig({ targets: [{ ...web, alarms: [] }] })).message).toContain(
      'did you mean gateAlarms?',
    );
    expect(catchError(() => validateConfig({ targets: [{ ...web, xyz: 1 }] })).message).not.toContain(
      'did you mean',
    );
  });

  it('names a duplicate target and where it was first', () => {
    const err = catchError(() => validateConfig({ targets: [web, { ...web, container: 'x' }] }));
    expect(err.problems[0]!.message).toBe('deploys prod/web again (see targets[0]): one target per service');
  });
});

describe('parseConfig', () => {
  it('reports the line of each problem, in the order of the file', () => {
    const text = [
      'targets:', // 1
      '  - cluster: prod', // 2
      '    service: web', // 3
      '    repository: web', // 4
      '    steps:', // 5
      '      - { percent: 10, bake: 5m }', // 6
      '      - { percent: 150, bake: 5m }', // 7
      '    tags:', // 8
      '      semver: ">=1.2.0 <<2"', // 9
      '    colour: blue', // 10
    ].join('\n');
    const err = catchError(() => parseConfig(text, 'autopilot.yml'));
    expect(err.problems).toEqual([
      { path: 'targets[0].steps[1].percent', message: 'must be above 0 and at most 100, got 150', line: 7 },
      { path: 'targets[0].tags.semver', message: expect.stringContaining('not a semver range'), line: 9 },
      { path: 'targets[0].colour', message: expect.stringContaining('unknown key'), line: 10 },
    ]);
    expect(err.message).toContain(
      'autopilot.yml: targets[0].steps[1].percent: must be above 0 and at most 100, got 150 (line 7)',
    );
  });

  it('points a missing field at its target', () => {
    const err = catchError(() => parseConfig('targets:\n  - cluster: prod\n    repository: web\n'));
    expect(err.problems).toEqual([
      { path: 'targets[0].service', message: 'is required: the ECS service name', line: 2 },
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = catchError(() => parseConfig('targets:\n  - cluster: prod\n    cluster: dev\n', 'a.yml'));
    expect(err.problems).toEqual([{ path: '', message: 'invalid YAML: Map keys must be unique', line: 3 }]);
    expect(err.message).toBe('a.yml: invalid YAML: Map keys must be unique (line 3)');
  });

  it('reads YAML 1.2: yes is text, 1.10 is a number', () => {
    const err = catchError(() =>
      parseConfig(
        'targets:\n  - {cluster: prod, service: web, repository: web, tags: {semver: 1.10, prerelease: yes}}',
      ),
    );
    expect(err.problems.map((p) => [p.path, p.message])).toEqual([
      ['targets[0].tags.semver', 'must be a string in quotes (YAML reads 1.10 as the number 1.1), got 1.1'],
      ['targets[0].tags.prerelease', 'must be true or false, got "yes"'],
    ]);
  });

  it('accepts anchors and merge keys', () => {
    const config = parseConfig(
      [
        'targets:',
        '  - &web { cluster: prod, service: web, repository: web, failedTasks: 2 }',
        '  - { <<: *web, service: api }',
      ].join('\n'),
    );
    expect(config.targets.map((t) => [t.service, t.failedTasks])).toEqual([
      ['web', 2],
      ['api', 2],
    ]);
  });
});

describe('loadConfig', () => {
  it('fails with a ConfigError naming a file it cannot read', async () => {
    const err = await loadConfig('/nonexistent/autopilot.yml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^\/nonexistent\/autopilot\.yml: cannot be read: ENOENT/);
  });
});

describe('lookups', () => {
  const config = validateConfig({
    targets: [
      { ...web, gateAlarms: ['web-5xx', 'web-latency-*'] },
      { ...web, cluster: 'staging' },
      { ...web, service: 'api', repository: 'api' },
    ],
  });

  it('targetsForRepository finds every target a repository feeds', () => {
    expect(targetsForRepository(config, 'web').map((t) => `${t.cluster}/${t.service}`)).toEqual([
      'prod/web',
      'staging/web',
    ]);
    expect(targetsForRepository(config, 'nothing')).toEqual([]);
  });

  it.each([
    ['prod', 'web', 'prod/web'],
    ['staging', 'web', 'staging/web'],
    [
      'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      'arn:aws:ecs:eu-west-1:123456789012:service/prod/api',
      'prod/api',
    ],
    [
      'arn:aws:ecs:eu-west-1:123456789012:cluster/staging',
      'arn:aws:ecs:eu-west-1:123456789012:service/web',
      'staging/web',
    ],
    ['staging', 'api', undefined],
  ])('targetFor(%s, %s) -> %s', (cluster, service, expected) => {
    const target = targetFor(config, cluster, service);
    expect(target && `${target.cluster}/${target.service}`).toBe(expected);
  });

  it.each([
    ['web-5xx', true],
    ['web-5xx-canary', false],
    ['web-latency-p99', true],
    ['web-latency-', true],
    ['web-latency', false],
    ['api-5xx', false],
  ])('matchesGateAlarm(%s) -> %s', (name, expected) => {
    expect(matchesGateAlarm(config.targets[0]!, name)).toBe(expected);
  });
});

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('canary service names', () => {
  it('refuses a target named like another target’s canary service', () => {
    const base = { cluster: 'prod', repository: 'web' };
    expect(() =>
      validateConfig({
        targets: [
          { ...base, service: 'web' },
          { ...base, service: 'web-canary' },
        ],
      }),
    ).toThrow(/targets\[1\]\.service: web-canary is the name of the canary service of targets\[0\] \(web\)/);
    expect(() =>
      validateConfig({
        targets: [
          { ...base, service: 'web' },
          { ...base, cluster: 'staging', service: 'web-canary' },
        ],
      }),
    ).not.toThrow();
  });
});

describe('scaling section', () => {
  const base = { cluster: 'prod', service: 'web', repository: 'web' };
  it('is read into the target', () => {
    const config = validateConfig({
      targets: [
        {
          ...base,
          scaling: { min: 2, max: 8, cooldown: { out: '2m' }, rules: [{ alarm: 'cpu-high', adjust: '+2' }] },
        },
      ],
    });
    expect(config.targets[0]?.scaling).toMatchObject({
      min: 2,
      max: 8,
      outCooldownMs: 120_000,
      inCooldownMs: 300_000,
    });
  });
  it('refuses an alarm that both gates and scales', () => {
    expect(() =>
      validateConfig({
        targets: [
          {
            ...base,
            gateAlarms: ['cpu-*'],
            scaling: { min: 1, max: 4, rules: [{ alarm: 'cpu-high', adjust: '+1' }] },
          },
        ],
      }),
    ).toThrow(/targets\[0\]\.scaling\.rules\[0\]\.alarm: cpu-high is also a gate alarm/);
  });
  it('names the field of a bad scaling section', () => {
    expect(() => validateConfig({ targets: [{ ...base, scaling: { min: 4, max: 2, rules: [] } }] })).toThrow(
      /targets\[0\]\.scaling\.max: must be at least min \(4\)/,
    );
  });
});

describe('maxSurge and rollbackDeadline (issue 13)', () => {
  it('reads them into the target', () => {
    expect(onlyTarget({ targets: [{ ...web, maxSurge: 25, rollbackDeadline: '20m' }] })).toMatchObject({
      maxSurgePercent: 25,
      rollbackDeadlineMs: 20 * m,
    });
  });

  it.each([
    [0, 'must be a whole percent from 1 to 900, got 0'],
    [901, 'must be a whole percent from 1 to 900, got 901'],
    [12.5, 'must be a whole percent from 1 to 900, got 12.5'],
    ['25%', 'must be a whole percent from 1 to 900 (write 25, not "25%"), got "25%"'],
  ])('refuses maxSurge %j', (value, message) => {
    const err = catchError(() => validateConfig({ targets: [{ ...web, maxSurge: value }] }));
    expect(err.problems).toEqual([{ path: 'targets[0].maxSurge', message }]);
  });
});

describe('approval and freeze options', () => {
  const web = { cluster: 'prod', service: 'web', repository: 'web' };
  it('approval: before-promotion gates the last step; approvalTimeout and onApprovalTimeout are read', () => {
    const t = validateConfig({
      targets: [{ ...web, approval: 'before-promotion', approvalTimeout: '2h', onApprovalTimeout: 'hold' }],
    }).targets[0]!;
    expect(t.steps.map((s) => s.approve === true)).toEqual([false, false, true]);
    expect([t.approvalTimeoutMs, t.onApprovalTimeout]).toEqual([2 * 60 * 60_000, 'hold']);
  });

  it('a step may carry approve: true; freeze from defaults, and freeze: false opts a target out', () => {
    const config = validateConfig({
      defaults: { freeze: { timeZone: 'UTC', windows: [{ from: 'fri 16:00', to: 'mon 08:00' }] } },
      targets: [
        { ...web, steps: [{ percent: 10, bake: '1m', approve: true }, { percent: 100 }] },
        { cluster: 'prod', service: 'api', repository: 'api', freeze: false },
      ],
    });
    expect(config.targets[0]!.steps[0]!.approve).toBe(true);
    expect(config.targets[0]!.freeze?.windows).toHaveLength(1);
    expect(config.targets[1]!.freeze).toBeUndefined();
  });

  it.each([
    [{ approval: 'always' }, 'targets[0].approval'],
    [{ onApprovalTimeout: 'abort' }, 'targets[0].onApprovalTimeout'],
    [{ approvalTimeout: 30 }, 'targets[0].approvalTimeout'],
    [{ steps: [{ percent: 100, approve: 'yes' }] }, 'targets[0].steps[0].approve'],
    [
      { freeze: { timeZone: 'Mars/Olympus', windows: [{ from: 'fri 16:00', to: 'mon 08:00' }] } },
      'targets[0].freeze.timeZone',
    ],
  ])('%j is refused at %s', (extra, path) => {
    expect(problemPaths({ targets: [{ ...web, ...extra }] })).toEqual([path]);
  });
});
