// <attn-lines>: the head view (bertviz's). The tokens in two columns, queries on the left (the token attending; for
// cross-attention the output written), keys on the right (attended to; the input read), and a line from each query
// to each key it attends to: the wider and more opaque, the larger the weight. One colour per head, several heads at
// once (the head toggles; double-click one to show it alone).
//
// Hover a token to see only its lines (and bars by the tokens they reach, as long as the weight); click to pin it,
// Escape unpins. From the keyboard: Tab into a column, the arrows move, Enter pins. Under the picture, the pinned
// token's strongest links per head are written out with their weights (the text alternative).
//
// The lines are painted on one canvas (lines.ts paintLines; a 40-token sentence with 12 heads has thousands), the
// tokens are DOM text. `drawnLines()` returns the lines drawn, with their exact weights; `svg()` the picture as SVG.
//
// Rollout and flow (engine/rollout.ts): with `summary` set, its matrix is drawn instead of the heads, as one set of
// lines in a colour of its own (lines.ts SUMMARY_HEAD), its legend saying what it is; with `summaries`, the head bar
// offers Rollout and Flow for a self-attention view.
//
// Properties: view (AttentionView), layer, heads (0-based; absent or empty = every head), pin (Focus), rowTitle,
// colTitle, caption, saveButton (a "Save SVG" button), summary ({kind, matrix} once the engine has computed it,
// {kind, notice} when it cannot, {kind} meanwhile), summaries. Events: heads-change (detail: number[] | undefined =
// all), pin-change (detail: Focus | undefined), summary-change (detail: 'rollout' | 'flow' | undefined: the heads).
// A head picked while a summary is shown sends summary-change (undefined) and heads-change.
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { AttentionView } from '../engine/protocol';
import { SUMMARIES, SUMMARY_LABEL, SUMMARY_TITLE, hasSummaries, type Summary } from '../engine/rollout';
import { download, fileName, toLinesSVG } from '../export/export';
import { cssProps } from './css-props';
import { SizeAndScheme } from './size-scheme';
import { sizeCanvas } from './thumb-canvas';
import {
  MIN_WEIGHT, SUMMARY_HEAD, endpointY, headColor, headLabel, isLightText, labelEvery, lineStyle, linesOf, paintLines, rowHeight,
  shownHeads, summaryView, topLinks, type Focus, type Line, type Side,
} from './lines';

/** Width of the strips at both ends of the lines, where a focused token's bars are drawn. */
const BAR = 28;
const LABEL_HALF = 7; // half a label's line box
/** The lines' width at most: wider, they would be nearly flat and hard to follow. */
const LINES_MAX = 340;
/** A link this strong (by any head) marks the token it reaches. */
const STRONG = 0.1;
/** The links per head written out under the picture. */
const TOP_LINKS = 3;

@customElement('attn-lines')
export class AttnLines extends LitElement {
  @property({ attribute: false }) view?: AttentionView;
  @property({ type: Number }) layer = 0;
  @property({ attribute: false }) heads?: number[];
  @property({ attribute: false }) pin?: Focus;
  @property({ attribute: 'row-title' }) rowTitle = 'Query';
  @property({ attribute: 'col-title' }) colTitle = 'Key';
  @property() caption = '';
  @property({ type: Boolean, attribute: 'save-button' }) saveButton = false;
  /** Rollout or flow drawn instead of the heads: its matrix after `layer`, or why there is none (nothing yet: computing). */
  @property({ attribute: false }) summary?: { kind: Summary; matrix?: Float32Array; notice?: string };
  /** The head bar offers Rollout and Flow (a self-attention view): the host answers summary-change. */
  @property({ type: Boolean }) summaries = false;

  /** The token under the pointer, and the keyboard's token (while a column has focus). */
  @state() private hover?: Focus;
  @state() private cursor?: Focus;

  @query('canvas.lines-canvas') private canvas?: HTMLCanvasElement;
  @query('.stage') private stage?: HTMLElement;

