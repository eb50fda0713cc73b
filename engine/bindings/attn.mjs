// The JavaScript API of the attention engine (WebAssembly). Works in browsers, workers and Node 18+.
//
//   import { loadEngine } from './attn.mjs';
//   const attn = await loadEngine();
//   const { attn_output, attn_output_weights } = attn.multiheadAttention({
//     embed_dim: 4, num_heads: 2, batch_first: true,
//     params: { in_proj_weight, in_proj_bias, 'out_proj.weight': w, 'out_proj.bias': b },
//     query: [[[1, 0, 0, 1], [0, 1, 1, 0]]],
//   });
//
// Names, layouts and mask conventions are PyTorch's (see README, "JavaScript API"). Tensors are
// {data: Float32Array, shape: number[]}, or nested arrays of numbers (masks: of booleans). Every result tensor
// is a fresh {data: Float32Array, shape} the caller owns. Bad input throws an AttnError whose message names
// the problem; the engine itself never aborts on user input.
import createAttnModule from './attn_engine.mjs';

export class AttnError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AttnError';
  }
}

const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node);

/**
 * Fetches the bytes at `url` (a file: URL reads the file under Node), reporting progress as (loaded, total).
 * Used for the engine's .wasm, and by the page for model files.
 * @param {URL} url
 * @param {(loaded: number, total: number) => void} [onProgress]
 * @returns {Promise<Uint8Array>}
 */
export async function fetchBytes(url, onProgress) {
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(url);
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  }
  const res = await fetch(url);
  if (!res.ok) throw new AttnError(`could not load ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || 0;
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total || loaded);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes;
}

/**
 * Compiles and instantiates the .wasm at `url` as it downloads (progress from a copy of the stream), or from its
 * bytes when the browser refuses to stream it (a server that does not label .wasm as application/wasm).
 */
async function instantiateStreaming(url, imports, onProgress) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new AttnError(`could not load ${url}: HTTP ${res.status}`);
  if (onProgress && res.body) {
    const total = Number(res.headers.get('content-length')) || 0;
    const reader = res.clone().body.getReader();
    void (async () => {
      for (let loaded = 0; ; ) {
        const { done, value } = await reader.read();
        if (done) break;
        loaded += value.length;
        onProgress(loaded, total || loaded);
      }
    })().catch(() => {});
  }
  try {
    return await WebAssembly.instantiateStreaming(res, imports);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e; // the MIME type; a bad module is a CompileError
    return WebAssembly.instantiate(await fetchBytes(url), imports);
  }
}

/**
 * The threads an engine built with threads uses by default: the machine's cores, at most 4. This is the rule for
 * programs (Node, a worker of a course's own page); the explorer passes its own count, one core fewer, because its
 * frames need a core while the engine runs (web/src/engine/engine-build.ts, wantedThreads).
 */
function defaultThreads() {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Loads the WebAssembly engine. The build next to this file is either the single-threaded one or the one with
 * threads (engine/mt/: pthreads, shared memory; a page must be cross-origin isolated to run it). `threads` (the
 * latter only) is how many threads the matrix products use, the caller's included: their Web Workers start here.
 * @param {{wasmUrl?: string|URL, wasmBinary?: Uint8Array|ArrayBuffer, threads?: number, onProgress?: (loaded: number, total: number) => void}} [options]
 */
export async function loadEngine(options = {}) {
  const url = options.wasmUrl ? new URL(options.wasmUrl, import.meta.url) : new URL('./attn_engine.wasm', import.meta.url);
  const threads = Math.max(1, Math.min(8, Math.floor(options.threads ?? defaultThreads())));
  // In a browser the module compiles while it downloads, and the browser keeps the compiled code with the cached
  // file, so a later visit need not compile it again (WebAssembly.instantiateStreaming); elsewhere from the bytes.
  const streamed = !options.wasmBinary && !isNode && typeof WebAssembly.instantiateStreaming === 'function';
  const wasmBinary = streamed ? undefined : (options.wasmBinary ?? (await fetchBytes(url, options.onProgress)));
  let failed;
  const failure = new Promise((_, reject) => (failed = reject));
  const module = await Promise.race([
    createAttnModule({
      wasmBinary,
      ...(streamed && {
        instantiateWasm: (imports, receive) => {
          instantiateStreaming(url, imports, options.onProgress).then((r) => receive(r.instance, r.module), failed);
          return {};
        },
      }),
      attnHelpers: threads - 1, // read by the build with threads only (its PTHREAD_POOL_SIZE)
      print: () => {},
      printErr: (s) => console.warn('[attn]', s),
    }),
    failure,
  ]);
  module.setThreads(threads);
  return new Engine(module);
}

// ------------------------------------------------------------------------------------------------- tensors

/** Builds a tensor from a flat array and a shape. */
export function tensor(data, shape) {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data, Number);
  const n = shape.reduce((a, b) => a * b, 1);
  if (arr.length !== n) throw new AttnError(`${arr.length} values do not fill shape [${shape.join(', ')}]`);
  return { data: arr, shape: [...shape] };
}

function nestedShape(x) {
  const shape = [];
  let cur = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flatten(x, shape, depth, out, name) {
  if (depth === shape.length) {
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[depth]) throw new AttnError(`${name}: ragged nested array`);
  for (const v of x) flatten(v, shape, depth + 1, out, name);
}

/** Normalizes a user tensor or mask to {data: Float32Array, shape, dtype}. */
function toTensor(x, name, isMask = false) {
  if (x === undefined || x === null) return undefined;
  let data;
  let shape;
  let dtype = 'float32';
  if (Array.isArray(x)) {
    shape = nestedShape(x);
    const flat = [];
    flatten(x, shape, 0, flat, name);
    if (flat.some((v) => typeof v === 'boolean')) dtype = 'bool';
    data = Float32Array.from(flat, (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : Number(v)));
  } else if (x && typeof x === 'object' && 'data' in x && 'shape' in x) {
    shape = Array.from(x.shape, Number);
    const d = x.data;
    if (x.dtype === 'bool' || d instanceof Uint8Array || (Array.isArray(d) && typeof d[0] === 'boolean')) dtype = 'bool';
    data = d instanceof Float32Array ? d : Float32Array.from(d, (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : Number(v)));
  } else {
    throw new AttnError(`${name}: expected {data, shape} or a nested array`);
  }
  if (!isMask && dtype === 'bool') dtype = 'float32';
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new AttnError(`${name}: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  return { data, shape, dtype };
}

function paramTensors(params, tensors) {
  if (!params || typeof params !== 'object') throw new AttnError('params (the state_dict) is required');
  for (const [k, v] of Object.entries(params)) tensors[`param.${k}`] = toTensor(v, k);
}

/**
 * A new engine object: `init(handle)` returns "" or the reason it failed, in which case the handle is freed and
 * an AttnError thrown; otherwise the handle is wrapped in `Wrapper`.
 */
