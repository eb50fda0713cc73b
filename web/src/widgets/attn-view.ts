// <attn-view>: the explorer's main view as a widget, so a lesson can show "this sentence, this model, layer 2,
// head 3" and let the reader change the sentence. Uses the same worker, models and heatmap as the explorer page.
//
// Attributes: model ("lm" | "tagger" | "dates" | "untrained" | "lab"), hf (a Hugging Face model folder on the same
// site, e.g. "models/opus-mt-en-fr/": it replaces model), run (model "lab": a run the training lab kept in this
// browser, by its id), text, view ("self" | "cross" | "encoder" | "decoder"; the first one the model has by
// default), layer and head (1-based; head "mean" averages the heads; "rollout" or "flow": engine/rollout.ts, for
// self-attention), readonly (the text cannot be edited),
// gallery ("true": the head gallery under the heatmap, every head's thumbnail and what it does, computed by the
// engine; a click picks the head). The untrained model's settings: d-model, heads, layers, ff, seed, positional,
// causal, scaled (the explorer's choices; a value outside them gets a notice and the default).
// display: "heatmap" (the default), "lines" (the head view: a line from each query to each key, several heads at
// once; line-heads "1,3" = the heads drawn, absent = all; pin "q5" / "k2" = the token whose lines stay shown, query 5
// or key 2, 1-based; head "rollout" or "flow" draws that instead of the heads), "model" (every layer and head at
// once, a click picks one; pictures "heatmap" or "lines"), and the explorer's other displays, from the parts they
// share with <attn-neuron>, <attn-compare> and <attn-ablation>: "neuron" (how one weight of the head is made; query
// and key: 0-based row and column, by default the last row and the key it weighs most), "compare" (the same layer
// and head on a second text, vs, and second − first; vs by default the model's preset) and "ablation" (heads
// switched off: off "2.3,4.1", the translator's "e1.2,d2.1,c1.3"; ablate "zero" | "mean"; rank "true": the ranking;
// the shipped models, a lab run and a Hugging Face checkpoint, as in the explorer).
// A display that cannot show the model says why, as the explorer does.
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis, AttentionView } from '../engine/protocol';
import { Superseded } from '../engine/client';
import { sharedEngine } from '../engine/shared';
import { stackExports, type MatrixExport } from '../export/export';
import { MODELS, modelInfo, type ModelId } from '../models/catalog';
import { HF_FAMILIES, folderPath, folderUrl } from '../models/hf';
import type { HfInfo } from '../engine/protocol';
import { onModelStatus } from '../engine/shared';
import type { LoadedModel } from '../engine/protocol';
import { DEFAULT_SETTINGS, selectedMatrix, type HeadChoice, type ModelSettings } from '../state/store';
import { SUMMARIES, SUMMARY_LABEL, SummaryCache, hasSummaries, isSummary, summaryExplanation, type Summary } from '../engine/rollout';
import { D_MODELS, FFNS, HEADS, LAYERS } from '../components/model-controls';
import { registerWidget } from './registry';
import { boolAttribute } from './seeded-layers';

function folderName(value: string) {
  return value.split('/').filter(Boolean).pop() ?? 'a Hugging Face model';
}
import { WidgetBase } from './widget-base';
import { shownModelScript } from './model-script';
import type { ScriptDownload } from './pytorch-panel';
import '../components/attn-heatmap';
import '../components/head-gallery';
import '../components/attn-lines';
import { modelLinesSVG } from '../components/model-view';
import type { AttnLines } from '../components/attn-lines';
import { DISPLAYS, DISPLAY_PANEL, displayTabs, displayTabsStyles, displayUses, isDisplay, neuronNotice, type Display } from '../components/displays';
import { hasVectors, neuronExports, neuronHeadMap, neuronStyles, neuronSteps, neuronTokens, pickNeuron, type NeuronNumbers, type NeuronPick, type VectorView } from '../components/neuron-parts';
import { COMPARE_DEFAULTS, compareExports, compareStyles, compared, comparisonPanel, type Compared } from '../components/compare-parts';
import { ablationExports, ablationNotice, ablationTargetOf, headKey, parseOff, requestAblation } from '../components/ablation-parts';
import type { AblationResult, HeadRef } from '../engine/ablation';
import { headsText, parseHeads, parsePin, pinText, shownHeads, type Focus } from '../components/lines';
import '../components/model-controls';
import '../components/model-outputs';

/** The untrained model's settings as attributes: name, key, and the values allowed. */
export const SETTING_ATTRS: { attr: string; key: keyof ModelSettings; allowed?: number[] }[] = [
  { attr: 'd-model', key: 'd_model', allowed: D_MODELS },
  { attr: 'heads', key: 'nhead', allowed: HEADS },
  { attr: 'layers', key: 'num_layers', allowed: LAYERS },
  { attr: 'ff', key: 'dim_feedforward', allowed: FFNS },
  { attr: 'seed', key: 'seed' },
  { attr: 'positional', key: 'positional' },
  { attr: 'causal', key: 'causal' },
  { attr: 'scaled', key: 'scaled' },
];

