// <attn-block>'s pure part (seeded-layers.ts: blockInput, blockEncoderCall, blockDecoderCall, blockStages,
// changedRows) run through the real WebAssembly engine, as the widget runs it:
// - the engine's output and intermediates equal an independent float64 recomputation from the very params and
//   input the widget sends (so the widget passes norm_first, the activation, the causal mask of the decoder's
//   self-attention and the memory of its cross-attention as it says);
// - the rows-that-change lesson, stated precisely (L fixed, token i edited, both runs with the same parameters):
//   encoder: input, norm1 (pre-norm) and q, k, v differ in row i only; from the attention weights on, every row;
//   ff.pre, ff.hidden and ff.output differ in exactly the rows where the FFN's input differs (it spreads nothing).
//   decoder: rows before i stay bit-identical in every [L, ·] entry (causal mask), rows i.. differ; editing the
//   last token changes only the last row everywhere (ff.* included); cross-attention's k and v never change.
//   The same holds in training mode, since both runs get the same dropout draws.
// - the stage list names trace entries that exist, in the order each norm_first computes them.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import {
  BLOCK,
  blockDecoderCall,
  blockEncoderCall,
  blockInput,
  blockStages,
  blockWords,
  changedRows,
  type BlockOptions,
} from '../../web/src/widgets/seeded-layers';
import { loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

const base: BlockOptions = { layer: 'encoder', normFirst: false, d: 8, nhead: 2, F: 16, activation: 'relu', p: 0.1, training: false };
const SRC = 'le chat est assis sur le tapis';

function input(text: string, d: number, length = 12) {
  return blockInput(blockWords(text).words, d, attn.positionalEncoding(length, d).data);
}

/** The widget's runs: the layer on `text` (and, for the decoder, the memory from SRC). */
function run(o: BlockOptions, text: string) {
  if (o.layer === 'encoder') return attn.transformerEncoderLayer(blockEncoderCall(o, input(text, o.d))).trace;
  const memory = attn.transformerEncoderLayer(blockEncoderCall(o, input(SRC, o.d), true)).output;
  return attn.transformerDecoderLayer(blockDecoderCall(o, input(text, o.d), memory)).trace;
}

/** Rows (of the last two dimensions, heads folded into rows) that differ between two traces' entry. */
function rows(a: Record<string, Tensor>, b: Record<string, Tensor>, key: string): number[] {
  const t = a[key];
  const cols = t.shape[t.shape.length - 1];
  const L = t.shape[t.shape.length - 2];
  const changed = changedRows(t.data, t.data.length / cols, b[key].data, b[key].data.length / cols, cols);
  const out = new Set<number>();
  changed.forEach((c, k) => c && out.add(k % L));
  return [...out].sort((x, y) => x - y);
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

// ------------------------------------------------------------------------------- float64 reference

type M = number[][];
const mat = (t: { data: ArrayLike<number>; shape: number[] }): M => {
  const c = t.shape[t.shape.length - 1];
  return Array.from({ length: t.data.length / c }, (_, i) => Array.from(t.data as ArrayLike<number>).slice(i * c, (i + 1) * c));
};
const vec = (t: { data: ArrayLike<number> }) => Array.from(t.data as ArrayLike<number>);
const linear = (x: M, w: M, b: number[]) => x.map((r) => w.map((wr, j) => wr.reduce((s, v, k) => s + v * r[k], b[j])));
const add = (a: M, b: M) => a.map((r, i) => r.map((v, j) => v + b[i][j]));
function layerNorm(x: M, w: number[], b: number[]) {
  return x.map((r) => {
    const m = r.reduce((s, v) => s + v, 0) / r.length;
    const v = r.reduce((s, u) => s + (u - m) ** 2, 0) / r.length;
    return r.map((u, j) => ((u - m) / Math.sqrt(v + BLOCK.eps)) * w[j] + b[j]);
  });
}
/** erf: its Taylor series below 2 (exact to float64 rounding), Abramowitz & Stegun 7.1.26 above (error < 1.5e-7). */
function erf(x: number) {
  const a = Math.abs(x);
  if (a < 2) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  const t = 1 / (1 + 0.3275911 * a);
  return Math.sign(x) * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
}
const act = (name: string) => (v: number) => (name === 'relu' ? Math.max(0, v) : 0.5 * v * (1 + erf(v / Math.SQRT2)));

type P = Record<string, { data: ArrayLike<number>; shape: number[] }>;
function mha(p: P, prefix: string, xq: M, xkv: M, H: number, causal: boolean): M {
  const W = mat(p[`${prefix}in_proj_weight`]);
  const b = vec(p[`${prefix}in_proj_bias`]);
  const E = W[0].length;
  const q = linear(xq, W.slice(0, E), b.slice(0, E));
  const k = linear(xkv, W.slice(E, 2 * E), b.slice(E, 2 * E));
  const v = linear(xkv, W.slice(2 * E), b.slice(2 * E));
  const Dh = E / H;
  const concat = xq.map(() => new Array<number>(E).fill(0));
  for (let h = 0; h < H; h++)
    for (let i = 0; i < xq.length; i++) {
      const s = k.map((kr, j) => (causal && j > i ? -Infinity : range(h * Dh, (h + 1) * Dh).reduce((acc, c) => acc + q[i][c] * kr[c], 0) / Math.sqrt(Dh)));
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, x) => a + x, 0);
      for (let c = h * Dh; c < (h + 1) * Dh; c++) concat[i][c] = e.reduce((acc, w, j) => acc + (w / z) * v[j][c], 0);
    }
  return linear(concat, mat(p[`${prefix}out_proj.weight`]), vec(p[`${prefix}out_proj.bias`]));
}
function ff(p: P, x: M, activation: string) {
  const pre = linear(x, mat(p['linear1.weight']), vec(p['linear1.bias']));
  const hidden = pre.map((r) => r.map(act(activation)));
  return { pre, hidden, ffOutput: linear(hidden, mat(p['linear2.weight']), vec(p['linear2.bias'])) };
}
const ln = (p: P, n: number, x: M) => layerNorm(x, vec(p[`norm${n}.weight`]), vec(p[`norm${n}.bias`]));