function newHandle(Handle, Wrapper, init) {
  const handle = new Handle();
  const err = init(handle);
  if (err) {
    handle.delete();
    throw new AttnError(err);
  }
  return new Wrapper(handle);
}

function unwrap(result) {
  if (result && result.error !== undefined) throw new AttnError(result.error);
  return result;
}

function pick(opts, keys) {
  const out = {};
  for (const k of keys) if (opts[k] !== undefined) out[k] = opts[k];
  return JSON.stringify(out);
}

/** attentionRollout / attentionFlow's arguments as the module takes them: options JSON and the tensors. */
function rolloutArgs(attentions, options) {
  if (!Array.isArray(attentions)) throw new AttnError('attentions must be an array with one tensor per layer');
  const { head = 'mean', ...rest } = options ?? {};
  if (head !== 'mean' && typeof head !== 'number') throw new AttnError(`head must be a head's index or 'mean', got ${JSON.stringify(head)}`);
  const o = { ...rest, head: head === 'mean' ? -1 : head };
  return [pick(o, ['residual', 'head', 'layer', 'normalize']), attentions.map((a, l) => toTensor(a, `attentions[${l}]`))];
}

// Head ablation, by Hugging Face's names (head_mask [layers, H] or [H]: 1 keeps a head, 0 removes it, a fraction scales
// it) and the engine's mean ablation (head_mean [layers, H, Dh]: what a removed head outputs instead).
const HEAD_MASK_NAMES = ['head_mask', 'head_mean', 'decoder_head_mask', 'decoder_head_mean', 'cross_attn_head_mask',
  'cross_attn_head_mean'];

/** The head-ablation tensors of an options or inputs object as {name: {data, shape}}, or undefined when none. */
function headMasks(src) {
  let out;
  for (const k of HEAD_MASK_NAMES) if (src?.[k] !== undefined && src[k] !== null) (out ??= {})[k] = toTensor(src[k], k);
  return out;
}

const LAYER_OPTIONS = ['d_model', 'nhead', 'dim_feedforward', 'dropout', 'activation', 'layer_norm_eps', 'batch_first',
  'norm_first', 'num_layers', 'norm', 'is_causal', 'training', 'seed', 'scaled', 'temperature', 'record_scores'];

// --------------------------------------------------------------------------------------------------- engine

export class Engine {
  constructor(module) {
    this.module = module;
    /** {name, version, simd128, eigen, threadsBuild, threads} */
    this.info = JSON.parse(module.engineInfo());
  }

  /**
   * The engine objects alive now (C++ objects that JavaScript holds until their delete()): models, tokenizers,
   * training runs, Hugging Face models and tokenizers, and their total. For leak checks: a page that frees what it
   * makes comes back to the same count. Tensors are copies in typed arrays, not handles.
   * @returns {{models: number, tokenizers: number, runs: number, hfModels: number, hfTokenizers: number, total: number}}
   */
  liveHandles() {
    return this.module.liveHandles();
  }

  /**
   * The WebAssembly memory's size (it only grows) and the bytes malloc has handed out and not had back.
   * @returns {{memoryBytes: number, heapBytes: number}}
   */
  memoryUse() {
    return this.module.memoryUse();
  }

  /**
   * F.scaled_dot_product_attention, returning the weights too.
   * attn_mask: boolean True = MAY attend (PyTorch's SDPA convention), or float (added).
   * Extensions: scaled=false skips 1/sqrt(d_k); temperature divides the scores.
   * @returns {{output, weights, scores, scaled, mask?, dropped?}}
   */
  scaledDotProductAttention(opts) {
    const t = {
      query: toTensor(opts.query, 'query'),
      key: toTensor(opts.key, 'key'),
      value: toTensor(opts.value, 'value'),
      attn_mask: toTensor(opts.attn_mask, 'attn_mask', true),
    };
    const o = pick(opts, ['dropout_p', 'is_causal', 'scale', 'scaled', 'temperature', 'seed']);
    return unwrap(this.module.sdpa(o, t));
  }

  /**
   * nn.MultiheadAttention forward. key and value default to query (self-attention).
   * Masks: boolean True = NOT allowed (PyTorch's MHA convention), or float (added).
   * trace: true adds {q, k, v, scores, scaled, mask?, weights, heads, concat, output}, batch-first, per head.
   * @returns {{attn_output, attn_output_weights, trace?}}
   */
  multiheadAttention(opts) {
    const query = toTensor(opts.query, 'query');
    const t = {
      query,
      key: toTensor(opts.key ?? opts.query, 'key'),
      value: toTensor(opts.value ?? opts.key ?? opts.query, 'value'),
      key_padding_mask: toTensor(opts.key_padding_mask, 'key_padding_mask', true),
      attn_mask: toTensor(opts.attn_mask, 'attn_mask', true),
    };
    paramTensors(opts.params, t);
    const o = pick(opts, ['embed_dim', 'num_heads', 'kdim', 'vdim', 'bias', 'dropout', 'batch_first', 'need_weights',
      'average_attn_weights', 'is_causal', 'training', 'seed', 'scaled', 'temperature', 'trace']);
    return unwrap(this.module.multiheadAttention(o, t));
  }

  /** nn.TransformerEncoderLayer forward (eval mode unless training: true). @returns {{output, trace}} */
  transformerEncoderLayer(opts) {
    return this.#encoder({ ...opts, num_layers: 0 });
  }

  /** nn.TransformerEncoder: num_layers layers ("layers.{i}." params), optional final norm ("norm."). */
  transformerEncoder(opts) {
    if (!(opts.num_layers >= 1)) throw new AttnError('num_layers must be at least 1');
    return this.#encoder(opts);
  }

  /** nn.TransformerDecoderLayer forward. @returns {{output, trace}} */
  transformerDecoderLayer(opts) {
    return this.#decoder({ ...opts, num_layers: 0 });
  }

  /** nn.TransformerDecoder: num_layers layers, optional final norm. */
  transformerDecoder(opts) {
    if (!(opts.num_layers >= 1)) throw new AttnError('num_layers must be at least 1');
    return this.#decoder(opts);
  }

