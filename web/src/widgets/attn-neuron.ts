// <attn-neuron>: how one attention weight is made, with the model's own numbers (bertviz's neuron view). For one
// head, one query token i and one key token j: the query vector q_i and the key vector k_j (Dh numbers each),
// their elementwise product, its sum (the score), the division by √Dh, and the softmax across every key of
// query i, ending in the weight the heatmap shows in row i, column j. The engine computes all of it in one
// forward pass with its full trace (Analysis views with `vectors`); components/neuron-parts.ts lays the numbers out (the
// products and the exponentials are the arithmetic written out, from the engine's values).
//
// Attributes: model, view, layer, head and the untrained model's settings (model-widget.ts; no "mean" head here:
// a mean of heads has no query or key vector), text (the model's example by default), query and key (0-based row
// and column, as the heatmap's read-out numbers them; by default the last row, and the key it weighs most).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { modelInfo } from '../models/catalog';
import { hasVectors, neuronExports, neuronHeadMap, neuronStyles, neuronSteps, neuronTokens, pickNeuron, type NeuronNumbers, type VectorView } from '../components/neuron-parts';
import { ModelWidget } from './model-widget';
import { registerWidget } from './registry';

@customElement('attn-neuron')
export class AttnNeuron extends ModelWidget {
  static override widgetTag = 'attn-neuron';
  static override stateKeys = [...ModelWidget.modelKeys, 'text', 'query', 'key'];

  @property({ reflect: true }) text = '';
  @property({ reflect: true }) query = '';
  @property({ reflect: true }) key = '';

  @state() private analysis?: Analysis;

  get widgetTitle() {
    return 'How one attention weight is made';
  }

  private get currentText() {
    return this.text || modelInfo(this.modelId).example;
  }

  protected async compute() {
    [this.analysis] = await this.analyzeTexts([this.currentText], 'full');
  }

  protected override modelChanged() {
    super.modelChanged();
    this.text = '';
    this.query = '';
    this.key = '';
  }

  /** The view shown, with its numbers, and the head, query and key picked (clamped; defaults filled in). */
  private get shown(): { v: VectorView; n: NeuronNumbers } | undefined {
    const v = this.viewOf(this.analysis);
    if (!hasVectors(v)) return undefined;
    const { layer, head } = this.pick(v, false) as { layer: number; head: number };
    const index = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : undefined);
    return { v, n: pickNeuron(v, layer, head, index(this.query), index(this.key)) };
  }

  private setToken(which: 'query' | 'key', index: number) {
    this[which] = String(index);
    void this.stateChanged();
  }

  protected override exportables(): MatrixExport[] {
    const s = this.shown;
    if (!s) return [];
    return neuronExports(s.v, s.n);
  }

  // ------------------------------------------------------------------------------------------ render
  protected renderBody() {
    const a = this.analysis;
    const v = this.viewOf(a);
    const s = this.shown;
    const pick = (which: 'query' | 'key', index: number) => this.setToken(which, index);
    const cfg = this.info?.config ?? {};
    return html`
      ${this.renderModelSetup()}
      <input class="text" dir="auto" aria-label="Text" .value=${this.currentText}
        @change=${(e: Event) => {
          this.text = (e.target as HTMLInputElement).value;
          this.query = '';
          this.key = '';
          void this.stateChanged();
        }} />
      ${this.renderPickers(a?.views ?? [], v, false)}
      ${a?.truncated ? html`<p class="muted">${a.truncated}</p>` : nothing}
      ${a && !v ? html`<p class="muted">Type some text to see its attention.</p>` : nothing}
      ${s
        ? html`
            ${neuronTokens(this, 'query', s.v.rows, s.n.i, pick)}
            ${neuronTokens(this, 'key', s.v.cols, s.n.j, pick, s.n.mask)}
            ${neuronSteps(s.v, s.n, {
              colormap: this.colormap, pick,
              scaled: cfg.scaled !== false, temperature: Number(cfg.temperature ?? 1),
              causal: s.v.name !== 'encoder' && s.v.name !== 'cross' && this.modelId !== 'tagger',
            })}
            ${neuronHeadMap(s.v, s.n, { colormap: this.colormap, className: 'head', pick: (row, col) => this.pickCell(row, col) })}`
        : nothing}
    `;
  }

  private pickCell(row: number, col: number) {
    this.query = String(row);
    this.key = String(col);
    void this.stateChanged();
  }

  static override styles = [
    ...ModelWidget.modelStyles,
    neuronStyles,
    css`
      input.text { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px;
        background: var(--w-input-bg); font-size: 15px; margin-bottom: 8px; }
      attn-heatmap.head { margin-top: 4px; }
    `,
  ];
}

registerWidget('attn-neuron', 'How one attention weight is made');

declare global {
  interface HTMLElementTagNameMap {
    'attn-neuron': AttnNeuron;
  }
}
