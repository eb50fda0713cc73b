// The page's side of the engine worker: starts it, reports engine and model loading progress, loads models,
// and analyzes text with "latest wins" scheduling per view (while one analysis runs, only each view's newest
// waiting request is kept), so typing never queues up stale work. Widgets run engine calls the same way. If the
// worker dies, a new one is started, the current model is loaded again and the last request is replayed once.
//
// Hugging Face models are held in the worker by key (a stored id or a folder URL) for as long as a view uses one
// (useHf / releaseHf; the explorer is one view, each <attn-view hf> another). openHf reads and builds a model from
// files without showing it anywhere yet. A load in flight when the worker dies may be what killed it (out of
// memory): it fails with a message and is never replayed; the new worker gets the models that were working.
import type { ModelId } from '../models/catalog';
import { folderUrl, isFolderKey } from '../models/hf';
import type { ModelSettings } from '../state/store';
import type { CallArgs, CallName, CallResult } from './calls';
import type { Analysis, AnalyzeRequest, EngineInfo, FromWorker, HfSource, LoadedModel, Outputs } from './protocol';
import { watchLife, workerName } from './worker-life';

/** `restart`: the worker died (why) and a new one is starting; `restarted`: the one that replaced it is ready. */
export type EngineStatus =
  | { state: 'loading'; loaded: number; total: number; restart?: string }
  | { state: 'ready'; info: EngineInfo; restarted?: string }
  | { state: 'failed'; message: string };

/** `key`: which Hugging Face model (model 'hf'); the page shows the status of its own only. */
export type ModelStatus =
  | { state: 'loading'; model: ModelId; loaded: number; total: number; phase?: HfPhase; key?: string }
  | { state: 'ready'; model: ModelId; info: LoadedModel; key?: string }
  | { state: 'failed'; model: ModelId; message: string; key?: string };

type Request = Omit<AnalyzeRequest, 'kind' | 'id'>;
export type HfPhase = 'reading' | 'building';
export type HfProgress = (phase: HfPhase, loaded: number, total: number) => void;
type HfRequest = {
  source: HfSource;
  key?: string; // a view's model (useHf), or undefined: files being opened (openHf)
  resolve: (m: LoadedModel) => void;
  reject: (e: Error) => void;
  onProgress?: HfProgress;
};
type PendingCall = { name: CallName; args: unknown; resolve: (v: unknown) => void; reject: (e: Error) => void; replayed?: boolean };
type Pending = { req: Request; key: string; resolve: (r: Analysis) => void; reject: (e: Error) => void };

/** More deaths than this in a minute and the page stops starting workers (a worker that cannot even start). */
const MAX_DEATHS_A_MINUTE = 5;

export class Superseded extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'Superseded';
  }
}

export class EngineClient {
  /** Outputs that follow their analysis (Analysis.later), by analysis id. */
  private laterOutputs = new Map<number, (o: Outputs) => void>();
  private worker!: Worker;
  private nextId = 1;
  private running?: Pending & { id: number };
  private waiting = new Map<string, Pending>(); // by view key, in arrival order
  private trainedLoads = new Map<ModelId, Promise<LoadedModel>>();
  private ready!: Promise<void>;
  private restarts = 0;
  private current?: { model: ModelId; settings: ModelSettings; run?: string };
  private loads = new Map<ModelId, { resolve: (m: LoadedModel) => void; reject: (e: Error) => void }>();
  /** What each loaded model is, as last told (its head statistics follow its first picture). */
  private loaded = new Map<ModelId, LoadedModel>();
  // Hugging Face models: requests in flight (by request id), the models the worker has or is loading (by key),
  // which key each view uses, how to load each key again, and why the worker died (for the message).
  private hfRequests = new Map<number, HfRequest>();
  private hfModels = new Map<string, { promise: Promise<LoadedModel>; info?: LoadedModel }>();
  private hfUsers = new Map<string, string>();
  private hfSources = new Map<string, HfSource>();
  private crashReason = '';
  /** Why the last worker died, while its replacement starts (for the status line). */
  private restartReason?: string;
  /** Stops watching the current worker's life (worker-life.ts), before the page ends it itself. */
  private unwatch = () => {};
  /** When the last workers died: a worker that keeps dying is given up on, with a message. */
  private deaths: number[] = [];
  // Widget calls, "latest wins" per key: at most one running and one waiting call per key.
  private callsRunning = new Map<number, PendingCall & { key: string }>();
  private callKeysBusy = new Set<string>();
  private callsWaiting = new Map<string, PendingCall>();

