// The engine's worker: it owns the WebAssembly module and the current model, so the page never blocks on math.
// It is disposable: if the module aborts (out of memory, a bug), the worker says so and the page replaces it.
/// <reference lib="webworker" />
import type { Engine, Model } from '../../../engine/bindings/attn';
import type { ForwardRequest, FromWorker, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let engine: Engine | undefined;
let model: Model | undefined;
let modelKey = '';

function post(msg: FromWorker, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}

async function init(engineUrl: string) {
  try {
    const api = await import(/* @vite-ignore */ engineUrl);
    engine = (await api.loadEngine({
      onProgress: (loaded: number, total: number) => post({ kind: 'progress', loaded, total }),
    })) as Engine;
    post({ kind: 'ready', info: engine.info });
  } catch (e) {
    post({ kind: 'error', message: `The engine could not start: ${(e as Error).message}`, fatal: true });
  }
}

function forward(req: ForwardRequest) {
  if (!engine) throw new Error('engine not loaded');
  const t0 = performance.now();
  const key = JSON.stringify([req.config, req.seed]);
  if (key !== modelKey || !model) {
    model?.delete();
    model = undefined;
    modelKey = '';
    model = engine.createModel(req.config, req.seed);
    modelKey = key;
  }
  const out = model.forward(req.ids, { trace: req.trace });
  const transfer: Transferable[] = [out.logits.data.buffer];
  for (const t of Object.values(out.trace)) transfer.push(t.data.buffer);
  post(
    { kind: 'result', id: req.id, ms: performance.now() - t0, logits: out.logits, trace: out.trace, numParameters: model.numParameters },
    transfer,
  );
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.kind === 'init') {
    void init(msg.engineUrl);
    return;
  }
  try {
    forward(msg);
  } catch (e) {
    const err = e as Error;
    // AttnError: bad input, the engine is fine. Anything else (an abort): this worker must be replaced.
    const fatal = err.name !== 'AttnError';
    post({ kind: 'error', id: msg.id, message: err.message, fatal });
    if (fatal) {
      model = undefined;
      modelKey = '';
    }
  }
};