/** The settings the attributes ask for (defaults where absent), and a note for each value that was not usable. */
export function settingsFromAttributes(get: (attr: string) => string | null): { settings: ModelSettings; notes: string[] } {
  const settings = { ...DEFAULT_SETTINGS };
  const notes: string[] = [];
  for (const { attr, key, allowed } of SETTING_ATTRS) {
    const raw = get(attr);
    if (raw === null || raw.trim() === '') continue;
    const v = raw.trim();
    if (typeof DEFAULT_SETTINGS[key] === 'boolean') {
      if (/^(true|1|on|yes)$/i.test(v)) (settings[key] as boolean) = true;
      else if (/^(false|0|off|no)$/i.test(v)) (settings[key] as boolean) = false;
      else notes.push(`${attr} must be true or false; using ${DEFAULT_SETTINGS[key]}.`);
      continue;
    }
    const n = Number(v);
    if (key === 'seed') {
      if (Number.isInteger(n) && n >= 0 && n <= 999999) settings.seed = n;
      else notes.push(`seed must be a whole number from 0 to 999999; using ${DEFAULT_SETTINGS.seed}.`);
    } else if (allowed!.includes(n)) {
      (settings[key] as number) = n;
    } else {
      notes.push(`${attr} must be one of ${allowed!.join(', ')}; using ${DEFAULT_SETTINGS[key]}.`);
    }
  }
  if (settings.d_model % settings.nhead !== 0 || settings.nhead > settings.d_model) {
    const heads = [...HEADS].reverse().find((h) => settings.d_model % h === 0 && h <= settings.d_model) ?? 1;
    notes.push(`heads (${settings.nhead}) must divide d-model (${settings.d_model}); using ${heads}.`);
    settings.nhead = heads;
  }
  return { settings, notes };
}

/** One [rows, cols] matrix of a view to export, titled "<view>, <name>" ("Self-attention, layer 2, head 3"). */
function viewExport(v: AttentionView, name: string, matrix: ArrayLike<number>, mask?: ArrayLike<number>): MatrixExport {
  return { title: `${v.title}, ${name}`, matrix, rows: v.rows.length, cols: v.cols.length, rowLabels: v.rows, colLabels: v.cols, mask,
    rowTitle: 'query', colTitle: 'key', domain: [0, 1] };
}

/** The attributes of settings (those that differ from the defaults). */
export function settingsAttributes(s: ModelSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { attr, key } of SETTING_ATTRS) if (s[key] !== DEFAULT_SETTINGS[key]) out[attr] = String(s[key]);
  return out;
}

@customElement('attn-view')
export class AttnView extends WidgetBase {
  static override widgetTag = 'attn-view';
  static override stateKeys = ['model', 'hf', 'run', 'text', 'view', 'layer', 'head', 'readonly', 'gallery',
    ...SETTING_ATTRS.map((a) => a.attr), 'display', 'line-heads', 'pin', 'pictures', 'query', 'key', 'vs', 'off', 'ablate', 'rank'];

  @property({ reflect: true }) model: ModelId = 'lm';
  /** A Hugging Face model folder on this site ("models/opus-mt-en-fr/"), read as the engine reads a Hub folder. */
  @property({ reflect: true }) hf = '';
  @property({ reflect: true }) text = '';
  @property({ reflect: true }) view = '';
  @property({ reflect: true }) layer = '1';
  @property({ reflect: true }) head = '1';
  /** How the attention is drawn (see displays.ts); absent: the heatmap. */
  @property({ reflect: true }) display?: string;
  /** The lines display: the heads drawn, 1-based ("1,3"); absent: every head. */
  @property({ reflect: true, attribute: 'line-heads' }) lineHeads?: string;
  /** The lines display: the token whose lines stay shown, "q5" (query 5) or "k2" (key 2), 1-based. */
  @property({ reflect: true }) pin?: string;
  /** The model display's pictures: "lines", or absent: heatmaps. */
  @property({ reflect: true }) pictures?: string;
  /** The neuron display: the query (row) and key (column) picked, 0-based as in <attn-neuron>. */
  @property({ reflect: true }) query?: string;
  @property({ reflect: true }) key?: string;
  /** The compare display: the second text. */
  @property({ reflect: true }) vs?: string;
  /** The ablation display: the heads switched off (<attn-ablation>'s syntax) and what a removed head outputs. */
  @property({ reflect: true }) off?: string;
  @property({ reflect: true }) ablate?: string;
  // Written only when on ("true"), as gallery.
  @property({ reflect: true, converter: { fromAttribute: boolAttribute.fromAttribute, toAttribute: (v: boolean) => (v ? 'true' : null) } })
  rank = false;
  @property({ reflect: true, type: Boolean }) readonly = false;
  /** Model "lab": the id of a run the training lab kept in this browser. */
  @property({ reflect: true, attribute: 'run' }) labRun?: string;
  /** The head gallery under the heatmap. */
  // Written only when on ("true"): an off gallery adds nothing to the Embed snippet or the URL.
  @property({ reflect: true, converter: { fromAttribute: boolAttribute.fromAttribute, toAttribute: (v: boolean) => (v ? 'true' : null) } })
  gallery = false;
  // The untrained model's settings (attributes only: see settingsFromAttributes).
  @property({ attribute: 'd-model' }) dModel?: string;
  @property() heads?: string;
  @property() layers?: string;
  @property() ff?: string;
  @property() seed?: string;
  @property() positional?: string;
  @property() causal?: string;
  @property() scaled?: string;

