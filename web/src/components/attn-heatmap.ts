// <attn-heatmap>: the one heatmap of the project. Every view that draws a matrix uses it (the head gallery's
// thumbnails use its cell painter, heatmap-paint.ts, in a canvas of their own).
//
// Queries are rows, keys are columns. Values are drawn on a canvas (one pixel per cell, scaled without
// smoothing, so 512 x 512 draws in a few milliseconds; drawn again only when what it shows changes, and the
// screen readers' table follows when the page is idle); labels are DOM text (never HTML); masked cells are
// grey and hatched; NaN cells are red. Hover or the arrow keys show the exact value, the two tokens and the
// row sum; a live region announces it to screen readers.
//
// Properties: matrix (Float32Array, rows * cols), rows, cols, rowLabels, colLabels, mask (additive, -inf =
// masked), colormap (sequential, or "rdbu" for signed values), domain ([lo, hi]), rowTitle, colTitle, caption,
// kind ("weights": rows are distributions, the read-out gives the row sum; "values": any matrix, e.g. Q or a
// positional encoding), maskLabel (the legend's words for masked cells).
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { cssProps } from './css-props';
import { scaleLinear } from 'd3-scale';
import { colormapLut, lutTextColor } from './colormaps';
import { MASKED_COLOR, drawCells, maskedRgb } from './heatmap-paint';
import { srOnlyStyles } from './sr-only';

const LABEL_MIN_SPACING = 13; // px between shown labels
const MAX_CELL = 44;
/** Bumped when the colour scheme changes: the canvases read their grey and hatch colours from CSS. */
let themeGeneration = 0;
globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => {
  themeGeneration++;
  for (const el of live) el.requestUpdate();
});
const live = new Set<AttnHeatmap>();
const LABEL_HALF = 7; // half a label's line box (14 px)
const TILT = (55 * Math.PI) / 180; // column labels rise at 55 degrees
const COS_TILT = Math.cos(TILT);
const SIN_TILT = Math.sin(TILT);
const TILTED_LABELS_H = 92; // px above the plot for tilted column labels
const FLAT_LABELS_H = 34; // … and for flat ones (one or two characters each: a character-level model)

export interface CellInfo {
  row: number;
  col: number;
  value: number;
  masked: boolean;
  rowSum: number;
}

@customElement('attn-heatmap')
export class AttnHeatmap extends LitElement {
  @property({ attribute: false }) matrix?: Float32Array;
  @property({ type: Number }) rows = 0;
  @property({ type: Number }) cols = 0;
  @property({ attribute: false }) rowLabels: string[] = [];
  @property({ attribute: false }) colLabels: string[] = [];
  @property({ attribute: false }) mask?: Float32Array;
  @property() colormap = 'viridis';
  @property({ attribute: false }) domain: [number, number] = [0, 1];
  @property({ attribute: 'row-title' }) rowTitle = 'Query';
  @property({ attribute: 'col-title' }) colTitle = 'Key';
  @property() caption = 'Attention weights';
  /** "weights" (rows sum to 1; the read-out shows the row sum) or "values" (any numbers). */
  @property() kind: 'weights' | 'values' = 'weights';
  /** What masked cells mean, for the legend. */
  @property({ attribute: 'mask-label' }) maskLabel = 'masked (score −∞, weight 0)';
  /** Largest side of the plot in CSS pixels. */
  @property({ type: Number, attribute: 'max-size' }) maxSize = 620;

  @state() private active?: { row: number; col: number };
  @state() private width = 0;

  @query('canvas.plot-canvas') private canvas!: HTMLCanvasElement;
  @query('canvas.bar') private bar?: HTMLCanvasElement;