  #encoder(opts) {
    const t = {
      src: toTensor(opts.src, 'src'),
      src_mask: toTensor(opts.src_mask ?? opts.mask, 'src_mask', true),
      src_key_padding_mask: toTensor(opts.src_key_padding_mask, 'src_key_padding_mask', true),
    };
    paramTensors(opts.params, t);
    return unwrap(this.module.encoder(pick(opts, LAYER_OPTIONS), t));
  }

  #decoder(opts) {
    const t = {
      tgt: toTensor(opts.tgt, 'tgt'),
      memory: toTensor(opts.memory, 'memory'),
      tgt_mask: toTensor(opts.tgt_mask, 'tgt_mask', true),
      tgt_key_padding_mask: toTensor(opts.tgt_key_padding_mask, 'tgt_key_padding_mask', true),
      memory_mask: toTensor(opts.memory_mask, 'memory_mask', true),
      memory_key_padding_mask: toTensor(opts.memory_key_padding_mask, 'memory_key_padding_mask', true),
    };
    paramTensors(opts.params, t);
    const o = { ...opts, is_causal: opts.tgt_is_causal ?? opts.is_causal };
    return unwrap(this.module.decoder(pick(o, LAYER_OPTIONS), t));
  }

  /**
   * An activation of the feed-forward network applied elementwise ('relu' or 'gelu', exact erf form), and its
   * derivative. @returns {{output, derivative}}
   */
  activation(name, input) {
    return unwrap(this.module.activation(String(name), { input: toTensor(input, 'input') }));
  }

  /** The sinusoidal encoding of Vaswani et al.: a [length, d_model] tensor. */
  positionalEncoding(length, d_model) {
    return unwrap(this.module.positionalEncoding(length | 0, d_model | 0));
  }

  /**
   * A whole model kept inside the engine (see README, "Model config"). Weights start seeded-random
   * (PyTorch's default init distributions); loadStateDict replaces them.
   * @returns {Model}
   */
  createModel(config, seed = 0) {
    const m = newHandle(this.module.Model, Model, (h) => h.init(JSON.stringify(config)));
    m.reset(seed);
    return m;
  }

  /**
   * Loads a model file (safetensors with the config in its metadata, as Model.save writes it). Every byte is
   * validated first; a corrupt file throws an AttnError naming the problem.
   * @param {Uint8Array|ArrayBuffer} bytes
   * @returns {Model}
   */
  loadModel(bytes) {
    return newHandle(this.module.Model, Model, (h) => h.load(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)));
  }

  /**
   * A batch of a task (copy, reverse, sort, repeat, dates, summarize), laid out for an architecture, from a seed:
   * {B, S, T, src, tgt, targets, vocab_size, max_positions}; split 'train' or 'held-out' (1 in 8 inputs, never
   * trained on); see engine/train/tasks.h.
   */
  taskBatch({ task = 'reverse', symbols = 10, min_len = 3, max_len = 10, arch = 'encoder-decoder', batch = 32, split = 'train' } = {}, seed = 0) {
    return unwrap(this.module.taskBatch(JSON.stringify({ task, symbols, min_len, max_len, arch, batch, split }), seed));
  }

  /** Corpus BLEU-4 with brevity penalty over token-id sequences (one reference each). */
  bleu(hypotheses, references) {
    const toSeqs = (xs) => xs.map((x) => Int32Array.from(x));
    return this.module.bleu(toSeqs(hypotheses), toSeqs(references));
  }

  /** Macro and micro F1 of tagging labels (positions whose gold label is `ignore` are skipped). */
  f1(gold, predicted, numClasses, ignore = -100) {
    return unwrap(this.module.f1(Int32Array.from(gold), Int32Array.from(predicted), numClasses, ignore));
  }

  /**
   * Attention rollout (Abnar & Zuidema, 2020; docs/rollout.md): how much each input token contributes to each
   * position after each layer, with the residual connection accounted for. attentions: one tensor per layer of one
   * self-attention stack, [1, H, T, T] or [H, T, T] (what a model's forward returns).
   * @param {{residual?: number, head?: number | 'mean'}} [options] residual 0.5 (0: the raw attention product)
   * @returns {{data: Float32Array, shape: number[]}} [L, T, T]
   */
  attentionRollout(attentions, options = {}) {
    return unwrap(this.module.attentionRollout(...rolloutArgs(attentions, options)));
  }

  /**
   * Attention flow (docs/rollout.md): the maximum flow from each input token to each position after `layer` (the
   * last by default) through the graph of the layers, each row divided by its sum unless normalize is false.
   * Throws an AttnError beyond maxFlowTokens(layers) tokens.
   * @param {{residual?: number, head?: number | 'mean', layer?: number, normalize?: boolean}} [options]
   * @returns {{data: Float32Array, shape: number[]}} [T, T]
   */
  attentionFlow(attentions, options = {}) {
    return unwrap(this.module.attentionFlow(...rolloutArgs(attentions, options)));
  }

  /** The most tokens attentionFlow takes through this many layers (its work grows as layers · T^4). */
  maxFlowTokens(layers) {
    return this.module.maxFlowTokens(Math.max(1, layers | 0));
  }
}

export class Model {
  constructor(handle) {
    this.handle = handle;
    this.config = JSON.parse(handle.config());
  }

  get numParameters() {
    return this.handle.numParameters();
  }

  /** Re-draws every weight from the seeded generator. */
  reset(seed = 0) {
    this.handle.reset(seed);
  }

  /** {name: {data, shape}} under PyTorch-style names (see README). */
  stateDict() {
    return this.handle.stateDict();
  }

  loadStateDict(state) {
    const t = {};
    for (const [k, v] of Object.entries(state)) t[k] = toTensor(v, k);
    const err = this.handle.loadStateDict(t);
    if (err) throw new AttnError(err);
  }

  /**
   * ids: token ids (Int32Array or number[]) of one sequence, or `batch` sequences of equal length back to back.
   * tgt: decoder ids for encoder-decoder models. trace: "weights" (attention weights and masks, the default),
   * "full" (also q, k, v, scores, the per-head context vectors `heads`, ...), or "none".
   * Head ablation, as Hugging Face's forward takes it: head_mask [layers, H] (or [H] for every layer) multiplies
   * each head's attention weights after the softmax (1 keeps it, 0 removes it); it is the only stack's (encoder,
   * decoder-only) or the encoder's; decoder_head_mask and cross_attn_head_mask are the decoder's. head_mean,
   * decoder_head_mean, cross_attn_head_mean [layers, H, Dh] (headMeans): what a removed head outputs instead.
   * @returns {{logits, trace: Record<string, {data, shape}>}}
   */
  forward(ids, { tgt, batch = 1, trace = 'weights', ...masks } = {}) {
    const toIds = (x) => (x instanceof Int32Array ? x : Int32Array.from(x ?? []));
    const opts = JSON.stringify({ batch, trace });
    return unwrap(this.handle.forward(toIds(ids), tgt === undefined ? undefined : toIds(tgt), opts, headMasks(masks)));
  }

  /**
   * Greedy decoding (encoder-decoder: from the source; decoder-only: continuing the prompt). Head masks (as
   * forward) apply at every step.
   * @returns {{tokens: Int32Array, finished: boolean, logits, trace}} the trace covers the whole output
   */
  greedy(src, { bos = 1, eos = 2, max_len, trace = 'weights', ...masks } = {}) {
    const opts = { bos, eos, trace };
    if (max_len !== undefined) opts.max_len = max_len;
    const ids = src instanceof Int32Array ? src : Int32Array.from(src);
    return unwrap(this.handle.greedy(ids, JSON.stringify(opts), headMasks(masks)));
  }

