/**
 * Puts the pipeline into a scenario: when the scenario has an `autopilot:` config, the real
 * handlers are attached to its world (local/pipeline.ts) and the report gains `rollouts`, `scaling`
 * and `notifications`. When the
 * run samples a timeline (local/timeline.ts, for `--html`), the pipeline's notices go into it.
 */
import { ConfigError, validateConfig } from '../lib/config.ts';
import { attachPipeline } from './pipeline.ts';
import { rolloutsReport, scalingReport } from './rollout-report.ts';
import { scenarioError } from './scenario/parse.ts';
import type { OnWorld, ScenarioExtension } from './scenario/run.ts';
import { timelineOf } from './timeline.ts';

export const withPipeline: OnWorld = async (world, scenario): Promise<ScenarioExtension | undefined> => {
  if (!scenario.autopilot) return undefined;
  let config: ReturnType<typeof validateConfig>;
  try {
    config = validateConfig(scenario.autopilot.config, scenario.autopilot.path ?? scenario.source.file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw scenarioError(scenario.source, 'autopilot', e.message);
  }
  const attached = await attachPipeline(world, config);
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
    busy: async () => (await attached.records()).some((r) => r.rollout !== undefined),
    sections: async () => ({
      rollouts: rolloutsReport(await attached.records()).map((r) => ({
        ...r,
        summary: `${r.service} ${r.image} ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`,
      })),
      scaling: scalingReport(attached.notices),
      notifications: await attached.notificationsReport(),
    }),
    close: () => attached.close(),
  };
};
