/**
 * The later strangers' held-out scenarios that found a defect (stranger14 on, and weighted-room), as
 * test/held-out-stranger.test.ts has the first ones': each file states its verdict in comments, read
 * by test/helpers/verdicts.ts.
 */
import { heldOut } from './helpers/verdicts.ts';

/**
 * stranger14 (helper-71, the fourth round of calls): 17, a digest announced again after a rollback and a
 * newer release registered a second revision for it: a push read only the family's newest revision.
 */
heldOut('stranger14', [
  '17-three-same-digest-again-after-rollback.yml',
  // 3 tasks in room for 3 at 66/100: ECS could neither start (100 %) nor stop (66 % of 2 keeps both)
  // a task of the switched primary; a healthy image was rolled back on capacity at its deadline, a
  // failing one unmarked.
  '18-three-room3-lb-min66-max100-healthy-primary-switch.yml',
  '15-three-room3-lb-unhealthy-after5m-in-final-bake.yml',
]);

/**
 * stranger15 (helper-72, tight clusters under owners' deploymentConfigurations): 01-04, settings
 * ECS's rounding leaves unable to start or stop a task at the count the primary switches at, with
 * slots free: healthy images rolled back "for capacity", a failing one unmarked, deployments left
 * IN_PROGRESS (lib/rollout-math.ts unstuckMaximumPercent); 05, a rolling update on a cluster with no
 * slot at 100/200, whose rollback's own deployment can place no task: now told; 08, the canary's
 * twin of it, which never touches the primary; 09, a switch that broke the floor where none at
 * once (ECS stopping old tasks first) keeps it (slowerSwitch).
 */
heldOut('stranger15', [
  '01-three-room5-nolb-min75-max125-canary-healthy-switch.yml',
  '02-one-room3-nolb-min75-max110-canary-unhealthy-final-bake.yml',
  '03-five-room7-nolb-min100-max110-rolling-healthy.yml',
  '04-two-room4-nolb-min100-max110-rolling-unhealthy.yml',
  '05-ten-room10-lb-min100-max200-rolling-healthy-stuck-deployment.yml',
  '08-seven-room7-lb-min100-max110-canary3-no-room.yml',
  // 7 in room for 7 at 75/200: the switch shrank the primary to 1 beside the canary's 2 (3 of 6).
  '09-seven-room7-lb-min75-max200-canary-healthy-floor.yml',
]);

/**
 * stranger17 (helper-74, people acting while a rollout runs): 01, two services sharing a task-definition
 * family, each on a revision of its own: staging rolled out prod's clone (its sidecar and task size
 * gone), found by its digest tag (lib/observe.ts findRevisionByDigest now takes only a clone of the
 * service's own revision); 03-05, a person's deploy once the
 * promotion had begun, then `resume`: the primary on the person's revision (now `from`) read as ECS's
 * own rollback, and a healthy image was rolled back and marked bad (lib/rollout/commands.ts resume
 * promotes again); 06, a newer push after a person's deploy started from the last good revision, so
 * the person's deploy held it before its first step, the superseded canary serving and the crashing
 * image never run nor rolled back (lib/rollout/push.ts starts it from the person's revision).
 */
heldOut('stranger17', [
  '01-six-and-two-shared-family-staging-gets-prod-revision.yml',
  '03-eight-all-at-once-hand-deploy-resume-healthy-marked-bad.yml',
  '04-six-canary-hand-deploy-final-bake-resume-marked-bad.yml',
  '05-three-rolling-hand-deploy-resume-marked-bad.yml',
  '06-six-canary-push-after-hand-deploy-stuck-old-canary-serves.yml',
  // `promote` of an ecs-canary rollout said it skipped a bake it did not: refused now, exit 1.
  '08-four-ecs-canary-promote-told-done.yml',
]);

/**
 * stranger16 (helper-73, listener weights and ECS's own strategies): 01-02, a healthy image on a
 * full cluster under ecs-canary rolled back at its deadline (or by ECS's breaker counting unplaced
 * tasks as failed to start) and marked bad, capacity unnamed (lib/rollout/progress.ts
 * rollbackReason, lib/rollout/ecs-native.ts); 05, a person's deploy during an ECS canary, which the
 * local ECS reported as the blue revision (DescribeServices), so the pipeline never saw it. 03's
 * late step after a resume is checked by test/ecs-strategies.test.ts.
 */
heldOut('stranger16', [
  '01-4-room5-ecs-canary-healthy-capacity.yml',
  '02-4-room5-ecs-canary-breaker-capacity.yml',
  '03-7-ecs-linear-pause-resume-step-late.yml',
  '04-3-room6-weighted-healthy-promotion.yml',
  '05-7-ecs-canary-hand-deploy-mid-bake.yml',
]);

/**
 * stranger19 (helper-79, the verdict bar played from the README, 38 scenarios): 06, weighted
 * traffic in room for one more task than the count: the promotion's canary could not grow, and the
 * healthy image was rolled back at the step's deadline and marked bad, no capacity named (now the
 * primary switches in the whole room, lib/rollout/weighted.ts switchInWholeRoom; and a deadline
 * there names the canary's unplaced tasks, progress.ts rollbackReason); 26, a `blocked` page for a
 * rollback whose deployment of the good revision ECS was completing by itself, stopping old tasks
 * first (lib/rollout/rollback.ts stuckRollbackDeployment); 34, a pause in ECS's final bake answered
 * "it stays there until resume", which ECS's bake does not (the answer now says what it holds).
 */
