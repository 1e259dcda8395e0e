/**
 * Item 5, our own code, in real time:
 *
 *   - the functions' bundles, built as serverless.yml's custom.esbuild builds them (bundle, minify,
 *     ESM, node20, the SDK's ES module entry, the createRequire banner, the config built in, the
 *     environment's credentials for the SDK's chain, scripts/esbuild-plugins.cjs; the source map
 *     aside), against an empty middy handler with one SDK client (ECSClient) built with the same
 *     options: size (what each contains, by package), and cold import in a fresh Node process
 *     (bench/child/import-time.mjs), median of several;
 *   - the task-state handler (the ecs-event bundle) in a child process, one event after another as
 *     a Lambda container takes them, against the local world served by this process: events of an
 *     unmanaged service (no AWS call) and of a service in a (paused) rollout (a record read, a full
 *     observation over HTTP, a decision); peak memory of the child over a burst of 10,000 of the latter;
 *   - `decide()` calls per second, in-process, on a real observation.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import type { Config, TargetConfig } from '../lib/config.ts';
import { parseConfig } from '../lib/config-file.ts';
import { decide } from '../lib/decide.ts';
import type { Observation } from '../lib/observation.ts';
import { observe } from '../lib/observe.ts';
import { packagedConfigDefine } from '../lib/packaged-config.ts';
import type { RolloutSummary, ServiceRecord } from '../lib/record.ts';
import { HISTORY_LIMIT } from '../lib/record.ts';
import { median } from './stats.ts';
import { benchWorld, MIN } from './world.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** serverless.yml's custom.esbuild.plugins: what of the SDK no function runs, left out. */
const PLUGINS: Plugin[] = createRequire(import.meta.url)('../scripts/esbuild-plugins.cjs');
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
/** Every function serverless.yml packages: functions/<name>.ts. */
export const FUNCTIONS = readdirSync(join(ROOT, 'functions'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
export const BASELINE = 'baseline-middy-ecs';
/** The config built into the bundles and the handler's burst: one target (its JSON is in every bundle). */
export const BENCH_CONFIG =
  'targets:\n  - { cluster: prod, service: web, container: web, repository: web, tags: { glob: "v*" } }\n';

const BASELINE_SOURCE = `import middy from '@middy/core';
import { ECSClient } from '@aws-sdk/client-ecs';
const ecs = new ECSClient({});
export const handler = middy().handler(async () => ({ region: typeof ecs.config.region }));
`;

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  /** Bytes in the output per package (ours: `lib`, `functions`), largest first. */
  composition?: { from: string; bytes: number }[];
}

/**
 * serverless.yml's custom.esbuild, as esbuild's own options (serverless-esbuild passes them on):
 * the SDK's ES module entry first, `config` built in, the environment's credentials for the SDK's
 * default chain. The baseline is built with the same.
 */
export function esbuildOptions(config: Config): BuildOptions {
  return {
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    banner: { js: BANNER },
    define: packagedConfigDefine(config),
    alias: { '@aws-sdk/credential-provider-node': './lib/lambda-credentials.ts' },
    plugins: PLUGINS,
    logLevel: 'error',
    absWorkingDir: ROOT,
  };
}

/** Builds every function and the baseline into `dir`, with serverless.yml's esbuild options. */
export async function buildBundles(dir: string, config = parseConfig(BENCH_CONFIG)): Promise<Bundle[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const common = esbuildOptions(config);
  const functions = await build({
    ...common,
    entryPoints: FUNCTIONS.map((f) => join(ROOT, 'functions', `${f}.ts`)),
    outdir: dir,
    metafile: true,
  });
  const baseline = await build({
    ...common,
    stdin: { contents: BASELINE_SOURCE, resolveDir: ROOT, sourcefile: `${BASELINE}.mjs`, loader: 'js' },
    outfile: join(dir, `${BASELINE}.mjs`),
    metafile: true,
  });
  const outputs = { ...functions.metafile.outputs, ...baseline.metafile.outputs };
  return [...FUNCTIONS, BASELINE].map((name) => {
    const file = join(dir, `${name}.mjs`);
    const output = Object.entries(outputs).find(([k]) => k.endsWith(`/${name}.mjs`))?.[1];
    return {
      name,
      file,
      bytes: statSync(file).size,
      gzipBytes: gzipSync(readFileSync(file)).length,
      ...(output && { composition: composition(output.inputs) }),
    };
  });
}

/** `node_modules/@aws-sdk/client-ecs/dist-es/…` → `@aws-sdk/client-ecs`; our own files by folder. */
function composition(inputs: Record<string, { bytesInOutput: number }>): { from: string; bytes: number }[] {
  const by = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const from = m ? m[1]! : path.split('/')[0]!;
    by.set(from, (by.get(from) ?? 0) + bytesInOutput);
  }
  return [...by.entries()].map(([from, bytes]) => ({ from, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function runNode(args: string[], env: Record<string, string> = {}, stdout: 'pipe' | 'ignore' = 'pipe') {
  return new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', stdout, 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done(out) : fail(new Error(`node ${args.join(' ')}: exit ${code}\n${err}`)),
    );
  });
}

export interface ColdImport {
  medianMs: number;
  minMs: number;
  rssMB: number;
}

/** Cold import of each bundle, `rounds` fresh processes each, interleaved so drift hits all alike. */
export async function coldImports(bundles: Bundle[], rounds: number): Promise<Record<string, ColdImport>> {
  const script = join(ROOT, 'bench', 'child', 'import-time.mjs');
  const samples: Record<string, { importMs: number; rssMB: number }[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const b of bundles) {
      const out = JSON.parse(await runNode([script, b.file]));
      samples[b.name] = [...(samples[b.name] ?? []), out];
    }
  }
  const result: Record<string, ColdImport> = {};
  for (const [name, s] of Object.entries(samples)) {
    result[name] = {
      medianMs: median(s.map((x) => x.importMs)),
      minMs: Math.min(...s.map((x) => x.importMs)),
      rssMB: median(s.map((x) => x.rssMB)),
    };
  }
  return result;
}

