/** The worked examples of lib/task-batch.ts, one row each. */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../lib/config.ts';
import { batchReason, groupTaskEvents } from '../lib/task-batch.ts';
import type { TaskTrigger } from '../lib/triggers.ts';
import { TD } from './helpers/rollout.ts';

const target = (cluster: string, service: string) => ({ cluster, service }) as TargetConfig;
const TARGETS = [target('prod', 'web'), target('prod', 'api'), target('batch', 'web')];

/** `web a v3 RUNNING` -> a message carrying that task event. */
function message(id: string, text: string): { id: string; event: TaskTrigger } {
  const [where, task, version, status] = text.split(' ') as [string, string, string, string];
  const [cluster, service] = where.includes('/') ? where.split('/') : ['prod', where];
  return {
    id,
    event: {
      kind: 'service',
      source: 'task',
      cluster: cluster!,
      service: service!,
      detail: `task ${status}`,
      task: {
        taskArn: `arn:aws:ecs:us-east-1:1:task/${cluster}/${task}`,
        lastStatus: status,
        desiredStatus: status,
        version: Number(version.slice(1)),
        taskDefinitionArn: `${TD}web:4`,
        containers: [],
      },
    },
  };
}

/** The groups as `service: [task vN STATUS of]`, and the message ids of each. */
function summary(texts: string[]) {
  const { groups, unmanaged } = groupTaskEvents(
    TARGETS,
    texts.map((t, i) => message(`m${i + 1}`, t)),
  );
  return {
    groups: groups.map((g) => ({
      target: `${g.target.cluster}/${g.target.service}`,
      tasks: g.items.map(
        (i) => `${i.task.taskArn.split('/').at(-1)} v${i.task.version} ${i.task.lastStatus} ${i.of}`,
      ),
      ids: g.ids,
    })),
    unmanaged: unmanaged.map((u) => u.service),
  };
}

describe('groupTaskEvents', () => {
  it.each<[string, string[], ReturnType<typeof summary>]>([
    [
      'two tasks of one service',
      ['web a v3 RUNNING', 'web b v2 RUNNING'],
      {
        groups: [
          { target: 'prod/web', tasks: ['a v3 RUNNING primary', 'b v2 RUNNING primary'], ids: ['m1', 'm2'] },
        ],
        unmanaged: [],
      },
    ],
    [
      'a duplicate',
      ['web a v3 RUNNING', 'web a v3 RUNNING'],
      { groups: [{ target: 'prod/web', tasks: ['a v3 RUNNING primary'], ids: ['m1', 'm2'] }], unmanaged: [] },
    ],
    [
      'a newer event of the task',
      ['web a v3 RUNNING', 'web a v5 STOPPED'],
      { groups: [{ target: 'prod/web', tasks: ['a v5 STOPPED primary'], ids: ['m1', 'm2'] }], unmanaged: [] },
    ],
    [
      'an older event late',
      ['web a v5 STOPPED', 'web a v3 RUNNING'],
      { groups: [{ target: 'prod/web', tasks: ['a v5 STOPPED primary'], ids: ['m1', 'm2'] }], unmanaged: [] },
    ],
    [
      "the canary's task with its primary's",
      ['web-canary c v2 RUNNING', 'web a v3 RUNNING'],
      {
        groups: [
          { target: 'prod/web', tasks: ['c v2 RUNNING canary', 'a v3 RUNNING primary'], ids: ['m1', 'm2'] },
        ],
        unmanaged: [],
      },
    ],
    [
      'two services',
      ['web a v3 RUNNING', 'api b v1 RUNNING'],
      {
        groups: [
          { target: 'prod/web', tasks: ['a v3 RUNNING primary'], ids: ['m1'] },
          { target: 'prod/api', tasks: ['b v1 RUNNING primary'], ids: ['m2'] },
        ],
        unmanaged: [],
      },
    ],
    [
      'one service name in two clusters',
      ['prod/web a v3 RUNNING', 'batch/web b v1 RUNNING'],
      {
        groups: [
          { target: 'prod/web', tasks: ['a v3 RUNNING primary'], ids: ['m1'] },
          { target: 'batch/web', tasks: ['b v1 RUNNING primary'], ids: ['m2'] },
        ],
        unmanaged: [],
      },
    ],
    ['not a target', ['other x v1 RUNNING'], { groups: [], unmanaged: ['prod/other'] }],
  ])('%s', (_, texts, want) => {
    expect(summary(texts)).toEqual(want);
  });
});

describe('batchReason', () => {
  it.each([
    [['task RUNNING'], 'task RUNNING'],
    [['task RUNNING', 'task RUNNING', 'task STOPPED'], '3 task events: task RUNNING ×2, task STOPPED ×1'],
  ])('%j -> %s', (details, want) => {
    expect(batchReason(details)).toBe(want);
  });
});
