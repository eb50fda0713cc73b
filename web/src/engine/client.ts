// The page's side of the engine worker: starts it, reports loading progress, and runs forward passes with
// "latest wins" scheduling (while one runs, only the newest waiting request is kept), so typing never queues
// up stale work. If the worker dies, a new one is started and the last request is replayed once.
import type { ForwardRequest, ForwardResult, FromWorker } from './protocol';

export type EngineStatus =
  | { state: 'loading'; loaded: number; total: number }
  | { state: 'ready'; info: { name: string; version: string; simd128: boolean; eigen: string } }
  | { state: 'failed'; message: string };

type Pending = { req: Omit<ForwardRequest, 'kind' | 'id'>; resolve: (r: ForwardResult) => void; reject: (e: Error) => void };

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
  private waiting?: Pending;
  private readyPromise!: Promise<void>;
  private restarts = 0;

  constructor(
    private readonly engineUrl: string,
    private readonly onStatus: (s: EngineStatus) => void,
  ) {
    this.start();
  }

  get ready(): Promise<void> {
    return this.readyPromise;
  }

  private start() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.readyPromise = new Promise((resolve, reject) => {
      this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        if (m.kind === 'progress') this.onStatus({ state: 'loading', loaded: m.loaded, total: m.total });
        else if (m.kind === 'ready') {
          this.onStatus({ state: 'ready', info: m.info });
          resolve();
          this.pump();
        } else if (m.kind === 'result') this.finish(m.id, m, undefined);
        else if (m.kind === 'error') {
          if (m.id === undefined) {
            this.onStatus({ state: 'failed', message: m.message });
            reject(new Error(m.message));
          } else this.finish(m.id, undefined, new Error(m.message), m.fatal);
        }
      };
      this.worker.onerror = (ev) => {
        ev.preventDefault();
        this.crashed(`the engine worker failed: ${ev.message || 'unknown error'}`);
      };
    });
    this.readyPromise.catch(() => {});
    this.onStatus({ state: 'loading', loaded: 0, total: 0 });
    this.worker.postMessage({ kind: 'init', engineUrl: this.engineUrl });
  }

  /** Runs a forward pass; rejects with Superseded if a newer request replaces it before it starts. */
  forward(req: Omit<ForwardRequest, 'kind' | 'id'>): Promise<ForwardResult> {
    return new Promise((resolve, reject) => {
      this.waiting?.reject(new Superseded());
      this.waiting = { req, resolve, reject };
      this.pump();
    });
  }

  private pump() {
    if (this.running || !this.waiting) return;
    this.readyPromise.then(() => {
      if (this.running || !this.waiting) return;
      const p = this.waiting;
      this.waiting = undefined;
      const id = this.nextId++;
      this.running = { ...p, id };
      const ids = p.req.ids.slice();  // keep the caller's array intact; transfer the copy
      this.worker.postMessage({ kind: 'forward', id, ...p.req, ids }, [ids.buffer]);
    }, () => {});
  }

  private finish(id: number, result?: ForwardResult, error?: Error, fatal = false) {
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
      this.start();
    }
  }

  /** Replaces a dead worker and replays the request that killed it, once. */
  private restart(r: Pending, message = 'the engine stopped') {
    this.worker.terminate();
    if (this.restarts++ > 0) {
      r.reject(new Error(`${message}; the engine was restarted, try a smaller input`));
      this.restarts = 0;
      this.start();
      this.pump();
      return;
    }
    this.start();
    if (!this.waiting) this.waiting = r;
    else r.reject(new Superseded());
    this.pump();
  }

  dispose() {
    this.worker.terminate();
  }
}
