/** The commands' small pure pieces, with the worked examples of their comments. */
import { describe, expect, it } from 'vitest';
import { describeRollout, rolloutView } from '../lib/commands/common.ts';
import { neverKnownGood } from '../lib/commands/control.ts';
import { diff } from '../lib/commands/deploy.ts';
import { formatLine, logsPattern } from '../lib/commands/logs.ts';
import { runsText } from '../lib/commands/status.ts';
import type { Rollout, RolloutSummary, ServiceRecord } from '../lib/record.ts';

const task = (
  revision: string,
  status: string,
  running: number,
  desired: number,
  pending = 0,
  canary = false,
) => ({
  revision,
  service: canary ? ('canary' as const) : ('primary' as const),
  status,
  runningCount: running,
  desiredCount: desired,
  pendingCount: pending,
});

describe('runsText: what runs on which revision', () => {
  it.each([
    [
      [task('web:1', 'PRIMARY', 0, 4, 4), task('web:3', 'ACTIVE', 4, 0)],
      'web:1 0 of 4 (4 starting), web:3 4 (being replaced)',
    ],
    [
      [task('web:2', 'PRIMARY', 4, 4), task('web:3', 'PRIMARY', 1, 1, 0, true)],
      'web:2 4 of 4, canary web:3 1 of 1',
    ],
    [[task('web:2', 'PRIMARY', 4, 4)], ''],
    [[], ''],
  ])('%j -> %s', (tasks, text) => {
    expect(runsText(tasks)).toBe(text);
  });
});

const arn = (r: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${r}`;
const entry = (id: string, from: string, to: string, outcome: RolloutSummary['outcome']): RolloutSummary => ({
  id,
  image: { repository: 'web', tag: 'v3', digest: 'sha256:1', uri: '' },
  strategy: 'canary',
  fromTaskDefinition: arn(from),
  taskDefinition: arn(to),
  outcome,
  reason: outcome === 'aborted' ? 'aborted by hand' : 'why',
  startedAt: 0,
  endedAt: 1,
  steps: [],
  failures: [],
});
const record = (history: RolloutSummary[], lastGood?: string): ServiceRecord => ({
  key: 'prod/web',
  cluster: 'prod',
  service: 'web',
  version: 1,
  history,
  badDigests: {},
  ...(lastGood ? { lastGood: { taskDefinition: arn(lastGood), since: 0 } } : {}),
});

describe('neverKnownGood: may rollback --to go there without --force', () => {
  it.each([
    [
      'aborted',
      record([entry('a', 'web:1', 'web:2', 'aborted')], 'web:1'),
      'web:2',
      'its rollout of web:v3 aborted: aborted by hand',
    ],
    ['succeeded', record([entry('a', 'web:1', 'web:2', 'succeeded')]), 'web:2', undefined],
    ['the start of a rollout', record([entry('a', 'web:2', 'web:3', 'rolled_back')]), 'web:2', undefined],
    ['the last good one', record([entry('a', 'web:1', 'web:2', 'rolled_back')], 'web:2'), 'web:2', undefined],
    ['never seen', record([]), 'web:7', undefined],
    [
      'a rollback by hand says nothing',
      record([entry('x-rollback', 'web:5', 'web:6', 'rolled_back')]),
      'web:5',
      undefined,
    ],
  ])('%s', (_name, r, revision, doubt) => {
    expect(neverKnownGood(r, arn(revision))).toBe(doubt);
  });
});

describe('diff: a task definition against the revision that would be registered', () => {
  it('names each change by container and tag', () => {
    expect(
      diff(
        {
          containerDefinitions: [
            { name: 'web', image: 'a' },
            { name: 'envoy', image: 'e' },
          ],
          tags: [],
        },
        {
          containerDefinitions: [
            { name: 'web', image: 'b' },
            { name: 'envoy', image: 'e' },
          ],
          tags: [{ key: 'ecs-autopilot:image', value: 'web:v2' }],
        },
      ),
    ).toEqual([
      { path: 'containerDefinitions[web].image', before: '"a"', after: '"b"' },
      { path: 'tags[ecs-autopilot:image]', after: '"web:v2"' },
    ]);
  });
});

describe('logsPattern: the JSON filter pattern of `autopilot logs`', () => {
  it.each([
    [undefined, undefined, '{ $.level = "*" }'],
    ['prod/web', undefined, '{ $.service = "prod/web" }'],
    [undefined, 'warn', '{ ($.level = "warn" || $.level = "error") }'],
    ['prod/web', 'error', '{ $.service = "prod/web" && ($.level = "error") }'],
    [undefined, 'debug', '{ $.level = "*" }'],
  ] as const)('service %s, level %s: %s', (service, level, want) => {
    expect(logsPattern(service, level)).toBe(want);
  });

  it('formatLine: time, function, level, message, service, then the other fields', () => {
    expect(
      formatLine({
        at: '2026-01-01T09:05:07.250Z',
        function: 'tick',
        logStream: 's',
        eventId: '1',
        fields: {
          level: 'info',
          msg: 'action',
          function: 'tick',
          requestId: 'r',
          service: 'prod/web',
          type: 'setCanary',
          desired: 1,
        },
      }),
    ).toBe('2026-01-01 09:05:07Z  tick           info   action  prod/web  type=setCanary desired=1');
  });
});

describe('status of a rollout waiting for approval', () => {
  const T = Date.UTC(2026, 0, 1);
  const rollout = (approval: Rollout['approval']): Rollout => ({
    id: 'r1',
    image: { repository: 'web', tag: 'v2', digest: 'sha256:ab', uri: 'x' },
    strategy: 'canary',
    steps: [
      { percent: 10, bakeMs: 60_000, startedAt: T, healthyAt: T },
      { percent: 100, bakeMs: 60_000, approve: true },
    ],
    stepIndex: 0,
    fromTaskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/web:1',
    taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/web:2',
    startedAt: T,
    failures: [],
    ignoredAlarms: [],
    ...(approval && { approval }),
  });

  it('says since when it waits and when it times out, or that it holds', () => {
    const waiting = rolloutView(
      rollout({ step: 1, since: T + 60_000, timesOutAt: T + 3_660_000 }),
      T + 120_000,
    );
    expect(waiting.phase).toBe('awaiting_approval');
    expect(describeRollout(waiting)).toBe(
      'step 1/2 (10%), baked; waiting for approval of step 2/2 (100%) since 2026-01-01T00:01:00.000Z, times out at 2026-01-01T01:01:00.000Z',
    );
    const held = rolloutView(
      rollout({ step: 1, since: T + 60_000, timesOutAt: T + 3_660_000, heldAt: T + 3_660_000 }),
      T + 7_200_000,
    );
    expect(describeRollout(held)).toMatch(
      /timed out at 2026-01-01T01:01:00.000Z: holding until someone approves or rejects$/,
    );
  });
});