  /**
   * The means of mean ablation: each head's context vector (its output before the output projection, the full
   * trace's `...attn.heads`) averaged over every position of seqs (token id arrays, one forward pass each; tgts: the
   * decoder inputs of encoder-decoder models). Pass them to forward or greedy with a head_mask saying which heads
   * they replace. @returns {{head_mean, decoder_head_mean?, cross_attn_head_mean?}} [layers, H, Dh] each
   */
  headMeans(seqs, tgts) {
    const ints = (xs) => xs.map((x) => (x instanceof Int32Array ? x : Int32Array.from(x)));
    return unwrap(this.handle.headMeans(ints(seqs), tgts ? ints(tgts) : undefined));
  }

  /**
   * What each head does over many sequences (engine/models/head_stats.h): for every layer and head the mean
   * entropy (bits) and the shares of attention on the previous token, itself, the first token and punctuation.
   * seqs: token id arrays; punct: 0/1 arrays of the same lengths; tgts: decoder inputs (encoder-decoder only).
   * @returns {Record<'encoder'|'decoder'|'cross', {entropy, previous, self, first, punct, max, rows}[][]>}
   */
  headStats(seqs, punct, tgts) {
    const ints = (xs) => xs.map((x) => (x instanceof Int32Array ? x : Int32Array.from(x)));
    const bytes = punct.map((x) => (x instanceof Uint8Array ? x : Uint8Array.from(x)));
    return unwrap(this.handle.headStats(ints(seqs), bytes, tgts ? ints(tgts) : undefined));
  }

  /** The model as a file: safetensors bytes with the config in the metadata (f16: half the size). */
  save({ f16 = false } = {}) {
    return this.handle.save(f16);
  }

  /** The metadata of the file the model was loaded from (string -> string). */
  get metadata() {
    return JSON.parse(this.handle.metadata());
  }

  /**
   * Starts training this model (fresh optimizer state). config: {optimizer ('sgd' | 'adam' | 'adamw'), lr, beta1,
   * beta2, eps, momentum, dampening, nesterov, weight_decay, clip_norm, schedule, warmup, total_steps, min_lr_ratio, label_smoothing, ignore_index, seed}.
   * @returns {Trainer}
   */
  trainer(config = {}) {
    const err = this.handle.trainStart(JSON.stringify(config));
    if (err) throw new AttnError(err);
    return new Trainer(this);
  }

  /** Frees the model's memory inside the engine. */
  delete() {
    this.handle.delete();
  }
}

/**
 * One training step at a time, so a page can report progress and pause, resume or stop between steps.
 * A batch is {B, S, T, src, tgt, targets} (Int32Arrays; see Engine.taskBatch).
 */
export class Trainer {
  constructor(model) {
    this.model = model;
  }

  /**
   * Forward (training mode), loss, backward, clip, optimizer update. @returns {{step, loss, grad_norm, lr, tokens}}
   * With {inspect: true}, also the step taken apart: losses (Float64Array [B * out_len], NaN where the target is
   * ignored), clip_coef, and params: [{name, shape, before, value, grad, state}] (Float32Arrays; grad as the
   * optimizer used it, after clipping; state by torch.optim's names: exp_avg, exp_avg_sq or momentum_buffer).
   */
  step(batch, { inspect = false } = {}) {
    return unwrap(this.model.handle.trainStep(batch, !!inspect));
  }

  /** Eval-mode forward: @returns {{loss, token_accuracy, exact_match, tokens, correct, sequences, exact, predictions}} */
  evaluate(batch) {
    return unwrap(this.model.handle.evaluate(batch));
  }
}

// ------------------------------------------------------------------------------------------------ tokenizers

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // keeps a leading U+FEFF: it is text

/**
 * Converts byte offsets into the UTF-8 of `text` (pairs [start, end) on character boundaries, starts and ends never
 * decreasing) to [start, end) pairs in UTF-16 code units of `text`. Two cursors walk the string once; a lone
 * surrogate counts 3 bytes, as TextEncoder writes it (U+FFFD).
 */
function utf16Offsets(text, byteOffsets, byteLength) {
  const n = byteOffsets.length / 2;
  const out = new Array(n);
  if (byteLength === text.length) {
    // ASCII: bytes and code units are the same.
    for (let i = 0; i < n; i++) out[i] = [byteOffsets[2 * i], byteOffsets[2 * i + 1]];
    return out;
  }
  const cursor = () => ({ byte: 0, unit: 0 });
  const advance = (c, byte) => {
    while (c.byte < byte) {
      const u = text.charCodeAt(c.unit);
      if (u < 0x80) {
        c.byte += 1;
        c.unit += 1;
      } else if (u < 0x800) {
        c.byte += 2;
        c.unit += 1;
      } else if (u >= 0xd800 && u <= 0xdbff && (text.charCodeAt(c.unit + 1) & 0xfc00) === 0xdc00) {
        c.byte += 4; // a surrogate pair
        c.unit += 2;
      } else {
        c.byte += 3;
        c.unit += 1;
      }
    }
    return c.unit;
  };
  const starts = cursor();
  const ends = cursor();
  for (let i = 0; i < n; i++) out[i] = [advance(starts, byteOffsets[2 * i]), advance(ends, byteOffsets[2 * i + 1])];
  return out;
}

/**
 * A tokenizer inside the engine (engine/text/tokenizer.h): byte-level BPE as GPT-2 ('bpe') or character level
 * ('char'), saved and loaded as Hugging Face tokenizer.json. Special tokens are never matched in the text: add
 * them by id. Get one from Engine.loadTokenizer or Engine.trainTokenizer; delete() frees it.
 */
export class Tokenizer {
  constructor(handle) {
    this.handle = handle;
    /** 'bpe' or 'char' */
    this.kind = handle.kind();
    this.vocab = JSON.parse(handle.vocabJson());
    this.specialIds = new Set(handle.specialIds());
  }

  get vocabSize() {
    return this.vocab.length;
  }

  /**
   * Encodes user text (never fails; at most 1 MiB of its UTF-8 is read). Offsets are [start, end) in UTF-16 code
   * units of `text`, whole characters: tokens that share a character (byte-level BPE can split an emoji) both
   * cover all of it. replaced counts invalid input read as U+FFFD (lone surrogates).
   * @returns {{ids: Int32Array, tokens: string[], offsets: [number, number][], truncated: boolean, replaced: number}}
   */
  encode(text, { maxTokens = -1 } = {}) {
    if (typeof text !== 'string') throw new AttnError('encode: text must be a string');
    if (!Number.isInteger(maxTokens)) throw new AttnError('encode: maxTokens must be an integer (-1: no limit)');
    const bytes = utf8Encoder.encode(text);
    const r = this.handle.encode(bytes, maxTokens);
    const offsets = utf16Offsets(text, r.offsets, bytes.length);
    const tokens = new Array(r.ids.length);
    for (let i = 0; i < tokens.length; i++) tokens[i] = this.vocab[r.ids[i]];
    // TextEncoder already replaced lone surrogates; count those inside the encoded part.
    const covered = offsets.length ? offsets[offsets.length - 1][1] : 0;
    const lone = bytes.length === text.length ? null : text.slice(0, covered).match(/[\uD800-\uDFFF]/gu);
    return { ids: r.ids, tokens, offsets, truncated: r.truncated, replaced: r.replaced + (lone ? lone.length : 0) };
  }

