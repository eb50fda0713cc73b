// attn.attentionRollout and attn.attentionFlow (the WASM engine, from Node) against tests/golden/rollout.safetensors
// (make_rollout.py: PyTorch and networkx in float64), on a model's own attentions, and their messages on bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import { compare, Golden, loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

/** The golden [L, H, T, T] (or [L, 1, H, T, T]) input as the API takes it: one tensor per layer. */
function layers(all: Tensor): Tensor[] {
  const shape = all.shape.slice(1);
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: all.shape[0] }, (_, l) => ({ data: all.data.slice(l * n, (l + 1) * n), shape }));
}

describe('attentionRollout and attentionFlow', () => {
  const g = new Golden('rollout');
  it.each(g.cases.map((c) => [c.id, c]))('%s matches PyTorch and networkx', (id, c) => {
    const att = layers(g.f32(`${id}.in.attentions`));
    const options = { residual: c.residual, head: c.head < 0 ? ('mean' as const) : c.head, layer: c.layer, normalize: c.normalize };
    for (const [name, actual] of [['rollout', attn.attentionRollout(att, options)], ['flow', attn.attentionFlow(att, options)]] as const) {
      const { excess, maxErr } = compare(actual, g.f64(`${id}.out.${name}`));
      expect(excess, `${id} ${name}: max error ${maxErr}`).toBeLessThanOrEqual(0);
    }
  });

  it('takes a model forward pass: rollout after layer 1 is 0.5 · mean of the heads + 0.5 · I', () => {
    const model = attn.createModel({ arch: 'decoder', vocab_size: 50, d_model: 16, nhead: 4, num_layers: 3, dim_feedforward: 32, max_len: 16 }, 3);
    try {
      const { trace } = model.forward([1, 7, 9, 4, 22, 3]);
      const weights = [0, 1, 2].map((l) => trace[`decoder.layers.${l}.self_attn.weights`]); // [1, 4, 6, 6] each
      const r = attn.attentionRollout(weights);
      expect(r.shape).toEqual([3, 6, 6]);
      const w = weights[0].data;
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 6; j++) {
          let mean = 0;
          for (let h = 0; h < 4; h++) mean += w[h * 36 + i * 6 + j] / 4;
          expect(r.data[i * 6 + j]).toBeCloseTo(0.5 * mean + (i === j ? 0.5 : 0), 6);
          if (j > i) expect(r.data[2 * 36 + i * 6 + j]).toBe(0); // causal: nothing from a later token
        }
      const f = attn.attentionFlow(weights, { layer: 1, head: 3 });
      expect(f.shape).toEqual([6, 6]);
      for (let i = 0; i < 6; i++) expect(f.data.slice(i * 6, i * 6 + 6).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    } finally {
      model.delete();
    }
  });

  it('names the problem with bad input', () => {
    const ok = { data: new Float32Array([0.5, 0.5, 0.25, 0.75]), shape: [1, 2, 2] };
    const bad = (att: unknown, options: Record<string, unknown>, message: string | RegExp) =>
      expect(() => attn.attentionFlow(att as Tensor[], options)).toThrow(message);
    bad(ok, {}, 'attentions must be an array with one tensor per layer');
    bad([], {}, 'attentions is empty');
    bad([ok, { data: new Float32Array(9), shape: [1, 3, 3] }], {}, 'attentions[1] is [1, 3, 3] but attentions[0] is [1, 2, 2]');
    bad([{ data: new Float32Array(6), shape: [1, 2, 3] }], {}, 'not square');
    bad([{ data: new Float32Array([0.5, NaN, 0, 1]), shape: [1, 2, 2] }], {}, 'attentions[0] has a NaN at head 0, query 0, key 1');
    bad([{ data: new Float32Array([1, 0, -1, 2]), shape: [1, 2, 2] }], {}, /attentions\[0\] has a negative weight \(-1\.0+\) at head 0, query 1, key 0/);
    bad([{ data: new Float32Array(3), shape: [1, 2, 2] }], {}, 'attentions[0]: 3 values do not fill shape [1, 2, 2]');
    bad([ok], { head: 'max' }, `head must be a head's index or 'mean', got "max"`);
    bad([ok], { head: 1 }, 'head 1 does not exist: the attentions have 1 head (0), or -1 for their mean');
    bad([ok], { residual: '0.5' }, 'residual must be a number');
    bad([ok], { residual: 2 }, 'residual must be between 0 and 1, got 2');
    bad([ok], { layer: 0.5 }, 'layer must be a whole number');
    bad([ok], { layer: 1 }, 'layer 1 does not exist: the attentions have 1 layer (0), or -1 for the last');
    bad([ok], { normalize: 'yes' }, 'normalize must be true or false');
    const T = attn.maxFlowTokens(12) + 1;
    const big = Array.from({ length: 12 }, () => ({ data: new Float32Array(T * T).fill(1 / T), shape: [1, T, T] }));
    bad(big, {}, `attention flow through 12 layers takes at most ${T - 1} tokens, and there are ${T}`);
    expect(attn.attentionRollout(big).shape).toEqual([12, T, T]); // rollout has no such limit
  });

  it('says how many tokens flow takes', () => {
    expect(attn.maxFlowTokens(12)).toBe(48);
    expect(attn.maxFlowTokens(2)).toBe(75);
  });
});

describe('the explorer keeps Rollout and Flow in its store and URL', () => {
  it('head=rollout / head=flow round-trip; picking a head leaves them, another layer keeps them', async () => {
    const { queryFromState, stateFromQuery } = await import('../../web/src/components/url-state');
    const { Store } = await import('../../web/src/state/store');
    const store = new Store(stateFromQuery('?m=tagger&layer=1&head=flow', 'http://localhost/'));
    expect(store.state).toMatchObject({ summary: 'flow', head: 'mean', layer: 1 });
    expect(queryFromState(store.state)).toMatch(/layer=1&head=flow/);
    store.setLayer(0);
    store.setSummary('rollout');
    expect(store.state).toMatchObject({ summary: 'rollout', layer: 0 });
    expect(stateFromQuery(`?${queryFromState(store.state)}`, 'http://localhost/')).toMatchObject({ summary: 'rollout', layer: 0 });
    store.select(0, 2);
    expect(store.state).toMatchObject({ summary: undefined, head: 2 });
    expect(queryFromState(store.state)).toMatch(/head=2/);
    store.setSummary('flow');
    store.openHead(1, 3);
    expect(store.state.summary).toBeUndefined();
    expect(stateFromQuery('?head=max', 'http://localhost/')).toMatchObject({ head: 0, summary: undefined });
  });
});