  /** The loaded model (its head statistics arrive after the first picture). */
  @state() private info?: LoadedModel;
  @state() private notice = '';
  private stopFollowing?: () => void;

  @state() private analysis?: Analysis;
  /** The analysis was asked for with each head's queries and keys (the neuron display): without them, the model has none. */
  private analysisTraced = false;
  /** The compare display's second text, analyzed by the same model. */
  @state() private compared?: Analysis;
  /** The ablation display's result (the worker's ablation call), for its model: model is its AblationTarget's tag. */
  @state() private ablated?: AblationResult & { model: string };
  /** The ablation requests made: a Hugging Face ranking in parts stops once a newer one is made. */
  private ablationAsked = 0;
  @state() private loading = '';
  /** The Hugging Face model, once loaded. */
  @state() private hfInfo?: HfInfo;

  get widgetTitle() {
    if (this.hf) return `Attention in ${this.hfInfo?.name ?? folderName(this.hf)}`;
    if (this.modelId === 'untrained') return 'Attention in an untrained model';
    if (this.modelId === 'lab') return `Attention in ${this.info?.config?.name ?? 'your lab model'}`;
    return `Attention in the ${modelInfo(this.modelId).title.toLowerCase()}`;
  }

  private get modelId(): ModelId {
    if (this.hf) return 'hf';
    if (this.model === 'lab' && this.labRun) return 'lab';
    return MODELS.some((m) => m.id === this.model && m.id !== 'lab' && m.id !== 'hf') ? this.model : 'lm';
  }

  private get settings(): ModelSettings {
    return settingsFromAttributes((a) => this.getAttribute(a)).settings;
  }

  override willUpdate(changed: Map<string, unknown>) {
    super.willUpdate(changed);
    if (changed.has('model') || SETTING_ATTRS.some((a) => changed.has(a.attr === 'd-model' ? 'dModel' : a.attr))) {
      this.notice = this.modelId === 'untrained' ? settingsFromAttributes((a) => this.getAttribute(a)).notes.join(' ') : '';
    }
  }

  override connectedCallback() {
    super.connectedCallback();
    // Head statistics follow the first picture: the gallery takes them as they come.
    this.stopFollowing = onModelStatus((s) => {
      if (s.state !== 'ready' || s.model !== this.modelId) return;
      if (s.model === 'hf' ? s.key === this.viewKey : s.model !== 'untrained') this.info = s.info;
    });
  }

  private get currentText() {
    if (this.modelId === 'hf') return this.text || (this.hfInfo ? HF_FAMILIES[this.hfInfo.family].example : '');
    return this.text || modelInfo(this.modelId).example;
  }

  /** The hf attribute as a URL on this site (relative to the page); the error says why when it cannot be. */
  private get hfUrl(): string {
    return folderUrl(this.hf, document.baseURI);
  }

  /** State attributes, with the model folder as its path on the site, so the Embed snippets work from any page. */
  override stateAttributes(): Record<string, string> {
    const out = super.stateAttributes();
    if (out.hf) {
      try {
        out.hf = folderPath(this.hfUrl);
      } catch {
        // another site: kept as written (loading it says why it cannot)
      }
      // hf replaces model; empty attributes say nothing.
      delete out.model;
      for (const k of ['text', 'view']) if (out[k] === '') delete out[k];
    }
    return out;
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.stopFollowing?.();
    sharedEngine().releaseHf(this.viewKey);
  }

  private get currentView(): AttentionView | undefined {
    const views = this.analysis?.views ?? [];
    return views.find((v) => v.name === this.view) ?? views[0];
  }

  /** 0-based layer and head (or 'mean'), clamped to the model. */
  private pick(v: AttentionView): { layer: number; head: HeadChoice } {
    const layer = Math.max(0, Math.min(v.layers - 1, (parseInt(this.layer, 10) || 1) - 1));
    const head = this.head === 'mean' ? 'mean' : Math.max(0, Math.min(v.heads - 1, (parseInt(this.head, 10) || 1) - 1));
    return { layer, head };
  }

  protected async compute() {
    await this.analyzeText();
    // head="rollout" or "flow": the engine computes it before the picture counts as shown.
    const v = this.currentView;
    const kind = v && this.summaryOf(v);
    if (v && kind) await this.summaries.load(v, kind, this.pick(v).layer);
    if (this.shownDisplay === 'compare') this.compared = await this.analyzeOne(this.compareText, `${this.viewKey}-vs`);
    const t = this.ablationTarget;
    const asked = ++this.ablationAsked;
    if (this.shownDisplay === 'ablation' && t) {
      await requestAblation((name, args) => this.call(name, args, 'ablation'), t,
        { text: this.currentText, removed: this.ablationOff.heads, mode: this.ablateMode, rank: this.rank },
        (r) => (this.ablated = { ...r, model: t.tag }), () => asked === this.ablationAsked);
    }
  }