  /** The width the picture fits, and the colour scheme its colours follow. */
  private readonly frame = new SizeAndScheme(this);

  // ------------------------------------------------------------------------------------------------ state
  /** The rollout or flow shown, when its matrix has come. */
  private get summaryShown() {
    const s = this.summary;
    return s?.matrix && this.view ? { kind: s.kind, matrix: s.matrix } : undefined;
  }

  /** The view the lines come from: the view, or rollout's or flow's one-matrix view (kept while the matrix stays). */
  private get source(): AttentionView | undefined {
    const v = this.view;
    const s = this.summaryShown;
    if (!v || !s) return v;
    if (this.summarized?.of !== v || this.summarized.matrix !== s.matrix || this.summarized.layer !== this.layer)
      this.summarized = { of: v, matrix: s.matrix, layer: this.layer, view: summaryView(v, this.layer, s.matrix) };
    return this.summarized.view;
  }

  private summarized?: { of: AttentionView; matrix: Float32Array; layer: number; view: AttentionView };

  private get shown(): number[] {
    if (this.summaryShown) return [SUMMARY_HEAD];
    return this.view ? shownHeads(this.view, this.heads) : [];
  }

  /** A line set's name: "Head 2", or "Rollout". */
  private headName(h: number) {
    return headLabel(h, this.summary && SUMMARY_LABEL[this.summary.kind]);
  }

  /** The pin, if it names a token of the view. */
  private get validPin(): Focus | undefined {
    const p = this.pin;
    const v = this.view;
    if (!p || !v) return undefined;
    return p.index < (p.side === 'query' ? v.rows.length : v.cols.length) ? p : undefined;
  }

  /** The token whose lines are shown: the one under the pointer, else the keyboard's, else the pinned one. */
  get focused(): Focus | undefined {
    return this.hover ?? this.cursor ?? this.validPin;
  }

  private lines: Line[] = [];
  /** Every line of the shown heads, kept while the view, layer and heads stay (the pointer leaving a token shows
   * them again: 16 heads of 100 tokens have 100,000). */
  private overview?: { key: string; of: AttentionView; lines: Line[] };

  override willUpdate() {
    const v = this.source;
    const focus = this.focused;
    if (!v) this.lines = [];
    else if (focus) this.lines = linesOf(v, this.layer, this.shown, focus);
    else {
      const key = `${this.layer}:${this.shown.join()}`;
      if (this.overview?.of !== v || this.overview.key !== key) this.overview = { key, of: v, lines: linesOf(v, this.layer, this.shown) };
      this.lines = this.overview.lines;
    }
  }

  /** The lines drawn now (the focused token's, or all of the shown heads'), with their exact weights. */
  drawnLines(): Line[] {
    return this.lines;
  }

  private setHeads(heads: number[] | undefined) {
    if (this.summary) this.setSummary(undefined);
    this.dispatchEvent(new CustomEvent('heads-change', { detail: heads, bubbles: true, composed: true }));
  }

  private setSummary(kind: Summary | undefined) {
    this.dispatchEvent(new CustomEvent('summary-change', { detail: kind, bubbles: true, composed: true }));
  }

  private toggleHead(h: number) {
    // From rollout or flow: a click shows that head.
    if (this.summary) return this.setHeads([h]);
    const on = new Set(this.heads?.length ? this.shown : []);
    if (!this.heads?.length) on.add(h); // from "all": the first click picks that head
    else if (on.has(h)) on.delete(h);
    else on.add(h);
    const all = on.size === 0 || on.size === this.view!.heads;
    this.setHeads(all ? undefined : [...on].sort((a, b) => a - b));
  }

  private setPin(pin: Focus | undefined) {
    this.pin = pin;
    this.dispatchEvent(new CustomEvent('pin-change', { detail: pin, bubbles: true, composed: true }));
  }

  private togglePin(f: Focus) {
    const p = this.validPin;
    this.setPin(p && p.side === f.side && p.index === f.index ? undefined : f);
  }

