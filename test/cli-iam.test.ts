/**
 * The README's IAM policy for read-only operators holds every action the read-only commands call,
 * and nothing more: each command runs for real against the local AWS, and the world counts the
 * calls it served. The clock's scratch SSM parameter is the local AWS's alone (never read from real AWS).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type CommandName, runCommand } from '../lib/commands/cli.ts';
import { usePipelineWorld } from './helpers/pipeline-world.ts';
import { WEB_TARGET } from './helpers/web-target.ts';

const world = usePipelineWorld();

/** The actions of the README's read-only policy (the JSON block under "What an operator needs in IAM"). */
function readmeReadOnlyActions(): Set<string> {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### What an operator needs in IAM'));
  const block = section.match(/```json\n([\s\S]*?)```/)![1]!;
  const policy = JSON.parse(block) as { Statement: { Action: string[] }[] };
  return new Set(policy.Statement.flatMap((s) => s.Action));
}

it("the read-only commands call exactly the README's read-only policy's actions", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-iam-'));
  const configFile = path.join(dir, 'autopilot.yml');
  writeFileSync(configFile, stringify({ targets: [{ ...WEB_TARGET, gateAlarms: ['web-5xx*'] }] }));
  const t = await world();
  const w = t;
  const called = new Set<string>();
  const run = async (name: CommandName, ...args: string[]) => {
    const before = { ...w.world.apiCalls };
    const code = await runCommand(name, [...args, '--config', configFile], {
      env: w.world.clientEnv(),
      io: { out: () => {}, err: () => {}, tty: false },
    });
    // wait gives up at once (exit 3): the rollout is still going.
    expect({ name, code }).toEqual({ name, code: name === 'wait' ? 3 : 0 });
    for (const [action, n] of Object.entries(w.world.apiCalls))
      if (n !== (before[action] ?? 0) && !action.startsWith('ssm:')) called.add(action);
  };
  w.world.ecr.push('web', 'v2');
  await w.world.runFor(30_000);
  await run('status');
  await run('status', 'prod/web');
  await run('history', 'prod/web');
  await run('wait', 'prod/web', '--timeout', '0s');
  await run('deploy', 'prod/web', '--image', 'web:v2', '--dry-run');
  await run('logs', 'prod/web', '--since', '1h');
  expect([...called].sort()).toEqual([...readmeReadOnlyActions()].sort());
}, 240_000);

it('wait --timeout 0s gives up after one look, though the local clock stands still between commands', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-wait-'));
  const configFile = path.join(dir, 'autopilot.yml');
  writeFileSync(configFile, stringify({ targets: [WEB_TARGET] }));
  const w = await world();
  w.world.ecr.push('web', 'v2');
  await w.world.runFor(30_000);
  const before = w.world.apiCalls['ssm:PutParameter'] ?? 0;
  const code = await runCommand('wait', ['prod/web', '--timeout', '0s', '--config', configFile], {
    env: w.world.clientEnv(),
    io: { out: () => {}, err: () => {}, tty: false },
  });
  expect(code).toBe(3);
  // One read of the clock to connect, one at the look: each a PutParameter of the scratch parameter.
  // A clock read afresh used to land before the one extrapolated from the last, the wait came out
  // negative, and the command went on reading the clock (thousands of reads, up to minutes).
  expect((w.world.apiCalls['ssm:PutParameter'] ?? 0) - before).toBe(2);
}, 60_000);