  /** The compare display's second text: vs, else the model's preset (the same text with a word changed). */
  private get compareText() {
    return this.vs || (COMPARE_DEFAULTS as Partial<Record<string, [string, string]>>)[this.modelId]?.[1] || this.currentText;
  }

  /** The ablation display's target (a shipped model, a lab run or a Hugging Face checkpoint: ablation-parts.ts), or
   * why the model has none (the untrained model, a lab LSTM, a BertModel). */
  private get ablation() {
    return ablationTargetOf({ model: this.modelId, run: this.labRun, config: this.info?.config, hf: this.hfInfo });
  }

  /** The ablation display's target; undefined: the model has none. */
  private get ablationTarget() {
    const t = this.ablation;
    return 'none' in t ? undefined : t;
  }

  private get ablateMode(): 'zero' | 'mean' {
    return this.ablate === 'mean' ? 'mean' : 'zero';
  }

  /** The heads off names, and a note for each entry it cannot use. */
  private get ablationOff() {
    const t = this.ablationTarget;
    return parseOff(this.off ?? '', t?.panel ?? 'lm', t && this.ablated?.model === t.tag ? this.ablated.groups : undefined);
  }

  /** The ablation display's result for the model shown (undefined while it is computed). */
  private get ablationResult(): AblationResult | undefined {
    const t = this.ablationTarget;
    return t && this.ablated?.model === t.tag ? this.ablated : undefined;
  }

  /** What the attributes ask for that cannot be done: each with what is shown instead. */
  private get attributeNotes(): string[] {
    const notes: string[] = [];
    if (this.display && !isDisplay(this.display))
      notes.push(`display must be ${DISPLAYS.map((d) => d.id).join(', ')}; showing the heatmap.`);
    const d = this.shownDisplay;
    for (const which of ['query', 'key'] as const) {
      const x = this[which];
      if (d === 'neuron' && x && !/^\s*\d+\s*$/.test(x))
        notes.push(`${which} must be a token's number, 0 for the first; using ${which === 'query' ? 'the last row' : 'the key it weighs most'}.`);
    }
    if (d === 'ablation' && this.ablationTarget) {
      if (this.ablate && this.ablate !== 'zero' && this.ablate !== 'mean') notes.push('ablate must be zero or mean; using zero.');
      notes.push(...this.ablationOff.notes);
    }
    return notes;
  }

  /** Rollout and flow (engine/rollout.ts), computed by the engine when head says so. */
  private readonly summaries = new SummaryCache(() => sharedEngine(), () => this.requestUpdate(), `view-${Math.random().toString(36).slice(2, 9)}`);

  /** Rollout or flow, when head asks for it, the view is self-attention and the heatmap is shown. */
  private summaryOf(v: AttentionView): Summary | undefined {
    return isSummary(this.head) && hasSummaries(v) && (this.shownDisplay === 'heatmap' || this.shownDisplay === 'lines') ? this.head : undefined;
  }

  /** What the heatmap shows: a head, the mean, or rollout or flow (no matrix while it is computed, or a notice). */
  private shownMatrix(v: AttentionView, pick: { layer: number; head: HeadChoice }) {
    const kind = this.summaryOf(v);
    if (!kind) return { ...selectedMatrix(v, pick.layer, pick.head), name: pick.head === 'mean' ? 'mean of the heads' : `head ${pick.head + 1}` };
    const found = this.summaries.get(v, kind, pick.layer);
    return { matrix: found && 'matrix' in found ? found.matrix : undefined, mask: v.masks[pick.layer], name: kind,
      notice: found && 'notice' in found ? `${SUMMARY_LABEL[kind]} is not shown: ${found.notice}.` : found ? '' : `Computing ${kind}…`,
      explain: summaryExplanation(kind, pick.layer) };
  }

  /** The model's analysis of the text (with each head's queries and keys in the neuron display). */
  private async analyzeText() {
    const client = sharedEngine();
    const model = this.modelId;
    if (model === 'hf') {
      const url = this.hfUrl;
      this.loading = `Loading the model from ${folderPath(url)}…`;
      try {
        const info = await client.useHf(url, this.viewKey);
        this.hfInfo = info.hf;
        this.info = info;
      } finally {
        this.loading = '';
      }
    } else {
      client.releaseHf(this.viewKey);
      this.hfInfo = undefined;
      this.loading = model === 'untrained' ? '' : `Loading the ${modelInfo(model).title.toLowerCase()}…`;
      try {
        this.info = await client.load(model, this.settings, model === 'lab' ? this.labRun : undefined);
      } finally {
        this.loading = '';
      }
    }
    const traced = this.shownDisplay === 'neuron';
    const a = await this.analyzeOne(this.currentText, this.viewKey, traced ? 'full' : undefined);
    if (!a) return;
    this.analysis = a;
    this.analysisTraced = traced;
    a.later?.then((outputs) => {
      if (this.analysis === a) this.analysis = { ...a, outputs, later: undefined };
    });
  }

