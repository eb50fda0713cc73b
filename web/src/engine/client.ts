// The page's side of the engine worker: starts it, reports engine and model loading progress, loads models,
// and analyzes text with "latest wins" scheduling per view (while one analysis runs, only each view's newest
// waiting request is kept), so typing never queues up stale work. Widgets run engine calls the same way. If the
// worker dies, a new one is started, the current model is loaded again and the last request is replayed once.
import type { ModelId } from '../models/catalog';
import type { ModelSettings } from '../state/store';
import type { CallArgs, CallName, CallResult } from './calls';
import type { Analysis, AnalyzeRequest, EngineInfo, FromWorker, LoadedModel } from './protocol';

export type EngineStatus =
  | { state: 'loading'; loaded: number; total: number }
  | { state: 'ready'; info: EngineInfo }
  | { state: 'failed'; message: string };

export type ModelStatus =
  | { state: 'loading'; model: ModelId; loaded: number; total: number }
  | { state: 'ready'; model: ModelId; info: LoadedModel }
  | { state: 'failed'; model: ModelId; message: string };

type Request = Omit<AnalyzeRequest, 'kind' | 'id'>;
type PendingCall = { name: CallName; args: unknown; resolve: (v: unknown) => void; reject: (e: Error) => void };
type Pending = { req: Request; key: string; resolve: (r: Analysis) => void; reject: (e: Error) => void };

export class Superseded extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'Superseded';
  }
}

export class EngineClient {
  private worker!: Worker;
  private nextId = 1;
  private running?: Pending & { id: number };
  private waiting = new Map<string, Pending>(); // by view key, in arrival order
  private trainedLoads = new Map<ModelId, Promise<LoadedModel>>();
  private ready!: Promise<void>;
  private restarts = 0;
  private current?: { model: ModelId; settings: ModelSettings; run?: string };
  private loads = new Map<ModelId, { resolve: (m: LoadedModel) => void; reject: (e: Error) => void }>();
  // Widget calls, "latest wins" per key: at most one running and one waiting call per key.
  private callsRunning = new Map<number, PendingCall & { key: string }>();
  private callKeysBusy = new Set<string>();
  private callsWaiting = new Map<string, PendingCall>();

  constructor(
    private readonly engineUrl: string,
    private readonly modelsUrl: string,
    private readonly onEngine: (s: EngineStatus) => void,
    private readonly onModel: (s: ModelStatus) => void,
  ) {
    this.start();
  }

