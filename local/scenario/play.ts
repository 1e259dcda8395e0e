/**
 * A world built from a scenario, and its timeline played on the virtual clock.
 *
 *   const play = await ScenarioWorld.create(loadScenario('scenarios/demo.yml'));   // set up, clock not started
 *   await play.world.start();          // only if HTTP clients should reach it
 *   await play.playUntil(play.scenario.start + 30 * 60_000);   // steps due by then are applied on time
 *   await play.world.stop();
 */
import path from 'node:path';
import { READ_ONLY_FIELDS, shortRevision, targetContainer } from '../../lib/revision.ts';
import { LOCAL_CLI } from '../cli-step.ts';
import type { AwsEvent } from '../core/service.ts';
import { SLACK_CLICK } from '../slack-click.ts';
import { World } from '../world.ts';
import type { EventInput, Scenario, TimelineAction, TimelineStep } from './parse.ts';
import { scenarioError, splitImage } from './parse.ts';
import { call, describeError, imageUri, type SetUp, setUp } from './setup.ts';

/** What the runner did at a timeline step, as the report shows it. */
export interface PlayedStep {
  /** virtual ms */
  at: number;
  /** `timeline[2]` */
  step: string;
  action: TimelineAction['type'];
  /** One line for people: `push web:v2`, `update prod/web to web:v3 (web:2)`. */
  summary: string;
  /** Ids of the events the step itself put on the bus (the push's ECR event, the alarm's state change...). */
  events: string[];
  /** What the step produced: the pushed digest, the new task definition. */
  result?: Record<string, unknown>;
}

export class ScenarioWorld {
  readonly played: PlayedStep[] = [];
  private next = 0;

  private constructor(
    readonly world: World,
    readonly scenario: Scenario,
    private readonly made: SetUp,
  ) {}

  /** Builds the world (clock at the scenario's start) and performs the set-up; the world is not started. */
  static async create(scenario: Scenario, options: { latency?: boolean } = {}): Promise<ScenarioWorld> {
    const world = new World({
      start: scenario.start,
      seed: scenario.seed,
      throttling: scenario.throttling,
      // The scenario's own `latency:` wins; else the caller's choice (sim: on), else off.
      latency: scenario.latency ?? options.latency ?? false,
      ...(scenario.lambda && {
        concurrency: { limit: scenario.lambda.concurrency, interleave: scenario.lambda.interleave },
      }),
    });
    const made = await setUp(world, scenario);
    return new ScenarioWorld(world, scenario, made);
  }

  /** Set-up's warnings (an alarm on a metric nothing publishes), with file and line. */
  get warnings(): string[] {
    return this.made.warnings;
  }

  /** The virtual time of the next timeline step, if any is left. */
  get nextStepAt(): number | undefined {
    const step = this.scenario.timeline[this.next];
    return step && this.scenario.start + step.at;
  }

  get timelineDone(): boolean {
    return this.next >= this.scenario.timeline.length;
  }

  /** Advances the world to `time`, applying each timeline step when its time comes. */
  async playUntil(time: number): Promise<void> {
    for (let at = this.nextStepAt; at !== undefined && at <= time; at = this.nextStepAt) {
      await this.world.runUntil(at);
      const step = this.scenario.timeline[this.next++]!;
      await this.apply(step);
      await this.world.settle();
    }
    await this.world.runUntil(time);
  }

  /** Target group ARN by its scenario name. */
  targetGroupArn(name: string): string | undefined {
    return this.made.targetGroupArns.get(name);
  }

  /** Number of ECS deployments IN_PROGRESS in any cluster (the pipeline's own services included). */
  async deploymentsInProgress(): Promise<number> {
    let n = 0;
    for (const service of await describeAllServices(this.world)) {
      for (const d of service.deployments ?? []) if (d.rolloutState === 'IN_PROGRESS') n++;
    }
    return n;
  }

  private async apply(step: TimelineStep): Promise<void> {
    const logged = this.world.eventLog.length;
    const at = this.world.now();
    let done: { summary: string; result?: Record<string, unknown> };
    try {
      done = await this.perform(step.action);
    } catch (e) {
      throw scenarioError(
        this.scenario.source,
        step.path,
        `failed at ${formatOffset(step.at)}: ${describeError(e)}`,
      );
    }
    this.played.push({
      at,
      step: step.path,
      action: step.action.type,
      ...done,
      events: this.world.eventLog.slice(logged).map((e) => e.event.id),
    });
  }

