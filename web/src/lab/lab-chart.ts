// <lab-chart>: a small SVG line chart for training curves (loss, accuracy, learning rate), with d3 scales.
// Series are drawn as paths, thinned to about two points per pixel; a legend names them; hovering (or the
// arrow keys, once focused) reads every series at one step. The caller gives an aria-label that says what the
// curves show in words.
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { scaleLinear, scaleLog } from 'd3-scale';

export interface Series {
  label: string;
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
  faint?: boolean; // drawn light, behind (e.g. the raw loss under its smoothed curve)
  dots?: boolean; // evaluation points
}

const W = 560;
const H = 200;
const M = { top: 10, right: 14, bottom: 30, left: 52 };

/** Mean over a trailing window: the training loss is noisy from batch to batch. */
export function smooth(y: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(y.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (i >= window && Number.isFinite(y[i - window])) {
      sum -= y[i - window];
      count--;
    }
    out[i] = count ? sum / count : NaN;
  }
  return out;
}

@customElement('lab-chart')
export class LabChart extends LitElement {
  @property({ attribute: false }) series: Series[] = [];
  @property({ attribute: 'x-label' }) xLabel = 'step';
  @property({ attribute: 'y-label' }) yLabel = '';
  @property({ type: Boolean }) log = false;
  @property({ attribute: false }) xMax?: number;
  @property({ attribute: false }) yDomain?: [number, number];
  @property({ attribute: false }) format: (v: number) => string = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

  @state() private hover?: number; // x value under the pointer

