/**
 * `autopilot sim` replays a case the property suite printed: the file's `faults:` section is applied
 * to the run (local/scenario/sim-pipeline.ts), and the report carries the invariants' `violations` (an empty
 * list when all held), the faults that fired, and set-up's `warnings`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioProblems } from '../../local/cli.ts';
import { parseFaultScenario } from '../../local/scenario/faults.ts';
import { ScenarioError } from '../../local/scenario/parse.ts';
import { runScenario } from '../../local/scenario/run.ts';
import { loadWithFaults } from '../../local/scenario/sim-pipeline.ts';

const CASES = path.join(import.meta.dirname, '..', 'property', 'cases');

describe('sim replays printed property cases', () => {
  it.each(readdirSync(CASES).filter((f) => f.endsWith('.yml')))(
    '%s: its faults fire, and no invariant is violated',
    async (file) => {
      const { scenario, onWorld } = loadWithFaults(path.join(CASES, file));
      const { report } = await runScenario(scenario, { onWorld });
      expect(Array.isArray(report.faults) && report.faults.length).toBeGreaterThan(0);
      expect(report.violations).toEqual([]);
      expect(report.warnings).toEqual([]);
    },
    120_000,
  );
});

describe('the faults that fired', () => {
  it('name each Slack request answered badly, when it was', async () => {
    // A 500 on the first webhook request, a 429 on the second (the report left these out before).
    const file = path.join(
      CASES,
      '..',
      '..',
      '..',
      'scenarios',
      'held-out',
      'stranger14',
      '09-three-lb-slack-500-then-429.yml',
    );
    const { scenario, onWorld } = loadWithFaults(file);
    const { report } = await runScenario(scenario, { onWorld });
    expect(report.faults).toEqual([
      { at: '2026-01-01T00:01:00.000Z', fault: 'slack', detail: 'webhook request 1 answered http-500' },
      { at: '2026-01-01T00:01:10.000Z', fault: 'slack', detail: 'webhook request 2 answered http-429' },
    ]);
  }, 60_000);
});

describe('set-up warnings', () => {
  it('warns of a gate alarm on a metric no load balancer publishes (TargetGroup alone)', async () => {
    const { scenario, onWorld } = loadWithFaults(path.join(CASES, readdirSync(CASES)[0]!));
    scenario.alarms.push({
      name: 'web-5xx-tg-only',
      namespace: 'AWS/ApplicationELB',
      metric: 'HTTPCode_Target_5XX_Count',
      dimensions: { TargetGroup: 'web' },
      statistic: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 10,
      comparison: 'GreaterThanThreshold',
    });
    scenario.timeline = [];
    scenario.until = 60_000;
    const { report } = await runScenario(scenario, { onWorld });
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings![0]).toContain(
      'AWS/ApplicationELB publishes HTTPCode_Target_5XX_Count with dimensions LoadBalancer and TargetGroup together, or LoadBalancer, not TargetGroup',
    );
  }, 60_000);
});

describe('a mistake in faults:', () => {
  it('is a scenario mistake naming the file, line and field (so `sim --json` answers the failure document)', () => {
    const text = [
      'clusters: [{ name: prod }]',
      'services: [{ cluster: prod, name: web, image: web:v1 }]',
      'faults:',
      '  aws:',
      '    - { call: 40, times: 400, error: unavailable }',
    ].join('\n');
    let thrown: unknown;
    try {
      parseFaultScenario(text, { file: 'x.yml' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ScenarioError);
    expect((thrown as ScenarioError).message).toBe(
      'x.yml:5:26: faults.aws[0].times: must be an integer from 1 to 100, got 400',
    );
    expect(scenarioProblems(thrown as ScenarioError)).toEqual([
      { path: 'faults.aws[0].times', line: 5, message: 'must be an integer from 1 to 100, got 400' },
    ]);
  });
});
