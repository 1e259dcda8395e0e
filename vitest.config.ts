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
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
