// <attn-batch>'s engine call (seeded-layers.ts batchCall: query = key = value = X [B, L, d], the boolean padding
// mask [B, 1, L]) through the real WASM engine, against an independent float64 recomputation of the curriculum's
// exercise: scores = bmm(X, Xᵀ) (÷ √d when scaled), softmax over the last axis, output = bmm(weights, X).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/bindings/attn';
import { BATCH, batchCall, batchInput, batchMask, batchVector, batchWords } from '../../web/src/widgets/seeded-layers';
import { loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

/** The exercise in float64, one sentence at a time, written out loop by loop (no engine code). */
function reference(x: Float32Array, B: number, L: number, d: number, scaled: boolean, lengths?: number[]) {
  const scores = new Float64Array(B * L * L);
  const weights = new Float64Array(B * L * L);
  const output = new Float64Array(B * L * d);
  const f = scaled ? 1 / Math.sqrt(d) : 1;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < L; i++) {
      const row = new Float64Array(L);
      for (let j = 0; j < L; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x[(b * L + i) * d + k] * x[(b * L + j) * d + k];
        scores[(b * L + i) * L + j] = s;
        row[j] = lengths && j >= lengths[b] ? -Infinity : s * f;
      }
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, v) => a + v, 0);
      for (let j = 0; j < L; j++) weights[(b * L + i) * L + j] = e[j] / sum;
      for (let k = 0; k < d; k++) {
        let o = 0;
        for (let j = 0; j < L; j++) o += weights[(b * L + i) * L + j] * x[(b * L + j) * d + k];
        output[(b * L + i) * d + k] = o;
      }
    }
  return { scores, weights, output };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 2e-5) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThan(tol);
}

const SENTENCES = 'the cat sat on the mat|a dog ran|every word here has one vector';

