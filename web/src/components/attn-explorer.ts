// <attn-explorer>: the explorer page. Pick a model (three trained by this project, or an untrained one you
// configure), type, and the engine (WebAssembly, in a worker) computes every layer's and head's attention and
// the model's outputs. Pick a layer and a head (or their mean), or a head from the gallery, and read the heatmap.
// Or open a Hugging Face checkpoint from your disk (files, a folder, or dropped on the page), kept in this browser
// afterwards, or linked from the site (?hf=models/opus-mt-en-fr/).
// State lives in one Store; this element wires it to the engine client and the child components.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cssProps } from './css-props';
import { Superseded, type EngineClient, type EngineStatus } from '../engine/client';
import { onEngineStatus, onModelStatus, sharedEngine } from '../engine/shared';
import type { Analysis, AttentionView } from '../engine/protocol';
import { modelInfo } from '../models/catalog';
import { HF_FAMILIES, formatBytes, formatCount, pickModelFiles } from '../models/hf';
import { deleteHfModel, listHfModels, saveHfModel } from '../models/hf-store';
import { COLORMAPS } from './colormaps';
import { queryFromState, stateFromQuery } from './url-state';
import { Store, applyChipEdit, currentView, selectedMatrix, type ChipEdit, type ExplorerState, type HeadChoice, type ModelSettings } from '../state/store';
import type { ChosenFile } from './hf-open';
import './attn-heatmap';
import './attn-lines';
import './model-view';
import { DISPLAY_PANEL, displayTabs, displayTabsStyles, displayUses } from './displays';
import type { Focus } from './lines';
import { hasVectors, neuronStyles, neuronSteps, neuronTokens, pickNeuron, type NeuronPick } from './neuron-parts';
import { ablationNotice, ablationPanelColours, ablationTargetOf, headKey, parseOff, requestAblation } from './ablation-parts';
import type { AblationResult, HeadRef } from '../engine/ablation';
import { COMPARE_DEFAULTS, compareStyles, compared, comparisonPanel } from './compare-parts';
import './head-gallery';
import './hf-open';
import './model-controls';
import './model-outputs';
import './model-picker';
import './token-chips';
import { percent } from '../text/format';
import { taskInfo } from '../lab/config';
import { SUMMARIES, SUMMARY_LABEL, SUMMARY_TITLE, SummaryCache, hasSummaries, summaryExplanation, type Summary } from '../engine/rollout';
import { shownModelScript } from '../widgets/model-script';
import '../widgets/pytorch-panel';

/** What the main heatmap draws: the matrix, its mask and colour domain, and the view whose tokens label it (the text
 * before an edit while rollout or flow is computed for the new one); no matrix while it is computed, or a notice when it
 * cannot be (flow's token limit). */
interface ShownMatrix {
  view: AttentionView;
  matrix?: Float32Array;
  mask?: Float32Array;
  domain: [number, number];
  notice?: string;
}

/** How long the state must rest before the URL follows it. */
const URL_SETTLE_MS = 200;
/** How long "the engine was restarted" stays on screen. */
const RESTART_NOTE_MS = 12000;


@customElement('attn-explorer')
export class AttnExplorer extends LitElement {
  /** Keep the URL's query string in sync with the state (the page does; embedded copies may not). */
  @property({ type: Boolean, attribute: 'sync-url' }) syncUrl = false;

  readonly store = new Store(stateFromQuery(location.search));
  @state() private s: ExplorerState = this.store.state;
  @state() private activeRow = -1;
  /** Files are being dragged over the page: show where to drop them. */
  @state() private dropping = false;
  /** The head gallery waits for the page's first heatmap to be painted: it is below it, and drawing its cards first
   * made the first picture ~0.2 s later. */
  @state() private galleryShown = false;
  private galleryQueued = false;
  /** The PyTorch panel under the heatmap is open. */
  @state() private pytorchOpen = false;
  /** The Compare display's second text, analyzed by the same model. */
  @state() private compared?: Analysis;
  private compareRequested = '';
  /** The Ablation display's result (the worker's 'ablation' call), and the rank button's state. */
  /** model: the shipped model's name, or hf:key (ablationTag). */
  @state() private ablated?: AblationResult & { model: string };
  private ablationRequested = '';
  /** The Neuron display's heatmap cell under the pointer (a click picks it). */
  private neuronCell?: { row: number; col: number };

  private client?: EngineClient;
  /** The engine's worker died and the client replaces it (client.ts): why, since when, and once the page shows the
   * model again in a new worker, how long that took (a status line says so for a while). */
  @state() private restart?: { reason: string; since: number; ms?: number; reasked?: boolean };
  private restartTimer = 0;
  /** Rollout and flow, computed by the engine when chosen (engine/rollout.ts). */
  private summaries = new SummaryCache(() => this.client, () => this.requestUpdate(), 'explorer-summary');
  private requested = '';
  private loading = '';
  private unsubscribe?: () => void;
  private unsubscribeEngine?: () => void;
  private unsubscribeModels?: () => void;

  /** The page's engine client (engine/shared.ts). Tests end its worker (`engine.currentWorker.terminate()`) to check
   * that the page recovers. */
  get engine(): EngineClient | undefined {
    return this.client;
  }

  override connectedCallback() {
    super.connectedCallback();
    // The page's one engine worker, shared with any widgets on the same page (engine/shared.ts).
    this.client = sharedEngine();
    this.unsubscribeEngine = onEngineStatus((st) => {
      this.noteRestart(st);
      this.store.setEngine(st);
    });
    this.unsubscribeModels = onModelStatus((st) => this.store.setModelStatus(st));
    this.unsubscribe = this.store.subscribe(() => {
      this.ensureModel();
      this.recovered();
      this.analyze();
      // The state as it is now: loading a model may have changed it again (a model's preset text) meanwhile.
      this.s = this.store.state;
      if (this.syncUrl) this.scheduleUrl();
    });
    this.ensureModel();
    this.analyze();
    void this.refreshStored();
    window.addEventListener('dragover', this.onDragOver);
    window.addEventListener('drop', this.onDrop);
    window.addEventListener('pagehide', this.writeUrl);
  }

  /** The engine's worker died: the picture, text and settings stay while a new worker loads the model again. */
  private noteRestart(st: EngineStatus) {
    if (st.state !== 'loading' || !st.restart) return;
    window.clearTimeout(this.restartTimer);
    this.restart = { reason: st.restart, since: this.restart?.ms === undefined ? (this.restart?.since ?? performance.now()) : performance.now() };
  }

  /** Once the new worker has the model and the picture is current again, the status line says how long it took. */
  private recovered() {
    const r = this.restart;
    const s = this.store.state;
    if (!r || r.ms !== undefined || s.engine.state !== 'ready' || (s.model !== 'untrained' && s.models[s.model]?.state !== 'ready')) return;
    // The dead worker's outputs that were to follow the picture never come: ask the new one (once).
    if (!r.reasked && s.analysis?.pendingOutputs) this.requested = '';
    r.reasked = true;
    if (s.busy || this.requested === '') return;
    this.restart = { ...r, ms: performance.now() - r.since };
    this.restartTimer = window.setTimeout(() => (this.restart = undefined), RESTART_NOTE_MS);
  }

  /**
   * The URL follows the state a moment after it stops changing (history.replaceState costs milliseconds, and a
   * keystroke changes the state several times), and at once when the page is left.
   */
  private urlTimer = 0;
  private scheduleUrl() {
    window.clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(this.writeUrl, URL_SETTLE_MS);
  }

