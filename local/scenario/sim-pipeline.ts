/**
 * Puts the pipeline into a scenario: when the scenario has an `autopilot:` config, the real
 * handlers are attached to its world (local/pipeline.ts) and the report gains `rollouts`, `scaling`,
 * `notifications` and `violations` (the invariants of local/scenario/invariants.ts, checked all along; an
 * empty list when all held). A `faults:` section in the file (the shape the property suite prints,
 * local/scenario/faults.ts FAULTS_FORMAT) is applied too, and what fired is reported as `faults`, so a
 * printed failing case replays with `autopilot sim`. When the run samples a timeline
 * (local/scenario/timeline.ts, for `--html`), the pipeline's notices go into it.
 *
 *   sim(args, { load: loadWithFaults })       // what `autopilot sim` does
 */
import { ConfigError, validateConfig } from '../../lib/config.ts';
import { attachPipeline } from '../pipeline.ts';
import {
  applyFaults,
  type FaultLayer,
  type FaultPlan,
  loadFaultScenario,
  slackDeliveries,
} from './faults.ts';
import { InvariantChecker, unheardPushes } from './invariants.ts';
import { type Scenario, scenarioError } from './parse.ts';
import { rolloutsReport, scalingReport } from './rollout-report.ts';
import type { OnWorld, ScenarioExtension } from './run.ts';
import { timelineOf } from './timeline.ts';

/** The local Slack's send timeout when a plan has Slack faults (real ms: a `timeout` answers later). */
const SLACK_FAULT_TIMEOUT_MS = 300;

/** The pipeline, with a fault plan applied when it has any fault. */
export function pipelineWith(plan: FaultPlan = {}): OnWorld {
  const hasFaults = Object.values(plan).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined));
  return async (world, scenario): Promise<ScenarioExtension | undefined> => {
    if (!scenario.autopilot) return undefined;
    let config: ReturnType<typeof validateConfig>;
    try {
      config = validateConfig(scenario.autopilot.config, scenario.autopilot.path ?? scenario.source.file);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // Inline in the scenario, the scenario's own place already names the file: said once.
      const said = scenario.autopilot.path
        ? e.message
        : e.problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n');
      throw scenarioError(scenario.source, 'autopilot', said);
    }
    // A target the world lacks would only log pipeline.error at every event: refused before the timeline plays.
    const lacking = config.targets.filter(
      (t) => !scenario.services.some((s) => s.cluster === t.cluster && s.name === t.service),
    );
    if (lacking.length > 0) {
      throw scenarioError(
        scenario.source,
        'autopilot',
        `names ${lacking.map((t) => `${t.cluster}/${t.service}`).join(', ')}, which the scenario's services: do not have (it has ${scenario.services.map((s) => `${s.cluster}/${s.name}`).join(', ') || 'none'})`,
      );
    }
    // The pipeline's deploy: what set-up pushed is the past (lib/pipeline.ts deployedAt).
    const attachedAt = world.now();
    const attached = await attachPipeline(world, config, {
      slack: {
        ...(plan.slack?.length && { timeoutMs: SLACK_FAULT_TIMEOUT_MS }),
        ...(scenario.slack && { app: scenario.slack }),
      },
    });
    const layer: FaultLayer | undefined = hasFaults ? applyFaults(world, plan, attached) : undefined;
    const checker = new InvariantChecker(world, attached, { notifications: () => slackDeliveries(attached) });
    checker.start();
    // The HTML report's timeline, when the run has one: the gate alarms, and the notices as they come.
    const timeline = timelineOf(world);
    timeline?.gateAlarms(config.targets.flatMap((t) => t.gateAlarms));
    timeline?.addNotices(() =>
      attached.notices.map((n) => ({
        at: n.at,
        notice: n.notice,
        service: `${n.target.cluster}/${n.target.service}`,
      })),
    );
    return {
      // A rollout in flight keeps the run going until it ends.
      // A push waiting for a freeze is work under way: it goes when the window ends.
      // So is a push the pipeline has not heard of yet: its event was lost and no sweep has looked
      // since (it looks within one `sweep`), or the run would end before the repair it promises.
      // And a Slack message not sent yet (a Slack outage's back-off), as the invariant checker counts
      // it: the run ended with 7 pending and called them lost (stranger20 08).
      busy: async () => {
        const records = await attached.records();
        return (
          records.some(
            (r) => r.rollout !== undefined || r.frozenPush !== undefined || (r.outbox?.length ?? 0) > 0,
          ) || unheardPushes(world, config.targets, records, attachedAt).length > 0
        );
      },
      sections: async () => ({
        rollouts: rolloutsReport(await attached.records(), {
          served: (from, to) => world.ecs.elb.servedBetween(from, to),
          now: world.now(),
        }).map((r) => ({
          ...r,
          summary: `${r.service} ${r.image} ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`,
        })),
        scaling: scalingReport(attached.notices),
        notifications: await attached.notificationsReport(),
        violations: await checker.finish(),
        // Lambda as it ran the handlers: invocations, cold starts, and those killed at their timeout.
        lambda: { ...attached.lambda.counts },
        ...(layer ? { faults: layer.fired } : {}),
      }),
      close: async () => {
        checker.stop();
        layer?.dispose();
        await attached.close();
      },
    };
  };
}

/** The pipeline without faults (`autopilot local`, tests). */
export const withPipeline: OnWorld = pipelineWith();

/**
 * Reads a scenario file with its `faults:` section, and the pipeline that applies them. A file with
 * faults is a case the property suite printed, found in a world without the latency model: it
 * replays in that world (latency off) unless the file says `latency: true`.
 */
export function loadWithFaults(file: string): { scenario: Scenario; onWorld: OnWorld; latency?: boolean } {
  const { scenario, faults } = loadFaultScenario(file);
  const hasFaults = Object.keys(faults).length > 0;
  return { scenario, onWorld: pipelineWith(faults), ...(hasFaults ? { latency: false } : {}) };
}
