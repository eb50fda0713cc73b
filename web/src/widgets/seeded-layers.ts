// The made-up inputs of the masks, dropout / layer-norm and feed-forward widgets: word vectors and layer
// parameters drawn from the seeded generator of seeded-inputs.ts, so every reader (and every test, in Node)
// gets the same numbers. Pure functions, no DOM: the tests import this file to rebuild exactly what a widget
// sends to the engine.
//
// Parameters carry PyTorch's state_dict names (nn.MultiheadAttention, nn.TransformerEncoderLayer). LayerNorms
// start as PyTorch starts them (weight 1, bias 0), so norm1's output has mean 0 and variance 1 per token.
import type { Tensor } from '../../../engine/bindings/attn';
import { splitWords, wordId } from '../text/words';
import { mulberry32 } from './seeded-inputs';

/** n numbers uniform in [-scale, scale), as float32. */
export function uniform(seed: number, n: number, scale: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (2 * next() - 1) * scale);
}

/** A word's made-up embedding: `dim` numbers in [-1, 1), seeded by the lower-cased word (same word, same vector). */
export function wordVector(word: string, dim: number): Float32Array {
  return uniform(wordId(word, 0x100000000), dim, 1);
}

function tensor(data: Float32Array, shape: number[]): Tensor {
  return { data, shape };
}

/** nn.MultiheadAttention(E, H) parameters: weights uniform in ±sqrt(3/E) (unit-variance outputs), small biases. */
export function mhaParams(seed: number, E: number, prefix = ''): Record<string, Tensor> {
  const w = Math.sqrt(3 / E);
  return {
    [`${prefix}in_proj_weight`]: tensor(uniform(seed, 3 * E * E, w), [3 * E, E]),
    [`${prefix}in_proj_bias`]: tensor(uniform(seed + 1, 3 * E, 0.1), [3 * E]),
    [`${prefix}out_proj.weight`]: tensor(uniform(seed + 2, E * E, w), [E, E]),
    [`${prefix}out_proj.bias`]: tensor(uniform(seed + 3, E, 0.1), [E]),
  };
}

/** nn.TransformerEncoderLayer(d_model = d, dim_feedforward = F) parameters, by their state_dict names. */
export function encoderParams(seed: number, d: number, F: number): Record<string, Tensor> {
  return {
    ...mhaParams(seed, d, 'self_attn.'),
    'linear1.weight': tensor(uniform(seed + 10, F * d, Math.sqrt(3 / d)), [F, d]),
    'linear1.bias': tensor(uniform(seed + 11, F, 0.3), [F]),
    'linear2.weight': tensor(uniform(seed + 12, d * F, Math.sqrt(3 / F)), [d, F]),
    'linear2.bias': tensor(uniform(seed + 13, d, 0.1), [d]),
    'norm1.weight': tensor(new Float32Array(d).fill(1), [d]),
    'norm1.bias': tensor(new Float32Array(d), [d]),
    'norm2.weight': tensor(new Float32Array(d).fill(1), [d]),
    'norm2.bias': tensor(new Float32Array(d), [d]),
  };
}

// ------------------------------------------------------------------------------------------------- masks

export const MASKS = {
  E: 8, // embedding size, one head
  seed: 7, // parameter seed
  maxSentences: 6,
  maxTokens: 12, // per sentence
  pad: '<pad>',
};

export interface MasksBatch {
  /** Words of each sentence, padded with '<pad>' to the longest: [B][S]. */
  labels: string[][];
  /** Real tokens per sentence. */
  lengths: number[];
  B: number;
  S: number;
  /** Sentences left out (more than maxSentences) and sentences cut at maxTokens, for a notice. */
  cut: { sentences: number; tokens: number };
}

/** Splits "the cat sat|a dog" into sentences of words, padded to the longest, on the right or the left. */
export function masksBatch(sentences: string, padLeft: boolean): MasksBatch {
  const segments = sentences.split('|').filter((s) => s.trim() !== '');
  const kept = segments
    .slice(0, MASKS.maxSentences)
    .map((s) => splitWords(s, MASKS.maxTokens))
    .filter((t) => t.tokens.length > 0);
  const words = kept.map((t) => t.tokens.map((w) => w.text));
  const S = Math.max(0, ...words.map((w) => w.length));
  const labels = words.map((w) => {
    const pads = Array<string>(S - w.length).fill(MASKS.pad);
    return padLeft ? [...pads, ...w] : [...w, ...pads];
  });
  return {
    labels,
    lengths: words.map((w) => w.length),
    B: words.length,
    S,
    cut: { sentences: Math.max(0, segments.length - MASKS.maxSentences), tokens: kept.filter((t) => t.truncated).length },
  };
}

