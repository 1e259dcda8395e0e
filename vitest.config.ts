import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Scenario tests play tens of minutes of virtual time; on a busy 2-core machine (CI with the other
    // core taken) they need several times what they take alone (23 s alone, >60 s seen busy). Speed is
    // measured in `npm run bench`, never asserted here.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    // Files in two forks at once, whatever the machine: vitest's default (one fewer than the cores)
    // runs a 2-core CI one file at a time, and the suite then took 15 minutes of its budget (the
    // scenario files are CPU-bound in their own process: two at once take about half as long on two
    // free cores, and no longer than one at a time with the other core busy).
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
