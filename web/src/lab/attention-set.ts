// The attention of one forward pass of a training run (its probe, or a learner's input), as the heatmaps and
// the head gallery draw it: the explorer's AttentionView per kind of attention. Used by the lab's worker and by
// the explorer's worker when it opens a model from the lab.
import type { Run, RunAttention } from '../../../engine/bindings/attn';
import type { AttentionView } from '../engine/protocol';
import type { AttentionSet } from './protocol';

/** The attention of one forward of a run (probe or inference), as the heatmaps draw it. */
export function attentionSet(run: Run, a: RunAttention): AttentionSet {
  const m = run.config.model;
  const views: AttentionView[] = [];
  const kind = (name: AttentionView['name'], title: string, prefix: string, layers: number, rows: string[], cols: string[]) => {
    const weights: Float32Array[] = [];
    const masks: (Float32Array | undefined)[] = [];
    let heads = Number(m.nhead);
    for (let l = 0; l < layers; l++) {
      const w = a.trace[`${prefix.replace('#', String(l))}.weights`];
      if (!w) return;
      heads = w.shape[1];
      weights.push(w.data);
      const mask = a.trace[`${prefix.replace('#', String(l))}.mask`];
      masks.push(mask ? mask.data.subarray(0, rows.length * cols.length) : undefined);
    }
    views.push({ name, title, rows, cols, layers, heads, weights, masks });
  };
  const { src, tgt_in = [], tgt_out = [] } = a.labels;
  if (m.arch === 'encoder-decoder') {
    const dl = Number(m.num_decoder_layers);
    kind('cross', 'Cross-attention (decoder → encoder)', 'decoder.layers.#.multihead_attn', dl, tgt_out, src);
    kind('encoder', 'Encoder self-attention', 'encoder.layers.#.self_attn', Number(m.num_layers), src, src);
    kind('decoder', 'Decoder self-attention (causal)', 'decoder.layers.#.self_attn', dl, tgt_in, tgt_in);
  } else {
    kind('self', 'Causal self-attention', 'decoder.layers.#.self_attn', Number(m.num_layers), src, src);
  }
  return { views };
}


/** The weight buffers of a set, to transfer them between threads. */
export function buffers(set: AttentionSet): Transferable[] {
  return [...new Set(set.views.flatMap((v) => v.weights.map((w) => w.buffer)))];
}
