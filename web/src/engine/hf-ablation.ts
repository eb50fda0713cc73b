// Head ablation of Hugging Face checkpoints, for the explorer's Ablation display: the AblationResult of the shipped
// models (ablation.ts), from HfModel.forward and generate with Hugging Face's head_mask, decoder_head_mask and
// cross_attn_head_mask (engine/hf/model.h HfInput::heads). Per family, the outcome and the size of a change:
//   gpt2              the next token's top 5; the drop of P(the full model's first choice)           outcome 'lm'
//   bert, distilbert  each [MASK]'s top 5 fillers; the mean drop of P(the full model's first choice)  outcome 'mlm'
//   marian            the greedy translation; the drop of log P(the full model's translation),
//                     teacher-forced (nats)                                                          outcome 'dates'
// Mean ablation: a removed head outputs its mean context vector over a text set, the built-in sentences of the head
// statistics (STATS_TEXTS; a checkpoint brought by the reader comes with no held-out texts): the engine's `heads`
// [1, H, T, Dh] of one pass per sentence with trace 'full', averaged over every position of every sentence (Marian's
// decoder and cross-attention over the model's own greedy translation of each). The worker computes it once per model.
// A ranking is asked for in parts (heads [rankFrom, rankFrom + rankCount) of every head, group by group, layer by
// layer), so that the worker answers other requests in between and the page shows how far it has got.
import type { HfInputs, HfModel, Tensor } from '../../../engine/bindings/attn';
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
  /** Each head's mean over the text set (setMeans), computed the first time it is asked for and kept with the model. */
  means: () => Masks;
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

/** Head masks and means by Hugging Face's (and the engine's) option names. */
export type Masks = Record<string, Tensor>;
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

/** One attention kind's heads in a trace (`${prefix}.layers.{l}.${block}.heads`), and the name its mean is given by. */
interface HeadBlock {
  option: 'head_mean' | 'decoder_head_mean' | 'cross_attn_head_mean';
  prefix: 'encoder' | 'decoder';
  block: 'self_attn' | 'multihead_attn';
  layers: number;
}

function headBlocks(m: HfModel): HeadBlock[] {
  const c = m.config;
  if (m.family !== 'marian') return [{ option: 'head_mean', prefix: m.family === 'gpt2' ? 'decoder' : 'encoder', block: 'self_attn', layers: c.num_layers }];
  const D = c.decoder_layers ?? 0;
  return [
    { option: 'head_mean', prefix: 'encoder', block: 'self_attn', layers: c.num_layers },
    { option: 'decoder_head_mean', prefix: 'decoder', block: 'self_attn', layers: D },
    { option: 'cross_attn_head_mean', prefix: 'decoder', block: 'multihead_attn', layers: D },
  ];
}

/**
 * Each block's heads [1, H, T, Dh] averaged over every position of every trace: the sums (in double, position by
 * position, trace by trace) divided by the total count, [layers, H, Dh] by the block's option name. The traces are
 * read one at a time (a generator computes each when asked).
 */
function meanHeads(traces: Iterable<Record<string, Tensor>>, blocks: HeadBlock[]): Masks {
  const acc = blocks.map(() => ({ sums: [] as Float64Array[], count: 0, H: 0, Dh: 0 }));
  for (const trace of traces)
    blocks.forEach((b, k) => {
      const a = acc[k];
      for (let l = 0; l < b.layers; l++) {
        const t = trace[`${b.prefix}.layers.${l}.${b.block}.heads`];
        const [, H, T, Dh] = t.shape;
        [a.H, a.Dh] = [H, Dh];
        const sum = (a.sums[l] ??= new Float64Array(H * Dh));
        for (let h = 0; h < H; h++)
          for (let i = 0; i < T; i++)
            for (let d = 0; d < Dh; d++) sum[h * Dh + d] += t.data[(h * T + i) * Dh + d];
        if (l === 0) a.count += T;
      }
    });
  const out: Masks = {};
  blocks.forEach((b, k) => {
    const { sums, count, H, Dh } = acc[k];
    const data = new Float32Array(b.layers * H * Dh);
    sums.forEach((sum, l) => sum.forEach((x, j) => (data[l * H * Dh + j] = x / count)));
    out[b.option] = { data, shape: [b.layers, H, Dh] };
  });
  return out;
}

/**
 * Each head's mean over a text set, as the engine's head_mean, decoder_head_mean and cross_attn_head_mean take it:
 * one pass with trace 'full' per input (Marian's with decoder_input_ids: its translation without the last piece).
 */
export function setMeans(model: HfModel, inputs: HfInputs[]): Masks {
  function* traces() {
    for (const x of inputs) yield model.forward(x, { logits: 'none', trace: 'full' }).trace!;
  }
  return meanHeads(traces(), headBlocks(model));
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
  const means = a.mode === 'mean' && (removed.length || a.rankCount) ? s.means() : undefined;
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
