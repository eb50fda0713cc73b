// A lab run's inference with head masks and a full trace through the JavaScript API (Run.infer, logProb,
// headMeans; the WASM build in Node), and what the explorer makes of it: the attention views with their queries,
// keys and scores (lab/attention-set.ts) for each architecture, and the Ablation display's result
// (engine/lab-ablation.ts) against the API called directly.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Run } from '../../engine/bindings/attn';
import { attentionSet } from '../../web/src/lab/attention-set';
import { labGroups, runLabAblation } from '../../web/src/engine/lab-ablation';
import { loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

/** A reversal run of `arch`, 2 layers (encoder-decoder: 2 + 1) of 2 heads, trained 40 steps. */
function run(arch: 'encoder-decoder' | 'decoder' | 'encoder'): Run {
  const r = attn.createRun({
    task: { name: 'reverse', symbols: 10, min_len: 3, max_len: 6 },
    model: { arch, num_layers: 2, num_decoder_layers: 1, d_model: 16, nhead: 2, dim_feedforward: 32 },
    train: { lr: 0.01, warmup: 5 },
    run: { steps: 40, batch: 16, seed: 3, eval_size: 30 },
  });
  r.train(40);
  return r;
}

const TEXT = '3 1 4 1 5';

describe('a lab run: head masks and the full trace', () => {
  it('infer with trace full: every view gets its queries, keys and scores; masks of ones change nothing', () => {
    for (const [arch, names] of [['encoder-decoder', ['cross', 'encoder', 'decoder']], ['decoder', ['self']], ['encoder', ['self']]] as const) {
      const r = run(arch);
      const plain = r.infer(TEXT);
      const full = r.infer(TEXT, { trace: 'full' });
      const views = attentionSet(r, full).views;
      expect(views.map((v) => v.name)).toEqual(names);
      if (arch === 'encoder') expect(views[0].title).toBe('Bidirectional self-attention');
      for (const v of views) {
        expect(v.vectors).toHaveLength(v.layers);
        const [w] = v.weights;
        expect(v.vectors![0].scores).toHaveLength(w.length);
        expect(v.vectors![0].q).toHaveLength(v.heads * v.rows.length * 8);
      }
      // The plain trace has only weights and masks, and the same weights bit for bit.
      expect(attentionSet(r, plain).views.every((v) => v.vectors === undefined)).toBe(true);
      expect(attentionSet(r, plain).views.map((v) => v.weights)).toEqual(views.map((v) => v.weights));
      const ones = { head_mask: [[1, 1], [1, 1]] };
      expect(r.infer(TEXT, ones).trace).toEqual(plain.trace);
      expect(r.logProb(TEXT, plain, ones)).toBe(r.logProb(TEXT, plain));
      expect(r.headMeans().head_mean.shape).toEqual([2, 2, 8]);
      r.delete();
    }
  });

  it('bad masks and answers get messages; the run keeps working', () => {
    const r = run('encoder');
    expect(() => r.infer(TEXT, { head_mask: [1, 1, 1] })).toThrow(/head_mask has shape \[3\] but the model has 2 layers of 2 heads/);
    expect(() => r.infer(TEXT, { cross_attn_head_mask: [1, 1] })).toThrow(/cross_attn_head_mask are for encoder-decoder models/);
    expect(() => r.logProb(TEXT, { tokens: [3], finished: true })).toThrow(/give 5 labels, not 1/);
    expect(() => r.logProb('3 x', { tokens: [3], finished: true })).toThrow(/'x' is not a symbol/);
    expect(r.infer(TEXT).output.split(' ')).toHaveLength(5);
    r.delete();
  });

  it('the Ablation display’s result is the API’s: answers, log-probabilities, the ranking', () => {
    const r = run('encoder-decoder');
    expect(labGroups(r).map((g) => [g.group, g.layers, g.heads])).toEqual([['encoder', 2, 2], ['decoder', 1, 2], ['cross', 1, 2]]);
    const removed = [{ group: 'cross' as const, layer: 0, head: 1 }, { group: 'encoder' as const, layer: 5, head: 0 }];
    const got = runLabAblation(r, { run: 'x', text: TEXT, removed, mode: 'mean', rank: true });
    const means = r.headMeans();
    const masks = { cross_attn_head_mask: [[1, 0]], cross_attn_head_mean: means.cross_attn_head_mean };
    const full = r.infer(TEXT);
    expect(got.removed).toEqual([removed[0]]); // a head the model does not have is left out
    expect(got.tokens).toEqual(['3', '1', '4', '1', '5']);
    expect(got.before).toEqual({ kind: 'lab', output: full.output.split(' ').filter(Boolean), spaced: true, finished: full.finished, labels: false, logprob: r.logProb(TEXT, full) });
    const after = r.infer(TEXT, masks);
    expect(got.after).toMatchObject({ output: after.output.split(' ').filter(Boolean), logprob: r.logProb(TEXT, full, masks) });
    expect(got.change).toBe(r.logProb(TEXT, full) - r.logProb(TEXT, full, masks));
    expect(got.ranking).toHaveLength(8);
    expect(got.ranking!.find((x) => x.head.group === 'cross' && x.head.head === 1)!.change).toBe(got.change);
    // Nothing typed: an empty result, no error.
    expect(runLabAblation(r, { run: 'x', text: ' ', removed, mode: 'zero', rank: false }).tokens).toEqual([]);
    r.delete();
  });
});
