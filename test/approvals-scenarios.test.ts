/**
 * The approval and freeze scenarios (scenarios/approvals/*.yml), played with the pipeline as
 * `autopilot sim` plays them, the invariants checked all along: approving and rejecting from Slack
 * and from the terminal, a gate nobody decides (rolled back, or held until someone does), and
 * pushes during a freeze (waiting for its end, a hotfix tag going at once, an approval going now).
 * Forged, expired and replayed requests and an unlisted user change nothing.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectOutcomes, HELD_THEN_APPROVED, playApprovals } from './helpers/approvals.ts';

const DIR = fileURLToPath(new URL('../scenarios/approvals/', import.meta.url));

const play = async (name: string) => {
  const { steps, rollouts, notifications } = await playApprovals(`${DIR}${name}.yml`);
  return { steps: steps as any[], rollouts, notifications };
};

const kinds = (n: { kind: string }[]) => n.map((x) => x.kind);

/** How both timeout scenarios end: nobody decided within their 15m approvalTimeout at step 2. */
const TIMED_OUT = expect.objectContaining({
  outcome: 'rolled_back',
  reason: 'nobody approved step 2 (100%) of web:v2 within 15m',
});

describe('approval scenarios', () => {
  it('approve.yml: only the approver’s correctly signed click approves; the rollout then promotes', async () => {
    const { steps, rollouts, notifications } = await play('approve');
    expect(steps.slice(1).map((s) => [s.summary, s.status])).toEqual([
      ['slack: U123 clicks approve (forged signature)', 401],
      ['slack: U123 clicks approve (expired signature)', 401],
      ['slack: U999 clicks approve', 200],
      ['slack: U123 clicks approve', 200],
      ['slack: U123 clicks reject (replayed signature)', 200],
    ]);
    expect(steps[3].answer).toContain('is not an approver');
    expect(steps[4].answer).toMatch(/^<@U123> approved: prod\/web: web:v2 approved: step 2\/2/);
    expect(steps[5].answer).toContain('nothing was done');
    expect(rollouts).toEqual([
      expect.objectContaining({ image: expect.stringContaining('web:v2'), outcome: 'succeeded' }),
    ]);
    // Promotion waited for the one good click (13m), not for the forged or the unlisted ones.
    const approved = notifications.find((n) => n.kind === 'approved')!;
    expect(approved.at).toBe('2026-01-01T00:13:00.000Z');
    expect(kinds(notifications)).toEqual(['started', 'step', 'approval', 'approved', 'step', 'succeeded']);
  }, 300_000);

  it('reject.yml: a rejection from the terminal rolls the canary back', async () => {
    const { steps, rollouts } = await play('reject');
    expect(steps[1]).toMatchObject({
      exitCode: 0,
      output: 'prod/web: web:v2 rejected; rolling back to web:1',
    });
    expect(rollouts).toEqual([
      expect.objectContaining({
        outcome: 'aborted',
        reason: 'rejected by alice: not today at the approval of step 2 (100%)',
      }),
    ]);
  }, 300_000);

  it('timeout-rollback.yml: nobody decides within approvalTimeout, so it rolls back', async () => {
    const { rollouts, notifications } = await play('timeout-rollback');
    expect(rollouts).toEqual([TIMED_OUT]);
    const asked = notifications.find((n) => n.kind === 'approval')!;
    const back = notifications.find((n) => n.kind === 'rolled_back')!;
    expect(Date.parse(back.at) - Date.parse(asked.at)).toBeGreaterThanOrEqual(15 * 60_000);
  }, 300_000);

  it('timeout-hold.yml: it holds past the timeout, telling a person, until an approval promotes it', async () => {
    const { steps, rollouts, notifications } = await play('timeout-hold');
    expect(kinds(notifications)).toEqual(HELD_THEN_APPROVED);
    expect(steps[1]).toMatchObject({ exitCode: 0 });
    expect(rollouts).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
  }, 300_000);

  it('pause-timeout.yml: a pause stops the approval timeout; resumed, what was left is left again', async () => {
    const { steps, rollouts, notifications } = await play('pause-timeout');
    const asked = Date.parse(notifications.find((n) => n.kind === 'approval')!.at);
    const MIN = 60_000;
    // Asked at about 5m with 15m to decide; paused at 10m, resumed at 1h10m: the hour paused is added.
    const timesOutAt = asked + 75 * MIN;
    expect(steps[2].answer).toContain(`times out at ${new Date(timesOutAt).toISOString()}`);
    expect(kinds(notifications)).toEqual(['started', 'step', 'approval', 'paused', 'resumed', 'rolled_back']);
    // Not behind the pause (about 20m), but when what was left after the resume ran out.
    const rolledBack = Date.parse(notifications.find((n) => n.kind === 'rolled_back')!.at);
    expect(rolledBack).toBeGreaterThanOrEqual(timesOutAt);
    expect(rolledBack).toBeLessThan(timesOutAt + MIN);
    expect(rollouts).toEqual([TIMED_OUT]);
  }, 300_000);

  it('two-gates.yml: a late click on the first gate’s message approves, rejects and promotes nothing', async () => {
    const { steps, rollouts, notifications } = await play('two-gates');
    const [, first, lateApprove, lateReject, latePromote, second] = steps;
    expect(first.answer).toMatch(/^<@U123> approved: prod\/web: web:v2 approved: step 2\/3 \(50%\)/);
    // Gate 2 waits now: the first gate's buttons name step 2, so they act on nothing.
    for (const late of [lateApprove, lateReject]) {
      expect(late.status).toBe(200);
      expect(late.answer).toBe(
        ':no_entry: this button is for the approval of step 2 (50%), which <@U123> gave at 2026-01-01T00:08:00.000Z; the rollout of web:v2 now waits for the approval of step 3 (100%): use that message’s buttons; nothing was done'.replace(
          '’',
          "'",
        ),
      );
    }
    expect(latePromote.answer).toBe(
      ":no_entry: this button is for step 1 of the rollout of web:v2, which is at step 2/3 (50%) now: use the newest message's buttons; nothing was done",
    );
    expect(second.answer).toMatch(/^<@U456> approved: prod\/web: web:v2 approved: step 3\/3 \(100%\)/);
    // The second gate was approved by its own message at 30m, not by the late clicks at 20–22m.
    const approved = notifications.filter((n) => n.kind === 'approved').map((n) => [n.at, n.text]);
    expect(approved).toEqual([
      ['2026-01-01T00:08:00.000Z', 'prod/web: U123 approved step 2 (50%) of web:v2'],
      ['2026-01-01T00:30:00.000Z', 'prod/web: U456 approved step 3 (100%) of web:v2'],
    ]);
    expect(rollouts).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
  }, 300_000);
});

