// The engine's worker: it owns the WebAssembly module, the loaded models and their tokenizers, so the page never
// blocks on math. One "analyze" request turns text into tokens, a forward pass (or a greedy translation), the
// attention of every layer and head, and the model's outputs.
// It is disposable: if the module aborts (out of memory, a bug), the worker says so and the page replaces it.
/// <reference lib="webworker" />
import type { Engine, Model, Run, Tokenizer } from '../../../engine/bindings/attn';
import { attentionSet, headVectors } from '../lab/attention-set';
import { loadRun as loadStoredRun } from '../lab/persist';
import type { ModelId } from '../models/catalog';
import { TAGS } from '../models/catalog';
import type { HeadStat } from '../models/describe';
import { MAX_TOKENS, splitWords } from '../text/words';
import { modelConfig, tokenIds, type ModelSettings } from '../state/store';
import { runAblation } from './ablation';
import { runLabAblation } from './lab-ablation';
import { runCall, transferables, type CallArgs, type CallName } from './calls';
import { startEngine } from './engine-build';
import { HfHost } from './hf-worker';
import { holdLife } from './worker-life';
import { runStatsJob } from './stats-job';
import { labInputIds } from '../widgets/pytorch-models';
import type { AnalyzeRequest, AttentionView, FromWorker, HeadVectors, LoadedModel, Outputs, ToWorker, TokenInfo } from './protocol';
import { overflowWarning } from './overflow';

declare const self: DedicatedWorkerGlobalScope;
/** Held while this worker lives: the page learns of its death from it (worker-life.ts). */
const alive = holdLife(self.name);

const BOS = 1;
const EOS = 2;

interface Trained {
  model: Model;
  tokenizer: Tokenizer;
  heldout: string[];
  metrics: Record<string, unknown> | null;
  info?: LoadedModel; // once a view has asked for the model; with the head statistics once they are computed
  stats?: 'running' | 'done';
}

let engine: Engine | undefined;
type FetchBytes = (url: URL, onProgress?: (loaded: number, total: number) => void) => Promise<Uint8Array>;
/** The engine module's fetch with progress, once its JavaScript is imported (before its WebAssembly compiles). */
const moduleImported = deferred<FetchBytes>();
/** The engine, started: loads may arrive before (the page sends them at once), and fetch their files meanwhile. */
const engineStarted = deferred<Engine>();
let engineFailed = false;
let modelsUrl = '';
const trained = new Map<ModelId, Trained>();
let untrained: { key: string; model: Model; info: LoadedModel } | undefined;
let lab: { id: string; run: Run; info: LoadedModel } | undefined;
const hfHost = new HfHost(() => engine, post);

function post(msg: FromWorker, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}

/** A progress callback that passes on at most ten calls a second, and the last one: each message renders the page
 * (one per 64 KiB chunk of a download made its first picture later). */
function seldom(report: (loaded: number, total: number) => void) {
  let last = 0;
  return (loaded: number, total: number) => {
    const now = performance.now();
    if (loaded < total && now - last < 100) return;
    last = now;
    report(loaded, total);
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {});
  return { promise, resolve, reject };
}

async function init(build: { urls: string[]; threads: number }, models: string) {
  modelsUrl = models;
  performance.mark('attn:init');
  try {
    const started = await startEngine<Engine>(
      build,
      seldom((loaded, total) => post({ kind: 'progress', loaded, total })),
      (api) => moduleImported.resolve(api.fetchBytes),
    );
    engine = started.engine;
    performance.mark('attn:engine-ready');
    engineStarted.resolve(engine);
    await alive; // 'ready' tells the page it may watch the lock
    post({ kind: 'ready', info: engine.info });
  } catch (e) {
    engineFailed = true;
    moduleImported.reject(e);
    engineStarted.reject(e);
    post({ kind: 'error', message: `The engine could not start: ${(e as Error).message}`, fatal: true });
  }
}

// ------------------------------------------------------------------------------------------------ loading
async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.split('/').slice(-2).join('/')}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const PUNCT = /^[\s\p{P}\p{S}]+$/u;

function isPunct(s: string) {
  return s.trim().length > 0 && PUNCT.test(s);
}

