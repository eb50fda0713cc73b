// Head ablation of the shipped models, for <attn-ablation>: switch off a set of heads (zero them, or replace each by
// its mean over the model's held-out texts) and measure what changes in the model's output, and rank the heads by
// how much removing each one alone changes it. Every number is the engine's: Model.forward / greedy with
// head_mask (engine/models/transformer.h HeadMasks) and Model.headMeans. Runs in the worker (worker.ts, the
// 'ablation' call), which owns the models; a stateless call: the same arguments give the same result.
//
// The size of a change, per model (the ranking sorts by it, largest first):
//   lm      the drop in the probability of the next token the full model puts first (points of probability)
//   tagger  the mean drop, over the tokens, in the probability of each token's original tag
//   dates   the drop in the log-probability of the original translation (teacher-forced, nats)
//   mlm     the mean drop, over the [MASK]s, of the probability of the full model's first choice (Hugging Face's
//           BERT and DistilBERT; their GPT-2 is measured as lm, their Marian as dates: hf-ablation.ts)
import type { Model, Tensor, Tokenizer } from '../../../engine/bindings/attn';
import { TAGS } from '../models/catalog';

export type AblationModel = 'lm' | 'tagger' | 'dates';
/** The attention kinds whose heads can be switched off: 'self' (lm, tagger), or the translator's three. */
export type HeadGroup = 'self' | 'encoder' | 'decoder' | 'cross';
/** One head, 0-based. */
export interface HeadRef {
  group: HeadGroup;
  layer: number;
  head: number;
}

export interface AblationArgs {
  model: AblationModel;
  text: string;
  /** The heads switched off. */
  removed: HeadRef[];
  /** zero: a removed head contributes nothing; mean: it outputs its mean context vector over the held-out texts. */
  mode: 'zero' | 'mean';
  /** Also rank every head by the change its removal alone makes. */
  rank: boolean;
}

export interface GroupInfo {
  group: HeadGroup;
  title: string;
  layers: number;
  heads: number;
}

export type Outcome =
  /** next: the 5 likeliest next tokens; top: the probability of the full model's first choice. */
  | { kind: 'lm'; next: { id: number; token: string; prob: number }[]; top: number }
  /** One per token: the argmax tag and its probability, and the probability of the full model's tag. */
  | { kind: 'tagger'; tags: { tag: string; prob: number; original: number }[] }
  /** The greedy translation, and the log-probability of the full model's translation (teacher-forced). */
  | { kind: 'dates'; text: string; finished: boolean; logprob: number }
  /** A lab run (lab-ablation.ts): its answer as symbols (labels: one per input position, an encoder-only run; spaced:
   * written with spaces between them, a toy task's numbers, not a date's characters), and the log-probability of the
   * full model's answer (teacher-forced). */
  | { kind: 'lab'; output: string[]; spaced: boolean; finished: boolean; labels: boolean; logprob: number }
  /** BERT, DistilBERT (hf-ablation.ts): per [MASK] (its token position), the 5 likeliest fillers and the probability
   * of the full model's first choice there. */
  | { kind: 'mlm'; masks: { position: number; next: { id: number; token: string; prob: number }[]; top: number }[] };

export interface AblationResult {
  /** The input as the model reads it (tokens or characters). */
  tokens: string[];
  /** '' or a sentence saying what was cut. */
  truncated: string;
  groups: GroupInfo[];
  /** The heads removed: those of `removed` that the model has (the others are left out). */
  removed: HeadRef[];
  before: Outcome;
  after: Outcome;
  /** The size of the change (see the top of this file), and the number of tags changed (tagger). */
  change: number;
  changedTags?: number;
  /** Every head by the change its removal alone makes, largest first (with `rank`). */
  ranking?: { head: HeadRef; change: number }[];
  /** While a ranking is computed in parts (Hugging Face models, hf-ablation.ts): the heads ranked so far, of all. */
  rankProgress?: { done: number; total: number };
}