  // ------------------------------------------------------------------------------------------- geometry
  private get count() {
    const v = this.view;
    return v ? Math.max(v.rows.length, v.cols.length, 1) : 1;
  }

  private get rowH() {
    return rowHeight(this.count);
  }

  /** The label columns' widths: as wide as their longest token, within a third of the width each. */
  private get labelWidths(): [number, number] {
    const v = this.view!;
    const need = (labels: string[]) => Math.min(150, 14 + 7.2 * Math.max(3, ...labels.map((l) => Array.from(l).length)));
    const avail = Math.max(240, this.frame.width || 640);
    const cap = avail * 0.3;
    return [Math.min(cap, need(v.rows)), Math.min(cap, need(v.cols))];
  }

  private indexAt(ev: PointerEvent, el: HTMLElement, side: Side): number {
    const y = ev.clientY - el.getBoundingClientRect().top;
    const n = side === 'query' ? this.view!.rows.length : this.view!.cols.length;
    return Math.max(0, Math.min(n - 1, Math.floor(y / this.rowH)));
  }

  // -------------------------------------------------------------------------------------------- drawing
  private drawn: unknown[] = [];

  override updated() {
    const key = [this.canvas, this.source, this.layer, this.shown.join(), this.focused?.side, this.focused?.index, this.frame.width,
      this.frame.scheme, window.devicePixelRatio];
    if (key.some((k, i) => !Object.is(k, this.drawn[i]))) {
      this.drawn = key;
      this.draw();
    }
  }

  /** Light lines on a dark panel: the text colour is light. */
  private get dark() {
    return isLightText(getComputedStyle(this).color);
  }

  private draw() {
    const canvas = this.canvas;
    const stage = this.stage;
    const v = this.source;
    if (!canvas || !stage || !v) return;
    const heads = this.shown;
    const focus = this.focused;
    const rowH = this.rowH;
    const W = Math.max(60, canvas.parentElement!.clientWidth);
    const ctx = sizeCanvas(canvas, W, this.count * rowH);
    const dark = this.dark;
    paintLines(ctx, this.lines, heads, { x0: BAR, x1: W - BAR, y0: 0, rowH }, { dark, focused: !!focus });
    if (focus) this.paintBars(ctx, focus, heads, W, rowH, dark);
  }

  /**
   * Beside the tokens a focused token reaches, one bar per head, as long as the weight (readable without colour or
   * opacity); and a mark beside the focused token itself.
   */
  private paintBars(ctx: CanvasRenderingContext2D, focus: Focus, heads: number[], W: number, rowH: number, dark: boolean) {
    const far = focus.side === 'query'; // the bars stand by the keys (right) or by the queries (left)
    const slots = heads.length;
    const barH = Math.max(1, Math.min(4, (rowH * 0.8) / slots));
    for (const l of this.lines) {
      const s = heads.indexOf(l.head);
      const y = endpointY(far ? l.key : l.query, rowH, s, slots) - barH / 2;
      const len = (BAR - 4) * l.weight;
      ctx.fillStyle = headColor(l.head, dark);
      ctx.globalAlpha = 1;
      ctx.fillRect(far ? W - len : 0, y, len, barH);
    }
    ctx.fillStyle = getComputedStyle(this).getPropertyValue('--accent').trim() || '#5b3cc4';
    const y = (focus.index + 0.5) * rowH;
    const x = far ? BAR - 3 : W - BAR + 3;
    ctx.beginPath();
    ctx.arc(x, y, Math.min(4, rowH / 3), 0, 2 * Math.PI);
    ctx.fill();
  }

  /** The picture as a standalone SVG (the same lines, on a light background). */
  svg(): string {
    const v = this.view!;
    return toLinesSVG({
      title: this.caption || 'Attention lines',
      rowLabels: v.rows,
      colLabels: v.cols,
      rowTitle: this.columnTitle('query'),
      colTitle: this.columnTitle('key'),
      heads: this.shown,
      summary: this.summary && SUMMARY_LABEL[this.summary.kind],
      lines: this.lines,
      focused: !!this.focused,
    });
  }

