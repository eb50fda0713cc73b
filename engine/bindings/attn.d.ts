// Types of engine/bindings/attn.mjs, the JavaScript API of the attention engine.

/** A row-major float32 tensor. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** What the API accepts as a tensor: a Tensor, or nested arrays. */
export type TensorLike = Tensor | { data: ArrayLike<number>; shape: number[] } | NestedNumbers;
type NestedNumbers = number[] | NestedNumbers[];
/** Masks: boolean (nested booleans, Uint8Array data, or dtype "bool") or float (added to the scores). */
export type MaskLike =
  | TensorLike
  | { data: ArrayLike<number | boolean> | Uint8Array; shape: number[]; dtype?: 'bool' | 'float32' }
  | NestedBooleans;
type NestedBooleans = boolean[] | NestedBooleans[];

export class AttnError extends Error {}

export interface LoadOptions {
  wasmUrl?: string | URL;
  wasmBinary?: Uint8Array | ArrayBuffer;
  /** The build with threads (engine/mt/) only: threads for the matrix products, the caller's included (default: the cores, at most 4). */
  threads?: number;
  onProgress?: (loaded: number, total: number) => void;
}
export function loadEngine(options?: LoadOptions): Promise<Engine>;
export function tensor(data: ArrayLike<number>, shape: number[]): Tensor;
/** The bytes at `url` (under Node, a file: URL reads the file), with download progress; throws AttnError on HTTP errors. */
export function fetchBytes(url: URL, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array>;

export interface ScaleOptions {
  /** false: do not multiply scores by 1/sqrt(d_k) (teaching toggle). Default true. */
  scaled?: boolean;
  /** Divide the scaled scores by this before the softmax. Default 1. */
  temperature?: number;
}

export interface SdpaOptions extends ScaleOptions {
  query: TensorLike;
  key: TensorLike;
  value: TensorLike;
  /** Boolean: True = may attend (PyTorch SDPA convention). Float: added. Broadcast to [..., L, S]. */
  attn_mask?: MaskLike;
  dropout_p?: number;
  is_causal?: boolean;
  /** Custom scale factor (PyTorch >= 2.1 `scale=`); default 1/sqrt(E). */
  scale?: number;
  seed?: number;
}
export interface SdpaResult {
  output: Tensor;
  weights: Tensor;
  scores: Tensor;
  scaled: Tensor;
  mask?: Tensor;
  dropped?: Tensor;
}

/** The Trace of one attention block, batch-first, one matrix per head. */
export interface AttentionTrace {
  q: Tensor; // [B, H, L, Dh]
  k: Tensor; // [B, H, S, Dh]
  v: Tensor; // [B, H, S, Dh]
  scores?: Tensor; // [B, H, L, S]
  scaled?: Tensor; // [B, H, L, S]
  mask?: Tensor; // [B, H, L, S]
  weights: Tensor; // [B, H, L, S]
  dropped?: Tensor;
  heads: Tensor; // [B, H, L, Dh]
  concat: Tensor; // [B, L, E]
  output: Tensor; // [B, L, E]
}

export interface MhaOptions extends ScaleOptions {
  embed_dim: number;
  num_heads: number;
  kdim?: number;
  vdim?: number;
  bias?: boolean;
  dropout?: number;
  batch_first?: boolean;
  /** in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias (or q/k/v_proj_weight when kdim/vdim differ). */
  params: Record<string, TensorLike>;
  query: TensorLike;
  key?: TensorLike;
  value?: TensorLike;
  /** [B, S]; boolean True = ignore this key. */
  key_padding_mask?: MaskLike;
  /** [L, S] or [B*H, L, S]; boolean True = not allowed. */
  attn_mask?: MaskLike;
  need_weights?: boolean;
  average_attn_weights?: boolean;
  is_causal?: boolean;
  training?: boolean;
  seed?: number;
  trace?: boolean;
}
export interface MhaResult {
  attn_output: Tensor;
  attn_output_weights: Tensor | null;
  trace?: AttentionTrace;
}

export interface LayerOptions extends ScaleOptions {
  d_model: number;
  nhead: number;
  dim_feedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layer_norm_eps?: number;
  batch_first?: boolean;
  norm_first?: boolean;
  params: Record<string, TensorLike>;
  training?: boolean;
  seed?: number;
  record_scores?: boolean;
}
export interface EncoderOptions extends LayerOptions {
  src: TensorLike;
  src_mask?: MaskLike;
  src_key_padding_mask?: MaskLike;
  is_causal?: boolean;
}
export interface DecoderOptions extends LayerOptions {
  tgt: TensorLike;
  memory: TensorLike;
  tgt_mask?: MaskLike;
  memory_mask?: MaskLike;
  tgt_key_padding_mask?: MaskLike;
  memory_key_padding_mask?: MaskLike;
  tgt_is_causal?: boolean;
}
export interface StackOptions {
  num_layers: number;
  /** A final LayerNorm ("norm.weight", "norm.bias"). */
  norm?: boolean;
}
export interface LayerResult {
  output: Tensor;
  /** e.g. "self_attn.weights" or "layers.1.multihead_attn.weights": [B, H, L, S]. */
  trace: Record<string, Tensor>;
}

export interface ModelConfig {
  arch?: 'encoder' | 'decoder' | 'encoder-decoder';
  vocab_size: number;
  tgt_vocab_size?: number;
  num_layers?: number;
  num_decoder_layers?: number;
  d_model: number;
  nhead: number;
  dim_feedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  norm_first?: boolean;
  layer_norm_eps?: number;
  bias?: boolean;
  positional?: 'none' | 'sinusoidal' | 'learned';
  max_len?: number;
  scale_embedding?: boolean;
  causal?: boolean;
  final_norm?: boolean;
  head_size?: number;
  pad_id?: number;
  tie_embeddings?: boolean;
  scaled?: boolean;
  temperature?: number;
}

export interface ForwardResult {
  logits: Tensor;
  trace: Record<string, Tensor>;
}

export interface HeadStatJs {
  entropy: number;
  previous: number;
  self: number;
  next: number;
  first: number;
  punct: number;
  max: number;
  rows: number;
}

/** A batch of token ids, row-major, padded (see engine/train/trainer.h). */
export interface Batch {
  B: number;
  S: number;
  T: number;
  src: Int32Array;
  tgt: Int32Array;
  targets: Int32Array;
  vocab_size?: number;
  max_positions?: number;
}

export interface TrainConfig {
  optimizer?: 'sgd' | 'adam' | 'adamw';
  lr?: number;
  /** Adam, AdamW. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** SGD (torch.optim.SGD): momentum in [0, 1), dampening in [0, 1], Nesterov (momentum > 0, dampening 0). */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weight_decay?: number;
  clip_norm?: number;
  schedule?: 'constant' | 'linear' | 'cosine';
  warmup?: number;
  total_steps?: number;
  min_lr_ratio?: number;
  label_smoothing?: number;
  ignore_index?: number;
  seed?: number;
}

export interface StepStats {
  step: number;
  loss: number;
  grad_norm: number;
  lr: number;
  tokens: number;
}

/** One parameter after a step with {inspect: true}. */
export interface StepParam {
  name: string;
  shape: number[];
  before: Float32Array;
  value: Float32Array;
  /** The gradient as the optimizer used it (after clipping). */
  grad: Float32Array;
  /** torch.optim's state of the parameter: exp_avg and exp_avg_sq (Adam, AdamW), momentum_buffer (SGD). */
  state: { exp_avg?: Float32Array; exp_avg_sq?: Float32Array; momentum_buffer?: Float32Array };
}

export interface StepDetails extends StepStats {
  /** Each output position's loss [B * out_len], NaN where the target is ignored. */
  losses: Float64Array;
  /** What clipping multiplied every gradient by (1: not clipped). */
  clip_coef: number;
  params: StepParam[];
}

export interface EvalStats {
  loss: number;
  token_accuracy: number;
  exact_match: number;
  tokens: number;
  correct: number;
  sequences: number;
  exact: number;
  predictions: Int32Array;
}

export class Trainer {
  readonly model: Model;
  step(batch: Batch): StepStats;
  step(batch: Batch, options: { inspect: true }): StepDetails;
  evaluate(batch: Batch): EvalStats;
}

export interface TaskSpec {
  task?: TaskName;
  symbols?: number;
  min_len?: number;
  max_len?: number;
  arch?: 'encoder' | 'decoder' | 'encoder-decoder';
  batch?: number;
  /** 'train' (the default) or 'held-out': 1 in 8 inputs, by a hash, never in training batches. */
  split?: 'train' | 'held-out';
}

/**
 * Head ablation, by Hugging Face's names. head_mask: [layers, H], or [H] for every layer; it multiplies each head's
 * attention weights after the softmax (1 keeps a head, 0 removes its contribution, a fraction scales it); it is
 * the encoder's, or the only stack's (decoder-only models, GPT-2, BERT, DistilBERT). decoder_head_mask and
 * cross_attn_head_mask: an encoder-decoder model's decoder self-attention and cross-attention. The means (the
 * engine's mean ablation, [layers, H, Dh], e.g. from Model.headMeans): what a removed head outputs instead of
 * zeros, head output = m * (weights V) + (1 - m) * mean.
 */
export interface HeadMaskOptions {
  head_mask?: TensorLike;
  decoder_head_mask?: TensorLike;
  cross_attn_head_mask?: TensorLike;
  head_mean?: TensorLike;
  decoder_head_mean?: TensorLike;
  cross_attn_head_mean?: TensorLike;
}

/** Model.headMeans: each head's context vector averaged over every position, [layers, H, Dh]. */
export interface HeadMeans {
  head_mean: Tensor;
  decoder_head_mean?: Tensor;
  cross_attn_head_mean?: Tensor;
}

export class Model {
  readonly config: Required<ModelConfig>;
  readonly metadata: Record<string, string>;
  /** Head masks apply at every step. */
  greedy(
    src: Int32Array | number[],
    options?: { bos?: number; eos?: number; max_len?: number; trace?: 'none' | 'weights' | 'full' } & HeadMaskOptions,
  ): ForwardResult & { tokens: Int32Array; finished: boolean };
  /** The means of mean ablation over seqs (tgts: an encoder-decoder model's decoder inputs, one per sequence). */
  headMeans(seqs: (Int32Array | number[])[], tgts?: (Int32Array | number[])[]): HeadMeans;
  save(options?: { f16?: boolean }): Uint8Array;
  trainer(config?: TrainConfig): Trainer;
  headStats(
    seqs: (Int32Array | number[])[],
    punct: (Uint8Array | number[])[],
    tgts?: (Int32Array | number[])[],
  ): Partial<Record<'encoder' | 'decoder' | 'cross', HeadStatJs[][]>>;
  readonly numParameters: number;
  reset(seed?: number): void;
  stateDict(): Record<string, Tensor>;
  loadStateDict(state: Record<string, TensorLike>): void;
  forward(
    ids: Int32Array | number[],
    options?: { tgt?: Int32Array | number[]; batch?: number; trace?: 'none' | 'weights' | 'full' } & HeadMaskOptions,
  ): ForwardResult;
  delete(): void;
}

/** Options of Engine.attentionRollout (engine/models/rollout.h). */
export interface RolloutOptions {
  /** r in A' = (1 - r)·A + r·I, rows renormalized: the residual connection's share. 0.5 (the paper); 0: raw attention. */
  residual?: number;
  /** The heads averaged ('mean', the default), or one head of every layer (0-based). */
  head?: number | 'mean';
}

/** Options of Engine.attentionFlow. */
export interface FlowOptions extends RolloutOptions {
  /** The flow into the positions after this layer (0-based); the last by default. */
  layer?: number;
  /** Divide each row by its sum, as the paper's code does (default true); false keeps the raw maximum flows. */
  normalize?: boolean;
}

export interface LiveHandles { models: number; tokenizers: number; runs: number; hfModels: number; hfTokenizers: number; total: number }

export class Engine {
  readonly info: { name: string; version: string; simd128: boolean; eigen: string; threadsBuild: boolean; threads: number };
  /** The engine objects alive now (freed by their delete()): for leak checks. Tensors are copies, not handles. */
  liveHandles(): LiveHandles;
  /** The WebAssembly memory's size (it only grows) and the bytes malloc has handed out and not had back. */
  memoryUse(): { memoryBytes: number; heapBytes: number };
  scaledDotProductAttention(options: SdpaOptions): SdpaResult;
  multiheadAttention(options: MhaOptions): MhaResult;
  transformerEncoderLayer(options: EncoderOptions): LayerResult;
  transformerEncoder(options: EncoderOptions & StackOptions): LayerResult;
  transformerDecoderLayer(options: DecoderOptions): LayerResult;
  transformerDecoder(options: DecoderOptions & StackOptions): LayerResult;
  positionalEncoding(length: number, d_model: number): Tensor;
  /** relu, gelu (exact erf form), gelu_tanh (GPT-2's) or silu (swish, Marian's) elementwise, and the derivative. */
  activation(name: 'relu' | 'gelu' | 'gelu_tanh' | 'silu', input: TensorLike): { output: Tensor; derivative: Tensor };
  createModel(config: ModelConfig, seed?: number): Model;
  loadModel(bytes: Uint8Array | ArrayBuffer): Model;
  taskBatch(spec?: TaskSpec, seed?: number): Batch;
  bleu(hypotheses: ArrayLike<number>[], references: ArrayLike<number>[]): {
    bleu: number;
    precisions: number[];
    brevity_penalty: number;
    hyp_length: number;
    ref_length: number;
  };
  f1(gold: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number, ignore?: number): {
    macro: number;
    micro: number;
    per_class: number[];
  };
  /** Attention rollout, [L, T, T]: row i of layer l = each input token's share in position i after layer l.
   * attentions: one [1, H, T, T] or [H, T, T] per layer of one self-attention stack (docs/rollout.md). */
  attentionRollout(attentions: TensorLike[], options?: RolloutOptions): Tensor;
  /** Attention flow, [T, T]: the maximum flow from each input token (column) to each position (row) after `layer`,
   * rows normalized. Throws an AttnError beyond maxFlowTokens(layers) tokens. */
  attentionFlow(attentions: TensorLike[], options?: FlowOptions): Tensor;
  /** The most tokens attentionFlow takes through this many layers. */
  maxFlowTokens(layers: number): number;
}

// ------------------------------------------------------------------------------------------------ tokenizers

export interface TokenizerEncoding {
  ids: Int32Array;
  /** Vocabulary strings of the ids (byte-level BPE: 'Ġthe' for ' the'). */
  tokens: string[];
  /** [start, end) in UTF-16 code units of the input; whole characters (tokens sharing one overlap). */
  offsets: [number, number][];
  /** Stopped at maxTokens, or the input's UTF-8 was longer than 1 MiB. */
  truncated: boolean;
  /** Invalid input (lone surrogates) read as U+FFFD. */
  replaced: number;
}

export interface TrainTokenizerOptions {
  kind?: 'bpe' | 'char';
  texts: string[];
  /** bpe: the vocabulary size to reach (special tokens and the 256 byte tokens included). Default 1000. */
  vocabSize?: number;
  /** char: keep characters seen at least this often. Default 1. */
  minCount?: number;
  /** The first ids, in order; each at least two characters, distinct. */
  specialTokens?: string[];
  /** char: the token of unknown characters (added to the special tokens when absent). Default '<unk>'. */
  unkToken?: string;
}

export class Tokenizer {
  readonly kind: 'bpe' | 'char';
  readonly vocabSize: number;
  /** Special tokens are never matched in `text`: add them by id. */
  encode(text: string, options?: { maxTokens?: number }): TokenizerEncoding;
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** -1 when absent. */
  tokenToId(token: string): number;
  idToToken(id: number): string | undefined;
  isSpecial(id: number): boolean;
  /** Hugging Face tokenizer.json text. */
  toJSON(): string;
  delete(): void;
}

export interface Engine {
  /** Throws AttnError naming the problem when the file is not a tokenizer.json this engine reads. */
  loadTokenizer(json: string | Uint8Array): Tokenizer;
  trainTokenizer(options: TrainTokenizerOptions): Tokenizer;
}

// ------------------------------------------------------------------------------------ Hugging Face checkpoints

export type HfFamily = 'gpt2' | 'bert' | 'distilbert' | 'marian';

export interface HfConfig {
  family: HfFamily;
  architectures: string[];
  vocab_size: number;
  d_model: number;
  num_layers: number;
  num_heads: number;
  ffn_dim: number;
  max_positions: number;
  layer_norm_eps: number;
  activation: 'relu' | 'gelu' | 'gelu_tanh' | 'silu';
  type_vocab_size: number;
  decoder_layers?: number;
  decoder_heads?: number;
  decoder_ffn_dim?: number;
  decoder_vocab_size?: number;
  decoder_start_token_id?: number;
  max_length?: number;
  /** GPT-2: its scores are divided by sqrt(Dh) (false: raw), and also by the layer index + 1. */
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
  /** The checkpoint has an output head (BertModel files have none). */
  lm_head: boolean;
  causal: boolean;
}

export type Ids = ArrayLike<number>;

/** Inputs of HfModel.forward: ids, masks, and head masks (HF's head_mask, decoder_head_mask, cross_attn_head_mask,
 * and the engine's means). */
export interface HfInputs extends HeadMaskOptions {
  input_ids: Ids;
  /** 1 = attend, 0 = padding. */
  attention_mask?: Ids;
  /** BERT's segments. */
  token_type_ids?: Ids;
  /** Marian: the target so far, from decoder_start_token_id. */
  decoder_input_ids?: Ids;
}

/** Hugging Face's output names and shapes (output_attentions=True, a batch of one). */
export interface HfOutputs {
  /** [1, N, V]: every position (N = T), or those of logit_positions. */
  logits?: Tensor;
  logit_positions?: number[];
  last_hidden_state: Tensor;
  /** gpt2, bert, distilbert: one [1, H, T, T] per layer. */
  attentions?: Tensor[];
  /** marian: [1, H, T, T], [1, H, Td, Td] and [1, H, Td, T] per layer. */
  encoder_attentions?: Tensor[];
  decoder_attentions?: Tensor[];
  cross_attentions?: Tensor[];
  trace?: Record<string, Tensor>;
  /** Positions taken from the cache (forward with cache: true); 0 for a full pass. */
  reused?: number;
}

export interface HfPrediction {
  id: number;
  token?: string;
  logit: number;
  probability: number;
}

export interface HfEncodedInput {
  input_ids: Int32Array;
  tokens?: string[];
  offsets?: [number, number][];
  truncated?: boolean;
}

export class HfModel {
  readonly family: HfFamily;
  readonly config: HfConfig;
  /** null when the folder had no tokenizer files. */
  readonly tokenizer: HfTokenizer | null;
  readonly dtype: 'F32' | 'F16' | 'BF16' | 'F64' | 'mixed';
  readonly unused: string[];
  readonly numParameters: number;
  readonly memoryBytes: number;
  /** The longest text (tokens) that fits in the engine's memory with this model (at most its positions). */
  readonly maxTokens: number;
  /** cache (GPT-2): continue from the last pass when its ids begin like these (same numbers, less work). */
  forward(inputs: HfInputs, options?: { logits?: 'all' | 'last' | 'none' | number[]; trace?: 'none' | 'weights' | 'full'; cache?: boolean }): HfOutputs;
  /** Head masks (options) apply at every step. */
  generate(input: string | HfInputs, options?: { maxNewTokens?: number; trace?: 'none' | 'weights' | 'full' } & HeadMaskOptions):
    HfOutputs & { sequences: Int32Array; text?: string; tokens?: string[]; input?: HfEncodedInput };
  nextTokens(text: string | Ids, options?: { topK?: number; trace?: 'none' | 'weights' | 'full'; cache?: boolean } & HeadMaskOptions):
    HfOutputs & { input: HfEncodedInput; predictions: HfPrediction[] };
  fillMask(text: string | Ids, options?: { topK?: number; trace?: 'none' | 'weights' | 'full' } & HeadMaskOptions):
    HfOutputs & { input: HfEncodedInput; masks: { position: number; predictions: HfPrediction[] }[] };
  headStats(seqs: Ids[], punct: ArrayLike<number>[], tgts?: Ids[]): Record<'encoder' | 'decoder' | 'cross', HeadStatJs[][]>;
  delete(): void;
}

export interface Engine {
  /**
   * Checks a model folder without reading its weights: weight files may be given by their first bytes,
   * {size, head}. Throws the AttnError loadHuggingFace would.
   */
  inspectHuggingFace(files: Record<string, Uint8Array | ArrayBuffer | string | { size: number; head: Uint8Array }>, options?: { maxBytes?: number }): {
    family: HfFamily; config: HfConfig; parameters: number; memoryBytes: number; maxTokens: number; dtype: string; unused: string[];
  };
  /** Opens a Hugging Face model folder ({'config.json': bytes, 'model.safetensors': bytes, ...}). */
  loadHuggingFace(files: Record<string, Uint8Array | ArrayBuffer | string>, options?: { maxBytes?: number }): HfModel;
}

// ------------------------------------------------------------------------------------ Hugging Face tokenizers

/** A Hugging Face repository's tokenizer files by name ('tokenizer.json', 'vocab.txt', 'vocab.json',
 * 'merges.txt', 'source.spm', 'target.spm', 'target_vocab.json', 'tokenizer_config.json',
 * 'special_tokens_map.json'); other names are ignored. */
export type HfTokenizerFiles = Record<string, Uint8Array | ArrayBuffer | string>;

export interface HfSpecialTokens {
  cls: number | null;
  sep: number | null;
  mask: number | null;
  pad: number | null;
  unk: number | null;
  bos: number | null;
  eos: number | null;
}

/** A checkpoint's tokenizer, run as Hugging Face runs it: added tokens in the text ("[MASK]", "<|endoftext|>")
 * become their ids, and encode adds the post-processor's tokens, with empty spans where they are inserted. */
export class HfTokenizer {
  readonly kind: 'bpe' | 'wordpiece' | 'sentencepiece';
  readonly vocabSize: number;
  /** Ids by role, null when the tokenizer has none. */
  readonly specialTokens: HfSpecialTokens;
  /** The files it was read from, e.g. 'tokenizer.json' or 'vocab.json + merges.txt'. */
  readonly source: string;
  /** The source-side vocabulary, id order (added tokens included). */
  readonly vocab: string[];
  /** Marian with target_vocab.json: the target side's vocabulary; otherwise the same array as vocab. */
  readonly targetVocab: string[];
  /** maxTokens counts the special tokens too; target (Marian): encode with the target side. */
  encode(text: string, options?: { maxTokens?: number; addSpecialTokens?: boolean; target?: boolean }): TokenizerEncoding;
  /** Marian: target-side ids, decoded with target.spm. */
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** -1 when absent. */
  tokenToId(token: string): number;
  idToToken(id: number): string | undefined;
  isSpecial(id: number): boolean;
  /** Throws: a Hugging Face tokenizer is not written back. */
  toJSON(): never;
  delete(): void;
}

export interface Engine {
  /** Throws AttnError naming the file and the problem when the files are not a tokenizer this engine reads. */
  loadHfTokenizer(files: HfTokenizerFiles): HfTokenizer;
}

// ------------------------------------------------------------------------------------------------ training runs

/** The lab's tasks (engine/train/tasks.h): toy tasks over numbers, dates over characters, summarize over words. */
export type TaskName = 'copy' | 'reverse' | 'sort' | 'repeat' | 'dates' | 'summarize';

/** A training run's config (engine/train/run.h). Absent keys take attn-train's defaults. */
export interface RunConfig {
  task?: { name?: TaskName; symbols?: number; min_len?: number; max_len?: number };
  /** A transformer's config, or arch 'lstm': the recurrent baseline without attention (d_model, num_layers). */
  model?: Partial<Omit<ModelConfig, 'arch'>> & { arch?: ModelConfig['arch'] | 'lstm' };
  train?: Record<string, number | string>;
  run?: { steps?: number; batch?: number; seed?: number; eval_size?: number; eval_every?: number };
}

export interface RunStats {
  step: Float64Array;
  loss: Float64Array;
  grad_norm: Float64Array;
  lr: Float64Array;
  tokens: Float64Array;
  diverged: boolean;
}

export interface RunAttention {
  /** Token labels: src (columns of encoder and cross-attention, or the whole sequence of a decoder-only model),
   * tgt_in (decoder inputs: rows and columns of decoder self-attention) and tgt_out (what each decoder row wrote). */
  labels: { src: string[]; tgt_in?: string[]; tgt_out?: string[] };
  trace: Record<string, Tensor>;
}

/** One training batch as the model gets it (a Batch; tgt is empty without an encoder), with its labels. */
export interface RunBatch extends Batch {
  ignore_index: number;
  vocab: string[];
}

export class Run {
  readonly config: Required<RunConfig> & { model: ModelConfig };
  readonly numParameters: number;
  readonly stepsDone: number;
  train(n?: number): RunStats;
  evaluate(): { loss: number; token_accuracy: number; exact_match: number; sequences: number };
  generate(limit?: number): { exact_match: number; exact: number; sequences: number; bleu: number };
  nextBatch(): RunBatch;
  heldOut(n?: number): { input: string; answer: string }[];
  probe(index?: number): RunAttention & { input: string; answer: string; predicted: string[]; correct: boolean };
  infer(text: string, options?: { trace?: 'weights' | 'full' } & HeadMaskOptions): RunAttention & { input: string; output: string; tokens: Int32Array; finished: boolean;
    /** The answer by the task's rule, when it has one: toy tasks, and summarize for a sentence of its grammar. */
    expected?: string };
  logProb(text: string, answer: { tokens: Int32Array | number[]; finished: boolean }, masks?: HeadMaskOptions): number;
  headMeans(): HeadMeans;
  save(options?: { f16?: boolean }): Uint8Array;
  delete(): void;
}

export interface Engine {
  validateRun(config: RunConfig): { ok: true; config: RunConfig; parameters: number } | { ok: false; message: string };
  taskExamples(task: RunConfig['task'], n?: number, seed?: number): { input: string; answer: string }[];
  createRun(config: RunConfig): Run;
  loadRun(bytes: Uint8Array | ArrayBuffer): Run;
}