/** A loaded shipped model, as the worker keeps it. */
export interface Shipped {
  model: Model;
  tokenizer: Tokenizer;
  heldout: string[];
}

const BOS = 1;
const EOS = 2;
/** The translator writes at most this many characters (as the explorer). */
export const DATES_MAX_LEN = 12;

const MASK_NAME: Record<HeadGroup, 'head_mask' | 'decoder_head_mask' | 'cross_attn_head_mask'> = {
  self: 'head_mask',
  encoder: 'head_mask',
  decoder: 'decoder_head_mask',
  cross: 'cross_attn_head_mask',
};

export function groupsOf(model: AblationModel, config: Model['config']): GroupInfo[] {
  const H = Number(config.nhead);
  const L = Number(config.num_layers);
  if (model !== 'dates') return [{ group: 'self', title: model === 'lm' ? 'Causal self-attention' : 'Self-attention', layers: L, heads: H }];
  const D = Number(config.num_decoder_layers);
  return [
    { group: 'encoder', title: 'Encoder self-attention', layers: L, heads: H },
    { group: 'decoder', title: 'Decoder self-attention', layers: D, heads: H },
    { group: 'cross', title: 'Cross-attention', layers: D, heads: H },
  ];
}

/** The forward options that switch `removed` off: one mask per attention kind that loses a head (1 keeps, 0
 * removes), and in mean mode the means. */
export function headMaskOptions(groups: GroupInfo[], removed: HeadRef[], means?: Record<string, Tensor>) {
  const out: Record<string, Tensor> = {};
  for (const g of groups) {
    const mine = removed.filter((r) => r.group === g.group);
    if (!mine.length) continue;
    const data = new Float32Array(g.layers * g.heads).fill(1);
    for (const r of mine) data[r.layer * g.heads + r.head] = 0;
    const name = MASK_NAME[g.group];
    out[name] = { data, shape: [g.layers, g.heads] };
    const mean = means?.[name.replace('_mask', '_mean')];
    if (mean) out[name.replace('_mask', '_mean')] = mean;
  }
  return out;
}

/** The heads of `removed` that the groups have (the others are left out). */
export function headsIn(groups: GroupInfo[], removed: HeadRef[]): HeadRef[] {
  return removed.filter((r) => {
    const g = groups.find((x) => x.group === r.group);
    return g && r.layer >= 0 && r.layer < g.layers && r.head >= 0 && r.head < g.heads;
  });
}

/** Every head of the groups, group by group, layer by layer. */
export function everyHead(groups: GroupInfo[]): HeadRef[] {
  return groups.flatMap((g) => Array.from({ length: g.layers * g.heads }, (_, k) => ({ group: g.group, layer: Math.floor(k / g.heads), head: k % g.heads })));
}

/** The input ids each model reads, as the explorer reads them: the language model the last max_len - 1 tokens
 * after <bos>, the tagger the first max_len tokens, the translator the first max_len - 1 characters. */
export function readInput(model: AblationModel, { model: m, tokenizer }: Shipped, text: string) {
  const maxLen = Number(m.config.max_len);
  if (model === 'lm') {
    const e = tokenizer.encode(text);
    const first = Math.max(0, e.ids.length - (maxLen - 1));
    return {
      ids: Int32Array.from([BOS, ...e.ids.slice(first)]),
      tokens: e.offsets.slice(first).map(([s, t]) => text.slice(s, t)),
      truncated: first > 0 ? `The model reads at most ${maxLen - 1} tokens: it sees the last ${maxLen - 1} of ${e.ids.length}.` : '',
    };
  }
  const e = tokenizer.encode(text, { maxTokens: model === 'tagger' ? maxLen : maxLen - 1 });
  return {
    ids: e.ids,
    tokens: e.offsets.map(([s, t]) => text.slice(s, t)),
    truncated: e.truncated ? `The model reads at most ${model === 'tagger' ? maxLen : maxLen - 1} ${model === 'tagger' ? 'tokens' : 'characters'}: the rest was cut.` : '',
  };
}