/** nn.TransformerEncoderLayer / nn.TransformerDecoderLayer in eval mode, float64, from the call's own params. */
function reference(o: BlockOptions, call: { params: P; src?: Tensor; tgt?: Tensor; memory?: Tensor }) {
  const p = call.params;
  const x = mat((call.src ?? call.tgt)!);
  const H = o.nhead;
  if (o.layer === 'encoder') {
    if (o.normFirst) {
      const x1 = add(x, mha(p, 'self_attn.', ln(p, 1, x), ln(p, 1, x), H, false));
      const f = ff(p, ln(p, 2, x1), o.activation);
      return { ...f, output: add(x1, f.ffOutput) };
    }
    const x1 = ln(p, 1, add(x, mha(p, 'self_attn.', x, x, H, false)));
    const f = ff(p, x1, o.activation);
    return { ...f, output: ln(p, 2, add(x1, f.ffOutput)) };
  }
  const mem = mat(call.memory!);
  if (o.normFirst) {
    const x1 = add(x, mha(p, 'self_attn.', ln(p, 1, x), ln(p, 1, x), H, true));
    const x2 = add(x1, mha(p, 'multihead_attn.', ln(p, 2, x1), mem, H, false));
    const f = ff(p, ln(p, 3, x2), o.activation);
    return { ...f, output: add(x2, f.ffOutput) };
  }
  const x1 = ln(p, 1, add(x, mha(p, 'self_attn.', x, x, H, true)));
  const x2 = ln(p, 2, add(x1, mha(p, 'multihead_attn.', x1, mem, H, false)));
  const f = ff(p, x2, o.activation);
  return { ...f, output: ln(p, 3, add(x2, f.ffOutput)) };
}

function expectClose(actual: Tensor, expected: M, tol = 2e-5) {
  const flat = expected.flat();
  expect(actual.data.length).toBe(flat.length);
  let worst = 0;
  flat.forEach((v, i) => (worst = Math.max(worst, Math.abs(actual.data[i] - v) / Math.max(1, Math.abs(v)))));
  expect(worst).toBeLessThan(tol);
}

// ---------------------------------------------------------------------------------------------- tests

