// The page is a static site: `vite build` writes web/dist, which any static host serves (relative URLs).
// Three entries: the explorer page (index.html), the training lab (lab.html) and the embeddable widget bundle
// (src/widgets/index.ts), written
// as dist/attn-widgets.js so course pages can include it by a stable name. gallery.html and embed.html live in
// public/ and are copied as they are: plain pages that include attn-widgets.js exactly as a course page would.
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
    rollupOptions: {
      input: { main: 'index.html', lab: 'lab.html', widgets: 'src/widgets/index.ts' },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'widgets' ? 'attn-widgets.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
});