/** softmax of row `r` of logits [1, N, V], in double. */
export function softmaxRow(logits: Tensor, r: number): Float64Array {
  const V = logits.shape[logits.shape.length - 1];
  const row = logits.data.subarray(r * V, (r + 1) * V);
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  const p = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += p[i] = Math.exp(row[i] - max);
  for (let i = 0; i < V; i++) p[i] /= sum;
  return p;
}

function argmax(p: ArrayLike<number>) {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/** The indices of the k largest entries, largest first (ties: the lower index first). */
export function topK(p: Float64Array, k: number) {
  return Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b).slice(0, k);
}

/** What the model says for the text with `masks`, measured against `reference` (the full model's outcome). */
function outcome(model: AblationModel, s: Shipped, ids: Int32Array, masks: Record<string, Tensor>, reference?: Outcome): Outcome {
  const m = s.model;
  if (model === 'lm') {
    const out = m.forward(ids, { trace: 'none', ...masks });
    const p = softmaxRow(out.logits, ids.length - 1);
    const next = topK(p, 5).map((id) => ({ id, token: s.tokenizer.decode([id]), prob: p[id] }));
    const top = reference?.kind === 'lm' ? reference.next[0].id : next[0].id;
    return { kind: 'lm', next, top: p[top] };
  }
  if (model === 'tagger') {
    const out = m.forward(ids, { trace: 'none', ...masks });
    const tags = Array.from(ids, (_, i) => {
      const p = softmaxRow(out.logits, i);
      const best = argmax(p);
      const original = reference?.kind === 'tagger' ? TAGS.findIndex((t) => t.tag === reference.tags[i].tag) : best;
      return { tag: TAGS[best]?.tag ?? String(best), prob: p[best], original: p[original] };
    });
    return { kind: 'tagger', tags };
  }
  const g = m.greedy(ids, { bos: BOS, eos: EOS, max_len: DATES_MAX_LEN, trace: 'none', ...masks });
  const text = Array.from(g.tokens, (id) => s.tokenizer.decode([id])).join('');
  const written = reference?.kind === 'dates' ? (reference as DatesOutcome).ids : { tokens: Array.from(g.tokens), finished: g.finished };
  const o: DatesOutcome = { kind: 'dates', text, finished: g.finished, logprob: translationLogprob(m, ids, written, masks), ids: { tokens: Array.from(g.tokens), finished: g.finished } };
  return o;
}
type DatesOutcome = Extract<Outcome, { kind: 'dates' }> & { ids: { tokens: number[]; finished: boolean } };

/** log P(translation | source) under the masks: the decoder fed <bos> + tokens, summing the log-probability of each
 * next token (and of <eos> when the translation finished). */
function translationLogprob(m: Model, src: Int32Array, t: { tokens: number[]; finished: boolean }, masks: Record<string, Tensor>) {
  const targets = t.finished ? [...t.tokens, EOS] : t.tokens;
  if (!targets.length) return 0;
  const tgt = [BOS, ...targets].slice(0, targets.length);
  const out = m.forward(src, { tgt, trace: 'none', ...masks });
  let sum = 0;
  targets.forEach((id, i) => (sum += Math.log(softmaxRow(out.logits, i)[id])));
  return sum;
}

/** The size of the change from `before` to `after` (see the top of this file). */
export function changeOf(before: Outcome, after: Outcome): number {
  if (before.kind === 'lm' && after.kind === 'lm') return before.top - after.top;
  if (before.kind === 'tagger' && after.kind === 'tagger')
    return before.tags.reduce((s, t, i) => s + t.original - after.tags[i].original, 0) / Math.max(1, before.tags.length);
  if ((before.kind === 'dates' && after.kind === 'dates') || (before.kind === 'lab' && after.kind === 'lab')) return before.logprob - after.logprob;
  if (before.kind === 'mlm' && after.kind === 'mlm')  // the mean drop of P(first choice) over the [MASK]s
    return before.masks.reduce((s, m, i) => s + m.top - after.masks[i].top, 0) / Math.max(1, before.masks.length);
  throw new Error('outcomes of different models');
}

