/**
 * A verdict scenario's checks, shared by test/scenario-verdicts.test.ts (scenarios/verdicts/) and
 * test/held-out-verdicts.test.ts (scenarios/held-out/verdicts/). Each file states its verdict in
 * comment lines:
 * - `# verdict: <repository:tag> <outcome> [/<reason pattern>/]`: the image's one history entry in
 *   each service it reached;
 *   healthy images end `succeeded` with no bad digest, failing ones `rolled_back` with the true
 *   reason, the digest marked bad unless `# not-bad: <repository:tag>` says the image was not to
 *   blame (a cluster without room);
 * - `# within: <repository:tag> <duration>`: the image's rollout ended within this of its start
 *   (a rollback's deadline);
 * - `# ends-on: <family:revision>`, `# ends-at: N tasks`: the primary at the end (its desired count);
 * - `# ends-running: N tasks`: the tasks it runs then, fewer than its count on a cluster that cannot
 *   hold it (its one deployment may then stay IN_PROGRESS: ECS keeps trying to place the rest);
 * - `# ends-deployments: <rolloutState> …`: the primary's deployments at the end, in ECS's order,
 *   where one steady deployment cannot be (a rollback on a full cluster whose own deployment of the
 *   good revision can place no task beside the old one: a person is told);
 * - `# slack: <kind> /<pattern>/`: a Slack message of that kind whose text matches;
 * - `# no-slack: <kind>`: no Slack message of that kind (a page nothing needed, such as `blocked`);
 * - `# slack-sent-by: <duration>`: every Slack message sent by this time after the start (a backlog
 *   drained, not left for the sweep);
 * - `# api-calls-at-most: <service:Operation> <n>`: the pipeline made no more such calls (a storm);
 * - `# cli: <n> /<pattern>/`: the nth `cli:` step (from 1) printed something matching;
 * - `# alarm: <name> <STATE> at <duration>`: the alarm was in that state at that time after the
 *   start (its last state change on the bus at or before it), so a case about an alarm tests it.
 * Always: no set-up warning (an alarm on a metric nothing publishes would never fire), no invariant
 * violated, no rollout left open, every service on one steady deployment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../lib/duration.ts';
import { setLogSink } from '../../lib/log.ts';
import { loadFaultScenario, runWithFaults } from '../../local/scenario/faults.ts';
import { rolloutsReport } from '../../local/scenario/rollout-report.ts';

interface Verdict {
  image: string;
  outcome: string;
  reason?: RegExp;
}

/**
 * The tests of a folder of verdict scenarios (`dir` ends with a slash): each file states a verdict,
 * and each ends as it says. `only`: these files of the folder (the ones that found a defect, when
 * the others are slow or held up).
 */
export function describeVerdictScenarios(title: string, dir: string, only?: string[]): void {
  const files = only ?? readdirSync(dir).filter((f) => f.endsWith('.yml'));
  describe(title, () => {
    it('each file states at least one verdict', () => {
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(verdictsOf(readFileSync(dir + f, 'utf8')), f).not.toEqual([]);
    });

    it.each(files)('%s ends as its verdict says', (file) => checkVerdictScenario(dir + file), 600_000);
  });
}

export function verdictsOf(text: string): Verdict[] {
  return [...text.matchAll(/^# verdict: (\S+) (\w+)(?: \/(.+)\/)?$/gm)].map((m) => ({
    image: m[1]!,
    outcome: m[2]!,
    ...(m[3] ? { reason: new RegExp(m[3]) } : {}),
  }));
}

interface Report {
  services: {
    name: string;
    taskDefinition: string;
    desiredCount: number;
    runningCount: number;
    deployments: { rolloutState?: string }[];
  }[];
  notifications?: { kind: string; text: string; outcome?: string; attempts?: { at: string }[] }[];
  timeline: { action: string; result?: { output?: string } }[];
  warnings?: string[];
  startedAt: string;
  events: { at: string; event: { 'detail-type': string; detail: any } }[];
  apiCalls?: Record<string, number>;
}