  private resizer = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (Math.abs(w - this.width) > 2) this.width = w;
  });

  override connectedCallback() {
    super.connectedCallback();
    this.resizer.observe(this);
    live.add(this);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.resizer.disconnect();
    live.delete(this);
    cancelIdle(this.tableIdle);
    this.table = undefined;
  }

  // ------------------------------------------------------------------------------------------- geometry
  private get rowLabelWidth() {
    const widest = Math.max(0, ...this.rowLabels.map((l) => Math.min(l.length, 14)));
    return Math.max(72, Math.min(140, 14 + 7.5 * widest));
  }

  /** Side of one cell in CSS pixels (may be fractional for long sequences). */
  get cell(): number {
    if (!this.rows || !this.cols) return 0;
    const avail = Math.max(120, (this.width || 640) - 160);
    const side = Math.min(this.maxSize, avail);
    const c = Math.min(MAX_CELL, side / Math.max(this.rows, this.cols));
    return c >= 4 ? Math.floor(c) : c;
  }

  /** Cell values for tests and tools. */
  cellInfo(row: number, col: number): CellInfo | undefined {
    if (!this.matrix || row < 0 || col < 0 || row >= this.rows || col >= this.cols) return undefined;
    const value = this.matrix[row * this.cols + col];
    let rowSum = 0;
    for (let j = 0; j < this.cols; j++) rowSum += this.matrix[row * this.cols + j];
    const masked = !!this.mask && this.mask[row * this.cols + col] === -Infinity;
    return { row, col, value, masked, rowSum };
  }

  // -------------------------------------------------------------------------------------------- drawing
  /** What the canvas shows now: drawing again is skipped when nothing it depends on changed (hover, a caption). */
  private drawn: unknown[] = [];
  private barDrawn: unknown[] = [];

  override updated() {
    const key = [this.canvas, this.matrix, this.rows, this.cols, this.mask, this.colormap, this.domain[0], this.domain[1],
      this.cell, window.devicePixelRatio, themeGeneration];
    if (key.length !== this.drawn.length || key.some((k, i) => !Object.is(k, this.drawn[i]))) {
      this.drawn = key;
      this.draw();
    }
    this.scheduleTable();
    const bar = [this.bar, this.colormap, themeGeneration];
    if (this.bar && bar.some((k, i) => k !== this.barDrawn[i])) {
      this.barDrawn = bar;
      this.drawColorbar();
    }
  }

  /** The colours the canvas takes from CSS, read once per colour scheme (reading them forces a style recalculation). */
  private colors?: { generation: number; masked: [number, number, number]; hatch: string; bg: string };

  private themeColors() {
    if (this.colors?.generation !== themeGeneration) {
      const styles = getComputedStyle(this);
      this.colors = {
        generation: themeGeneration,
        masked: maskedRgb(styles, '--attn-masked'),
        hatch: styles.getPropertyValue('--attn-hatch').trim() || '#9a9aa4',
        bg: styles.getPropertyValue('--attn-bg').trim() || '#fff',
      };
    }
    return this.colors;
  }

  private hatch?: { key: string; pattern: CanvasPattern };

  /**
   * A masked cell's hatching as a tile that repeats once per cell: the diagonal from its bottom-left to its top-right
   * corner (and, in cells of 14 px or more, the two half diagonals beside it), 1 CSS pixel wide. For a context
   * scaled by dpr, in CSS pixels; kept while the cell, the scale and the colour stay.
   */
  private hatchPattern(ctx: CanvasRenderingContext2D, cell: number, dpr: number, color: string): CanvasPattern {
    const key = `${cell} ${dpr} ${color}`;
    if (this.hatch?.key === key) return this.hatch.pattern;
    const side = Math.max(1, Math.round(cell * dpr));
    const tile = document.createElement('canvas');
    tile.width = tile.height = side;
    const t = tile.getContext('2d')!;
    t.scale(side / cell, side / cell);
    t.strokeStyle = color;
    t.lineWidth = 1;
    t.beginPath();
    t.moveTo(0, cell);
    t.lineTo(cell, 0);
    if (cell >= 14) {
      t.moveTo(0, cell / 2);
      t.lineTo(cell / 2, 0);
      t.moveTo(cell / 2, cell);
      t.lineTo(cell, cell / 2);
    }
    t.stroke();
    const pattern = ctx.createPattern(tile, 'repeat')!;
    pattern.setTransform(new DOMMatrix().scale(cell / side)); // side device pixels = one cell of CSS pixels
    this.hatch = { key, pattern };
    return pattern;
  }

  private draw() {
    const canvas = this.canvas;
    if (!canvas || !this.matrix) return;
    const { rows, cols, cell } = this;
    const dpr = window.devicePixelRatio || 1;
    const W = cols * cell;
    const H = rows * cell;
    const width = Math.max(1, Math.round(W * dpr));
    const height = Math.max(1, Math.round(H * dpr));
    // Resizing a canvas reallocates it: only when the size changes (typing mostly keeps the token count).
    if (canvas.width !== width || canvas.height !== height) {
      canvas.style.width = `${W}px`;
      canvas.style.height = `${H}px`;
      canvas.width = width;
      canvas.height = height;
    }
    const colors = this.themeColors();
    const lut = colormapLut(this.colormap);
    const [lo, hi] = this.domain;
    const span = hi - lo || 1;
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    // The cells cover the whole canvas, opaque: nothing to clear.
    drawCells(ctx, { matrix: this.matrix, rows, cols, mask: this.mask, colormap: this.colormap, domain: this.domain, masked: colors.masked }, 0, 0,
      canvas.width, canvas.height);
    ctx.scale(dpr, dpr);

    // Hatching makes masked cells distinct from near-zero weights even in greyscale: one tile per cell, filled over
    // each row's runs of masked cells (a causal mask is one run per row).
    if (this.mask && cell >= 5) {
      ctx.fillStyle = this.hatchPattern(ctx, cell, dpr, colors.hatch);
      ctx.beginPath();
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) {
          if (this.mask[i * cols + j] !== -Infinity) continue;
          let end = j + 1;
          while (end < cols && this.mask[i * cols + end] === -Infinity) end++;
          ctx.rect(j * cell, i * cell, (end - j) * cell, cell);
          j = end;
        }
      ctx.fill();
    }
    // Thin gaps between large cells read as tiles.
    if (cell >= 12) {
      ctx.strokeStyle = colors.bg;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 1; i < rows; i++) {
        ctx.moveTo(0, i * cell);
        ctx.lineTo(W, i * cell);
      }
      for (let j = 1; j < cols; j++) {
        ctx.moveTo(j * cell, 0);
        ctx.lineTo(j * cell, H);
      }
      ctx.stroke();
    }
    // Values written in the cells when they are large enough to read.
    if (cell >= 34) {
      ctx.font = `${Math.min(12, cell / 3.2)}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) {
          const v = this.matrix[i * cols + j];
          if (this.mask && this.mask[i * cols + j] === -Infinity) continue;
          const k = Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255)));
          ctx.fillStyle = lutTextColor(lut, k);
          ctx.fillText(formatShort(v), j * cell + cell / 2, i * cell + cell / 2);
        }
    }
  }

  private drawColorbar() {
    const bar = this.bar;
    if (!bar) return;
    const w = 180;
    const h = 10;
    const dpr = window.devicePixelRatio || 1;
    bar.width = w * dpr;
    bar.height = h * dpr;
    bar.style.width = `${w}px`;
    bar.style.height = `${h}px`;
    const ctx = bar.getContext('2d')!;
    const lut = colormapLut(this.colormap);
    for (let x = 0; x < bar.width; x++) {
      const k = Math.round((x / (bar.width - 1)) * 255) * 3;
      ctx.fillStyle = `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
      ctx.fillRect(x, 0, 1, bar.height);
    }
  }

  // ------------------------------------------------------------------------------------------ interaction
  private cellAt(ev: PointerEvent) {
    const rect = this.canvas.getBoundingClientRect();
    const col = Math.floor(((ev.clientX - rect.left) / rect.width) * this.cols);
    const row = Math.floor(((ev.clientY - rect.top) / rect.height) * this.rows);
    if (row < 0 || col < 0 || row >= this.rows || col >= this.cols) return undefined;
    return { row, col };
  }

  private onPointerMove(ev: PointerEvent) {
    const c = this.cellAt(ev);
    if (!c) return;
    if (!this.active || c.row !== this.active.row || c.col !== this.active.col) this.setActive(c);
  }

  private onPointerLeave() {
    if (this.shadowRoot?.activeElement?.classList.contains('plot')) return;  // keyboard focus keeps its cell
    this.active = undefined;
  }

  private onKey(ev: KeyboardEvent) {
    if (!this.rows || !this.cols) return;
    const cur = this.active ?? { row: 0, col: 0 };
    let { row, col } = cur;
    switch (ev.key) {
      case 'ArrowUp': row--; break;
      case 'ArrowDown': row++; break;
      case 'ArrowLeft': col--; break;
      case 'ArrowRight': col++; break;
      case 'Home': col = 0; break;
      case 'End': col = this.cols - 1; break;
      case 'PageUp': row -= 10; break;
      case 'PageDown': row += 10; break;
      case 'Escape': this.active = undefined; return;
      default: return;
    }
    ev.preventDefault();
    this.setActive({ row: clamp(row, 0, this.rows - 1), col: clamp(col, 0, this.cols - 1) });
  }

  private onFocus() {
    if (!this.active && this.rows && this.cols) this.setActive({ row: 0, col: 0 });
  }

  private setActive(c: { row: number; col: number }) {
    this.active = c;
    this.dispatchEvent(new CustomEvent('cell-active', { detail: c, bubbles: true, composed: true }));
  }

  // --------------------------------------------------------------------------------------------- template
  /**
   * The labels of one axis, as DOM text without a transform of their own: the row labels are placed by `top`, and
   * the column labels sit in one container rotated by -55 degrees (positions computed in its turned frame), so a
   * long axis costs the page's compositor one transformed box, not one per label.
   */
  /** Column labels of one or two characters (a character-level model) stand upright, centred over their
   * columns: tilted single letters are hard to read. Longer labels rise at 55 degrees. */
  private get flatColumns() {
    if (this.cell < 12) return false;
    for (let k = 0; k < this.cols; k++) if (Array.from(this.colLabels[k] ?? '').length > 2) return false;
    return true;
  }

  private labels(labels: string[], count: number, axis: 'row' | 'col') {
    const cell = this.cell;
    const every = Math.max(1, Math.ceil(LABEL_MIN_SPACING / cell));
    const flat = axis === 'col' && this.flatColumns;
    const at = (k: number): Record<string, string> => {
      const pos = k * cell + cell / 2;
      if (axis === 'row') return { top: `${(pos - LABEL_HALF).toFixed(2)}px` };
      if (flat) return { left: `${(k * cell).toFixed(2)}px`, width: `${cell}px` };
      return { left: `${(pos * COS_TILT).toFixed(2)}px`, top: `${(pos * SIN_TILT - LABEL_HALF).toFixed(2)}px` };
    };
    const out = [];
    for (let k = 0; k < count; k += every) {
      const active = axis === 'row' ? this.active?.row === k : this.active?.col === k;
      out.push(html`<span class="label ${active ? 'active' : ''}" dir="auto" title=${labels[k] ?? ''} style=${cssProps(at(k))}
        >${labels[k] ?? ''}</span
      >`);
    }
    if (this.active && every > 1) {
      // On dense maps the hovered row and column always get their label.
      const k = axis === 'row' ? this.active.row : this.active.col;
      if (k % every !== 0) out.push(html`<span class="label active" dir="auto" style=${cssProps(at(k))}>${labels[k] ?? ''}</span>`);
    }
    return out;
  }

  private tooltip() {
    const a = this.active;
    if (!a) return nothing;
    const info = this.cellInfo(a.row, a.col);
    if (!info) return nothing;
    const cell = this.cell;
    const W = this.cols * cell;
    const H = this.rows * cell;
    const x = a.col * cell + cell + 10;
    const y = a.row * cell + cell + 10;
    const pos = {
      left: x + 230 > W + 120 ? `${Math.max(0, a.col * cell - 230)}px` : `${x}px`,
      top: y + 110 > H + 60 ? `${Math.max(0, a.row * cell - 110)}px` : `${y}px`,
    };
    const valueText = Number.isNaN(info.value) ? 'NaN' : Number.isFinite(info.value) ? info.value.toFixed(6) : info.value > 0 ? '∞' : '−∞';
    const weights = this.kind === 'weights';
    return html`<div class="tooltip" style=${cssProps(pos)} data-row=${a.row} data-col=${a.col} data-value=${String(info.value)}>
      <div class="tt-pair">
        <span class="tt-k">${this.rowTitle}</span> <span class="tt-i">${a.row}</span>
        <span class="tt-tok" dir="auto">${this.rowLabels[a.row] ?? ''}</span>
        <span class="tt-arrow">→</span>
        <span class="tt-k">${this.colTitle}</span> <span class="tt-i">${a.col}</span>
        <span class="tt-tok" dir="auto">${this.colLabels[a.col] ?? ''}</span>
      </div>
      <div class="tt-value">${info.masked ? html`<span class="tt-masked">masked</span> ` : nothing}${weights ? 'weight' : 'value'}
        <strong class="weight">${valueText}</strong></div>
      ${weights
        ? html`<div class="tt-sum">row sum <span class="row-sum">${info.rowSum.toFixed(6)}</span>${
            info.rowSum === 0 ? html` <span class="tt-note">(every key masked: zero by rule)</span>` : nothing
          }</div>`
        : nothing}
    </div>`;
  }

  private announcement() {
    const a = this.active;
    if (!a) return '';
    const info = this.cellInfo(a.row, a.col);
    if (!info) return '';
    return `${this.rowTitle} ${a.row} ${this.rowLabels[a.row] ?? ''}, ${this.colTitle} ${a.col} ${this.colLabels[a.col] ?? ''}: ${
      info.masked ? 'masked, ' : ''
    }${this.kind === 'weights' ? 'weight' : 'value'} ${Number.isNaN(info.value) ? 'not a number' : info.value.toFixed(4)}`;
  }

  /**
   * The same numbers as a table for screen readers (up to 32 x 32 cells; larger maps are read with the keys). It
   * follows the picture when the page is idle, so typing never waits for a thousand table cells.
   */
  @state() private table?: TableSnapshot;
  private tableIdle = 0;

  private scheduleTable() {
    const want: TableSnapshot = { matrix: this.matrix, rows: this.rows, cols: this.cols, mask: this.mask, rowLabels: this.rowLabels,
      colLabels: this.colLabels, caption: this.caption, rowTitle: this.rowTitle, colTitle: this.colTitle };
    const t = this.table;
    if (t && (Object.keys(want) as (keyof TableSnapshot)[]).every((k) => t[k] === want[k])) return;
    cancelIdle(this.tableIdle);
    this.tableIdle = whenIdle(() => (this.table = want));
  }

  private tableAlternative() {
    const t = this.table;
    if (!t?.matrix || t.rows * t.cols > 1024) return nothing;
    const m = t.matrix;
    // The table sits in a 1-pixel clipping box: a table is never narrower than its cells, so on a wide map it
    // would otherwise widen the page.
    return html`<div class="sr-only"><table class="data-table">
      <caption>${t.caption}</caption>
      <thead><tr><th scope="col">${t.rowTitle} \ ${t.colTitle}</th>${t.colLabels.slice(0, t.cols).map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>
        ${Array.from({ length: t.rows }, (_, i) => html`<tr><th scope="row">${t.rowLabels[i] ?? i}</th>${Array.from({ length: t.cols }, (_, j) => {
          const v = m[i * t.cols + j];
          const masked = t.mask?.[i * t.cols + j] === -Infinity;
          return html`<td>${masked ? 'masked' : Number.isNaN(v) ? 'NaN' : v.toFixed(4)}</td>`;
        })}</tr>`)}
      </tbody>
    </table></div>`;
  }

  override render() {
    if (!this.matrix || !this.rows || !this.cols) return html`<slot name="empty"></slot>`;
    const cell = this.cell;
    const W = this.cols * cell;
    const H = this.rows * cell;
    const ticks = scaleLinear().domain(this.domain).range([0, 180]);
    const a = this.active;
    const flat = this.flatColumns;
    return html`
      <figure>
        <div class="grid" style=${cssProps({
          'grid-template-columns': `${this.rowLabelWidth}px ${W}px`,
          'grid-template-rows': `${flat ? FLAT_LABELS_H : TILTED_LABELS_H}px auto`,
        })}>
          <div class="corner"><span class="axis-name">${plural(this.colTitle)} →</span><span class="axis-name rows">${plural(this.rowTitle)} ↓</span></div>
          <div class="col-labels ${flat ? 'flat' : ''}" style=${cssProps({ width: `${W}px` })} aria-hidden="true"
            >${flat ? this.labels(this.colLabels, this.cols, 'col') : html`<div class="tilt">${this.labels(this.colLabels, this.cols, 'col')}</div>`}</div>
          <div class="row-labels" style=${cssProps({ height: `${H}px` })} aria-hidden="true">${this.labels(this.rowLabels, this.rows, 'row')}</div>
          <div
            class="plot"
            tabindex="0"
            role="application"
            aria-roledescription="heatmap"
            aria-label="${this.caption}: ${this.rows} ${plural(this.rowTitle).toLowerCase()} by ${this.cols} ${plural(this.colTitle).toLowerCase()}. Use the arrow keys to read cells."
            style=${cssProps({ width: `${W}px`, height: `${H}px` })}
            @pointermove=${this.onPointerMove}
            @pointerleave=${this.onPointerLeave}
            @keydown=${this.onKey}
            @focus=${this.onFocus}
          >
            <canvas class="plot-canvas" data-rows=${this.rows} data-cols=${this.cols}></canvas>
            ${a
              ? html`<div class="crosshair row" style=${cssProps({ top: `${a.row * cell}px`, height: `${cell}px`, width: `${W}px` })}></div>
                  <div class="crosshair col" style=${cssProps({ left: `${a.col * cell}px`, width: `${cell}px`, height: `${H}px` })}></div>
                  <div class="cursor" style=${cssProps({ left: `${a.col * cell}px`, top: `${a.row * cell}px`, width: `${cell}px`, height: `${cell}px` })}></div>`
              : nothing}
            ${this.tooltip()}
          </div>
        </div>
        <figcaption class="legend">
          <span class="legend-title">${this.caption}</span>
          <span class="bar-wrap">
            <canvas class="bar" aria-hidden="true"></canvas>
            <span class="ticks">${ticks.ticks(4).map((t) => html`<span style=${cssProps({ left: `${ticks(t)}px` })}>${t}</span>`)}</span>
          </span>
          ${this.mask ? html`<span class="masked-key"><span class="swatch"></span>${this.maskLabel}</span>` : nothing}
        </figcaption>
        <div class="sr-only" aria-live="polite">${this.announcement()}</div>
        ${this.tableAlternative()}
      </figure>
    `;
  }

  static override styles = [srOnlyStyles, css`
    :host {
      display: block;
      --attn-masked: var(--attn-masked-color, ${unsafeCSS(MASKED_COLOR)});
      --attn-hatch: var(--attn-hatch-color, #a4a4b0);
      --attn-bg: var(--panel, #fff);
      color: var(--fg, #1d1d24);
      font: 13px/1.35 system-ui, -apple-system, 'Segoe UI', sans-serif;
    }
    :host([hidden]) { display: none; }
    figure { margin: 0; }
    .grid {
      display: grid;
      align-items: start;
    }
    .corner { position: relative; height: 100%; }
    .axis-name { position: absolute; right: 8px; top: 4px; font-size: 11px; color: var(--muted, #666); letter-spacing: 0.02em; white-space: nowrap; }
    .axis-name.rows { top: auto; bottom: 4px; }
    .col-labels, .row-labels { position: relative; }
    /* Tilted labels are laid out below their rotated place: clip that below the row (it would make a page, or an
       iframe, scroll past the end of its content), not the labels rising above it or running off to the right. */
    .col-labels { height: 100%; overflow-y: clip; overflow-clip-margin: 16px; }
    .col-labels.flat .label { bottom: 3px; text-align: center; max-width: none; font-variant-numeric: tabular-nums; }
    .col-labels .tilt { position: absolute; left: 0; bottom: 11px; width: 0; height: 0; transform: rotate(-55deg); transform-origin: 0 0; }
    .col-labels .label { position: absolute; white-space: nowrap; max-width: 110px; overflow: hidden; text-overflow: ellipsis; }
    .row-labels .label {
      position: absolute;
      right: 8px;
      white-space: nowrap;
      max-width: 130px;
      overflow: hidden;
      text-overflow: ellipsis;
      text-align: right;
    }
    .label { font-size: 12px; color: var(--fg, #1d1d24); line-height: 14px; height: 14px; unicode-bidi: isolate; }
    .label.active { color: var(--accent, #5b3cc4); font-weight: 650; z-index: 2; background: var(--panel, #fff); }
    .plot { position: relative; outline: none; cursor: crosshair; }
    .plot:focus-visible { box-shadow: 0 0 0 3px var(--focus, #8f7cf0); border-radius: 2px; }
    canvas.plot-canvas { display: block; image-rendering: pixelated; }
    .crosshair { position: absolute; pointer-events: none; background: rgba(255, 255, 255, 0.14); }
    .crosshair.row { left: 0; }
    .crosshair.col { top: 0; }
    .cursor { position: absolute; pointer-events: none; outline: 2px solid #fff; box-shadow: 0 0 0 3px rgba(0, 0, 0, 0.55); min-width: 3px; min-height: 3px; }
    .tooltip {
      position: absolute;
      z-index: 5;
      pointer-events: none;
      min-width: 190px;
      max-width: 260px;
      padding: 8px 10px;
      border-radius: 8px;
      background: var(--tooltip-bg, #1f1d2b);
      color: #f4f3fa;
      box-shadow: 0 6px 24px rgba(0, 0, 0, 0.25);
      font-size: 12px;
    }
    .tt-pair { display: flex; flex-wrap: wrap; gap: 3px; align-items: baseline; margin-bottom: 4px; }
    .tt-k { color: #b8b3d8; font-size: 11px; }
    .tt-i { color: #b8b3d8; font-variant-numeric: tabular-nums; }
    .tt-tok { font-weight: 650; background: rgba(255, 255, 255, 0.1); padding: 0 4px; border-radius: 4px; unicode-bidi: isolate; }
    .tt-arrow { color: #b8b3d8; margin: 0 2px; }
    .tt-value strong { font-size: 15px; font-variant-numeric: tabular-nums; }
    .tt-sum { color: #cfcbe6; font-variant-numeric: tabular-nums; }
    .tt-masked { background: #5a5870; padding: 0 5px; border-radius: 4px; }
    .tt-note { color: #b8b3d8; }
    .legend { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 18px; margin: 10px 0 0; font-size: 12px; color: var(--muted, #555); }
    .legend-title { font-weight: 600; color: var(--fg, #222); }
    .bar-wrap { position: relative; display: inline-block; height: 26px; width: 180px; }
    canvas.bar { display: block; border-radius: 2px; }
    .ticks { position: absolute; top: 12px; left: 0; width: 180px; height: 14px; }
    .ticks span { position: absolute; transform: translateX(-50%); font-size: 10.5px; font-variant-numeric: tabular-nums; }
    .masked-key { display: inline-flex; align-items: center; gap: 6px; }
    .swatch {
      width: 14px;
      height: 14px;
      border-radius: 2px;
      background: repeating-linear-gradient(135deg, var(--attn-masked) 0 3px, var(--attn-hatch) 3px 4px);
    }
  `];
}

interface TableSnapshot {
  matrix?: Float32Array;
  rows: number;
  cols: number;
  mask?: Float32Array;
  rowLabels: string[];
  colLabels: string[];
  caption: string;
  rowTitle: string;
  colTitle: string;
}

/** Runs fn when the page is idle (within half a second); returns a handle for cancelIdle. */
function whenIdle(fn: () => void): number {
  return 'requestIdleCallback' in globalThis ? requestIdleCallback(fn, { timeout: 500 }) : -window.setTimeout(fn, 50);
}

function cancelIdle(handle: number) {
  if (handle > 0) cancelIdleCallback(handle);
  else if (handle < 0) window.clearTimeout(-handle);
}

function plural(word: string) {
  return /[^aeiou]y$/i.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`;
}

function clamp(x: number, lo: number, hi: number) {
  return Math.max(lo, Math.min(hi, x));
}

function formatShort(v: number) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  // Two decimals without the leading zero; a tiny negative value that rounds to zero prints as ".00", not "-.00".
  const short = v.toFixed(2).replace(/^(-?)0\./, '$1.');
  return short === '-.00' ? '.00' : short;
}


declare global {
  interface HTMLElementTagNameMap {
    'attn-heatmap': AttnHeatmap;
  }
}