/** The one batched nn.MultiheadAttention call of the masks widget (batch_first, one head, trace on). */
export function masksCall(batch: MasksBatch, causal: boolean, padding: boolean) {
  const { B, S } = batch;
  const E = MASKS.E;
  const query = new Float32Array(B * S * E); // a pad's vector is all zeros, like nn.Embedding's padding_idx row
  const keyPadding = new Uint8Array(B * S); // 1 (True) = a pad: no query may attend to it
  batch.labels.forEach((row, b) =>
    row.forEach((w, s) => {
      if (w === MASKS.pad) keyPadding[b * S + s] = 1;
      else query.set(wordVector(w, E).map((v) => 2 * v), (b * S + s) * E); // entries in [-2, 2)
    }),
  );
  return {
    embed_dim: E,
    num_heads: 1,
    batch_first: true,
    params: mhaParams(MASKS.seed, E),
    query: tensor(query, [B, S, E]),
    ...(padding ? { key_padding_mask: { data: keyPadding, shape: [B, S], dtype: 'bool' as const } } : {}),
    is_causal: causal,
    average_attn_weights: false,
    trace: true,
  };
}

// ---------------------------------------------------------------------------------------- dropout, norm

export const DROPOUT = {
  words: ['a', 'cat', 'sat', 'on', 'my', 'mat'],
  dim: 4,
};

/** F.scaled_dot_product_attention(X, X, X, dropout_p) on six 4-d word vectors (entries in [-2, 2)). */
export function dropoutCall(p: number, seed: number, training: boolean) {
  const { words, dim } = DROPOUT;
  const x = new Float32Array(words.length * dim);
  words.forEach((w, i) => x.set(wordVector(w, dim).map((v) => 2 * v), i * dim));
  const X = tensor(x, [words.length, dim]);
  // F.scaled_dot_product_attention has no training flag: a module passes dropout_p = p only while training.
  return { query: X, key: X, value: X, dropout_p: training ? p : 0, seed };
}

export const NORM = {
  words: ['the', 'cat', 'sat', 'on', 'the', 'mat'],
  d: 8,
  nhead: 2,
  F: 16,
  seed: 21,
  eps: 1e-5,
};

/** The encoder layer's input [1, L, d]: each token's word vector shifted and stretched by its own amounts,
 * so the tokens start with different means and spreads (what layer norm undoes). */
export function normInput(): Tensor {
  const { words, d } = NORM;
  const next = mulberry32(99);
  const x = new Float32Array(words.length * d);
  words.forEach((w, i) => {
    const shift = 4 * next() - 2; // in [-2, 2)
    const stretch = 0.3 + 2.7 * next(); // in [0.3, 3)
    x.set(wordVector(w, d).map((v) => shift + stretch * v), i * d);
  });
  return tensor(x, [1, words.length, d]);
}

/** nn.TransformerEncoderLayer(8, 2, 16, dropout=0, batch_first=True, norm_first=…), eval mode. */
export function encoderCall(normFirst: boolean, activation: 'relu' | 'gelu' = 'relu') {
  return {
    d_model: NORM.d,
    nhead: NORM.nhead,
    dim_feedforward: NORM.F,
    dropout: 0,
    activation,
    layer_norm_eps: NORM.eps,
    batch_first: true,
    norm_first: normFirst,
    params: encoderParams(NORM.seed, NORM.d, NORM.F),
    src: normInput(),
  };
}

/** Mean and variance (biased, as LayerNorm's) of each row of a [rows, cols] matrix, in float64. */
export function rowStats(data: ArrayLike<number>, rows: number, cols: number): { mean: number[]; variance: number[] } {
  const mean: number[] = [];
  const variance: number[] = [];
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[i * cols + j];
    const m = s / cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (data[i * cols + j] - m) ** 2;
    mean.push(m);
    variance.push(v / cols);
  }
  return { mean, variance };
}

// ------------------------------------------------------------------------------------------ feed-forward

/** x from -4 to 4 in steps of 0.05: where the activation curves are sampled. */
export const CURVE_X = Float32Array.from({ length: 161 }, (_, i) => -4 + i / 20);

// ------------------------------------------------------------------------------------- a whole block

/** <attn-block>: defaults and the limits that keep every matrix readable. */
export const BLOCK = {
  d: 8,
  nhead: 2,
  F: 16,
  maxD: 32,
  maxF: 64,
  maxHeads: 8,
  maxTokens: 12,
  /** Parameter seeds: the layer shown, and the encoder layer that makes the decoder's memory. */
  seed: 31,
  memorySeed: 41,
  /** Dropout's random draws: the same for the sentence and the comparison, so only the edit differs. */
  dropoutSeed: 5,
  eps: 1e-5,
};

