// <attn-model-view>: the model view (bertviz's). Every layer × every head of one attention view at once, one row
// per layer, one column per head, each a small picture of that head on the current text: its heatmap (scaled to its
// own maximum, as the head gallery's) or its lines (the head view in small, in the head's colour). A click, or
// Enter on the focused cell (the arrow keys move), selects that layer and head for the other displays; "Open as"
// switches to one of them.
//
// The pictures are painted into one canvas laid over the grid (thumb-canvas.ts).
//
// The pictures' text alternative: each cell's name says its head's strongest link on this text (query → key, weight)
// and, given the head statistics over held-out texts (`stats`, as the head gallery shows them), what the head does.
//
// Properties: view, layer, head (the selected one), colormap, pictures ("heatmap" | "lines"), stats. Events: head-select
// (detail {layer, head}), display-select (detail: a Display), pictures-change (detail: "heatmap" | "lines").
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { AttentionView } from '../engine/protocol';
import { describeHead, type HeadStat } from '../models/describe';
import { selectedMatrix, strongestLink, type HeadChoice } from '../state/store';
import { cssProps } from './css-props';
import type { Display } from './displays';
import { type CellItem, drawCellsMany, maskedRgb } from './heatmap-paint';
import { toModelLinesSVG } from '../export/export';
import { isLightText, linesOf, paintLines, type Line } from './lines';
import { SizeAndScheme } from './size-scheme';
import { srOnlyStyles } from './sr-only';
import { paintOverGrid } from './thumb-canvas';

export type Pictures = 'heatmap' | 'lines';

/** A picture's side in CSS pixels: as large as the width allows, within these. */
const MIN_SIDE = 44;
const MAX_SIDE = 96;
const ROW_HEAD = 34; // the "L1" column
const GAP = 6;
/** Lines lighter than this are left out of the small pictures (invisible at that size). */
export const THUMB_MIN_WEIGHT = 0.02;

/** The model view's line pictures of `v` as a standalone SVG (export.ts toModelLinesSVG): every layer × head, each
 * picture's lines thin and lighter ones left out, as the thumbnails draw them. */
export function modelLinesSVG(v: AttentionView, title: string): string {
  return toModelLinesSVG({
    title, rowLabels: v.rows, colLabels: v.cols, layers: v.layers, heads: v.heads,
    subtitle: `Queries on the left of each picture, keys on the right; weights under ${THUMB_MIN_WEIGHT} left out.`,
    lines: (l, h) => linesOf(v, l, [h], undefined, THUMB_MIN_WEIGHT),
  });
}

@customElement('attn-model-view')
export class AttnModelView extends LitElement {
  @property({ attribute: false }) view?: AttentionView;
  @property({ type: Number }) layer = 0;
  @property({ attribute: false }) head: HeadChoice = 0;
  @property() colormap = 'viridis';
  @property() pictures: Pictures = 'heatmap';
  /** Per layer and head, the engine's statistics over held-out texts (absent until measured, or for models without). */
  @property({ attribute: false }) stats?: HeadStat[][];

  /** The cell the keyboard is on (the one tab stop of the grid). */
  @state() private cursor?: { layer: number; head: number };

  @query('.grid') private grid?: HTMLElement;
  @query('canvas.thumbs') private canvas?: HTMLCanvasElement;

  /** The width the grid fits, and the colour scheme the pictures follow. */
  private readonly frame = new SizeAndScheme(this);

  /** Each head's picture of the view, [layer][head], made once per view. */
  private heatmaps: { matrix: Float32Array; mask?: Float32Array; domain: [number, number] }[][] = [];
  private lineSets: Line[][][] = [];
  /** Each head's strongest link on this text, [layer][head], for the cells' names. */
  private strongest: string[][] = [];

