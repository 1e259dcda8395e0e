/**
 * Scenario files with a `faults:` section, replayed with the same invariants and outcome checks as
 * the properties: every file in test/property/cases/ (the shrunk cases of bugs the properties
 * found, kept as regression tests), and the file REPLAY names (what a failing property printed):
 *
 *   REPLAY=test-output/fault-cases/healthy-push-seed20260801.yml npx vitest run test/property/replay.test.ts
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setLogSink } from '../../lib/log.ts';
import { faultPlanToYaml, loadFaultScenario, runWithFaults } from '../../local/scenario/faults.ts';
import { outcomeProblems, pushesOf, tasksOf } from './harness.ts';

const CASES = path.join(import.meta.dirname, 'cases');
const files = [
  ...readdirSync(CASES)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => path.join(CASES, f)),
  ...(process.env.REPLAY ? [path.resolve(process.env.REPLAY)] : []),
];

describe('fault scenarios, replayed', () => {
  it.each(files.map((f) => [path.relative(process.cwd(), f), f]))('%s', async (_name, file) => {
    const loaded = loadFaultScenario(file);
    const previous = setLogSink(() => {});
    let run: Awaited<ReturnType<typeof runWithFaults>>;
    try {
      run = await runWithFaults(loaded);
    } finally {
      setLogSink(previous);
    }
    const problems = [
      ...run.violations.map(
        (v) => `invariant ${v.invariant} violated at ${v.at} on ${v.service}: ${v.detail}`,
      ),
      ...outcomeProblems({ pushes: pushesOf(loaded.scenario), tasks: tasksOf(loaded.scenario) }, run),
    ];
    const fired = run.fired.map((f) => `  ${f.at} ${f.fault}: ${f.detail}`);
    expect(
      problems,
      [`${file}:`, faultPlanToYaml(loaded.faults), 'faults that fired:', ...fired].join('\n'),
    ).toEqual([]);
  });
});

describe('a case replays on its own as it ran among others', () => {
  // Fault schedules count AWS calls, so a cache that outlives one world (it did: the health-check
  // cache was module-level) shifts every later call and a printed case no longer replays alone.
  it('the same file run first and run after the others makes the same calls and fires the same faults', async () => {
    const file = path.join(CASES, 'landed-write-then-throttled-retries-loses-the-step-notice.yml');
    const previous = setLogSink(() => {});
    try {
      const first = await runWithFaults(loadFaultScenario(file));
      for (const other of files.filter((f) => f !== file)) await runWithFaults(loadFaultScenario(other));
      const again = await runWithFaults(loadFaultScenario(file));
      expect(again.fired.map((f) => f.detail)).toEqual(first.fired.map((f) => f.detail));
      expect(again.report.apiCalls).toEqual(first.report.apiCalls);
      expect(first.fired.some((f) => f.fault === 'aws.throttle')).toBe(true);
    } finally {
      setLogSink(previous);
    }
  }, 240_000);
});
