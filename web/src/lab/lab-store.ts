// The lab's one store: the configuration being edited, its validation by the engine, and every run (training,
// paused or finished) with its curves, evaluations, attention snapshots and final metrics. Components read
// `store.state` and call the actions; changes notify subscribers at most once per animation frame.
// A training run's record (not its weights) is written to the browser every few seconds, so a run whose worker
// or page died comes back "interrupted" with its curves; a stored run that cannot be read is listed apart.
import type { RunConfig } from '../../../engine/bindings/attn';
import { schemeTableau10 } from 'd3-scale-chromatic';
import { labClient, type LabClient, type RunEvent, type Validation } from './lab-client';
import { DEFAULT_CONFIG, FIELDS, labConfig, runConfig, sameConfig, sweepConfig, sweepLabel, type LabConfig, type SweepField, type SweepValue } from './config';
import { deleteStoredRun, loadRun, loadRuns, saveRun, type StoredRun } from './persist';
import type { EvalPoint, FinalMetrics, Inference, LabPytorch, RunBatch, Snapshot } from './protocol';

/** `interrupted`: its worker (or page) died while it trained; its curves up to then are kept, its weights are lost. */
export type RunStatus = 'starting' | 'running' | 'paused' | 'stopping' | 'evaluating' | 'finished' | 'stopped' | 'diverged' | 'failed' | 'interrupted';

export interface RunRecord {
  id: string;
  name: string;
  color: string;
  config: LabConfig;
  engineConfig?: RunConfig; // the resolved config, as the engine ran it
  parameters: number;
  status: RunStatus;
  message?: string;
  steps: number[]; // every training step: its number, loss, gradient norm (before clipping) and learning rate
  loss: number[];
  gradNorm: number[];
  lr: number[];
  evals: EvalPoint[];
  snapshots: Snapshot[];
  probe?: { input: string; answer: string };
  trainSeconds: number; // training time, evaluations and pauses excluded
  tokens: number;
  final?: FinalMetrics;
  created: number;
  inEngine: boolean; // its weights are in the worker now (inference, export)
  stored: boolean; // kept in the browser (IndexedDB)
  imported?: string; // the file it came from
}

export interface LabState {
  config: LabConfig;
  validation?: Validation; // of `config`; undefined while the engine checks it
  runs: RunRecord[];
  current?: string; // the run shown in the training, timeline and inference sections
  compare: string[]; // runs drawn on the comparison chart
  inference: Record<string, Inference | { error: string } | undefined>;
  notice?: string; // one line about the last import, export or storage problem
  sweep?: SweepState; // the last sweep, while it trains and after
  unreadable: UnreadableRun[]; // runs kept in the browser that could not be read back
}

/** A run in the browser's storage that cannot be read (damaged, or written by another version of the lab). */
export interface UnreadableRun {
  id: string;
  name?: string;
  reason: string;
}

/** A sweep: one run per value of one setting, trained one after another from the same base configuration. */
export interface SweepState {
  field: SweepField;
  values: SweepValue[];
  base: LabConfig;
  runs: (string | undefined)[]; // the run of each value, once it has started
  next: number; // the index of the next value to start
  state: 'running' | 'done' | 'stopped';
}

const FINAL: RunStatus[] = ['finished', 'stopped', 'diverged', 'failed', 'interrupted'];
const STATUSES: RunStatus[] = ['starting', 'running', 'paused', 'stopping', 'evaluating', ...FINAL];
/** A training run's record is written to the browser at most this often (a crash loses at most this much of it). */
const CURVES_SAVE_MS = 2000;
export const isFinal = (r: RunRecord) => FINAL.includes(r.status);
export const isActive = (r: RunRecord) => !isFinal(r);

/** A run as a file: config, curves and metrics (the weights travel in a .safetensors file beside it). */
export interface RunFile {
  format: 'attn-lab-run';
  version: 1;
  name: string;
  config: RunConfig;
  parameters: number;
  status: RunStatus;
  history: { steps: number[]; loss: number[]; lr: number[]; grad_norm?: number[] };
  evals: EvalPoint[];
  final?: FinalMetrics;
  trainSeconds: number;
  tokens: number;
  created: string;
}

