/** The local SSM Parameter Store through the real SDK: versions, labels, lists, paths, deletion. */
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  ParameterNotFound,
  ParameterVersionLabelLimitExceeded,
  ParameterVersionNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSelector, underPath, validLabel } from '../../local/services/ssm/index.ts';
import { sharedWorld } from '../helpers/world.ts';

const t = sharedWorld();
beforeAll(async () => {
  const put = (Name: string, Value: string, Type: 'String' | 'SecureString' = 'String', Overwrite = false) =>
    t.ssm.send(new PutParameterCommand({ Name, Value, Type, Overwrite }));
  await put('/app/url', 'https://one');
  await put('/app/url', 'https://two', 'String', true);
  await put('/app/db/password', 's3cret', 'SecureString');
  await put('/app/db/user', 'admin');
  await put('/other', 'x');
});

describe('pure rules', () => {
  it.each([
    ['/app/url:3', { name: '/app/url', version: 3 }],
    ['/app/url', { name: '/app/url' }],
    ['/app/url:prod', { name: '/app/url', label: 'prod' }],
  ])('parseSelector(%s)', (ref, want) => {
    expect(parseSelector(ref)).toEqual(want);
  });

  it.each([
    ['prod', true],
    ['v1.2-rc_3', true],
    ['1prod', false],
    ['AWSx', false],
    ['ssm-ok', false],
    ['a b', false],
    ['x'.repeat(101), false],
  ])('validLabel(%s) = %s', (label, want) => {
    expect(validLabel(label)).toBe(want);
  });

  it.each([
    ['/a', '/a/b', false, true],
    ['/a', '/a/b/c', false, false],
    ['/a', '/a/b/c', true, true],
    ['/a', '/ab', true, false],
    ['/', '/a', false, true],
  ])('underPath(%s, %s, recursive %s) = %s', (path, name, recursive, want) => {
    expect(underPath(path, name, recursive)).toBe(want);
  });
});

describe('SSM', () => {
  it('reads a version by name:version, and refuses a version that does not exist', async () => {
    const one = await t.ssm.send(new GetParameterCommand({ Name: '/app/url:1' }));
    expect(one.Parameter).toMatchObject({
      Name: '/app/url',
      Value: 'https://one',
      Version: 1,
      Selector: ':1',
    });
    const latest = await t.ssm.send(new GetParameterCommand({ Name: '/app/url' }));
    expect(latest.Parameter).toMatchObject({ Value: 'https://two', Version: 2 });
    await expect(t.ssm.send(new GetParameterCommand({ Name: '/app/url:9' }))).rejects.toBeInstanceOf(
      ParameterVersionNotFound,
    );
  });

  it('GetParameters answers the known names and lists the unknown ones', async () => {
    const out = await t.ssm.send(new GetParametersCommand({ Names: ['/app/url', '/nope', '/app/url:1'] }));
    expect(out.Parameters?.map((p) => [p.Name, p.Version])).toEqual([
      ['/app/url', 2],
      ['/app/url', 1],
    ]);
    expect(out.InvalidParameters).toEqual(['/nope']);
  });

  it('GetParametersByPath walks one level, or all with Recursive, and decrypts on request', async () => {
    const one = await t.ssm.send(new GetParametersByPathCommand({ Path: '/app' }));
    expect(one.Parameters?.map((p) => p.Name)).toEqual(['/app/url']);
    const all = await t.ssm.send(
      new GetParametersByPathCommand({ Path: '/app', Recursive: true, WithDecryption: true }),
    );
    expect(all.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ['/app/db/password', 's3cret'],
      ['/app/db/user', 'admin'],
      ['/app/url', 'https://two'],
    ]);
    const hidden = await t.ssm.send(new GetParametersByPathCommand({ Path: '/app/db' }));
    expect(hidden.Parameters?.find((p) => p.Name === '/app/db/password')?.Value).not.toBe('s3cret');
  });

  it('DescribeParameters lists metadata without values, filtered and paged', async () => {
    const out = await t.ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/app/'] }],
        MaxResults: 2,
      }),
    );
    expect(out.Parameters?.map((p) => p.Name)).toEqual(['/app/db/password', '/app/db/user']);
    expect(out.Parameters?.[0]).not.toHaveProperty('Value');
    const rest = await t.ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/app/'] }],
        MaxResults: 2,
        NextToken: out.NextToken,
      }),
    );
    expect(rest.Parameters?.map((p) => p.Name)).toEqual(['/app/url']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('DeleteParameter removes it; deleting again is ParameterNotFound', async () => {
    await t.ssm.send(new DeleteParameterCommand({ Name: '/other' }));
    await expect(t.ssm.send(new GetParameterCommand({ Name: '/other' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
    await expect(t.ssm.send(new DeleteParameterCommand({ Name: '/other' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
  });

  it('labels a version, reads it by name:label, moves the label, and keeps the history with labels', async () => {
    await t.ssm.send(new PutParameterCommand({ Name: '/lab', Value: 'a' }));
    await t.ssm.send(new PutParameterCommand({ Name: '/lab', Value: 'b', Overwrite: true }));
    const labelled = await t.ssm.send(
      new LabelParameterVersionCommand({
        Name: '/lab',
        ParameterVersion: 1,
        Labels: ['prod', '1bad', 'awsx'],
      }),
    );
    expect(labelled).toMatchObject({ ParameterVersion: 1, InvalidLabels: ['1bad', 'awsx'] });
    const prod = await t.ssm.send(new GetParameterCommand({ Name: '/lab:prod' }));
    expect(prod.Parameter).toMatchObject({ Value: 'a', Version: 1, Selector: ':prod' });
    expect(prod.Parameter).not.toHaveProperty('Labels');
    // Without ParameterVersion the latest version: the label moves off version 1.
    await t.ssm.send(new LabelParameterVersionCommand({ Name: '/lab', Labels: ['prod'] }));
    const moved = await t.ssm.send(new GetParameterCommand({ Name: '/lab:prod' }));
    expect(moved.Parameter).toMatchObject({ Value: 'b', Version: 2 });
    const history = await t.ssm.send(new GetParameterHistoryCommand({ Name: '/lab' }));
    expect(history.Parameters?.map((p) => [p.Version, p.Value, p.Labels])).toEqual([
      [1, 'a', []],
      [2, 'b', ['prod']],
    ]);
    await expect(t.ssm.send(new GetParameterCommand({ Name: '/lab:staging' }))).rejects.toBeInstanceOf(
      ParameterVersionNotFound,
    );
    const ten = Array.from({ length: 10 }, (_, i) => `l${i}`);
    await expect(
      t.ssm.send(new LabelParameterVersionCommand({ Name: '/lab', ParameterVersion: 2, Labels: ten })),
    ).rejects.toBeInstanceOf(ParameterVersionLabelLimitExceeded);
    await expect(t.ssm.send(new GetParameterHistoryCommand({ Name: '/nope' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
  });

  it('DeleteParameters deletes the known names and lists the unknown ones', async () => {
    await t.ssm.send(new PutParameterCommand({ Name: '/del/a', Value: 'a' }));
    const out = await t.ssm.send(new DeleteParametersCommand({ Names: ['/del/a', '/del/none'] }));
    expect(out).toMatchObject({ DeletedParameters: ['/del/a'], InvalidParameters: ['/del/none'] });
    await expect(t.ssm.send(new GetParameterCommand({ Name: '/del/a' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
  });
});
