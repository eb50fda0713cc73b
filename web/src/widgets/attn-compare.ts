// <attn-compare>: the same layer and head of one model on two texts, side by side, and their difference as a
// diverging heatmap (second minus first, blue below 0, red above), with the largest changes named. Rows and
// columns are aligned by token (text/align.ts): by position when the texts have as many tokens and differ in a
// few, otherwise by a longest common subsequence; a token found in one text only gets a hatched row and column.
// The engine computes both texts' attention (two analyses in the shared worker); components/compare-parts.ts
// subtracts them and draws the difference.
//
// Attributes: model, view, layer, head ("mean" allowed) and the untrained model's settings (model-widget.ts),
// text and compare (the two texts; by default a sentence and the same sentence with one word changed).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis, AttentionView } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { selectedMatrix, type HeadChoice } from '../state/store';
import { COMPARE_DEFAULTS, compareStyles, difference, differenceDomain, differencePanel, whereText } from '../components/compare-parts';
import { ModelWidget, drawnMask } from './model-widget';
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
    const pick = this.pick(first, true);
    return { first, second, pick, diff: difference(first, second, pick.layer, pick.head) };
  }

  protected override exportables(): MatrixExport[] {
    const s = this.shown;
    if (!s) return [];
    const where = whereText(s.pick);
    const one = (v: AttentionView, name: string): MatrixExport => {
      const { matrix, mask } = selectedMatrix(v, s.pick.layer, s.pick.head);
      return { title: `${name}, ${where}`, matrix, mask, rows: v.rows.length, cols: v.cols.length, rowLabels: v.rows, colLabels: v.cols,
        rowTitle: 'query', colTitle: 'key', domain: [0, 1] };
    };
    const d = s.diff;
    return [one(s.first, 'First text'), one(s.second, 'Second text'), {
      title: `Second − first, ${where}`, matrix: d.matrix, mask: d.mask, rows: d.rowLabels.length, cols: d.colLabels.length,
      rowLabels: d.rowLabels, colLabels: d.colLabels, rowTitle: 'query', colTitle: 'key', colormap: 'rdbu', domain: differenceDomain(d),
    }];
  }

  // ------------------------------------------------------------------------------------------ render
  private setText(which: 'text' | 'compare', value: string) {
    this[which] = value;
    void this.stateChanged();
  }

  private heatmap(v: AttentionView, pick: { layer: number; head: HeadChoice }, name: 'first' | 'second') {
    const { matrix, mask } = selectedMatrix(v, pick.layer, pick.head);
    const cross = v.name === 'cross';
    return html`<attn-heatmap class=${name} colormap=${this.colormap} .matrix=${matrix} rows=${v.rows.length} cols=${v.cols.length}
      .rowLabels=${v.rows} .colLabels=${v.cols} .mask=${drawnMask(mask)} .domain=${[0, 1] as [number, number]} max-size="400"
      row-title=${cross ? 'Output' : 'Query'} col-title=${cross ? 'Input' : 'Key'}
      caption="${name === 'first' ? 'First' : 'Second'} text · ${whereText(pick)}"></attn-heatmap>`;
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
      ${s
        ? html`<div class="pair maps">${this.heatmap(s.first, s.pick, 'first')}${this.heatmap(s.second, s.pick, 'second')}</div>
            <h3>The difference: second − first</h3>
            ${differencePanel(s.first, s.second, s.diff, s.pick, this.causal)}`
        : nothing}
    `;
  }

  static override styles = [
    ...ModelWidget.modelStyles,
    compareStyles,
    css`
      .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 16px; margin-bottom: 8px; }
      @media (max-width: 640px) { .pair { grid-template-columns: 1fr; } }
      .pair.maps { align-items: start; }
      label.in { display: flex; flex-direction: column; gap: 3px; font-size: 12.5px; color: var(--w-muted); }
      label.in input { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px;
        background: var(--w-input-bg); font-size: 15px; color: var(--w-fg); }
      h3 { font-size: 14px; margin: 14px 0 4px; }
    `,
  ];
}

registerWidget('attn-compare', 'Compare two texts');

declare global {
  interface HTMLElementTagNameMap {
    'attn-compare': AttnCompare;
  }
}