  constructor(
    private readonly engineBuild: { urls: string[]; threads: number },
    private readonly modelsUrl: string,
    private readonly onEngine: (s: EngineStatus) => void,
    private readonly onModel: (s: ModelStatus) => void,
  ) {
    this.start();
  }

  private start() {
    const name = workerName('attn-engine');
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name });
    this.worker = worker;
    const restart = this.restartReason;
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        switch (m.kind) {
          case 'progress':
            this.onEngine({ state: 'loading', loaded: m.loaded, total: m.total, restart });
            break;
          case 'ready':
            // The worker holds its life lock from now on: the page learns of its death, whatever the cause.
            this.unwatch = watchLife(name, () => {
              if (worker === this.worker) this.crashed('its worker ended unexpectedly');
            });
            this.restartReason = undefined;
            this.onEngine({ state: 'ready', info: m.info, restarted: restart });
            resolve();
            break;
          case 'load-progress':
            this.onModel({ state: 'loading', model: m.model, loaded: m.loaded, total: m.total });
            break;
          case 'loaded': {
            const { kind: _kind, ...info } = m;
            this.loaded.set(info.model, info);
            this.onModel({ state: 'ready', model: info.model, info });
            this.loads.get(info.model)?.resolve(info);
            this.loads.delete(info.model);
            this.pump();
            break;
          }
          case 'analysis': {
            const { kind: _kind, ...analysis } = m;
            if (analysis.pendingOutputs) {
              analysis.later = new Promise<Outputs>((resolve) => this.laterOutputs.set(analysis.id, resolve));
              analysis.later.catch(() => {});
            }
            this.finish(analysis.id, analysis);
            break;
          }
          case 'outputs':
            this.laterOutputs.get(m.id)?.(m.outputs);
            this.laterOutputs.delete(m.id);
            break;
          case 'result':
          case 'call-error':
            this.finishCall(m.callId, m.kind === 'result' ? m.value : undefined, m.kind === 'call-error' ? m : undefined);
            break;
          case 'hf-progress': {
            const r = this.hfRequests.get(m.reqId);
            r?.onProgress?.(m.phase, m.loaded, m.total);
            if (r?.key) this.onModel({ state: 'loading', model: 'hf', key: r.key, loaded: m.loaded, total: m.total, phase: m.phase });
            break;
          }
          case 'hf-loaded':
            this.hfLoaded(m.reqId, m.info);
            break;
          case 'hf-error':
            this.hfFailed(m.reqId, m.message, m.fatal);
            break;
          case 'model-stats': {
            const held = this.loaded.get(m.model);
            if (held) {
              const info = { ...held, stats: m.stats ?? held.stats, statsProgress: m.stats ? undefined : { done: m.done, total: m.total } };
              this.loaded.set(m.model, info);
              this.onModel({ state: 'ready', model: m.model, info });
            }
            break;
          }
          case 'hf-stats': {
            const held = this.hfModels.get(m.key);
            if (held?.info) {
              held.info = { ...held.info, stats: m.stats ?? held.info.stats, statsProgress: m.stats ? undefined : { done: m.done, total: m.total } };
              this.onModel({ state: 'ready', model: 'hf', key: m.key, info: held.info });
            }
            break;
          }
          case 'error':
            if (m.id !== undefined) this.finish(m.id, undefined, m.superseded ? new Superseded() : new Error(m.message), m.fatal);
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
        this.crashReason ||= ev.message || '';
        this.crashed(`the engine worker failed: ${ev.message || 'unknown error'}`);
      };
    });
    this.ready.catch(() => {});
    this.onEngine({ state: 'loading', loaded: 0, total: 0, restart });
    this.worker.postMessage({ kind: 'init', engine: this.engineBuild, modelsUrl: this.modelsUrl });
  }

  /**
   * Loads a model in the worker (the untrained one is built from the settings). Several views asking for the
   * same trained model share one load; a new untrained request supersedes a pending one.
   */
  load(model: ModelId, settings: ModelSettings, run?: string): Promise<LoadedModel> {
    if (model === 'hf') {
      this.current = undefined; // after a crash, the page's Hugging Face model is loaded again (hfUsers)
      return this.useHf(run ?? '', 'page');
    }
    this.current = { model, settings, run };
    if (model !== 'untrained') {
      const pending = this.trainedLoads.get(model);
      if (pending) return pending;
    }
    const p = new Promise<LoadedModel>((resolve, reject) => {
      this.loads.get(model)?.reject(new Superseded());
      this.loads.set(model, { resolve, reject });
      if (model !== 'untrained') this.onModel({ state: 'loading', model, loaded: 0, total: 0 });
      this.worker.postMessage({ kind: 'load', model, settings, run }); // at once: the worker fetches while its engine starts
    });
    if (model !== 'untrained') {
      this.trainedLoads.set(model, p);
      p.catch(() => this.trainedLoads.delete(model)); // a failed load may be retried
    }
    return p;
  }

  // ------------------------------------------------------------------------------- Hugging Face models
  /**
   * Opens a Hugging Face model from files (or a folder) in the worker: reads and builds it, reporting progress,
   * without showing it in any view. Once it resolves, useHf(info.hf.key, ...) shows it at once. Fails with the
   * engine's message, and every view keeps its model.
   */
  openHf(source: HfSource, onProgress?: HfProgress): Promise<LoadedModel> {
    return this.requestHf(source, undefined, onProgress).then((info) => {
      const key = info.hf!.key;
      this.hfSources.set(key, source);
      if (!this.hfModels.has(key)) this.hfModels.set(key, { promise: Promise.resolve(info), info });
      return info;
    });
  }

  /**
   * The Hugging Face model `key` (a stored id or a folder URL) for a view (`user`): loaded once, held while any
   * view uses it. A view that moves to another model releases its old one.
   */
  useHf(key: string, user: string): Promise<LoadedModel> {
    const prev = this.hfUsers.get(user);
    this.hfUsers.set(user, key);
    if (prev !== undefined && prev !== key) this.releaseUnused(prev);
    const held = this.hfModels.get(key);
    if (held) {
      if (held.info) this.onModel({ state: 'ready', model: 'hf', key, info: held.info });
      return held.promise;
    }
    if (isFolderKey(key)) {
      try {
        folderUrl(key, location.href); // the page may read its own site only
      } catch (e) {
        this.onModel({ state: 'failed', model: 'hf', key, message: (e as Error).message });
        return Promise.reject(e);
      }
    }
    return this.loadHf(key);
  }

  /** The view no longer shows a Hugging Face model: the worker frees a model no view uses. */
  releaseHf(user: string) {
    const key = this.hfUsers.get(user);
    this.hfUsers.delete(user);
    if (key !== undefined) this.releaseUnused(key);
  }

  private releaseUnused(key: string) {
    if ([...this.hfUsers.values()].includes(key) || !this.hfModels.has(key)) return;
    this.hfModels.delete(key);
    for (const [id, r] of this.hfRequests) {
      if (r.key !== key) continue;
      this.hfRequests.delete(id);
      r.reject(new Superseded());
    }
    // In the worker's queue after its load, if one is still running.
    this.ready.then(() => this.worker.postMessage({ kind: 'hf-release', key }), () => {});
  }

  private loadHf(key: string): Promise<LoadedModel> {
    const source: HfSource = this.hfSources.get(key) ?? (isFolderKey(key) ? { kind: 'url', url: key } : { kind: 'stored', id: key });
    this.onModel({ state: 'loading', model: 'hf', key, loaded: 0, total: 0 });
    const entry: { promise: Promise<LoadedModel>; info?: LoadedModel } = { promise: this.requestHf(source, key) };
    this.hfModels.set(key, entry);
    entry.promise.then(
      (info) => (entry.info = info),
      () => {
        if (this.hfModels.get(key) === entry) this.hfModels.delete(key); // a failed load may be retried
      },
    );
    return entry.promise;
  }

  private requestHf(source: HfSource, key?: string, onProgress?: HfProgress): Promise<LoadedModel> {
    const reqId = this.nextId++;
    return new Promise<LoadedModel>((resolve, reject) => {
      this.hfRequests.set(reqId, { source, key, resolve, reject, onProgress });
      this.ready.then(() => {
        if (this.hfRequests.has(reqId)) this.worker.postMessage({ kind: 'load-hf', reqId, source });
      }, reject);
    });
  }

  /** Analyses of a Hugging Face model wait while it loads. */
  private hfLoading(key?: string) {
    return key !== undefined && [...this.hfRequests.values()].some((r) => r.key === key);
  }

  private hfLoaded(reqId: number, info: LoadedModel) {
    const r = this.hfRequests.get(reqId);
    if (!r) return; // released meanwhile
    this.hfRequests.delete(reqId);
    if (r.key) {
      const held = this.hfModels.get(r.key);
      if (held) held.info = info;
      this.onModel({ state: 'ready', model: 'hf', key: r.key, info });
    }
    r.resolve(info);
    this.pump();
  }

  private hfFailed(reqId: number, message: string, fatal: boolean) {
    const r = this.hfRequests.get(reqId);
    if (!fatal) {
      if (!r) return;
      this.hfRequests.delete(reqId);
      this.failHf(r, message);
      return;
    }
    // The engine aborted (out of memory, most likely): the worker is replaced, and respawn fails this load.
    this.crashReason = message;
    this.crashed(`the engine stopped: ${message}`);
  }

  private failHf(r: HfRequest, message: string) {
    if (r.key) {
      this.hfModels.delete(r.key);
      this.onModel({ state: 'failed', model: 'hf', key: r.key, message });
    }
    r.reject(Object.assign(new Error(message), { name: 'AttnError' }));
    this.pump();
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

  /** A dead worker's running calls go to the new worker once (unless a newer call of the same key waits); a call
   * running in two workers that died fails. */
  private failCalls(message: string) {
    for (const c of this.callsRunning.values()) {
      if (c.replayed) c.reject(new Error(`${message}; the engine was restarted`));
      else if (this.callsWaiting.has(c.key)) c.reject(new Superseded());
      else this.callsWaiting.set(c.key, { ...c, replayed: true });
    }
    this.callsRunning.clear();
    const keys = [...this.callKeysBusy];
    this.callKeysBusy.clear();
    for (const k of keys) this.pumpCall(k);
  }

  private pump() {
    if (this.running || !this.waiting.size) return;
    this.ready.then(() => {
      if (this.running) return;
      const p = [...this.waiting.values()].find((w) => !this.loads.has(w.req.model) && !(w.req.model === 'hf' && this.hfLoading(w.req.hf)));
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
    this.restartReason = this.crashReason || message;
    this.laterOutputs.clear();  // a dead worker's outputs never come
    const r = this.running;
    this.running = undefined;
    if (r) this.restart(r, message);
    else {
      this.worker.terminate();
      this.respawn();
    }
  }

  /** A new worker with the current model loaded again (unless workers keep dying: then the page says so). */
  private respawn() {
    this.unwatch();
    this.restartReason ??= 'the engine stopped';
    const now = performance.now();
    this.deaths = [...this.deaths.filter((t) => now - t < 60_000), now];
    if (this.deaths.length > MAX_DEATHS_A_MINUTE) {
      const message = `The engine stopped ${this.deaths.length} times in a minute (${this.restartReason ?? 'unknown error'}). Reload the page to try again.`;
      this.ready = Promise.reject(new Error(message));
      this.ready.catch(() => {});
      this.onEngine({ state: 'failed', message });
      return;
    }
    this.start();
    this.failCalls('the engine stopped');
    // A Hugging Face load in flight may be what killed the worker (out of memory): it fails, is never replayed,
    // and its views let go of it.
    const inFlight = [...this.hfRequests.values()];
    this.hfRequests.clear();
    const reason = this.crashReason ? ` (${this.crashReason})` : '';
    this.crashReason = '';
    for (const r of inFlight) {
      if (r.key) for (const [user, key] of [...this.hfUsers]) if (key === r.key) this.hfUsers.delete(user);
      this.failHf(r, `The engine stopped while opening this model${reason}: most likely it ran out of memory, so the model is too large for this browser. The engine was restarted` +
        (r.key ? '.' : ', and the page goes on with the model it had.'));
    }
    // The new worker has no models: forget the old loads (pending ones fail unless they are reloaded below).
    this.trainedLoads.clear();
    this.loaded.clear();
    for (const [model, l] of this.loads) if (model !== this.current?.model) l.reject(new Error('the engine restarted'));
    for (const model of [...this.loads.keys()]) if (model !== this.current?.model) this.loads.delete(model);
    if (this.current) void this.load(this.current.model, this.current.settings, this.current.run).catch(() => {});
    // The Hugging Face models that views use and that had loaded are loaded again.
    this.hfModels.clear();
    for (const key of new Set(this.hfUsers.values())) void this.loadHf(key).catch(() => {});
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

  /** The worker running the engine now (a new one after a crash). Tests end it to check that the page recovers. */
  get currentWorker(): Worker {
    return this.worker;
  }

  dispose() {
    this.unwatch();
    this.worker.terminate();
  }
}
