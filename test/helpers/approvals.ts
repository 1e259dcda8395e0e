/**
 * Plays an approvals scenario file as `autopilot sim` does (the pipeline attached, the invariants
 * checked all along: none may be violated) and reads back what the approvals tests look at.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseScenario } from '../../local/scenario/parse.ts';
import { runScenario } from '../../local/scenario/run.ts';
import { withPipeline } from '../../local/scenario/sim-pipeline.ts';
import type { ClickResult } from '../../local/slack-click.ts';

/** A timeline step's summary and result; a Slack click's result is a ClickResult. */
export type PlayedStep = { summary: string } & Partial<ClickResult> & Record<string, any>;

/** A played Slack click: all of ClickResult is there. */
export type PlayedClick = { summary: string } & ClickResult;

/** N of T: `Tuple<Click, 2>` is `[Click, Click]`, so a test names each click it expects. */
type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [...R, T]>;

export async function playApprovals(file: string) {
  const scenario = parseScenario(readFileSync(file, 'utf8'), { file });
  const { report } = await runScenario(scenario, { onWorld: withPipeline });
  const r = report as any;
  expect(r.violations, file).toEqual([]);
  const steps = report.timeline.map((s) => ({ summary: s.summary, ...(s.result ?? {}) })) as PlayedStep[];
  return {
    steps,
    /** The Slack clicks in timeline order; `clicks(3)` throws unless there are exactly 3. */
    clicks: <N extends number>(n: N): Tuple<PlayedClick, N> => {
      const clicks = report.timeline
        .filter((s) => s.action === 'slack')
        .map((s) => ({ summary: s.summary, ...(s.result ?? {}) })) as PlayedClick[];
      expect(clicks, file).toHaveLength(n);
      return clicks as Tuple<PlayedClick, N>;
    },
    rollouts: (r.rollouts as any[]).map((x) => ({
      image: String(x.image),
      outcome: x.outcome as string,
      reason: x.reason as string,
      startedAt: x.startedAt as string,
    })),
    notifications: (r.notifications as any[]).map((n) => ({
      at: n.at as string,
      kind: n.kind as string,
      text: n.text as string,
    })),
  };
}

/** What Slack is told of a gate nobody decided in time that holds (`onApprovalTimeout: hold`) until approved. */
export const HELD_THEN_APPROVED = ['started', 'step', 'approval', 'blocked', 'approved', 'step', 'succeeded'];

/**
 * The rollouts' images and outcomes, in order, are `expected`'s `[image, outcome]` pairs; a rollout's
 * image is the full ECR URI, so a pair names only the part it must contain (`web:v2`).
 */
export function expectOutcomes(rollouts: { image: string; outcome: string }[], expected: [string, string][]) {
  expect(rollouts.map((r) => [r.image, r.outcome])).toEqual(
    expected.map(([image, outcome]) => [expect.stringContaining(image), outcome]),
  );
}
