// The page's one store: the source of truth for what the user typed and chose, and the last engine result.
// Components read `store.state` and call the actions below; every change notifies subscribers once.
import type { ModelConfig } from '../../../engine/bindings/attn';
import { MAX_TOKENS, joinTokens, splitWords, wordId } from '../text/words';

/** The toy model's settings, as the controls show them. */
export interface ModelSettings {
  d_model: number;
  nhead: number;
  num_layers: number;
  dim_feedforward: number;
  seed: number;
  positional: boolean;
  causal: boolean;
  scaled: boolean;
}

/** Attention of one forward pass, for the exact tokens it was computed on. */
export interface AttentionResult {
  tokens: string[];
  layers: number;
  heads: number;
  /** Per layer: [H, L, L] weights, row-major. */
  weights: Float32Array[];
  /** Per layer: [H, L, L] additive mask (-inf = masked), or undefined when nothing is masked. */
  masks: (Float32Array | undefined)[];
  ms: number;
  numParameters: number;
}

export type HeadChoice = number | 'mean';

export interface ExplorerState {
  text: string;
  tokens: string[];
  truncated: boolean;
  settings: ModelSettings;
  layer: number;
  head: HeadChoice;
  colormap: string;
  /** Colour range: "fixed" = 0 to 1 (compare heads), "max" = 0 to the largest weight shown. */
  range: 'fixed' | 'max';
  result?: AttentionResult;
  error?: string;
  busy: boolean;
}

export const VOCAB_SIZE = 8192;

export const DEFAULT_SETTINGS: ModelSettings = {
  d_model: 64,
  nhead: 4,
  num_layers: 2,
  dim_feedforward: 256,
  seed: 1,
  positional: true,
  causal: false,
  scaled: true,
};

/** The engine config of the untrained word-level model the page builds from the settings. */
export function modelConfig(s: ModelSettings): ModelConfig {
  return {
    arch: 'encoder',
    vocab_size: VOCAB_SIZE,
    d_model: s.d_model,
    nhead: s.nhead,
    num_layers: s.num_layers,
    dim_feedforward: s.dim_feedforward,
    dropout: 0,
    positional: s.positional ? 'sinusoidal' : 'none',
    max_len: MAX_TOKENS,
    // Unscaled embeddings ~ N(0, 1) are comparable in size to the positional encoding, so switching it off shows.
    scale_embedding: false,
    causal: s.causal,
    scaled: s.scaled,
  };
}

export function tokenIds(tokens: string[]): Int32Array {
  return Int32Array.from(tokens, (t) => wordId(t, VOCAB_SIZE));
}

type Listener = (s: ExplorerState) => void;

export class Store {
  private s: ExplorerState;
  private listeners = new Set<Listener>();

  constructor(initial: Partial<ExplorerState> = {}) {
    this.s = {
      text: '',
      tokens: [],
      truncated: false,
      settings: { ...DEFAULT_SETTINGS },
      layer: 0,
      head: 0,
      colormap: 'viridis',
      range: 'max',
      busy: false,
      ...initial,
    };
    if (initial.text !== undefined) this.setText(initial.text);
  }

  get state(): ExplorerState {
    return this.s;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<ExplorerState>) {
    this.s = { ...this.s, ...patch };
    for (const fn of this.listeners) fn(this.s);
  }

  /** The user typed: re-tokenize. */
  setText(text: string) {
    const { tokens, truncated } = splitWords(text);
    this.set({ text, tokens: tokens.map((t) => t.text), truncated });
  }

  /** The user edited the chips: they are the tokens now, and the text follows them. */
  setTokens(tokens: string[]) {
    const clean = tokens.filter((t) => t.length > 0).slice(0, MAX_TOKENS);
    this.set({ tokens: clean, text: joinTokens(clean), truncated: false });
  }

  setSettings(patch: Partial<ModelSettings>) {
    const settings = { ...this.s.settings, ...patch };
    if (settings.d_model % settings.nhead !== 0) settings.nhead = 1;  // controls only offer divisors; stay valid
    const layer = Math.min(this.s.layer, settings.num_layers - 1);
    const head = this.s.head === 'mean' ? 'mean' : Math.min(this.s.head, settings.nhead - 1);
    this.set({ settings, layer, head });
  }

  select(layer: number, head: HeadChoice) {
    this.set({ layer, head });
  }

  setColormap(colormap: string) {
    this.set({ colormap });
  }

  setRange(range: 'fixed' | 'max') {
    this.set({ range });
  }

  setBusy(busy: boolean) {
    this.set({ busy });
  }

  setResult(result: AttentionResult) {
    const layer = Math.min(this.s.layer, result.layers - 1);
    const head = this.s.head === 'mean' ? 'mean' : Math.min(this.s.head, result.heads - 1);
    this.set({ result, error: undefined, layer, head });
  }

  setError(error: string | undefined) {
    this.set({ error });
  }
}

/** The [L, L] matrix to draw for a layer and head (or the mean of the heads), and its mask. */
export function selectedMatrix(r: AttentionResult, layer: number, head: HeadChoice) {
  const L = r.tokens.length;
  const all = r.weights[layer];
  const mask = r.masks[layer]?.subarray(0, L * L);  // masks are the same for every head here
  if (head !== 'mean') return { matrix: all.subarray(head * L * L, (head + 1) * L * L), mask };
  const mean = new Float32Array(L * L);
  for (let h = 0; h < r.heads; h++) for (let i = 0; i < L * L; i++) mean[i] += all[h * L * L + i];
  for (let i = 0; i < L * L; i++) mean[i] /= r.heads;
  return { matrix: mean, mask };
}
