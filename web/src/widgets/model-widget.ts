// What <attn-neuron> and <attn-compare> share: a model the page ships (or the untrained one) picked by an
// attribute, texts analyzed by the engine in the shared worker, and the choice of view, layer and head, with
// their controls.
//
// Attributes: model ("lm" | "tagger" | "dates" | "untrained"; the language model by default), view ("self", or
// "cross" | "encoder" | "decoder" for the date translator; the model's first by default), layer and head
// (1-based; head "mean" averages the heads where the widget allows it), and the untrained model's settings as
// <attn-view> takes them: d-model, heads, layers, ff, seed, positional, causal, scaled.
import { css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Analysis, AttentionView, LoadedModel } from '../engine/protocol';
import { sharedEngine } from '../engine/shared';
import { modelInfo } from '../models/catalog';
import type { HeadChoice, ModelSettings } from '../state/store';
import { SETTING_ATTRS, settingsAttributes, settingsFromAttributes } from './attn-view';
import { WidgetBase } from './widget-base';
import '../components/model-controls';

export const TEXT_MODELS = ['lm', 'tagger', 'dates', 'untrained'] as const;
export type TextModel = (typeof TEXT_MODELS)[number];

export { drawnMask } from '../components/heatmap-paint';

export abstract class ModelWidget extends WidgetBase {
  /** The state keys every such widget has; a subclass adds its own. */
  static modelKeys = ['model', 'view', 'layer', 'head', ...SETTING_ATTRS.map((a) => a.attr)];
  // The untrained model's settings are read from the attributes (settingsFromAttributes); declaring them makes
  // a change of any of them recompute.
  static override properties = Object.fromEntries(SETTING_ATTRS.map(({ attr }) => [attr, { attribute: attr }]));

  @property({ reflect: true }) model: string = 'lm';
  @property({ reflect: true }) view = '';
  @property({ reflect: true }) layer = '1';
  @property({ reflect: true }) head = '1';

  @state() protected notice = '';
  @state() protected loading = '';
  /** The model as loaded (its config says whether it scales by 1/√Dh). */
  @state() protected info?: LoadedModel;
  private readonly analyzeKey = `mw-${Math.random().toString(36).slice(2, 9)}`;

  get modelId(): TextModel {
    return (TEXT_MODELS as readonly string[]).includes(this.model) ? (this.model as TextModel) : 'lm';
  }

  protected get settings(): ModelSettings {
    return settingsFromAttributes((a) => this.getAttribute(a)).settings;
  }

  override willUpdate(changed: Map<string, unknown>) {
    super.willUpdate(changed);
    if (changed.has('model') || SETTING_ATTRS.some((a) => changed.has(a.attr))) {
      this.notice = this.modelId === 'untrained' ? settingsFromAttributes((a) => this.getAttribute(a)).notes.join(' ') : '';
    }
  }

  /** State attributes that say something: an empty one (a default text, no view picked) is left out. */
  override stateAttributes(): Record<string, string> {
    return Object.fromEntries(Object.entries(super.stateAttributes()).filter(([, v]) => v !== ''));
  }

  /** Loads the model, then analyzes each text (each under a key of its own: a newer request for it wins). */
  protected async analyzeTexts(texts: string[], trace?: 'full'): Promise<Analysis[]> {
    const client = sharedEngine();
    const model = this.modelId;
    const settings = this.settings;
    this.loading = model === 'untrained' ? '' : `Loading the ${modelInfo(model).title.toLowerCase()}…`;
    try {
      this.info = await client.load(model, settings);
    } finally {
      this.loading = '';
    }
    return Promise.all(texts.map((text, i) => client.analyze({ model, text, settings, trace }, `${this.analyzeKey}-${i}`)));
  }

  /** The view the attribute names, or the model's first. */
  protected viewOf(a: Analysis | undefined): AttentionView | undefined {
    const views = a?.views ?? [];
    return views.find((v) => v.name === this.view) ?? views[0];
  }

  /** 0-based layer and head (or 'mean' where allowed), clamped to the view. */
  protected pick(v: AttentionView, allowMean: boolean): { layer: number; head: HeadChoice } {
    const clamp = (s: string, n: number) => Math.max(0, Math.min(n - 1, (parseInt(s, 10) || 1) - 1));
    return { layer: clamp(this.layer, v.layers), head: allowMean && this.head === 'mean' ? 'mean' : clamp(this.head, v.heads) };
  }

  /** A state attribute changed from the widget's own controls. */
  protected setAttr(name: 'model' | 'view' | 'layer' | 'head', value: string) {
    this[name] = value;
    if (name === 'model') this.modelChanged();
    void this.stateChanged();
  }

  /** After the model changed: a subclass resets what belonged to the old one (its texts, its tokens). */
  protected modelChanged() {
    this.view = '';
  }

  /** The untrained model's own controls changed a setting: the attributes say the new settings. */
  private onSettings(patch: Partial<ModelSettings>) {
    const next = settingsAttributes({ ...this.settings, ...patch });
    for (const { attr } of SETTING_ATTRS) {
      if (next[attr] === undefined) this.removeAttribute(attr);
      else this.setAttribute(attr, next[attr]);
    }
    void this.stateChanged();
  }

  /** The notice about bad settings, the untrained model's controls, and the loading message. */
  protected renderModelSetup() {
    return html`${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.modelId === 'untrained'
        ? html`<model-controls .settings=${this.settings} @settings-change=${(e: CustomEvent<Partial<ModelSettings>>) => this.onSettings(e.detail)}></model-controls>`
        : nothing}
      ${this.loading ? html`<p class="muted" role="status">${this.loading}</p>` : nothing}`;
  }

  /** Model, view, layer and head pickers for the view shown. */
  protected renderPickers(views: AttentionView[], v: AttentionView | undefined, allowMean: boolean) {
    const pick = v ? this.pick(v, allowMean) : undefined;
    const select = (name: 'model' | 'view' | 'layer' | 'head', label: string, options: [string, string][], selected: string) =>
      html`<label>${label} <select class=${name} @change=${(e: Event) => this.setAttr(name, (e.target as HTMLSelectElement).value)}>
        ${options.map(([value, text]) => html`<option value=${value} ?selected=${value === selected}>${text}</option>`)}
      </select></label>`;
    const numbered = (n: number): [string, string][] => Array.from({ length: n }, (_, k) => [String(k + 1), String(k + 1)]);
    return html`<div class="pickers">
      ${select('model', 'Model', TEXT_MODELS.map((m) => [m, modelInfo(m).title]), this.modelId)}
      ${v && pick
        ? html`${views.length > 1 ? select('view', 'View', views.map((x) => [x.name, x.title]), v.name) : nothing}
            ${select('layer', 'Layer', numbered(v.layers), String(pick.layer + 1))}
            ${select('head', 'Head', [...numbered(v.heads), ...(allowMean ? [['mean', 'mean'] as [string, string]] : [])],
              pick.head === 'mean' ? 'mean' : String(pick.head + 1))}`
        : nothing}
    </div>`;
  }

  /** The base styles and those of the parts above (pickers, notice, the untrained model's controls, token names). */
  static modelStyles = [
    ...WidgetBase.baseStyles,
    css`
      .pickers { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; font-size: 13px; margin-bottom: 8px; }
      .pickers select { background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
      model-controls { margin-bottom: 8px; }
      .tok { font-weight: 600; white-space: pre; unicode-bidi: isolate; }
    `,
  ];
}
