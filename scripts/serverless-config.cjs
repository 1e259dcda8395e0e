'use strict';
/**
 * serverless.yml's `custom.autopilot: ${file(./scripts/serverless-config.cjs)}`: reads autopilot.yml
 * (validated by lib/config.ts) and the deploy settings (`custom.deploy`), and returns what
 * lib/deploy-config.ts makes of them: `events.<function>`, `iamStatements`, `deadLetterSourceArns`;
 * and `esbuildDefine`, the validated config built into every bundle (lib/packaged-config.ts).
 * CommonJS because osls `require`s variable files; tsx loads the TypeScript.
 */
const fs = require('node:fs');
const path = require('node:path');
const tsx = require('tsx/cjs/api');

const { parseConfig } = tsx.require('../lib/config-file.ts', __filename);
const { deployConfig } = tsx.require('../lib/deploy-config.ts', __filename);
const { chatopsStatements } = tsx.require('../lib/chatops/deploy.ts', __filename);
const { packagedConfigDefine } = tsx.require('../lib/packaged-config.ts', __filename);

/** A comma-separated setting (a `--param` is a string) or a YAML list, as a list. */
const list = (value) =>
  (Array.isArray(value) ? value : String(value ?? '').split(','))
    .map((s) => String(s).trim())
    .filter(Boolean);

module.exports = async ({ resolveConfigurationProperty, resolveVariable }) => {
  const file = path.join(__dirname, '..', 'autopilot.yml');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: the targets decide the event rules and permissions (${e.message})`);
  }
  const deploy = (await resolveConfigurationProperty(['custom', 'deploy'])) ?? {};
  const service = await resolveConfigurationProperty(['service']);
  const stage = await resolveVariable('sls:stage');
  // The Slack buttons' function (lib/chatops/deploy.ts): its own statements beside the pipeline's.
  const chatops = {
    chatopsStatements: chatopsStatements({
      service,
      stage,
      signingSecretParameter: deploy.slackSigningSecretParameter,
      botTokenParameter: deploy.slackBotTokenParameter,
    }),
  };
  // The pipeline's own validation: defaults applied, every problem reported with its line.
  const config = parseConfig(text, 'autopilot.yml');
  return Object.assign(
    chatops,
    { esbuildDefine: packagedConfigDefine(config) },
    // The sweep's first look's baseline (lib/env.ts AUTOPILOT_PACKAGED_AT): the tick's environment.
    { packagedAt: new Date().toISOString() },
    deployConfig(config, {
      service,
      stage,
      slackWebhookParameter: deploy.slackWebhookParameter,
      taskRoleArns: list(deploy.taskRoleArns),
      taskDefinitionFamilies: list(deploy.taskDefinitionFamilies),
    }),
  );
};
