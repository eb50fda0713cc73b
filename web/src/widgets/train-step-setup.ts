// What <attn-train-step> trains and how, as pure functions (no DOM): the tiny model, the toy task, the
// optimizer settings a learner picks and the engine call they make (calls.ts `trainStep`). The tests import this
// file to rebuild exactly what the widget sends to the engine.
//
// The model: nn.Transformer-style encoder-decoder, d_model 16, 2 heads, one encoder and one decoder layer,
// dim_feedforward 32, dropout 0, seeded init. The task: "reverse" with 8 symbols, sequences of 3 to 6, batches of
// 4 sequences (engine taskBatch, seeded). Ids: 0 <pad>, 1 <bos>, 2 <eos>, 3… the symbols "0"…"7".
// Shapes: src [B, S] = [4, ≤ 6]; tgt (decoder input: <bos> y) and targets (y <eos>) [B, T] = [4, ≤ 7]; logits
// [B, T, 11]. Targets equal to <pad> are ignored (ignore_index = 0).
import type { ModelConfig, TaskSpec, TrainConfig } from '../../../engine/bindings/attn';
import { TRAIN_STEP_MAX, type TrainStepArgs } from '../engine/calls';

export { TRAIN_STEP_MAX };

export const TRAIN_TASK: TaskSpec = { task: 'reverse', symbols: 8, min_len: 3, max_len: 6, arch: 'encoder-decoder', batch: 4 };
const VOCAB = (TRAIN_TASK.symbols ?? 8) + 3;

export const TRAIN_MODEL: ModelConfig = {
  arch: 'encoder-decoder',
  vocab_size: VOCAB,
  tgt_vocab_size: VOCAB,
  head_size: VOCAB,
  d_model: 16,
  nhead: 2,
  num_layers: 1,
  num_decoder_layers: 1,
  dim_feedforward: 32,
  dropout: 0,
  pad_id: 0,
  max_len: (TRAIN_TASK.max_len ?? 6) + 2, // taskBatch's max_positions (the longest target, y <eos>) + 1
};

export const TRAIN_SEEDS = { init: 1, batch: 100 };
export const PAD = 0;

export type OptimizerName = 'sgd' | 'adam' | 'adamw';
export const OPTIMIZERS: OptimizerName[] = ['sgd', 'adam', 'adamw'];

/** What the learner sets, for one optimizer (torch.optim's argument names, clip = clip_grad_norm_'s max_norm). */
export interface OptimizerOptions {
  optimizer: OptimizerName;
  lr: number;
  momentum: number; // SGD
  dampening: number; // SGD
  nesterov: boolean; // SGD
  beta1: number; // Adam, AdamW
  beta2: number;
  eps: number;
  weightDecay: number;
  clip: number; // 0: no clipping
}

/** Defaults by optimizer: torch's, except lr (its own good value on this task) and AdamW's weight decay. */
export function optimizerDefaults(name: OptimizerName): OptimizerOptions {
  return {
    optimizer: name,
    lr: name === 'sgd' ? 0.1 : 0.01,
    momentum: 0,
    dampening: 0,
    nesterov: false,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: name === 'adamw' ? 0.01 : 0,
    clip: 1,
  };
}

/** The engine's training config (model.trainer): only the keys this optimizer reads, constant lr, pads ignored. */
export function trainConfigOf(o: OptimizerOptions): TrainConfig {
  const common = { optimizer: o.optimizer, lr: o.lr, weight_decay: o.weightDecay, clip_norm: o.clip, schedule: 'constant' as const, warmup: 0, ignore_index: PAD };
  return o.optimizer === 'sgd'
    ? { ...common, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov }
    : { ...common, beta1: o.beta1, beta2: o.beta2, eps: o.eps };
}

