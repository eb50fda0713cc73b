// <attn-compare>: the same layer and head of one model on two texts, side by side, and their difference as a
// diverging heatmap (second minus first, blue below 0, red above), with the largest changes named. Rows and
// columns are aligned by token (text/align.ts): by position when the texts have as many tokens and differ in a
// few, otherwise by a longest common subsequence; a token found in one text only gets a hatched row and column.
// The engine computes both texts' attention (two analyses in the shared worker); this file subtracts them.
//
// Attributes: model, view, layer, head ("mean" allowed) and the untrained model's settings (model-widget.ts),
// text and compare (the two texts; by default a sentence and the same sentence with one word changed).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis, AttentionView } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { selectedMatrix, type HeadChoice } from '../state/store';
import { alignTokens, pairLabel, type Alignment } from '../text/align';
import { ModelWidget, drawnMask, type TextModel } from './model-widget';
import { registerWidget } from './registry';
import '../components/attn-heatmap';

const ANIMAL = "The animal didn't cross the street because it was too";
/** The two texts each model starts with. */
export const COMPARE_DEFAULTS: Record<TextModel, [string, string]> = {
  lm: [`${ANIMAL} tired`, `${ANIMAL} wide`],
  tagger: [`${ANIMAL} tired.`, `${ANIMAL} wide.`],
  dates: ['23rd of Nov. 2026', '23rd of Dec. 2026'],
  untrained: [`${ANIMAL} tired.`, `${ANIMAL} wide.`],
};

/** A change smaller than this is not named. */
const NOTABLE = 0.005;

export interface Difference {
  rows: Alignment;
  cols: Alignment;
  rowLabels: string[];
  colLabels: string[];
  /** second − first on aligned cells, [rows.pairs, cols.pairs]; 0 under the mask. */
  matrix: Float32Array;
  /** -inf where there is nothing to subtract: a token of one text only, or a cell masked in either text. */
  mask: Float32Array;
  /** Aligned cells by decreasing |change|. */
  changes: { row: number; col: number; first: number; second: number }[];
}