  private save() {
    download(fileName(this.caption || 'attention lines', 'svg'), this.svg(), 'image/svg+xml');
  }

  // ---------------------------------------------------------------------------------------- interaction
  private onPointerMove(ev: PointerEvent, side: Side) {
    const index = this.indexAt(ev, ev.currentTarget as HTMLElement, side);
    if (this.hover?.side !== side || this.hover.index !== index) this.hover = { side, index };
  }

  private onClick(ev: MouseEvent, side: Side) {
    this.togglePin({ side, index: this.indexAt(ev as PointerEvent, ev.currentTarget as HTMLElement, side) });
  }

  /** A column focused by a click is the pointer's: the keyboard's token appears with the first key. */
  private pointerFocus = false;

  private onFocusColumn(side: Side) {
    if (this.pointerFocus) return;
    const p = this.validPin;
    if (this.cursor?.side !== side) this.cursor = { side, index: p?.side === side ? p.index : 0 };
  }

  private onKey(ev: KeyboardEvent, side: Side) {
    const v = this.view!;
    const n = side === 'query' ? v.rows.length : v.cols.length;
    const p = this.validPin;
    const at = this.cursor?.side === side ? this.cursor.index : p?.side === side ? p.index : this.hover?.side === side ? this.hover.index : 0;
    let to = at;
    switch (ev.key) {
      case 'ArrowUp': to--; break;
      case 'ArrowDown': to++; break;
      case 'PageUp': to -= 10; break;
      case 'PageDown': to += 10; break;
      case 'Home': to = 0; break;
      case 'End': to = n - 1; break;
      case 'Enter':
      case ' ':
        ev.preventDefault();
        this.togglePin({ side, index: at });
        return;
      case 'Escape':
        if (this.validPin) {
          ev.preventDefault();
          this.setPin(undefined);
        }
        return;
      default:
        return;
    }
    ev.preventDefault();
    this.cursor = { side, index: Math.max(0, Math.min(n - 1, to)) };
  }

  // --------------------------------------------------------------------------------------------- template
  private columnTitle(side: Side) {
    const t = side === 'query' ? this.rowTitle : this.colTitle;
    return /[^aeiou]y$/i.test(t) ? `${t.slice(0, -1)}ies` : `${t}s`;
  }

  private column(side: Side, width: number) {
    const v = this.view!;
    const labels = side === 'query' ? v.rows : v.cols;
    const rowH = this.rowH;
    const every = labelEvery(rowH);
    const focus = this.focused;
    const pin = this.validPin;
    const cursor = this.cursor?.side === side ? this.cursor.index : -1;
    // The tokens the focused one is strongly linked to (by any shown head) stand out; the others fade.
    const reached = new Set(focus && focus.side !== side ? this.lines.filter((l) => l.weight >= STRONG).map((l) => (side === 'key' ? l.key : l.query)) : []);
    const items = [];
    for (let i = 0; i < labels.length; i++) {
      const isFocus = focus?.side === side && focus.index === i;
      const isPin = pin?.side === side && pin.index === i;
      if (i % every !== 0 && !isFocus && !isPin && cursor !== i) continue;
      items.push(html`<span role="option" id="${side}-${i}" class="tok ${isFocus ? 'focus' : ''} ${isPin ? 'pinned' : ''} ${reached.has(i) ? 'reached' : ''}
        ${focus && focus.side !== side && !reached.has(i) ? 'faded' : ''}" aria-selected=${isPin} data-index=${i} dir="auto" title=${labels[i]}
        style=${cssProps({ top: `${((i + 0.5) * rowH - LABEL_HALF).toFixed(2)}px` })}>${labels[i]}</span>`);
    }
    return html`<div class="col ${side}" role="listbox" tabindex="0" style=${cssProps({ width: `${width}px` })}
      aria-label="${this.columnTitle(side)} (${side === 'query' ? 'attending' : 'attended to'}): ${labels.length} tokens. Arrows move, Enter pins, Escape unpins."
      aria-activedescendant=${cursor >= 0 ? `${side}-${cursor}` : nothing}
      @pointermove=${(e: PointerEvent) => this.onPointerMove(e, side)} @pointerleave=${() => (this.hover = undefined)}
      @pointerdown=${() => (this.pointerFocus = true)} @pointerup=${() => (this.pointerFocus = false)}
      @click=${(e: MouseEvent) => this.onClick(e, side)} @keydown=${(e: KeyboardEvent) => this.onKey(e, side)}
      @focus=${() => this.onFocusColumn(side)} @blur=${() => (this.cursor = undefined)}>${items}</div>`;
  }

