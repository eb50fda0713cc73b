// The engine functions that widgets call in the worker, by name, with plain data in and out (tensors are
// {data: Float32Array, shape}). Each entry is [arguments, result]. The worker runs them with `runCall`; the page
// calls them through EngineClient.call, so every number a widget shows is computed by the engine.
import type {
  DecoderOptions,
  EncoderOptions,
  Engine,
  LayerResult,
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
}

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
