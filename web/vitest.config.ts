// Unit tests of the page's code and of the JavaScript engine API (run in Node against the real WASM build).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['../tests/web/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30000,
  },
});
