// Which build of the engine a page runs, and starting it in a worker.
//
// Two builds sit in the site's engine/ folder: the single-threaded one (engine/attn.mjs) and the one with threads
// (engine/mt/attn.mjs: Emscripten pthreads over shared memory, its matrix products split across the cores). Shared
// memory needs a cross-origin isolated page (the server sends Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp); otherwise, or if the threaded build cannot start, the page runs the
// single-threaded one. Both give the same numbers, bit for bit.

/** The builds to try, best first, for a page whose assets are under `root`. */
export function engineUrls(root: string): string[] {
  const single = new URL('engine/attn.mjs', root).href;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return globalThis.crossOriginIsolated && cores > 1 ? [new URL('engine/mt/attn.mjs', root).href, single] : [single];
}

/** In a worker: the first build of `urls` that starts, its module (fetchBytes, …) and its engine. */
export async function startEngine<E>(urls: string[], onProgress?: (loaded: number, total: number) => void) {
  let failure: unknown;
  for (const url of urls) {
    try {
      const api = await import(/* @vite-ignore */ url);
      const engine = (await api.loadEngine({ onProgress })) as E;
      return { api, engine };
    } catch (e) {
      failure = e;
      if (url !== urls[urls.length - 1]) console.warn(`the engine at ${url} could not start (${(e as Error).message}); trying the next build`);
    }
  }
  throw failure;
}
