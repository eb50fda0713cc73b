// The page is a static site: `vite build` writes web/dist, which any static host serves (relative URLs).
// The engine (attn.mjs + attn_engine.mjs + .wasm) is copied to public/engine by tools/build.sh and loaded at
// run time by the worker, untouched by the bundler.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
});
