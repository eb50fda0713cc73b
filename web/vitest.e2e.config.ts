// End-to-end tests: the built page (web/dist) in headless Chromium, served by tools/serve.mjs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['../tests/e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60000,
    hookTimeout: 60000,
    fileParallelism: false,
  },
});