/** Fetches and loads a trained model's files once (weights, tokenizer, held-out texts, metrics). */
async function fetchTrained(id: ModelId): Promise<Trained> {
  const cached = trained.get(id);
  if (cached) return cached;
  const base = `${modelsUrl}${id}/`;
  const fetchBytes = await moduleImported.promise;
  const bytes = await fetchBytes(
    new URL(`${base}model.safetensors`, self.location.href),
    seldom((loaded, total) => post({ kind: 'load-progress', model: id, loaded, total })),
  );
  const [tokenizerJson, heldout, metrics] = await Promise.all([
    fetch(`${base}tokenizer.json`).then((r) => {
      if (!r.ok) throw new Error(`could not load ${id}/tokenizer.json: HTTP ${r.status}`);
      return r.text();
    }),
    fetchJson<string[]>(`${base}heldout.json`),
    fetchJson<Record<string, unknown>>(`${base}metrics.json`).catch(() => null),
  ]);
  performance.mark(`attn:fetched:${id}`);
  const engine = await engineStarted.promise;
  const again = trained.get(id); // fetched twice at once: keep the first
  if (again) return again;
  const t: Trained = { model: engine.loadModel(bytes), tokenizer: engine.loadTokenizer(tokenizerJson), heldout, metrics };
  trained.set(id, t);
  performance.mark(`attn:built:${id}`);
  return t;
}

/** Loads a trained model for a view. Its head statistics follow its first picture (startTrainedStats). */
async function loadTrained(id: ModelId) {
  const t = await fetchTrained(id);
  t.info ??= {
    model: id,
    numParameters: t.model.numParameters,
    config: t.model.config,
    metrics: t.metrics,
    stats: {},
    statsProgress: { done: 0, total: t.heldout.length },
  };
  performance.mark(`attn:loaded:${id}`);
  post({ kind: 'loaded', ...t.info });
}

/** One held-out text's head statistics by view name (the language model's texts start with <bos>, the date
 * translator's decoder reads its own greedy translation), or none for a text with no tokens. */
function textStats(id: ModelId, { model, tokenizer }: Trained, text: string): Record<string, HeadStat[][]> | undefined {
  const e = tokenizer.encode(text, { maxTokens: Number(model.config.max_len) - 1 });
  if (e.ids.length === 0) return undefined;
  const withBos = id === 'lm';
  // Punctuation by what the token covers in the text (vocabulary strings are byte-level: 'Ġ.' for ' .').
  const p = Uint8Array.from(e.offsets.map(([a, b]) => (isPunct(text.slice(a, b)) ? 1 : 0)));
  const seq = withBos ? Int32Array.from([BOS, ...e.ids]) : e.ids;
  const tgts = id === 'dates' ? [Int32Array.from([BOS, ...model.greedy(e.ids, { bos: BOS, eos: EOS, max_len: 12, trace: 'none' }).tokens])] : undefined;
  const raw = model.headStats([seq], [withBos ? Uint8Array.from([0, ...p]) : p], tgts) as Record<string, HeadStat[][]>;
  if (id === 'lm') return { self: raw.decoder };
  if (id === 'tagger') return { self: raw.encoder };
  return { encoder: raw.encoder, decoder: raw.decoder, cross: raw.cross };
}

/** After a trained model's first picture: what each head does over the model's held-out texts (stats-job.ts). */
function startTrainedStats(id: ModelId) {
  const t = trained.get(id);
  if (!t?.info || t.stats) return;
  t.stats = 'running';
  const total = t.heldout.length;
  runStatsJob({
    total,
    one: (i) => textStats(id, t, t.heldout[i]),
    progress: (done) => {
      t.info = { ...t.info!, statsProgress: { done, total } };
      post({ kind: 'model-stats', model: id, done, total });
    },
    finish: (stats) => {
      t.info = { ...t.info!, stats, statsProgress: undefined };
      t.stats = 'done';
      post({ kind: 'model-stats', model: id, done: total, total, stats });
    },
  });
}