  /** The text of token ids; special tokens' strings are kept unless skipSpecialTokens. */
  decode(ids, { skipSpecialTokens = false } = {}) {
    const arr = ids instanceof Int32Array ? ids : Int32Array.from(ids, Number);
    for (let i = 0; i < arr.length; i++) {
      if (arr[i] < 0 || arr[i] >= this.vocab.length || arr[i] !== Number(ids[i]))
        throw new AttnError(`token id ${ids[i]} is outside the vocabulary [0, ${this.vocab.length})`);
    }
    return utf8Decoder.decode(this.handle.decode(arr, !!skipSpecialTokens));
  }

  /** The id of a vocabulary string, or -1. */
  tokenToId(token) {
    return this.handle.tokenToId(String(token));
  }

  /** The vocabulary string of an id (byte level: 'Ġthe' for ' the'), or undefined. */
  idToToken(id) {
    return this.vocab[id];
  }

  isSpecial(id) {
    return this.specialIds.has(id);
  }

  /** The tokenizer as Hugging Face tokenizer.json text (loads in @huggingface/tokenizers and `tokenizers`). */
  toJSON() {
    return this.handle.toJson();
  }

  /** Frees the tokenizer's memory inside the engine. */
  delete() {
    this.handle.delete();
  }
}


/**
 * Loads a Hugging Face tokenizer.json (text or UTF-8 bytes) of the kinds Tokenizer.toJSON writes (byte-level BPE,
 * e.g. GPT-2's, or character level). Everything is validated; a bad file throws an AttnError naming the problem.
 * @returns {Tokenizer}
 */
Engine.prototype.loadTokenizer = function loadTokenizer(json) {
  if (typeof json !== 'string' && !(json instanceof Uint8Array)) throw new AttnError('loadTokenizer: expected the tokenizer.json text');
  return newHandle(this.module.TokenizerHandle, Tokenizer, (h) => h.load(json));
};

/**
 * Trains a small tokenizer in the engine. kind 'bpe': byte-level BPE up to vocabSize tokens; 'char': every
 * character seen at least minCount times, others map to unkToken. specialTokens get the first ids.
 * @returns {Tokenizer}
 */
Engine.prototype.trainTokenizer = function trainTokenizer({
  kind = 'bpe', texts, vocabSize = 1000, minCount = 1, specialTokens = [], unkToken = '<unk>',
} = {}) {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new AttnError('trainTokenizer: texts must be an array of strings');
  if (!Array.isArray(specialTokens) || specialTokens.some((t) => typeof t !== 'string')) {
    throw new AttnError('trainTokenizer: specialTokens must be an array of strings');
  }
  if (!Number.isInteger(vocabSize) || !Number.isInteger(minCount)) throw new AttnError('trainTokenizer: vocabSize and minCount must be integers');
  return newHandle(this.module.TokenizerHandle, Tokenizer, (h) => h.train(String(kind), texts, vocabSize, minCount, specialTokens, String(unkToken)));
};

// ------------------------------------------------------------------------------------ Hugging Face checkpoints

const HF_FAMILIES = ['gpt2', 'bert', 'distilbert', 'marian'];

/** A folder's files as {name: Uint8Array}: text becomes UTF-8, ArrayBuffers are wrapped, paths keep their last part. */
function hfFiles(files) {
  if (!files || typeof files !== 'object') throw new AttnError("loadHuggingFace: expected the folder's files, {'config.json': bytes, ...}");
  const out = {};
  for (const [path, v] of Object.entries(files)) {
    const name = String(path).split(/[\\/]/).pop();
    let bytes;
    if (v && typeof v === 'object' && v.head instanceof Uint8Array && Number.isFinite(v.size)) bytes = { size: v.size, head: v.head };
    else if (v instanceof Uint8Array) bytes = v;
    else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
    else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    else if (typeof v === 'string') bytes = utf8Encoder.encode(v);
    else throw new AttnError(`loadHuggingFace: ${name} must be bytes (Uint8Array or ArrayBuffer) or text`);
    if (name in out) throw new AttnError(`loadHuggingFace: two files are named ${name}`);
    out[name] = bytes;
  }
  return out;
}

const TOKENIZER_FILES = ['tokenizer.json', 'vocab.json', 'merges.txt', 'vocab.txt', 'source.spm', 'target.spm'];

/**
 * Opens a Hugging Face model folder: config.json and model.safetensors (or model.safetensors.index.json and its
 * shards), and its tokenizer files when present (tokenizer.json; vocab.json + merges.txt; vocab.txt; Marian's
 * source.spm + target.spm + vocab.json). Families: gpt2, bert, distilbert, marian. model.safetensors is read one
 * tensor at a time. Bad files throw an AttnError that names the problem; nothing is kept.
 * @param {Record<string, Uint8Array|ArrayBuffer|string>} files
 * @param {{maxBytes?: number}} [options] refuse models needing more memory (default: what the engine has left)
 * @returns {HfModel}
 */
Engine.prototype.loadHuggingFace = function loadHuggingFace(files, { maxBytes = 0 } = {}) {
  const f = hfFiles(files);
  const model = newHandle(this.module.HfModelHandle, HfModel, (h) => h.load(f, Number(maxBytes) || 0));
  if (TOKENIZER_FILES.some((name) => name in f) && typeof this.loadHfTokenizer === 'function') {
    try {
      model.tokenizer = this.loadHfTokenizer(f);
    } catch (e) {
      model.delete();
      throw e;
    }
    const modelVocab = model.family === 'marian' ? model.config.decoder_vocab_size : model.config.vocab_size;
    if (model.tokenizer.vocabSize > Math.max(modelVocab, model.config.vocab_size)) {
      const n = model.tokenizer.vocabSize;
      model.delete();
      throw new AttnError(`the tokenizer has ${n} tokens but the model's vocabulary has ${modelVocab}: ` +
        'are the tokenizer files and model.safetensors from two different models?');
    }
  }
  return model;
};

/**
 * Checks a model folder as loadHuggingFace would, without reading its weights: config.json and the safetensors
 * headers (names, dtypes, shapes, the memory it needs). Each weight file may be given whole or by its first bytes,
 * {size: its length in bytes, head: Uint8Array} (the 8-byte header length and the header are enough), so a page
 * can refuse a wrong or too-large model before reading gigabytes. Throws the AttnError loadHuggingFace would.
 * @returns {{family, config, parameters, memoryBytes, maxTokens, dtype, unused}}
 */
