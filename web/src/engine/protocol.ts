// Messages between the page (main thread) and the engine worker. Tensors travel as transferable Float32Arrays.
import type { ModelId } from '../models/catalog';
import type { HeadStat } from '../models/describe';
import type { ModelSettings } from '../state/store';
import type { CallName } from './calls';

export interface EngineInfo {
  name: string;
  version: string;
  simd128: boolean;
  eigen: string;
}

/** A token of the analyzed text: what the user typed, by UTF-16 offsets. */
export interface TokenInfo {
  text: string; // the typed characters of the token (may start with a space)
  start: number;
  end: number;
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
}

export type Outputs =
  | { kind: 'none' }
  | { kind: 'lm'; next: { token: string; prob: number }[] }
  | { kind: 'tagger'; tags: TokenTag[] } // one per token
  | { kind: 'dates'; translation: string; finished: boolean }
  | { kind: 'lab'; output: string; expected?: string; finished: boolean };

export interface Analysis {
  id: number;
  model: ModelId;
  text: string;
  tokens: TokenInfo[];
  truncated: string; // "" or a sentence saying what was cut
  views: AttentionView[];
  outputs: Outputs;
  ms: number;
}

export interface LoadedModel {
  model: ModelId;
  numParameters: number;
  config: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  /** Head statistics by view name, [layer][head]. */
  stats: Partial<Record<AttentionView['name'], HeadStat[][]>>;
}

export interface AnalyzeRequest {
  kind: 'analyze';
  id: number;
  model: ModelId;
  text: string;
  settings: ModelSettings; // used by the untrained model
  run?: string; // the lab run (model 'lab'), by its id in the lab's IndexedDB
}

/** A widget's engine call (see calls.ts). */
export interface CallRequest {
  kind: 'call';
  id: number;
  name: CallName;
  args: unknown;
}

export type ToWorker =
  | { kind: 'init'; engineUrl: string; modelsUrl: string }
  | { kind: 'load'; model: ModelId; settings: ModelSettings; run?: string }
  | AnalyzeRequest
  | CallRequest;

export type FromWorker =
  | { kind: 'progress'; loaded: number; total: number }
  | { kind: 'ready'; info: EngineInfo }
  | { kind: 'load-progress'; model: ModelId; loaded: number; total: number }
  | ({ kind: 'loaded' } & LoadedModel)
  | ({ kind: 'analysis' } & Analysis)
  | { kind: 'error'; id?: number; model?: ModelId; message: string; fatal: boolean }
  | { kind: 'result'; callId: number; value: unknown }
  | { kind: 'call-error'; callId: number; message: string; fatal: boolean };

/** The tagger's output for one token. `continues`: the token carries on the previous token's word ("ats" in
 * "boats"); the word's tag is the one on its first token, which is what the test accuracy scores. */
export interface TokenTag {
  tag: string;
  prob: number;
  continues: boolean;
}