export type BlockLayer = 'encoder' | 'decoder';

/** What the learner chose: the layer's constructor arguments and mode (nn.Transformer{Encoder,Decoder}Layer). */
export interface BlockOptions {
  layer: BlockLayer;
  normFirst: boolean;
  d: number; // d_model
  nhead: number;
  F: number; // dim_feedforward
  activation: 'relu' | 'gelu';
  p: number; // dropout
  training: boolean;
}

/** The words of a sentence (the page's word splitter), at most BLOCK.maxTokens; `cut` counts what was left out. */
export function blockWords(text: string): { words: string[]; cut: boolean } {
  const t = splitWords(text, BLOCK.maxTokens);
  return { words: t.tokens.map((w) => w.text), cut: t.truncated };
}

/** nn.TransformerDecoderLayer(d_model = d, dim_feedforward = F) parameters, by their state_dict names. */
export function decoderParams(seed: number, d: number, F: number): Record<string, Tensor> {
  return {
    ...encoderParams(seed, d, F),
    ...mhaParams(seed + 20, d, 'multihead_attn.'),
    'norm3.weight': tensor(new Float32Array(d).fill(1), [d]),
    'norm3.bias': tensor(new Float32Array(d), [d]),
  };
}

/**
 * A sentence as the layer's input [1, L, d]: each word's made-up vector (wordVector, entries in [-1, 1)) plus the
 * sinusoidal position of its place, `pe` = the engine's positionalEncoding(L', d) for any L' ≥ L. The positions
 * make "the" at place 0 and "the" at place 4 different rows, as in a real model.
 */
export function blockInput(words: string[], d: number, pe: Float32Array): Tensor {
  const x = new Float32Array(words.length * d);
  words.forEach((w, i) => {
    const v = wordVector(w, d);
    for (let j = 0; j < d; j++) x[i * d + j] = v[j] + pe[i * d + j];
  });
  return tensor(x, [1, words.length, d]);
}

function layerOptions(o: BlockOptions) {
  return {
    d_model: o.d,
    nhead: o.nhead,
    dim_feedforward: o.F,
    dropout: o.p,
    activation: o.activation,
    layer_norm_eps: BLOCK.eps,
    batch_first: true,
    norm_first: o.normFirst,
    training: o.training,
    seed: BLOCK.dropoutSeed,
  };
}

/** The encoder layer shown (layer "encoder"), or the one that turns the source into the decoder's memory. */
export function blockEncoderCall(o: BlockOptions, src: Tensor, memory = false) {
  return { ...layerOptions(o), params: encoderParams(memory ? BLOCK.memorySeed : BLOCK.seed, o.d, o.F), src };
}

/** The decoder layer: causal self-attention over the target (tgt_is_causal), cross-attention over `memory`. */
export function blockDecoderCall(o: BlockOptions, tgt: Tensor, memory: Tensor) {
  return { ...layerOptions(o), params: decoderParams(BLOCK.seed, o.d, o.F), tgt, memory, tgt_is_causal: true };
}

/** One matrix (or group of matrices) of the forward pass, in the order the layer computes them. */
export interface BlockStage {
  /** Trace entry: "norm1.out", "self_attn.weights", ...; for kind "qkv" the attention's prefix ("self_attn"). */
  key: string;
  kind: 'matrix' | 'qkv' | 'weights';
  /** The operation, for the card's title. */
  step: string;
  /** The nn.Module (or functional step) of PyTorch's layer that made it. */
  module: string;
  formula: string;
  /** The sublayer it belongs to. */
  part: 'input' | 'self' | 'cross' | 'ff';
  /** True when a row of this matrix depends on other tokens' rows (attention); false: each row on its own. */
  mixes: boolean;
  /** On a sublayer's output: the dropout applied before the residual adds it to `base`, giving `resid`. */
  dropout?: { name: string; resid: string; base: string };
}

/**
 * The forward pass of nn.TransformerEncoderLayer or nn.TransformerDecoderLayer, as the engine's trace names it
 * (engine/layers/transformer_layers.h). Post-norm: x = norm1(x + sa(x)), ...; pre-norm: x = x + sa(norm1(x)), ...
 * The last stage is the layer's output.
 */
