// Head ablation of Hugging Face checkpoints, for the explorer's Ablation display: the AblationResult of the shipped
// models (ablation.ts), from HfModel.forward and generate with Hugging Face's head_mask, decoder_head_mask and
// cross_attn_head_mask (engine/hf/model.h HfInput::heads). Per family, the outcome and the size of a change:
//   gpt2              the next token's top 5; the drop of P(the full model's first choice)           outcome 'lm'
//   bert, distilbert  each [MASK]'s top 5 fillers; the mean drop of P(the full model's first choice)  outcome 'mlm'
//   marian            the greedy translation; the drop of log P(the full model's translation),
//                     teacher-forced (nats)                                                          outcome 'dates'
// Mean ablation: a removed head outputs its mean context vector over this text (the engine's `heads` [1, H, T, Dh]
// of one pass with trace 'full', averaged over the positions; Marian's decoder and cross-attention over the full
// model's own translation): a checkpoint brought by the reader comes with no held-out texts.
// A ranking is asked for in parts (heads [rankFrom, rankFrom + rankCount) of every head, group by group, layer by
// layer), so that the worker answers other requests in between and the page shows how far it has got.
import type { HfModel, Tensor } from '../../../engine/bindings/attn';
import { changeOf, headMaskOptions, softmaxRow, topK, type AblationResult, type GroupInfo, type HeadRef, type Outcome } from './ablation';

export interface HfAblationArgs {
  /** The model, by the key the worker holds it under. */
  hf: string;
  text: string;
  removed: HeadRef[];
  mode: 'zero' | 'mean';
  /** Rank heads [rankFrom, rankFrom + rankCount) of every head (hfHeads); no rankCount: no ranking. */
  rankFrom?: number;
  rankCount?: number;
}

/** A text as the checkpoint reads it (hf-worker.ts readText), and how to name what it outputs. */
export interface HfSubject {
  model: HfModel;
  ids: Int32Array;
  tokens: string[];
  truncated: string;
  /** Marian: the most pieces its translation may have (as the explorer's). */
  maxNew: number;
  /** BERT, DistilBERT: the [MASK] token's id (null: the tokenizer has none). */
  maskId: number | null;
  /** An output token's label (GPT-2's byte-level pieces, BERT's WordPieces). */
  label: (id: number) => string;
}

/** The attention kinds whose heads can be switched off, with their sizes. */
export function hfGroups(model: HfModel): GroupInfo[] {
  const c = model.config;
  if (model.family !== 'marian')
    return [{ group: 'self', title: model.family === 'gpt2' ? 'Causal self-attention' : 'Self-attention', layers: c.num_layers, heads: c.num_heads }];
  const D = c.decoder_layers ?? 0;
  const Hd = c.decoder_heads ?? c.num_heads;
  return [
    { group: 'encoder', title: 'Encoder self-attention', layers: c.num_layers, heads: c.num_heads },
    { group: 'decoder', title: 'Decoder self-attention', layers: D, heads: Hd },
    { group: 'cross', title: 'Cross-attention', layers: D, heads: Hd },
  ];
}

/** Every head, group by group, layer by layer (the order a ranking is computed in parts). */
export function hfHeads(groups: GroupInfo[]): HeadRef[] {
  return groups.flatMap((g) => Array.from({ length: g.layers * g.heads }, (_, k) => ({ group: g.group, layer: Math.floor(k / g.heads), head: k % g.heads })));
}

type Masks = Record<string, Tensor>;
/** Marian's outcome, with the ids of its translation (the start token first). */
type Translation = Extract<Outcome, { kind: 'dates' }> & { seq: number[] };

/** The 5 likeliest tokens of row r of logits, and P(`top`) (default: the first of them). */
function predictions(s: HfSubject, logits: Tensor, r: number, top?: number) {
  const p = softmaxRow(logits, r);
  const next = topK(p, 5).map((id) => ({ id, token: s.label(id), prob: p[id] }));
  return { next, top: p[top ?? next[0].id] };
}

/** log P(seq[1..] | source) under `masks`: the decoder fed seq without its last id, teacher-forced. */
function translationLogprob(s: HfSubject, seq: number[], masks: Masks) {
  if (seq.length < 2) return 0;
  const out = s.model.forward({ input_ids: s.ids, decoder_input_ids: seq.slice(0, -1), ...masks }, { logits: 'all' });
  let sum = 0;
  for (let i = 0; i + 1 < seq.length; i++) sum += Math.log(softmaxRow(out.logits!, i)[seq[i + 1]]);
  return sum;
}