heldOut('stranger19', [
  '06-7-room8-weighted-healthy.yml',
  '26-3-room6-weighted-crash-in-promotion-draining-canary.yml',
  '34-2-fargate-ecs-blue-green-paused-in-ecs-bake.yml',
]);

/**
 * stranger20 (helper-80, outages, shared clusters, lost events, Slack backlogs; 28 scenarios): 11,
 * 22, 27, a crash-looping image `succeeded` when every task event was lost: ECS's settled counts hid
 * the replacements (now a task ECS started during the bake lists the stopped ones,
 * lib/observe-rules.ts startedDuringBake); 09, 10, 18, Slack messages due and left by a busy
 * invocation (a fleet's push, the queue after an outage) waited for the sweep, four a period, for
 * hours (lib/wake.ts slackAgainAt). 08 and 17 (sim ending with messages unsent, and hanging on two
 * pushes at one instant) are checked by test/cli.test.ts.
 */
heldOut('stranger20', [
  '09-fargate-slack-backlog-after-outage-waits-for-sweep.yml',
  '10-fleet-24-fargate-one-push-healthy.yml',
  '11-fargate-canary-crash-100s-all-task-events-lost.yml',
  '18-fleet-20-fargate-one-push-crash.yml',
  '22-fargate-rolling-crash-in-bake-all-task-events-lost.yml',
  '27-fargate-ecs-canary-crash-all-task-events-lost.yml',
]);

/**
 * stranger21 (helper-81, today's fixes played again with other shapes; 32 scenarios): 26, a Slack
 * backlog after an outage (40 services) drained 8 messages a minute, one service only at the sweep:
 * every service came back at the same moments (lib/wake.ts slackAgainAt now spreads them); 21 and
 * 32, a rollback of an ECS deployment in its CLEAN_UP stage asked StopServiceDeployment every round
 * (57 calls) while the crashing revision served until ECS finished (lib/rollout/rollback.ts
 * stepEcsRollback); 11, a `resume` whose own look finished the rollout answered exit 1 "had
 * already ended" (lib/commands/control.ts).
 */
heldOut('stranger21', [
  '11-5-room7-weighted-paused-in-promotion-resumed.yml',
  '21-6-fargate-ecs-linear-crash-in-final-bake-task-events-lost.yml',
  '26-fleet-40-fargate-slack-429-20-requests-healthy.yml',
  '32-3-fargate-ecs-blue-green-crash-in-clean-up.yml',
]);

/**
 * Weighted traffic on a tight cluster (stranger16 04, then its neighbours). A weighted promotion
 * grows the canary to the count beside the whole primary: in room for exactly twice the count the
 * primary's switch could place no task and, at minimumHealthyPercent 100, stop none (01, 02 and
 * stranger16 04: a healthy image rolled back at its deadline); in less room the canary could not
 * grow (07, 08, 10: rolled back and the healthy digest marked bad, no capacity named). Now the
 * primary, serving nothing, switches a quarter at a time (lib/rollout/weighted.ts roomlessSwitch),
 * or the canary gives its traffic and room back and the primary rolls in the whole room
 * (switchInWholeRoom). 03-06 and 09, failing images at every point of those switches, roll back;
 * 11, no room for one canary task, ends on capacity, the digest not marked bad. 12-14, a canary
 * step without room beside the whole primary (verdict seed 20270120 #71: rolled back on capacity):
 * the primary gives up the tasks the canary lacks, down to the owner's minimum
 * (lib/rollout-math.ts weightedPrimaryKeeps); at 100 % it may give up none, and the room is named.
 */
heldOut('weighted-room', [
  '01-1-room2-healthy.yml',
  '02-8-room16-healthy.yml',
  '03-3-room6-crash-at-promotion.yml',
  '04-3-room6-unhealthy-at-promotion.yml',
  '05-12-room24-crash-mid-switch.yml',
  '06-3-room6-crash-mid-switch.yml',
  '07-3-room5-healthy.yml',
  '08-3-room4-healthy.yml',
  '09-3-room5-crash-mid-switch.yml',
  '10-12-room15-healthy.yml',
  '11-3-room3-healthy-no-room.yml',
  '12-10-room13-min50-half-healthy.yml',
  '13-10-room13-min50-half-crash.yml',
  '14-10-room13-min100-half-healthy-no-room.yml',
]);

/**
 * stranger18 (helper-78, today's fixes played again): 01-02, `resume` after a person's deploy under
 * ECS's strategies kept the ECS deployment the person's UpdateService had replaced, whose ROLLBACK_*
 * read as ECS's verdict: a healthy image rolled back and marked bad (lib/rollout/commands.ts resume
 * starts ECS's deployment over). 04-05's count put back within seconds and 06's sidecar-first
 * revisions are checked by test/e2e/scaling.test.ts and test/local/invariant-revisions.test.ts.
 */
heldOut('stranger18', [
  '01-7-ecs-linear-hand-deploy-resume-healthy-marked-bad.yml',
  '02-4-ecs-blue-green-hand-deploy-in-bake-resume-marked-bad.yml',
]);
