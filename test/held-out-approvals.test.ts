/**
 * The held-out approval scenarios (scenarios/held-out/approvals/*.yml), written from the README
 * alone: other sizes (1 task, 40 tasks), other timings, Slack user groups. Each click is held to
 * exactly what it changed (local/slack-click.ts reports it): a refusal writes nothing to AWS,
 * leaves the record's version where it was, answers the clicker alone and logs `slack.refused`
 * with its reason; a forged or stale request gets HTTP 401 and no answer at all.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectOutcomes, HELD_THEN_APPROVED, type PlayedClick, playApprovals } from './helpers/approvals.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/approvals/', import.meta.url));

type Click = PlayedClick;

const play = (name: string) => playApprovals(`${DIR}${name}.yml`);

/** A click refused after its signature checked out: nothing written, told to the clicker alone. */
function refused(click: Click, reason: string) {
  expect(click, click.summary).toMatchObject({
    status: 200,
    ephemeral: true,
    writes: [],
    recordChanged: false,
  });
  expect(click.answer).toMatch(/^:no_entry: .*nothing (more )?was done|^:no_entry: .* once that ends$/);
  expect(click.log).toContain(`slack.refused:${reason}`);
  expect(click.log).not.toContain('slack.acted');
}

/** A request that is not Slack's (forged) or too old (expired): 401, no answer, nothing else. */
function unsigned(click: Click, reason: 'bad_signature' | 'stale') {
  expect(click, click.summary).toMatchObject({
    status: 401,
    writes: [],
    recordChanged: false,
    log: [`slack.refused:${reason}`],
  });
  expect(click.answer).toBeUndefined();
}

/** A click that acted: its record was written and the outcome was told in the thread. */
function acted(click: Click, answer: RegExp) {
  expect(click, click.summary).toMatchObject({ status: 200, ephemeral: false, recordChanged: true });
  expect(click.answer).toMatch(answer);
  expect(click.log).toContain('slack.acted');
}