  /** One text analyzed by the model shown, under `key` (undefined: a newer request under that key replaced it). */
  private async analyzeOne(text: string, key: string, trace?: 'full'): Promise<Analysis | undefined> {
    const model = this.modelId;
    const request = model === 'hf'
      ? { model, hf: this.hfUrl, text, settings: DEFAULT_SETTINGS, trace }
      : { model, text, settings: this.settings, run: model === 'lab' ? this.labRun : undefined, trace };
    try {
      return await sharedEngine().analyze(request, key);
    } catch (e) {
      if (e instanceof Superseded) return undefined;
      throw e;
    }
  }

  private readonly viewKey = `view-${Math.random().toString(36).slice(2, 9)}`;

  /** What the display shows, for the Export menu (widget-base.ts). */
  protected override exportables(): MatrixExport[] {
    const v = this.currentView;
    if (!v) return [];
    const pick = this.pick(v);
    const d = this.shownDisplay;
    if (d === 'neuron') return hasVectors(v) ? neuronExports(v, this.neuron(v, pick)) : [];
    if (d === 'compare') {
      const { second } = this.secondOf(v);
      return second ? compareExports(this.comparison(v, pick, second)) : [];
    }
    if (d === 'ablation') {
      const t = this.ablationTarget;
      return t ? ablationExports(this.ablationResult, { mode: this.ablateMode, maskToken: t.maskToken }) : [];
    }
    if (d === 'model') return [this.everyHead(v)];
    // The heatmap: its matrix (a head's, the mean, or rollout's or flow's); the lines: the matrix of each head drawn.
    const kind = this.summaryOf(v);
    const heads: HeadChoice[] = d === 'lines' && !kind ? shownHeads(v, parseHeads(this.lineHeads, 1)) : [pick.head];
    return heads.flatMap((head) => {
      const { matrix, mask, name } = this.shownMatrix(v, { layer: pick.layer, head });
      return matrix ? [viewExport(v, kind ? `attention ${kind} through layer ${pick.layer + 1}` : `layer ${pick.layer + 1}, ${name}`, matrix, mask)] : [];
    });
  }

  /** The model display's numbers: every layer × head of the view in one CSV or JSON (made once per view). */
  private everyHead(v: AttentionView): MatrixExport {
    const m = this.stacked.get(v) ?? stackExports(`${v.title}: every layer and head`, Array.from({ length: v.layers * v.heads }, (_, k) => {
      const [l, h] = [Math.floor(k / v.heads), k % v.heads];
      const { matrix, mask } = selectedMatrix(v, l, h);
      return { name: `layer ${l + 1}, head ${h + 1}`, m: viewExport(v, `layer ${l + 1}, head ${h + 1}`, matrix, mask) };
    }), 'layer, head');
    this.stacked.set(v, m);
    return m;
  }

  private readonly stacked = new WeakMap<AttentionView, MatrixExport>();

  /** The line pictures as SVG: the head view's (display lines), the model view's (display model, pictures lines). */
  protected override svgExports() {
    const v = this.currentView;
    if (!v) return [];
    if (this.shownDisplay === 'model' && this.pictures === 'lines') {
      const title = `${v.title}: every layer and head, as lines`;
      return [{ title, svg: () => modelLinesSVG(v, title) }];
    }
    const lines = this.renderRoot.querySelector<AttnLines>('attn-lines');
    if (this.shownDisplay !== 'lines' || !lines) return [];
    return [{ title: `${v.title}, layer ${this.pick(v).layer + 1}: lines`, svg: () => lines.svg() }];
  }

  private get shownDisplay(): Display {
    return isDisplay(this.display) ? this.display : 'heatmap';
  }

  private setState(key: 'text' | 'view' | 'layer' | 'head' | 'model' | 'display' | 'lineHeads' | 'pin' | 'pictures' | 'vs' | 'off' | 'ablate',
    value: string | undefined) {
    (this as unknown as Record<string, string | undefined>)[key] = value;
    this.stateChanged();
  }

