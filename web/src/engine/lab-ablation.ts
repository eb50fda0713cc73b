// Head ablation of a training run from the lab, opened in the explorer: the AblationResult of the shipped models
// (ablation.ts), from Run.infer with head masks, Run.logProb and Run.headMeans (engine/train/run.h). The outcome
// ('lab') is the run's answer to the input: its greedy answer for models with a decoder, one label per position
// for an encoder-only run, as Run.infer gives it. The size of a change is the drop of log P(the full model's
// answer), teacher-forced (nats), as the translator's. Mean ablation: a removed head outputs its mean context
// vector over the run's held-out examples (teacher-forced, computed once per run: a few hundred small forwards).
import type { Run, Tensor } from '../../../engine/bindings/attn';
import { changeOf, everyHead, headMaskOptions, headsIn, type AblationResult, type GroupInfo, type HeadRef, type Outcome } from './ablation';

export interface LabAblationArgs {
  /** The run, by the id the lab keeps it under (the explorer's `run`). */
  run: string;
  text: string;
  removed: HeadRef[];
  mode: 'zero' | 'mean';
  rank: boolean;
}

type LabOutcome = Extract<Outcome, { kind: 'lab' }>;
/** An outcome with what the page does not show: the answer's ids (to score it again) and the input as read. */
type Measured = LabOutcome & { ids: Int32Array; input: string };

/** The attention kinds of a run's model whose heads can be switched off, with their sizes. */
export function labGroups(run: Run): GroupInfo[] {
  const m = run.config.model;
  const H = Number(m.nhead);
  const L = Number(m.num_layers);
  if (m.arch !== 'encoder-decoder')
    return [{ group: 'self', title: m.arch === 'encoder' ? 'Bidirectional self-attention' : 'Causal self-attention', layers: L, heads: H }];
  const D = Number(m.num_decoder_layers);
  return [
    { group: 'encoder', title: 'Encoder self-attention', layers: L, heads: H },
    { group: 'decoder', title: 'Decoder self-attention', layers: D, heads: H },
    { group: 'cross', title: 'Cross-attention', layers: D, heads: H },
  ];
}

/** A run's text as symbols: a date's characters, a toy task's numbers (written with spaces between them). */
const spaced = (run: Run) => run.config.task?.name !== 'dates';
function symbols(run: Run, text: string): string[] {
  return spaced(run) ? text.split(' ').filter(Boolean) : Array.from(text);
}

/** The run's answer to the text under `masks`, and the log-probability of `reference`'s answer (default: its own). */
function outcome(run: Run, text: string, masks: Record<string, Tensor>, reference?: Measured): Measured {
  const r = run.infer(text, { trace: 'weights', ...masks });
  const scored = reference ? { tokens: reference.ids, finished: reference.finished } : r;
  return {
    kind: 'lab', output: symbols(run, r.output), spaced: spaced(run), finished: r.finished, labels: run.config.model.arch === 'encoder',
    logprob: run.logProb(text, scored, masks), ids: r.tokens, input: r.input,
  };
}

/** The run's held-out means, once per run. */
const meansCache = new WeakMap<Run, Record<string, Tensor>>();
function heldOutMeans(run: Run) {
  let means = meansCache.get(run);
  if (!means) meansCache.set(run, (means = run.headMeans() as unknown as Record<string, Tensor>));
  return means;
}

export function runLabAblation(run: Run, a: LabAblationArgs): AblationResult {
  const groups = labGroups(run);
  const removed = headsIn(groups, a.removed);
  const empty: LabOutcome = { kind: 'lab', output: [], spaced: spaced(run), finished: false, labels: run.config.model.arch === 'encoder', logprob: 0 };
  const result: AblationResult = { tokens: [], truncated: '', groups, removed, before: empty, after: empty, change: 0 };
  if (!a.text.trim()) return result;
  const means = a.mode === 'mean' ? heldOutMeans(run) : undefined;
  const before = outcome(run, a.text, {});
  const after = outcome(run, a.text, headMaskOptions(groups, removed, means), before);
  result.tokens = symbols(run, before.input);
  result.before = strip(before);
  result.after = strip(after);
  result.change = removed.length ? changeOf(before, after) : 0;
  if (a.rank) {
    // Each head alone: only the log-probability of the full model's answer (no decoding per head).
    const answer = { tokens: before.ids, finished: before.finished };
    result.ranking = everyHead(groups)
      .map((head) => ({ head, change: before.logprob - run.logProb(a.text, answer, headMaskOptions(groups, [head], means)) }))
      .sort((x, y) => y.change - x.change);
  }
  return result;
}

/** An outcome as the page shows it. */
function strip({ ids: _ids, input: _input, ...o }: Measured): LabOutcome {
  return o;
}
