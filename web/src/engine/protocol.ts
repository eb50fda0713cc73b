// Messages between the page (main thread) and the engine worker. Tensors travel as transferable Float32Arrays.
import type { ModelId } from '../models/catalog';
import type { HeadStat } from '../models/describe';
import type { ModelSettings } from '../state/store';
import type { CallName } from './calls';

export interface EngineInfo {
  name: string;
  version: string;
  simd128: boolean;
  /** The build with threads (engine/mt/), and how many threads its matrix products use (1 otherwise). */
  threadsBuild: boolean;
  threads: number;
  eigen: string;
}

/** A token of the analyzed text: what the user typed, by UTF-16 offsets. */
export interface TokenInfo {
  text: string; // the typed characters of the token (may start with a space); a special token's name
  start: number;
  end: number;
  /** Added by the tokenizer ([CLS], [SEP], </s>): not typed, so its span is empty and its chip cannot be edited. */
  special?: boolean;
}

/** One kind of attention of a model, ready to draw: queries are rows, keys columns. */
export interface AttentionView {
  name: 'self' | 'encoder' | 'decoder' | 'cross';
  title: string;
  rows: string[];
  cols: string[];
  layers: number;
  heads: number;
  weights: Float32Array[]; // per layer: [H, rows, cols]
  masks: (Float32Array | undefined)[]; // per layer: [rows, cols] additive (-inf = masked), shared by the heads
  /** Only when the analysis asked for trace 'full': per layer, what the weights are made of. */
  vectors?: HeadVectors[];
}

/** One layer's attention before the softmax, for every head: how each weight is made (<attn-neuron>). */
export interface HeadVectors {
  headDim: number; // Dh = d_model / heads
  q: Float32Array; // [H, rows, Dh], the queries of each head
  k: Float32Array; // [H, cols, Dh], the keys
  scores: Float32Array; // [H, rows, cols], q · k
  scaled: Float32Array; // [H, rows, cols], q · k / sqrt(Dh) (when the model scales), before the mask
}

export type Outputs =
  | { kind: 'none' }
  /** stale: the previous text's predictions, shown while this text's are computed (they follow its heatmap). */
  | { kind: 'lm'; next: { token: string; prob: number }[]; stale?: boolean }
  | { kind: 'tagger'; tags: TokenTag[] } // one per token
  | { kind: 'dates'; translation: string; finished: boolean }
  | { kind: 'lab'; output: string; expected?: string; finished: boolean }
  /** BERT / DistilBERT: the top fillers of every [MASK] (by its position in the tokens), or why there are none. */
  | { kind: 'mlm'; mask: string; head: boolean; masks: { position: number; predictions: { token: string; prob: number }[] }[] }
  /** Marian: the translation, and the target pieces it wrote one by one (the cross-attention's rows). */
  | { kind: 'translation'; text: string; pieces: string[]; finished: boolean; limit: number };

export interface Analysis {
  id: number;
  model: ModelId;
  hf?: string; // model 'hf': the key of the Hugging Face model that computed it
  text: string;
  tokens: TokenInfo[];
  truncated: string; // "" or a sentence saying what was cut
  /** A sentence when some attention weights are not numbers (overflow.ts: the model's numbers outgrew float32). */
  warning?: string;
  views: AttentionView[];
  outputs: Outputs;
  ms: number;
  /** The token ids the model read (the language model's start with <bos>; the date translator's are its source), for
   * the PyTorch script (widgets/pytorch-models.ts). Not for Hugging Face models. */
  ids?: number[];
  /**
   * The outputs follow in an `outputs` message (GPT-2's next tokens: the heatmap is posted as soon as the attention
   * is computed, before the vocabulary projection). EngineClient.analyze then resolves with `later`, which
   * resolves with them.
   */
  pendingOutputs?: boolean;
  later?: Promise<Outputs>;
}

export interface LoadedModel {
  model: ModelId;
  /** A Hugging Face model: what it is (model 'hf'). */
  hf?: HfInfo;
  /** Head statistics still being computed (after the model's first picture): texts done of total. */
  statsProgress?: { done: number; total: number };
  numParameters: number;
  config: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  /** Head statistics by view name, [layer][head]. */
  stats: Partial<Record<AttentionView['name'], HeadStat[][]>>;
  /** A lab model: the text of each token id of its task (Run.nextBatch().vocab). */
  vocab?: string[];
}

