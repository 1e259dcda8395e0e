/**
 * An operating command run in-process against a local world, as a user with the world's
 * environment would run it, with its stdout, stderr and exit code:
 *
 *   const ran = await runCli(t, configFile, 'status', 'prod/web', '--json');  // { code, out, err }
 */
import { type CommandName, runCommand } from '../../lib/commands/cli.ts';
import type { PipelineWorld } from './pipeline-world.ts';

export interface Ran {
  code: number;
  out: string;
  err: string;
}

export async function runCli(
  w: PipelineWorld,
  configFile: string,
  name: CommandName,
  ...args: string[]
): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await runCommand(name, [...args, '--config', configFile], {
    env: w.world.clientEnv(),
    io: { out: (s) => (out += s), err: (s) => (err += s), tty: false },
  });
  return { code, out, err };
}