  private writeUrl = () => {
    window.clearTimeout(this.urlTimer);
    if (!this.syncUrl) return;
    // ?threads=N (the engine's threads, read once at start: engine-build.ts) stays in the URL.
    const threads = new URLSearchParams(location.search).get('threads');
    const q = `?${queryFromState(this.store.state)}${threads ? `&threads=${encodeURIComponent(threads)}` : ''}`;
    if (q !== location.search) history.replaceState(null, '', q);
  };

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.writeUrl();
    window.removeEventListener('pagehide', this.writeUrl);
    this.unsubscribe?.();
    this.unsubscribeEngine?.();
    this.unsubscribeModels?.();
    window.removeEventListener('dragover', this.onDragOver);
    window.removeEventListener('drop', this.onDrop);
  }

  // ------------------------------------------------------------------------------- Hugging Face models
  private async refreshStored() {
    try {
      this.store.setHfStored(await listHfModels());
    } catch {
      // No IndexedDB here (some private windows): models open, and last as long as the page.
    }
  }

  /** Opens the files of a Hugging Face model: the worker reads and builds it; only then is it kept and shown. */
  private async openFiles(chosen: ChosenFile[]) {
    const st = this.store.state.hfOpen.state;
    if (st === 'reading' || st === 'building' || !this.client) return;
    let picked;
    try {
      picked = pickModelFiles(chosen.map((c) => ({ name: c.file.name, size: c.file.size, path: c.path, file: c.file })));
    } catch (e) {
      this.store.setHfOpen({ state: 'failed', message: (e as Error).message });
      return;
    }
    const files = Object.fromEntries(Object.entries(picked.files).map(([n, f]) => [n, f.file]));
    const total = Object.values(files).reduce((n, f) => n + f.size, 0);
    let name = picked.name;
    this.store.setHfOpen({ state: 'reading', name, loaded: 0, total });
    try {
      const info = await this.client.openHf({ kind: 'files', name, files }, (phase, loaded, all) =>
        this.store.setHfOpen(phase === 'reading' ? { state: 'reading', name, loaded, total: all } : { state: 'building', name }));
      const hf = info.hf!;
      name = hf.name;
      let kept: string;
      try {
        await saveHfModel({
          id: hf.key, name, family: hf.family, architecture: hf.architecture, dtype: hf.dtype, numParameters: hf.numParameters,
          memoryBytes: hf.memoryBytes, bytes: total, savedAt: Date.now(), files,
        });
        await this.refreshStored();
        kept = 'kept in this browser for your next visit';
      } catch (e) {
        kept = `it could not be kept in this browser (${(e as Error).message}), so it lasts until you leave the page`;
      }
      const left = picked.ignored.length ? ` ${picked.ignored.length} other file${picked.ignored.length > 1 ? 's were' : ' was'} left out.` : '';
      this.store.setHfOpen({ state: 'done', message: `Opened ${name} (${HF_FAMILIES[hf.family].title}, ${formatCount(hf.numParameters)} parameters): ${kept}.${left}`, opened: true });
      this.store.setHf(hf.key);
    } catch (e) {
      if (e instanceof Superseded) return;
      this.store.setHfOpen({ state: 'failed', message: (e as Error).message });
    }
  }

  private async removeStored(id: string) {
    try {
      await deleteHfModel(id);
    } catch (e) {
      this.store.setHfOpen({ state: 'failed', message: `It could not be removed: ${(e as Error).message}` });
      return;
    }
    const m = this.store.state.hfStored.find((x) => x.id === id);
    await this.refreshStored();
    this.store.setHfOpen({ state: 'done', message: `Removed ${m?.name ?? 'the model'} from this browser.` });
    this.store.forgetHf(id); // if it is the one shown: its files are gone, the page goes back to its language model
  }

  private dropTimer = 0;

  private readonly onDragOver = (ev: DragEvent) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
    this.dropping = true;
    clearTimeout(this.dropTimer);
    this.dropTimer = window.setTimeout(() => (this.dropping = false), 200);
  };

  private readonly onDrop = (ev: DragEvent) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    this.dropping = false;
    void filesFromDrop(ev.dataTransfer).then(
      (files) => this.openFiles(files),
      (e: Error) => this.store.setHfOpen({ state: 'failed', message: `The dropped files could not be read: ${e.message}` }),
    );
  };

  /** Loads the chosen model in the worker (once per model; the untrained one again when its settings change). */
  private ensureModel() {
    const { model, settings, labRun, hf } = this.store.state;
    if (!hf) this.client?.releaseHf('page'); // no Hugging Face model any more: the worker may free it
    const key = model === 'untrained' ? `untrained:${JSON.stringify(settings)}` : model === 'lab' ? `lab:${labRun}` : model === 'hf' ? `hf:${hf}` : model;
    if (key === this.loading || !this.client) return;
    this.loading = key;
    this.requested = '';
    this.client.load(model, settings, model === 'hf' ? hf : labRun).then(
      () => this.analyze(),
      (e: Error) => {
        // A failed load shows as the model's state (with its message); other errors as the page's.
        if (!(e instanceof Superseded) && this.store.state.models[model]?.state !== 'failed') this.store.setError(e.message);
      },
    );
  }

  /**
   * Asks the engine to analyze the current text (latest request wins), with the queries, keys and scores while the
   * Neuron display is shown; and in the Compare display, the second text.
   */
  private analyze() {
    this.analyzeCompare();
    this.analyzeAblation();
    const s = this.store.state;
    const text = s.texts[s.model];
    const hf = s.model === 'hf' ? s.hf : undefined;
    const trace = s.display === 'neuron' && givesVectors(s.model, this.modelConfig) ? ('full' as const) : undefined;
    const key = JSON.stringify([s.model, text, s.model === 'untrained' ? s.settings : null, hf ?? null, trace ?? null]);
    if (key === this.requested || !this.client) return;
    if (s.models[s.model]?.state !== 'ready' && s.model !== 'untrained') return;
    this.requested = key;
    this.store.setBusy(true);
    this.client.analyze({ model: s.model, text, settings: s.settings, run: s.labRun, hf, trace }).then(
      (a) => {
        this.store.setAnalysis(a);
        this.store.setBusy(false);
        a.later?.then((outputs) => this.store.setOutputs(a.id, outputs));
      },
      (e: Error) => {
        if (e instanceof Superseded) return;
        this.store.setError(e.message);
        this.store.setBusy(false);
      },
    );
  }

  /** The Compare display's second text: the one typed, else the model's preset (the same text with a word changed). */
  private get compareText() {
    const s = this.store.state;
    return s.vs ?? (COMPARE_DEFAULTS as Partial<Record<string, [string, string]>>)[s.model]?.[1] ?? s.texts[s.model];
  }

  /** In the Compare display, asks the engine to analyze the second text with the same model (latest request wins). */
  private analyzeCompare() {
    const s = this.store.state;
    if (s.display !== 'compare' || !this.client) return;
    if (s.models[s.model]?.state !== 'ready' && s.model !== 'untrained') return;
    const text = this.compareText;
    const hf = s.model === 'hf' ? s.hf : undefined;
    const key = JSON.stringify([s.model, text, s.model === 'untrained' ? s.settings : null, hf ?? null, s.labRun ?? null]);
    if (key === this.compareRequested) return;
    this.compareRequested = key;
    this.client.analyze({ model: s.model, text, settings: s.settings, run: s.labRun, hf }, 'explorer-compare').then(
      (a) => (this.compared = a),
      (e: Error) => {
        if (!(e instanceof Superseded)) this.store.setError(e.message);
      },
    );
  }

  /** The Ablation display's target (a shipped model, a lab run or a Hugging Face checkpoint: ablation-parts.ts), or
   * why the model has none. */
  private get ablation() {
    const s = this.store.state;
    return ablationTargetOf({ model: s.model, run: s.labRun, config: this.modelConfig, hf: this.hfInfo });
  }

  /** The loaded model's config (empty while it loads). */
  private get modelConfig(): Record<string, unknown> {
    const ms = this.store.state.models[this.store.state.model];
    return ms?.state === 'ready' ? ms.info.config : {};
  }

  /** The Ablation display's heads switched off, read from the store's `off` (the widget's syntax). */
  private get ablationOff() {
    const t = this.ablation;
    const target = 'none' in t ? undefined : t;
    return parseOff(this.store.state.off ?? '', target?.panel ?? 'lm', target && this.ablated?.model === target.tag ? this.ablated.groups : undefined);
  }

  /** In the Ablation display, asks the worker for the output with and without the heads switched off (latest wins;
   * a Hugging Face ranking in parts, so that typing is answered in between: ablation-parts.ts requestAblation). */
  private analyzeAblation() {
    const s = this.store.state;
    const t = this.ablation;
    const client = this.client;
    if (s.display !== 'ablation' || 'none' in t || !client) return;
    if (s.model === 'lab' && s.models.lab?.state !== 'ready') return; // an LSTM run has none: known once its config is
    const ask = { text: s.texts[s.model], removed: this.ablationOff.heads, mode: s.ablate, rank: !!s.rank };
    const key = JSON.stringify([ask, t.tag]);
    if (key === this.ablationRequested) return;
    this.ablationRequested = key;
    requestAblation((name, args) => client.call(name, args, 'explorer-ablation'), t, ask,
      (r) => (this.ablated = { ...r, model: t.tag }), () => this.ablationRequested === key).catch((e: Error) => {
      if (!(e instanceof Superseded)) this.store.setError(e.message);
    });
  }

  private onText(e: Event) {
    this.store.setText((e.target as HTMLTextAreaElement).value);
  }

  private onChipEdit(e: CustomEvent<ChipEdit>) {
    const a = this.s.analysis;
    const tokens = a && a.model === this.s.model && a.text === this.store.text ? a.tokens : [];
    this.store.setText(applyChipEdit(this.store.text, tokens, e.detail));
  }

  // ------------------------------------------------------------------------------------------ templates
  /** The Hugging Face model shown, once loaded. */
  private get hfInfo() {
    const ms = this.s.models.hf;
    return this.s.model === 'hf' && ms?.state === 'ready' ? ms.info.hf : undefined;
  }

  /** The analysis of what is shown now (same model; for Hugging Face, the same checkpoint). */
  private get shownAnalysis() {
    const a = this.s.analysis;
    return a && a.model === this.s.model && (a.model !== 'hf' || a.hf === this.s.hf) ? a : undefined;
  }

  /** The model's title in sentences: "the language model", or a Hugging Face model's name. */
  private get modelName() {
    if (this.s.model !== 'hf') return `the ${modelInfo(this.s.model).title.toLowerCase()}`;
    return this.hfInfo?.name ?? (this.s.hf ?? '').split('/').filter(Boolean).pop() ?? 'the model';
  }

  /** The task of the lab run shown ('' before it is loaded). */
  private get labTask() {
    const ms = this.s.models.lab;
    return ms?.state === 'ready' ? String((ms.info.config.task as { name?: string } | undefined)?.name ?? '') : '';
  }

  /** The text preloaded for the model (a Hugging Face model's family's preset). */
  private get example() {
    const hf = this.hfInfo;
    return hf ? HF_FAMILIES[hf.family].example : modelInfo(this.s.model).example;
  }

  private renderViews() {
    const views = this.shownAnalysis?.views ?? [];
    if (views.length < 2) return nothing;
    const cur = currentView(this.s);
    return html`<div class="seg views" role="tablist" aria-label="Attention">
      ${views.map(
        (v) => html`<button role="tab" class="view" aria-selected=${cur?.name === v.name} data-view=${v.name}
          @click=${() => this.store.setView(v.name)}>${v.title}</button>`,
      )}
    </div>`;
  }

  private renderPicker(v: AttentionView) {
    const s = this.s;
    const heads: HeadChoice[] = [...Array.from({ length: v.heads }, (_, h) => h), 'mean'];
    const uses = (c: Parameters<typeof displayUses>[1]) => displayUses(s.display, c);
    return html`<div class="picker">
      ${displayTabs(s.display, (d) => this.store.setDisplay(d))}
      ${uses('layer') ? html`<div class="seg" role="group" aria-label="Layer">
        <span class="seg-label">Layer</span>
        ${Array.from({ length: v.layers }, (_, l) => html`<button
          class="layer" aria-pressed=${s.layer === l} @click=${() => this.store.setLayer(l)}>${l + 1}</button>`)}
      </div>` : nothing}
      ${uses('head') ? html`<div class="seg" role="group" aria-label="Head">
        <span class="seg-label">Head</span>
        ${heads.map((h) => html`<button class="head ${h === 'mean' ? 'mean' : ''}" aria-pressed=${s.head === h && !this.summary(v)}
          title=${h === 'mean' ? 'Average of all heads (PyTorch average_attn_weights=True)' : `Head ${Number(h) + 1}`}
          @click=${() => this.store.select(s.layer, h)}>${h === 'mean' ? 'Mean' : String(Number(h) + 1)}</button>`)}
        ${hasSummaries(v) ? SUMMARIES.map((k) => html`<button class="layers-summary ${k}" aria-pressed=${this.summary(v) === k}
          title=${SUMMARY_TITLE[k]} @click=${() => this.store.setSummary(k)}>${SUMMARY_LABEL[k]}</button>`) : nothing}
      </div>` : nothing}
      ${uses('range') ? html`<div class="seg" role="group" aria-label="Colour range">
        <span class="seg-label">Range</span>
        <button class="range" aria-pressed=${s.range === 'max'} title="Colours span 0 to the largest weight shown"
          @click=${() => this.store.setRange('max')}>0–max</button>
        <button class="range" aria-pressed=${s.range === 'fixed'} title="Colours span 0 to 1: the same scale for every head"
          @click=${() => this.store.setRange('fixed')}>0–1</button>
      </div>` : nothing}
      ${uses('colormap') ? html`<label class="cmap">
        <span class="seg-label">Colours</span>
        <select @change=${(e: Event) => this.store.setColormap((e.target as HTMLSelectElement).value)}>
          ${Object.entries(COLORMAPS).map(([k, c]) => html`<option value=${k} ?selected=${k === s.colormap}>${c.label}</option>`)}
        </select>
      </label>` : nothing}
    </div>`;
  }

  private renderExplanation(v: AttentionView) {
    const m = this.s.model;
    const hf = this.hfInfo;
    if (v.name === 'cross' && hf)
      return html`Row <em>i</em> is the <em>i</em>-th piece of the translation, as the model wrote it (greedy decoding, one
        piece at a time); the columns are the pieces of your sentence, and <code>&lt;/s&gt;</code> ends each side. The bright
        cells show where each piece reads from: the alignment the model learned between the two languages.`;
    if (v.name === 'decoder' && hf)
      return html`Row <em>i</em> is the decoder’s input <em>i</em> (it starts from <code>${v.rows[0]}</code>, Marian’s start
        token, then each piece written so far), attending to the pieces before it: the causal mask hides the future.`;
    if (v.name === 'cross' && m === 'lab')
      return html`Row <em>i</em> is the <em>i</em>-th token of the answer being written; the columns are the input's
        tokens. The bright cells show where each output token reads from: the alignment the model learned.`;
    if (v.name === 'cross')
      return html`Row <em>i</em> is output character <em>i</em> being written; the columns are the input characters.
        The bright cells show where it reads from: the alignment between the date you typed and the ISO date.`;
    const causal = this.causal(v);
    return html`Row <em>i</em> is token <em>i</em>’s query: how its attention is shared among the keys. Each row is a
      softmax, so it sums to 1${causal ? html`; with the causal mask a token sees only itself and the tokens before it` : nothing}.`;
  }

  /** Each token of `v` sees only itself and the tokens before it. */
  private causal(v: AttentionView) {
    const m = this.s.model;
    return m === 'lm' || v.name === 'decoder' || (m === 'untrained' && this.s.settings.causal) || this.hfInfo?.family === 'gpt2';
  }

  /**
   * The matrix the main heatmap shows, its mask and colour domain: the same objects while the analysis, layer, head
   * and range stay (a render for anything else, such as the busy flag, does not make the heatmap draw again).
   */
  private shown?: { key: unknown[]; value: ShownMatrix };

  private shownMatrix(v: AttentionView, layer: number, head: HeadChoice, range: ExplorerState['range']): ShownMatrix {
    const summary = this.summary(v);
    const found = summary ? this.summaries.get(v, summary, layer) : undefined;
    // While the engine computes rollout or flow for a new text, the last one stays, with its own tokens.
    const prev = summary && !found ? this.summaries.previous(summary, layer) : undefined;
    const key = [v, layer, head, range, summary, found, prev];
    if (this.shown && key.every((k, i) => k === this.shown!.key[i])) return this.shown.value;
    if (summary && !(found && 'matrix' in found) && !prev) return { view: v, domain: [0, 1], notice: found?.notice };
    const { matrix, mask } = prev ? { matrix: prev.matrix, mask: prev.view.masks[layer] }
      : found && 'matrix' in found ? { matrix: found.matrix, mask: v.masks[layer] } : selectedMatrix(v, layer, head);
    let hi = 1;
    if (range === 'max') {
      hi = 0;
      for (const x of matrix) if (x > hi) hi = x;
      hi = hi > 0 ? hi : 1;
    }
    this.shown = { key, value: { view: prev?.view ?? v, matrix, mask, domain: [0, hi] } };
    return this.shown.value;
  }

  /** The rollout or flow shown instead of a head (self-attention views only). */
  private summary(v: AttentionView): Summary | undefined {
    return this.s.summary && hasSummaries(v) ? this.s.summary : undefined;
  }

  /** In the heatmap's place while the engine computes rollout or flow, or why flow cannot be shown. */
  private renderSummaryState(kind: Summary, notice?: string) {
    return notice
      ? html`<div class="state summary-note" role="status">${SUMMARY_LABEL[kind]} is not shown: ${notice}. Choose an earlier layer,
          a shorter text, or Rollout.</div>`
      : html`<div class="state loading" role="status"><p>Computing ${SUMMARY_LABEL[kind].toLowerCase()}…</p></div>`;
  }

  /** The status line of a worker restart (see noteRestart). */
  private renderRestart() {
    const r = this.restart;
    if (!r) return nothing;
    return html`<p class="restart" role="status" data-restart=${r.ms === undefined ? 'running' : 'done'}>
      ${r.ms === undefined
        ? html`The engine stopped (${r.reason}); restarting it…`
        : html`The engine stopped (${r.reason}) and was restarted in ${(r.ms / 1000).toFixed(1)} s. Your text and settings are kept.`}</p>`;
  }

  private renderView() {
    const s = this.s;
    const e = s.engine;
    const info = modelInfo(s.model);
    if (e.state === 'failed')
      return html`<div class="state error" role="alert"><strong>The engine could not start.</strong> ${e.message}</div>`;
    const ms = s.models[s.model];
    if (ms?.state === 'failed')
      return html`<div class="state error" role="alert">${s.model === 'hf' ? html`<strong dir="auto">${this.modelName}</strong>` : `The ${info.title.toLowerCase()}`}
        could not load: ${ms.message}</div>`;
    // While a new worker replaces a dead one, the last picture stays (with the status line above it).
    const restarting = !!this.restart && this.restart.ms === undefined && !!this.shownAnalysis;
    if (!restarting && (e.state === 'loading' || (s.model !== 'untrained' && ms?.state !== 'ready'))) {
      const loaded = e.state === 'loading' ? e.loaded : ms?.state === 'loading' ? ms.loaded : 0;
      const total = e.state === 'loading' ? e.total : ms?.state === 'loading' ? ms.total : 0;
      const pct = total ? Math.round((100 * loaded) / total) : 0;
      const what = e.state === 'loading' ? 'the attention engine (WebAssembly)' : this.modelName;
      const building = e.state !== 'loading' && ms?.state === 'loading' && ms.phase === 'building';
      return html`<div class="state loading" role="status">
        <p>${building ? html`Building <span dir="auto">${what}</span> in the engine…` : html`Loading <span dir="auto">${what}</span>… ${total ? html`${pct}%` : nothing}`}</p>
        <div class="progress"><div class="fill" style=${cssProps({ width: `${building ? 100 : pct}%` })}></div></div>
      </div>`;
    }
    const a = this.shownAnalysis;
    const example = this.example;
    if (!this.store.text.trim() && s.model !== 'lm')
      return html`<div class="state empty"><p class="big">Type ${s.model === 'dates' ? 'a date' : s.model === 'lab' ? 'an input' : 'a sentence'} to see
        how each token attends to the others.</p>${example ? html`<p>For example: <button class="example" @click=${() => this.store.setText(example)}>${example}</button></p>` : nothing}</div>`;
    if (!a) return html`<div class="state loading" role="status"><p>Computing attention…</p></div>`;
    const v = currentView(s);
    if (!v)
      return html`<model-outputs .outputs=${a.outputs}></model-outputs>
        ${givesVectors(s.model, this.modelConfig) ? nothing : html`<div class="state notice" role="status" data-no-attention>
          <span dir="auto">${String(this.modelConfig.name ?? 'This run')}</span> is an LSTM: it has no attention to show. Its encoder reads the input one
          symbol at a time, and its decoder sees the input only through the encoder's final state (h, c). Train a
          transformer in the <a href="./lab.html">training lab</a> to see attention.</div>`}`;
    const layer = Math.min(s.layer, v.layers - 1);
    const head = s.head === 'mean' ? 'mean' : Math.min(s.head, v.heads - 1);
    const { view: drawn, matrix, mask, domain, notice } = this.shownMatrix(v, layer, head, s.range);
    const summary = this.summary(v);
    const headName = summary ? SUMMARY_LABEL[summary].toLowerCase() : head === 'mean' ? 'mean of all heads' : `head ${head + 1}`;
    const cross = v.name === 'cross';
    const ready = s.engine.state === 'ready' ? s.engine : undefined;
    const params = s.models[s.model]?.state === 'ready' ? (s.models[s.model] as { info: { numParameters: number } }).info.numParameters : 0;
    const hfCross = cross && s.model === 'hf';
    return html`
      <model-outputs .outputs=${a.outputs}></model-outputs>
      ${this.renderViews()}
      ${this.renderPicker(v)}
      <div role="tabpanel" id=${DISPLAY_PANEL} aria-labelledby="display-tab-${s.display}">
      ${s.display !== 'heatmap' ? this.renderDisplay(v, layer, head) : !matrix ? this.renderSummaryState(summary!, notice) : html`<attn-heatmap
        class="main"
        .matrix=${matrix}
        .rows=${drawn.rows.length}
        .cols=${drawn.cols.length}
        .rowLabels=${drawn.rows}
        .colLabels=${drawn.cols}
        .mask=${mask}
        .colormap=${s.colormap}
        .domain=${domain}
        row-title=${hfCross ? 'Target' : cross ? 'Output' : 'Query'}
        col-title=${hfCross ? 'Source' : cross ? 'Input' : 'Key'}
        caption="${v.title} · layer ${layer + 1} · ${headName}"
        @cell-active=${(ev: CustomEvent) => (this.activeRow = ev.detail.row)}
      ></attn-heatmap>
      <p class="explain">${summary ? summaryExplanation(summary, layer) : this.renderExplanation(v)}</p>`}
      </div>
      <p class="stats">
        ${a.tokens.length} tokens · ${v.layers} × ${v.heads} heads${params ? html` · ${params.toLocaleString('en-US')} parameters` : nothing} ·
        computed in ${a.ms.toFixed(1)} ms by the C++ engine (WebAssembly${ready?.info.simd128 ? ' SIMD' : ''}${(ready?.info.threads ?? 1) > 1 ? `, ${ready!.info.threads} threads` : ''})
        ${s.busy ? html`<span class="busy">· updating…</span>` : nothing}
      </p>
      ${this.renderPytorch(v)}
    `;
  }

  /** The engine's statistics of the view's heads over held-out texts, once measured (the head gallery's). */
  private headStats(v: AttentionView) {
    const ms = this.s.models[this.s.model];
    return ms?.state === 'ready' ? ms.info.stats[v.name] : undefined;
  }

  /** The displays other than the heatmap (displays.ts lists them): the lines (head view) and the model view. */
  private renderDisplay(v: AttentionView, layer: number, head: HeadChoice) {
    const s = this.s;
    const cross = v.name === 'cross';
    const hfCross = cross && s.model === 'hf';
    const summary = this.summary(v);
    const headNames = summary ? SUMMARY_LABEL[summary].toLowerCase()
      : s.lineHeads?.length && s.lineHeads.length < v.heads ? `heads ${s.lineHeads.map((h) => h + 1).join(', ')}` : 'all heads';
    const renderers = {
      lines: () => html`<attn-lines class="main" .view=${v} .layer=${layer} .heads=${s.lineHeads} .pin=${s.pin} save-button summaries
        .summary=${summary ? { kind: summary, ...this.summaries.get(v, summary, layer) } : undefined}
        row-title=${hfCross ? 'Target' : cross ? 'Output' : 'Query'} col-title=${hfCross ? 'Source' : cross ? 'Input' : 'Key'}
        caption="${v.title} · layer ${layer + 1} · ${headNames}"
        @summary-change=${(e: CustomEvent<Summary | undefined>) => this.store.setSummary(e.detail)}
        @heads-change=${(e: CustomEvent<number[] | undefined>) => this.store.setLineHeads(e.detail)}
        @pin-change=${(e: CustomEvent<Focus | undefined>) => this.store.setPin(e.detail)}></attn-lines>`,
      model: () => html`<attn-model-view class="main" .view=${v} .layer=${layer} .head=${head} .colormap=${s.colormap} .pictures=${s.pictures}
        .stats=${this.headStats(v)}
        @head-select=${(e: CustomEvent<{ layer: number; head: number }>) => this.store.openHead(e.detail.layer, e.detail.head)}
        @display-select=${(e: CustomEvent) => this.store.setDisplay(e.detail)}
        @pictures-change=${(e: CustomEvent) => this.store.setPictures(e.detail)}></attn-model-view>`,
      neuron: () => this.renderNeuron(v, layer, head),
      compare: () => this.renderCompare(v, layer, head),
      ablation: () => this.renderAblation(),
    };
    return s.display === 'heatmap' ? nothing : renderers[s.display]();
  }

  /** The Neuron display: how the weight of one query and one key of a head is made (neuron-parts.ts). */
  private renderNeuron(v: AttentionView, layer: number, head: HeadChoice) {
    const s = this.s;
    if (!givesVectors(s.model, this.modelConfig))
      return html`<div class="state notice" role="status">The neuron view takes each head’s query and key vectors apart, and
        <span dir="auto">${this.modelName}</span> is an LSTM: it has no attention, so no queries, keys or weights. Train a
        transformer in the lab to see them.</div>`;
    if (!hasVectors(v)) return html`<div class="state loading" role="status"><p>Computing the queries and keys…</p></div>`;
    const h = head === 'mean' ? 0 : head;
    const n = pickNeuron(v, layer, h, s.query, s.key);
    const pick: NeuronPick = (which, index) => this.store.setNeuron(which === 'query' ? index : n.i, which === 'key' ? index : n.j);
    const ms = s.models[s.model];
    const config = ms?.state === 'ready' ? ms.info.config : {};
    const R = v.rows.length;
    const C = v.cols.length;
    return html`
      ${head === 'mean' ? html`<p class="note" role="status">A mean of heads has no query or key vector: this is head 1. Pick a head above.</p>` : nothing}
      ${neuronTokens(this, 'query', v.rows, n.i, pick)}
      ${neuronTokens(this, 'key', v.cols, n.j, pick, n.mask)}
      ${neuronSteps(v, n, {
        colormap: s.colormap, pick, causal: this.causal(v),
        scaled: s.model === 'untrained' ? s.settings.scaled : config.scaled !== false && config.scale_attn_weights !== false,
        temperature: Number(config.temperature ?? 1), note: this.neuronNote(layer),
      })}
      <section role="group" class="step" aria-labelledby="n-map">
        <h3 id="n-map"><span class="num">4</span> The whole head: row ${n.i} is the softmax above</h3>
        <p class="muted">Click a cell to pick its query and key.</p>
        <attn-heatmap class="neuron-head" colormap=${s.colormap} .matrix=${v.weights[layer].subarray(h * R * C, (h + 1) * R * C)} rows=${R} cols=${C}
          .rowLabels=${v.rows} .colLabels=${v.cols} .mask=${v.masks[layer]} .domain=${[0, 1] as [number, number]} max-size="360"
          caption="${v.title} · layer ${layer + 1} · head ${h + 1}"
          @cell-active=${(e: CustomEvent<{ row: number; col: number }>) => (this.neuronCell = e.detail)}
          @click=${() => this.neuronCell && this.store.setNeuron(this.neuronCell.row, this.neuronCell.col)}></attn-heatmap>
      </section>`;
  }

  /** For a Hugging Face model, how its own code makes a weight, next to the engine's steps shown (models/hf.ts). */
  private neuronNote(layer: number) {
    const hf = this.hfInfo;
    if (!hf) return undefined;
    const ms = this.s.models.hf;
    const byLayer = ms?.state === 'ready' && ms.info.config.scale_attn_by_inverse_layer_idx === true;
    return HF_FAMILIES[hf.family].steps + (byLayer ? ` This checkpoint also divides by the layer’s number (scale_attn_by_inverse_layer_idx): the score after the division includes ÷ ${layer + 1}.` : '');
  }

  /** The Ablation display (ablation-parts.ts): the current text with heads switched off; a ranked head opens in the other displays. */
  private renderAblation() {
    const s = this.s;
    const t = this.ablation;
    if ('none' in t) return html`<div class="state notice" role="status">${ablationNotice(this.modelName, t.none, 'choose one of those models above')}</div>`;
    const { heads, notes } = this.ablationOff;
    const r = this.ablated?.model === t.tag ? this.ablated : undefined;
    const setOff = (hs: HeadRef[]) => this.store.setAblation({ off: hs.map(headKey).join(',') || undefined });
    const open = (h: HeadRef) => {
      if (h.group !== 'self') this.store.setView(h.group);
      this.store.select(h.layer, h.head);
    };
    return html`${notes.length ? html`<p class="state notice" role="status">${notes.join(' ')}</p>` : nothing}
      <attn-ablation-panel .result=${r} .heads=${heads} model=${t.panel} mode=${s.ablate} ?rank=${!!s.rank}
        mean-label=${t.meanLabel} mask-token=${t.maskToken}
        .rankClick=${"Click a head to open it (its layer and head) in the other displays."}
        @ablation-off=${(e: CustomEvent<HeadRef[]>) => setOff(e.detail)}
        @ablation-mode=${(e: CustomEvent<'zero' | 'mean'>) => this.store.setAblation({ ablate: e.detail })}
        @ablation-rank=${(e: CustomEvent<boolean>) => this.store.setAblation({ rank: e.detail || undefined })}
        @ablation-rank-head=${(e: CustomEvent<HeadRef>) => open(e.detail)}></attn-ablation-panel>`;
  }

  /** The Compare display (compare-parts.ts): the same layer and head on a second text, both texts' maps side by side,
   * and second − first aligned by token. */
  private renderCompare(v: AttentionView, layer: number, head: HeadChoice) {
    const s = this.s;
    const text = this.compareText;
    const c = this.compared;
    const done = c && c.model === s.model && c.text === text && (s.model !== 'hf' || c.hf === s.hf);
    const second = done ? c.views.find((x) => x.name === v.name) : undefined;
    const input = html`<label class="vs">Second text <input class="vs" dir="auto" .value=${text}
      @input=${(e: Event) => this.store.setCompareText((e.target as HTMLInputElement).value)} /></label>`;
    if (!second)
      return html`${input}<div class="state ${done ? 'empty' : 'loading'}" role="status"><p>${done ? 'Type a second text to compare its attention with this one’s.'
        : 'Computing the second text’s attention…'}</p></div>`;
    const hfCross = v.name === 'cross' && s.model === 'hf';
    return html`${input}
      <p class="explain">The first text is the one above. Both texts’ attention in the same layer and head, on the same colour
        scale; then the second’s minus the first’s.</p>
      ${comparisonPanel(compared(v, second, [s.analysis!.text, text], { layer, head }), {
        colormap: s.colormap, causal: this.causal(v), titles: hfCross ? { row: 'Target', col: 'Source' } : undefined })}`;
  }

  private renderGallery() {
    const s = this.s;
    const v = currentView(s);
    const ms = s.models[s.model];
    if (!v || ms?.state !== 'ready') return nothing;
    if (!this.galleryShown) {
      // After the frame that paints the first heatmap (a task queued from its animation frame runs after it);
      // asked for once, however many renders come before.
      if (!this.galleryQueued) requestAnimationFrame(() => setTimeout(() => (this.galleryShown = true)));
      this.galleryQueued = true;
      return nothing;
    }
    const p = ms.info.statsProgress;
    const hint = s.model === 'lab'
      ? `${v.title}: one row per layer; each thumbnail is the head's pattern on your input (scaled to its own maximum).`
      : s.model === 'hf'
        ? `${v.title}: one row per layer. Each line says what the head does over ${p ? p.total : 'a dozen'} built-in sentences${this.hfInfo?.family === 'marian' ? ' (the decoder reading the model’s own translations of them)' : ''}; each thumbnail is its pattern on your text (scaled to its own maximum).`
        : '';
    return html`<section class="panel gallery" aria-label="Head gallery">
      ${p ? html`<div class="stats-progress" role="status">
          <span>Measuring what each head does over ${p.total} sentences: ${p.done} of ${p.total}…</span>
          <span class="progress" role="progressbar" aria-label="Head statistics" aria-valuemin="0" aria-valuemax=${p.total} aria-valuenow=${p.done}>
            <span class="fill" style=${cssProps({ width: `${Math.round((100 * p.done) / p.total)}%` })}></span></span>
        </div>` : nothing}
      <head-gallery .view=${v} .stats=${ms.info.stats[v.name]} .layer=${s.layer} .head=${this.summary(v) ? 'mean' : s.head} .colormap=${s.colormap}
        hint=${hint}
        @head-select=${(e: CustomEvent) => this.store.select(e.detail.layer, e.detail.head)}></head-gallery>
    </section>`;
  }

  /** The PyTorch button, and its panel: the model shown, as a PyTorch module that loads its weights and runs on this
   * text, printing the attention shown and the model's output (widgets/model-script.ts). Not for Hugging Face models. */
  private renderPytorch(v: AttentionView) {
    const s = this.s;
    if (s.model === 'hf') return nothing;
    const ms = s.models[s.model];
    const open = this.pytorchOpen;
    const { script, files } = open
      ? shownModelScript({ model: s.model, info: ms?.state === 'ready' ? ms.info : undefined, analysis: this.shownAnalysis, view: v,
          layer: s.layer, head: s.head, settings: s.settings, run: s.labRun })
      : { script: '', files: [] };
    return html`<div class="pytorch">
      <button class="pytorch-btn" aria-expanded=${open} @click=${() => (this.pytorchOpen = !open)}>PyTorch</button>
      <span class="hint">this model in PyTorch, with its weights, on your text</span>
      ${open
        ? html`<pytorch-panel .script=${script} .files=${files} file-name=${`attn-${s.model}.py`}
            intro="A runnable PyTorch script: the model written with PyTorch's modules, its weights, your text's ids. It prints the attention shown above and the model's output, as the engine computes them."></pytorch-panel>`
        : nothing}
    </div>`;
  }

  /** What the Hugging Face checkpoint is: family, architecture, size, memory, dtype, tokenizer, unused tensors. */
  private renderHfInfo() {
    const hf = this.hfInfo;
    if (!hf) return nothing;
    const fam = HF_FAMILIES[hf.family];
    const stored = this.s.hfStored.some((m) => m.id === hf.key);
    const from = hf.source === 'url' ? html`from <code>${new URL(hf.key).pathname}</code> on this site`
      : stored ? 'kept in this browser' : 'from your files';
    const layers = hf.family === 'marian' ? `${hf.layers} + ${hf.decoderLayers} layers` : `${hf.layers} layers`;
    return html`<dl class="hf-info" aria-label="The model">
      <div><dt>Family</dt><dd>${fam.title} (<code>${hf.family}</code>), ${fam.kind}</dd></div>
      <div><dt>Architecture</dt><dd><code>${hf.architecture}</code>, ${layers} × ${hf.heads} heads, d<sub>model</sub> ${hf.dModel}, ${hf.maxPositions} positions</dd></div>
      <div><dt>Parameters</dt><dd>${hf.numParameters.toLocaleString('en-US')} (${hf.dtype} weights)</dd></div>
      <div><dt>Memory</dt><dd>${formatBytes(hf.memoryBytes)} in the engine (its estimate for a text of 256 tokens)${hf.maxTokens < hf.maxPositions
        ? html`; its memory holds texts of up to ${hf.maxTokens} tokens with this model` : nothing}</dd></div>
      <div><dt>Tokenizer</dt><dd>${hf.tokenizer} (${hf.tokenizerKind === 'bpe' ? 'byte-level BPE' : hf.tokenizerKind === 'wordpiece' ? 'WordPiece' : 'SentencePiece'})</dd></div>
      ${hf.unused.length
        ? html`<div><dt>Unused</dt><dd title=${hf.unused.join(', ')}>${hf.unused.length} tensor${hf.unused.length > 1 ? 's' : ''} the engine does not need:
            ${hf.unused.slice(0, 3).map((u, i) => html`${i ? ', ' : ''}<code>${u}</code>`)}${hf.unused.length > 3 ? ', …' : ''}</dd></div>`
        : nothing}
      <div><dt>Files</dt><dd>${from}</dd></div>
    </dl>`;
  }

  private renderMetrics() {
    if (this.s.model === 'hf') return this.renderHfInfo();
    const ms = this.s.models[this.s.model];
    const m = ms?.state === 'ready' ? (ms.info.metrics as Record<string, number | string> | null) : null;
    if (!m) return nothing;
    const pct = (x: unknown) => percent(Number(x));
    let line = '';
    if (this.s.model === 'lm')
      line = `Test perplexity ${Number(m.value).toFixed(1)} (a Kneser-Ney bigram model: ${Number(m.baseline_value).toFixed(1)})`;
    else if (this.s.model === 'tagger') {
      line = `Test accuracy ${pct(m.value)} (most frequent tag per word: ${pct(m.baseline_value)})`;
      const per = (m as Record<string, unknown>).per_tag_f1 as Record<string, number> | undefined;
      if (per && m.macro_f1 !== undefined) {
        const [worst, f] = Object.entries(per).reduce((a, b) => (b[1] < a[1] ? b : a));
        line += `; macro F1 ${Number(m.macro_f1).toFixed(3)}, the mean of the 12 tags' F1, where a rare tag counts as much
          as NOUN: the weakest, ${worst}, has ${f.toFixed(2)}${worst === 'X' ? ' (X is “other”: foreign words, typos, rare and varied)' : ''}`;
      }
    }
    else if (this.s.model === 'dates')
      line = `Held-out exact match ${pct(m.value)} (formats seen in training ${pct(m.seen_formats)}, never seen ${pct(m.unseen_formats)})`;
    else if (this.s.model === 'lab') {
      const c = (ms as { info: { config: Record<string, unknown> } }).info.config;
      const task = (c.task as { name?: string })?.name ?? '';
      return html`<p class="metrics">${String(c.name)}, trained in the <a href="./lab.html">training lab</a> on the ${task} task:
        held-out exact match ${pct(m.greedyExactMatch)} (generated), token accuracy ${pct(m.tokenAccuracy)}.</p>`;
    }
    return html`<p class="metrics">Trained by this project’s engine. ${line}.</p>`;
  }

  override render() {
    const s = this.s;
    const info = modelInfo(s.model);
    const shown = this.shownAnalysis;
    // While a new text is analyzed, the chips stay those of the last analysis (a keystroke's few milliseconds
    // later they are replaced in place), rather than emptying and filling the list again at every keystroke.
    const a = shown;
    const chips = a?.tokens.map((t) => t.text.trim() || '␣') ?? [];
    const special = a?.tokens.some((t) => t.special) ? a.tokens.map((t) => !!t.special) : undefined;
    const tags = a?.outputs.kind === 'tagger' ? a.outputs.tags : undefined;
    const hf = this.hfInfo;
    const example = this.example;
    const summary = s.model === 'hf' ? (hf ? HF_FAMILIES[hf.family].summary : '') : info.summary;
    const tokenHint = s.model === 'untrained' ? '' : s.model === 'dates' ? 'characters' : s.model === 'lab' ? `the ${taskInfo(this.labTask).unit} of the task`
      : !hf ? 'byte-level BPE, as the model reads them'
      : hf.tokenizerKind === 'bpe' ? 'byte-level BPE, as the model reads them'
      : hf.tokenizerKind === 'wordpiece' ? 'WordPiece, as the model reads them; dashed ones are added by the tokenizer'
      : 'SentencePiece pieces of the source, as the encoder reads them';
    // The heatmap's rows are the chips, except where a row was added before them (the language model's <bos>)
    // or the rows are another sequence (cross-attention).
    const v = currentView(s);
    const rowsAreChips = !!v && v.name !== 'cross' && v.name !== 'decoder';
    return html`
      <div class="layout">
        <section class="panel input" aria-labelledby="model-h">
          <h2 id="model-h">Model</h2>
          <model-picker .value=${s.model} .status=${s.models} .labRun=${s.labRun} .hf=${s.hf} .hfStored=${s.hfStored}
            @model-change=${(e: CustomEvent) => this.store.setModel(e.detail)}
            @hf-pick=${(e: CustomEvent<string>) => this.store.setHf(e.detail)}></model-picker>
          <hf-open .status=${s.hfOpen} .stored=${s.hfStored} .current=${s.hf}
            @hf-files=${(e: CustomEvent<{ files: ChosenFile[] }>) => this.openFiles(e.detail.files)}
            @hf-remove=${(e: CustomEvent<string>) => this.removeStored(e.detail)}></hf-open>
          ${summary ? html`<p class="summary">${summary}</p>` : nothing}
          ${this.renderMetrics()}
          ${s.model === 'untrained'
            ? html`<model-controls .settings=${s.settings}
                @settings-change=${(e: CustomEvent<Partial<ModelSettings>>) => this.store.setSettings(e.detail)}></model-controls>`
            : nothing}
          <h2 class="text-h" id="sentence-h">${s.model === 'dates' ? 'Date' : 'Text'}</h2>
          <textarea
            aria-labelledby="sentence-h"
            placeholder=${s.model === 'dates' ? 'Type a date, e.g. 23rd of Nov. 2026' : s.model === 'lab' ? 'Type an input in the task’s format'
              : hf && hf.family !== 'gpt2' && hf.family !== 'marian' ? `Type a sentence with ${hf.maskToken || '[MASK]'} in it…` : 'Type a sentence…'}
            rows="3"
            spellcheck="false"
            .value=${this.store.text}
            @input=${this.onText}
          ></textarea>
          <div class="examples small">
            ${example ? html`<button class="example" @click=${() => this.store.setText(example)}>Example</button>` : nothing}
            <button class="example" @click=${() => this.store.setText('')}>Clear</button>
          </div>
          ${a?.truncated ? html`<p class="note" role="status">${a.truncated}</p>` : nothing}
          ${a?.warning ? html`<p class="note warning" role="status">${a.warning}</p>` : nothing}
          <h3>Tokens <span class="count">${chips.length}</span>
            ${tokenHint ? html`<span class="hint">${tokenHint}</span>` : nothing}</h3>
          <token-chips .tokens=${chips} .tags=${tags} .special=${special}
            .highlight=${rowsAreChips ? this.activeRow - (s.model === 'lm' ? 1 : 0) : -1} .max=${512}
            @chip-edit=${this.onChipEdit}></token-chips>
        </section>
        <section class="panel view" aria-label="Attention heatmap">
          ${s.model === 'untrained'
            ? html`<div class="banner" role="note"><strong>Untrained weights:</strong> this shows the structure of attention,
                not meaning. The weights are random (seeded), so patterns come from word identity and position, not from
                language.</div>`
            : nothing}
          ${s.error ? html`<div class="state error" role="alert">${s.error}</div>` : nothing}
          ${this.renderRestart()}
          ${this.renderView()}
        </section>
      </div>
      ${this.renderGallery()}
      ${this.dropping ? html`<div class="drop-overlay" aria-hidden="true"><p>Drop a Hugging Face model’s files or folder to open it</p></div>` : nothing}
    `;
  }

  static override styles = [displayTabsStyles, neuronStyles, compareStyles, ablationPanelColours, css`
    :host { display: block; color: var(--fg, #1d1d24); }
    .layout { display: grid; grid-template-columns: minmax(300px, 390px) minmax(0, 1fr); gap: 20px; align-items: start; }
    @media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
    .panel { background: var(--panel, #fff); border: 1px solid var(--border, #e4e1ef); border-radius: 14px; padding: 16px 18px; min-width: 0; }
    /* Off screen, the gallery's many thumbnails (144 heads for GPT-2 small) are skipped by style, layout and paint:
       each keystroke's frame is the main heatmap's. */
    .gallery { margin-top: 20px; content-visibility: auto; contain-intrinsic-size: auto 640px; }
    h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted, #666); margin: 0 0 10px; }
    h3 { font-size: 13px; font-weight: 600; margin: 14px 0 8px; color: var(--fg, #333); }
    .text-h { margin-top: 20px; }
    .hint { font-weight: 400; color: var(--muted, #777); font-size: 12px; margin-left: 4px; }
    .summary { margin: 10px 0 0; font-size: 13px; color: var(--muted, #555); }
    .metrics { margin: 6px 0 12px; font-size: 12.5px; color: var(--fg, #333); }
    .count { font-weight: 500; color: var(--muted, #777); font-variant-numeric: tabular-nums; }
    textarea {
      box-sizing: border-box;
      width: 100%;
      font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
      padding: 9px 11px;
      border-radius: 10px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      color: var(--fg, #222);
      resize: vertical;
    }
    textarea:focus-visible, button:focus-visible, select:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .examples { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
    .example {
      font: inherit;
      font-size: 12.5px;
      padding: 4px 9px;
      border-radius: 999px;
      border: 1px solid var(--border, #d6d3e4);
      background: transparent;
      color: var(--fg, #333);
      cursor: pointer;
    }
    .example:hover { border-color: var(--accent, #5b3cc4); color: var(--accent, #5b3cc4); }
    .picker { display: flex; flex-wrap: wrap; gap: 10px 22px; align-items: center; margin-bottom: 12px; }
    .seg { display: inline-flex; align-items: center; gap: 4px; flex-wrap: wrap; }
    .views { margin-bottom: 12px; gap: 6px; }
    .seg-label { font-size: 11.5px; color: var(--muted, #666); margin-right: 4px; text-transform: uppercase; letter-spacing: 0.05em; }
    .seg button {
      font: inherit;
      font-size: 13px;
      min-width: 30px;
      padding: 4px 8px;
      border-radius: 7px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      color: var(--fg, #333);
      cursor: pointer;
      font-variant-numeric: tabular-nums;
    }
    .seg button[aria-pressed='true'], .seg button[aria-selected='true'] { background: var(--accent, #5b3cc4); border-color: var(--accent, #5b3cc4); color: var(--on-accent, #fff); }
    .cmap { display: inline-flex; align-items: center; gap: 4px; }
    .cmap select { font: inherit; font-size: 12.5px; padding: 3px 5px; border-radius: 7px; border: 1px solid var(--border, #d6d3e4); background: var(--input-bg, #fff); color: var(--fg, #333); }
    .explain { margin: 14px 0 0; color: var(--muted, #555); font-size: 13px; max-width: 66ch; }
    .stats { margin: 8px 0 0; color: var(--muted, #777); font-size: 12px; font-variant-numeric: tabular-nums; }
    .busy { color: var(--accent, #5b3cc4); }
    .pytorch { margin-top: 10px; }
    .pytorch pytorch-panel { margin-top: 8px; }
    .pytorch-btn { font: inherit; font-size: 12.5px; padding: 3px 10px; border-radius: 7px; border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff); color: var(--fg, #333); cursor: pointer; }
    .pytorch-btn[aria-expanded='true'] { border-color: var(--accent, #5b3cc4); color: var(--accent, #5b3cc4); }
    .state { padding: 28px 8px; color: var(--muted, #555); }
    .state .big { font-size: 17px; color: var(--fg, #333); margin-top: 0; }
    .restart { margin: 0 0 10px; padding: 6px 10px; border-radius: 8px; font-size: 13px; background: var(--code-bg, #f3f1fa); color: var(--fg, #1d1d24); }
    .state.error { padding: 10px 12px; margin-bottom: 12px; border-radius: 10px; background: var(--error-bg, #fde8e8); color: var(--error, #9b1c1c); }
    .progress { height: 6px; width: 260px; border-radius: 3px; background: var(--border, #e4e1ef); overflow: hidden; }
    .fill { height: 100%; background: var(--accent, #5b3cc4); transition: width 0.2s; }
    .note { margin: 8px 0 0; font-size: 12.5px; color: var(--warn, #8a5a00); }
    .hf-info { margin: 10px 0 4px; font-size: 12.5px; display: grid; gap: 3px; }
    .hf-info div { display: grid; grid-template-columns: 92px minmax(0, 1fr); gap: 8px; }
    .hf-info dt { color: var(--muted, #666); }
    .hf-info dd { margin: 0; overflow-wrap: anywhere; }
    .hf-info code, .explain code { font-size: 11.5px; background: var(--chip-bg, #f0eefa); padding: 0 4px; border-radius: 4px; }
    .stats-progress { display: flex; align-items: center; gap: 12px; font-size: 12.5px; color: var(--muted, #555); margin-bottom: 10px; }
    .stats-progress .progress { display: inline-block; width: 160px; }
    .stats-progress .fill { display: block; }
    .drop-overlay { position: fixed; inset: 0; z-index: 50; pointer-events: none; display: flex; align-items: center; justify-content: center;
      background: rgba(91, 60, 196, 0.12); border: 3px dashed var(--accent, #5b3cc4); }
    .drop-overlay p { background: var(--panel, #fff); color: var(--fg, #222); padding: 14px 20px; border-radius: 12px; font-size: 16px; font-weight: 600;
      box-shadow: 0 4px 20px rgba(0, 0, 0, 0.15); }
    .picker .display-tabs { margin-right: 6px; }
    label.vs { display: flex; flex-direction: column; gap: 3px; font-size: 12.5px; color: var(--muted, #666); margin-bottom: 6px; }
    input.vs { box-sizing: border-box; width: 100%; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; padding: 6px 10px;
      border-radius: 10px; border: 1px solid var(--border, #d6d3e4); background: var(--input-bg, #fff); color: var(--fg, #222); }
    .banner { margin: -2px 0 14px; padding: 9px 12px; border-radius: 10px; font-size: 13px; background: var(--banner-bg, #fff4d6);
      color: var(--banner-fg, #5a4300); border: 1px solid var(--banner-border, #f1dc9c); }
  `];
}

/** Whether the model's analysis gives each head's queries, keys and scores (AnalyzeRequest.trace, engine/protocol.ts):
 * every model's but a lab run of the LSTM baseline (config: the loaded model's), which has no attention. */
function givesVectors(model: ExplorerState['model'], config: Record<string, unknown>) {
  return model !== 'lab' || config.arch !== 'lstm';
}

/**
 * The files of a drop, folders walked (a few levels deep): each with its path in the drop, so a dropped model
 * folder is named after itself. Entries must be taken while the drop event runs; reading them is asynchronous.
 */
async function filesFromDrop(dt: DataTransfer): Promise<ChosenFile[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return [...dt.files].map((file) => ({ file, path: file.name }));
  const out: ChosenFile[] = [];
  const walk = async (e: FileSystemEntry, depth: number): Promise<void> => {
    if (out.length > 2000) return;
    if (e.isFile) {
      const file = await new Promise<File>((resolve, reject) => (e as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: e.fullPath.replace(/^\//, '') });
    } else if (e.isDirectory && depth < 3) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, depth + 1);
      }
    }
  };
  for (const e of entries) await walk(e, 0);
  return out;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-explorer': AttnExplorer;
  }
}