Engine.prototype.inspectHuggingFace = function inspectHuggingFace(files, { maxBytes = 0 } = {}) {
  const r = unwrap(this.module.inspectHuggingFace(hfFiles(files), Number(maxBytes) || 0));
  const config = JSON.parse(r.config);
  return { family: config.family, config, parameters: r.parameters, memoryBytes: r.bytes, maxTokens: r.maxTokens, dtype: r.dtype, unused: r.unused };
};

/** Probabilities of a row of logits (softmax in double), and the topK ids by probability. */
function topK(logits, offset, V, k) {
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[offset + i] > max) max = logits[offset + i];
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[offset + i] - max);
  const best = [];
  for (let i = 0; i < V; i++) {
    const v = logits[offset + i];
    if (best.length < k || v > best[best.length - 1].logit) {
      best.push({ id: i, logit: v });
      best.sort((a, b) => b.logit - a.logit || a.id - b.id);
      if (best.length > k) best.pop();
    }
  }
  return best.map(({ id, logit }) => ({ id, logit, probability: Math.exp(logit - max) / sum }));
}

const toInts = (x) => (x === undefined || x === null ? undefined : x instanceof Int32Array ? x : Int32Array.from(x, Number));

/**
 * A Hugging Face checkpoint running in the engine. `family` is 'gpt2' | 'bert' | 'distilbert' | 'marian';
 * `tokenizer` is the folder's tokenizer, or null when it had none (the model still runs: ids in, logits out).
 * Outputs use Hugging Face's names and shapes (output_attentions=True, batch of one): logits [1, T, V],
 * attentions (one [1, H, T, T] per layer), and for Marian encoder_attentions, decoder_attentions [1, H, Td, Td]
 * and cross_attentions [1, H, Td, T].
 */
export class HfModel {
  constructor(handle) {
    this.handle = handle;
    /** {family, architectures, vocab_size, d_model, num_layers, num_heads, ffn_dim, max_positions, ...} */
    this.config = JSON.parse(handle.config());
    this.family = this.config.family;
    /** @type {Tokenizer|null} */
    this.tokenizer = null;
    const info = handle.info();
    /** The stored weights' dtype ('F32', 'F16', 'BF16' or 'mixed'). */
    this.dtype = info.dtype;
    /** Checkpoint tensors the engine did not use (besides the known buffers and tied copies). */
    this.unused = info.unused;
    this.numParameters = info.parameters;
    /** The memory the model needs in the engine, in bytes (estimate, for a text of 256 tokens). */
    this.memoryBytes = info.bytes;
    /** The longest text (tokens) that fits in the engine's memory with this model (at most its positions). */
    this.maxTokens = info.maxTokens;
  }

  /**
   * One forward pass (eval mode) of one sequence. inputs: {input_ids, attention_mask?, token_type_ids? (BERT),
   * decoder_input_ids (Marian)}, plain arrays or Int32Arrays. options.logits: 'all' (default), 'last', 'none' or a
   * list of positions (then logits is [1, positions.length, V] and logit_positions says which); options.trace:
   * 'none' (default), 'weights' or 'full' adds the engine's Trace by name ("decoder.layers.0.self_attn.weights").
   * options.cache (GPT-2): when the last pass's ids begin like these (typing at the end), keep the keys, values
   * and attention rows of the shared prefix and compute only the rest: the same numbers (bit for bit in
   * WebAssembly), in the time of the new tokens; `reused` says how many positions came from the cache.
   * Head ablation in inputs, Hugging Face's names: head_mask [layers, H] or [H] (GPT-2, BERT, DistilBERT: the
   * model's heads; Marian: the encoder's), decoder_head_mask and cross_attn_head_mask (Marian), multiplying each
   * head's attention weights after the softmax (the attentions returned are the masked ones, as HF returns them);
   * and the engine's head_mean, decoder_head_mean, cross_attn_head_mean [layers, H, Dh] (mean ablation). GPT-2's
   * cache continues only a pass made with the same masks.
   * @returns {{logits?, logit_positions?, last_hidden_state, attentions?, encoder_attentions?, decoder_attentions?, cross_attentions?, trace?, reused}}
   */
  forward(inputs = {}, { logits = 'all', trace = 'none', cache = false } = {}) {
    const t = {
      input_ids: toInts(inputs.input_ids),
      attention_mask: toInts(inputs.attention_mask),
      token_type_ids: toInts(inputs.token_type_ids),
      decoder_input_ids: toInts(inputs.decoder_input_ids),
      ...headMasks(inputs),
    };
    if (!t.input_ids) throw new AttnError('forward: input_ids are required');
    if (this.family === 'marian' && !t.decoder_input_ids) {
      throw new AttnError(`forward: a marian model needs decoder_input_ids (start with decoder_start_token_id ${this.config.decoder_start_token_id})`);
    }
    return unwrap(this.handle.forward(t, JSON.stringify({ logits, trace, cache: !!cache })));
  }

  /**
   * Greedy translation (Marian), as Hugging Face's generate(num_beams=1): from decoder_start_token_id until
   * eos_token_id or maxNewTokens, never the pad token. `input` is text (needs the tokenizer) or
   * {input_ids, attention_mask?}. Returns `sequences` (Int32Array: the start token, then the n tokens written),
   * `text` (decoded) and `tokens` (the target pieces), and the outputs of the decoder's pass over its n inputs:
   * row i of decoder_attentions, cross_attentions [1, H, n, S] and logits is the step that wrote token i + 1.
   * Head masks (head_mask, decoder_head_mask, cross_attn_head_mask and the means, as forward) apply at every step.
   */
  generate(input, { maxNewTokens = 128, trace = 'none', ...masks } = {}) {
    if (this.family !== 'marian') throw new AttnError(`generate: ${this.family} models do not translate; use forward`);
    const source = typeof input === 'string' ? this.#encode(input) : { input_ids: toInts(input.input_ids), attention_mask: toInts(input.attention_mask) };
    const out = unwrap(this.handle.generate({ ...source, ...headMasks(masks) }, JSON.stringify({ max_new_tokens: maxNewTokens, trace })));
    if (this.tokenizer) {
      const ids = Array.from(out.sequences);
      out.tokens = ids.map((id) => this.tokenizer.targetVocab[id]);  // target pieces (target_vocab.json when separate)
      out.text = this.tokenizer.decode(ids, { skipSpecialTokens: true });
    }
    if (typeof input === 'string') out.input = source;
    return out;
  }

