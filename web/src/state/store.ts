// The page's one store: the source of truth for what the user typed and chose, and the last engine results.
// Components read `store.state` and call the actions below; every change notifies subscribers once.
import type { ModelConfig } from '../../../engine/bindings/attn';
import type { Analysis, AttentionView, TokenInfo } from '../engine/protocol';
import type { EngineStatus, ModelStatus } from '../engine/client';
import { MODELS, modelInfo, type ModelId } from '../models/catalog';
import { MAX_TOKENS, wordId } from '../text/words';

/** The untrained toy model's settings, as the controls show them. */
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

export type HeadChoice = number | 'mean';

export interface ExplorerState {
  model: ModelId;
  /** What the user typed, per model (each model keeps its own text). */
  texts: Record<ModelId, string>;
  settings: ModelSettings;
  /** The lab run opened in the explorer (model 'lab'): its id in the lab's browser storage. */
  labRun?: string;
  view: AttentionView['name'];
  layer: number;
  head: HeadChoice;
  colormap: string;
  /** Colour range: "fixed" = 0 to 1 (compare heads), "max" = 0 to the largest weight shown. */
  range: 'fixed' | 'max';
  engine: EngineStatus;
  models: Partial<Record<ModelId, ModelStatus>>;
  analysis?: Analysis;
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

export function defaultTexts(): Record<ModelId, string> {
  return Object.fromEntries(MODELS.map((m) => [m.id, m.example])) as Record<ModelId, string>;
}

export class Store {
  private s: ExplorerState;
  private listeners = new Set<Listener>();

  constructor(initial: Partial<ExplorerState> = {}) {
    this.s = {
      model: 'lm',
      texts: defaultTexts(),
      settings: { ...DEFAULT_SETTINGS },
      view: 'self',
      layer: 0,
      head: 0,
      colormap: 'viridis',
      range: 'max',
      engine: { state: 'loading', loaded: 0, total: 0 },
      models: {},
      busy: false,
      ...initial,
    };
  }

  get state(): ExplorerState {
    return this.s;
  }

  get text(): string {
    return this.s.texts[this.s.model];
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<ExplorerState>) {
    this.s = { ...this.s, ...patch };
    for (const fn of this.listeners) fn(this.s);
  }

  setModel(model: ModelId) {
    if (model === this.s.model) return;
    const view = model === 'dates' ? 'cross' : 'self';
    this.set({ model, view, layer: 0, head: 0, analysis: undefined, error: undefined });
  }

  setText(text: string) {
    this.set({ texts: { ...this.s.texts, [this.s.model]: text } });
  }

  setSettings(patch: Partial<ModelSettings>) {
    const settings = { ...this.s.settings, ...patch };
    if (settings.d_model % settings.nhead !== 0) settings.nhead = 1; // controls only offer divisors; stay valid
    const layer = Math.min(this.s.layer, settings.num_layers - 1);
    const head = this.s.head === 'mean' ? 'mean' : Math.min(this.s.head, settings.nhead - 1);
    this.set({ settings, layer, head });
  }

  setView(view: AttentionView['name']) {
    this.set({ view, layer: 0, head: this.s.head === 'mean' ? 'mean' : 0 });
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

  setEngine(engine: EngineStatus) {
    this.set({ engine });
  }

  setModelStatus(status: ModelStatus) {
    this.set({ models: { ...this.s.models, [status.model]: status } });
  }

  setBusy(busy: boolean) {
    this.set({ busy });
  }

  setAnalysis(analysis: Analysis) {
    const v = currentView({ ...this.s, analysis });
    const layer = v ? Math.min(this.s.layer, v.layers - 1) : 0;
    const head = this.s.head === 'mean' ? 'mean' : v ? Math.min(this.s.head, v.heads - 1) : 0;
    this.set({ analysis, error: undefined, layer, head });
  }

  setError(error: string | undefined) {
    this.set({ error });
  }
}

/** The attention view being shown (the chosen one, or the model's first). */
export function currentView(s: ExplorerState): AttentionView | undefined {
  const views = s.analysis?.model === s.model ? s.analysis.views : [];
  return views.find((v) => v.name === s.view) ?? views[0];
}

/** The [rows, cols] matrix to draw for a layer and head (or the mean of the heads), and its mask. */
export function selectedMatrix(v: AttentionView, layer: number, head: HeadChoice) {
  const n = v.rows.length * v.cols.length;
  const all = v.weights[layer];
  const mask = v.masks[layer];
  if (head !== 'mean') return { matrix: all.subarray(head * n, (head + 1) * n), mask };
  const mean = new Float32Array(n);
  for (let h = 0; h < v.heads; h++) for (let i = 0; i < n; i++) mean[i] += all[h * n + i];
  for (let i = 0; i < n; i++) mean[i] /= v.heads;
  return { matrix: mean, mask };
}

// ------------------------------------------------------------------------------------------- chip editing
// The chips edit the text itself: each token owns its piece of the text (the whitespace before it included),
// so editing, inserting, deleting and reordering chips rewrite the text, which is then tokenized again.
export type ChipEdit =
  | { op: 'edit'; index: number; text: string }
  | { op: 'insert'; after: number; text: string }
  | { op: 'delete'; index: number }
  | { op: 'move'; from: number; to: number };

export function applyChipEdit(text: string, tokens: TokenInfo[], edit: ChipEdit): string {
  if (tokens.length === 0) return edit.op === 'insert' ? edit.text : text;
  // pieces[i] = the text from the end of token i-1 to the end of token i.
  const pieces = tokens.map((t, i) => text.slice(i === 0 ? 0 : tokens[i - 1].end, t.end));
  const tail = text.slice(tokens[tokens.length - 1].end);
  const lead = (p: string) => p.match(/^\s*/u)![0];
  switch (edit.op) {
    case 'edit': {
      const value = edit.text.trim();
      pieces[edit.index] = value ? lead(pieces[edit.index]) + value : '';
      break;
    }
    case 'insert':
      pieces.splice(edit.after + 1, 0, ` ${edit.text.trim()}`);
      break;
    case 'delete':
      pieces.splice(edit.index, 1);
      break;
    case 'move': {
      const [p] = pieces.splice(edit.from, 1);
      const moved = edit.to === 0 ? p.trimStart() : lead(p) ? p : ` ${p}`;
      pieces.splice(edit.to, 0, moved);
      if (edit.to === 0 && pieces.length > 1 && !lead(pieces[1])) pieces[1] = ` ${pieces[1]}`;
      break;
    }
  }
  return (pieces.join('') + tail).replace(/^\s+/u, '');
}

export { modelInfo };
