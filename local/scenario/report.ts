/**
 * What a scenario run leaves behind, as JSON (`autopilot sim FILE --json`): the services as ECS
 * describes them at the end, every event put on the bus with its virtual time, what the timeline
 * did, and the API calls clients made over HTTP. Whoever plugs into the run (the pipeline wiring)
 * adds its own sections: rollouts, scaling, notifications, violations.
 */
import { shortRevision } from '../../lib/revision.ts';
import type { AwsEvent } from '../core/service.ts';
import type { World } from '../world.ts';
import type { Scenario } from './parse.ts';
import { describeAllServices, type PlayedStep } from './play.ts';
import { call } from './setup.ts';

export interface ScenarioReport {
  scenario: string;
  file: string;
  /** Virtual ISO times. */
  startedAt: string;
  endedAt: string;
  /** Why the run stopped: its `until`, settled (timeline done, no deployment in progress, then quiet), or the cap. */
  endedBy?: 'until' | 'settled' | 'cap';
  services: ServiceSummary[];
  /** The timeline steps as they were played. */
  timeline: (Omit<PlayedStep, 'at'> & { at: string })[];
  /** Every event put on the bus, whole, in order. */
  events: { at: string; event: AwsEvent }[];
  /** Calls served over HTTP, per `service:Operation` (set-up is not counted). */
  apiCalls: Record<string, number>;
  /** Set-up's warnings: allowed, but probably wrong (an alarm on a metric nothing publishes). */
  warnings?: string[];
  /** Sections added by whoever plugs into the run: rollouts, scaling, notifications, violations... */
  [section: string]: unknown;
}

export interface ServiceSummary {
  cluster: string;
  name: string;
  status: string;
  /** `family:revision` */
  taskDefinition: string;
  containers: { name: string; image: string }[];
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  deployments: {
    id: string;
    status: string;
    taskDefinition: string;
    rolloutState?: string;
    desiredCount: number;
    runningCount: number;
    failedTasks: number;
  }[];
}

export interface ReportExtras {
  played?: PlayedStep[];
  endedBy?: ScenarioReport['endedBy'];
  warnings?: string[];
  /** Extra sections by name; they may not replace the sections above. */
  sections?: Record<string, unknown>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function buildReport(
  world: World,
  scenario: Scenario,
  extras: ReportExtras = {},
): Promise<ScenarioReport> {
  const report: ScenarioReport = {
    scenario: scenario.name,
    file: scenario.source.file,
    startedAt: iso(scenario.start),
    endedAt: iso(world.now()),
    endedBy: extras.endedBy,
    services: await summarizeServices(world),
    timeline: (extras.played ?? []).map((p) => ({ ...p, at: iso(p.at) })),
    events: world.eventLog.map((e) => ({ at: iso(e.at), event: e.event })),
    apiCalls: Object.fromEntries(Object.entries(world.apiCalls).sort(([a], [b]) => a.localeCompare(b))),
    warnings: extras.warnings ?? [],
  };
  for (const [name, section] of Object.entries(extras.sections ?? {})) {
    if (name in report)
      throw new Error(`report section "${name}" is the runner's own; name yours differently`);
    report[name] = section;
  }
  return report;
}

async function summarizeServices(world: World): Promise<ServiceSummary[]> {
  const containersOf = new Map<string, ServiceSummary['containers']>();
  const containers = async (arn: string) => {
    let found = containersOf.get(arn);
    if (!found) {
      const { taskDefinition } = await call(world.ecs, 'DescribeTaskDefinition', { taskDefinition: arn });
      found = (taskDefinition?.containerDefinitions ?? []).map((c: any) => ({
        name: c.name,
        image: c.image,
      }));
      containersOf.set(arn, found!);
    }
    return found!;
  };
  const out: ServiceSummary[] = [];
  for (const s of await describeAllServices(world)) {
    out.push({
      cluster:
        String(s.clusterArn ?? '')
          .split('/')
          .pop() ?? '',
      name: s.serviceName,
      status: s.status,
      taskDefinition: shortRevision(s.taskDefinition),
      containers: await containers(s.taskDefinition),
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      pendingCount: s.pendingCount ?? 0,
      deployments: (s.deployments ?? []).map((d: any) => ({
        id: d.id,
        status: d.status,
        taskDefinition: shortRevision(d.taskDefinition),
        rolloutState: d.rolloutState,
        desiredCount: d.desiredCount ?? 0,
        runningCount: d.runningCount ?? 0,
        failedTasks: d.failedTasks ?? 0,
      })),
    });
  }
  return out;
}