export class LabStore {
  private s: LabState;
  private listeners = new Set<() => void>();
  private frame = 0;
  private validating = 0;
  private readonly client: LabClient;
  private unsubscribe?: () => void;
  /** Pending writes of training runs' records (by run id), and the runs whose writes failed (said once). */
  private curveSaves = new Map<string, number>();
  private unsaved = new Set<string>();

  constructor(config: LabConfig = DEFAULT_CONFIG, private readonly persist = true) {
    this.s = { config, runs: [], compare: [], inference: {}, unreadable: [] };
    this.client = labClient();
  }

  /** The lab's worker client. Tests end its worker (`engine.currentWorker.terminate()`) to check recovery. */
  get engine(): LabClient {
    return this.client;
  }

  get state(): LabState {
    return this.s;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts listening to the worker and brings back the runs kept in the browser. */
  async connect() {
    this.unsubscribe ??= this.client.onRun((e) => this.onRunEvent(e));
    if (!this.persist) return;
    let stored: StoredRun[];
    try {
      stored = await loadRuns();
    } catch (e) {
      // No storage (a private window), or none that works: runs last as long as the page.
      this.notice(`Runs cannot be kept in this browser (${(e as Error).message}): they last as long as the page; export them to keep them.`);
      return;
    }
    const readable: RunRecord[] = [];
    const unreadable: UnreadableRun[] = [];
    for (const entry of stored) {
      const r = readStoredRun(entry);
      if (typeof r === 'string') {
        const name = (entry.record as { name?: unknown } | undefined)?.name;
        unreadable.push({ id: String(entry.id), name: typeof name === 'string' ? name : undefined, reason: r });
      } else readable.push(r);
    }
    for (const r of readable.sort((a, b) => a.created - b.created)) {
      if (this.s.runs.some((x) => x.id === r.id)) continue;
      // Written while it trained, and never finished: its page or worker died meanwhile.
      const interrupted = isActive(r) ? { status: 'interrupted' as const, message: interruptedMessage(r, 'the page was closed or crashed while it trained') } : {};
      this.s.runs.push({ ...r, ...interrupted, inEngine: false, stored: true });
    }
    this.s.unreadable = unreadable;
    if (stored.length) {
      this.s.compare = this.s.runs.slice(-4).map((r) => r.id);
      this.s.current ??= this.s.runs.at(-1)?.id;
      this.changed();
    }
  }

  /** Deletes a stored run that cannot be read. */
  async deleteUnreadable(id: string) {
    try {
      await deleteStoredRun(id);
    } catch (e) {
      this.notice(`It could not be deleted: ${(e as Error).message}`);
      return;
    }
    this.s = { ...this.s, unreadable: this.s.unreadable.filter((u) => u.id !== id) };
    this.changed(true);
  }

  disconnect() {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Bumped on every change: components that hold a run (mutated in place) re-render when it moves. */
  revision = 0;

  private changed(now = false) {
    this.revision++;
    if (now) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
      for (const l of this.listeners) l();
      return;
    }
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      for (const l of this.listeners) l();
    });
  }

  run(id: string | undefined): RunRecord | undefined {
    return this.s.runs.find((r) => r.id === id);
  }

  get currentRun(): RunRecord | undefined {
    return this.run(this.s.current);
  }

  /** The run that is training or paused, if any (one at a time). */
  get activeRun(): RunRecord | undefined {
    return this.s.runs.find(isActive);
  }

  // ------------------------------------------------------------------------------------------ configuration
  /**
   * Takes an edited configuration at once (synchronously): its validation is pending from now on, so Start can
   * never start the configuration before an edit while the engine's check of the edit is still to come.
   */
  edit(config: LabConfig) {
    if (sameConfig(config, this.s.config)) return;
    this.validating++; // a check of an older configuration in flight no longer counts
    this.pending(config);
  }

  private pending(config: LabConfig) {
    this.s = { ...this.s, config, validation: undefined };
    this.changed(true);
  }

  /** Takes a configuration and has the engine validate it. */
  async setConfig(config: LabConfig) {
    this.pending(config);
    const ticket = ++this.validating;
    let v: Validation;
    try {
      v = await this.client.validate(runConfig(config));
    } catch (e) {
      v = { ok: false, message: (e as Error).message };
    }
    if (ticket !== this.validating) return; // a newer edit is being checked
    this.s = { ...this.s, validation: v };
    this.changed(true);
  }

  // ------------------------------------------------------------------------------------------------ runs
  /** Trains the configuration in the form (if the engine has validated it and no sweep is training). */
  start() {
    const v = this.s.validation;
    if (!v?.ok || this.activeRun?.status === 'running' || this.sweepRunning) return;
    this.launch({ ...this.s.config }, v, '', [...this.s.compare].slice(-5));
    this.changed(true);
  }

  /** Starts training a validated configuration as a new run; returns its id. */
  private launch(config: LabConfig, v: Extract<Validation, { ok: true }>, label: string, compare: string[]): string {
    const n = this.s.runs.length ? Math.max(...this.s.runs.map((r) => Number(/^Run (\d+)/.exec(r.name)?.[1]) || 0)) + 1 : 1;
    const id = `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const record: RunRecord = {
      id,
      name: label ? `Run ${n} · ${label}` : `Run ${n}`,
      color: this.nextColor(),
      config,
      parameters: v.parameters,
      status: 'starting',
      steps: [],
      loss: [],
      gradNorm: [],
      lr: [],
      evals: [],
      snapshots: [],
      trainSeconds: 0,
      tokens: 0,
      created: Date.now(),
      inEngine: true,
      stored: false,
    };
    for (const r of this.s.runs) if (r.status === 'running') r.status = 'paused';
    this.s = { ...this.s, runs: [...this.s.runs, record], current: id, compare: [...compare, id] };
    this.client.startRun(id, v.config);
    return id;
  }

  // ---------------------------------------------------------------------------------------------- sweeps
  private sweepChecks: Validation[] = [];

  get sweepRunning(): boolean {
    return this.s.sweep?.state === 'running';
  }

  /** The engine's verdict on each run of a sweep of the form's configuration, before anything trains. */
  checkSweep(field: SweepField, values: SweepValue[]): Promise<Validation[]> {
    return Promise.all(
      values.map((x) =>
        this.client.validate(runConfig(sweepConfig(this.s.config, field, x))).catch((e): Validation => ({ ok: false, message: (e as Error).message })),
      ),
    );
  }

  /**
   * Trains the form's configuration once per value, one run after another; the runs are compared on the
   * charts and summed up side by side. Returns why it cannot start (a value the engine refuses, a run that
   * is training), or undefined once the first run has started.
   */
  async startSweep(field: SweepField, values: SweepValue[]): Promise<string | undefined> {
    const busy = () => (this.activeRun || this.sweepRunning ? 'a run is training: wait for it to end, or stop it' : '');
    if (busy()) return busy();
    const base = { ...this.s.config };
    const checks = await this.checkSweep(field, values);
    const bad = checks.findIndex((c) => !c.ok);
    if (bad >= 0) return `${sweepLabel(field, values[bad])}: ${(checks[bad] as { message: string }).message}`;
    if (busy()) return busy(); // one may have started while the engine checked
    this.sweepChecks = checks;
    this.s = { ...this.s, sweep: { field, values, base, runs: values.map(() => undefined), next: 0, state: 'running' } };
    this.advanceSweep();
    return undefined;
  }

  /** Ends the sweep: the run training now stops (and is evaluated); the values after it are not trained. */
  stopSweep() {
    const sw = this.s.sweep;
    if (!sw || sw.state !== 'running') return;
    this.s = { ...this.s, sweep: { ...sw, state: 'stopped' } };
    const current = sw.runs[sw.next - 1];
    if (current) this.stop(current);
    this.changed(true);
  }

  /** Starts the sweep's next run, or ends the sweep after its last. */
  private advanceSweep() {
    const sw = this.s.sweep;
    if (!sw || sw.state !== 'running') return;
    if (sw.next >= sw.values.length) {
      this.s = { ...this.s, sweep: { ...sw, state: 'done' } };
      this.changed(true);
      return;
    }
    const i = sw.next;
    const started = sw.runs.filter((x): x is string => !!x);
    const v = this.sweepChecks[i] as Extract<Validation, { ok: true }>;
    const id = this.launch(sweepConfig(sw.base, sw.field, sw.values[i]), v, sweepLabel(sw.field, sw.values[i]), started);
    this.s = { ...this.s, sweep: { ...sw, runs: sw.runs.map((x, j) => (j === i ? id : x)), next: i + 1 } };
    this.changed(true);
  }

  pause(id = this.s.current) {
    const r = this.run(id);
    if (r?.status !== 'running') return;
    this.client.control('pause', r.id);
  }

  resume(id = this.s.current) {
    const r = this.run(id);
    if (r?.status !== 'paused') return;
    for (const x of this.s.runs) if (x.status === 'running') this.client.control('pause', x.id);
    this.client.control('resume', r.id);
  }

  /** Ends training now; the final evaluation runs on what the model has learned so far. */
  stop(id = this.s.current) {
    const r = this.run(id);
    if (!r || isFinal(r) || r.status === 'stopping') return;
    r.status = 'stopping';
    this.client.control('stop', r.id);
    this.changed(true);
  }

  /** Throws the current run away (its progress and its row), keeping the configuration for a fresh start. */
  reset() {
    const r = this.currentRun;
    if (r) this.deleteRun(r.id);
  }

  deleteRun(id: string) {
    const r = this.run(id);
    if (!r) return;
    const sw = this.s.sweep;
    if (sw?.state === 'running' && sw.runs[sw.next - 1] === id) this.s = { ...this.s, sweep: { ...sw, state: 'stopped' } };
    this.client.control('delete', id);
    window.clearTimeout(this.curveSaves.get(id));
    this.curveSaves.delete(id);
    if (this.persist) void deleteStoredRun(id).catch(() => {}); // (a training run's record may be there too)
    const runs = this.s.runs.filter((x) => x.id !== id);
    const inference = { ...this.s.inference };
    delete inference[id];
    this.s = {
      ...this.s,
      runs,
      inference,
      current: this.s.current === id ? runs.at(-1)?.id : this.s.current,
      compare: this.s.compare.filter((x) => x !== id),
    };
    this.changed(true);
  }

  select(id: string) {
    if (!this.run(id)) return;
    this.s = { ...this.s, current: id };
    this.changed(true);
  }

  toggleCompare(id: string) {
    const on = this.s.compare.includes(id);
    this.s = { ...this.s, compare: on ? this.s.compare.filter((x) => x !== id) : [...this.s.compare, id] };
    this.changed(true);
  }

  private onRunEvent(e: RunEvent | { kind: 'lost'; run: string }) {
    if (e.kind === 'lost') {
      for (const r of this.s.runs) r.inEngine = false;
      this.changed();
      return;
    }
    if (!('run' in e) || e.run === undefined) return;
    const r = this.run(e.run);
    if (!r) return;
    switch (e.kind) {
      case 'started':
        r.engineConfig = e.config;
        r.parameters = e.parameters;
        r.probe = e.probe;
        r.status = 'running';
        break;
      case 'progress':
        for (let i = 0; i < e.step.length; i++) {
          r.steps.push(e.step[i]);
          r.loss.push(e.loss[i]);
          r.gradNorm.push(e.gradNorm[i]);
          r.lr.push(e.lr[i]);
        }
        r.tokens += e.tokens;
        r.trainSeconds += e.seconds;
        if (r.status === 'running' && r.steps.at(-1) === r.config.steps) r.status = 'evaluating';
        this.saveCurves(r);
        break;
      case 'eval':
        r.evals.push({ ...e.point, seconds: r.trainSeconds });
        r.snapshots.push(e.snapshot);
        this.saveCurves(r);
        break;
      case 'state':
        if (!isFinal(r) && r.status !== 'stopping') r.status = e.state;
        break;
      case 'finished':
        r.final = e.final;
        r.status = e.stopped ? 'stopped' : 'finished';
        void this.store(r);
        break;
      case 'diverged':
        r.status = 'diverged';
        r.message = `The loss stopped being a number at step ${e.step}: the learning rate is probably too high for this model.`;
        break;
      case 'failed':
        r.status = 'failed';
        r.message = e.message;
        r.inEngine = false;
        break;
      case 'interrupted': {
        if (isFinal(r)) break;
        r.status = 'interrupted';
        r.message = interruptedMessage(r, e.message);
        r.inEngine = false;
        window.clearTimeout(this.curveSaves.get(r.id));
        this.curveSaves.delete(r.id);
        this.writeRecord(r);
        const sw = this.s.sweep;
        if (sw?.state === 'running') this.s = { ...this.s, sweep: { ...sw, state: 'stopped' } }; // the next might die too
        break;
      }
    }
    this.changed();
    const sw = this.s.sweep;
    if (isFinal(r) && sw?.state === 'running' && sw.runs[sw.next - 1] === r.id) this.advanceSweep();
  }

  /** A training run's record (curves, evaluations, snapshots; no weights) goes to the browser every few seconds. */
  private saveCurves(r: RunRecord) {
    if (!this.persist || this.curveSaves.has(r.id)) return;
    this.curveSaves.set(r.id, window.setTimeout(() => {
      this.curveSaves.delete(r.id);
      if (this.run(r.id) === r && isActive(r)) this.writeRecord(r);
    }, CURVES_SAVE_MS));
  }

  /** Writes a run's record without weights (a training or interrupted run); a storage problem is said once per run. */
  private writeRecord(r: RunRecord) {
    if (!this.persist) return;
    saveRun({ id: r.id, record: { ...r, inEngine: false } }).then(
      () => (r.stored = true),
      (e: Error) => {
        if (this.unsaved.has(r.id)) return;
        this.unsaved.add(r.id);
        this.notice(`${r.name} could not be kept in the browser (${e.message}); export it to keep it. The other runs are kept.`);
      },
    );
  }

  /** Keeps a finished run (record and weights) in the browser. */
  private async store(r: RunRecord) {
    window.clearTimeout(this.curveSaves.get(r.id));
    this.curveSaves.delete(r.id);
    if (!this.persist) return;
    try {
      const weights = await this.client.save(r.id);
      await saveRun({ id: r.id, record: { ...r, inEngine: false }, weights });
      r.stored = true;
      this.changed();
    } catch (e) {
      this.notice(`${r.name} could not be kept in the browser (${(e as Error).message}); export it to keep it. The other runs are kept.`);
    }
  }

  /** The first colour of the palette no run has (runs can be deleted and imported in any order). */
  private nextColor(): string {
    const used = new Set(this.s.runs.map((r) => r.color));
    return schemeTableau10.find((c) => !used.has(c)) ?? schemeTableau10[this.s.runs.length % schemeTableau10.length];
  }

  /** One line for the learner about the last import, export or storage problem. */
  notice(text: string | undefined) {
    this.s = { ...this.s, notice: text };
    this.changed(true);
  }

  /** Makes sure a finished run's weights are in the worker (after a reload or a worker restart). */
  private async ensureInEngine(r: RunRecord): Promise<void> {
    if (r.inEngine) return;
    const stored = this.persist ? await loadRun(r.id).catch(() => undefined) : undefined;
    if (!stored?.weights) throw new Error('the weights of this run are not available: import its .safetensors file');
    await this.client.load(r.id, stored.weights);
    r.inEngine = true;
  }

  async infer(id: string, text: string) {
    const r = this.run(id);
    if (!r) return;
    try {
      await this.ensureInEngine(r);
      const result = await this.client.infer(id, text);
      this.s = { ...this.s, inference: { ...this.s.inference, [id]: result } };
    } catch (e) {
      this.s = { ...this.s, inference: { ...this.s.inference, [id]: { error: (e as Error).message } } };
    }
    this.changed(true);
  }

  /** A training batch of the run, exactly as the model gets it (the one its next step trains on). */
  async batch(id: string): Promise<RunBatch> {
    const r = this.run(id);
    if (!r) throw new Error('no such run');
    await this.ensureInEngine(r);
    return this.client.batch(id);
  }

  /** What the PyTorch training script of an engine run config needs (a run of its own in the worker). */
  pytorch(config: RunConfig): Promise<LabPytorch> {
    return this.client.pytorch(config);
  }

  // ----------------------------------------------------------------------------------- export and import
  runFile(r: RunRecord): RunFile {
    return {
      format: 'attn-lab-run',
      version: 1,
      name: r.name,
      config: r.engineConfig ?? runConfig(r.config),
      parameters: r.parameters,
      status: r.status,
      history: { steps: r.steps, loss: r.loss, lr: r.lr, grad_norm: r.gradNorm },
      evals: r.evals,
      final: r.final,
      trainSeconds: r.trainSeconds,
      tokens: r.tokens,
      created: new Date(r.created).toISOString(),
    };
  }

  /** The run's weights as safetensors bytes (config in the metadata). */
  async weights(id: string): Promise<Uint8Array> {
    const r = this.run(id);
    if (!r) throw new Error('no such run');
    await this.ensureInEngine(r);
    return this.client.save(id);
  }

  /**
   * Imports files exported by the lab: a run's .json (curves and metrics), its .safetensors (weights), or
   * both; a .safetensors written by attn-train works too. Pairs are matched by name. Returns what was imported.
   */
  async importFiles(files: File[]): Promise<string> {
    const jsons = files.filter((f) => /\.json$/i.test(f.name));
    const weights = files.filter((f) => /\.safetensors$/i.test(f.name));
    const others = files.filter((f) => !jsons.includes(f) && !weights.includes(f));
    const stem = (f: File) => f.name.replace(/\.(json|safetensors)$/i, '');
    const done: string[] = [];
    const problems: string[] = others.map((f) => `${f.name}: not a .json or .safetensors file`);
    const pairs = new Map<string, { json?: File; weights?: File }>();
    for (const f of jsons) pairs.set(stem(f), { ...pairs.get(stem(f)), json: f });
    for (const f of weights) pairs.set(stem(f), { ...pairs.get(stem(f)), weights: f });
    for (const [name, p] of pairs) {
      try {
        await this.importOne(name, p.json, p.weights);
        done.push(name);
      } catch (e) {
        problems.push(`${name}: ${(e as Error).message}`);
      }
    }
    const text = [done.length ? `Imported ${done.join(', ')}.` : '', ...problems].filter(Boolean).join(' ');
    this.notice(text || 'Nothing to import.');
    return text;
  }

  private async importOne(name: string, jsonFile?: File, weightsFile?: File) {
    let file: RunFile | undefined;
    if (jsonFile) {
      if (jsonFile.size > 64 << 20) throw new Error('the file is larger than 64 MB: not a run exported by the lab');
      let parsed: unknown;
      try {
        parsed = JSON.parse(await jsonFile.text());
      } catch {
        throw new Error('not valid JSON');
      }
      file = checkRunFile(parsed);
    }
    const id = `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    let loaded: Awaited<ReturnType<LabClient['load']>> | undefined;
    let bytes: Uint8Array | undefined;
    if (weightsFile) {
      bytes = new Uint8Array(await weightsFile.arrayBuffer());
      loaded = await this.client.load(id, bytes); // validated by the engine; a bad file says why
    }
    const config = loaded?.config ?? file!.config;
    const r: RunRecord = {
      id,
      name: file?.name ?? name,
      color: this.nextColor(),
      config: labConfig(config),
      engineConfig: config,
      parameters: loaded?.parameters ?? file?.parameters ?? 0,
      status: file?.status && FINAL.includes(file.status) ? file.status : 'finished',
      steps: file?.history.steps ?? [],
      loss: file?.history.loss ?? [],
      gradNorm: file?.history.grad_norm ?? [],
      lr: file?.history.lr ?? [],
      evals: file?.evals ?? [],
      snapshots: [],
      probe: loaded?.probe,
      trainSeconds: file?.trainSeconds ?? 0,
      tokens: file?.tokens ?? 0,
      final: file?.final,
      created: Date.now(),
      inEngine: !!loaded,
      stored: false,
      imported: [jsonFile?.name, weightsFile?.name].filter(Boolean).join(' + '),
    };
    this.s = { ...this.s, runs: [...this.s.runs, r], compare: [...this.s.compare, id], current: id };
    if (this.persist && bytes) {
      await saveRun({ id, record: { ...r, inEngine: false }, weights: bytes }).then(() => (r.stored = true)).catch(() => {});
    }
    this.changed(true);
  }

  /** Writes the run's weights where the explorer page finds them (IndexedDB) and returns its URL. */
  async explorerUrl(id: string, base: string): Promise<string> {
    const r = this.run(id);
    if (!r) throw new Error('no such run');
    if (!r.stored) {
      const weights = await this.weights(id);
      await saveRun({ id, record: { ...r, inEngine: false }, weights });
      r.stored = true;
    }
    const q = new URLSearchParams({ m: 'lab', run: id, text: r.probe?.input ?? '' });
    return new URL(`index.html?${q}`, base).href;
  }
}