  private async perform(
    action: TimelineAction,
  ): Promise<{ summary: string; result?: Record<string, unknown> }> {
    const world = this.world;
    switch (action.type) {
      case 'push': {
        const { repository, tag } = splitImage(action.image);
        const pushed = world.ecr.push(repository, tag);
        return {
          summary: `push ${action.image}`,
          result: { image: action.image, digest: pushed.digest, uri: pushed.uri },
        };
      }
      case 'update':
        return this.update(action);
      case 'load': {
        world.ecs.setLoad(this.targetGroupArn(action.targetGroup)!, action.rps);
        return {
          summary: `load on ${action.targetGroup}: ${action.rps} requests/s`,
          result: { targetGroup: action.targetGroup, rps: action.rps },
        };
      }
      case 'event': {
        const event = envelope(world, action.event);
        world.events.put(event);
        return {
          summary: `event ${event['detail-type']} from ${event.source}${action.file ? ` (${path.basename(action.file)})` : ''}`,
          result: { id: event.id, source: event.source, detailType: event['detail-type'] },
        };
      }
      case 'alarm': {
        await call(world.cloudwatch, 'SetAlarmState', {
          AlarmName: action.name,
          StateValue: action.state,
          StateReason: action.reason,
        });
        return {
          summary: `alarm ${action.name} set to ${action.state} (${action.reason})`,
          result: { name: action.name, state: action.state },
        };
      }
      case 'slack': {
        const click = world.functions.get(SLACK_CLICK);
        if (!click) throw new Error('a Slack click needs the pipeline attached with the local Slack');
        const { signature, ...rest } = action;
        const result = (await click({
          button: action.click,
          user: action.user,
          signature,
          ...(action.message !== undefined && { message: action.message }),
        })) as Record<string, unknown>;
        return {
          summary: `slack: ${action.user} clicks ${action.click}${action.message ? ` on message ${action.message}` : ''}${signature === 'valid' ? '' : ` (${signature} signature)`}`,
          result: { ...rest, signature, ...result },
        };
      }
      case 'cli': {
        const run = world.functions.get(LOCAL_CLI);
        if (!run) throw new Error('a cli step needs the pipeline attached');
        const { type, ...step } = action;
        const result = (await run(step)) as Record<string, unknown>;
        return {
          summary: `cli: ${action.command} ${action.service}${action.as ? ` --as ${action.as}` : ''}`,
          result: { ...step, ...result },
        };
      }
    }
  }

  /**
   * What an ECS user would do by hand: register a revision cloned from the service's current one
   * with the main container's image replaced, and point the service at it (and/or change its count).
   */
  private async update(action: Extract<TimelineAction, { type: 'update' }>) {
    const { world } = this;
    const { cluster, service } = action;
    const spec = this.scenario.services.find((s) => s.cluster === cluster && s.name === service)!;
    const result: Record<string, unknown> = { service: `${cluster}/${service}` };
    const parts: string[] = [];
    let taskDefinition: string | undefined;
    if (action.image) {
      const described = await call(world.ecs, 'DescribeServices', { cluster, services: [service] });
      const current = described.services?.[0]?.taskDefinition;
      if (!current) throw new Error(`the local ECS has no service ${cluster}/${service}`);
      const { taskDefinition: td } = await call(world.ecs, 'DescribeTaskDefinition', {
        taskDefinition: current,
      });
      const input = structuredClone(td);
      for (const field of READ_ONLY_FIELDS) delete input[field];
      targetContainer(input.containerDefinitions ?? [], spec.container, td.family).image = imageUri(
        world,
        action.image,
      );
      const registered = await call(world.ecs, 'RegisterTaskDefinition', input);
      taskDefinition = registered.taskDefinition.taskDefinitionArn as string;
      result.image = action.image;
      result.taskDefinition = shortRevision(taskDefinition);
      parts.push(`to ${action.image} (${shortRevision(taskDefinition)})`);
    }
    if (action.desiredCount !== undefined) {
      result.desiredCount = action.desiredCount;
      parts.push(`desired count ${action.desiredCount}`);
    }
    const input: Record<string, unknown> = { cluster, service };
    if (taskDefinition) input.taskDefinition = taskDefinition;
    if (action.desiredCount !== undefined) input.desiredCount = action.desiredCount;
    await call(world.ecs, 'UpdateService', input);
    return { summary: `update ${cluster}/${service} ${parts.join(', ')}`, result };
  }
}

/** Every service in every cluster, as DescribeServices returns them (in-process). */
export async function describeAllServices(world: World): Promise<any[]> {
  const out: any[] = [];
  const clusters: string[] = await listAll(world, 'ListClusters', {}, 'clusterArns');
  for (const cluster of clusters) {
    const arns = await listAll(world, 'ListServices', { cluster }, 'serviceArns');
    for (let i = 0; i < arns.length; i += 10) {
      const described = await call(world.ecs, 'DescribeServices', {
        cluster,
        services: arns.slice(i, i + 10),
      });
      out.push(...(described.services ?? []));
    }
  }
  return out;
}

async function listAll(world: World, operation: string, input: Record<string, unknown>, key: string) {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call(world.ecs, operation, { ...input, maxResults: 100, nextToken });
    out.push(...(page[key] ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** A raw event with the envelope fields it lacks filled in, as EventBridge would. */
function envelope(world: World, raw: EventInput): AwsEvent {
  return {
    version: '0',
    id: world.ids.uuid(),
    account: world.account,
    time: new Date(Math.floor(world.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: world.region,
    resources: [],
    ...raw,
  };
}

/** 90_000 -> `+0:01:30` */
export function formatOffset(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `+${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
