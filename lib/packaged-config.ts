/**
 * The config as `serverless package` parsed and validated it (scripts/serverless-config.cjs), built
 * into each function's bundle by esbuild's `define` (serverless.yml custom.esbuild.define). A Lambda
 * so reads no file and parses no YAML at cold start (its bundle has no YAML parser), and a config
 * that does not validate stops the package, before anything is deployed.
 */
import type { Config } from './config.ts';
import { PermanentError } from './errors.ts';

/** The name esbuild replaces with the config's JSON text (a string literal, read with JSON.parse). */
export const PACKAGED_CONFIG = 'AUTOPILOT_PACKAGED_CONFIG';
declare const AUTOPILOT_PACKAGED_CONFIG: string | undefined;

/** esbuild's `define` that builds `config` into a bundle. */
export function packagedConfigDefine(config: Config): Record<string, string> {
  return { [PACKAGED_CONFIG]: JSON.stringify(JSON.stringify(config)) };
}

/** The config built into this bundle; throws outside a bundle that has one. */
export function packagedConfig(): Config {
  if (typeof AUTOPILOT_PACKAGED_CONFIG !== 'string') {
    throw new PermanentError(
      `no config was built into this function: package it with \`npx serverless package\` (esbuild's define ${PACKAGED_CONFIG})`,
    );
  }
  return JSON.parse(AUTOPILOT_PACKAGED_CONFIG) as Config;
}
