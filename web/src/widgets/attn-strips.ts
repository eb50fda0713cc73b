// <attn-strips>: a few vectors of the same length as coloured strips of numbers, one above the other, so that
// column c of every strip lines up: q, k and q ⊙ k dimension by dimension, or a row of scores above the weights
// the softmax makes of it, key by key. Long strips wrap into blocks as wide as the element; each block is a
// table (column headers, one row per strip), which is also what a screen reader reads.
//
// Properties: strips (label, values, colormap and domain of each; cells whose mask is -inf are drawn hatched
// as −∞), columns (the column headers: dimension numbers, key tokens), highlight (a column to outline), caption.
// Clicking a cell fires `strip-pick` {column}.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { colormapLut, lutTextColor } from '../components/colormaps';
import { cssProps } from '../components/css-props';
import { srOnlyStyles } from '../components/sr-only';
import { HostWidth } from '../components/host-width';
import { formatCell } from './attn-matrix';

export interface Strip {
  /** Short name on the left ("q", "k", "q ⊙ k"), and the class of its cells (for tests and styles). */
  label: string | TemplateResult;
  name: string;
  values: ArrayLike<number>;
  colormap: string; // a sequential map, or "rdbu" (signed values, domain symmetric around 0)
  domain: [number, number];
  /** Additive mask, -inf = masked: the cell shows −∞ (the value is not drawn). */
  mask?: ArrayLike<number>;
}

const CELL_W = 58; // px: "−12.345" in 12 px tabular figures, with padding
const LABEL_W = 64;

@customElement('attn-strips')
export class AttnStrips extends LitElement {
  @property({ attribute: false }) strips: Strip[] = [];
  @property({ attribute: false }) columns: string[] = [];
  @property({ type: Number }) highlight = -1;
  @property() caption = '';

  private width = new HostWidth(this);

  /** Columns per block: as many as the width holds, blocks of equal size as far as possible. */
  private get perBlock(): number {
    const n = this.columns.length;
    const fits = Math.max(2, Math.floor(((this.width.value || 640) - LABEL_W) / CELL_W));
    const blocks = Math.ceil(n / fits);
    return Math.ceil(n / blocks);
  }

  private cell(s: Strip, c: number) {
    const masked = s.mask?.[c] === -Infinity;
    const v = s.values[c];
    if (masked) return html`<td class="${s.name} masked" data-col=${c} title="masked: −∞">−∞</td>`;
    const lut = colormapLut(s.colormap);
    const [lo, hi] = s.domain;
    const k = Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo || 1)) * 255)));
    const dark = lutTextColor(lut, k) === '#fff'; // a background dark enough for white text
    return html`<td class="${s.name} ${dark ? 'dark' : ''} ${c === this.highlight ? 'hl' : ''}" data-col=${c} data-value=${String(v)}
      title=${String(v)} style=${cssProps({ background: `rgb(${lut[k * 3]},${lut[k * 3 + 1]},${lut[k * 3 + 2]})` })}
      @click=${() => this.dispatchEvent(new CustomEvent('strip-pick', { detail: { column: c }, bubbles: true, composed: true }))}
      >${formatCell(v)}</td>`;
  }

  override render() {
    const n = this.columns.length;
    if (!n || !this.strips.length) return nothing;
    const per = this.perBlock;
    const blocks = Array.from({ length: Math.ceil(n / per) }, (_, b) => b * per);
    return html`<figure>
      ${blocks.map((first) => {
        const cols = Array.from({ length: Math.min(per, n - first) }, (_, k) => first + k);
        return html`<table>
          ${first === 0 && this.caption ? html`<caption class="sr-only">${this.caption}</caption>` : nothing}
          <thead><tr><td></td>${cols.map((c) => html`<th scope="col" class=${c === this.highlight ? 'hl' : ''} dir="auto"
            title=${this.columns[c]}>${this.columns[c]}</th>`)}</tr></thead>
          <tbody>${this.strips.map((s) => html`<tr><th scope="row">${s.label}</th>${cols.map((c) => this.cell(s, c))}</tr>`)}</tbody>
        </table>`;
      })}
    </figure>`;
  }

  static override styles = [srOnlyStyles, css`
    :host { display: block; }
    figure { margin: 0; display: flex; flex-direction: column; gap: 8px; }
    table { border-collapse: separate; border-spacing: 2px; font-variant-numeric: tabular-nums; font-size: 12px; table-layout: fixed; }
    th { font-weight: 500; color: var(--muted, #666); font-size: 11.5px; padding: 0 3px; white-space: nowrap; overflow: hidden;
      text-overflow: ellipsis; max-width: ${CELL_W - 4}px; unicode-bidi: isolate; }
    tbody th { text-align: right; width: ${LABEL_W - 8}px; max-width: none; color: var(--fg, #222); font-weight: 600; }
    thead th.hl { color: var(--accent, #5b3cc4); font-weight: 700; }
    td { width: ${CELL_W - 10}px; text-align: right; padding: 3px 4px; border-radius: 4px; color: #000; cursor: default; }
    td.dark { color: #fff; }
    td.hl { outline: 2px solid var(--accent, #5b3cc4); outline-offset: 1px; }
    td.masked { color: var(--muted, #777); text-align: center;
      background: repeating-linear-gradient(135deg, transparent 0 4px, rgba(127, 127, 140, 0.28) 4px 6px); }
  `];
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-strips': AttnStrips;
  }
}
