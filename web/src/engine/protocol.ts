// Messages between the page (main thread) and the engine worker. Tensors travel as transferable Float32Arrays.
import type { ModelConfig, Tensor } from '../../../engine/bindings/attn';

export interface ForwardRequest {
  kind: 'forward';
  id: number;
  config: ModelConfig;
  seed: number;
  ids: Int32Array;
  /** "weights": attention weights and masks; "full": also q, k, v, scores, ... */
  trace: 'weights' | 'full';
}

export type ToWorker = { kind: 'init'; engineUrl: string } | ForwardRequest;

export interface ForwardResult {
  id: number;
  /** Milliseconds the engine spent (model build + forward). */
  ms: number;
  logits: Tensor;
  trace: Record<string, Tensor>;
  numParameters: number;
}

export type FromWorker =
  | { kind: 'progress'; loaded: number; total: number }
  | { kind: 'ready'; info: { name: string; version: string; simd128: boolean; eigen: string } }
  | ({ kind: 'result' } & ForwardResult)
  | { kind: 'error'; id?: number; message: string; fatal: boolean };
