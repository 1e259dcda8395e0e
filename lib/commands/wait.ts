/**
 * `autopilot wait CLUSTER/SERVICE [--image REPOSITORY:TAG] [--timeout 1h] [--interval 2s]`: follows
 * a rollout to its end, showing its progress on stderr, and exits
 *
 *   0  it succeeded (or the image is already deployed)
 *   1  it rolled back, was aborted, superseded by a newer image, or ignored: the reason is printed
 *   3  --timeout passed with the rollout still going
 *
 * Without --image it follows the rollout in progress, or reports how the last one ended. With
 * --image (`deploy` then `wait`, or a CI job that pushed) it waits for that image's rollout to
 * appear, then follows it. A rollback is followed until the service is back on the good revision.
 *
 * Time is the AWS's: against the local AWS (`autopilot local --speed 5`) its clock is read again
 * on every look, so the bake left is the world's, and --timeout counts the world's minutes, not the
 * wall's. Against real AWS the two are the same. --interval is real time between looks.
 */
import type { RolloutSummary, ServiceRecord } from '../record.ts';
import {
  clockTime,
  type Deps,
  describeRollout,
  imageLabel,
  keyOf,
  outcomeText,
  printJson,
  rolloutView,
  summaryJson,
  summaryOf,
  targetOf,
  took,
} from './common.ts';
import { resolveImage } from './deploy.ts';

export interface WaitOptions {
  service: string;
  image?: string;
  /** The AWS's time (the local AWS's clock); default one hour. */
  timeoutMs?: number;
  /** Real time between two looks at the record; default 2 s. */
  intervalMs?: number;
  json?: boolean;
}

export const WAIT_TIMEOUT_MS = 3_600_000;
export const WAIT_INTERVAL_MS = 2_000;
/** Exit code when --timeout passes first. */
export const TIMED_OUT = 3;

type Found =
  | { kind: 'following'; id: string }
  | { kind: 'ended'; summary: RolloutSummary }
  | { kind: 'deployed' }
  | { kind: 'nothing' }
  | { kind: 'not_yet' };

export async function wait(options: WaitOptions, deps: Deps): Promise<number> {
  const target = targetOf(options.service, deps);
  const key = keyOf(target);
  const digest = options.image ? (await resolveImage(options.image, deps, target)).digest : undefined;
  const timeoutMs = options.timeoutMs ?? WAIT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? WAIT_INTERVAL_MS;
  const progress = progressLine(deps);
  const started = deps.now();
  let following: string | undefined;

  try {
    for (;;) {
      await deps.refreshClock();
      const record = await deps.store.get(target.cluster, target.service);
      const found = following ? { kind: 'following' as const, id: following } : look(record, digest);
      if (found.kind === 'following') {
        following = found.id;
        const rollout = record.rollout?.id === found.id ? record.rollout : undefined;
        if (!rollout) {
          const summary = summaryOf(record, found.id);
          progress.clear();
          if (summary) return finish(key, summary, deps, options.json);
          return fail(key, deps, options.json, 'the rollout left the record without an outcome');
        }
        const view = rolloutView(rollout, deps.now());
        progress.show(
          `${key} ${view.image}: ${describeRollout(view)}`,
          `${key} ${view.image}: ${stable(view)}`,
        );
      } else if (found.kind === 'ended') {
        progress.clear();
        return finish(key, found.summary, deps, options.json);
      } else if (found.kind === 'deployed') {
        progress.clear();
        const image = record.lastGood?.image;
        const text = `${image ? imageLabel(image) : options.image} is deployed (${key} runs it since ${clockTime(record.lastGood?.since)})`;
        if (options.json)
          printJson(deps.io, { ok: true, exitCode: 0, service: key, outcome: 'succeeded', reason: text });
        else deps.io.out(`${key}: ${text}\n`);
        return 0;
      } else if (found.kind === 'nothing') {
        progress.clear();
        if (options.json)
          printJson(deps.io, {
            ok: true,
            exitCode: 0,
            service: key,
            outcome: null,
            reason: 'no rollout recorded',
          });
        else deps.io.out(`${key}: no rollout in progress, and none recorded\n`);
        return 0;
      } else {
        progress.show(`${key}: waiting for the rollout of ${options.image} to start`);
      }
      const waited = deps.now() - started;
      if (waited >= timeoutMs) {
        progress.clear();
        const rollout = record.rollout && record.rollout.id === following ? record.rollout : undefined;
        const where = rollout
          ? `${imageLabel(rollout.image)} is still at ${describeRollout(rolloutView(rollout, deps.now()))}`
          : `the rollout of ${options.image ?? 'the image'} has not started`;
        return fail(key, deps, options.json, `gave up after ${took(waited)}: ${where}`, TIMED_OUT);
      }
      await deps.sleep(Math.min(intervalMs, Math.max(0, timeoutMs - waited)));
    }
  } finally {
    progress.clear();
  }
}

/** What there is to follow in the record: the rollout of the digest (or any), else how it ended. */
function look(record: ServiceRecord, digest: string | undefined): Found {
  const rollout = record.rollout;
  if (digest === undefined) {
    if (rollout) return { kind: 'following', id: rollout.id };
    const last = record.history.at(-1);
    return last ? { kind: 'ended', summary: last } : { kind: 'nothing' };
  }
  if (rollout?.image.digest === digest) return { kind: 'following', id: rollout.id };
  if (!rollout && record.lastGood?.image?.digest === digest) return { kind: 'deployed' };
  for (let i = record.history.length - 1; i >= 0; i--) {
    const h = record.history[i]!;
    if (h.image.digest === digest) return { kind: 'ended', summary: h };
  }
  return { kind: 'not_yet' };
}

function finish(key: string, s: RolloutSummary, deps: Deps, json?: boolean): number {
  const ok = s.outcome === 'succeeded';
  if (json) {
    printJson(deps.io, { ok, exitCode: ok ? 0 : 1, service: key, ...summaryJson(s) });
  } else if (ok) {
    deps.io.out(
      `${key}: ${imageLabel(s.image)} succeeded in ${took(s.endedAt - s.startedAt)} (${s.reason})\n`,
    );
  } else {
    deps.io.err(`${key}: ${imageLabel(s.image)} ${outcomeText(s.outcome)}: ${s.reason}\n`);
  }
  return ok ? 0 : 1;
}

function fail(key: string, deps: Deps, json: boolean | undefined, reason: string, code = 1): number {
  if (json) printJson(deps.io, { ok: false, exitCode: code, service: key, outcome: null, reason });
  else deps.io.err(`${key}: ${reason}\n`);
  return code;
}

/** The rollout's place without the countdown: a new line is printed only when this changes. */
function stable(v: ReturnType<typeof rolloutView>): string {
  return describeRollout(v).replace(/, baking, .* left$/, `, baking (${took(v.bakeMs)})`);
}

/**
 * Progress on stderr: on a terminal one line, redrawn; otherwise a line each time the rollout's
 * place changes (a CI log reads as a list of steps).
 */
function progressLine(deps: Deps) {
  const started = deps.now();
  let shown = false;
  let lastStable = '';
  return {
    show(text: string, stableText = text) {
      const at = `[${took(deps.now() - started)}]`;
      if (deps.io.tty) {
        deps.io.err(`\r\x1b[K  ${text}  ${at}`);
        shown = true;
      } else if (stableText !== lastStable) {
        deps.io.err(`  ${stableText}  ${at}\n`);
      }
      lastStable = stableText;
    },
    clear() {
      if (shown) deps.io.err('\r\x1b[K');
      shown = false;
    },
  };
}