  private renderHeads() {
    const v = this.view!;
    const summary = this.summary?.kind;
    const all = !summary && (!this.heads?.length || shownHeads(v, this.heads).length === v.heads);
    const dark = this.dark;
    const on = new Set(summary ? [] : this.shown);
    return html`<div class="heads" role="group" aria-label="Heads shown">
      <span class="seg-label">Heads</span>
      <button class="all" aria-pressed=${all} title="Show every head" @click=${() => this.setHeads(undefined)}>All</button>
      ${Array.from({ length: v.heads }, (_, h) => html`<button class="head-toggle" data-head=${h} aria-pressed=${!all && on.has(h)}
        aria-label="Head ${h + 1}" title="Head ${h + 1}: click to add or remove it; double-click to show it alone"
        @click=${() => this.toggleHead(h)} @dblclick=${() => this.setHeads([h])}>
        <span class="swatch ${on.has(h) ? '' : 'off'}" style=${cssProps({ background: headColor(h, dark) })}></span>${h + 1}</button>`)}
      ${this.summaries && hasSummaries(v) ? SUMMARIES.map((k) => html`<button class="summary-toggle ${k}" aria-pressed=${summary === k}
        title=${SUMMARY_TITLE[k]} @click=${() => this.setSummary(summary === k ? undefined : k)}>
        <span class="swatch ${summary === k ? '' : 'off'}" style=${cssProps({ background: headColor(SUMMARY_HEAD, dark) })}></span>${SUMMARY_LABEL[k]}</button>`) : nothing}
      ${this.saveButton ? html`<button class="save" title="Download this picture as SVG" @click=${this.save}>Save SVG</button>` : nothing}
    </div>`;
  }

  /** The text alternative: the pinned (or keyboard's) token's strongest links per head, with their weights. */
  private renderLinks() {
    const v = this.source!;
    const f = this.cursor ?? this.validPin;
    if (!f) return html`<p class="hint">Hover a token to see only its lines, click to pin it (Escape unpins). From the
      keyboard: Tab into a column, move with the arrows, pin with Enter.</p>`;
    const labels = f.side === 'query' ? v.rows : v.cols;
    const others = f.side === 'query' ? v.cols : v.rows;
    const dark = this.dark;
    const what = f.side === 'query'
      ? html`What <q dir="auto">${labels[f.index]}</q> (${this.rowTitle.toLowerCase()} ${f.index + 1}) attends to most`
      : html`What attends most to <q dir="auto">${labels[f.index]}</q> (${this.colTitle.toLowerCase()} ${f.index + 1})`;
    return html`<table class="links" data-side=${f.side} data-index=${f.index}>
      <caption>${what}, ${this.summaryShown ? `in ${SUMMARY_LABEL[this.summaryShown.kind].toLowerCase()}` : 'per head'}${this.validPin === f ? ' (pinned)' : ''}</caption>
      <tbody>
        ${topLinks(v, this.layer, this.shown, f, TOP_LINKS).map(({ head, links }) => html`<tr data-head=${head}>
          <th scope="row"><span class="swatch" style=${cssProps({ background: headColor(head, dark) })}></span>${this.headName(head)}</th>
          ${links.map((l) => html`<td class="link" data-index=${l.index} data-weight=${String(l.weight)}>
            <span class="tok-text" dir="auto">${others[l.index]}</span> <span class="w">${l.weight.toFixed(3)}</span></td>`)}
        </tr>`)}
      </tbody>
    </table>`;
  }

