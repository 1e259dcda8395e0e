/**
 * The shapes of a decision: what woke the pipeline (Trigger), what a person asked (Command), what
 * the pipeline will do to the service (Action) and the decision that carries them. Plain data, so
 * every rule in lib/rollout can be tested with objects built by hand.
 */
import type { EcsStrategyFields } from '../ecs-strategy.ts';
import type { Notice } from '../notice.ts';
import type { ImageRef, ServiceRecord } from '../record.ts';
import type { Route } from './traffic.ts';

export type Trigger =
  | {
      kind: 'push';
      image: ImageRef;
      /** ECR's imagePushedAt (milliseconds) by digest, looked up when push event times tie. */
      pushTimes?: Record<string, number>;
      /**
       * Handed on through the wake queue (lib/hand-on.ts), whose messages SQS may deliver twice at
       * once: its registration waits for the commit of the rollout's start (lib/lease.ts actsBeforeCommit).
       */
      handedOn?: true;
    }
  | { kind: 'reconcile'; reason: string }
  | { kind: 'command'; command: Command };

export type Command =
  /** `from`: only while the rollout is at that step (a Slack button's step); else nothing is done. */
  | { name: 'promote'; full: boolean; from?: number }
  | { name: 'pause' }
  | { name: 'resume' }
  | { name: 'abort'; reason?: string }
  /** Back to `to` (a task definition ARN), or to the revision that was good before the current one. */
  | { name: 'rollback'; to?: string; reason?: string }
  | { name: 'deploy'; image: ImageRef }
  /**
   * Through the approval gate the rollout waits at, else the push waiting for a freeze goes now.
   * `on` (a Slack button's): only that gate's step, or that frozen push; else nothing is done.
   */
  | { name: 'approve'; by: string; on?: DecisionTarget }
  /** The rollout waiting at its gate rolls back, else the push waiting for a freeze is dropped. */
  | { name: 'reject'; by: string; reason?: string; on?: DecisionTarget };

/** What an approve or reject is about: rollout `rollout`'s gate before step `step`, or the frozen push `push` (its id). */
export type DecisionTarget = { rollout: string; step: number } | { push: string };

export type Action =
  /**
   * Register a clone of `from` with `container`'s image replaced by `image.uri`, tagged with the
   * digest; `seenBefore`: the service rolled this digest out before (its history, its bad digests),
   * so a revision older than `from` may carry it (lib/observe.ts findRevisionByDigest).
   */
  | { type: 'registerRevision'; from: string; container?: string; image: ImageRef; seenBefore?: boolean }
  /**
   * Create or update the canary service: this revision, this many tasks; with `targetGroup` (weighted
   * traffic) in that target group instead of the primary's.
   */
  | { type: 'setCanary'; taskDefinition: string; desiredCount: number; targetGroup?: string }
  /** Weighted traffic: make the canary's target group `name` like the primary's (lib/listener-routes.ts). */
  | { type: 'createCanaryGroup'; primaryGroup: string; name: string }
  /** Weighted traffic: ModifyRule / ModifyListener, one call per route, to these actions (`to`: for the log). */
  | { type: 'setRoutes'; routes: Route[]; to: string }
  /**
   * Update the primary service to this revision (a rolling update). `maximumPercent`: the switch on
   * a full cluster asks ECS for no more new tasks at once than the room holds (the owner's setting
   * is saved and put back, lib/owner-settings.ts). `minimumHealthyPercent`: a weighted promotion's
   * primary, serving no traffic, on a cluster with no room for its new tasks may stop some old ones
   * first (lib/rollout-math.ts roomlessSwitchMinimumPercent; saved and put back the same way).
   */
  | {
      type: 'setPrimary';
      taskDefinition: string;
      allAtOnce?: boolean;
      maximumPercent?: number;
      minimumHealthyPercent?: number;
    }
  /** Set the primary's desired count: the total that scaling owns. */
  | { type: 'setCount'; desiredCount: number }
  /** ECS's own strategy (ecs-*): UpdateService to this revision with the strategy, its bakes and our hook. */
  | { type: 'startEcsDeployment'; taskDefinition: string; strategy: EcsStrategyFields }
  /** Stop ECS's deployment and roll it back (StopServiceDeployment, stopType ROLLBACK). */
  | { type: 'stopEcsDeployment'; serviceDeploymentArn: string };

export interface Decision {
  record: ServiceRecord;
  actions: Action[];
  notices: Notice[];
  /** Why nothing happened, when that is worth a log line (a duplicate push, an image already deployed). */
  skipped?: string;
  /**
   * Push events carry whole seconds: two pushes in the same second cannot be ordered by them. The
   * decision is void until ECR's own imagePushedAt of these images is known (Trigger pushTimes).
   */
  needsPushTimes?: ImageRef[];
}

/** A short name for a task definition ARN in reasons: `web:3`. */
export const shortName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/**
 * An image not rolled out for a reason a person must act on (a gate alarm that does not exist):
 * `ignored`, and `blocked` too, which Slack gets by default (`ignored`, a tag the policy skips, is
 * not sent by default).
 */
export function tellNotRolledOut(d: Decision, image: ImageRef, reason: string): void {
  d.notices.push({ kind: 'ignored', image, reason });
  d.notices.push({
    kind: 'blocked',
    reason: `${d.record.key}: ${image.repository}:${image.tag} was not rolled out: ${reason}`,
  });
}