function untrainedModel(settings: ModelSettings) {
  if (!engine) throw new Error('engine not loaded');
  const key = JSON.stringify(settings);
  if (!untrained || untrained.key !== key) {
    untrained?.model.delete();
    const model = engine.createModel(modelConfig(settings), settings.seed);
    const samples = [
      'The animal didn’t cross the street because it was too tired.',
      'The cat sat on the mat, and the dog sat on the log.',
      'Attention lets every word look at every other word.',
      'She gave him the book that she had bought yesterday.',
    ];
    const seqs = samples.map((s) => tokenIds(splitWords(s).tokens.map((t) => t.text)));
    const punct = samples.map((s) => Uint8Array.from(splitWords(s).tokens.map((t) => (isPunct(t.text) ? 1 : 0))));
    const raw = model.headStats(seqs, punct) as Record<string, HeadStat[][]>;
    untrained = { key, model, info: { model: 'untrained', numParameters: model.numParameters, config: model.config, metrics: null, stats: { self: raw.encoder } } };
  }
  return untrained;
}

// ------------------------------------------------------------------------------------------------ analysis
/** True when token `t` carries on the word of the token before it ("bo" + "ats"): they touch and both sides of
 * the join are letters, digits or marks. The tagger is scored on the first token of each word. */
function continuesWord(prev: { end: number; text: string } | undefined, t: { start: number; text: string }): boolean {
  return !!prev && prev.end === t.start && WORD_CHAR.test(prev.text.slice(-1)) && WORD_CHAR.test(t.text.slice(0, 1));
}
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

function softmaxRow(logits: Float32Array, offset: number, n: number) {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, logits[offset + i]);
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = Math.exp(logits[offset + i] - m);
  for (let i = 0; i < n; i++) p[i] /= sum;
  return p;
}

