// The page's side of the lab worker: starts it on first use, turns its messages into store updates, and
// offers request/response calls (validate, infer, save, load). If the worker dies (out of memory, ended: the page
// learns of it from the worker's life lock, engine/worker-life.ts), runs that were training are reported
// interrupted, a new worker starts, and finished runs reload from their saved weights when next needed.
import type { RunConfig } from '../../../engine/bindings/attn';
import { engineUrls } from '../engine/engine-build';
import { assetBase } from '../engine/shared';
import { watchLife, workerName } from '../engine/worker-life';
import type { FromLabWorker, Inference, LabMemory, LabPytorch, RunBatch, ToLabWorker } from './protocol';

export type LabEngineStatus = { state: 'loading' } | { state: 'ready' } | { state: 'failed'; message: string };

export type Validation =
  | { ok: true; config: RunConfig; parameters: number; examples: { input: string; answer: string }[] }
  | { ok: false; message: string };

/** `interrupted`: the worker that trained the run died (its weights with it). */
export type RunEvent = Extract<FromLabWorker, { run: string }> | { kind: 'failed' | 'interrupted'; run: string; message: string };
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class LabClient {
  private worker?: Worker;
  private ready!: Promise<void>;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private statusListeners = new Set<(s: LabEngineStatus) => void>();
  private runListeners = new Set<(e: RunEvent | { kind: 'lost'; run: string }) => void>();
  private training = new Set<string>();
  private unwatch = () => {};
  /** When workers died: one that keeps dying is given up on, with a message. */
  private deaths: number[] = [];
  status: LabEngineStatus = { state: 'loading' };

  private start() {
    const name = workerName('attn-lab');
    const worker = new Worker(new URL('./lab-worker.ts', import.meta.url), { type: 'module', name });
    this.worker = worker;
    this.setStatus({ state: 'loading' });
    this.ready = new Promise((resolve, reject) => {
      worker.onmessage = (ev: MessageEvent<FromLabWorker>) => {
        const m = ev.data;
        if (m.kind === 'ready') {
          // The worker holds its life lock from now on: the page learns of its death, whatever the cause.
          this.unwatch = watchLife(name, () => {
            if (worker === this.worker) this.crashed('the training worker ended unexpectedly');
          });
          this.setStatus({ state: 'ready' });
          resolve();
        } else if (m.kind === 'engine-failed') {
          this.setStatus({ state: 'failed', message: m.message });
          reject(new Error(m.message));
        } else if (m.kind === 'validated') {
          const { kind: _k, id, ...v } = m;
          this.settle(id, v);
        } else if (m.kind === 'result') {
          this.settle(m.id, m.value);
        } else if (m.kind === 'failed' && m.id !== undefined) {
          this.settle(m.id, undefined, new Error(m.message));
        } else if ('run' in m && m.run !== undefined) {
          if (m.kind === 'started') this.training.add(m.run);
          if (m.kind === 'finished' || m.kind === 'diverged' || m.kind === 'failed') this.training.delete(m.run);
          for (const l of this.runListeners) l(m as RunEvent);
        } else if (m.kind === 'failed') {
          for (const run of this.training) for (const l of this.runListeners) l({ kind: 'failed', run, message: m.message });
          this.training.clear();
        }
      };
      worker.onerror = (ev) => {
        ev.preventDefault();
        this.crashed(ev.message || 'the training worker stopped');
      };
    });
    this.ready.catch(() => {});
    this.post({ kind: 'init', engine: engineUrls(assetBase()) });
  }

  /** The worker died: fail what was in flight, report the runs it trained as interrupted, start a new one (unless
   * workers keep dying: then the lab says so). */
  private crashed(message: string) {
    this.unwatch();
    this.worker?.terminate();
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error(`${message}; the training engine was restarted`));
    this.pending.clear();
    for (const run of this.training) for (const l of this.runListeners) l({ kind: 'interrupted', run, message });
    this.training.clear();
    for (const l of this.runListeners) l({ kind: 'lost', run: '*' });
    const now = performance.now();
    this.deaths = [...this.deaths.filter((t) => now - t < 60_000), now];
    if (this.deaths.length > MAX_DEATHS_A_MINUTE) {
      const failed = `The training engine stopped ${this.deaths.length} times in a minute (${message}). Reload the page to try again.`;
      this.ready = Promise.reject(new Error(failed));
      this.ready.catch(() => {});
      this.setStatus({ state: 'failed', message: failed });
      return;
    }
    this.start();
  }

  /** The worker training now (a new one after a crash; none before first use). Tests end it to check recovery. */
  get currentWorker(): Worker | undefined {
    return this.worker;
  }

  private settle(id: number, value: unknown, error?: Error) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (error) p.reject(error);
    else p.resolve(value);
  }

  private setStatus(s: LabEngineStatus) {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private post(msg: ToLabWorker, transfer: Transferable[] = []) {
    if (!this.worker) this.start();
    this.worker!.postMessage(msg, transfer);
  }

  private request<T>(make: (id: number) => ToLabWorker, transfer: Transferable[] = []): Promise<T> {
    if (!this.worker) this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ready.then(() => this.post(make(id), transfer), reject);
    });
  }

  onStatus(l: (s: LabEngineStatus) => void): () => void {
    if (!this.worker) this.start();
    this.statusListeners.add(l);
    l(this.status);
    return () => this.statusListeners.delete(l);
  }

  onRun(l: (e: RunEvent | { kind: 'lost'; run: string }) => void): () => void {
    this.runListeners.add(l);
    return () => this.runListeners.delete(l);
  }

  validate(config: RunConfig): Promise<Validation> {
    return this.request((id) => ({ kind: 'validate', id, config }));
  }

  startRun(run: string, config: RunConfig) {
    this.training.add(run); // from now on: a worker that dies before it says 'started' interrupts it too
    this.ready.then(() => this.post({ kind: 'start', run, config }), () => {});
  }

  control(kind: 'pause' | 'resume' | 'stop' | 'delete', run: string) {
    this.ready.then(() => this.post({ kind, run }), () => {});
  }

  infer(run: string, text: string): Promise<Inference> {
    return this.request((id) => ({ kind: 'infer', id, run, text }));
  }

  /** The batch the run's next step trains on, as the model gets it. */
  batch(run: string): Promise<RunBatch> {
    return this.request((id) => ({ kind: 'batch', id, run }));
  }

  save(run: string): Promise<Uint8Array> {
    return this.request((id) => ({ kind: 'save', id, run }));
  }

  /** A new run's initial weights and first batches, for the PyTorch training script of `config`. */
  pytorch(config: RunConfig): Promise<LabPytorch> {
    return this.request((id) => ({ kind: 'pytorch', id, config }));
  }

  /** The worker's engine memory, live engine objects and runs held (bench/soak.mjs samples them). */
  memory(): Promise<LabMemory> {
    return this.request((id) => ({ kind: 'memory', id }));
  }

  /** Puts a saved run's weights into the engine under `run`. */
  load(run: string, bytes: Uint8Array): Promise<{ config: RunConfig; parameters: number; probe: { input: string; answer: string } }> {
    const copy = bytes.slice();
    return this.request((id) => ({ kind: 'load', id, run, bytes: copy }), [copy.buffer]);
  }
}

/** More deaths than this in a minute and the lab stops starting workers (a worker that cannot even start). */
const MAX_DEATHS_A_MINUTE = 5;

let shared: LabClient | undefined;

/** One lab worker per page, shared by every lab on it. */
export function labClient(): LabClient {
  shared ??= new LabClient();
  return shared;
}
