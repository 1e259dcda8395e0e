import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { setLogSink } from '../lib/log.ts';
import { loadFaultScenario, runWithFaults } from '../local/scenario/faults.ts';
import { describeVerdictScenarios } from './helpers/verdicts.ts';

const DIR = fileURLToPath(new URL('../scenarios/verdicts/', import.meta.url));

describeVerdictScenarios('verdict scenarios', DIR);

/**
 * Bake on real traffic (issue 13.5): behind a target group a RUNNING task takes no requests until
 * the health check calls it healthy (at its first passing check, up to an interval after it registers), so the 10%
 * step bakes from then: the next step is reached no sooner than the bake after the canary went into
 * service. ECS completes the canary's deployment only once its task is healthy in the target group
 * (ECS Developer Guide, "Health checks for Application Load Balancer target groups"), so that
 * event's time is when it went into service.
 */
describe('bake-on-traffic.yml', () => {
  it('bakes the 10% step for its whole bake after the canary is in service, not from RUNNING', async () => {
    const previous = setLogSink(() => {});
    let run: Awaited<ReturnType<typeof runWithFaults>>;
    try {
      run = await runWithFaults(loadFaultScenario(`${DIR}bake-on-traffic.yml`));
    } finally {
      setLogSink(previous);
    }
    const events = (
      run.report as {
        events: { at: string; event: { 'detail-type': string; detail: any; resources: string[] } }[];
      }
    ).events;
    const canary = (e: (typeof events)[number]) => e.event.resources.some((r) => r.includes('/web-canary'));
    const running = events.find(
      (e) =>
        e.event['detail-type'] === 'ECS Task State Change' &&
        e.event.detail.group === 'service:web-canary' &&
        e.event.detail.lastStatus === 'RUNNING',
    );
    const inService = events.find(
      (e) =>
        e.event['detail-type'] === 'ECS Deployment State Change' &&
        e.event.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED' &&
        canary(e),
    );
    expect(running).toBeDefined();
    expect(inService).toBeDefined();
    const runningAt = Date.parse(running!.at);
    const inServiceAt = Date.parse(inService!.at);
    // The scenario's check is slow (every 150 s; one success makes a new target healthy): RUNNING
    // is far from in service.
    expect(inServiceAt - runningAt).toBeGreaterThanOrEqual(150_000 - 5_000);
    const [summary] = run.records.flatMap((r) => r.history);
    expect(summary?.outcome).toBe('succeeded');
    const next = summary!.steps[1]!.reachedAt!;
    const bake = 5 * 60_000; // the 10% step's bake in the scenario
    expect(next - inServiceAt).toBeGreaterThanOrEqual(bake);
  }, 600_000);
});
