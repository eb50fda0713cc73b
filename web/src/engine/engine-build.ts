// Which build of the engine a page runs, and starting it in a worker.
//
// Two builds sit in the site's engine/ folder: the single-threaded one (engine/attn.mjs) and the one with threads
// (engine/mt/attn.mjs: Emscripten pthreads over shared memory, its matrix products split across the cores). Shared
// memory needs a cross-origin isolated page (the server sends Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp); otherwise, or if the threaded build cannot start, the page runs the
// single-threaded one. Both give the same numbers, bit for bit.

/**
 * How many threads the engine should use: the page's `?threads=N` (1 to 8) if given, else one core fewer than the
 * machine has, at most 4. The page's own rendering keeps a core: measured on 2 cores, a second engine thread
 * competing with the page's frames made typing slower (bench/README.md).
 */
export function wantedThreads(search = globalThis.location?.search ?? ''): number {
  const asked = Number(new URLSearchParams(search).get('threads'));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(8, asked);
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, cores - 1));
}

/** The builds to try, best first, for a page whose assets are under `root`, and the threads to ask for. */
export function engineUrls(root: string, threads = wantedThreads()): { urls: string[]; threads: number } {
  const single = new URL('engine/attn.mjs', root).href;
  return globalThis.crossOriginIsolated && threads > 1
    ? { urls: [new URL('engine/mt/attn.mjs', root).href, single], threads }
    : { urls: [single], threads: 1 };
}

/**
 * In a worker: the first build of `urls` that starts, its module (fetchBytes, …) and its engine. `onModule` gets
 * the module as soon as it is imported, before its WebAssembly is compiled (the worker fetches the first model's
 * files meanwhile).
 */
export async function startEngine<E>(
  build: { urls: string[]; threads: number },
  onProgress?: (loaded: number, total: number) => void,
  onModule?: (api: { fetchBytes: (url: URL, onProgress?: (loaded: number, total: number) => void) => Promise<Uint8Array> }) => void,
) {
  let failure: unknown;
  const { urls, threads } = build;
  for (const url of urls) {
    try {
      const api = await import(/* @vite-ignore */ url);
      onModule?.(api);
      const engine = (await api.loadEngine({ onProgress, threads })) as E;
      return { api, engine };
    } catch (e) {
      failure = e;
      if (url !== urls[urls.length - 1]) console.warn(`the engine at ${url} could not start (${(e as Error).message}); trying the next build`);
    }
  }
  throw failure;
}