describe('attn-block call builders through the engine', () => {
  const cases: BlockOptions[] = [];
  for (const layer of ['encoder', 'decoder'] as const)
    for (const normFirst of [false, true])
      for (const activation of ['relu', 'gelu'] as const) cases.push({ ...base, layer, normFirst, activation, ...(layer === 'decoder' ? { d: 12, nhead: 3, F: 20 } : {}) });

  it.each(cases)('%o equals a float64 recomputation from the params the widget sends', (o) => {
    const x = input('the cat sat on the mat', o.d);
    let call: Parameters<typeof reference>[1];
    let trace: Record<string, Tensor>;
    if (o.layer === 'encoder') {
      const c = blockEncoderCall(o, x);
      expect(c).toMatchObject({ d_model: o.d, nhead: o.nhead, dim_feedforward: o.F, activation: o.activation, norm_first: o.normFirst, training: false, batch_first: true });
      call = c;
      trace = attn.transformerEncoderLayer(c).trace;
    } else {
      const memory = attn.transformerEncoderLayer(blockEncoderCall(o, input(SRC, o.d), true)).output;
      const c = blockDecoderCall(o, x, memory);
      expect(c).toMatchObject({ tgt_is_causal: true, norm_first: o.normFirst, activation: o.activation });
      call = c;
      trace = attn.transformerDecoderLayer(c).trace;
      // The causal mask is in the engine's run: a query never weighs a later token.
      const w = trace['self_attn.weights'];
      const L = w.shape[2];
      for (let k = 0; k < w.data.length; k++) if (k % L > Math.floor(k / L) % L) expect(w.data[k]).toBe(0);
      expect(trace['multihead_attn.weights'].shape).toEqual([1, o.nhead, L, blockWords(SRC).words.length]);
    }
    const want = reference(o, call);
    expectClose(trace['ff.pre'], want.pre);
    expectClose(trace['ff.hidden'], want.hidden);
    expectClose(trace['ff.output'], want.ffOutput);
    expectClose(trace['output'], want.output);
  });

  it('the reference is not blind: the other norm order or activation gives different numbers', () => {
    const o = { ...base };
    const x = input('the cat sat on the mat', o.d);
    const out = attn.transformerEncoderLayer(blockEncoderCall(o, x)).output;
    const wrongOrder = reference({ ...o, normFirst: true }, blockEncoderCall(o, x));
    const wrongAct = reference({ ...o, activation: 'gelu' }, blockEncoderCall(o, x));
    expect(() => expectClose(out, wrongOrder.output)).toThrow();
    expect(() => expectClose(out, wrongAct.output)).toThrow();
  });
});

