// One engine worker per page, shared by every widget and the explorer: the first one to ask starts it.
//
// Where the engine and the models live: by default next to the page (document.baseURI), which is right for the
// site's own pages. The embeddable bundle (attn-widgets.js) calls `setAssetBase` with its own location, so a
// course page anywhere on the same site finds engine/ and models/ next to the bundle.
import { EngineClient, type EngineStatus, type ModelStatus } from './client';
import { engineUrls } from './engine-build';

let base: string | undefined;
let client: EngineClient | undefined;
const engineListeners = new Set<(s: EngineStatus) => void>();
const modelListeners = new Set<(s: ModelStatus) => void>();
let lastEngine: EngineStatus = { state: 'loading', loaded: 0, total: 0 };

/** The folder holding engine/ and models/ (a URL ending in "/"). Call before the first widget connects. */
export function setAssetBase(url: string | URL) {
  base = new URL('.', url).href;
}

export function assetBase(): string {
  return base ?? new URL('.', document.baseURI).href;
}

/** The page's engine client, started on first use. */
export function sharedEngine(): EngineClient {
  if (!client) {
    const root = assetBase();
    client = new EngineClient(
      engineUrls(root),
      new URL('models/', root).href,
      (s) => {
        lastEngine = s;
        for (const l of engineListeners) l(s);
      },
      (s) => {
        for (const l of modelListeners) l(s);
      },
    );
  }
  return client;
}

/** Follows the engine's loading state (called at once with the current state). Returns an unsubscribe function. */
export function onEngineStatus(listener: (s: EngineStatus) => void): () => void {
  engineListeners.add(listener);
  listener(lastEngine);
  return () => engineListeners.delete(listener);
}

/** Follows model loading (progress, ready, failed). Returns an unsubscribe function. */
export function onModelStatus(listener: (s: ModelStatus) => void): () => void {
  modelListeners.add(listener);
  return () => modelListeners.delete(listener);
}
