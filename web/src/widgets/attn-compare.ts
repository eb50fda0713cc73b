// <attn-compare>: the same layer and head of one model on two texts, side by side, and their difference as a
// diverging heatmap (second minus first, blue below 0, red above), with the largest changes named. Rows and
// columns are aligned by token (text/align.ts): by position when the texts have as many tokens and differ in a
// few, otherwise by a longest common subsequence; a token found in one text only gets a hatched row and column.
// The engine computes both texts' attention (two analyses in the shared worker); components/compare-parts.ts
// draws both maps, subtracts them and draws the difference (the same part as <attn-view display="compare"> and the
// explorer's Compare display).
//
// Attributes: model, view, layer, head ("mean" allowed) and the untrained model's settings (model-widget.ts),
// text and compare (the two texts; by default a sentence and the same sentence with one word changed).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { COMPARE_DEFAULTS, compareExports, compareStyles, compared, comparisonPanel } from '../components/compare-parts';
import { ModelWidget } from './model-widget';
import { registerWidget } from './registry';
import '../components/attn-heatmap';

@customElement('attn-compare')
export class AttnCompare extends ModelWidget {
  static override widgetTag = 'attn-compare';
  static override stateKeys = [...ModelWidget.modelKeys, 'text', 'compare'];

  @property({ reflect: true }) text = '';
  @property({ reflect: true }) compare = '';

  @state() private analyses: Analysis[] = [];

  get widgetTitle() {
    return 'Compare two texts';
  }

  private get texts(): [string, string] {
    const [a, b] = COMPARE_DEFAULTS[this.modelId];
    return [this.text || a, this.compare || b];
  }

  protected async compute() {
    this.analyses = await this.analyzeTexts(this.texts);
  }

  protected override modelChanged() {
    super.modelChanged();
    this.text = '';
    this.compare = '';
  }

  /** Both texts' view and the choice of layer and head, when both have one. */
  private get shown() {
    const [first, second] = this.analyses.map((a) => this.viewOf(a));
    if (!first || !second || second.name !== first.name) return undefined;
    return compared(first, second, [this.analyses[0].text, this.analyses[1].text], this.pick(first, true));
  }

  protected override exportables(): MatrixExport[] {
    const s = this.shown;
    return s ? compareExports(s) : [];
  }

  // ------------------------------------------------------------------------------------------ render
  private setText(which: 'text' | 'compare', value: string) {
    this[which] = value;
    void this.stateChanged();
  }

  /** A causal model: no row before the first difference can change. */
  private get causal() {
    const v = this.viewOf(this.analyses[0]);
    return this.modelId === 'lm' || v?.name === 'decoder' || (this.modelId === 'untrained' && this.settings.causal);
  }

  protected renderBody() {
    const [ta, tb] = this.texts;
    const s = this.shown;
    const first = this.viewOf(this.analyses[0]);
    const input = (which: 'text' | 'compare', value: string, label: string) => html`<label class="in">${label}
      <input class=${which} dir="auto" .value=${value} @change=${(e: Event) => this.setText(which, (e.target as HTMLInputElement).value)} /></label>`;
    return html`
      ${this.renderModelSetup()}
      <div class="pair">${input('text', ta, 'First text')}${input('compare', tb, 'Second text')}</div>
      ${this.renderPickers(this.analyses[0]?.views ?? [], first, true)}
      ${this.analyses.length && !s ? html`<p class="muted">Type two texts to compare their attention.</p>` : nothing}
      ${s ? comparisonPanel(s, { colormap: this.colormap, causal: this.causal }) : nothing}
    `;
  }

  static override styles = [
    ...ModelWidget.modelStyles,
    compareStyles,
    css`
      .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 16px; margin-bottom: 8px; }
      @media (max-width: 640px) { .pair { grid-template-columns: 1fr; } }
      label.in { display: flex; flex-direction: column; gap: 3px; font-size: 12.5px; color: var(--w-muted); }
      label.in input { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px;
        background: var(--w-input-bg); font-size: 15px; color: var(--w-fg); }
    `,
  ];
}

registerWidget('attn-compare', 'Compare two texts');

declare global {
  interface HTMLElementTagNameMap {
    'attn-compare': AttnCompare;
  }
}