  private scales() {
    let xmax = this.xMax ?? 1;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.series) {
      for (let i = 0; i < s.x.length; i++) {
        if (this.xMax === undefined) xmax = Math.max(xmax, s.x[i]);
        const v = s.y[i];
        if (!Number.isFinite(v) || (this.log && v <= 0)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (!Number.isFinite(lo)) [lo, hi] = this.log ? [0.01, 1] : [0, 1];
    if (this.yDomain) [lo, hi] = this.yDomain;
    const x = scaleLinear().domain([0, xmax]).range([M.left, W - M.right]);
    const y = this.log
      ? scaleLog().domain([Math.max(lo, hi * 1e-6), hi * 1.05]).range([H - M.bottom, M.top]).clamp(true).nice()
      : scaleLinear().domain([lo === hi ? lo - 1 : lo, hi]).range([H - M.bottom, M.top]).nice();
    return { x, y };
  }

  private path(s: Series, x: (v: number) => number, y: (v: number) => number): string {
    const n = s.x.length;
    const stride = Math.max(1, Math.floor(n / (2 * (W - M.left - M.right))));
    let d = '';
    let pen = false;
    for (let i = 0; i < n; i += stride) {
      const v = s.y[i];
      if (!Number.isFinite(v) || (this.log && v <= 0)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(s.x[i]).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    if (n && (n - 1) % stride && Number.isFinite(s.y[n - 1])) d += `L${x(s.x[n - 1]).toFixed(1)},${y(s.y[n - 1]).toFixed(1)}`;
    return d;
  }

  /** The value of a series at (or just before) step `at`. */
  private valueAt(s: Series, at: number): number | undefined {
    let lo = 0;
    let hi = s.x.length - 1;
    if (hi < 0 || s.x[0] > at) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s.x[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return s.y[lo];
  }

  private onMove(ev: PointerEvent, x: ReturnType<typeof scaleLinear<number, number>>) {
    const svgEl = ev.currentTarget as SVGSVGElement;
    const box = svgEl.getBoundingClientRect();
    const px = ((ev.clientX - box.left) / box.width) * W;
    this.hover = Math.max(0, Math.round(x.invert(px)));
  }

  private onKey(ev: KeyboardEvent, xmax: number) {
    const step = Math.max(1, Math.round(xmax / 50));
    if (ev.key === 'ArrowRight') this.hover = Math.min(xmax, (this.hover ?? 0) + step);
    else if (ev.key === 'ArrowLeft') this.hover = Math.max(0, (this.hover ?? xmax) - step);
    else if (ev.key === 'Escape') this.hover = undefined;
    else return;
    ev.preventDefault();
  }

  override render() {
    const { x, y } = this.scales();
    const xmax = x.domain()[1];
    // Log axes: one line per power of ten (d3 also returns 2, 3, ... 9 within each decade).
    const yTicks = this.log ? decades(y.domain() as [number, number]) : y.ticks(5);
    const hover = this.hover;
    const readout =
      hover === undefined
        ? ''
        : `step ${hover}: ` +
          this.series
            .filter((s) => !s.faint)
            .map((s) => {
              const v = this.valueAt(s, hover);
              return `${s.label} ${v === undefined || !Number.isFinite(v) ? '–' : this.format(v)}`;
            })
            .join(' · ');
    return html`
      <div class="legend">
        ${this.series.filter((s) => !s.faint).map(
          (s) => html`<span class="key"><svg width="18" height="8" aria-hidden="true"><line x1="0" y1="4" x2="18" y2="4"
            stroke=${s.color} stroke-width="2.5" stroke-dasharray=${s.dashed ? '4 3' : 'none'}></line></svg>${s.label}</span>`,
        )}
      </div>
      <svg viewBox="0 0 ${W} ${H}" role="img" tabindex="0" aria-label=${this.getAttribute('aria-label') ?? this.yLabel}
        @pointermove=${(e: PointerEvent) => this.onMove(e, x)} @pointerleave=${() => (this.hover = undefined)}
        @keydown=${(e: KeyboardEvent) => this.onKey(e, xmax)}>
        ${yTicks.map((t) => svg`<line class="grid" x1=${M.left} x2=${W - M.right} y1=${y(t)} y2=${y(t)}></line>
          <text class="tick" x=${M.left - 6} y=${y(t) + 4} text-anchor="end">${this.log ? formatLog(t) : this.format(t)}</text>`)}
        ${x.ticks(6).map((t) => svg`<text class="tick" x=${x(t)} y=${H - M.bottom + 16} text-anchor="middle">${t}</text>`)}
        <line class="axis" x1=${M.left} x2=${W - M.right} y1=${H - M.bottom} y2=${H - M.bottom}></line>
        <text class="label" x=${(M.left + W - M.right) / 2} y=${H - 2} text-anchor="middle">${this.xLabel}</text>
        <text class="label" transform="translate(12 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${this.yLabel}</text>
        ${this.series.map((s) =>
          s.dots
            ? Array.from({ length: s.x.length }, (_, i) =>
                Number.isFinite(s.y[i]) && !(this.log && s.y[i] <= 0)
                  ? svg`<circle cx=${x(s.x[i])} cy=${y(s.y[i])} r="2.6" fill=${s.color}></circle>`
                  : nothing,
              )
            : nothing,
        )}
        ${this.series.map(
          (s) => svg`<path d=${this.path(s, x, y)} fill="none" stroke=${s.color} stroke-width=${s.faint ? 1 : 1.8}
            stroke-opacity=${s.faint ? 0.28 : 1} stroke-dasharray=${s.dashed ? '5 4' : 'none'} stroke-linejoin="round"></path>`,
        )}
        ${hover !== undefined ? svg`<line class="cursor" x1=${x(hover)} x2=${x(hover)} y1=${M.top} y2=${H - M.bottom}></line>` : nothing}
      </svg>
      <p class="readout" aria-live="polite">${readout}</p>
    `;
  }

  static override styles = css`
    :host { display: block; }
    svg { width: 100%; height: auto; display: block; overflow: visible; }
    svg:focus-visible { outline: 2px solid var(--w-focus, #8f7cf0); outline-offset: 2px; border-radius: 6px; }
    .grid { stroke: var(--w-border, #e2dfee); stroke-width: 1; }
    .axis { stroke: var(--w-muted, #5f5d6e); stroke-width: 1; }
    .tick { font-size: 10.5px; fill: var(--w-muted, #5f5d6e); font-variant-numeric: tabular-nums; }
    .label { font-size: 11px; fill: var(--w-muted, #5f5d6e); }
    .cursor { stroke: var(--w-muted, #5f5d6e); stroke-dasharray: 2 3; }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--w-fg, #1d1d24); min-height: 18px; }
    .key { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
    .readout { margin: 2px 0 0; min-height: 1.4em; font-size: 12px; color: var(--w-muted, #5f5d6e); font-variant-numeric: tabular-nums; }
  `;
}

function decades([lo, hi]: [number, number]): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); 10 ** e <= hi * (1 + 1e-9); e++) out.push(10 ** e);
  if (out.length > 6) return out.filter((_, i) => i % 2 === (out.length - 1) % 2);
  return out.length ? out : [lo, hi];
}

function formatLog(v: number): string {
  return v >= 0.001 && v < 1e5 ? String(Number(v.toPrecision(1))) : `1e${Math.round(Math.log10(v))}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-chart': LabChart;
  }
}
