// The page's one store: the source of truth for what the user typed and chose, and the last engine results.
// Components read `store.state` and call the actions below; every change notifies subscribers once.
import type { ModelConfig } from '../../../engine/bindings/attn';
import type { Analysis, AttentionView, Outputs, TokenInfo } from '../engine/protocol';
import type { Summary } from '../engine/rollout';
import type { EngineStatus, ModelStatus } from '../engine/client';
import { MODELS, modelInfo, type ModelId } from '../models/catalog';
import { HF_FAMILIES } from '../models/hf';
import type { StoredHfSummary } from '../models/hf-store';
import { MAX_TOKENS, wordId } from '../text/words';
import type { Display } from '../components/displays';
import type { Focus } from '../components/lines';
import type { Pictures } from '../components/model-view';

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

/** Opening a Hugging Face model from files: reading them, building it in the engine, and how that ended. */
export type HfOpenState =
  | { state: 'idle' }
  | { state: 'reading'; name: string; loaded: number; total: number }
  | { state: 'building'; name: string }
  | { state: 'failed'; message: string }
  | { state: 'done'; message: string; opened?: boolean };

export interface ExplorerState {
  model: ModelId;
  /** What the user typed, per model (each model keeps its own text). */
  texts: Record<ModelId, string>;
  settings: ModelSettings;
  /** The lab run opened in the explorer (model 'lab'): its id in the lab's browser storage. */
  labRun?: string;
  /** The Hugging Face model shown as model 'hf': a stored model's id, or a folder's URL (models/hf.ts). */
  hf?: string;
  /** The Hugging Face model whose preset the 'hf' text and view were set from (so they are set once per model). */
  hfTextFor?: string;
  /** Hugging Face models kept in this browser (IndexedDB). */
  hfStored: StoredHfSummary[];
  hfOpen: HfOpenState;
  view: AttentionView['name'];
  layer: number;
  head: HeadChoice;
  /** Rollout or flow (engine/rollout.ts) shown instead of the head, in self-attention views (URL: head=rollout). */
  summary?: Summary;
  colormap: string;
  /** How the attention is drawn: a heatmap, lines (the head view) or the model (every layer and head). */
  display: Display;
  /** The heads the lines display draws (0-based); undefined: every head. */
  lineHeads?: number[];
  /** The token whose lines the lines display keeps showing (clicked, or Enter). */
  pin?: Focus;
  /** The model display's pictures. */
  pictures: Pictures;
  /** The Neuron display's query row and key column (undefined: the last row, and the key it weighs most). */
  query?: number;
  key?: number;
  /** The Compare display's second text (undefined: the model's preset second text). */
  vs?: string;
  /** The Ablation display's heads switched off, as <attn-ablation>'s `off` attribute writes them ("2.3,4.1"; the
   * translator's "e1.2,d2.1,c1.3"), and what a removed head outputs. */
  off?: string;
  ablate: 'zero' | 'mean';
  /** The Ablation display ranks the heads (each removed alone), as <attn-ablation>'s `rank`. */
  rank?: boolean;
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
      display: 'heatmap',
      pictures: 'heatmap',
      ablate: 'zero',
      range: 'max',
      engine: { state: 'loading', loaded: 0, total: 0 },
      models: {},
      busy: false,
      hfStored: [],
      hfOpen: { state: 'idle' },
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
    if (model === 'hf' && !this.s.hf) return;
    const hf = this.s.models.hf?.state === 'ready' ? this.s.models.hf.info.hf : undefined;
    const view = model === 'dates' || (model === 'hf' && hf?.family === 'marian') ? 'cross' : 'self';
    this.set({ model, view, layer: 0, head: 0, analysis: undefined, error: undefined, pin: undefined, lineHeads: undefined, off: undefined });
  }

  /** Shows the Hugging Face model `key` (stored id or folder URL). Its text and view are its family's preset. */
  setHf(key: string) {
    if (this.s.model === 'hf' && this.s.hf === key) return;
    const same = this.s.hf === key;
    const marian = same && this.s.models.hf?.state === 'ready' && this.s.models.hf.info.hf?.family === 'marian';
    this.set({ model: 'hf', hf: key, view: marian ? 'cross' : 'self', layer: 0, head: 0, analysis: undefined, error: undefined, pin: undefined,
      ...(same ? {} : { models: { ...this.s.models, hf: undefined }, texts: { ...this.s.texts, hf: '' }, hfTextFor: undefined }) });
  }

  /** The Hugging Face model `key` is gone (removed from the browser): the page goes back to its language model. */
  forgetHf(key: string) {
    if (this.s.hf !== key) return;
    const leave = this.s.model === 'hf';
    this.set({ hf: undefined, hfTextFor: undefined, models: { ...this.s.models, hf: undefined },
      ...(leave ? { model: 'lm' as ModelId, view: 'self' as const, layer: 0, head: 0, analysis: undefined, error: undefined } : {}) });
  }

  setHfStored(hfStored: StoredHfSummary[]) {
    this.set({ hfStored });
  }

  setHfOpen(hfOpen: HfOpenState) {
    this.set({ hfOpen });
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
    this.set({ view, layer: 0, head: this.s.head === 'mean' ? 'mean' : 0, pin: undefined });
  }

  setDisplay(display: Display) {
    this.set({ display });
  }

  setLineHeads(lineHeads: number[] | undefined) {
    this.set({ lineHeads });
  }

  setPin(pin: Focus | undefined) {
    this.set({ pin });
  }

  /** The Neuron display's query and key (undefined: the default). */
  setNeuron(query: number | undefined, key: number | undefined) {
    this.set({ query, key });
  }

  setCompareText(vs: string) {
    this.set({ vs });
  }

  /** The Ablation display's heads switched off (undefined or '': none) and mode. */
  setAblation(patch: { off?: string; ablate?: 'zero' | 'mean'; rank?: boolean }) {
    this.set(patch);
  }

  setPictures(pictures: Pictures) {
    this.set({ pictures });
  }

  /** A head picked in the model display: that layer and head in every display (the lines draw that head alone). */
  openHead(layer: number, head: number) {
    this.set({ layer, head, lineHeads: [head], summary: undefined });
  }

  /** A layer and a head (or the mean): the head is shown, not rollout or flow. */
  select(layer: number, head: HeadChoice) {
    this.set({ layer, head, summary: undefined });
  }

  /** Another layer; the head, or rollout or flow, stays. */
  setLayer(layer: number) {
    this.set({ layer });
  }

  setSummary(summary: Summary | undefined) {
    this.set({ summary });
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
    if (status.model === 'hf' && status.key !== this.s.hf) return; // another view's model, or one the page left
    const hf = status.state === 'ready' ? status.info.hf : undefined;
    const patch: Partial<ExplorerState> = { models: { ...this.s.models, [status.model]: status } };
    // A Hugging Face model, the first time it is ready: its family's preset text and first view (a link's text
    // and view are kept: they were set for this model).
    if (hf && this.s.hfTextFor !== hf.key) {
      patch.hfTextFor = hf.key;
      patch.texts = { ...this.s.texts, hf: HF_FAMILIES[hf.family].example };
      patch.view = hf.family === 'marian' ? 'cross' : 'self';
    }
    this.set(patch);
  }

  setBusy(busy: boolean) {
    this.set({ busy });
  }

  setAnalysis(incoming: Analysis) {
    const { later: _later, ...analysis } = incoming;
    // Outputs that follow the picture: until they come, the previous text's stay, marked stale (no flash of an
    // empty list while typing).
    const prev = this.s.analysis;
    if (analysis.pendingOutputs && prev?.model === analysis.model && prev.outputs.kind === 'lm' && analysis.outputs.kind === 'lm')
      analysis.outputs = { ...prev.outputs, stale: true };
    const v = currentView({ ...this.s, analysis });
    const layer = v ? Math.min(this.s.layer, v.layers - 1) : 0;
    const head = this.s.head === 'mean' ? 'mean' : v ? Math.min(this.s.head, v.heads - 1) : 0;
    this.set({ analysis, error: undefined, layer, head });
  }

  /** The outputs of analysis `id`, which came after it (Analysis.pendingOutputs); ignored if a newer one is shown. */
  setOutputs(id: number, outputs: Outputs) {
    const a = this.s.analysis;
    if (a?.id !== id) return;
    this.set({ analysis: { ...a, outputs, pendingOutputs: false } });
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

/** “strongest link on this text “sat” → “cat”, 0.82”: one head's largest weight, its query and key (masked cells
 *  never win; the weight is cut, not rounded, to 2 decimals, so 0.999 reads 0.99 and never looks like all of it). */
export function strongestLink(v: AttentionView, layer: number, head: number): string {
  const { matrix, mask } = selectedMatrix(v, layer, head);
  const cols = v.cols.length;
  let best = -1;
  for (let i = 0; i < matrix.length; i++)
    if ((!mask || mask[i] !== -Infinity) && Number.isFinite(matrix[i]) && (best < 0 || matrix[i] > matrix[best])) best = i;
  if (best < 0) return 'no weight on this text';
  const q = v.rows[Math.floor(best / cols)], k = v.cols[best % cols];
  return `strongest link on this text “${q}” → “${k}”, ${(Math.floor(matrix[best] * 100) / 100).toFixed(2)}`;
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