describe('a gate does not shield a failing canary', () => {
  it('gate-crash.yml: a canary crashing while the rollout waits for approval rolls back at once', async () => {
    const { rollouts, notifications } = await play('gate-crash');
    expect(kinds(notifications)).toEqual(['started', 'step', 'approval', 'rolled_back']);
    expect(rollouts).toEqual([
      expect.objectContaining({ outcome: 'rolled_back', reason: expect.stringContaining('exit code 137') }),
    ]);
  }, 300_000);
});

describe('freeze scenarios', () => {
  it('freeze.yml: a push during the window waits and goes when it ends', async () => {
    const { rollouts, notifications } = await play('freeze');
    expect(notifications[0]).toMatchObject({ kind: 'frozen' });
    expect(notifications[0]!.text).toContain('it goes at 2026-01-01 03:00 Europe/Berlin (2026-01-01T02:00Z)');
    expect(rollouts).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    // The tick after the window's end (02:00 UTC) starts it.
    expect(Date.parse(rollouts[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse('2026-01-01T02:00:00Z'));
    expect(Date.parse(rollouts[0]!.startedAt)).toBeLessThan(Date.parse('2026-01-01T02:02:00Z'));
  }, 300_000);

  it('freeze-hotfix.yml: a hotfix tag goes at once; the older push that waited is not deployed over it', async () => {
    const { rollouts } = await play('freeze-hotfix');
    expectOutcomes(rollouts, [
      ['web:hotfix-1', 'succeeded'],
      ['web:v2', 'ignored'],
    ]);
    // At its push, inside the window.
    expect(Date.parse(rollouts[0]!.startedAt) - Date.parse('2026-01-01T00:20:00Z')).toBeLessThan(1000);
  }, 300_000);

  it('freeze-approve.yml: an approver’s click deploys the waiting push now', async () => {
    const { steps, rollouts } = await play('freeze-approve');
    expect(steps[1].answer).toContain('web:v2 goes now, through the freeze');
    expect(rollouts).toEqual([
      expect.objectContaining({ outcome: 'succeeded', startedAt: '2026-01-01T00:10:00.000Z' }),
    ]);
  }, 300_000);
});
