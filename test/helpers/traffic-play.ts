/**
 * Plays a scenario with the pipeline as `autopilot sim --json` plays it (the same report, its
 * rollouts' per-step servedShare from the local load balancer's request counts), and keeps what a
 * traffic test asserts on besides: every AWS call over HTTP with the Lambda invocation that made it
 * and its virtual time, and the records at the end. `prepare` runs before the clock starts, with the
 * world's endpoint (a person's changes through the SDK).
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ServiceRecord } from '../../lib/record.ts';
import { DynamoRecordStore } from '../../lib/store.ts';
import { RUNNING } from '../../local/lambda.ts';
import { parseScenario } from '../../local/scenario/parse.ts';
import { runScenario } from '../../local/scenario/run.ts';
import { withPipeline } from '../../local/scenario/sim-pipeline.ts';
import type { World } from '../../local/world.ts';
import { localClientConfig } from './world.ts';

export interface Call {
  op: string;
  /** The invocation that made it (undefined: not a Lambda's: set-up, or the test's own). */
  inv: unknown;
  /** Virtual ms. */
  at: number;
}

export async function playTraffic(
  file: string,
  options: { latency?: boolean; prepare?: (world: World) => Promise<void> } = {},
): Promise<{ report: any; calls: Call[]; records: ServiceRecord[] }> {
  const scenario = parseScenario(readFileSync(file, 'utf8'), { file });
  const calls: Call[] = [];
  let records: ServiceRecord[] = [];
  const { report } = await runScenario(scenario, {
    latency: options.latency,
    onWorld: async (world, s) => {
      const ext = await withPipeline(world, s);
      await options.prepare?.(world);
      world.interceptors.push((service, operation) =>
        calls.push({
          op: `${service}:${operation}`,
          inv: world.tasks.stack(RUNNING).at(-1),
          at: world.now(),
        }),
      );
      if (!ext) return undefined;
      return {
        ...ext,
        sections: async () => {
          const store = new DynamoRecordStore(
            new DynamoDBClient(localClientConfig(world.endpoint!)),
            'ecs-autopilot',
          );
          records = await store.list();
          return (await ext.sections?.()) ?? {};
        },
      };
    },
  });
  return { report, calls, records };
}