export function blockStages(layer: BlockLayer, normFirst: boolean): BlockStage[] {
  const stages: BlockStage[] = [{ key: 'input', kind: 'matrix', step: 'Input', module: 'embedding + positions', formula: 'x = word vector + PE(position)', part: 'input', mixes: false }];
  const norm = (n: number, of: string, part: BlockStage['part']): BlockStage => ({
    key: `norm${n}.out`, kind: 'matrix', step: 'LayerNorm', module: `norm${n}`, formula: `LN(${of})`, part, mixes: false,
  });
  const attention = (prefix: string, part: 'self' | 'cross', n: number, input: string, base: string) => {
    const cross = part === 'cross';
    const kv = cross ? 'memory' : input;
    if (normFirst) stages.push(norm(n, base === 'input' ? 'x' : base, part));
    const q = normFirst ? `LN${sub(n)}(${base === 'input' ? 'x' : base})` : base === 'input' ? 'x' : base;
    stages.push(
      { key: prefix, kind: 'qkv', step: 'Queries, keys, values', module: `${prefix}.in_proj`, formula: cross ? `Q = ${short(q)} W_Qᵀ; K, V from memory` : `Q, K, V = ${short(q)} W_Qᵀ, W_Kᵀ, W_Vᵀ`, part, mixes: false },
      { key: `${prefix}.weights`, kind: 'weights', step: cross ? 'Cross-attention weights' : 'Self-attention weights', module: prefix,
        formula: `softmax(QKᵀ/√d_k${cross ? '' : layer === 'decoder' ? ' + causal mask' : ''})`, part, mixes: true },
      { key: `${prefix}.output`, kind: 'matrix', step: 'Attention output', module: `${prefix}.out_proj`, formula: `concat(heads) W_Oᵀ, heads = weights · V${cross ? ' (of ' + kv + ')' : ''}`, part, mixes: true,
        dropout: { name: `dropout${n}`, resid: `resid${n}`, base } },
      { key: `resid${n}`, kind: 'matrix', step: 'Residual', module: `dropout${n} + add`, formula: `${base === 'input' ? 'x' : base} + dropout${n}(${prefix})`, part, mixes: false },
    );
    if (!normFirst) stages.push(norm(n, `resid${n}`, part));
    return normFirst ? `resid${n}` : `norm${n}.out`;
  };
  const ff = (n: number, base: string) => {
    if (normFirst) stages.push(norm(n, base, 'ff'));
    const into = normFirst ? `norm${n}.out` : base;
    stages.push(
      { key: 'ff.pre', kind: 'matrix', step: 'W₁', module: 'linear1', formula: `${short(into)} W₁ᵀ + b₁`, part: 'ff', mixes: false },
      { key: 'ff.hidden', kind: 'matrix', step: 'Activation', module: 'activation + dropout', formula: 'act(ff.pre)', part: 'ff', mixes: false },
      { key: 'ff.output', kind: 'matrix', step: 'W₂', module: 'linear2', formula: 'ff.hidden W₂ᵀ + b₂', part: 'ff', mixes: false,
        dropout: { name: layer === 'decoder' ? 'dropout3' : 'dropout2', resid: `resid${n}`, base } },
      { key: `resid${n}`, kind: 'matrix', step: 'Residual', module: `${layer === 'decoder' ? 'dropout3' : 'dropout2'} + add`, formula: `${base} + dropout(ff.output)`, part: 'ff', mixes: false },
    );
    if (!normFirst) stages.push(norm(n, `resid${n}`, 'ff'));
  };
  const afterSelf = attention('self_attn', 'self', 1, 'x', 'input');
  if (layer === 'decoder') ff(3, attention('multihead_attn', 'cross', 2, afterSelf, afterSelf));
  else ff(2, afterSelf);
  return stages;
}

function sub(n: number) {
  return '₀₁₂₃'[n] ?? String(n);
}

/** A trace name as a formula's operand: the input reads as x. */
function short(name: string) {
  return name === 'input' ? 'x' : name;
}

/** [H, rows, Dh] (the trace's per-head layout) as [rows, H·Dh]: the heads side by side, as in_proj made them. */
export function joinHeads(a: Float32Array, H: number, rows: number, Dh: number) {
  const out = new Float32Array(rows * H * Dh);
  for (let h = 0; h < H; h++) for (let i = 0; i < rows; i++) out.set(a.subarray((h * rows + i) * Dh, (h * rows + i + 1) * Dh), i * H * Dh + h * Dh);
  return out;
}

/**
 * Which rows of two [rows, cols] matrices differ (rows past the shorter one count as changed). Equal bits are
 * equal; otherwise a row changed if some entry moved by more than 1e-6 of its size (float32 rounding of the same
 * sum computed for another length is not an edit).
 */