describe('held-out approvals, played as a stranger would', () => {
  it('one-task-promote-abort.yml: a 1-task service is promoted, then aborted; the outsider, forged, replayed and expired requests change nothing', async () => {
    const { clicks, rollouts, notifications } = await play('one-task-promote-abort');
    const [outsider, forged, promote, replay, expired, abort] = clicks(6);
    refused(outsider, 'not_approver');
    expect(outsider.answer).toBe(':no_entry: <@U7OUTSIDER> is not an approver of prod/api; nothing was done');
    unsigned(forged, 'bad_signature');
    acted(promote, /^<@U1ONCALL> promoted: prod\/api: api:v2 promoted to step 2\/3 \(50%\)/);
    // Replayed 4 min 57 s later, inside Slack's 5 minutes: the button's step has passed.
    refused(replay, 'stale_button');
    unsigned(expired, 'stale');
    acted(abort, /^<@U1ONCALL> aborted: prod\/api: api:v2 aborted; rolling back/);
    expect(abort.writes).toContain('ecs:UpdateService');
    expect(rollouts).toEqual([
      expect.objectContaining({
        outcome: 'aborted',
        reason: 'aborted by hand: aborted from Slack by U1ONCALL',
      }),
    ]);
    // One step message for the promotion at 4m02s and none for the refused clicks.
    expect(notifications.map((n) => [n.at.slice(11, 16), n.kind])).toEqual([
      ['00:01', 'started'],
      ['00:01', 'step'],
      ['00:04', 'step'],
      ['00:10', 'rolled_back'],
    ]);
    expect(notifications[2]!.at).toBe('2026-01-01T00:04:02.000Z');
  }, 300_000);

  it('forty-tasks-retry.yml: a release group’s member retries a rolled-back digest; an outsider, a forged request and two replays do not', async () => {
    const { clicks, rollouts } = await play('forty-tasks-retry');
    const [outsider, forged, retry, replayWhileRolling, replayAfter] = clicks(5);
    // U9OUTSIDER is in no listed group: usergroups.users.list said so, and nothing moved.
    refused(outsider, 'not_approver');
    unsigned(forged, 'bad_signature');
    acted(
      retry,
      /^<@U3RELEASE> retried the digest: prod\/shop: rolling out shop:v2 again: step 1\/2 \(10%\)/,
    );
    refused(replayWhileRolling, 'stale_button');
    // The retried rollout has ended: the request itself is what is refused. Its one call is the
    // conditional PutItem of its key, which DynamoDB refused (ConditionalCheckFailed): no write.
    expect(replayAfter).toMatchObject({
      status: 200,
      ephemeral: true,
      recordChanged: false,
      writes: ['dynamodb:PutItem'],
      answer: ':no_entry: this click was already acted on; nothing more was done',
    });
    expect(replayAfter.log).toEqual(['slack.refused:replayed']);
    expect(rollouts.map((r) => [r.image, r.outcome, r.startedAt.slice(0, 19)])).toEqual([
      [expect.stringContaining('shop:v2'), 'rolled_back', '2026-01-01T00:01:00'],
      // the retry, at the click
      [expect.stringContaining('shop:v2'), 'rolled_back', '2026-01-01T00:21:00'],
    ]);
  }, 300_000);

  it('freeze-deploy-now.yml: a weekend freeze (New York, across the change to daylight time) is crossed by the approver’s click only', async () => {
    const { clicks, rollouts, notifications } = await play('freeze-deploy-now');
    const [intern, forged, expired, lead] = clicks(4);
    refused(intern, 'not_approver');
    unsigned(forged, 'bad_signature');
    unsigned(expired, 'stale');
    acted(lead, /^<@U5LEAD> approved: prod\/pay: pay:v2 goes now, through the freeze: step 1\/2 \(20%\)/);
    expect(rollouts).toEqual([
      expect.objectContaining({ outcome: 'succeeded', startedAt: '2026-03-07T09:07:00.000Z' }),
    ]);
    expect(notifications.map((n) => n.kind)).toEqual([
      'frozen',
      'approved',
      'started',
      'step',
      'step',
      'succeeded',
    ]);
  }, 300_000);

  it('freeze-hotfix-midbake.yml: the plain push waits, the hotfix goes at once, and the freeze ending mid-bake starts nothing', async () => {
    const { rollouts, notifications } = await play('freeze-hotfix-midbake');
    expectOutcomes(rollouts, [
      ['pay:hotfix-7', 'succeeded'],
      ['pay:v2', 'ignored'],
    ]);
    // At its push (15:42), inside the window; the window's end (16:10) falls in its 30-minute bake.
    expect(Date.parse(rollouts[0]!.startedAt) - Date.parse('2026-03-06T15:42:00Z')).toBeLessThan(1000);
    expect(rollouts[1]!.reason).toContain('was pushed before pay:hotfix-7');
    expect(notifications.map((n) => n.kind)).toEqual(['frozen', 'started', 'step', 'step', 'succeeded']);
    // The hotfix's bake was not cut short by the window's end: 30 minutes from its first step.
    const steps = notifications.filter((n) => n.kind === 'step').map((n) => Date.parse(n.at));
    expect(steps[1]! - steps[0]!).toBeGreaterThanOrEqual(30 * 60_000);
  }, 300_000);

  it('freeze-starts-mid-rollout.yml: a rollback inside the window is not frozen; a push there waits for its end', async () => {
    const { rollouts, notifications } = await play('freeze-starts-mid-rollout');
    expectOutcomes(rollouts, [
      ['pay:v2', 'rolled_back'],
      ['pay:v3', 'succeeded'],
    ]);
    // The crash (about 20 minutes after the canary started, 15:51) is inside the window (15:40-18:00).
    const back = Date.parse(notifications.find((n) => n.kind === 'rolled_back')!.at);
    expect(back).toBeGreaterThan(Date.parse('2026-03-06T15:40:00Z'));
    expect(back).toBeLessThan(Date.parse('2026-03-06T16:00:00Z'));
    expect(notifications.map((n) => n.kind)).toEqual([
      'started',
      'step',
      'rolled_back',
      'frozen',
      'started',
      'step',
      'step',
      'succeeded',
    ]);
    expect(rollouts[1]!.startedAt.slice(0, 16)).toBe('2026-03-06T18:00');
  }, 300_000);

  it('gate-failing-canary.yml: approving while a gate alarm is in ALARM (its event not yet handled) rolls back, without first moving the canary on', async () => {
    const { clicks, rollouts, notifications } = await play('gate-failing-canary');
    const [approve] = clicks(1);
    acted(approve, /rolling back to web:1: gate alarm web-5xx is in ALARM: canary 5xx/);
    // No step to 100 %: the approval's own decision read the alarm and rolled back.
    expect(notifications.map((n) => n.kind)).toEqual([
      'started',
      'step',
      'approval',
      'approved',
      'rolled_back',
    ]);
    expect(rollouts.map((r) => [r.outcome, r.reason])).toEqual([
      ['rolled_back', 'gate alarm web-5xx is in ALARM: canary 5xx'],
    ]);
  }, 300_000);

  it('hold-groups.yml: the gate holds past its timeout; a group Slack cannot list refuses an outsider, a member of the other group approves', async () => {
    const { clicks, rollouts, notifications } = await play('hold-groups');
    const [outsider, member] = clicks(2);
    refused(outsider, 'group_unavailable');
    expect(outsider.answer).toBe(
      ':no_entry: whether <@U4OTHER> may act on prod/web cannot be told: Slack did not list the members of the user group <!subteam^S0TYPO> (Slack answered no_such_subteam: no such user group; check `approvers`); nothing was done',
    );
    acted(member, /^<@U3DEPLOY> approved: prod\/web: web:v2 approved: step 2\/2 \(100%\)/);
    expect(notifications.map((n) => n.kind)).toEqual(HELD_THEN_APPROVED);
    const at = (kind: string) => Date.parse(notifications.find((n) => n.kind === kind)!.at);
    // Held (told once) when approvalTimeout ran out, 7 minutes after it asked; approved at the click.
    expect(at('blocked') - at('approval')).toBe(7 * 60_000);
    expect(at('approved')).toBe(Date.parse('2026-01-01T00:41:00Z'));
    expect(rollouts).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
  }, 300_000);

  it('bad-bot-token.yml: with a token Slack refuses, a group member is refused; a user listed by ID acts, and is still told in the thread', async () => {
    const { clicks, rollouts } = await play('bad-bot-token');
    const [member, pause, resume] = clicks(3);
    refused(member, 'group_unavailable');
    expect(member.answer).toContain('(Slack answered invalid_auth: the bot token is not valid)');
    // chat.postMessage refused the token: the outcome went through response_url instead.
    acted(pause, /^<@U1ONCALL> paused: prod\/web: web:v2 paused at step 1\/2 \(50%\)/);
    acted(resume, /^<@U1ONCALL> resumed: prod\/web: web:v2 resumed/);
    expect(rollouts).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
  }, 300_000);
});