/** What the lab says of a run whose worker (or page) died while it trained. */
function interruptedMessage(r: RunRecord, why: string): string {
  const step = r.steps.at(-1) ?? 0;
  return `Training was interrupted at step ${step} of ${r.config.steps}: ${why}. Its curves up to then are kept; it cannot ` +
    'be resumed (its weights were lost with the worker), so Reuse its settings to train it again.';
}

/**
 * A run read back from the browser's storage, or why it cannot be (damaged, or written by another version of the
 * lab). Fields added to the record since it was written get their defaults.
 */
export function readStoredRun(entry: StoredRun): RunRecord | string {
  const r = entry?.record as RunRecord | undefined;
  if (!r || typeof r !== 'object') return 'it has no record';
  if (r.id !== entry.id) return 'its id does not match its key';
  if (typeof r.name !== 'string') return 'it has no name';
  if (!r.config || typeof r.config !== 'object') return 'it has no configuration';
  const config = { ...DEFAULT_CONFIG, ...r.config };
  const bad = FIELDS.find((f) => typeof config[f.key] !== typeof DEFAULT_CONFIG[f.key]);
  if (bad) return `its setting ${bad.attr} is not a ${typeof DEFAULT_CONFIG[bad.key]}`;
  const nums = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number');
  if (!nums(r.steps) || !nums(r.loss) || !nums(r.lr) || r.loss.length !== r.steps.length || r.lr.length !== r.steps.length)
    return 'its curves are not arrays of numbers of the same length';
  if (!Array.isArray(r.evals) || !Array.isArray(r.snapshots)) return 'its evaluations are missing';
  if (!STATUSES.includes(r.status)) return `its status "${String(r.status)}" is unknown`;
  if (typeof r.created !== 'number') return 'it has no creation time';
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    ...r,
    config,
    color: typeof r.color === 'string' ? r.color : '#888888',
    gradNorm: nums(r.gradNorm) && r.gradNorm.length === r.steps.length ? r.gradNorm : r.steps.map(() => NaN),
    parameters: num(r.parameters),
    trainSeconds: num(r.trainSeconds),
    tokens: num(r.tokens),
  };
}