/** The worker call: replay n steps from the seeded init on the seeded batches, the n-th taken apart. */
export function trainStepCall(o: OptimizerOptions, steps: number, sameBatch: boolean): TrainStepArgs {
  return {
    model: TRAIN_MODEL,
    seed: TRAIN_SEEDS.init,
    task: TRAIN_TASK,
    batchSeed: TRAIN_SEEDS.batch,
    sameBatch,
    train: trainConfigOf(o),
    steps,
  };
}

/** The optimizer's name as a learner reads it: "SGD", "SGD + momentum", "SGD + Nesterov", "Adam", "AdamW". */
export function optimizerLabel(o: Pick<OptimizerOptions, 'optimizer' | 'momentum' | 'nesterov'>) {
  if (o.optimizer === 'adam') return 'Adam';
  if (o.optimizer === 'adamw') return 'AdamW';
  return o.momentum > 0 ? (o.nesterov ? 'SGD + Nesterov' : 'SGD + momentum') : 'SGD';
}

// ---------------------------------------------------------------------------------- the comparison spec

const SPEC_KEYS: Record<string, keyof OptimizerOptions> = {
  lr: 'lr', momentum: 'momentum', dampening: 'dampening', nesterov: 'nesterov', beta1: 'beta1', beta2: 'beta2',
  eps: 'eps', 'weight-decay': 'weightDecay', clip: 'clip',
};

/**
 * The comparison optimizer as one attribute: "sgd", "adam", or with settings "sgd:lr=0.1,momentum=0.9,nesterov=true"
 * (keys as the widget's own attributes; absent keys take the optimizer's defaults). "" or "none": no comparison.
 * Returns the options, or an error message and the options it could read.
 */
export function parseCompare(spec: string): { options?: OptimizerOptions; error?: string } {
  const text = spec.trim().toLowerCase();
  if (text === '' || text === 'none') return {};
  const [name, rest = ''] = text.split(':', 2);
  if (!OPTIMIZERS.includes(name as OptimizerName))
    return { options: optimizerDefaults('sgd'), error: `compare must start with sgd, adam or adamw (or be "none"); comparing with SGD.` };
  const o = optimizerDefaults(name as OptimizerName);
  const bad: string[] = [];
  for (const part of rest.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [k, v = ''] = part.split('=', 2).map((x) => x.trim());
    const key = SPEC_KEYS[k];
    if (!key) bad.push(`unknown setting "${k}"`);
    else if (key === 'nesterov') o.nesterov = /^(true|1|on|yes)$/.test(v);
    else if (v === '' || !Number.isFinite(Number(v))) bad.push(`${k} must be a number`);
    else (o[key] as number) = Number(v);
  }
  return { options: o, error: bad.length ? `compare: ${bad.join(', ')}; using the default there.` : undefined };
}

/** The spec of `o`: its optimizer and the settings that differ from that optimizer's defaults. */
export function formatCompare(o: OptimizerOptions): string {
  const d = optimizerDefaults(o.optimizer);
  const sgd = o.optimizer === 'sgd';
  const keys = Object.entries(SPEC_KEYS).filter(([, k]) => (sgd ? !['beta1', 'beta2', 'eps'].includes(k) : !['momentum', 'dampening', 'nesterov'].includes(k)));
  const parts = keys.filter(([, k]) => o[k] !== d[k]).map(([name, k]) => `${name}=${o[k]}`);
  return parts.length ? `${o.optimizer}:${parts.join(',')}` : o.optimizer;
}

// ----------------------------------------------------------------------------------------------- helpers

/** A token id as the task writes it. */
export function tokenLabel(id: number): string {
  if (id === 0) return '·';
  if (id === 1) return 'bos';
  if (id === 2) return 'eos';
  return String(id - 3);
}

/** The L2 norm of a tensor, in float64 (what clip_grad_norm_ sums over every parameter). */
export function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** A parameter's tensor as a matrix: [rows, cols] for 2-d weights, [1, n] for biases and norms. */
export function matrixShape(shape: number[]): [number, number] {
  return shape.length === 2 ? [shape[0], shape[1]] : [1, shape.reduce((a, b) => a * b, 1)];
}
