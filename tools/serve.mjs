#!/usr/bin/env node
// A small static file server for the built page (web/dist): correct MIME types (application/wasm for the
// engine), the page's Content-Security-Policy as a header, no directory escapes. Only for local use:
// the page itself is static and any static host serves it.
//
//   node tools/serve.mjs [--dir web/dist] [--port 8080] [--host 127.0.0.1] [--mount /prefix/=folder ...] [--no-isolation]
//
// It also makes the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-
// Policy: require-corp), which lets the page run the engine's build with threads (shared memory); any static host
// that sends these two headers does the same. --no-isolation serves without them: the page then runs the
// single-threaded build.
//
// --mount also serves another folder under a path of the same origin, e.g. the end-to-end tests' Hugging Face
// model folders (--mount /hf-fixtures/=tests/fixtures/hf/models), which are not part of the site.
import { createServer } from 'node:http';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.spm': 'application/octet-stream',
};

/** The strict policy the page is built to run under (no inline scripts or styles, no eval). */
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/**
 * Serves `dir` on host:port (port 0 = any free port), and each of `mounts` ({'/prefix/': folder}) under its
 * prefix. Resolves to {server, url}.
 */
export function serve({ dir, port = 8080, host = '127.0.0.1', mounts = {}, isolate = true }) {
  const isolation = isolate
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
    : {};
  const folders = Object.entries(mounts).map(([prefix, d]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, path.resolve(d)]);
  const server = createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let root = path.resolve(dir);
    for (const [prefix, d] of folders) {
      if (rel.startsWith(prefix)) {
        root = d;
        rel = `/${rel.slice(prefix.length)}`;
        break;
      }
    }
    let file = path.join(root, path.normalize(rel));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const st = statSync(file);
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': st.size,
        'Content-Security-Policy': CSP,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        ...isolation,
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const shown = host === '0.0.0.0' ? 'localhost' : host;
      resolve({ server, url: `http://${shown}:${server.address().port}/` });
    });
  });
}

/** Whether this file is the script node was started on. Both sides as real paths: node resolves symlinks in the
 * module's URL but not in process.argv[1] (a clone under a symlinked folder, as tools/demo.sh passes it). */
function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const dir = opt('dir', 'web/dist');
  const mounts = {};
  args.forEach((a, i) => {
    if (a !== '--mount' || !args[i + 1]?.includes('=')) return;
    const [prefix, folder] = args[i + 1].split(/=(.*)/s);
    mounts[prefix] = folder;
  });
  try {
    statSync(path.join(dir, 'index.html'));
  } catch {
    console.error(`serve: ${dir}/index.html not found; build the page first (tools/build.sh)`);
    process.exit(1);
  }
  const isolate = !args.includes('--no-isolation');
  serve({ dir, port: Number(opt('port', process.env.PORT ?? 8080)), host: opt('host', '127.0.0.1'), mounts, isolate })
    .then(({ url }) =>
      console.log(
        `\n  Attention Explorer is running at ${url}\n  Training lab: ${url}lab.html\n  Widget gallery (a course page): ${url}gallery.html\n` +
          `  (serving ${dir}${isolate ? ', cross-origin isolated: the engine runs on threads' : ''}; Ctrl+C to stop)\n`,
      ),
    )
    .catch((e) => {
      console.error(`serve: ${e.message}`);
      process.exit(1);
    });
}