/** The indices of the k largest entries of p, largest first (one pass over p; ties keep the lower index first). */
function topK(p: Float64Array, k: number) {
  const best: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (best.length === k && p[i] <= p[best[k - 1]]) continue;
    let j = Math.min(best.length, k - 1);
    while (j > 0 && p[best[j - 1]] < p[i]) j--;
    best.splice(j, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}


function view(
  trace: Record<string, { data: Float32Array; shape: number[] }>,
  name: AttentionView['name'],
  title: string,
  stack: 'encoder' | 'decoder',
  block: 'self_attn' | 'multihead_attn',
  layers: number,
  rows: string[],
  cols: string[],
): AttentionView {
  const weights: Float32Array[] = [];
  const masks: (Float32Array | undefined)[] = [];
  const vectors: HeadVectors[] = [];
  let heads = 1;
  for (let l = 0; l < layers; l++) {
    const at = (entry: string) => trace[`${stack}.layers.${l}.${block}.${entry}`];
    const w = at('weights');
    heads = w.shape[1];
    weights.push(w.data);
    const m = at('mask');
    masks.push(m ? m.data.subarray(0, rows.length * cols.length) : undefined);
    // A trace 'full' (record_scores) has the queries, keys and scores too.
    const v = headVectors(at);
    if (v) vectors.push(v);
  }
  return { name, title, rows, cols, layers, heads, weights, masks, ...(vectors.length === layers ? { vectors } : {}) };
}

const show = (s: string) => (s === ' ' ? '␣' : s.replace(/\n/g, '⏎').trim() || '␣');

function analyze(req: AnalyzeRequest) {
  const t0 = performance.now();
  const base: { id: number; model: ModelId; text: string; ms: number; hf?: string } = { id: req.id, model: req.model, text: req.text, ms: 0 };
  let result: Omit<typeof base, 'ms'> & { tokens: TokenInfo[]; truncated: string; views: AttentionView[]; outputs: Outputs; ids?: number[] };

  let later: (() => Outputs) | undefined;
  if (req.model === 'hf') {
    const { later: after, ...r } = hfHost.analyze(req);
    later = after;
    result = { ...base, hf: req.hf, ...r };
  } else if (req.model === 'lab') {
    if (!lab || lab.id !== req.run) throw new Error('the lab model is not loaded yet');
    if (!req.text.trim()) {
      result = { ...base, tokens: [], truncated: '', views: [], outputs: { kind: 'none' } };
    } else {
      const r = lab.run.infer(req.text, { trace: req.trace === 'full' ? 'full' : 'weights' });
      result = {
        ...base,
        tokens: labTokens(lab.run, req.text),
        truncated: '',
        views: attentionSet(lab.run, r).views,
        outputs: { kind: 'lab', output: r.output, expected: r.expected, finished: r.finished },
        ids: labInputIds(r.labels.src, lab.info.vocab ?? [], String(lab.run.config.model.arch)),
      };
    }
  } else if (req.model === 'untrained') {
    const { model } = untrainedModel(req.settings);
    const { tokens, truncated } = splitWords(req.text);
    const texts = tokens.map((t) => t.text);
    const layers = req.settings.num_layers;
    if (texts.length === 0) {
      result = { ...base, tokens: [], truncated: '', views: [], outputs: { kind: 'none' } };
    } else {
      const out = model.forward(tokenIds(texts), { trace: req.trace });
      result = {
        ...base,
        tokens,
        truncated: truncated ? `This text has more than ${MAX_TOKENS} tokens: the heatmap uses the first ${MAX_TOKENS}.` : '',
        views: [view(out.trace, 'self', 'Self-attention', 'encoder', 'self_attn', layers, texts, texts)],
        outputs: { kind: 'none' },
        ids: Array.from(tokenIds(texts)),
      };
    }
  } else {
    const m = trained.get(req.model);
    if (!m) throw new Error(`the ${req.model} model is not loaded yet`);
    const { model, tokenizer } = m;
    const maxLen = Number(model.config.max_len);
    const layers = Number(model.config.num_layers);
    if (req.model === 'lm') {
      // The context is the text's last max_len - 1 tokens, after <bos>.
      const e = tokenizer.encode(req.text);
      let first = 0;
      let truncated = e.truncated ? 'This text is too long for the tokenizer: it was cut.' : '';
      if (e.ids.length > maxLen - 1) {
        first = e.ids.length - (maxLen - 1);
        truncated = `The model reads at most ${maxLen - 1} tokens: it sees the last ${maxLen - 1} of ${e.ids.length}.`;
      }
      const ids = Int32Array.from([BOS, ...e.ids.slice(first)]);
      const tokens = e.offsets.slice(first).map(([s, t]) => ({ text: req.text.slice(s, t), start: s, end: t }));
      const out = model.forward(ids, { trace: req.trace });
      const V = out.logits.shape[out.logits.shape.length - 1];
      const p = softmaxRow(out.logits.data, (ids.length - 1) * V, V);
      const next = topK(p, 5).map((i) => ({ token: tokenizer.decode(Int32Array.from([i])), prob: p[i] }));
      const labels = ['<bos>', ...tokens.map((t) => show(t.text))];
      result = {
        ...base,
        tokens,
        truncated,
        views: [view(out.trace, 'self', 'Causal self-attention', 'decoder', 'self_attn', layers, labels, labels)],
        outputs: { kind: 'lm', next },
        ids: Array.from(ids),
      };
    } else if (req.model === 'tagger') {
      const e = tokenizer.encode(req.text, { maxTokens: maxLen });
      const tokens = e.offsets.map(([s, t]) => ({ text: req.text.slice(s, t), start: s, end: t }));
      if (tokens.length === 0) {
        result = { ...base, tokens, truncated: '', views: [], outputs: { kind: 'none' } };
      } else {
        const out = model.forward(e.ids, { trace: req.trace });
        const C = out.logits.shape[out.logits.shape.length - 1];
        const tags = tokens.map((t, i) => {
          const p = softmaxRow(out.logits.data, i * C, C);
          const best = topK(p, 1)[0];
          return { tag: TAGS[best]?.tag ?? String(best), prob: p[best], continues: continuesWord(tokens[i - 1], t) };
        });
        const labels = tokens.map((t) => show(t.text));
        result = {
          ...base,
          tokens,
          truncated: e.truncated ? `The tagger reads at most ${maxLen} tokens: the rest was cut.` : '',
          views: [view(out.trace, 'self', 'Bidirectional self-attention', 'encoder', 'self_attn', layers, labels, labels)],
          outputs: { kind: 'tagger', tags },
          ids: Array.from(e.ids),
        };
      }
    } else {
      const e = tokenizer.encode(req.text, { maxTokens: maxLen - 1 });
      const tokens = e.offsets.map(([s, t]) => ({ text: req.text.slice(s, t), start: s, end: t }));
      if (tokens.length === 0) {
        result = { ...base, tokens, truncated: '', views: [], outputs: { kind: 'none' } };
      } else {
        const out = model.greedy(e.ids, { bos: BOS, eos: EOS, max_len: 12 });
        const produced = Array.from(out.tokens, (id) => tokenizer.decode(Int32Array.from([id])));
        const translation = produced.join('');
        // Decoder rows: each input position produces the next output character (the last one, <eos>).
        const rows = [...produced.map(show), ...(out.finished ? ['<eos>'] : [])];
        const decoderIn = ['<bos>', ...produced.map(show)].slice(0, rows.length);
        const src = tokens.map((t) => show(t.text));
        const dlayers = Number(model.config.num_decoder_layers);
        // greedy records no scores: with trace 'full', the translation is run again as one forward pass over the
        // decoder inputs the rows show (the same weights, bit for bit).
        const trace = req.trace === 'full'
          ? model.forward(e.ids, { tgt: Int32Array.from([BOS, ...out.tokens].slice(0, rows.length)), trace: 'full' }).trace
          : out.trace;
        result = {
          ...base,
          tokens,
          truncated: e.truncated ? `The translator reads at most ${maxLen - 1} characters: the rest was cut.` : '',
          views: [
            view(trace, 'cross', 'Cross-attention (decoder → encoder)', 'decoder', 'multihead_attn', dlayers, rows, src),
            view(trace, 'encoder', 'Encoder self-attention', 'encoder', 'self_attn', layers, src, src),
            view(trace, 'decoder', 'Decoder self-attention (causal)', 'decoder', 'self_attn', dlayers, decoderIn, decoderIn),
          ],
          outputs: { kind: 'dates', translation, finished: out.finished },
          ids: Array.from(e.ids),
        };
      }
    }
  }
  performance.mark(`attn:analysis:${req.id}`);
  const warning = overflowWarning(result.views);
  const msg = { kind: 'analysis' as const, ...result, ms: performance.now() - t0, ...(warning ? { warning } : {}), ...(later ? { pendingOutputs: true } : {}) };
  const transfer: Transferable[] = [];
  for (const v of msg.views) {
    for (const w of v.weights) transfer.push(w.buffer);
  }
  post(msg, dedupe(transfer));
  // Outputs that follow the picture (GPT-2's next tokens: the vocabulary projection, after the heatmap is posted).
  if (later) {
    try {
      post({ kind: 'outputs', id: req.id, outputs: later() });
    } catch (e) {
      post({ kind: 'outputs', id: req.id, outputs: { kind: 'none' } });
      throw e;
    }
  }
  // A model's head statistics start once it has shown its first picture.
  if (req.model === 'hf' && req.hf) hfHost.startStats(req.hf);
  else if (trained.has(req.model)) startTrainedStats(req.model);
}

function dedupe(buffers: Transferable[]) {
  return [...new Set(buffers)];
}

async function load(model: ModelId, settings: ModelSettings, run?: string) {
  if (model !== 'untrained' && model !== 'lab' && model !== 'hf') return loadTrained(model); // fetches while the engine starts
  await engineStarted.promise;
  if (model === 'untrained') post({ kind: 'loaded', ...untrainedModel(settings).info });
  else if (model === 'lab') post({ kind: 'loaded', ...(await labModel(run ?? '')).info });
  else throw new Error('Hugging Face models load with load-hf');
}

/** A run trained in the lab, from the weights the lab kept in this browser (IndexedDB, lab/persist.ts). */
async function labModel(id: string) {
  if (!engine) throw new Error('engine not loaded');
  if (lab?.id === id) return lab;
  const stored = await loadStoredRun(id).catch(() => undefined);
  if (!stored?.weights)
    throw Object.assign(new Error('this lab run is not in this browser (it was deleted, or trained in another browser): open it from the training lab, or import its files there'), { name: 'AttnError' });
  const run = engine.loadRun(stored.weights);
  const record = stored.record as { name?: string; final?: Record<string, number> };
  lab?.run.delete();
  const info: LoadedModel = {
    model: 'lab',
    numParameters: run.numParameters,
    config: { ...run.config.model, task: run.config.task, name: record.name ?? 'lab run' },
    metrics: record.final ?? null,
    stats: {},
    vocab: run.nextBatch().vocab, // the batch is only looked at: the run would train the same batches
  };
  lab = { id, run, info };
  return lab;
}

/** Where each symbol of a lab task's input sits in the text: one character each for dates (and for toy tasks
 * typed without spaces), each word for summarize (between spaces, control characters and , . ; : ! ?), otherwise
 * each run of digits. Mirrors parse_task_input in engine/train/tasks.cpp. */
function labTokens(run: Run, text: string): TokenInfo[] {
  const task = run.config.task ?? {};
  const token = (t: string, start: number) => ({ text: t, start, end: start + t.length });
  if (task.name === 'dates') return Array.from(text, (c, i) => token(c, i)); // ASCII: one code unit each
  if (task.name === 'summarize') return [...text.matchAll(/[^\x00-\x20,.;:!?]+/g)].map((m) => token(m[0], m.index!));
  const re = Number(task.symbols) <= 10 && !/[ ,]/.test(text) ? /\d/g : /\d+/g;
  return [...text.matchAll(re)].map((m) => token(m[0], m.index!));
}

// ------------------------------------------------------------------------------------------- widget calls
async function call(id: number, name: CallName, args: unknown) {
  try {
    if (!engine) throw new Error('The engine is not loaded yet.');
    let value: unknown;
    if (name === 'trainedParameter') {
      const a = args as CallArgs<'trainedParameter'>;
      // Only the weights: no head statistics, and no "loaded" message for a model no view asked for.
      const params = (await fetchTrained(a.model)).model.stateDict();
      if (!params[a.name]) throw Object.assign(new Error(`${a.model} has no parameter "${a.name}"`), { name: 'AttnError' });
      value = params[a.name];
    } else if (name === 'modelFile') {
      const a = args as CallArgs<'modelFile'>;
      value = a.model === 'untrained' ? untrainedModel(a.settings).model.save() : (await labModel(a.run ?? '')).run.save();
    } else if (name === 'ablation') {
      const a = args as CallArgs<'ablation'>;
      value = runAblation(await fetchTrained(a.model), a);
    } else if (name === 'hfAblation') {
      value = hfHost.ablation(args as CallArgs<'hfAblation'>);
    } else if (name === 'labAblation') {
      const a = args as CallArgs<'labAblation'>;
      value = runLabAblation((await labModel(a.run)).run, a);
    } else {
      value = runCall(engine, name, args as CallArgs<typeof name>);
    }
    post({ kind: 'result', callId: id, value }, transferables(value));
  } catch (e) {
    const err = e as Error;
    const fatal = err.name !== 'AttnError' && !/not loaded yet|could not load|unknown engine call/.test(err.message);
    post({ kind: 'call-error', callId: id, message: err.message, fatal });
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.kind === 'init') {
    void init(msg.engine, msg.modelsUrl);
    return;
  }
  if (msg.kind === 'load') {
    load(msg.model, msg.settings, msg.run).catch((e: Error) => {
      if (engineFailed) return; // said once, by init
      post({ kind: 'error', model: msg.model, message: e.message, fatal: e.name !== 'AttnError' && !/could not load/.test(e.message) });
    });
    return;
  }
  if (msg.kind === 'call') {
    void call(msg.id, msg.name, msg.args);
    return;
  }
  if (msg.kind === 'load-hf') {
    hfHost.load(msg.reqId, msg.source);
    return;
  }
  if (msg.kind === 'hf-release') {
    hfHost.release(msg.key);
    return;
  }
  try {
    analyze(msg);
  } catch (e) {
    const err = e as Error;
    if (err.name === 'Superseded') {
      // A request for a Hugging Face model the worker has just replaced: the page has moved on.
      post({ kind: 'error', id: msg.id, message: err.message, fatal: false, superseded: true });
      return;
    }
    // AttnError: bad input, the engine is fine. Anything else (an abort): this worker must be replaced.
    const fatal = err.name !== 'AttnError' && !/not loaded yet/.test(err.message);
    post({ kind: 'error', id: msg.id, message: err.message, fatal });
  }
};