/** One layer and head (or the mean) of the same view on two texts, aligned and subtracted. */
export function difference(first: AttentionView, second: AttentionView, layer: number, head: HeadChoice): Difference {
  const A = selectedMatrix(first, layer, head);
  const B = selectedMatrix(second, layer, head);
  const rows = alignTokens(first.rows, second.rows);
  const cols = alignTokens(first.cols, second.cols);
  const R = rows.pairs.length;
  const C = cols.pairs.length;
  const matrix = new Float32Array(R * C);
  const mask = new Float32Array(R * C);
  const changes: Difference['changes'] = [];
  const CA = first.cols.length;
  const CB = second.cols.length;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const [pr, pc] = [rows.pairs[r], cols.pairs[c]];
      const a = pr.a !== undefined && pc.a !== undefined ? pr.a * CA + pc.a : -1;
      const b = pr.b !== undefined && pc.b !== undefined ? pr.b * CB + pc.b : -1;
      if (a < 0 || b < 0 || A.mask?.[a] === -Infinity || B.mask?.[b] === -Infinity) {
        mask[r * C + c] = -Infinity;
        continue;
      }
      matrix[r * C + c] = B.matrix[b] - A.matrix[a];
      changes.push({ row: r, col: c, first: A.matrix[a], second: B.matrix[b] });
    }
  changes.sort((x, y) => Math.abs(y.second - y.first) - Math.abs(x.second - x.first));
  return {
    rows, cols, matrix, mask, changes,
    rowLabels: rows.pairs.map((p) => pairLabel(p, first.rows, second.rows)),
    colLabels: cols.pairs.map((p) => pairLabel(p, first.cols, second.cols)),
  };
}

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

  private where(pick: { layer: number; head: HeadChoice }) {
    return `layer ${pick.layer + 1} · ${pick.head === 'mean' ? 'mean of the heads' : `head ${pick.head + 1}`}`;
  }

  protected override exportables(): MatrixExport[] {
    const s = this.shown;
    if (!s) return [];
    const where = this.where(s.pick);
    const one = (v: AttentionView, name: string): MatrixExport => {
      const { matrix, mask } = selectedMatrix(v, s.pick.layer, s.pick.head);
      return { title: `${name}, ${where}`, matrix, mask, rows: v.rows.length, cols: v.cols.length, rowLabels: v.rows, colLabels: v.cols,
        rowTitle: 'query', colTitle: 'key', domain: [0, 1] };
    };
    const d = s.diff;
    return [one(s.first, 'First text'), one(s.second, 'Second text'), {
      title: `Second − first, ${where}`, matrix: d.matrix, mask: d.mask, rows: d.rowLabels.length, cols: d.colLabels.length,
      rowLabels: d.rowLabels, colLabels: d.colLabels, rowTitle: 'query', colTitle: 'key', colormap: 'rdbu', domain: this.diffDomain(d),
    }];
  }

  /** Symmetric around 0, to the largest change (at least ±0.01, so that no change at all reads as none). */
  private diffDomain(d: Difference): [number, number] {
    const m = Math.max(0.01, d.changes.length ? Math.abs(d.changes[0].second - d.changes[0].first) : 0);
    return [-m, m];
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
      caption="${name === 'first' ? 'First' : 'Second'} text · ${this.where(pick)}"></attn-heatmap>`;
  }

  /** How the rows and columns were paired, in words. */
  private renderAlignment(s: NonNullable<AttnCompare['shown']>) {
    const describe = (al: Alignment, a: number, b: number, what: string) =>
      al.method === 'position'
        ? `The ${what} have the same number of tokens (${a}) and ${al.changed === 0 ? 'all are the same' : `${al.changed} differ${al.changed === 1 ? 's' : ''}`}: they are paired by position${al.changed ? ', and a changed token is shown as “first → second”' : ''}.`
        : `The ${what} have ${a} and ${b} tokens: they are paired by their longest common subsequence (${al.matched} tokens in the same order); a token of one text only is marked − (first text) or + (second text) and its row and column are hatched.`;
    const cross = s.first.name === 'cross';
    return html`<p class="alignment">${cross
      ? html`${describe(s.diff.rows, s.first.rows.length, s.second.rows.length, 'outputs')} ${describe(s.diff.cols, s.first.cols.length, s.second.cols.length, 'inputs')}`
      : describe(s.diff.rows, s.first.rows.length, s.second.rows.length, 'two texts')}</p>`;
  }

  /** The sentence naming the largest changes. */
  private renderChanges(s: NonNullable<AttnCompare['shown']>) {
    const d = s.diff;
    const top = d.changes.filter((c) => Math.abs(c.second - c.first) >= NOTABLE).slice(0, 3);
    const causal = this.modelId === 'lm' || s.first.name === 'decoder' || (this.modelId === 'untrained' && this.settings.causal);
    if (!top.length)
      return html`<p class="changes">No aligned weight changes by ${NOTABLE} or more.${causal
        ? ' Each token of this causal model sees only the tokens before it, so no row before the first difference can change.'
        : ''}</p>`;
    return html`<p class="changes">Largest changes (row → column: first → second):
      ${top.map((c, n) => html`${n ? '; ' : ''}<span class="change" data-row=${c.row} data-col=${c.col}
        >“<span class="tok">${d.rowLabels[c.row]}</span>” → “<span class="tok">${d.colLabels[c.col]}</span>”:
        ${c.first.toFixed(2)} → ${c.second.toFixed(2)}</span>`)}.${causal
        ? ' This model is causal: a row can change only at or after the first token that differs.'
        : ''}</p>`;
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
            ${this.renderAlignment(s)}
            <attn-heatmap class="diff" colormap="rdbu" kind="values" .matrix=${s.diff.matrix} rows=${s.diff.rowLabels.length}
              cols=${s.diff.colLabels.length} .rowLabels=${s.diff.rowLabels} .colLabels=${s.diff.colLabels} .mask=${drawnMask(s.diff.mask)}
              .domain=${this.diffDomain(s.diff)} max-size="460" mask-label="nothing to subtract (a token of one text only, or masked)"
              row-title=${s.first.name === 'cross' ? 'Output' : 'Query'} col-title=${s.first.name === 'cross' ? 'Input' : 'Key'}
              caption="Second − first · ${this.where(s.pick)} (red: more attention in the second)"></attn-heatmap>
            ${this.renderChanges(s)}`
        : nothing}
    `;
  }

  static override styles = [
    ...ModelWidget.modelStyles,
    css`
      .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 16px; margin-bottom: 8px; }
      @media (max-width: 640px) { .pair { grid-template-columns: 1fr; } }
      .pair.maps { align-items: start; }
      label.in { display: flex; flex-direction: column; gap: 3px; font-size: 12.5px; color: var(--w-muted); }
      label.in input { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px;
        background: var(--w-input-bg); font-size: 15px; color: var(--w-fg); }
      h3 { font-size: 14px; margin: 14px 0 4px; }
      .alignment, .changes { font-size: 13px; margin: 0 0 8px; }
      .changes { margin-top: 8px; padding: 8px 10px; border-radius: 8px; background: var(--w-code-bg); }
    `,
  ];
}

registerWidget('attn-compare', 'Compare two texts');

declare global {
  interface HTMLElementTagNameMap {
    'attn-compare': AttnCompare;
  }
}