  /** The displays other than the heatmap, by the display attribute (the heatmap is drawn in renderBody). */
  private renderDisplay(v: AttentionView, pick: { layer: number; head: HeadChoice }, titles: { row: string; col: string }) {
    const heads = parseHeads(this.lineHeads, 1);
    const summary = this.summaryOf(v);
    const renderers = {
      lines: () => html`<attn-lines class="main" .view=${v} .layer=${pick.layer} .heads=${heads} .pin=${parsePin(this.pin, 1)} summaries
        .summary=${summary ? { kind: summary, ...this.summaries.get(v, summary, pick.layer) } : undefined}
        row-title=${titles.row} col-title=${titles.col}
        caption="${v.title} · layer ${pick.layer + 1} · ${summary ? summary
          : heads && heads.length < v.heads ? `heads ${headsText(heads, 1).replace(/,/g, ', ')}` : 'all heads'}"
        @summary-change=${(e: CustomEvent<Summary | undefined>) => this.setState('head', e.detail ?? String(pick.head === 'mean' ? 1 : pick.head + 1))}
        @heads-change=${(e: CustomEvent<number[] | undefined>) => this.setState('lineHeads', e.detail ? headsText(e.detail, 1) : undefined)}
        @pin-change=${(e: CustomEvent<Focus | undefined>) => this.setState('pin', e.detail ? pinText(e.detail, 1) : undefined)}></attn-lines>`,
      model: () => html`<attn-model-view class="main" .view=${v} .layer=${pick.layer} .head=${pick.head} colormap=${this.colormap}
        .stats=${this.info?.stats?.[v.name]}
        pictures=${this.pictures === 'lines' ? 'lines' : 'heatmap'}
        @head-select=${(e: CustomEvent<{ layer: number; head: number }>) => {
          this.lineHeads = String(e.detail.head + 1);
          this.selectHead(e.detail.layer, e.detail.head);
        }}
        @display-select=${(e: CustomEvent<Display>) => this.setState('display', e.detail === 'heatmap' ? undefined : e.detail)}
        @pictures-change=${(e: CustomEvent<string>) => this.setState('pictures', e.detail === 'lines' ? 'lines' : undefined)}></attn-model-view>`,
      neuron: () => this.renderNeuron(v, pick),
      compare: () => this.renderCompare(v, pick, titles),
      ablation: () => this.renderAblation(),
    };
    const d = this.shownDisplay;
    return d === 'heatmap' ? nothing : renderers[d]();
  }

  /** The model's name in sentences: "the tagger", or a Hugging Face model's. */
  private get modelName() {
    if (this.modelId === 'hf') return this.hfInfo?.name ?? folderName(this.hf);
    if (this.modelId === 'lab') return this.info?.config?.name ? String(this.info.config.name) : 'your lab model';
    if (this.modelId === 'untrained') return 'the untrained model';
    return `the ${modelInfo(this.modelId).title.toLowerCase()}`;
  }

  /** Each token of `v` sees only itself and the tokens before it. */
  private isCausal(v: AttentionView) {
    const m = this.modelId;
    return m === 'lm' || v.name === 'decoder' || (m === 'untrained' && this.settings.causal) || this.hfInfo?.family === 'gpt2';
  }

  /** The neuron display (neuron-parts.ts): how one weight of the head is made. */
  private renderNeuron(v: AttentionView, pick: { layer: number; head: HeadChoice }) {
    if (!hasVectors(v))
      return this.analysisTraced
        ? html`<p class="notice" role="status">${neuronNotice(this.modelName)}</p>`
        : html`<p class="muted" role="status">Computing the queries and keys…</p>`;
    const n = this.neuron(v, pick);
    const select = (i: number, j: number) => {
      this.query = String(i);
      this.key = String(j);
      this.stateChanged();
    };
    const tokenPick: NeuronPick = (which, index) => select(which === 'query' ? index : n.i, which === 'key' ? index : n.j);
    const cfg = this.info?.config ?? {};
    return html`
      ${pick.head === 'mean' || isSummary(this.head) ? html`<p class="muted" role="status">${pick.head === 'mean' ? 'A mean of heads' : `${SUMMARY_LABEL[this.head as Summary]}`}
        has no query or key vector: this is head 1. Pick a head above.</p>` : nothing}
      ${neuronTokens(this, 'query', v.rows, n.i, tokenPick)}
      ${neuronTokens(this, 'key', v.cols, n.j, tokenPick, n.mask)}
      ${neuronSteps(v, n, {
        colormap: this.colormap, pick: tokenPick, causal: this.isCausal(v),
        scaled: this.modelId === 'untrained' ? this.settings.scaled : cfg.scaled !== false, temperature: Number(cfg.temperature ?? 1),
      })}
      ${neuronHeadMap(v, n, { colormap: this.colormap, className: 'neuron-head', pick: select })}`;
  }

  /** The compare display (compare-parts.ts): the same layer and head on a second text, both texts' maps, and second − first. */
  private renderCompare(v: AttentionView, pick: { layer: number; head: HeadChoice }, titles: { row: string; col: string }) {
    const text = this.compareText;
    const { done, second } = this.secondOf(v);
    const input = html`<label class="vs">Second text <input class="vs" dir="auto" .value=${text} ?readonly=${this.readonly}
      @change=${(e: Event) => this.setState('vs', (e.target as HTMLInputElement).value)} /></label>`;
    if (!second)
      return html`${input}<p class="muted" role="status">${done ? 'Type a second text to compare its attention with this one’s.'
        : 'Computing the second text’s attention…'}</p>`;
    return html`${input}
      <p class="muted explain">The first text is the one above. Both texts’ attention in the same layer and head, on the same
        colour scale; then the second’s minus the first’s.</p>
      ${comparisonPanel(this.comparison(v, pick, second), { colormap: this.colormap, causal: this.isCausal(v), titles })}`;
  }

