// <attn-view>: the explorer's main view as a widget, so a lesson can show "this sentence, this model, layer 2,
// head 3" and let the reader change the sentence. Uses the same worker, models and heatmap as the explorer page.
//
// Attributes: model ("lm" | "tagger" | "dates" | "untrained"), hf (a Hugging Face model folder on the same site,
// e.g. "models/opus-mt-en-fr/": it replaces model), text, view ("self" | "cross" | "encoder" | "decoder"; the first
// one the model has by default), layer and head (1-based; head "mean" averages the heads), readonly (the text
// cannot be edited).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis, AttentionView } from '../engine/protocol';
import { Superseded } from '../engine/client';
import { sharedEngine } from '../engine/shared';
import type { MatrixExport } from '../export/export';
import { MODELS, modelInfo, type ModelId } from '../models/catalog';
import { HF_FAMILIES, folderPath, folderUrl } from '../models/hf';
import type { HfInfo } from '../engine/protocol';
import { DEFAULT_SETTINGS, selectedMatrix, type HeadChoice } from '../state/store';
import { registerWidget } from './registry';

function folderName(value: string) {
  return value.split('/').filter(Boolean).pop() ?? 'a Hugging Face model';
}
import { WidgetBase } from './widget-base';
import '../components/attn-heatmap';
import '../components/model-outputs';

@customElement('attn-view')
export class AttnView extends WidgetBase {
  static override widgetTag = 'attn-view';
  static override stateKeys = ['model', 'hf', 'text', 'view', 'layer', 'head', 'readonly'];

  @property({ reflect: true }) model: ModelId = 'lm';
  /** A Hugging Face model folder on this site ("models/opus-mt-en-fr/"), read as the engine reads a Hub folder. */
  @property({ reflect: true }) hf = '';
  @property({ reflect: true }) text = '';
  @property({ reflect: true }) view = '';
  @property({ reflect: true }) layer = '1';
  @property({ reflect: true }) head = '1';
  @property({ reflect: true, type: Boolean }) readonly = false;

  @state() private analysis?: Analysis;
  @state() private loading = '';
  /** The Hugging Face model, once loaded. */
  @state() private hfInfo?: HfInfo;

  get widgetTitle() {
    if (this.hf) return `Attention in ${this.hfInfo?.name ?? folderName(this.hf)}`;
    return `Attention in the ${modelInfo(this.model).title.toLowerCase()}`;
  }

  private get modelId(): ModelId {
    if (this.hf) return 'hf';
    return MODELS.some((m) => m.id === this.model && m.id !== 'lab' && m.id !== 'hf') ? this.model : 'lm';
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
    const client = sharedEngine();
    const model = this.modelId;
    if (model === 'hf') {
      const url = this.hfUrl;
      this.loading = `Loading the model from ${folderPath(url)}…`;
      try {
        this.hfInfo = (await client.useHf(url, this.viewKey)).hf;
      } finally {
        this.loading = '';
      }
      try {
        const a = await client.analyze({ model, hf: url, text: this.currentText, settings: DEFAULT_SETTINGS }, this.viewKey);
        this.analysis = a;
        a.later?.then((outputs) => {
          if (this.analysis === a) this.analysis = { ...a, outputs, later: undefined };
        });
      } catch (e) {
        if (!(e instanceof Superseded)) throw e;
      }
      return;
    }
    client.releaseHf(this.viewKey);
    this.hfInfo = undefined;
    this.loading = model === 'untrained' ? '' : `Loading the ${modelInfo(model).title.toLowerCase()}…`;
    try {
      await client.load(model, DEFAULT_SETTINGS);
    } finally {
      this.loading = '';
    }
    try {
      this.analysis = await client.analyze({ model, text: this.currentText, settings: DEFAULT_SETTINGS }, this.viewKey);
    } catch (e) {
      if (!(e instanceof Superseded)) throw e;
    }
  }

  private readonly viewKey = `view-${Math.random().toString(36).slice(2, 9)}`;

  protected override exportables(): MatrixExport[] {
    const v = this.currentView;
    if (!v) return [];
    const { layer, head } = this.pick(v);
    const { matrix, mask } = selectedMatrix(v, layer, head);
    return [{
      title: `${v.title}, layer ${layer + 1}, ${head === 'mean' ? 'mean of the heads' : `head ${head + 1}`}`,
      matrix, rows: v.rows.length, cols: v.cols.length, rowLabels: v.rows, colLabels: v.cols, mask,
      rowTitle: 'query', colTitle: 'key', domain: [0, 1],
    }];
  }

  private setState(key: 'text' | 'view' | 'layer' | 'head' | 'model', value: string) {
    (this as unknown as Record<string, string>)[key] = value;
    this.stateChanged();
  }

  protected renderBody() {
    const v = this.currentView;
    const a = this.analysis;
    const pick = v ? this.pick(v) : undefined;
    const sel = v && pick ? selectedMatrix(v, pick.layer, pick.head) : undefined;
    return html`
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
              ${a!.views.length > 1
                ? html`<label>View <select @change=${(e: Event) => this.setState('view', (e.target as HTMLSelectElement).value)}>
                    ${a!.views.map((x) => html`<option value=${x.name} ?selected=${x.name === v.name}>${x.title}</option>`)}
                  </select></label>`
                : nothing}
              <label>Layer <select class="layer" @change=${(e: Event) => this.setState('layer', (e.target as HTMLSelectElement).value)}>
                ${Array.from({ length: v.layers }, (_, l) => html`<option value=${l + 1} ?selected=${l === pick.layer}>${l + 1}</option>`)}
              </select></label>
              <label>Head <select class="head" @change=${(e: Event) => this.setState('head', (e.target as HTMLSelectElement).value)}>
                ${Array.from({ length: v.heads }, (_, h) => html`<option value=${h + 1} ?selected=${h === pick.head}>${h + 1}</option>`)}
                <option value="mean" ?selected=${pick.head === 'mean'}>mean</option>
              </select></label>
              ${a!.truncated ? html`<span class="muted">${a!.truncated}</span>` : nothing}
            </div>
            <attn-heatmap colormap=${this.colormap} class="main" .matrix=${sel.matrix} rows=${v.rows.length} cols=${v.cols.length} .rowLabels=${v.rows}
              .colLabels=${v.cols} .mask=${sel.mask} .domain=${[0, 1] as [number, number]}
              row-title=${v.name === 'cross' ? (a!.model === 'hf' ? 'Target' : 'Output') : 'Query'}
              col-title=${v.name === 'cross' ? (a!.model === 'hf' ? 'Source' : 'Input') : 'Key'}
              caption="${v.title} · layer ${pick.layer + 1} · ${pick.head === 'mean' ? 'mean of the heads' : `head ${pick.head + 1}`}"
              max-size="460"></attn-heatmap>
            <model-outputs .outputs=${a!.outputs}></model-outputs>
          `
        : nothing}
    `;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .bar { margin-bottom: 8px; }
      input.text { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px; background: var(--w-input-bg); font-size: 15px; }
      p.text { margin: 0; font-size: 15px; }
      .controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; font-size: 13px; margin-bottom: 6px; }
      .controls select { background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      model-outputs { margin-top: 10px; }
    `,
  ];
}

registerWidget('attn-view', 'Attention in a trained model');

declare global {
  interface HTMLElementTagNameMap {
    'attn-view': AttnView;
  }
}