export interface Burst {
  events: number;
  /** Wall clock, against the local world served by the parent process (its answers included). */
  eventsPerSecond: number;
  /** The child's own CPU per event: our code, middy and the SDK. */
  cpuMsPerEvent: number;
  /** RSS every 1000 events of the burst (a leak shows as a climb). */
  rssEvery1000MB: number[];
  maxRssMB: number;
  rssBeforeMB: number;
  heapUsedMB: number;
  statuses: Record<string, number>;
  /** AWS calls the burst made, per event. */
  callsPerEvent: Record<string, number>;
}

export interface HandlerFigures {
  unmanaged: Burst;
  rollout: Burst;
  decide: { freshPerSecond: number; fullHistoryPerSecond: number; historyEntries: number };
}

/**
 * A world with a 20-task service whose canary rollout is paused at step 1 (so that the decisions
 * the burst makes change nothing), the ecs-event bundle driven by a child process against it.
 */
export async function handlerFigures(
  bundle: string,
  counts: { unmanaged: number; rollout: number },
): Promise<HandlerFigures> {
  const b = await benchWorld({ seed: 'handler', desiredCount: 20, load: 100, pipeline: {} });
  const dir = join(tmpdir(), `ecs-autopilot-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const { world } = b;
    const p = b.pipeline!;
    world.ecr.push('web', 'v2');
    await world.runFor(2 * MIN);
    await p.pipeline.command('prod', 'web', { name: 'pause' });
    const record = await p.store.get('prod', 'web');
    if (!record.rollout?.paused) throw new Error('the rollout to measure against is not paused');

    const taskEvents = world.eventLog
      .map((e) => e.event)
      .filter((e) => e['detail-type'] === 'ECS Task State Change' && e.detail.group === 'service:web-canary');
    const managed = taskEvents.filter((e) => e.detail.lastStatus === 'RUNNING').slice(-2);
    if (managed.length === 0) throw new Error('no RUNNING task event of the canary');
    const unmanaged = managed.map((e) => ({ ...e, detail: { ...e.detail, group: 'service:batch-worker' } }));

    // The bundle has BENCH_CONFIG built in (buildBundles).
    const env = { ...world.clientEnv(), AUTOPILOT_TABLE: 'ecs-autopilot' };
    const burst = async (events: unknown[], count: number): Promise<Burst> => {
      const eventsFile = join(dir, 'events.json');
      const resultFile = join(dir, 'result.json');
      writeFileSync(eventsFile, JSON.stringify(events));
      const warmup = Math.min(200, count);
      const before = { ...world.apiCalls };
      await runNode(
        [
          join(ROOT, 'bench', 'child', 'burst.mjs'),
          bundle,
          eventsFile,
          String(warmup),
          String(count),
          resultFile,
        ],
        env,
        'ignore',
      );
      const out = JSON.parse(readFileSync(resultFile, 'utf8'));
      const callsPerEvent: Record<string, number> = {};
      for (const [k, v] of Object.entries(world.apiCalls)) {
        const d = v - (before[k] ?? 0);
        if (d > 0) callsPerEvent[k] = Math.round((d / (warmup + count)) * 100) / 100;
      }
      return { events: count, ...out, callsPerEvent };
    };
    const unmanagedBurst = await burst(unmanaged, counts.unmanaged);
    const rolloutBurst = await burst(managed, counts.rollout);

    const target = p.pipeline.config.targets[0]!;
    const observed = await observe(p.pipeline.options.clients, target, record, {});
    return {
      unmanaged: unmanagedBurst,
      rollout: rolloutBurst,
      decide: decideRates(record, observed.observation, target, world.now()),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await b.stop();
  }
}

/** decide() on the paused rollout's record, fresh and with a full history, calls per second (median of 5). */
function decideRates(record: ServiceRecord, obs: Observation, target: TargetConfig, now: number) {
  const summary: RolloutSummary = {
    id: 'x',
    image: record.rollout!.image,
    strategy: 'canary',
    taskDefinition: record.rollout!.taskDefinition,
    fromTaskDefinition: record.rollout!.fromTaskDefinition,
    outcome: 'rolled_back',
    reason: '1 new task failed: Essential container in task exited (web exit code 1)',
    startedAt: now - 3_600_000,
    endedAt: now - 3_000_000,
    steps: record.rollout!.steps.map((s) => ({ percent: s.percent, reachedAt: now - 3_500_000 })),
    failures: [],
  };
  const full: ServiceRecord = {
    ...record,
    history: Array.from({ length: HISTORY_LIMIT }, (_, i) => ({ ...summary, id: `r${i}` })),
  };
  const trigger = { kind: 'reconcile' as const, reason: 'bench' };
  const rate = (r: ServiceRecord) => {
    for (let i = 0; i < 2000; i++) decide(r, obs, target, trigger, now);
    const rates: number[] = [];
    for (let k = 0; k < 5; k++) {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 250) {
        for (let i = 0; i < 100; i++) decide(r, obs, target, trigger, now);
        n += 100;
      }
      rates.push((n / (performance.now() - t0)) * 1000);
    }
    return median(rates);
  };
  return { freshPerSecond: rate(record), fullHistoryPerSecond: rate(full), historyEntries: HISTORY_LIMIT };
}