  /** The neuron display's numbers: the head picked (a mean of heads, rollout or flow: head 1), query and key by the
   * attributes (by default the last row and the key it weighs most). */
  private neuron(v: VectorView, pick: { layer: number; head: HeadChoice }): NeuronNumbers {
    const index = (x?: string) => (x && /^\s*\d+\s*$/.test(x) ? Number(x) : undefined);
    return pickNeuron(v, pick.layer, pick.head === 'mean' ? 0 : pick.head, index(this.query), index(this.key));
  }

  /** The compare display's second text: whether it is analyzed, and its view of the same name as `v`. */
  private secondOf(v: AttentionView): { done: boolean; second?: AttentionView } {
    const c = this.compared;
    const done = !!c && c.model === this.analysis?.model && c.text === this.compareText;
    return { done, second: done ? c.views.find((x) => x.name === v.name) : undefined };
  }

  /** What the compare display compares: `v` and `second` at the layer and head picked (rollout or flow: the mean). */
  private comparison(v: AttentionView, pick: { layer: number; head: HeadChoice }, second: AttentionView): Compared {
    return compared(v, second, [this.analysis!.text, this.compareText], { layer: pick.layer, head: isSummary(this.head) ? 'mean' : pick.head });
  }

  /** The ablation display (ablation-parts.ts): the text with heads switched off; a ranked head opens in the other displays. */
  private renderAblation() {
    const t = this.ablation;
    if ('none' in t)
      return html`<p class="notice" role="status">${ablationNotice(this.modelName, t.none, 'set model to lm, tagger or dates, model to lab with a run, or hf to a checkpoint’s folder')}</p>`;
    const open = (h: HeadRef) => {
      if (h.group !== 'self') this.view = h.group;
      this.selectHead(h.layer, h.head);
    };
    return html`<attn-ablation-panel .result=${this.ablationResult} .heads=${this.ablationOff.heads} model=${t.panel} mode=${this.ablateMode}
      ?rank=${this.rank} mean-label=${t.meanLabel} mask-token=${t.maskToken}
      .rankClick=${'Click a head to open it (its layer and head) in the other displays.'}
      @ablation-off=${(e: CustomEvent<HeadRef[]>) => this.setState('off', e.detail.map(headKey).join(',') || undefined)}
      @ablation-mode=${(e: CustomEvent<'zero' | 'mean'>) => this.setState('ablate', e.detail === 'mean' ? 'mean' : undefined)}
      @ablation-rank=${(e: CustomEvent<boolean>) => {
        this.rank = e.detail;
        this.stateChanged();
      }}
      @ablation-rank-head=${(e: CustomEvent<HeadRef>) => open(e.detail)}></attn-ablation-panel>`;
  }

  /** The PyTorch script of the model and text shown (widgets/model-script.ts); none for a Hugging Face model. */
  override pytorchScript(): string {
    return this.shownScript().script;
  }

  override pytorchFiles(): ScriptDownload[] {
    return this.shownScript().files;
  }

  private shownScript() {
    const v = this.currentView;
    const pick = v ? this.pick(v) : { layer: 0, head: 0 };
    return shownModelScript({ model: this.modelId, info: this.info, analysis: this.analysis, view: v, ...pick,
      settings: this.settings, run: this.labRun });
  }

  /** The untrained model's controls changed a setting: the attributes say the new settings. */
  private onSettings(patch: Partial<ModelSettings>) {
    const next = settingsAttributes({ ...this.settings, ...patch });
    for (const { attr } of SETTING_ATTRS) {
      if (next[attr] === undefined) this.removeAttribute(attr);
      else this.setAttribute(attr, next[attr]);
    }
    this.stateChanged();
  }

  private selectHead(layer: number, head: HeadChoice) {
    this.layer = String(layer + 1);
    this.head = head === 'mean' ? 'mean' : String(head + 1);
    this.stateChanged();
  }

  private renderGallery(v: AttentionView, pick: { layer: number; head: HeadChoice }) {
    const p = this.info?.statsProgress;
    return html`<div class="gallery">
      ${p ? html`<p class="muted stats-progress" role="status">Measuring what each head does over ${p.total} texts: ${p.done} of ${p.total}…</p>` : nothing}
      <head-gallery .view=${v} .stats=${this.info?.stats?.[v.name]} .layer=${pick.layer} .head=${pick.head} colormap=${this.colormap}
        @head-select=${(e: CustomEvent<{ layer: number; head: HeadChoice }>) => this.selectHead(e.detail.layer, e.detail.head)}></head-gallery>
    </div>`;
  }

