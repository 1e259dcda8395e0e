/**
 * The local ELBv2 API over the Query protocol, through the real SDK client
 * (@aws-sdk/client-elastic-load-balancing-v2 speaks only awsQuery): target health of the tasks an
 * ECS service registers, by IP and port, from `initial` to `healthy`; target groups; TargetGroupNotFound.
 */
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RemoveTagsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import { runUntil, sharedWorld, type TestWorld } from '../helpers/world.ts';
import { createCluster, createWebBehind } from './ecs-fixtures.ts';
import { signedPost } from './signed-request.ts';

const t = sharedWorld();
let elbv2: TestWorld['elbv2'];
let tg: string;
beforeAll(async () => {
  elbv2 = t.elbv2;
  await createCluster(t.ecs);
  tg = t.world.ecs.createTargetGroup({
    name: 'web-tg',
    healthCheck: { intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 2 },
  });
  await createWebBehind(t, tg);
}, 60_000);

const health = async (Targets?: { Id: string; Port?: number }[]) =>
  (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg, Targets })))
    .TargetHealthDescriptions!;

describe('DescribeTargetHealth', () => {
  it('shows each task by its IP and port, initial until the health check passes, then healthy', async () => {
    await runUntil(t.world, () => t.world.ecs.targetHealth(tg).length === 2, 120_000);
    const first = await health();
    expect(first).toHaveLength(2);
    for (const d of first) {
      expect(d.TargetHealth).toMatchObject({ State: 'initial', Reason: 'Elb.InitialHealthChecking' });
      expect(d.Target!.Port).toBe(8080);
    }
    // The IDs are the tasks' ENI addresses (target type ip, as awsvpc tasks register).
    const arns = (await t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }))).taskArns!;
    const tasks = (await t.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns }))).tasks!;
    const ips = tasks.map(
      (x) => x.attachments![0]!.details!.find((d) => d.name === 'privateIPv4Address')!.value!,
    );
    expect(first.map((d) => d.Target!.Id).sort()).toEqual([...ips].sort());

    await runUntil(t.world, () => t.world.ecs.targetHealth(tg).every((x) => x.state === 'healthy'), 120_000);
    const later = await health();
    expect(later.map((d) => d.TargetHealth!.State)).toEqual(['healthy', 'healthy']);
    // "If the target state is healthy, a reason code is not provided."
    expect(later.map((d) => d.TargetHealth!.Reason)).toEqual([undefined, undefined]);
  }, 60_000);

  it('answers for the targets asked for, and unused/Target.NotRegistered for one the group does not hold', async () => {
    const all = await health();
    const one = all[0]!.Target!;
    const asked = await health([
      { Id: one.Id!, Port: one.Port },
      { Id: '10.9.9.9', Port: 8080 },
    ]);
    expect(asked.map((d) => [d.Target!.Id, d.TargetHealth!.State, d.TargetHealth!.Reason])).toEqual([
      [one.Id, 'healthy', undefined],
      ['10.9.9.9', 'unused', 'Target.NotRegistered'],
    ]);
  });

  it('raises TargetGroupNotFound for a target group that does not exist', async () => {
    const missing = tg.replace(/targetgroup\/web-tg\//, 'targetgroup/nope/');
    const err = await elbv2
      .send(new DescribeTargetHealthCommand({ TargetGroupArn: missing }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetGroupNotFoundException);
    expect((err as TargetGroupNotFoundException).$metadata.httpStatusCode).toBe(400);
  });

  it('is counted as an elasticloadbalancing call', () => {
    expect(t.world.apiCalls['elasticloadbalancing:DescribeTargetHealth']).toBeGreaterThan(0);
  });
});

describe('DescribeTargetGroups', () => {
  it('describes a group by ARN or name, with its health check settings', async () => {
    const byArn = (await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg] })))
      .TargetGroups!;
    const byName = (await elbv2.send(new DescribeTargetGroupsCommand({ Names: ['web-tg'] }))).TargetGroups!;
    expect(byName).toEqual(byArn);
    expect(byArn[0]).toMatchObject({
      TargetGroupArn: tg,
      TargetGroupName: 'web-tg',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 2,
      TargetType: 'ip',
    });
    expect(byArn[0]!.LoadBalancerArns![0]).toMatch(/:loadbalancer\/app\//);
  });

  it('raises TargetGroupNotFound for an unknown name', async () => {
    await expect(elbv2.send(new DescribeTargetGroupsCommand({ Names: ['nope'] }))).rejects.toBeInstanceOf(
      TargetGroupNotFoundException,
    );
  });
});

describe('AddTags, RemoveTags, DescribeTags', () => {
  it('keeps a target group tags, answers them in the order asked, and refuses what AWS refuses', async () => {
    await elbv2.send(
      new AddTagsCommand({
        ResourceArns: [tg],
        Tags: [
          { Key: 'team', Value: 'web' },
          { Key: 'env', Value: 'prod' },
        ],
      }),
    );
    await elbv2.send(new AddTagsCommand({ ResourceArns: [tg], Tags: [{ Key: 'team', Value: 'edge' }] }));
    await elbv2.send(new RemoveTagsCommand({ ResourceArns: [tg], TagKeys: ['env'] }));
    const out = await elbv2.send(new DescribeTagsCommand({ ResourceArns: [tg] }));
    expect(out.TagDescriptions).toEqual([{ ResourceArn: tg, Tags: [{ Key: 'team', Value: 'edge' }] }]);

    const lb = tg.replace(/:targetgroup\/.*/, ':loadbalancer/app/nope/0123456789abcdef');
    await expect(elbv2.send(new DescribeTagsCommand({ ResourceArns: [tg, lb] }))).rejects.toMatchObject({
      name: 'LoadBalancerNotFoundException',
    });
    await expect(
      elbv2.send(new AddTagsCommand({ ResourceArns: [tg], Tags: [{ Key: 'a' }, { Key: 'a' }] })),
    ).rejects.toMatchObject({ name: 'DuplicateTagKeysException' });
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await expect(elbv2.send(new AddTagsCommand({ ResourceArns: [tg], Tags: many }))).rejects.toMatchObject({
      name: 'TooManyTagsException',
    });
    // An empty output still answers its Result element, which botocore (the AWS CLI) reads.
    const raw = await signedPost(
      t.endpoint,
      'elasticloadbalancing',
      t.world.region,
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      new URLSearchParams({
        Action: 'RemoveTags',
        Version: '2015-12-01',
        'ResourceArns.member.1': tg,
        'TagKeys.member.1': 'none',
      }).toString(),
    );
    expect(await raw.text()).toMatch(
      /<RemoveTagsResponse[^>]*><RemoveTagsResult><\/RemoveTagsResult><ResponseMetadata>/,
    );
    // Refused whole: nothing of the 50 was added.
    const after = await elbv2.send(new DescribeTagsCommand({ ResourceArns: [tg] }));
    expect(after.TagDescriptions![0]!.Tags).toHaveLength(1);
  });
});