describe('<attn-batch> call', () => {
  it('pads with <pad> to the longest, with zero vectors and one-decimal word vectors', () => {
    const batch = batchWords(SENTENCES);
    expect(batch.B).toBe(3);
    expect(batch.L).toBe(6);
    expect(batch.lengths).toEqual([6, 3, 6]);
    expect(batch.labels[1]).toEqual(['a', 'dog', 'ran', '<pad>', '<pad>', '<pad>']);
    for (const d of [2, 3, 4]) {
      const x = batchInput(batch, d);
      expect(x.shape).toEqual([3, 6, d]);
      // Pads are zero vectors; words are one-decimal numbers in [-2, 2], the same for the same word.
      expect(Array.from(x.data.subarray((1 * 6 + 3) * d, 2 * 6 * d)).every((v) => v === 0)).toBe(true);
      for (const v of x.data) {
        expect(Math.abs(v)).toBeLessThanOrEqual(2);
        expect(Math.abs(v * 10 - Math.round(v * 10))).toBeLessThan(1e-5);
      }
      expect(Array.from(x.data.subarray(0, d))).toEqual(Array.from(x.data.subarray(4 * d, 5 * d))); // "the" twice
      expect(Array.from(x.data.subarray(0, d))).toEqual(Array.from(Float32Array.from(batchVector('the', d))));
    }
    expect(batchMask(batch)).toEqual({ data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]), shape: [3, 1, 6], dtype: 'bool' });
    // Limits: at most 4 sentences of 8 words.
    const big = batchWords(Array.from({ length: 6 }, () => 'one two three four five six seven eight nine ten').join('|'));
    expect([big.B, big.L, big.cut.sentences, big.cut.words]).toEqual([BATCH.maxSentences, BATCH.maxWords, 2, 4]);
  });

  for (const scaled of [false, true])
    for (const d of [2, 3, 4])
      it(`without a mask equals the float64 bmm / softmax / bmm (${scaled ? '÷ √d' : 'unscaled, the exercise'}, d = ${d}); pads take weight > 0`, () => {
        const batch = batchWords(SENTENCES);
        const call = batchCall(batch, d, scaled, false);
        expect(call.attn_mask).toBeUndefined();
        const r = attn.scaledDotProductAttention(call);
        const ref = reference(call.query.data as Float32Array, batch.B, batch.L, d, scaled);
        expect(r.scores.shape).toEqual([3, 6, 6]);
        expect(r.output.shape).toEqual([3, 6, d]);
        close(r.scores.data, ref.scores);
        close(r.weights.data, ref.weights);
        close(r.output.data, ref.output);
        // Sentence 1's pads (keys 3-5) score exactly 0 and take exp(0)/Σ of every row.
        for (let i = 0; i < 6; i++)
          for (let j = 3; j < 6; j++) {
            expect(r.scores.data[(6 + i) * 6 + j]).toBe(0);
            expect(r.weights.data[(6 + i) * 6 + j]).toBeGreaterThan(0);
          }
      });

  it('with the padding mask: pad keys get weight exactly 0, every row sums to 1, and it equals the float64 masked softmax', () => {
    const batch = batchWords(SENTENCES);
    for (const scaled of [false, true]) {
      const call = batchCall(batch, 3, scaled, true);
      const r = attn.scaledDotProductAttention(call);
      const ref = reference(call.query.data as Float32Array, batch.B, batch.L, 3, scaled, batch.lengths);
      close(r.weights.data, ref.weights);
      close(r.output.data, ref.output);
      for (let b = 0; b < batch.B; b++)
        for (let i = 0; i < batch.L; i++) {
          const row = Array.from(r.weights.data.subarray((b * 6 + i) * 6, (b * 6 + i + 1) * 6));
          row.slice(batch.lengths[b]).forEach((w) => expect(w).toBe(0));
          expect(Math.abs(row.reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-6);
        }
      // The mask as the engine applied it: −∞ on pad columns, broadcast over the query rows.
      expect(r.mask!.shape).toEqual([3, 6, 6]);
      expect(Array.from(r.mask!.data.subarray(6 * 6 + 5 * 6, 6 * 6 + 6 * 6))).toEqual([0, 0, 0, -Infinity, -Infinity, -Infinity]);
    }
  });

  it('B sentences in one batched call equal each sentence computed alone', () => {
    const batch = batchWords(SENTENCES);
    const d = 3;
    const L = batch.L;
    for (const [scaled, padding] of [[false, false], [true, true], [false, true]] as const) {
      const all = attn.scaledDotProductAttention(batchCall(batch, d, scaled, padding));
      for (let b = 0; b < batch.B; b++) {
        const xb = (batchInput(batch, d).data as Float32Array).slice(b * L * d, (b + 1) * L * d);
        const one = { data: xb, shape: [L, d] };
        const mask = batchMask(batch).data.slice(b * L, (b + 1) * L);
        const alone = attn.scaledDotProductAttention({
          query: one, key: one, value: one, scaled,
          ...(padding ? { attn_mask: { data: mask, shape: [1, L], dtype: 'bool' as const } } : {}),
        });
        close(all.scores.data.slice(b * L * L, (b + 1) * L * L), alone.scores.data, 1e-6);
        close(all.weights.data.slice(b * L * L, (b + 1) * L * L), alone.weights.data, 1e-6);
        close(all.output.data.slice(b * L * d, (b + 1) * L * d), alone.output.data, 1e-6);
      }
    }
  });

  it('scaling softens the softmax: the largest weight per row is smaller with ÷ √d', () => {
    const batch = batchWords(SENTENCES);
    const peak = (w: Float32Array) => {
      let s = 0;
      for (let r = 0; r < batch.B * batch.L; r++) s += Math.max(...w.subarray(r * batch.L, (r + 1) * batch.L));
      return s;
    };
    for (const d of [3, 4]) {
      const off = attn.scaledDotProductAttention(batchCall(batch, d, false, true));
      const on = attn.scaledDotProductAttention(batchCall(batch, d, true, true));
      expect(peak(off.weights.data)).toBeGreaterThan(peak(on.weights.data));
    }
  });
});