  override willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('view') && !changed.has('pictures')) return;
    const v = this.view;
    const each = <T>(f: (l: number, h: number) => T) => (v ? Array.from({ length: v.layers }, (_, l) => Array.from({ length: v.heads }, (_, h) => f(l, h))) : []);
    this.heatmaps = this.pictures === 'heatmap' ? each((l, h) => {
      const { matrix, mask } = selectedMatrix(v!, l, h);
      let hi = 0;
      for (const x of matrix) if (x > hi) hi = x;
      return { matrix, mask, domain: [0, hi || 1] as [number, number] };
    }) : [];
    this.lineSets = this.pictures === 'lines' ? each((l, h) => linesOf(v!, l, [h], undefined, THUMB_MIN_WEIGHT)) : [];
    if (changed.has('view')) this.strongest = each((l, h) => strongestLink(v!, l, h));
  }

  /** A cell's name: the head, its strongest link on this text, and what it does over held-out texts when measured. */
  private cellName(l: number, h: number) {
    const s = this.stats?.[l]?.[h];
    const kind = this.view?.name === 'cross' ? 'cross' : 'self';
    return `Layer ${l + 1}, head ${h + 1}: ${this.strongest[l]?.[h] ?? ''}${s ? `; over held-out texts, ${describeHead(s, kind)}` : ''}`;
  }

  private get side() {
    const heads = this.view?.heads ?? 1;
    const fit = Math.floor(((this.frame.width || 640) - ROW_HEAD) / heads) - GAP;
    return Math.max(MIN_SIDE, Math.min(MAX_SIDE, fit));
  }

  private drawn: unknown[] = [];

  override updated() {
    const key = [this.grid, this.heatmaps, this.lineSets, this.colormap, this.side, this.frame.scheme, window.devicePixelRatio];
    if (key.some((k, i) => k !== this.drawn[i])) {
      this.drawn = key;
      this.paint();
    }
  }

  private paint() {
    const v = this.view;
    if (!v || !this.grid || !this.canvas) return;
    const styles = getComputedStyle(this);
    const masked = maskedRgb(styles, '--attn-masked-color');
    const dark = isLightText(styles.color);
    const rows = v.rows.length;
    const cols = v.cols.length;
    const n = Math.max(rows, cols, 1);
    const items: CellItem[] = [];
    const ctx = paintOverGrid(this.grid, this.canvas, '.thumb', (ctx, box, x, y, w, h) => {
      const l = Number(box.dataset.layer);
      const hd = Number(box.dataset.head);
      if (this.pictures === 'heatmap') {
        const t = this.heatmaps[l]?.[hd];
        if (!t) return;
        const cell = w / n;
        items.push({ picture: { ...t, rows, cols, colormap: this.colormap, masked }, x: x + (w - cols * cell) / 2, y: y + (h - rows * cell) / 2, w: cols * cell, h: rows * cell });
      } else {
        const lines = this.lineSets[l]?.[hd];
        if (lines) paintLines(ctx, lines, [hd], { x0: x + 4, x1: x + w - 4, y0: y, rowH: h / n }, { dark, focused: false, thin: true });
      }
    });
    drawCellsMany(ctx, items);
  }

  private select(layer: number, head: number) {
    this.cursor = { layer, head };
    this.dispatchEvent(new CustomEvent('head-select', { detail: { layer, head }, bubbles: true, composed: true }));
  }

  private emit(name: 'display-select' | 'pictures-change', detail: string) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  private onKey(ev: KeyboardEvent) {
    const v = this.view!;
    const at = this.cursor ?? { layer: this.layer, head: typeof this.head === 'number' ? this.head : 0 };
    let { layer, head } = at;
    switch (ev.key) {
      case 'ArrowUp': layer--; break;
      case 'ArrowDown': layer++; break;
      case 'ArrowLeft': head--; break;
      case 'ArrowRight': head++; break;
      case 'Home': head = 0; break;
      case 'End': head = v.heads - 1; break;
      default: return;
    }
    ev.preventDefault();
    this.cursor = { layer: Math.max(0, Math.min(v.layers - 1, layer)), head: Math.max(0, Math.min(v.heads - 1, head)) };
    this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`button.cell[data-layer="${this.cursor!.layer}"][data-head="${this.cursor!.head}"]`)?.focus());
  }

  override render() {
    const v = this.view;
    if (!v) return nothing;
    const side = this.side;
    const tab = this.cursor ?? { layer: this.layer, head: typeof this.head === 'number' ? this.head : 0 };
    const selected = typeof this.head === 'number' ? { layer: this.layer, head: this.head } : undefined;
    return html`
      <div class="bar">
        <div class="seg" role="group" aria-label="Pictures">
          <span class="seg-label">Pictures</span>
          ${(['heatmap', 'lines'] as const).map((p) => html`<button class="pictures" data-pictures=${p} aria-pressed=${this.pictures === p}
            @click=${() => this.emit('pictures-change', p)}>${p === 'heatmap' ? 'Heatmaps' : 'Lines'}</button>`)}
        </div>
        <span class="hint">${v.title}: every layer (rows) and head (columns) on your text${this.pictures === 'heatmap'
          ? ', each heatmap scaled to its own maximum' : ', queries on the left of each picture, keys on the right'}. Click one to select it.</span>
      </div>
      <div class="scroll">
        <div class="grid" role="grid" aria-label="${v.title}: ${v.layers} layers by ${v.heads} heads" @keydown=${this.onKey}
          style=${cssProps({ 'grid-template-columns': `${ROW_HEAD}px repeat(${v.heads}, ${side}px)` })}>
          <div class="row" role="row">
            <span class="corner" role="columnheader"><span class="sr-only">Layer</span></span>
            ${Array.from({ length: v.heads }, (_, h) => html`<span class="col-h" role="columnheader">H${h + 1}</span>`)}
          </div>
          ${Array.from({ length: v.layers }, (_, l) => html`<div class="row" role="row">
            <span class="row-h" role="rowheader">L${l + 1}</span>
            ${Array.from({ length: v.heads }, (_, h) => {
              const on = selected?.layer === l && selected.head === h;
              const name = this.cellName(l, h);
              return html`<span role="gridcell" aria-selected=${on}><button class="cell ${on ? 'on' : ''}" data-layer=${l} data-head=${h}
                tabindex=${tab.layer === l && tab.head === h ? 0 : -1} aria-label=${name} title=${name}
                style=${cssProps({ width: `${side}px`, height: `${side}px` })}
                @click=${() => this.select(l, h)}><span class="thumb" data-layer=${l} data-head=${h}></span></button></span>`;
            })}
          </div>`)}
          <canvas class="thumbs" aria-hidden="true"></canvas>
        </div>
      </div>
      ${selected
        ? html`<p class="selected" role="status">Selected: layer ${selected.layer + 1}, head ${selected.head + 1}. Open it as
            <button class="open" data-display="heatmap" @click=${() => this.emit('display-select', 'heatmap' satisfies Display)}>Heatmap</button>
            <button class="open" data-display="lines" @click=${() => this.emit('display-select', 'lines' satisfies Display)}>Lines</button></p>`
        : nothing}
    `;
  }

  static override styles = [srOnlyStyles, css`
    :host { display: block; color: var(--fg, #1d1d24); font: 13px/1.35 system-ui, -apple-system, 'Segoe UI', sans-serif; }
    .bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; margin-bottom: 10px; }
    .seg { display: inline-flex; align-items: center; gap: 4px; }
    .seg-label { font-size: 11.5px; color: var(--muted, #666); margin-right: 4px; text-transform: uppercase; letter-spacing: 0.05em; }
    button { font: inherit; font-size: 12.5px; padding: 3px 9px; border-radius: 7px; border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff); color: var(--fg, #333); cursor: pointer; }
    button:hover { border-color: var(--accent, #5b3cc4); }
    button[aria-pressed='true'] { background: var(--accent, #5b3cc4); border-color: var(--accent, #5b3cc4); color: var(--on-accent, #fff); }
    button:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .hint { font-size: 12px; color: var(--muted, #666); }
    .scroll { overflow-x: auto; }
    .grid { display: grid; gap: ${GAP}px; position: relative; width: max-content; }
    .row { display: contents; }
    .corner { display: block; }
    .col-h, .row-h { font-size: 11px; color: var(--muted, #666); font-variant-numeric: tabular-nums; align-self: center; }
    .col-h { text-align: center; }
    .row-h { text-align: right; padding-right: 4px; }
    button.cell { display: block; padding: 0; border-radius: 4px; background: var(--input-bg, #fff); overflow: hidden; }
    button.cell.on { border-color: var(--accent, #5b3cc4); box-shadow: 0 0 0 2px var(--accent, #5b3cc4); }
    .thumb { display: block; width: 100%; height: 100%; }
    canvas.thumbs { position: absolute; left: 0; top: 0; pointer-events: none; }
    .selected { margin: 10px 0 0; font-size: 12.5px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
  `];
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-model-view': AttnModelView;
  }
}

