/**
 * The local ELBv2's load balancers, listeners, rules and weighted forward actions over the Query
 * protocol, through the real SDK client: what a deployer that shifts traffic by weight calls, the
 * errors and limits AWS documents, and the local load balancer splitting requests by weight (the
 * requests each target group really served, from its ledger). What AWS refuses is refused here too:
 * weights past 999, more than 5 groups, a group of another protocol, load balancer or VPC, and (ECS)
 * a service in a group no load balancer forwards to.
 */

import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  DuplicateTargetGroupNameException,
  IncompatibleProtocolsException,
  InvalidLoadBalancerActionException,
  InvalidTargetException,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  OperationNotPermittedException,
  RegisterTargetsCommand,
  RuleNotFoundException,
  TargetGroupAssociationLimitException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUntil, startWorld, type TestWorld } from '../helpers/world.ts';
import {
  behind,
  createCluster,
  createService,
  createWebBehind,
  describe as describeService,
} from './ecs-fixtures.ts';

let t: TestWorld;
let elbv2: TestWorld['elbv2'];
let web: string;
let lbArn: string;
let listenerArn: string;
let apiListenerArn: string;
let apiRuleArn: string;
let canary: string;

/** The local AWS's one VPC (its default target groups live there). */
const VPC = 'vpc-0a1b2c3d4e5f60718';
/** CreateTargetGroup through the SDK; the new group's ARN. */
const createGroup = async (Name: string, Protocol: 'HTTP' | 'TCP', Port: number, VpcId = VPC) =>
  (await elbv2.send(new CreateTargetGroupCommand({ Name, Protocol, Port, VpcId }))).TargetGroups![0]!
    .TargetGroupArn!;

beforeAll(async () => {
  t = await startWorld();
  elbv2 = t.elbv2;
  await createCluster(t.ecs);
  const elb = t.world.ecs.elb;
  // web-alb: port 80 forwards to `web` by default; port 8443 forwards /api/* to `web` too.
  web = t.world.ecs.createTargetGroup({
    name: 'web',
    healthCheck: { intervalSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
    deregistrationDelaySeconds: 10,
  });
  const lb = elb.loadBalancerNamed('web-alb')!;
  lbArn = lb.arn;
  listenerArn = lb.listeners[0]!.arn;
  const other = t.world.ecs.createTargetGroup({ name: 'other', loadBalancerName: 'web-alb' });
  const second = elb.createListener(lbArn, { port: 8443, protocol: 'HTTPS', targetGroupArn: other });
  apiListenerArn = second.arn;
  apiRuleArn = elb.createRule(second.arn, { priority: 10, pathPattern: '/api/*', targetGroupArn: web }).arn;
  await createWebBehind(t, web);
  await runUntil(
    t.world,
    () => elb.targetHealth(web).filter((x) => x.state === 'healthy').length === 2,
    180_000,
  );
}, 120_000);
afterAll(() => t.world.stop());

describe('load balancers, listeners and rules', () => {
  it('describes the load balancer, its listeners and their rules, the default rule last', async () => {
    const lbs = (await elbv2.send(new DescribeLoadBalancersCommand({ Names: ['web-alb'] }))).LoadBalancers!;
    expect(lbs).toHaveLength(1);
    expect(lbs[0]).toMatchObject({ LoadBalancerArn: lbArn, Type: 'application', State: { Code: 'active' } });
    const listeners = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners!;
    expect(listeners.map((l) => [l.Port, l.Protocol])).toEqual([
      [80, 'HTTP'],
      [8443, 'HTTPS'],
    ]);
    expect(listeners[0]!.DefaultActions![0]).toMatchObject({
      Type: 'forward',
      TargetGroupArn: web,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: web, Weight: 1 }] },
    });
    const rules = (await elbv2.send(new DescribeRulesCommand({ ListenerArn: apiListenerArn }))).Rules!;
    expect(rules.map((r) => [r.Priority, r.IsDefault])).toEqual([
      ['10', false],
      ['default', true],
    ]);
    expect(rules[0]!.Conditions![0]).toMatchObject({ Field: 'path-pattern', Values: ['/api/*'] });
    // The target group lists the one load balancer its rules belong to.
    const g = (await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [web] })))
      .TargetGroups![0]!;
    expect(g.LoadBalancerArns).toEqual([lbArn]);
  });

  it('raises ListenerNotFound, RuleNotFound and asks for a listener or load balancer', async () => {
    await expect(
      elbv2.send(new DescribeRulesCommand({ ListenerArn: `${listenerArn}0` })),
    ).rejects.toBeInstanceOf(ListenerNotFoundException);
    await expect(
      elbv2.send(new DescribeRulesCommand({ RuleArns: [`${apiRuleArn}0`] })),
    ).rejects.toBeInstanceOf(RuleNotFoundException);
    await expect(elbv2.send(new DescribeListenersCommand({}))).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});

