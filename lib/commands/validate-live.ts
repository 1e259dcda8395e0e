/**
 * `autopilot validate --live`: what the config cannot say alone, asked of AWS before any push
 * (issue 13.8): each target's service exists and is ACTIVE, the pipeline can roll it out (its
 * deployment controller, scheduling and containers: lib/refusal.ts, the same checks as at a push),
 * and every gate alarm matches an alarm in CloudWatch (a gate that cannot fire is a failed gate)
 * and can fire within the rollout's bakes (lib/gate-speed.ts),
 * and a `traffic: weighted` target's routes can be weighted (lib/listener-routes.ts), with gates
 * that see its canary's target group (lib/gate-reach.ts).
 * Reads only: DescribeServices, DescribeTaskDefinition, DescribeAlarms; ELBv2 Describe* for weighted targets.
 *
 *   prod/web: gate alarm web-5xxx does not exist in CloudWatch: …
 *   prod/api: service api does not exist in cluster prod (or is INACTIVE)
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { Clients } from '../aws.ts';
import type { TargetConfig } from '../config.ts';
import { blindGate } from '../gate-reach.ts';
import { slowGate } from '../gate-speed.ts';
import { readTraffic } from '../listener-routes.ts';
import type { TrafficView } from '../observation.ts';
import { gateAlarms } from '../observe.ts';
import { containerRefusal, serviceRefusal, trafficRefusal } from '../refusal.ts';
import { gatesMissing, missingGates } from '../rollout/step.ts';

export interface LiveProblem {
  target: string;
  problem: string;
}

export async function liveProblems(
  clients: Pick<Clients, 'ecs' | 'cloudwatch' | 'elbv2'>,
  targets: TargetConfig[],
): Promise<LiveProblem[]> {
  const problems: LiveProblem[] = [];
  for (const t of targets) {
    const key = `${t.cluster}/${t.service}`;
    let weighted: TrafficView | undefined;
    const found = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: t.cluster, services: [t.service] }),
    );
    const service = found.services?.find((s) => s.status === 'ACTIVE');
    if (!service) {
      problems.push({
        target: key,
        problem: `service ${t.service} does not exist in cluster ${t.cluster} (or is INACTIVE)`,
      });
    } else {
      // traffic: weighted: the service sits behind a named load balancer whose routes can be weighted.
      const refusal = serviceRefusal(t, service);
      if (!refusal && t.traffic === 'weighted') weighted = await readTraffic(clients as Clients, t, service);
      const refused = refusal ?? (weighted ? trafficRefusal(t, weighted) : undefined);
      if (refused) problems.push({ target: key, problem: refused });
      else if (service.taskDefinition) {
        const td = await clients.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }),
        );
        const revision = service.taskDefinition.split('/').pop() ?? service.taskDefinition;
        const container = containerRefusal(t, td.taskDefinition?.containerDefinitions ?? [], revision);
        if (container) problems.push({ target: key, problem: container });
      }
    }
    const gates = await gateAlarms(clients as Clients, t.gateAlarms);
    const missing = missingGates(t.gateAlarms, gates);
    if (missing.length) problems.push({ target: key, problem: gatesMissing(missing) });
    // The same reading tells each metric alarm's fastest firing (lib/observe.ts gateAlarms).
    for (const a of gates) {
      const slow = slowGate(a, t.steps);
      if (slow) problems.push({ target: key, problem: slow });
      const blind = blindGate(a, weighted);
      if (blind) problems.push({ target: key, problem: blind });
    }
  }
  return problems;
}
