/**
 * Services the pipeline cannot roll out safely are refused at the push, clearly, and nothing is
 * lost or blamed (issue 14, "Nothing silently unsupported"): scenarios/refusals/*.yml, played as
 * `autopilot sim` plays them, with the invariants checked all along.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { setLogSink } from '../lib/log.ts';
import { loadFaultScenario, runWithFaults } from '../local/scenario/faults.ts';

const DIR = fileURLToPath(new URL('../scenarios/refusals/', import.meta.url));

describe('refused at the push', () => {
  it('a CODE_DEPLOY service: nothing registered, no canary, a person told why, the digest not bad', async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    let run: Awaited<ReturnType<typeof runWithFaults>>;
    try {
      run = await runWithFaults(loadFaultScenario(`${DIR}code-deploy.yml`));
    } finally {
      setLogSink(previous);
    }
    expect(run.violations).toEqual([]);
    const report = run.report as unknown as {
      apiCalls: Record<string, number>;
      services: { name: string; taskDefinition: string }[];
    };
    // Only web:1, the service's own revision: the push registered nothing.
    expect(report.apiCalls['ecs:RegisterTaskDefinition'] ?? 0).toBe(0);
    expect(report.services.map((s) => `${s.name} ${s.taskDefinition}`)).toEqual(['web web:1']);
    const [record] = run.records;
    expect(record!.rollout).toBeUndefined();
    expect(Object.keys(record!.badDigests)).toEqual([]);
    // Told as an error (Slack's `blocked` notice, the log), once, naming the controller.
    const told = lines.filter(
      (l) => l.includes('CODE_DEPLOY deployment controller') && l.includes('"level":"error"'),
    );
    expect(told.length).toBeGreaterThan(0);
    expect(JSON.stringify(record!.outbox ?? [])).not.toMatch(/rolled_back/);
  }, 240_000);
});