  protected renderBody() {
    const v = this.currentView;
    const a = this.analysis;
    const pick = v ? this.pick(v) : undefined;
    const sel = v && pick ? this.shownMatrix(v, pick) : undefined;
    const display = this.shownDisplay;
    const titles = { row: v?.name === 'cross' ? (a!.model === 'hf' ? 'Target' : 'Output') : 'Query',
      col: v?.name === 'cross' ? (a!.model === 'hf' ? 'Source' : 'Input') : 'Key' };
    return html`
      ${this.notice || this.attributeNotes.length ? html`<p class="notice" role="status">${[this.notice, ...this.attributeNotes].filter(Boolean).join(' ')}</p>` : nothing}
      ${this.modelId === 'untrained' && !this.readonly
        ? html`<model-controls .settings=${this.settings} @settings-change=${(e: CustomEvent<Partial<ModelSettings>>) => this.onSettings(e.detail)}></model-controls>`
        : nothing}
      <div class="bar">
        ${this.readonly
          ? html`<p class="text" dir="auto">${this.currentText}</p>`
          : html`<input class="text" dir="auto" aria-label="Text" .value=${this.currentText}
              @change=${(e: Event) => this.setState('text', (e.target as HTMLInputElement).value)} />`}
      </div>
      ${this.loading ? html`<p class="muted" role="status">${this.loading}</p>` : nothing}
      ${v && pick && sel
        ? html`
            <div class="controls">
              ${displayTabs(display, (d) => this.setState('display', d === 'heatmap' ? undefined : d))}
              ${a!.views.length > 1
                ? html`<label>View <select @change=${(e: Event) => this.setState('view', (e.target as HTMLSelectElement).value)}>
                    ${a!.views.map((x) => html`<option value=${x.name} ?selected=${x.name === v.name}>${x.title}</option>`)}
                  </select></label>`
                : nothing}
              ${displayUses(display, 'layer') ? html`<label>Layer <select class="layer" @change=${(e: Event) => this.setState('layer', (e.target as HTMLSelectElement).value)}>
                ${Array.from({ length: v.layers }, (_, l) => html`<option value=${l + 1} ?selected=${l === pick.layer}>${l + 1}</option>`)}
              </select></label>` : nothing}
              ${displayUses(display, 'head') ? html`<label>Head <select class="head" @change=${(e: Event) => this.setState('head', (e.target as HTMLSelectElement).value)}>
                ${Array.from({ length: v.heads }, (_, h) => html`<option value=${h + 1} ?selected=${h === pick.head}>${h + 1}</option>`)}
                <option value="mean" ?selected=${pick.head === 'mean'}>mean</option>
                ${hasSummaries(v) ? SUMMARIES.map((k) => html`<option value=${k} ?selected=${this.head === k}>${k}</option>`) : nothing}
              </select></label>` : nothing}
              ${a!.truncated ? html`<span class="muted">${a!.truncated}</span>` : nothing}
              ${a!.warning ? html`<span class="warning" role="status">${a!.warning}</span>` : nothing}
            </div>
            <div role="tabpanel" id=${DISPLAY_PANEL} aria-labelledby="display-tab-${display}">
            ${display !== 'heatmap' ? this.renderDisplay(v, pick, titles) : !sel.matrix ? html`<p class="muted" role="status">${sel.notice}</p>` : html`<attn-heatmap colormap=${this.colormap} class="main" .matrix=${sel.matrix} rows=${v.rows.length} cols=${v.cols.length} .rowLabels=${v.rows}
              .colLabels=${v.cols} .mask=${sel.mask} .domain=${[0, 1] as [number, number]}
              row-title=${v.name === 'cross' ? (a!.model === 'hf' ? 'Target' : 'Output') : 'Query'}
              col-title=${v.name === 'cross' ? (a!.model === 'hf' ? 'Source' : 'Input') : 'Key'}
              caption="${v.title} · layer ${pick.layer + 1} · ${sel.name}"
              max-size="460"></attn-heatmap>${sel.explain ? html`<p class="muted explain">${sel.explain}</p>` : nothing}`}
            </div>
            ${display === 'ablation' ? nothing : html`<model-outputs .outputs=${a!.outputs}></model-outputs>`}
            ${this.gallery ? this.renderGallery(v, pick) : nothing}
          `
        : nothing}
    `;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    displayTabsStyles,
    neuronStyles,
    compareStyles,
    css`
      .warning { color: var(--w-error); font-size: 12.5px; }
      label.vs { display: flex; flex-direction: column; gap: 3px; font-size: 12.5px; color: var(--w-muted); margin-bottom: 6px; }
      input.vs { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px;
        background: var(--w-input-bg); font-size: 15px; color: var(--w-fg); }
      .explain { font-size: 13px; }
      .bar { margin-bottom: 8px; }
      input.text { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px; background: var(--w-input-bg); font-size: 15px; }
      p.text { margin: 0; font-size: 15px; }
      .controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; font-size: 13px; margin-bottom: 6px; }
      .controls select { background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      model-outputs { margin-top: 10px; }
      model-controls { margin-bottom: 8px; }
      .gallery { margin-top: 12px; }
      .stats-progress { font-size: 12.5px; margin: 0 0 6px; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
    `,
  ];
}

registerWidget('attn-view', 'Attention in a trained model');

declare global {
  interface HTMLElementTagNameMap {
    'attn-view': AttnView;
  }
}