  /**
   * GPT-2: the topK most likely next tokens after `text` (or ids), with probabilities, computed from the last
   * position's logits only; head_mask and head_mean as forward.
   * @returns {{input, predictions: {id, token, logit, probability}[], attentions}}
   */
  nextTokens(text, { topK: k = 5, trace = 'none', cache = false, ...masks } = {}) {
    if (this.family !== 'gpt2') throw new AttnError('nextTokens: for gpt2 models');
    const input = typeof text === 'string' ? this.#encode(text) : { input_ids: toInts(text) };
    const out = this.forward({ ...input, ...masks }, { logits: 'last', trace, cache });
    const V = out.logits.shape[2];
    out.predictions = topK(out.logits.data, 0, V, k).map((p) => ({ ...p, token: this.tokenizer?.idToToken(p.id) }));
    out.input = input;
    return out;
  }

  /**
   * BERT / DistilBERT: the topK fillers of every [MASK] in `text`, from the logits of those positions only;
   * head_mask and head_mean as forward.
   * @returns {{input, masks: {position, predictions: {id, token, logit, probability}[]}[], attentions}}
   */
  fillMask(text, { topK: k = 5, trace = 'none', ...masks } = {}) {
    if (this.family !== 'bert' && this.family !== 'distilbert') throw new AttnError('fillMask: for bert and distilbert models');
    if (!this.config.lm_head) throw new AttnError('fillMask: this checkpoint has no masked-language-model head (a BertModel)');
    const input = typeof text === 'string' ? this.#encode(text) : { input_ids: toInts(text) };
    const mask = this.tokenizer?.specialTokens?.mask;
    const positions = [];
    input.input_ids.forEach((id, i) => { if (id === mask) positions.push(i); });
    const out = this.forward({ ...input, ...masks }, { logits: positions.length ? positions : 'none', trace });
    const V = this.config.vocab_size;
    out.masks = positions.map((position, n) => ({
      position,
      predictions: topK(out.logits.data, n * V, V, k).map((p) => ({ ...p, token: this.tokenizer?.idToToken(p.id) })),
    }));
    out.input = input;
    return out;
  }

  /**
   * What each head does over many sequences, as Model.headStats: {encoder | decoder: [[stat per head] per layer]}
   * (GPT-2: decoder), or for Marian {encoder, decoder, cross}. seqs: input id arrays; punct: 0/1 arrays of the
   * same lengths (1 = a punctuation token); tgts: Marian's decoder inputs (its translations), one per sequence.
   */
  headStats(seqs, punct, tgts) {
    const ints = (xs) => xs.map((x) => toInts(x));
    const bytes = punct.map((x) => (x instanceof Uint8Array ? x : Uint8Array.from(x)));
    return unwrap(this.handle.headStats(ints(seqs), bytes, tgts ? ints(tgts) : undefined));
  }

  #encode(text) {
    if (!this.tokenizer) throw new AttnError('this model was opened without tokenizer files: give token ids instead of text');
    const e = this.tokenizer.encode(text, { maxTokens: this.config.max_positions });
    return { input_ids: e.ids, tokens: e.tokens, offsets: e.offsets, truncated: e.truncated };
  }

  /** Frees the model (and its tokenizer) inside the engine. */
  delete() {
    this.tokenizer?.delete();
    this.tokenizer = null;
    this.handle.delete();
  }
}

export { HF_FAMILIES };

// ------------------------------------------------------------------------------------ Hugging Face tokenizers

/**
 * A Hugging Face checkpoint's tokenizer (engine/text/hf_tokenizer.h): GPT-2's byte-level BPE ('bpe'), BERT's
 * WordPiece ('wordpiece') or Marian's SentencePiece ('sentencepiece'), run as Hugging Face runs it. Unlike the
 * project's Tokenizer, added tokens typed in the text ("[MASK]", "<|endoftext|>") are matched and become their
 * ids, and encode adds the post-processor's tokens ([CLS] ... [SEP], ... </s>) unless addSpecialTokens is false;
 * those get an empty span where they are inserted ([0, 0) at the start, [n, n) at the end). Get one from
 * Engine.loadHfTokenizer; delete() frees it.
 */
export class HfTokenizer extends Tokenizer {
  constructor(handle) {
    super(handle);
    /** Ids by role, or null: {cls, sep, mask, pad, unk, bos, eos}. */
    this.specialTokens = handle.specialTokens();
    /** The files it was read from, e.g. 'tokenizer.json' or 'vocab.json + merges.txt'. */
    this.source = handle.source();
    const target = handle.targetVocabJson();
    /** The target side's vocabulary (Marian with target_vocab.json); otherwise the same array as vocab. */
    this.targetVocab = target ? JSON.parse(target) : this.vocab;
  }

  /**
   * Encodes user text (never fails; at most 1 MiB of its UTF-8 is read). maxTokens counts the special tokens
   * too (they are kept; the text is cut). target: encode with the target side (Marian), for forced decoding.
   * Offsets are [start, end) in UTF-16 code units of `text` (see the class comment for special tokens).
   * @returns {{ids: Int32Array, tokens: string[], offsets: [number, number][], truncated: boolean, replaced: number}}
   */
  encode(text, { maxTokens = -1, addSpecialTokens = true, target = false } = {}) {
    if (typeof text !== 'string') throw new AttnError('encode: text must be a string');
    if (!Number.isInteger(maxTokens)) throw new AttnError('encode: maxTokens must be an integer (-1: no limit)');
    const bytes = utf8Encoder.encode(text);
    const r = this.handle.encode(bytes, maxTokens, !!addSpecialTokens, !!target);
    const offsets = utf16Offsets(text, r.offsets, bytes.length);
    const vocab = target ? this.targetVocab : this.vocab;
    const tokens = new Array(r.ids.length);
    for (let i = 0; i < tokens.length; i++) tokens[i] = vocab[r.ids[i]];
    // TextEncoder already replaced lone surrogates; count those inside the part that was read.
    let covered = r.truncated ? 0 : text.length;
    if (r.truncated) for (const [s, f] of offsets) if (f > s) covered = Math.max(covered, f);
    const lone = bytes.length === text.length ? null : text.slice(0, covered).match(/[\uD800-\uDFFF]/gu);
    return { ids: r.ids, tokens, offsets, truncated: r.truncated, replaced: r.replaced + (lone ? lone.length : 0) };
  }

  /** The text of token ids (Marian: target-side ids, decoded with target.spm); special tokens' strings are kept
   * unless skipSpecialTokens. */
  decode(ids, { skipSpecialTokens = false } = {}) {
    const n = this.targetVocab.length;
    const arr = ids instanceof Int32Array ? ids : Int32Array.from(ids, Number);
    for (let i = 0; i < arr.length; i++) {
      if (arr[i] < 0 || arr[i] >= n || arr[i] !== Number(ids[i]))
        throw new AttnError(`token id ${ids[i]} is outside the vocabulary [0, ${n})`);
    }
    return utf8Decoder.decode(this.handle.decode(arr, !!skipSpecialTokens));
  }

  /** Not available: a Hugging Face tokenizer is used as its files are, not written back. */
  toJSON() {
    throw new AttnError('toJSON: a Hugging Face tokenizer is not written back (keep its files)');
  }
}

