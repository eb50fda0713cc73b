// The engine functions that widgets call in the worker, by name, with plain data in and out (tensors are
// {data: Float32Array, shape}). Each entry is [arguments, result]. The worker runs them with `runCall`; the page
// calls them through EngineClient.call, so every number a widget shows is computed by the engine.
import type {
  DecoderOptions,
  EncoderOptions,
  Engine,
  LayerResult,
  LiveHandles,
  MhaOptions,
  MhaResult,
  ModelConfig,
  SdpaOptions,
  SdpaResult,
  Tensor,
  TensorLike,
} from '../../../engine/bindings/attn';

export interface Calls {
  /** F.scaled_dot_product_attention with its intermediate steps. */
  sdpa: [SdpaOptions, SdpaResult];
  /** nn.MultiheadAttention; `trace: true` adds every step per head. */
  mha: [MhaOptions, MhaResult];
  /** nn.TransformerEncoderLayer, with the norms, residuals and feed-forward in the trace. */
  encoderLayer: [EncoderOptions, LayerResult];
  /** nn.TransformerDecoderLayer (self-attention, cross-attention over the memory, feed-forward), traced alike. */
  decoderLayer: [DecoderOptions, LayerResult];
  /** relu / gelu elementwise with the derivative: for plotting the curves. */
  activation: [{ name: 'relu' | 'gelu'; input: TensorLike }, { output: Tensor; derivative: Tensor }];
  /** The sinusoidal encoding, [length, d_model]. */
  positionalEncoding: [{ length: number; d_model: number }, Tensor];
  /** One parameter of a shipped trained model (loaded in the worker if needed), e.g. the language model's
   * learned positions "pos_embed.weight" [max_len, d_model]. Handled by the worker, which owns the models. */
  trainedParameter: [{ model: 'lm' | 'tagger' | 'dates'; name: string }, Tensor];
  /** A seeded untrained model run on token ids: the attention weights of each layer, [H, L, L]. */
  modelAttention: [{ config: ModelConfig; seed: number; ids: number[] }, { weights: Tensor[] }];
  /** The explorer's untrained model (its settings) or lab model (its run) as a .safetensors file (float32), for the
   * PyTorch script. Handled by the worker, which owns the models. */
  modelFile: [{ model: 'untrained' | 'lab'; settings: ModelSettings; run?: string }, Uint8Array];
  /** The worker's engine memory and live handles (Engine.memoryUse, Engine.liveHandles): for soak tests. */
  engineMemory: [Record<string, never>, EngineMemory];
}

/** A worker's engine memory and the engine objects alive in it (bench/soak.mjs samples them). */
export type EngineMemory = ReturnType<Engine['memoryUse']> & { handles: LiveHandles };

export type CallName = keyof Calls;
export type CallArgs<N extends CallName> = Calls[N][0];
export type CallResult<N extends CallName> = Calls[N][1];

/** Runs one call on the engine (in the worker). Throws the engine's AttnError on bad input. */
export function runCall<N extends CallName>(engine: Engine, name: N, args: CallArgs<N>): CallResult<N> {
  switch (name) {
    case 'sdpa':
      return engine.scaledDotProductAttention(args as SdpaOptions) as CallResult<N>;
    case 'mha':
      return engine.multiheadAttention(args as MhaOptions) as CallResult<N>;
    case 'encoderLayer':
      return engine.transformerEncoderLayer(args as EncoderOptions) as CallResult<N>;
    case 'decoderLayer':
      return engine.transformerDecoderLayer(args as DecoderOptions) as CallResult<N>;
    case 'activation': {
      const a = args as CallArgs<'activation'>;
      return engine.activation(a.name, a.input) as CallResult<N>;
    }
    case 'positionalEncoding': {
      const a = args as CallArgs<'positionalEncoding'>;
      return engine.positionalEncoding(a.length, a.d_model) as CallResult<N>;
    }
    case 'modelAttention': {
      const a = args as CallArgs<'modelAttention'>;
      const model = engine.createModel(a.config, a.seed);
      try {
        const out = model.forward(a.ids, { trace: 'weights' });
        const layers = Number(model.config.num_layers);
        const prefix = model.config.arch === 'decoder' ? 'decoder' : 'encoder';
        const weights = Array.from({ length: layers }, (_, l) => out.trace[`${prefix}.layers.${l}.self_attn.weights`]);
        return { weights } as CallResult<N>;
      } finally {
        model.delete();
      }
    }
    case 'trainStep':
      return runTrainStep(engine, args as TrainStepArgs) as CallResult<N>;
    case 'engineMemory':
      return { ...engine.memoryUse(), handles: engine.liveHandles() } as CallResult<N>;
    case 'attentionRollout':
    case 'attentionFlow': {
      const { attentions, options } = args as CallArgs<'attentionFlow'>;
      const t = name === 'attentionFlow' ? engine.attentionFlow(attentions, options) : engine.attentionRollout(attentions, options);
      return t as CallResult<N>;
    }
    default:
      throw new Error(`unknown engine call "${String(name)}"`);  // trainedParameter is answered by the worker
  }
}