export interface AnalyzeRequest {
  kind: 'analyze';
  id: number;
  model: ModelId;
  text: string;
  settings: ModelSettings; // used by the untrained model
  run?: string; // the lab run (model 'lab'), by its id in the lab's IndexedDB
  hf?: string; // the Hugging Face model (model 'hf'), by its key
  /** 'full': each view also carries its queries, keys and scores (AttentionView.vectors). Trained, untrained and Hugging Face models. */
  trace?: 'full';
}

/** Where a Hugging Face model's files come from. */
export type HfSource =
  | { kind: 'files'; name: string; files: Record<string, Blob> } // chosen or dropped by the user, by file name
  | { kind: 'stored'; id: string } // kept in this browser (IndexedDB, models/hf-store.ts)
  | { kind: 'url'; url: string }; // a folder on the page's own site (absolute URL, ending in /)

/** What the page shows about a loaded Hugging Face checkpoint. */
export interface HfInfo {
  /** The stored id (files and stored models) or the folder's URL. */
  key: string;
  source: HfSource['kind'];
  name: string;
  family: 'gpt2' | 'bert' | 'distilbert' | 'marian';
  architecture: string;
  dtype: string;
  numParameters: number;
  memoryBytes: number;
  unused: string[];
  layers: number;
  heads: number;
  decoderLayers: number;
  dModel: number;
  vocabSize: number;
  maxPositions: number;
  /** The longest text, in tokens, the engine's memory holds with this model (at most maxPositions). */
  maxTokens: number;
  /** BERT checkpoints without the masked-language-model head (BertModel) show attention only. */
  lmHead: boolean;
  /** The tokenizer's files (e.g. "tokenizer.json"), its kind, and its mask token's name (BERT). */
  tokenizer: string;
  tokenizerKind: string;
  maskToken: string;
  files: { name: string; size: number }[];
}

/** A widget's engine call (see calls.ts). */
export interface CallRequest {
  kind: 'call';
  id: number;
  name: CallName;
  args: unknown;
}

export type ToWorker =
  | { kind: 'init'; engine: { urls: string[]; threads: number }; modelsUrl: string }
  | { kind: 'load'; model: ModelId; settings: ModelSettings; run?: string }
  /** Opens a Hugging Face model: reply hf-progress*, then hf-loaded or hf-error with the same reqId. */
  | { kind: 'load-hf'; reqId: number; source: HfSource }
  /** No view shows the Hugging Face model `key` any more: free it. */
  | { kind: 'hf-release'; key: string }
  | AnalyzeRequest
  | CallRequest;

export type FromWorker =
  | { kind: 'progress'; loaded: number; total: number }
  | { kind: 'ready'; info: EngineInfo }
  | { kind: 'load-progress'; model: ModelId; loaded: number; total: number }
  | ({ kind: 'loaded' } & LoadedModel)
  | ({ kind: 'analysis' } & Analysis)
  | { kind: 'outputs'; id: number; outputs: Outputs }
  | { kind: 'error'; id?: number; model?: ModelId; message: string; fatal: boolean; superseded?: boolean }
  | { kind: 'hf-progress'; reqId: number; phase: 'reading' | 'building'; loaded: number; total: number }
  | { kind: 'hf-loaded'; reqId: number; info: LoadedModel }
  | { kind: 'hf-error'; reqId: number; message: string; fatal: boolean }
  /** Head statistics of the Hugging Face model `key`, computed after its first picture: progress, then the result. */
  | { kind: 'hf-stats'; key: string; done: number; total: number; stats?: LoadedModel['stats'] }
  /** The same for a trained model, over its held-out texts. */
  | { kind: 'model-stats'; model: ModelId; done: number; total: number; stats?: LoadedModel['stats'] }
  | { kind: 'result'; callId: number; value: unknown }
  | { kind: 'call-error'; callId: number; message: string; fatal: boolean };

/** The tagger's output for one token. `continues`: the token carries on the previous token's word ("ats" in
 * "boats"); the word's tag is the one on its first token, which is what the test accuracy scores. */
export interface TokenTag {
  tag: string;
  prob: number;
  continues: boolean;
}
