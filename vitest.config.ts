import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Apollo's packages require() graphql's CommonJS build; our modules must load the same
    // instance, or graphql-js refuses types "from another module or realm".
    alias: { graphql: require.resolve('graphql') },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // Logs at warn and above only; the observability test captures info lines itself.
    env: { LOG_LEVEL: 'warn' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run two at a time; each file starts its own stack on free ports.
    maxWorkers: 2,
  },
});