/** The per-head means over the held-out texts (Model.headMeans), once per model: the language model's texts after
 * <bos>, the translator's decoder reading its own greedy translations. */
const meansCache = new WeakMap<Model, Record<string, Tensor>>();
export function heldOutMeans(model: AblationModel, s: Shipped): Record<string, Tensor> {
  const cached = meansCache.get(s.model);
  if (cached) return cached;
  const maxLen = Number(s.model.config.max_len);
  const seqs: Int32Array[] = [];
  const tgts: Int32Array[] = [];
  for (const text of s.heldout) {
    const ids = s.tokenizer.encode(text, { maxTokens: maxLen - 1 }).ids;
    if (!ids.length) continue;
    seqs.push(model === 'lm' ? Int32Array.from([BOS, ...ids]) : ids);
    if (model === 'dates') tgts.push(Int32Array.from([BOS, ...s.model.greedy(ids, { bos: BOS, eos: EOS, max_len: DATES_MAX_LEN, trace: 'none' }).tokens]));
  }
  const means = s.model.headMeans(seqs, model === 'dates' ? tgts : undefined) as unknown as Record<string, Tensor>;
  meansCache.set(s.model, means);
  return means;
}

export function runAblation(s: Shipped, a: AblationArgs): AblationResult {
  const groups = groupsOf(a.model, s.model.config);
  const removed = headsIn(groups, a.removed);
  const { ids, tokens, truncated } = readInput(a.model, s, a.text);
  const result: AblationResult = { tokens, truncated, groups, removed, before: emptyOutcome(a.model), after: emptyOutcome(a.model), change: 0 };
  if (!tokens.length) return result;
  const means = a.mode === 'mean' ? heldOutMeans(a.model, s) : undefined;
  const before = outcome(a.model, s, ids, {});
  const after = outcome(a.model, s, ids, headMaskOptions(groups, removed, means), before);
  result.before = strip(before);
  result.after = strip(after);
  result.change = removed.length ? changeOf(before, after) : 0;
  if (before.kind === 'tagger' && after.kind === 'tagger') result.changedTags = before.tags.filter((t, i) => t.tag !== after.tags[i].tag).length;
  if (a.rank) {
    result.ranking = everyHead(groups)
      .map((head) => ({ head, change: changeOf(before, rankOutcome(a.model, s, ids, headMaskOptions(groups, [head], means), before)) }))
      .sort((x, y) => y.change - x.change);
  }
  return result;
}

/** The outcome a ranking needs: for the translator only the log-probability of the original translation (no greedy
 * decoding per head). */
function rankOutcome(model: AblationModel, s: Shipped, ids: Int32Array, masks: Record<string, Tensor>, before: Outcome): Outcome {
  if (model !== 'dates') return outcome(model, s, ids, masks, before);
  return { ...(before as DatesOutcome), logprob: translationLogprob(s.model, ids, (before as DatesOutcome).ids, masks) };
}

function emptyOutcome(model: AblationModel): Outcome {
  if (model === 'lm') return { kind: 'lm', next: [], top: 0 };
  if (model === 'tagger') return { kind: 'tagger', tags: [] };
  return { kind: 'dates', text: '', finished: false, logprob: 0 };
}

/** An outcome without its internals (the translator's token ids). */
function strip(o: Outcome): Outcome {
  if (o.kind !== 'dates') return o;
  return { kind: 'dates', text: o.text, finished: o.finished, logprob: o.logprob };
}