describe('which rows change when one token is edited', () => {
  const A = 'the cat sat on the mat';
  const B = 'the dog sat on the mat'; // token 1 edited
  const ffInput = (o: BlockOptions) => {
    const stages = blockStages(o.layer, o.normFirst);
    return stages[stages.findIndex((s) => s.key === 'ff.pre') - 1].key;
  };

  it.each([false, true])('encoder (norm_first %s): row 1 until the weights, then every row; the FFN changes the rows its input changed', (normFirst) => {
    const o = { ...base, normFirst };
    const a = run(o, A);
    const b = run(o, B);
    const all = range(0, 6);
    expect(rows(a, b, 'input')).toEqual([1]);
    if (normFirst) expect(rows(a, b, 'norm1.out')).toEqual([1]);
    for (const k of ['self_attn.q', 'self_attn.k', 'self_attn.v']) expect(rows(a, b, k)).toEqual([1]);
    for (const k of ['self_attn.weights', 'self_attn.output', 'resid1', 'output']) expect(rows(a, b, k)).toEqual(all);
    const into = rows(a, b, ffInput(o));
    expect(into).toEqual(all);
    for (const k of ['ff.pre', 'ff.hidden', 'ff.output']) expect(rows(a, b, k)).toEqual(into);
  });

  it.each([false, true])('decoder (norm_first %s): rows before the edit stay bit-identical; the last token alone changes only the last row', (normFirst) => {
    for (const training of [false, true]) {
      const o: BlockOptions = { ...base, layer: 'decoder', normFirst, training, p: 0.2 };
      const a = run(o, A);
      const b = run(o, B);
      const entries = Object.keys(a).filter((k) => a[k].shape.length >= 3 && a[k].shape[a[k].shape.length - 2] === 6 && !/multihead_attn\.[kv]$/.test(k));
      // Per-token steps before the first attention keep the edit in its row.
      const single = ['input', 'self_attn.q', 'self_attn.k', 'self_attn.v', ...(normFirst ? ['norm1.out'] : [])];
      expect(entries).toEqual(expect.arrayContaining([...single, 'self_attn.weights', 'multihead_attn.q', 'multihead_attn.weights', 'ff.pre', 'ff.hidden', 'ff.output', 'output']));
      for (const k of entries) if (!k.includes('.mask')) expect([k, rows(a, b, k)]).toEqual([k, single.includes(k) ? [1] : range(1, 6)]);
      expect(rows(a, b, 'multihead_attn.k')).toEqual([]);
      expect(rows(a, b, 'multihead_attn.v')).toEqual([]);
      const c = run(o, 'the cat sat on the rug'); // the last token
      for (const k of entries) if (!k.includes('.mask')) expect([k, rows(a, c, k)]).toEqual([k, [5]]);
    }
  });

  it('changedRows: equal bits are equal, rows past the shorter matrix count as changed', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(changedRows(a, 3, a.slice(), 3, 2)).toEqual([false, false, false]);
    expect(changedRows(a, 3, Float32Array.from([1, 2, 3, 4.5, 5, 6]), 3, 2)).toEqual([false, true, false]);
    expect(changedRows(a, 3, a.slice(0, 4), 2, 2)).toEqual([false, false, true]);
  });
});

describe('blockStages', () => {
  const keys = (layer: 'encoder' | 'decoder', nf: boolean) => blockStages(layer, nf).map((s) => s.key);
  it('follows each norm order', () => {
    expect(keys('encoder', false)).toEqual(['input', 'self_attn', 'self_attn.weights', 'self_attn.output', 'resid1', 'norm1.out', 'ff.pre', 'ff.hidden', 'ff.output', 'resid2', 'norm2.out']);
    expect(keys('encoder', true)).toEqual(['input', 'norm1.out', 'self_attn', 'self_attn.weights', 'self_attn.output', 'resid1', 'norm2.out', 'ff.pre', 'ff.hidden', 'ff.output', 'resid2']);
    expect(keys('decoder', false)).toEqual(['input', 'self_attn', 'self_attn.weights', 'self_attn.output', 'resid1', 'norm1.out', 'multihead_attn', 'multihead_attn.weights',
      'multihead_attn.output', 'resid2', 'norm2.out', 'ff.pre', 'ff.hidden', 'ff.output', 'resid3', 'norm3.out']);
    expect(keys('decoder', true)).toEqual(['input', 'norm1.out', 'self_attn', 'self_attn.weights', 'self_attn.output', 'resid1', 'norm2.out', 'multihead_attn',
      'multihead_attn.weights', 'multihead_attn.output', 'resid2', 'norm3.out', 'ff.pre', 'ff.hidden', 'ff.output', 'resid3']);
  });

  it.each([['encoder', false], ['encoder', true], ['decoder', false], ['decoder', true]] as const)('%s, norm_first %s: every stage is in the trace, the last is the output, only attention mixes', (layer, nf) => {
    const o: BlockOptions = { ...base, layer, normFirst: nf };
    const t = run(o, 'the cat sat');
    const stages = blockStages(layer, nf);
    for (const s of stages) expect(t[s.kind === 'qkv' ? `${s.key}.q` : s.key], s.key).toBeDefined();
    expect(Array.from(t[stages[stages.length - 1].key].data)).toEqual(Array.from(t['output'].data));
    expect(stages.filter((s) => s.mixes).map((s) => s.key)).toEqual(
      layer === 'decoder' ? ['self_attn.weights', 'self_attn.output', 'multihead_attn.weights', 'multihead_attn.output'] : ['self_attn.weights', 'self_attn.output'],
    );
    // Each sublayer output's dropout names a residual whose base is an earlier stage (or the input).
    for (const s of stages.filter((x) => x.dropout)) expect(t[s.dropout!.resid]).toBeDefined();
  });
});
