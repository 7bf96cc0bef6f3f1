import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Builds the real control plane (test/real-cluster) once, if go is on PATH.
    globalSetup: ['test/real-cluster/global-setup.ts'],
  },
});