export function changedRows(a: ArrayLike<number>, aRows: number, b: ArrayLike<number>, bRows: number, cols: number): boolean[] {
  return Array.from({ length: aRows }, (_, i) => {
    if (i >= bRows) return true;
    for (let j = 0; j < cols; j++) {
      const x = a[i * cols + j];
      const y = b[i * cols + j];
      if (x !== y && !(Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y)))) return true;
    }
    return false;
  });
}

// --------------------------------------------------------------------------------------- attribute values

/** Boolean attributes written "true" / "false" (so a URL can say causal=false); absent = the default. */
export const boolAttribute = {
  fromAttribute: (v: string | null) => v !== null && !/^(false|0|off|no)$/i.test(v.trim()),
  toAttribute: (v: boolean) => (v ? 'true' : 'false'),
};

/** A number attribute read as given ("" or text gives NaN); the widget checks the range and says what it used. */
export const numberAttribute = {
  fromAttribute: (v: string | null) => (v === null || v.trim() === '' ? NaN : Number(v)),
  toAttribute: (v: number) => String(v),
};

// ------------------------------------------------------------------------------ batched attention by hand

/** <attn-batch>: a batch of sentences as [B, L, d] word vectors for the curriculum's torch.bmm exercise. */
export const BATCH = {
  minSentences: 2,
  maxSentences: 4,
  maxWords: 8, // per sentence
  minD: 2,
  maxD: 4,
  d: 3,
  pad: '<pad>',
  sentences: 'the cat sat on the mat|a dog ran',
};

export interface BatchWords {
  /** Words of each sentence, padded on the right with '<pad>' to the longest: [B][L]. */
  labels: string[][];
  /** Real words per sentence. */
  lengths: number[];
  B: number;
  L: number;
  /** Sentences left out (more than maxSentences) and sentences cut at maxWords, for a notice. */
  cut: { sentences: number; words: number };
}

/** "the cat sat|a dog" -> words per sentence (the page's word splitter), padded with <pad> to the longest. */
export function batchWords(sentences: string): BatchWords {
  const segments = sentences.split('|').filter((s) => s.trim() !== '');
  const kept = segments
    .slice(0, BATCH.maxSentences)
    .map((s) => splitWords(s, BATCH.maxWords))
    .filter((t) => t.tokens.length > 0);
  const words = kept.map((t) => t.tokens.map((w) => w.text));
  const L = Math.max(0, ...words.map((w) => w.length));
  return {
    labels: words.map((w) => [...w, ...Array<string>(L - w.length).fill(BATCH.pad)]),
    lengths: words.map((w) => w.length),
    B: words.length,
    L,
    cut: { sentences: Math.max(0, segments.length - BATCH.maxSentences), words: kept.filter((t) => t.truncated).length },
  };
}

/**
 * A word's vector for computing by hand: wordVector doubled (entries in [-2, 2)) and rounded to one decimal, so
 * "cat" · "mat" is a sum of d products of one-decimal numbers. The same word always gets the same vector.
 */
export function batchVector(word: string, d: number): number[] {
  return Array.from(wordVector(word, d), (v) => Math.round(20 * v) / 10);
}

/** X [B, L, d]: each word's vector; a pad is the zero vector (as nn.Embedding's padding_idx row). */
export function batchInput(batch: BatchWords, d: number): Tensor {
  const x = new Float32Array(batch.B * batch.L * d);
  batch.labels.forEach((row, b) =>
    row.forEach((w, i) => {
      if (i < batch.lengths[b]) x.set(batchVector(w, d), (b * batch.L + i) * d);
    }),
  );
  return tensor(x, [batch.B, batch.L, d]);
}

/** The padding mask [B, 1, L] as SDPA's boolean attn_mask: True = a real word (may be attended to). */
export function batchMask(batch: BatchWords): { data: Uint8Array; shape: number[]; dtype: 'bool' } {
  const m = new Uint8Array(batch.B * batch.L);
  batch.lengths.forEach((n, b) => m.fill(1, b * batch.L, b * batch.L + n));
  return { data: m, shape: [batch.B, 1, batch.L], dtype: 'bool' };
}

/**
 * The widget's one batched F.scaled_dot_product_attention call: query = key = value = X [B, L, d], as in the
 * exercise's self_attention(X, X, X). `scaled` false is the exercise (bmm, softmax, bmm, no division by √d);
 * `padding` adds the boolean attn_mask [B, 1, L] (broadcast to [B, L, L]) that hides the pad keys.
 */
export function batchCall(batch: BatchWords, d: number, scaled: boolean, padding: boolean) {
  const x = batchInput(batch, d);
  return { query: x, key: x, value: x, scaled, ...(padding ? { attn_mask: batchMask(batch) } : {}) };
}