describe('a canary target group like the primary, and weighted forward actions', () => {
  it('creates a group with the primary settings (idempotent), DuplicateTargetGroupName when they differ', async () => {
    const like = {
      Name: 'web-canary',
      Protocol: 'HTTP' as const,
      Port: 80,
      VpcId: VPC,
      TargetType: 'ip' as const,
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: '/',
    };
    const made = (await elbv2.send(new CreateTargetGroupCommand(like))).TargetGroups![0]!;
    canary = made.TargetGroupArn!;
    expect(made).toMatchObject({ TargetGroupName: 'web-canary', Port: 80, HealthCheckIntervalSeconds: 5 });
    expect(made.LoadBalancerArns).toEqual([]);
    const again = (await elbv2.send(new CreateTargetGroupCommand(like))).TargetGroups![0]!;
    expect(again.TargetGroupArn).toBe(canary);
    await expect(
      elbv2.send(new CreateTargetGroupCommand({ ...like, HealthCheckIntervalSeconds: 30 })),
    ).rejects.toBeInstanceOf(DuplicateTargetGroupNameException);
  });

  it('copies attributes: the deregistration delay and the rest', async () => {
    const attrs = (await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: web })))
      .Attributes!;
    expect(attrs).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '10' });
    await elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: canary,
        Attributes: [
          { Key: 'deregistration_delay.timeout_seconds', Value: '10' },
          { Key: 'slow_start.duration_seconds', Value: '30' },
        ],
      }),
    );
    const copied = (await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: canary })))
      .Attributes!;
    expect(copied).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '10' });
    expect(copied).toContainEqual({ Key: 'slow_start.duration_seconds', Value: '30' });
    await expect(
      elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: canary,
          Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '4000' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidConfigurationRequestException' });
  });

  it('registers a running task in the canary group by IP and port; an unknown IP is InvalidTarget', async () => {
    const id = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: web })))
      .TargetHealthDescriptions![0]!.Target!.Id!;
    await elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: canary, Targets: [{ Id: id, Port: 8080 }] }),
    );
    const health = async () =>
      (
        await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: canary }))
      ).TargetHealthDescriptions!.map((d) => [
        d.Target!.Id,
        d.Target!.Port,
        d.TargetHealth!.State,
        d.TargetHealth!.Reason,
      ]);
    // No listener forwards to the canary's group yet: its targets are unused (API_TargetHealth).
    expect(await health()).toEqual([[id, 8080, 'unused', 'Target.NotInUse']]);
    // Joined to the /api/* rule at weight 0 (as the pipeline does first), it is health-checked.
    await elbv2.send(
      new ModifyRuleCommand({
        RuleArn: apiRuleArn,
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: web, Weight: 1 },
                { TargetGroupArn: canary, Weight: 0 },
              ],
            },
          },
        ],
      }),
    );
    expect(await health()).toEqual([[id, 8080, 'initial', 'Elb.InitialHealthChecking']]);
    await expect(
      elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: canary, Targets: [{ Id: '10.250.0.1' }] })),
    ).rejects.toBeInstanceOf(InvalidTargetException);
    await runUntil(t.world, () => t.world.ecs.targetHealth(canary)[0]!.state === 'healthy', 60_000);
  });

  it('a listener default action and a rule forward by weight; the load balancer splits requests by it', async () => {
    const weighted = (webWeight: number, canaryWeight: number) => [
      {
        Type: 'forward' as const,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: web, Weight: webWeight },
            { TargetGroupArn: canary, Weight: canaryWeight },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ];
    const l = (
      await elbv2.send(
        new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: weighted(90, 10) }),
      )
    ).Listeners![0]!;
    expect(l.DefaultActions![0]!.ForwardConfig!.TargetGroups).toEqual([
      { TargetGroupArn: web, Weight: 90 },
      { TargetGroupArn: canary, Weight: 10 },
    ]);
    const r = (await elbv2.send(new ModifyRuleCommand({ RuleArn: apiRuleArn, Actions: weighted(90, 10) })))
      .Rules![0]!;
    expect(r.Actions![0]!.ForwardConfig!.TargetGroups!.map((g) => g.Weight)).toEqual([90, 10]);
    // Both routes of `web` now send 10 % to the canary group: measured from what each group served.
    t.world.ecs.setLoad(web, 200);
    const from = t.world.now();
    await t.world.runFor(120_000);
    const served = t.world.ecs.elb.servedBetween(from, t.world.now());
    const by = (arn: string) =>
      served.filter((s) => s.key.targetGroupArn === arn).reduce((a, s) => a + s.requests, 0);
    expect(by(web) + by(canary)).toBeCloseTo(200 * 120, 3);
    expect(by(canary) / (by(web) + by(canary))).toBeCloseTo(0.1, 6);
    // The canary group now belongs to web-alb, as a forward action attaches it.
    const g = (await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [canary] })))
      .TargetGroups![0]!;
    expect(g.LoadBalancerArns).toEqual([lbArn]);

    // Weight 0 for the canary, in one call: it gets nothing from then on.
    await elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: weighted(1, 0) }));
    await elbv2.send(new ModifyRuleCommand({ RuleArn: apiRuleArn, Actions: weighted(1, 0) }));
    const after = t.world.now();
    await t.world.runFor(30_000);
    const later = t.world.ecs.elb.servedBetween(after, t.world.now());
    expect(later.filter((s) => s.key.targetGroupArn === canary)).toEqual([]);
  }, 60_000);

  it('refuses what AWS refuses: weights past 999, more than 5 groups, the default rule by ModifyRule', async () => {
    const tuple = (TargetGroupArn: string, Weight: number) => ({ TargetGroupArn, Weight });
    const forward = (TargetGroups: { TargetGroupArn: string; Weight: number }[], extra = {}) => [
      { Type: 'forward' as const, ForwardConfig: { TargetGroups, ...extra } },
    ];
    await expect(
      elbv2.send(
        new ModifyRuleCommand({
          RuleArn: apiRuleArn,
          Actions: forward([tuple(web, 1000), tuple(canary, 0)]),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/between 0 and 999/) });
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => tuple(`${web}${n}`, 1));
    await expect(
      elbv2.send(new ModifyRuleCommand({ RuleArn: apiRuleArn, Actions: forward(six) })),
    ).rejects.toBeInstanceOf(InvalidLoadBalancerActionException);
    await expect(
      elbv2.send(
        new ModifyRuleCommand({ RuleArn: apiRuleArn, Actions: forward([tuple(web, 1), tuple(web, 2)]) }),
      ),
    ).rejects.toBeInstanceOf(InvalidLoadBalancerActionException);
    await expect(
      elbv2.send(
        new ModifyRuleCommand({
          RuleArn: apiRuleArn,
          Actions: forward([tuple(web, 1), tuple(canary, 1)], {
            TargetGroupStickinessConfig: { Enabled: true },
          }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/1 and 604800/) });
    const defaultRule = (await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!.at(
      -1,
    )!;
    await expect(
      elbv2.send(new ModifyRuleCommand({ RuleArn: defaultRule.RuleArn, Actions: forward([tuple(web, 1)]) })),
    ).rejects.toBeInstanceOf(OperationNotPermittedException);
    // A TCP group cannot take an ALB listener's requests.
    const tcp = await createGroup('web-tcp', 'TCP', 80);
    await expect(
      elbv2.send(
        new ModifyRuleCommand({ RuleArn: apiRuleArn, Actions: forward([tuple(web, 1), tuple(tcp, 1)]) }),
      ),
    ).rejects.toBeInstanceOf(IncompatibleProtocolsException);
    // A group that belongs to another load balancer cannot join this one's rule.
    const elsewhere = t.world.ecs.createTargetGroup({ name: 'elsewhere' });
    await expect(
      elbv2.send(
        new ModifyRuleCommand({
          RuleArn: apiRuleArn,
          Actions: forward([tuple(web, 1), tuple(elsewhere, 1)]),
        }),
      ),
    ).rejects.toBeInstanceOf(TargetGroupAssociationLimitException);
  });

  it('refuses a group in a VPC that does not exist, and ECS a group no load balancer forwards to', async () => {
    await expect(createGroup('web-elsewhere', 'HTTP', 80, 'vpc-0123456789abcdef0')).rejects.toMatchObject({
      name: 'ValidationError',
      message: "The VPC ID 'vpc-0123456789abcdef0' is not found",
    });
    const lonely = await createGroup('lonely', 'HTTP', 8080);
    const td = (await describeService(t.ecs, 'web')).taskDefinition!;
    const lb = behind(lonely);
    const refused = {
      name: 'InvalidParameterException',
      message: `The target group with targetGroupArn ${lonely} does not have an associated load balancer.`,
    };
    await expect(
      createService(t.ecs, { serviceName: 'lonely', taskDefinition: td, loadBalancers: lb }),
    ).rejects.toMatchObject(refused);
    await expect(
      t.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', loadBalancers: lb })),
    ).rejects.toMatchObject(refused);
  });

  it('deregisters a target: it drains for the delay, then leaves the group', async () => {
    const id = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: canary })))
      .TargetHealthDescriptions![0]!.Target!.Id!;
    await elbv2.send(
      new DeregisterTargetsCommand({ TargetGroupArn: canary, Targets: [{ Id: id, Port: 8080 }] }),
    );
    const d = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: canary })))
      .TargetHealthDescriptions!;
    expect(d.map((x) => x.TargetHealth!.State)).toEqual(['draining']);
    await t.world.runFor(11_000);
    expect(
      (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: canary })))
        .TargetHealthDescriptions,
    ).toEqual([]);
    await expect(
      elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: canary, Targets: [{ Id: id, Port: 8080 }] })),
    ).rejects.toBeInstanceOf(InvalidTargetException);
  });
});