  private legend() {
    const ws = [0.1, 0.5, 1];
    return html`<span class="key" aria-hidden="true">${ws.map((w) => {
      const { width } = lineStyle(w, true);
      return html`<span class="key-item"><svg width="30" height="10" viewBox="0 0 30 10">${svg`<line x1="2" y1="5" x2="28" y2="5"
        stroke="currentColor" stroke-width=${width} stroke-opacity=${lineStyle(w, true).opacity} stroke-linecap="round"></line>`}</svg>${w}</span>`;
    })}</span>`;
  }

  private announcement() {
    const f = this.cursor;
    const v = this.source;
    if (!f || !v) return '';
    const labels = f.side === 'query' ? v.rows : v.cols;
    const others = f.side === 'query' ? v.cols : v.rows;
    const tops = topLinks(v, this.layer, this.shown, f, 1)
      .map(({ head, links }) => `${this.headName(head)}: ${others[links[0].index]} ${links[0].weight.toFixed(2)}`);
    return `${f.side === 'query' ? this.rowTitle : this.colTitle} ${f.index + 1}, ${labels[f.index]}${
      this.validPin?.side === f.side && this.validPin.index === f.index ? ', pinned' : ''}. ${tops.join('; ')}`;
  }

  /** Rollout's or flow's legend: its colour, and what its lines are. */
  private summaryKey(kind: Summary) {
    const after = this.layer === 0 ? 'layer 1' : `layers 1 to ${this.layer + 1}`;
    return html`<span class="summary-key"><span class="swatch" style=${cssProps({ background: headColor(SUMMARY_HEAD, this.dark) })}></span>
      ${SUMMARY_LABEL[kind]} (every head, the residual counted): ${kind === 'rollout'
        ? `how much of each ${this.colTitle.toLowerCase()} token reaches each position after ${after}`
        : `the most that can flow from each ${this.colTitle.toLowerCase()} token to each position through ${after}`}</span>`;
  }

  override render() {
    const v = this.view;
    if (!v || !v.rows.length || !v.cols.length) return nothing;
    const s = this.summary;
    if (s && !s.matrix)
      return html`${this.renderHeads()}${s.notice
        ? html`<p class="state summary-note" role="status">${SUMMARY_LABEL[s.kind]} is not shown: ${s.notice}. Choose an earlier layer,
            a shorter text, or Rollout.</p>`
        : html`<p class="state loading" role="status">Computing ${SUMMARY_LABEL[s.kind].toLowerCase()}…</p>`}`;
    const [lw, rw] = this.labelWidths;
    const H = this.count * this.rowH;
    return html`
      ${this.renderHeads()}
      <figure>
        <div class="titles" style=${cssProps({ 'grid-template-columns': `${lw}px minmax(0, ${LINES_MAX}px) ${rw}px` })}>
          <span class="t-left">${this.columnTitle('query')} →</span><span></span><span class="t-right">→ ${this.columnTitle('key')}</span>
        </div>
        <div class="stage" style=${cssProps({ 'grid-template-columns': `${lw}px minmax(0, ${LINES_MAX}px) ${rw}px`, height: `${H}px` })}
          data-lines=${this.lines.length}>
          ${this.column('query', lw)}
          <div class="canvas-box"><canvas class="lines-canvas" aria-hidden="true"></canvas></div>
          ${this.column('key', rw)}
        </div>
        <figcaption><span class="caption">${this.caption}</span>
          ${s ? this.summaryKey(s.kind) : nothing}
          <span class="muted">Width and opacity: the weight</span>${this.legend()}
          ${MIN_WEIGHT > 0 ? html`<span class="muted">(lines under ${MIN_WEIGHT} are not drawn)</span>` : nothing}</figcaption>
      </figure>
      ${this.renderLinks()}
      <div class="sr-only" aria-live="polite">${this.announcement()}</div>
    `;
  }