/** Plays the scenario file as `autopilot sim` does and checks everything its comments state. */
export async function checkVerdictScenario(file: string): Promise<void> {
  const text = readFileSync(file, 'utf8');
  const verdicts = verdictsOf(text);
  const notBad = [...text.matchAll(/^# not-bad: (\S+)$/gm)].map((m) => m[1]);
  const previous = setLogSink(() => {});
  let run: Awaited<ReturnType<typeof runWithFaults>>;
  try {
    run = await runWithFaults(loadFaultScenario(file));
  } finally {
    setLogSink(previous);
  }
  expect(run.violations).toEqual([]);
  const history = run.records.flatMap((r) => r.history);
  for (const v of verdicts) {
    // One entry in each service the image reached (a push to a repository of several targets).
    const ends = run.records
      .map((r) => r.history.filter((h) => `${h.image.repository}:${h.image.tag}` === v.image))
      .filter((e) => e.length > 0);
    expect(ends.length, `${v.image} ended somewhere`).toBeGreaterThan(0);
    for (const ended of ends) {
      expect(
        ended.map((h) => h.outcome),
        `${v.image}: ${ended.map((h) => h.reason).join('; ')}`,
      ).toEqual([v.outcome]);
      if (v.reason) expect(ended[0]!.reason).toMatch(v.reason);
    }
    const digest = ends[0]![0]!.image.digest;
    const bad = run.records.some((r) => r.badDigests[digest] !== undefined);
    expect(bad, `${v.image} marked bad`).toBe(v.outcome === 'rolled_back' && !notBad.includes(v.image));
    // `autopilot sim --json` says so too (its rollouts section), for a person rehearsing a policy.
    const reported = rolloutsReport(run.records).filter((r) => r.digest === digest);
    expect(reported.length, `${v.image} in the report's rollouts`).toBeGreaterThan(0);
    for (const r of reported) expect(r.digestMarkedBad, `${v.image}: the report's digestMarkedBad`).toBe(bad);
  }
  for (const [, image, limit] of text.matchAll(/^# within: (\S+) (\S+)$/gm)) {
    const ended = history.find((h) => `${h.image.repository}:${h.image.tag}` === image);
    expect(ended, `${image} ended`).toBeDefined();
    const took = ended!.endedAt - ended!.startedAt;
    expect(took, `${image}: took ${took / 1000} s`).toBeLessThanOrEqual(parseDuration(limit!));
  }
  for (const r of run.records) {
    expect(r.rollout, `${r.key} has a rollout left open`).toBeUndefined();
  }
  const report = run.report as unknown as Report;
  expect(report.warnings ?? [], 'set-up warnings').toEqual([]);
  for (const [, name, state, at] of text.matchAll(/^# alarm: (\S+) (\w+) at (\S+)$/gm)) {
    const when = Date.parse(report.startedAt) + parseDuration(at!);
    const changes = report.events.filter(
      (e) =>
        e.event['detail-type'] === 'CloudWatch Alarm State Change' &&
        e.event.detail.alarmName === name &&
        Date.parse(e.at) <= when,
    );
    expect(changes.at(-1)?.event.detail.state.value, `${name} at ${at}`).toBe(state);
  }
  const primary = report.services.find((s) => !s.name.endsWith('-canary'));
  const endsAt = /^# ends-at: (\d+) tasks$/m.exec(text)?.[1];
  if (endsAt) expect(primary?.desiredCount, "the primary's count at the end").toBe(Number(endsAt));
  const endsOn = /^# ends-on: (\S+)$/m.exec(text)?.[1];
  if (endsOn) expect(primary?.taskDefinition).toBe(endsOn);
  // A count the cluster cannot hold: the primary runs what it holds, and ECS's deployment of its
  // revision stays IN_PROGRESS while it cannot place the rest (one deployment all the same).
  const endsRunning = /^# ends-running: (\d+) tasks$/m.exec(text)?.[1];
  if (endsRunning)
    expect(primary?.runningCount, "the primary's tasks running at the end").toBe(Number(endsRunning));
  const endsDeployments = /^# ends-deployments: (.+)$/m.exec(text)?.[1]?.split(' ');
  for (const s of report.services) {
    if (s === primary && endsDeployments) {
      expect(s.deployments.map((d) => d.rolloutState)).toEqual(endsDeployments);
      continue;
    }
    const short = s === primary && endsRunning !== undefined && Number(endsRunning) < s.desiredCount;
    expect(
      s.deployments.map((d) => (short ? 'one' : d.rolloutState)),
      `${s.name} ends on one steady deployment`,
    ).toEqual([short ? 'one' : 'COMPLETED']);
  }
  for (const [, kind, pattern] of text.matchAll(/^# slack: (\S+) \/(.+)\/$/gm)) {
    const texts = (report.notifications ?? []).filter((n) => n.kind === kind).map((n) => n.text);
    expect(
      texts.some((t) => new RegExp(pattern!).test(t)),
      `a ${kind} message matching /${pattern}/ in ${JSON.stringify(texts)}`,
    ).toBe(true);
  }
  for (const [, limit] of text.matchAll(/^# slack-sent-by: (\S+)$/gm)) {
    const by = Date.parse(report.startedAt) + parseDuration(limit!);
    const late = (report.notifications ?? []).filter(
      (n) => n.outcome !== 'sent' || Date.parse(n.attempts?.at(-1)?.at ?? '') > by,
    );
    expect(report.notifications?.length ?? 0, 'Slack messages').toBeGreaterThan(0);
    expect(
      late.map((n) => `${n.kind} ${n.outcome} ${n.attempts?.at(-1)?.at}`),
      `every Slack message sent by ${limit}`,
    ).toEqual([]);
  }
  for (const [, operation, most] of text.matchAll(/^# api-calls-at-most: (\S+) (\d+)$/gm)) {
    const calls = report.apiCalls?.[operation!] ?? 0;
    expect(calls, `${operation} calls`).toBeLessThanOrEqual(Number(most));
  }
  for (const [, kind] of text.matchAll(/^# no-slack: (\S+)$/gm)) {
    const texts = (report.notifications ?? []).filter((n) => n.kind === kind).map((n) => n.text);
    expect(texts, `no ${kind} message`).toEqual([]);
  }
  const cli = report.timeline.filter((t) => t.action === 'cli');
  for (const [, n, pattern] of text.matchAll(/^# cli: (\d+) \/(.+)\/$/gm)) {
    expect(cli[Number(n) - 1]?.result?.output ?? '').toMatch(new RegExp(pattern!));
  }
}

/** A stranger's folder of scenarios (scenarios/held-out/<folder>/), and the files of it the suite replays. */
export function heldOut(folder: string, files: string[]): void {
  const dir = fileURLToPath(new URL(`../../scenarios/held-out/${folder}/`, import.meta.url));
  describeVerdictScenarios(`held-out ${folder} scenarios`, dir, files);
}