const HF_TOKENIZER_FILES = new Set(['tokenizer.json', 'vocab.json', 'merges.txt', 'vocab.txt', 'source.spm', 'target.spm',
  'target_vocab.json', 'tokenizer_config.json', 'special_tokens_map.json']);

/**
 * Loads a Hugging Face checkpoint's tokenizer from its files, given by name as on the Hub:
 * {'tokenizer.json': bytes} (GPT-2 or BERT), {'vocab.json', 'merges.txt'} (GPT-2's legacy pair), {'vocab.txt'}
 * (BERT's), or {'source.spm', 'target.spm', 'vocab.json'} (Marian), plus tokenizer_config.json and
 * special_tokens_map.json when the repository has them. Values are Uint8Array, ArrayBuffer or string. Files
 * that are not the tokenizer's are ignored. A bad or incomplete set throws an AttnError naming the file and the
 * problem.
 * @returns {HfTokenizer}
 */
Engine.prototype.loadHfTokenizer = function loadHfTokenizer(files) {
  if (!files || typeof files !== 'object') throw new AttnError('loadHfTokenizer: expected {fileName: bytes}');
  const names = [];
  const contents = [];
  for (const [name, value] of Object.entries(files)) {
    if (!HF_TOKENIZER_FILES.has(name)) continue; // weights and other files are not copied into the engine
    if (typeof value === 'string') contents.push(utf8Encoder.encode(value));
    else if (value instanceof Uint8Array) contents.push(value);
    else if (value instanceof ArrayBuffer) contents.push(new Uint8Array(value));
    else throw new AttnError(`loadHfTokenizer: ${name} must be a Uint8Array, an ArrayBuffer or a string`);
    names.push(name);
  }
  return newHandle(this.module.HfTokenizerHandle, HfTokenizer, (h) => h.load(names, contents));
};

// ------------------------------------------------------------------------------------------------ training runs

/**
 * Checks a run config ({task, model, train, run}; engine/train/run.h) without building anything.
 * @returns {{ok: true, config: object, parameters: number} | {ok: false, message: string}} config is the
 * resolved config; parameters the model's size.
 */
Engine.prototype.validateRun = function validateRun(config) {
  const r = this.module.validateRun(JSON.stringify(config ?? {}));
  return r.error !== undefined ? { ok: false, message: r.error } : { ok: true, config: JSON.parse(r.config), parameters: r.parameters };
};

/** A few training examples of a task as text: [{input, answer}]. */
Engine.prototype.taskExamples = function taskExamples(task, n = 4, seed = 1) {
  return unwrap(this.module.taskExamples(JSON.stringify(task ?? {}), n, seed));
};

/** A training run from a config; an invalid config throws an AttnError saying what to change. @returns {Run} */
Engine.prototype.createRun = function createRun(config) {
  return newHandle(this.module.Run, Run, (h) => h.init(JSON.stringify(config ?? {})));
};

/** A run saved by Run.save (or a model written by attn-train), a transformer's or an LSTM's: config and weights;
 * training starts afresh. @returns {Run} */
Engine.prototype.loadRun = function loadRun(bytes) {
  return newHandle(this.module.Run, Run, (h) => h.load(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)));
};


/**
 * A task, a model, its optimizer and a held-out set, trained a few steps at a time (engine/train/run.h), so a
 * page can report, pause, resume or stop between calls. The same config trains the same way in attn-train.
 */
export class Run {
  constructor(handle) {
    this.handle = handle;
    /** The resolved config: {task, model, train, run}. */
    this.config = JSON.parse(handle.config());
  }

  get numParameters() {
    return this.handle.numParameters();
  }

  get stepsDone() {
    return this.handle.stepsDone();
  }

  /** Up to n steps (never past config.run.steps). @returns {{step, loss, grad_norm, lr, tokens: Float64Array, diverged}} */
  train(n = 1) {
    return this.handle.train(n | 0);
  }

  /** Teacher-forced, eval mode, on the held-out set. @returns {{loss, token_accuracy, exact_match, sequences}} */
  evaluate() {
    return this.handle.evaluate();
  }

  /** Greedy decoding of the first `limit` held-out inputs (0: all). @returns {{exact_match, exact, sequences, bleu}} */
  generate(limit = 0) {
    return this.handle.generate(limit | 0);
  }

  /**
   * The batch the next train() step trains on, exactly as the model gets it: {B, S, T, src, tgt, targets
   * (Int32Array [B, S] / [B, T], as taskBatch), ignore_index, vocab (the label of each id)}. Looking changes nothing.
   */
  nextBatch() {
    return this.handle.nextBatch();
  }

  /** The first n held-out examples as text: [{input, answer}]. */
  heldOut(n = 10) {
    return this.handle.heldOut(n | 0);
  }

  /**
   * Held-out example `index`, teacher-forced: {input, answer, predicted, labels: {src, tgt_in?, tgt_out?}, trace}
   * with the attention weights of every layer and head by name.
   */
  probe(index = 0) {
    return unwrap(this.handle.probe(index | 0));
  }

  /**
   * The model's answer to a learner's input ("3 1 4", a date or a sentence): {input, output, tokens (its ids),
   * finished, expected? (the task's rule's answer, when it has one), labels, trace}. Input the task cannot read throws an AttnError saying what to type.
   * trace: "weights" (the default) or "full" (also q, k, scores, scaled, ...: every entry, as Model.forward's).
   * Head ablation at every step, by Model.forward's names: head_mask (the encoder's or the only stack's),
   * decoder_head_mask, cross_attn_head_mask, and the means of headMeans().
   */
  infer(text, { trace = 'weights', ...masks } = {}) {
    return unwrap(this.handle.infer(String(text), String(trace), headMasks(masks)));
  }

  /**
   * log P(answer | text), teacher-forced, with head masks (as infer): `answer` is what infer gave ({tokens,
   * finished}); for an encoder-only run, the log-probability of each position's label, summed. @returns {number}
   */
  logProb(text, { tokens, finished }, masks = {}) {
    const ids = tokens instanceof Int32Array ? tokens : Int32Array.from(tokens);
    return unwrap(this.handle.logProb(String(text), ids, !!finished, headMasks(masks))).logprob;
  }

  /**
   * Mean ablation's means over the run's held-out examples, teacher-forced (Model.headMeans on them).
   * @returns {{head_mean, decoder_head_mean?, cross_attn_head_mean?}} [layers, H, Dh] each
   */
  headMeans() {
    return unwrap(this.handle.headMeans());
  }

  /**
   * safetensors bytes: the weights, with the run's config in the metadata (loadRun and the explorer read it).
   * An LSTM run's (arch "lstm") holds its nn.LSTM state_dict (io/model_file.h); Engine.loadModel refuses it.
   */
  save({ f16 = false } = {}) {
    return unwrap(this.handle.save(f16));
  }

  delete() {
    this.handle.delete();
  }
}