  static override styles = css`
    :host { display: block; color: var(--fg, #1d1d24); font: 13px/1.35 system-ui, -apple-system, 'Segoe UI', sans-serif; }
    .heads { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-bottom: 10px; }
    .seg-label { font-size: 11.5px; color: var(--muted, #666); margin-right: 4px; text-transform: uppercase; letter-spacing: 0.05em; }
    .heads button { font: inherit; font-size: 12.5px; display: inline-flex; align-items: center; gap: 5px; padding: 3px 8px;
      border-radius: 7px; border: 1px solid var(--border, #d6d3e4); background: var(--input-bg, #fff); color: var(--fg, #333);
      cursor: pointer; font-variant-numeric: tabular-nums; }
    .heads button:hover { border-color: var(--accent, #5b3cc4); }
    .heads button[aria-pressed='true'] { border-color: var(--accent, #5b3cc4); box-shadow: inset 0 0 0 1px var(--accent, #5b3cc4); }
    .heads .all[aria-pressed='true'] { background: var(--accent, #5b3cc4); color: var(--on-accent, #fff); }
    .heads .save { margin-left: auto; }
    button:focus-visible, .col:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; flex: none; }
    .swatch.off { opacity: 0.25; }
    .summary-key { display: inline-flex; align-items: center; gap: 6px; flex-basis: 100%; }
    .state { margin: 10px 0; font-size: 13px; color: var(--muted, #666); }
    figure { margin: 0; }
    .titles { display: grid; font-size: 11px; color: var(--muted, #666); margin-bottom: 4px; white-space: nowrap; }
    .t-left { text-align: right; padding-right: 6px; }
    .t-right { padding-left: 6px; }
    .stage { display: grid; position: relative; }
    .col { position: relative; height: 100%; cursor: pointer; outline: none; border-radius: 4px; }
    .tok { position: absolute; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: calc(100% - 6px);
      line-height: 14px; height: 14px; font-size: 12.5px; padding: 0 3px; border-radius: 4px; unicode-bidi: isolate; }
    .col.query .tok { right: 0; text-align: right; }
    .col.key .tok { left: 0; }
    .tok.faded { color: var(--muted, #5f5d6e); } /* set back, still readable (4.5:1) */
    .tok.reached { font-weight: 600; }
    .tok.focus { background: var(--accent, #5b3cc4); color: var(--on-accent, #fff); z-index: 2; }
    .tok.pinned:not(.focus) { box-shadow: inset 0 0 0 1.5px var(--accent, #5b3cc4); }
    .canvas-box { position: relative; min-width: 0; overflow: hidden; }
    canvas { display: block; }
    figcaption { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin-top: 10px; font-size: 12px; }
    .caption { font-weight: 600; }
    .muted { color: var(--muted, #666); }
    .key { display: inline-flex; gap: 10px; color: var(--fg, #333); }
    .key-item { display: inline-flex; align-items: center; gap: 3px; font-variant-numeric: tabular-nums; }
    .hint { margin: 10px 0 0; font-size: 12.5px; color: var(--muted, #666); }
    .links { margin-top: 10px; border-collapse: collapse; font-size: 12.5px; }
    .links caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
    .links th { text-align: left; font-weight: 500; padding: 2px 12px 2px 0; white-space: nowrap; }
    .links th .swatch { margin-right: 6px; vertical-align: -1px; }
    .links td { padding: 2px 14px 2px 0; white-space: nowrap; }
    .links .tok-text { background: var(--chip-bg, #f0eefa); padding: 0 4px; border-radius: 4px; unicode-bidi: isolate; }
    .links .w { font-variant-numeric: tabular-nums; color: var(--muted, #555); }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-lines': AttnLines;
  }
}