/** Checks an imported run file's shape (values are checked again by the engine where they matter). */
export function checkRunFile(x: unknown): RunFile {
  const f = x as RunFile;
  const fail = (what: string) => {
    throw new Error(`not a run exported by the lab (${what})`);
  };
  if (!f || typeof f !== 'object') fail('not an object');
  if (f.format !== 'attn-lab-run') fail('"format" is not "attn-lab-run"');
  if (f.version !== 1) fail(`version ${String(f.version)} is not 1`);
  if (!f.config || typeof f.config !== 'object') fail('no config');
  const h = f.history;
  // JSON writes NaN (a diverged loss) as null: read it back as NaN.
  const nums = (a: unknown) => Array.isArray(a) && a.every((v) => typeof v === 'number' || v === null);
  if (!h || !nums(h.steps) || !nums(h.loss) || !nums(h.lr) || h.steps.length !== h.loss.length || h.lr.length !== h.steps.length)
    fail('the history is not three arrays of numbers of the same length');
  if (h.grad_norm !== undefined && (!nums(h.grad_norm) || h.grad_norm.length !== h.steps.length))
    fail('the gradient norms are not an array of numbers as long as the steps');
  const back = (a: (number | null)[]) => a.map((v) => (v === null ? NaN : v));
  f.history = { steps: back(h.steps), loss: back(h.loss), lr: back(h.lr), grad_norm: h.grad_norm && back(h.grad_norm) };
  if (!Array.isArray(f.evals)) fail('no evaluations');
  if (typeof f.name !== 'string' || f.name.length > 200) fail('bad name');
  return f;
}
