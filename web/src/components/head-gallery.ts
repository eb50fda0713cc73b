// <head-gallery>: every head of one attention view at a glance: a thumbnail of its weights for the current
// sentence and a line saying what it does over held-out text (statistics computed by the engine). Clicking a
// head selects it (fires `head-select` with {layer, head}).
//
// The thumbnails are drawn into one canvas laid over the cards (thumb-canvas.ts: each card keeps an empty box where
// its picture goes; 144 canvases, one per head of GPT-2, made every frame of the page slow to commit).
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { AttentionView } from '../engine/protocol';
import { describeHead, type HeadStat } from '../models/describe';
import { selectedMatrix, type HeadChoice } from '../state/store';
import { cssProps } from './css-props';
import { type CellItem, drawCellsMany, maskedRgb } from './heatmap-paint';
import { paintOverGrid } from './thumb-canvas';

/** How long the text must stay unchanged before the thumbnails follow it (ms). */
export const GALLERY_SETTLE_MS = 400;
/** A thumbnail's side in CSS pixels. */
const THUMB = 96;

@customElement('head-gallery')
export class HeadGallery extends LitElement {
  @property({ attribute: false }) view?: AttentionView;
  @property({ attribute: false }) stats?: HeadStat[][];
  @property({ type: Number }) layer = 0;
  @property({ attribute: false }) head: HeadChoice = 0;
  @property() colormap = 'viridis';
  /** The sentence under the heading (the explorer's default explains the held-out statistics). */
  @property() hint = '';
  /**
   * The view the thumbnails draw. While the text changes quickly (typing), it follows `view` once the changes pause,
   * so each keystroke's frame paints the main heatmap without also redrawing every head (a large model has 144).
   */
  @state() private shown?: AttentionView;
  private pending = 0;
  /** Each head's picture of `shown`, [layer][head], made once per view (the same arrays: nothing redraws). */
  private thumbs: { matrix: Float32Array; mask?: Float32Array; domain: [number, number] }[][] = [];

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('view')) {
      window.clearTimeout(this.pending);
      const v = this.view;
      const sameShape = v && this.shown && v.name === this.shown.name && v.layers === this.shown.layers && v.heads === this.shown.heads;
      if (!sameShape) this.shown = v;  // a new model or view: at once
      else this.pending = window.setTimeout(() => (this.shown = this.view), GALLERY_SETTLE_MS);
    }
    if (changed.has('shown')) {
      const v = this.shown;
      this.thumbs = !v ? [] : Array.from({ length: v.layers }, (_, l) =>
        Array.from({ length: v.heads }, (_, h) => {
          const { matrix, mask } = selectedMatrix(v, l, h);
          let hi = 0;
          for (const x of matrix) if (x > hi) hi = x;
          return { matrix, mask, domain: [0, hi || 1] as [number, number] };
        }));
    }
  }

  @query('.grid') private grid?: HTMLElement;
  @query('canvas.thumbs') private canvas?: HTMLCanvasElement;
  /** The cards move when the gallery is resized (the grid wraps differently): the pictures follow. */
  private resizer = new ResizeObserver(() => this.drawThumbs());
  private drawn: unknown[] = [];

  override connectedCallback() {
    super.connectedCallback();
    this.updateComplete.then(() => this.grid && this.resizer.observe(this.grid));
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.clearTimeout(this.pending);
    this.resizer.disconnect();
  }

  override updated() {
    if (this.grid) this.resizer.observe(this.grid);
    const key = [this.thumbs, this.colormap, this.grid];
    if (key.some((k, i) => k !== this.drawn[i])) this.drawThumbs();
  }

  /** Every head's picture, in its card's box; the canvas covers the grid's whole scrollable area. */
  private drawThumbs() {
    const grid = this.grid;
    const canvas = this.canvas;
    const v = this.shown;
    if (!grid || !canvas || !v) return;
    this.drawn = [this.thumbs, this.colormap, this.grid];
    const masked = maskedRgb(getComputedStyle(this), '--attn-masked-color');
    const rows = v.rows.length;
    const cols = v.cols.length;
    const cell = THUMB / Math.max(rows, cols, 1);
    const items: CellItem[] = [];
    const ctx = paintOverGrid(grid, canvas, '.thumb', (_ctx, box, x, y) => {
      const t = this.thumbs[Number(box.dataset.layer)]?.[Number(box.dataset.head)];
      if (!t) return;
      const w = cols * cell;
      const h = rows * cell;
      items.push({ picture: { ...t, rows, cols, colormap: this.colormap, masked }, x: x + (THUMB - w) / 2, y: y + (THUMB - h) / 2, w, h });
    });
    drawCellsMany(ctx, items);
  }

  private select(layer: number, head: number) {
    this.dispatchEvent(new CustomEvent('head-select', { detail: { layer, head }, bubbles: true, composed: true }));
  }

  override render() {
    const v = this.shown;
    if (!v) return nothing;
    const kind = v.name === 'cross' ? 'cross' : 'self';
    const hint = this.hint || `${v.title}: one row per layer. Each line says what the head does over held-out text; each thumbnail is its pattern on your text (scaled to its own maximum).`;
    return html`<h2>Head gallery <span class="hint">${hint}</span></h2>
      <div class="grid" role="list" style=${cssProps({ 'grid-template-columns': `repeat(${Math.min(v.heads, 8)}, minmax(140px, 220px))` })}>
        ${Array.from({ length: v.layers }, (_, l) =>
          Array.from({ length: v.heads }, (_, h) => {
            const s = this.stats?.[l]?.[h];
            const on = this.layer === l && this.head === h;
            // A toggle button (aria-pressed) in a list item: a button cannot be the list item itself. Its name is the
            // text it shows (a voice user says what they see), spelled out on hover.
            return html`<div class="item" role="listitem"><button class="head-card ${on ? 'on' : ''}" aria-pressed=${on} data-layer=${l} data-head=${h}
              title="Layer ${l + 1}, head ${h + 1}${s ? `: ${describeHead(s, kind)}` : ''}"
              @click=${() => this.select(l, h)}>
              <span class="name">L${l + 1} · H${h + 1}</span>
              <span class="thumb" data-layer=${l} data-head=${h}></span>
              <span class="desc">${s ? describeHead(s, kind) : ''}</span>
              <span class="num">${s ? `entropy ${s.entropy.toFixed(2)} bits` : '\u00a0'}</span>
            </button></div>`;
          }),
        )}
        <canvas class="thumbs" aria-hidden="true"></canvas>
      </div>`;
  }

  static override styles = css`
    :host { display: block; }
    h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted, #666); margin: 0 0 10px; }
    .hint { text-transform: none; letter-spacing: 0; font-weight: 400; margin-left: 6px; }
    .grid { display: grid; gap: 10px; overflow-x: auto; position: relative; }
    canvas.thumbs { position: absolute; left: 0; top: 0; pointer-events: none; }
    .item { display: grid; } /* the card fills its cell */
    .head-card {
      all: unset;
      box-sizing: border-box;
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: 4px;
      padding: 8px;
      border-radius: 10px;
      border: 1px solid var(--border, #e4e1ef);
      background: var(--input-bg, #fff);
      cursor: pointer;
      text-align: center;
    }
    .head-card:hover { border-color: var(--accent, #5b3cc4); }
    .head-card.on { border-color: var(--accent, #5b3cc4); box-shadow: inset 0 0 0 1px var(--accent, #5b3cc4); }
    .head-card:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 2px; }
    .name { font-size: 12px; font-weight: 650; color: var(--fg, #333); }
    .thumb { display: block; width: 96px; height: 96px; flex: none; }
    .desc { font-size: 11.5px; color: var(--fg, #333); line-height: 1.3; min-height: 2.6em; }
    .num { font-size: 10.5px; min-height: 1.3em; /* kept while the statistics are computed: the cards do not move */ color: var(--muted, #777); font-variant-numeric: tabular-nums; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'head-gallery': HeadGallery;
  }
}