  private start() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        switch (m.kind) {
          case 'progress':
            this.onEngine({ state: 'loading', loaded: m.loaded, total: m.total });
            break;
          case 'ready':
            this.onEngine({ state: 'ready', info: m.info });
            resolve();
            break;
          case 'load-progress':
            this.onModel({ state: 'loading', model: m.model, loaded: m.loaded, total: m.total });
            break;
          case 'loaded': {
            const { kind: _kind, ...info } = m;
            this.onModel({ state: 'ready', model: info.model, info });
            this.loads.get(info.model)?.resolve(info);
            this.loads.delete(info.model);
            this.pump();
            break;
          }
          case 'analysis': {
            const { kind: _kind, ...analysis } = m;
            this.finish(analysis.id, analysis);
            break;
          }
          case 'result':
          case 'call-error':
            this.finishCall(m.callId, m.kind === 'result' ? m.value : undefined, m.kind === 'call-error' ? m : undefined);
            break;
          case 'error':
            if (m.id !== undefined) this.finish(m.id, undefined, new Error(m.message), m.fatal);
            else if (m.model) {
              this.onModel({ state: 'failed', model: m.model, message: m.message });
              this.loads.get(m.model)?.reject(new Error(m.message));
              this.loads.delete(m.model);
            } else {
              this.onEngine({ state: 'failed', message: m.message });
              reject(new Error(m.message));
            }
        }
      };
      this.worker.onerror = (ev) => {
        ev.preventDefault();
        this.crashed(`the engine worker failed: ${ev.message || 'unknown error'}`);
      };
    });
    this.ready.catch(() => {});
    this.onEngine({ state: 'loading', loaded: 0, total: 0 });
    this.worker.postMessage({ kind: 'init', engineUrl: this.engineUrl, modelsUrl: this.modelsUrl });
  }

  /**
   * Loads a model in the worker (the untrained one is built from the settings). Several views asking for the
   * same trained model share one load; a new untrained request supersedes a pending one.
   */
  load(model: ModelId, settings: ModelSettings, run?: string): Promise<LoadedModel> {
    this.current = { model, settings, run };
    if (model !== 'untrained') {
      const pending = this.trainedLoads.get(model);
      if (pending) return pending;
    }
    const p = new Promise<LoadedModel>((resolve, reject) => {
      this.loads.get(model)?.reject(new Superseded());
      this.loads.set(model, { resolve, reject });
      if (model !== 'untrained') this.onModel({ state: 'loading', model, loaded: 0, total: 0 });
      this.ready.then(() => this.worker.postMessage({ kind: 'load', model, settings, run }), () => {});
    });
    if (model !== 'untrained') {
      this.trainedLoads.set(model, p);
      p.catch(() => this.trainedLoads.delete(model)); // a failed load may be retried
    }
    return p;
  }

  /**
   * Analyzes text with a loaded model. Requests with the same `key` (one per view) are "latest wins": a newer
   * one replaces a waiting one, which rejects with Superseded. Requests from different views all run, in turn.
   */
  analyze(req: Request, key = 'default'): Promise<Analysis> {
    return new Promise((resolve, reject) => {
      this.waiting.get(key)?.reject(new Superseded());
      this.waiting.delete(key); // re-insert at the end: views take turns
      this.waiting.set(key, { req, key, resolve, reject });
      this.pump();
    });
  }

  /**
   * Runs an engine function in the worker (see calls.ts). Calls with the same `key` (one per widget view) are
   * "latest wins": while one runs, a newer one replaces any waiting one, which rejects with Superseded.
   */
  call<N extends CallName>(name: N, args: CallArgs<N>, key: string = name): Promise<CallResult<N>> {
    return new Promise((resolve, reject) => {
      this.callsWaiting.get(key)?.reject(new Superseded());
      this.callsWaiting.set(key, { name, args, resolve: resolve as (v: unknown) => void, reject });
      this.pumpCall(key);
    });
  }

  private pumpCall(key: string) {
    this.ready.then(() => {
      const c = this.callsWaiting.get(key);
      if (!c || this.callKeysBusy.has(key)) return;
      this.callsWaiting.delete(key);
      this.callKeysBusy.add(key);
      const id = this.nextId++;
      this.callsRunning.set(id, { ...c, key });
      this.worker.postMessage({ kind: 'call', id, name: c.name, args: c.args });
    }, (e: Error) => this.callsWaiting.get(key)?.reject(e));
  }

  private finishCall(id: number, value: unknown, error?: { message: string; fatal: boolean }) {
    const c = this.callsRunning.get(id);
    if (!c) return;
    this.callsRunning.delete(id);
    this.callKeysBusy.delete(c.key);
    if (error) c.reject(new Error(error.message));
    else c.resolve(value);
    if (error?.fatal) this.crashed(`the engine stopped: ${error.message}`);
    else this.pumpCall(c.key);
  }

  /** A dead worker takes its running calls with it: they fail, and the next calls go to the new worker. */
  private failCalls(message: string) {
    for (const c of this.callsRunning.values()) c.reject(new Error(`${message}; the engine was restarted`));
    this.callsRunning.clear();
    const keys = [...this.callKeysBusy];
    this.callKeysBusy.clear();
    for (const k of keys) this.pumpCall(k);
  }

  private pump() {
    if (this.running || !this.waiting.size) return;
    this.ready.then(() => {
      if (this.running) return;
      const p = [...this.waiting.values()].find((w) => !this.loads.has(w.req.model));
      if (!p) return;
      this.waiting.delete(p.key);
      const id = this.nextId++;
      this.running = { ...p, id };
      this.worker.postMessage({ kind: 'analyze', id, ...p.req });
    }, () => {});
  }

  private finish(id: number, result?: Analysis, error?: Error, fatal = false) {
    const r = this.running;
    if (!r || r.id !== id) return;
    this.running = undefined;
    if (fatal) {
      this.restart(r);
      return;
    }
    this.restarts = 0;
    if (error) r.reject(error);
    else r.resolve(result!);
    this.pump();
  }

  private crashed(message: string) {
    const r = this.running;
    this.running = undefined;
    if (r) this.restart(r, message);
    else {
      this.worker.terminate();
      this.respawn();
    }
  }

  /** A new worker with the current model loaded again. */
  private respawn() {
    this.start();
    this.failCalls('the engine stopped');
    // The new worker has no models: forget the old loads (pending ones fail unless they are reloaded below).
    this.trainedLoads.clear();
    for (const [model, l] of this.loads) if (model !== this.current?.model) l.reject(new Error('the engine restarted'));
    for (const model of [...this.loads.keys()]) if (model !== this.current?.model) this.loads.delete(model);
    if (this.current) void this.load(this.current.model, this.current.settings, this.current.run).catch(() => {});
  }

  /** Replaces a dead worker and replays the request that killed it, once. */
  private restart(r: Pending, message = 'the engine stopped') {
    this.worker.terminate();
    if (this.restarts++ > 0) {
      r.reject(new Error(`${message}; the engine was restarted, try a shorter input`));
      this.restarts = 0;
      this.respawn();
      return;
    }
    this.respawn();
    if (!this.waiting.has(r.key)) this.waiting.set(r.key, r);
    else r.reject(new Superseded());
    this.pump();
  }

  dispose() {
    this.worker.terminate();
  }
}
