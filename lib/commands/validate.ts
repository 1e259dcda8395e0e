/**
 * `autopilot validate [FILE]`: checks the config (default autopilot.yml, --config, or under --local the world's) without
 * touching AWS, and shows what each target will do; every problem is listed with its path and
 * line, and the exit code is 1.
 *
 *   autopilot.yml: 1 target
 *   SERVICE   REPOSITORY  TAGS      STRATEGY  STEPS                      GATE ALARMS  ROLLS BACK AFTER
 *   prod/web  web         glob "v*" canary    10% 5m, 50% 5m, 100% 2m    web-5xx      1 failed task, 15m per step
 */

import type { Clients } from '../aws.ts';
import { ConfigError, type TargetConfig } from '../config.ts';
import { formatDuration } from '../duration.ts';
import { describeTagPolicy } from '../tag-policy.ts';
import { type Io, keyOf, printJson, table } from './common.ts';
import { loadCommandConfig } from './env.ts';
import { liveProblems } from './validate-live.ts';

export interface ValidateOptions {
  file: string;
  json?: boolean;
  /** `--live`: also ask AWS (lib/commands/validate-live.ts); the clients to ask with. */
  live?: Pick<Clients, 'ecs' | 'cloudwatch' | 'elbv2'>;
}

export async function validate(options: ValidateOptions, io: Io): Promise<number> {
  let targets: TargetConfig[];
  try {
    ({ targets } = await loadCommandConfig(options.file));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (options.json) {
      // The failure shape of every command (cli.ts), with validate's own fields beside it.
      printJson(io, {
        ok: false,
        command: 'validate',
        exitCode: 1,
        error: { kind: 'config', message: e.message, problems: e.problems },
        file: options.file,
        valid: false,
        problems: e.problems,
      });
    } else io.err(`${e.message}\n${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  const live = options.live ? await liveProblems(options.live, targets) : [];
  if (live.length) {
    if (options.json) {
      printJson(io, {
        ok: false,
        command: 'validate',
        exitCode: 1,
        // error.problems in the documented shape (path, message), as for a bad config; the path is
        // the target's, e.g. { path: 'targets[0]', message: 'prod/web: gate alarm nope does not exist …' }.
        error: {
          kind: 'live',
          message: `${live.length} problem(s) in AWS`,
          problems: live.map((p) => ({
            path: `targets[${targets.findIndex((t) => keyOf(t) === p.target)}]`,
            message: `${p.target}: ${p.problem}`,
          })),
        },
        file: options.file,
        valid: false,
        problems: live,
      });
    } else {
      for (const p of live) io.err(`${p.target}: ${p.problem}\n`);
      io.err(`${live.length} problem${live.length === 1 ? '' : 's'} in AWS (validate --live)\n`);
    }
    return 1;
  }
  if (options.json) {
    printJson(io, {
      ok: true,
      file: options.file,
      valid: true,
      targets: targets.map((t) => ({ target: keyOf(t), ...t })),
    });
    return 0;
  }
  io.out(`${options.file}: valid, ${targets.length} target${targets.length === 1 ? '' : 's'}\n`);
  io.out(
    table(
      ['SERVICE', 'REPOSITORY', 'TAGS', 'STRATEGY', 'STEPS', 'GATE ALARMS', 'ROLLS BACK AFTER'],
      targets.map((t) => [
        keyOf(t),
        t.repository,
        describeTagPolicy(t.tags),
        t.strategy,
        t.steps.map((s) => `${s.percent}% ${formatDuration(s.bakeMs)}`).join(', '),
        t.gateAlarms.join(', ') || '-',
        `${t.failedTasks} failed task${t.failedTasks === 1 ? '' : 's'}, ${formatDuration(t.stepDeadlineMs)} per step`,
      ]),
    ),
  );
  return 0;
}
