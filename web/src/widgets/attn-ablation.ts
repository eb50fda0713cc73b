// <attn-ablation>: switch attention heads off and see what the model then says. A layers × heads grid of toggles
// (one per kind of attention: the translator has three), the model's output with every head and with the chosen
// heads removed, and the size of the change; "Rank heads" removes each head alone and lists the heads by the change
// each makes. Removed heads contribute nothing (zero ablation), or, with mode="mean", output their mean context
// vector over the model's held-out texts (mean ablation). Every number is the engine's (engine/ablation.ts, one
// stateless call in the worker: Model.forward / greedy with head_mask, Model.headMeans).
//
// Attributes: model ("lm" | "tagger" | "dates"), text (the model's example by default), off (the heads switched
// off, comma-separated "layer.head", 1-based: "2.3,4.1"; the translator's with the kind first: "e1.2" encoder,
// "d2.1" decoder, "c1.3" cross-attention), mode ("zero" | "mean"), rank ("true": the ranking is shown).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { MODELS, ablationExports, headKey, parseOff, toggled } from '../components/ablation-parts';
import type { AblationModel, AblationResult, HeadRef } from '../engine/ablation';
import type { MatrixExport } from '../export/export';
import { modelInfo } from '../models/catalog';
import { registerWidget } from './registry';
import { boolAttribute } from './seeded-layers';
import { WidgetBase } from './widget-base';

@customElement('attn-ablation')
export class AttnAblation extends WidgetBase {
  static override widgetTag = 'attn-ablation';
  static override stateKeys = ['model', 'text', 'off', 'mode', 'rank'];

  @property({ reflect: true }) model: string = 'lm';
  @property({ reflect: true }) text = '';
  @property({ reflect: true }) off = '';
  @property({ reflect: true }) mode: string = 'zero';
  // Written only when on ("true"): an off ranking adds nothing to the Embed snippet or the URL.
  @property({ reflect: true, converter: { fromAttribute: boolAttribute.fromAttribute, toAttribute: (v: boolean) => (v ? 'true' : null) } })
  rank = false;

  @state() private result?: AblationResult;

  get widgetTitle() {
    return `Switch off heads of the ${modelInfo(this.modelId).title.toLowerCase()}`;
  }

  get modelId(): AblationModel {
    return (MODELS as string[]).includes(this.model) ? (this.model as AblationModel) : 'lm';
  }

  private get currentText() {
    return this.text || modelInfo(this.modelId).example;
  }

  private get modeId(): 'zero' | 'mean' {
    return this.mode === 'mean' ? 'mean' : 'zero';
  }

  /** The heads `off` names, and the notes for what it names wrong (and for a bad model or mode). */
  private get parsed() {
    const p = parseOff(this.off, this.modelId, this.result?.groups);
    if (!(MODELS as string[]).includes(this.model)) p.notes.unshift(`model must be lm, tagger or dates; showing the language model.`);
    if (this.mode !== 'zero' && this.mode !== 'mean') p.notes.unshift(`mode must be zero or mean; using zero.`);
    return p;
  }

  override stateAttributes(): Record<string, string> {
    return Object.fromEntries(Object.entries(super.stateAttributes()).filter(([k, v]) => v !== '' && !(k === 'mode' && v === 'zero')));
  }

  protected async compute() {
    this.result = await this.call('ablation', { model: this.modelId, text: this.currentText, removed: this.parsed.heads, mode: this.modeId, rank: this.rank });
  }

  private setOff(heads: HeadRef[]) {
    this.off = heads.map(headKey).join(',');
    void this.stateChanged();
  }

  private toggle(h: HeadRef) {
    this.setOff(toggled(this.parsed.heads, h));
  }

  private set(name: 'model' | 'text' | 'mode', value: string) {
    this[name] = value;
    if (name === 'model') {
      this.text = '';
      this.off = '';
      this.result = undefined;
    }
    void this.stateChanged();
  }

  /** The outcome shown (with every head, without the heads off, the change), and the ranking once computed. */
  protected override exportables(): MatrixExport[] {
    return ablationExports(this.result, { mode: this.modeId });
  }

  protected renderBody() {
    const { heads, notes } = this.parsed;
    return html`
      ${notes.length ? html`<p class="notice" role="status">${notes.join(' ')}</p>` : nothing}
      <div class="controls">
        <label>Model <select class="model" @change=${(e: Event) => this.set('model', (e.target as HTMLSelectElement).value)}>
          ${MODELS.map((m) => html`<option value=${m} ?selected=${m === this.modelId}>${modelInfo(m).title}</option>`)}
        </select></label>
      </div>
      <input class="text" dir="auto" aria-label="Text" .value=${this.currentText}
        @change=${(e: Event) => this.set('text', (e.target as HTMLInputElement).value)} />
      <attn-ablation-panel .result=${this.result} .heads=${heads} model=${this.modelId} mode=${this.modeId} ?rank=${this.rank}
        @ablation-off=${(e: CustomEvent<HeadRef[]>) => this.setOff(e.detail)}
        @ablation-mode=${(e: CustomEvent<string>) => this.set('mode', e.detail)}
        @ablation-rank=${(e: CustomEvent<boolean>) => {
          this.rank = e.detail;
          void this.stateChanged();
        }}
        @ablation-rank-head=${(e: CustomEvent<HeadRef>) => this.toggle(e.detail)}></attn-ablation-panel>
    `;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .controls { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; font-size: 13px; margin-bottom: 8px; }
      .controls select { background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      input.text { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px; background: var(--w-input-bg); font-size: 15px; margin-bottom: 10px; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
    `,
  ];
}

registerWidget('attn-ablation', 'Switch attention heads off');

declare global {
  interface HTMLElementTagNameMap {
    'attn-ablation': AttnAblation;
  }
}