/** The typed arrays inside a result, to transfer them from the worker instead of copying. */
export function transferables(value: unknown, out: Transferable[] = [], seen = new Set<unknown>()): Transferable[] {
  if (!value || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    if (!out.includes(value.buffer as ArrayBuffer)) out.push(value.buffer as ArrayBuffer);
    return out;
  }
  for (const v of Object.values(value)) transferables(v, out, seen);
  return out;
}

// ------------------------------------------------------------------------------- ablation (<attn-ablation>)
import type { AblationArgs, AblationResult } from './ablation';
import type { HfAblationArgs } from './hf-ablation';
import type { LabAblationArgs } from './lab-ablation';

export interface Calls {
  /** Heads of a shipped model switched off: the output with all heads and without them, the size of the change, and
   * every head ranked by the change its removal alone makes (ablation.ts). Answered by the worker, which owns the
   * models. */
  ablation: [AblationArgs, AblationResult];
  /** The same for a Hugging Face checkpoint the worker holds (hf-ablation.ts), its ranking asked for in parts. */
  hfAblation: [HfAblationArgs, AblationResult];
  /** The same for the lab run the worker holds (lab-ablation.ts). */
  labAblation: [LabAblationArgs, AblationResult];
}

// ------------------------------------------------------------------------------- trainStep (<attn-train-step>)
import type { Batch, EvalStats, StepDetails, TaskSpec, TrainConfig } from '../../../engine/bindings/attn';
import type { ModelSettings } from '../state/store';

export interface Calls {
  /** One training step taken apart, replayed from scratch (stateless): see runTrainStep. */
  trainStep: [TrainStepArgs, TrainStepResult];
}

/** Replays are capped: the widget says so when asked for more. */
export const TRAIN_STEP_MAX = 200;

export interface TrainStepArgs {
  model: ModelConfig;
  /** createModel's init seed. */
  seed: number;
  /** The toy task of every batch: step i (0-based) trains on taskBatch(task, batchSeed + i), or on
   * taskBatch(task, batchSeed) at every step when sameBatch. */
  task: TaskSpec;
  batchSeed: number;
  sameBatch: boolean;
  train: TrainConfig;
  /** n: steps 1 … n-1 run plainly, step n with {inspect: true}. 1 ≤ n ≤ TRAIN_STEP_MAX (clamped). */
  steps: number;
}

export interface TrainStepResult {
  /** Every step's training loss (before its update) and global gradient norm (before clipping), [n] each. */
  history: { loss: Float64Array; grad_norm: Float64Array };
  /** Step n's batch: src [B, S], tgt [B, T], targets [B, T] (Int32Arrays). */
  batch: Batch;
  /** Step n's forward pass: the argmax of the logits at each position, [B * T] (eval mode; dropout must be 0). */
  before: Pick<EvalStats, 'loss' | 'token_accuracy' | 'predictions'>;
  /** Step n taken apart: losses [B * T] (NaN where ignored), clip_coef, params [{name, shape, before, value, grad, state}]. */
  step: StepDetails;
  /** The same batch after step n's update. */
  after: Pick<EvalStats, 'loss' | 'token_accuracy' | 'predictions'>;
}

/** Creates the model, takes n - 1 plain steps and an inspected n-th one, evaluates its batch, deletes the model. */
function runTrainStep(engine: Engine, a: TrainStepArgs): TrainStepResult {
  const n = Math.max(1, Math.min(TRAIN_STEP_MAX, Math.floor(a.steps) || 1));
  const batchOf = (i: number) => engine.taskBatch(a.task, a.sameBatch ? a.batchSeed : a.batchSeed + i);
  const model = engine.createModel(a.model, a.seed);
  try {
    const trainer = model.trainer(a.train);  // AttnError with the engine's message for a bad config
    const loss = new Float64Array(n);
    const gradNorm = new Float64Array(n);
    for (let i = 0; i < n - 1; i++) {
      const s = trainer.step(batchOf(i));
      loss[i] = s.loss;
      gradNorm[i] = s.grad_norm;
    }
    const batch = batchOf(n - 1);
    const pick = (e: EvalStats) => ({ loss: e.loss, token_accuracy: e.token_accuracy, predictions: e.predictions });
    const before = pick(trainer.evaluate(batch));
    const step = trainer.step(batch, { inspect: true });
    loss[n - 1] = step.loss;
    gradNorm[n - 1] = step.grad_norm;
    return { history: { loss, grad_norm: gradNorm }, batch, before, step, after: pick(trainer.evaluate(batch)) };
  } finally {
    model.delete();
  }
}

// ------------------------------------------------------------------- rollout and flow (engine/rollout.ts, the explorer)
import type { FlowOptions, RolloutOptions } from '../../../engine/bindings/attn';

export interface Calls {
  /** Attention rollout of one self-attention stack (one [H, T, T] per layer): [L, T, T]. */
  attentionRollout: [{ attentions: Tensor[]; options?: RolloutOptions }, Tensor];
  /** Attention flow into the positions after options.layer (the last by default): [T, T]. An AttnError beyond the
   * engine's token limit (Engine.maxFlowTokens). */
  attentionFlow: [{ attentions: Tensor[]; options?: FlowOptions }, Tensor];
}
