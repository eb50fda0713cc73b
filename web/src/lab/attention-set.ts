// The attention of one forward pass of a training run (its probe, or a learner's input), as the heatmaps and
// the head gallery draw it: the explorer's AttentionView per kind of attention. Used by the lab's worker and by
// the explorer's worker when it opens a model from the lab.
import type { Run, RunAttention, Tensor } from '../../../engine/bindings/attn';
import type { AttentionView, HeadVectors } from '../engine/protocol';
import type { AttentionSet } from './protocol';

/** The attention of one forward of a run (probe or inference), as the heatmaps draw it; with a trace 'full'
 * (Run.infer's option) each view also has its queries, keys and scores (the neuron view's numbers). */
export function attentionSet(run: Run, a: RunAttention): AttentionSet {
  const m = run.config.model;
  const views: AttentionView[] = [];
  const kind = (name: AttentionView['name'], title: string, prefix: string, layers: number, rows: string[], cols: string[]) => {
    const weights: Float32Array[] = [];
    const masks: (Float32Array | undefined)[] = [];
    const vectors: HeadVectors[] = [];
    let heads = Number(m.nhead);
    for (let l = 0; l < layers; l++) {
      const at = (entry: string) => a.trace[`${prefix.replace('#', String(l))}.${entry}`];
      const w = at('weights');
      if (!w) return;
      heads = w.shape[1];
      weights.push(w.data);
      const mask = at('mask');
      masks.push(mask ? mask.data.subarray(0, rows.length * cols.length) : undefined);
      const v = headVectors(at);
      if (v) vectors.push(v);
    }
    views.push({ name, title, rows, cols, layers, heads, weights, masks, ...(vectors.length === layers ? { vectors } : {}) });
  };
  const { src, tgt_in = [], tgt_out = [] } = a.labels;
  if (m.arch === 'encoder-decoder') {
    const dl = Number(m.num_decoder_layers);
    kind('cross', 'Cross-attention (decoder → encoder)', 'decoder.layers.#.multihead_attn', dl, tgt_out, src);
    kind('encoder', 'Encoder self-attention', 'encoder.layers.#.self_attn', Number(m.num_layers), src, src);
    kind('decoder', 'Decoder self-attention (causal)', 'decoder.layers.#.self_attn', dl, tgt_in, tgt_in);
  } else if (m.arch === 'encoder') {  // a run made with the engine's API or attn-train: one label per position
    kind('self', 'Bidirectional self-attention', 'encoder.layers.#.self_attn', Number(m.num_layers), src, src);
  } else {
    kind('self', 'Causal self-attention', 'decoder.layers.#.self_attn', Number(m.num_layers), src, src);
  }
  return { views };
}

/** One layer's queries, keys and scores from a trace 'full' (`at` gives the layer's attention entries by name:
 * q [1, H, rows, Dh], k [1, H, cols, Dh], scores and scaled [1, H, rows, cols]), or undefined without them. */
export function headVectors(at: (entry: string) => Tensor | undefined): HeadVectors | undefined {
  const [q, k, scores, scaled] = [at('q'), at('k'), at('scores'), at('scaled')];
  return q && k && scores && scaled ? { headDim: q.shape[3], q: q.data, k: k.data, scores: scores.data, scaled: scaled.data } : undefined;
}


/** The weight buffers of a set, to transfer them between threads. */
export function buffers(set: AttentionSet): Transferable[] {
  return [...new Set(set.views.flatMap((v) => v.weights.map((w) => w.buffer)))];
}
