/**
 * The one target the test worlds deploy, prod/web, as `autopilot.yml` says it (raw, before
 * validateConfig): three canary steps with short bakes, so a rollout ends within minutes of virtual
 * time. The pipeline world (pipeline-world.ts), the CLI's config file (cli-commands.test.ts) and the
 * fault scenarios (property/scenarios.ts) all read it from here, so they cannot drift apart.
 */
export const WEB_TARGET = {
  cluster: 'prod',
  service: 'web',
  container: 'web',
  repository: 'web',
  tags: { glob: 'v*' },
  steps: [
    { percent: 10, bake: '2m' },
    { percent: 50, bake: '2m' },
    { percent: 100, bake: '1m' },
  ],
  failedTasks: 1,
  stepDeadline: '10m',
};