/** What the model says for the text with `masks`, measured against `reference` (the full model's outcome). */
function outcome(s: HfSubject, masks: Masks, reference?: Outcome): Outcome {
  const m = s.model;
  if (m.family === 'gpt2') {
    const out = m.forward({ input_ids: s.ids, ...masks }, { logits: 'last' });
    return { kind: 'lm', ...predictions(s, out.logits!, 0, reference?.kind === 'lm' ? reference.next[0].id : undefined) };
  }
  if (m.family === 'marian') {
    const g = m.generate({ input_ids: s.ids }, { maxNewTokens: s.maxNew, ...masks });
    const seq = Array.from(g.sequences);
    const n = seq.length - 1;
    const finished = seq[n] === m.config.eos_token_id && n < s.maxNew;
    const original = reference?.kind === 'dates' ? (reference as Translation).seq : seq;
    const o: Translation = { kind: 'dates', text: g.text ?? '', finished, logprob: translationLogprob(s, original, masks), seq };
    return o;
  }
  const positions: number[] = [];
  s.ids.forEach((id, i) => id === s.maskId && positions.push(i));
  if (!positions.length) return { kind: 'mlm', masks: [] };
  const out = m.forward({ input_ids: s.ids, ...masks }, { logits: positions });
  return {
    kind: 'mlm',
    masks: positions.map((position, n) => ({
      position,
      ...predictions(s, out.logits!, n, reference?.kind === 'mlm' ? reference.masks[n].next[0].id : undefined),
    })),
  };
}

/** The mean of a trace's `${prefix}.layers.{l}.${block}.heads` [1, H, T, Dh] over its T positions: [layers, H, Dh]. */
function meanHeads(trace: Record<string, Tensor>, prefix: string, block: string, layers: number): Tensor {
  let H = 0;
  let Dh = 0;
  const parts: Float32Array[] = [];
  for (let l = 0; l < layers; l++) {
    const t = trace[`${prefix}.layers.${l}.${block}.heads`];
    [, H, , Dh] = t.shape;
    const T = t.shape[2];
    const mean = new Float32Array(H * Dh);
    for (let h = 0; h < H; h++)
      for (let d = 0; d < Dh; d++) {
        let sum = 0; // in double
        for (let i = 0; i < T; i++) sum += t.data[(h * T + i) * Dh + d];
        mean[h * Dh + d] = sum / T;
      }
    parts.push(mean);
  }
  const data = new Float32Array(layers * H * Dh);
  parts.forEach((p, l) => data.set(p, l * H * Dh));
  return { data, shape: [layers, H, Dh] };
}

/**
 * Each head's mean over this text, as the engine's head_mean, decoder_head_mean and cross_attn_head_mean take it:
 * one pass with trace 'full' (Marian's decoder reading the full model's translation `before`).
 */
export function textMeans(s: HfSubject, before: Outcome): Masks {
  const m = s.model;
  const c = m.config;
  if (m.family === 'marian') {
    const seq = (before as Translation).seq;
    const trace = m.forward({ input_ids: s.ids, decoder_input_ids: seq.slice(0, Math.max(1, seq.length - 1)) }, { logits: 'none', trace: 'full' }).trace!;
    const D = c.decoder_layers ?? 0;
    return {
      head_mean: meanHeads(trace, 'encoder', 'self_attn', c.num_layers),
      decoder_head_mean: meanHeads(trace, 'decoder', 'self_attn', D),
      cross_attn_head_mean: meanHeads(trace, 'decoder', 'multihead_attn', D),
    };
  }
  const trace = m.forward({ input_ids: s.ids }, { logits: 'none', trace: 'full' }).trace!;
  return { head_mean: meanHeads(trace, m.family === 'gpt2' ? 'decoder' : 'encoder', 'self_attn', c.num_layers) };
}

/** An outcome without its internals (Marian's ids). */
function strip(o: Outcome): Outcome {
  if (o.kind !== 'dates') return o;
  return { kind: 'dates', text: o.text, finished: o.finished, logprob: o.logprob };
}

function emptyOutcome(model: HfModel): Outcome {
  if (model.family === 'gpt2') return { kind: 'lm', next: [], top: 0 };
  if (model.family === 'marian') return { kind: 'dates', text: '', finished: false, logprob: 0 };
  return { kind: 'mlm', masks: [] };
}

export function runHfAblation(s: HfSubject, a: HfAblationArgs): AblationResult {
  const groups = hfGroups(s.model);
  const removed = a.removed.filter((r) => {
    const g = groups.find((x) => x.group === r.group);
    return g && r.layer >= 0 && r.layer < g.layers && r.head >= 0 && r.head < g.heads;
  });
  const empty = emptyOutcome(s.model);
  const result: AblationResult = { tokens: s.tokens, truncated: s.truncated, groups, removed, before: empty, after: empty, change: 0 };
  if (!s.tokens.length) return result;
  const before = outcome(s, {});
  const means = a.mode === 'mean' ? textMeans(s, before) : undefined;
  const after = removed.length ? outcome(s, headMaskOptions(groups, removed, means), before) : before;
  result.before = strip(before);
  result.after = strip(after);
  result.change = removed.length ? changeOf(before, after) : 0;
  if (a.rankCount) {
    const all = hfHeads(groups);
    const from = Math.max(0, a.rankFrom ?? 0);
    const part = all.slice(from, from + a.rankCount);
    // Marian: only the log-probability of the original translation per head (no greedy decoding).
    const rankOutcome = (masks: Masks): Outcome =>
      before.kind === 'dates' ? { ...before, logprob: translationLogprob(s, (before as Translation).seq, masks) } : outcome(s, masks, before);
    result.ranking = part.map((head) => ({ head, change: changeOf(before, rankOutcome(headMaskOptions(groups, [head], means))) }))
      .sort((x, y) => y.change - x.change);
    result.rankProgress = { done: Math.min(all.length, from + part.length), total: all.length };
  }
  return result;
}
