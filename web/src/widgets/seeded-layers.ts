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
