// <attn-ffn>: the feed-forward half of a Transformer layer and its activation, ReLU or GELU.
//
// The curves: the engine's `activation` call (F.relu, F.gelu in its exact erf form) on x = -4, -3.95, …, 4 gives
// each function and its derivative; hovering (or the arrow keys) reads them at one x.
// One token: nn.TransformerEncoderLayer(8, 2, 16) with seeded parameters (seeded-layers.ts) runs twice on the same
// input, with activation "relu" and "gelu". For the chosen token the widget draws ff.pre (linear1's output,
// [F = 16], the same in both runs) and ff.hidden (after the activation) for each: ReLU zeroes every negative
// unit, GELU keeps small negative values. Then W₂ (linear2, [d, F]) takes the hidden vector back to d_model: ff.output
// [d = 8] for each activation, the numbers the residual connection adds to the token.
//
// State (attributes): activation (relu | gelu: which one to emphasize), token (index into the sentence).
import { css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { MatrixExport } from '../export/export';
import { registerWidget } from './registry';
import { CURVE_X, NORM, encoderCall, numberAttribute } from './seeded-layers';
import { ffnScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

registerWidget('attn-ffn', 'Feed-forward network and activations');

type Act = 'relu' | 'gelu';
const ACTS: Act[] = ['relu', 'gelu'];
const NAME: Record<Act, string> = { relu: 'ReLU', gelu: 'GELU' };
const WORDS = NORM.words;
const F = NORM.F;

interface FfnResult {
  curves: Record<Act, { output: Float32Array; derivative: Float32Array }>; // [161] each
  pre: Float32Array; // ff.pre [L, F]
  hidden: Record<Act, Float32Array>; // ff.hidden [L, F]
  output: Record<Act, Float32Array>; // ff.output [L, d]: linear2's output
}

@customElement('attn-ffn')
export class AttnFfn extends WidgetBase {
  static override widgetTag = 'attn-ffn';
  static override stateKeys = ['activation', 'token'];

  /** The activation to emphasize: "relu" or "gelu". */
  @property({ reflect: true }) activation: Act = 'gelu';
  /** The token whose hidden vector is shown (0-based index into the sentence). */
  @property({ reflect: true, converter: numberAttribute }) token = 1;

  @state() private result?: FfnResult;
  @state() private hoverX = 100; // index into CURVE_X (x = 1)
  @state() private hoverUnit = -1;
  @state() private notice = '';

  get widgetTitle() {
    return 'Feed-forward network and activations';
  }

  override willUpdate(changed: Map<string, unknown>) {
    const notes: string[] = [];
    if (changed.has('activation') && !ACTS.includes(this.activation)) {
      notes.push(`activation must be "relu" or "gelu"; showing gelu.`);
      this.activation = 'gelu';
    }
    if (changed.has('token') && !(Number.isInteger(this.token) && this.token >= 0 && this.token < WORDS.length)) {
      const fixed = Number.isFinite(this.token) ? Math.min(WORDS.length - 1, Math.max(0, Math.round(this.token))) : 1;
      notes.push(`token must be a whole number from 0 to ${WORDS.length - 1}; showing ${fixed}.`);
      this.token = fixed;
    }
    if (notes.length) this.notice = notes.join(' ');
  }

  protected async compute() {
    const [relu, gelu, layerRelu, layerGelu] = await Promise.all([
      this.call('activation', { name: 'relu', input: { data: CURVE_X, shape: [CURVE_X.length] } }, 'curve-relu'),
      this.call('activation', { name: 'gelu', input: { data: CURVE_X, shape: [CURVE_X.length] } }, 'curve-gelu'),
      this.call('encoderLayer', encoderCall(false, 'relu'), 'layer-relu'),
      this.call('encoderLayer', encoderCall(false, 'gelu'), 'layer-gelu'),
    ]);
    this.result = {
      curves: {
        relu: { output: relu.output.data, derivative: relu.derivative.data },
        gelu: { output: gelu.output.data, derivative: gelu.derivative.data },
      },
      pre: layerGelu.trace['ff.pre'].data,
      hidden: { relu: layerRelu.trace['ff.hidden'].data, gelu: layerGelu.trace['ff.hidden'].data },
      output: { relu: layerRelu.trace['ff.output'].data, gelu: layerGelu.trace['ff.output'].data },
    };
  }

  /** The PyTorch button's script: the curves and the chosen token through linear1, the activation and linear2. */
  override pytorchScript(): string {
    return ffnScript(CURVE_X, encoderCall(false, 'relu'), WORDS, this.token);
  }

  protected override exportables(): MatrixExport[] {
    const r = this.result;
    if (!r) return [];
    const units = Array.from({ length: F }, (_, j) => `unit ${j}`);
    const m = { rows: WORDS.length, cols: F, rowLabels: WORDS, colLabels: units, rowTitle: 'Token', colTitle: 'Hidden unit' };
    const range = (a: Float32Array): [number, number] => [Math.min(...a), Math.max(...a)];
    const curves = new Float32Array(4 * CURVE_X.length);
    ACTS.forEach((a, k) => {
      curves.set(r.curves[a].output, 2 * k * CURVE_X.length);
      curves.set(r.curves[a].derivative, (2 * k + 1) * CURVE_X.length);
    });
    return [
      { ...m, title: 'ff.pre: linear1 output (before the activation)', matrix: r.pre, domain: range(r.pre) },
      { ...m, title: 'ff.hidden with ReLU', matrix: r.hidden.relu, domain: range(r.hidden.relu) },
      { ...m, title: 'ff.hidden with GELU', matrix: r.hidden.gelu, domain: range(r.hidden.gelu) },
      ...ACTS.map((a) => ({
        ...m, cols: NORM.d, colLabels: Array.from({ length: NORM.d }, (_, j) => `dim ${j}`), colTitle: 'Dimension',
        title: `ff.output (linear2, back to d_model) with ${NAME[a]}`, matrix: r.output[a], domain: range(r.output[a]),
      })),
      {
        title: 'Activation curves (rows) at x (columns)',
        matrix: curves,
        rows: 4,
        cols: CURVE_X.length,
        rowLabels: ['ReLU(x)', "ReLU'(x)", 'GELU(x)', "GELU'(x)"],
        colLabels: Array.from(CURVE_X, (x) => String(x)),
        rowTitle: 'Function',
        colTitle: 'x',
        domain: [-0.2, 4],
      },
    ];
  }

  private change(next: Partial<Pick<AttnFfn, 'activation' | 'token'>>) {
    this.notice = '';
    Object.assign(this, next);
    void this.stateChanged();
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    const r = this.result;
    return html`
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      <div class="toggle-row" role="group" aria-label="Activation">
        <span class="muted">Emphasize</span>
        ${ACTS.map(
          (a) => html`<button class="act-${a}" aria-pressed=${this.activation === a} @click=${() => this.change({ activation: a })}>${NAME[a]}</button>`,
        )}
      </div>
      <p class="formula-line">
        <span class="formula relu-c">ReLU(x) = max(0, x)</span>
        <span class="formula gelu-c">GELU(x) = x · Φ(x)</span>
        <span class="muted small">Φ: the standard normal distribution function. GELU is a smooth ReLU that lets small
          negative values through.</span>
      </p>
      ${r ? this.renderCurves(r) : nothing}
      <h3>One token through the feed-forward network</h3>
      <p class="formula-line">
        <span class="formula">FFN(x) = W₂ · act(W₁ x + b₁) + b₂</span>
        <span class="muted small">(${NORM.d} → ${F} → ${NORM.d} numbers)</span>
      </p>
      <p class="position-wise">Position-wise: every token goes through the same two linear layers on its own, with no
        mixing between tokens (mixing is attention's job).</p>
      <div class="chips" role="group" aria-label="Token">
        ${WORDS.map(
          (w, i) => html`<button class="chip" data-index=${i} aria-pressed=${this.token === i} @click=${() => this.change({ token: i })}>${w}</button>`,
        )}
      </div>
      ${r ? this.renderUnits(r) : nothing}
      ${r ? this.renderOutput(r) : nothing}
    `;
  }

  private renderCurves(r: FfnResult) {
    const k = this.hoverX;
    const x = CURVE_X[k];
    const val = (a: Act, d: 'output' | 'derivative') => r.curves[a][d][k];
    return html`
      <div class="curves">
        ${this.curvePlot(r, 'output', 'f(x)', [-0.5, 4])} ${this.curvePlot(r, 'derivative', 'f′(x)', [-0.2, 1.2])}
        <table class="readout" aria-live="polite">
          <caption>at <span class="x-value" data-value=${String(x)}>x = ${x.toFixed(2)}</span></caption>
          <tr><td></td><th scope="col">f(x)</th><th scope="col">f′(x)</th></tr>
          ${ACTS.map(
            (a) => html`<tr class="${a}-c ${this.activation === a ? 'em' : ''}" data-act=${a}>
              <th scope="row">${NAME[a]}</th>
              <td class="out" data-value=${String(val(a, 'output'))}>${fmt(val(a, 'output'))}</td>
              <td class="der" data-value=${String(val(a, 'derivative'))}>${fmt(val(a, 'derivative'))}</td>
            </tr>`,
          )}
        </table>
      </div>
    `;
  }

  /** One plot of both functions (or both derivatives) on x in [-4, 4]; hover or arrow keys move the read-out. */
  private curvePlot(r: FfnResult, which: 'output' | 'derivative', label: string, [lo, hi]: [number, number]) {
    const W = 300;
    const H = 190;
    const m = { l: 34, r: 8, t: 18, b: 24 };
    const sx = (v: number) => m.l + ((v + 4) / 8) * (W - m.l - m.r);
    const sy = (v: number) => m.t + ((hi - v) / (hi - lo)) * (H - m.t - m.b);
    const path = (ys: Float32Array) => Array.from(CURVE_X, (v, i) => `${i ? 'L' : 'M'}${sx(v).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join('');
    const k = this.hoverX;
    const yTicks = which === 'output' ? [0, 1, 2, 3, 4] : [0, 0.5, 1];
    const order: Act[] = this.activation === 'relu' ? ['gelu', 'relu'] : ['relu', 'gelu']; // emphasized on top
    return html`<figure class="plot">
      <svg viewBox="0 0 ${W} ${H}" width=${W} height=${H} tabindex="0" role="img" class="curve-svg ${which}"
        aria-label="${label} of ReLU and GELU for x from -4 to 4. Arrow keys move the read-out."
        @pointermove=${(e: PointerEvent) => this.onCurveHover(e, m.l, W - m.r)}
        @keydown=${this.onCurveKey}>
        <text class="plot-title" x=${m.l} y="11">${label}</text>
        ${yTicks.map((t) => svg`<line class="grid" x1=${m.l} x2=${W - m.r} y1=${sy(t)} y2=${sy(t)}></line>
          <text class="tick" x=${m.l - 5} y=${sy(t) + 3.5} text-anchor="end">${t}</text>`)}
        ${[-4, -2, 0, 2, 4].map((t) => svg`<text class="tick" x=${sx(t)} y=${H - 8} text-anchor="middle">${t}</text>`)}
        <line class="axis0" x1=${sx(0)} x2=${sx(0)} y1=${m.t} y2=${H - m.b}></line>
        <line class="axis0" x1=${m.l} x2=${W - m.r} y1=${sy(0)} y2=${sy(0)}></line>
        ${order.map((a) => svg`<path class="curve ${a}-s ${this.activation === a ? 'em' : 'dim'}" d=${path(r.curves[a][which])}></path>`)}
        <line class="cursor" x1=${sx(CURVE_X[k])} x2=${sx(CURVE_X[k])} y1=${m.t} y2=${H - m.b}></line>
        ${order.map((a) => svg`<circle class="dot ${a}-f" cx=${sx(CURVE_X[k])} cy=${sy(r.curves[a][which][k])} r="3.5"></circle>`)}
      </svg>
    </figure>`;
  }

  private onCurveHover(e: PointerEvent, x0: number, x1: number) {
    const svgEl = e.currentTarget as SVGSVGElement;
    const box = svgEl.getBoundingClientRect();
    const vx = ((e.clientX - box.left) / box.width) * svgEl.viewBox.baseVal.width;
    const t = (vx - x0) / (x1 - x0);
    this.hoverX = Math.max(0, Math.min(CURVE_X.length - 1, Math.round(t * (CURVE_X.length - 1))));
  }

  private onCurveKey(e: KeyboardEvent) {
    const step = e.shiftKey ? 10 : 1;
    if (e.key === 'ArrowLeft') this.hoverX = Math.max(0, this.hoverX - step);
    else if (e.key === 'ArrowRight') this.hoverX = Math.min(CURVE_X.length - 1, this.hoverX + step);
    else return;
    e.preventDefault();
  }

  /** ff.pre and both ff.hidden vectors of the chosen token, one bar per hidden unit, on one shared scale. */
  private renderUnits(r: FfnResult) {
    const t = this.token;
    const slice = (a: Float32Array) => a.subarray(t * F, (t + 1) * F);
    const pre = slice(r.pre);
    const rows: { key: string; label: string; sub: string; data: Float32Array; cls: string }[] = [
      { key: 'pre', label: 'W₁x + b₁', sub: 'ff.pre', data: pre, cls: 'pre' },
      ...ACTS.map((a) => ({ key: a, label: `${NAME[a]}(…)`, sub: `ff.hidden (${NAME[a]})`, data: slice(r.hidden[a]), cls: `${a}-f ${this.activation === a ? 'em' : 'dim'}` })),
    ];
    const lim = Math.max(0.5, ...Array.from(pre, Math.abs));
    const W = 720;
    const rowH = 92;
    const m = { l: 150, r: 10, t: 8 };
    const bw = (W - m.l - m.r) / F;
    const H = m.t + rows.length * rowH + 18;
    const negatives = Array.from(pre, (v, j) => (v < 0 ? j : -1)).filter((j) => j >= 0);
    const reluHidden = slice(r.hidden.relu);
    const geluHidden = slice(r.hidden.gelu);
    const zeroed = negatives.filter((j) => reluHidden[j] === 0).length;
    const geluMin = negatives.length ? Math.min(...negatives.map((j) => geluHidden[j])) : 0;
    const u = this.hoverUnit;
    return html`
      <figure class="units">
        <svg viewBox="0 0 ${W} ${H}" width=${W} height=${H} role="img" class="units-svg"
          aria-label="The ${F} hidden units of “${WORDS[t]}” before and after ReLU and GELU"
          @pointermove=${(e: PointerEvent) => this.onUnitHover(e, m.l, bw)} @pointerleave=${() => (this.hoverUnit = -1)}>
          ${negatives.map((j) => svg`<rect class="neg-col" x=${m.l + j * bw} y=${m.t} width=${bw} height=${rows.length * rowH}></rect>`)}
          ${u >= 0 ? svg`<rect class="hover-col" x=${m.l + u * bw} y=${m.t} width=${bw} height=${rows.length * rowH}></rect>` : nothing}
          ${rows.map((row, k) => {
            const top = m.t + k * rowH;
            const zero = top + rowH / 2;
            const sy = (v: number) => zero - (v / lim) * (rowH / 2 - 8);
            return svg`<g class="bars ${row.cls}" data-row=${row.key}>
              <text class="row-label" x=${m.l - 10} y=${zero - 2} text-anchor="end">${row.label}</text>
              <text class="row-sub" x=${m.l - 10} y=${zero + 12} text-anchor="end">${row.sub}</text>
              <line class="zero" x1=${m.l} x2=${W - m.r} y1=${zero} y2=${zero}></line>
              ${Array.from(row.data, (v, j) => svg`<rect class="bar ${v < 0 ? 'neg' : ''} ${v === 0 ? 'is-zero' : ''}" data-unit=${j} data-value=${String(v)}
                x=${m.l + j * bw + 2} width=${bw - 4} y=${Math.min(sy(v), zero)} height=${Math.max(v === 0 ? 0 : 1, Math.abs(sy(v) - zero))}></rect>`)}
              ${Array.from(row.data, (v, j) => this.barNote(row.key, v, m.l + j * bw + bw / 2, zero))}
            </g>`;
          })}
          ${Array.from({ length: F }, (_, j) => svg`<text class="tick" x=${m.l + j * bw + bw / 2} y=${H - 4} text-anchor="middle">${j}</text>`)}
        </svg>
        <figcaption class="small">
          ${u >= 0
            ? html`<span class="unit-readout">unit ${u}: pre <strong>${fmt(pre[u])}</strong> → ReLU <strong class="relu-c">${fmt(reluHidden[u])}</strong>,
                GELU <strong class="gelu-c">${fmt(geluHidden[u])}</strong></span>`
            : html`<span class="muted">Hover a column to read its numbers. Shaded columns: units where W₁x + b₁ is negative.</span>`}
        </figcaption>
      </figure>
      <p class="explain">
        For “${WORDS[t]}”, <strong class="neg-count" data-value=${negatives.length}>${negatives.length} of ${F}</strong> units are negative before
        the activation. <span class="relu-c">ReLU</span> sets all <span class="relu-zeroed" data-value=${zeroed}>${zeroed}</span> of them to exactly 0
        (and its gradient there is 0 too); <span class="gelu-c">GELU</span> keeps them as small negatives, down to
        <span class="gelu-min" data-value=${String(geluMin)}>${fmt(geluMin)}</span>.
      </p>
    `;
  }

  /** W₂: the chosen token's hidden vector taken back to d_model numbers (ff.output), for each activation. */
  private renderOutput(r: FfnResult) {
    const t = this.token;
    const d = NORM.d;
    const outs = ACTS.map((a) => ({ a, data: r.output[a].subarray(t * d, (t + 1) * d) }));
    const lim = Math.max(0.5, ...outs.flatMap((o) => Array.from(o.data, Math.abs)));
    const W = 720;
    const m = { l: 150, r: 10, t: 8 };
    const rowH = 80;
    const bw = Math.min(44, (W - m.l - m.r) / d);
    const H = m.t + outs.length * rowH + 18;
    const diff = Math.max(...Array.from(outs[0].data, (v, j) => Math.abs(v - outs[1].data[j])));
    return html`
      <h4>W₂: back to d_model</h4>
      <p class="formula-line">
        <span class="formula">W₂ h + b₂</span>
        <span class="muted small"><code>linear2</code>, weight [${d}, ${F}]: ${F} hidden units → ${d} numbers, the size of the token's vector, so
          the layer can add them to it (the residual connection: x + FFN(x)).</span>
      </p>
      <figure class="units out">
        <svg viewBox="0 0 ${W} ${H}" width=${W} height=${H} role="img" class="out-svg"
          aria-label="The ${d} numbers W₂ makes from “${WORDS[t]}”'s hidden vector, after ReLU and after GELU">
          ${outs.map(({ a, data }, k) => {
            const top = m.t + k * rowH;
            const zero = top + rowH / 2;
            const sy = (v: number) => zero - (v / lim) * (rowH / 2 - 6);
            return svg`<g class="bars ${a}-f ${this.activation === a ? 'em' : 'dim'}" data-row=${`out-${a}`}>
              <text class="row-label" x=${m.l - 10} y=${zero - 2} text-anchor="end">W₂ ${NAME[a]}(…) + b₂</text>
              <text class="row-sub" x=${m.l - 10} y=${zero + 12} text-anchor="end">ff.output (${NAME[a]})</text>
              <line class="zero" x1=${m.l} x2=${m.l + d * bw} y1=${zero} y2=${zero}></line>
              ${Array.from(data, (v, j) => svg`<rect class="bar" data-unit=${j} data-value=${String(v)}
                x=${m.l + j * bw + 3} width=${bw - 6} y=${Math.min(sy(v), zero)} height=${Math.max(1, Math.abs(sy(v) - zero))}></rect>`)}
            </g>`;
          })}
          ${Array.from({ length: d }, (_, j) => svg`<text class="tick" x=${m.l + j * bw + bw / 2} y=${H - 4} text-anchor="middle">${j}</text>`)}
        </svg>
      </figure>
      <p class="explain">Each of the ${d} numbers is a weighted sum of all ${F} hidden units, so wherever ReLU and GELU
        disagree (the negative units, and small positive ones: GELU(1) ≈ 0.84), every output number moves: the largest
        difference here is <span class="out-diff" data-value=${String(diff)}>${fmt(diff)}</span>. Still one token at a
        time: no other token's numbers enter.</p>
    `;
  }

  /** What the activation did to a negative unit, written at its bar: ReLU's exact 0, GELU's small negative. */
  private barNote(row: string, v: number, x: number, zero: number) {
    if (row === 'relu' && v === 0) return svg`<text class="zero-mark relu-f" x=${x} y=${zero - 4} text-anchor="middle">0</text>`;
    if (row === 'gelu' && v < 0) return svg`<text class="zero-mark gelu-f" x=${x} y=${zero + 16} text-anchor="middle">${short(v)}</text>`;
    return nothing;
  }

  private onUnitHover(e: PointerEvent, x0: number, bw: number) {
    const svgEl = e.currentTarget as SVGSVGElement;
    const box = svgEl.getBoundingClientRect();
    const vx = ((e.clientX - box.left) / box.width) * svgEl.viewBox.baseVal.width;
    const j = Math.floor((vx - x0) / bw);
    this.hoverUnit = j >= 0 && j < F ? j : -1;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      :host { --relu: #a84d08; --gelu: var(--w-accent); } /* ReLU's orange: 5.6:1 on white, as text too */
      :host([theme='dark']) { --relu: #f5a05a; }
      @media (prefers-color-scheme: dark) { :host(:not([theme='light'])) { --relu: #f5a05a; } }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
      h3 { font-size: 14px; margin: 16px 0 6px; padding-top: 12px; border-top: 1px solid var(--w-border); }
      .toggle-row { display: flex; align-items: center; gap: 6px; margin-bottom: 8px; }
      .formula-line { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; margin: 0 0 8px; }
      .small { font-size: 12.5px; }
      .relu-c { color: var(--relu); }
      .gelu-c { color: var(--gelu); }
      .curves { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: center; }
      figure { margin: 0; }
      svg { max-width: 100%; height: auto; display: block; }
      svg:focus-visible { outline: 2px solid var(--w-focus); border-radius: 4px; }
      .curve-svg { cursor: crosshair; touch-action: none; }
      .plot-title { font-size: 12px; font-weight: 600; fill: var(--w-fg); }
      .grid { stroke: var(--w-border); }
      .axis0 { stroke: var(--w-muted); stroke-width: 1; opacity: 0.6; }
      .tick { font-size: 10.5px; fill: var(--w-muted); font-variant-numeric: tabular-nums; }
      .curve { fill: none; stroke-width: 2.2; stroke-linejoin: round; }
      .curve.dim { stroke-width: 1.6; opacity: 0.45; }
      .curve.em { stroke-width: 3; }
      .relu-s { stroke: var(--relu); }
      .gelu-s { stroke: var(--gelu); }
      .cursor { stroke: var(--w-fg); stroke-dasharray: 3 3; opacity: 0.5; }
      .dot.relu-f { fill: var(--relu); }
      .dot.gelu-f { fill: var(--gelu); }
      .readout { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; min-width: 190px; }
      .readout caption { text-align: left; font-size: 12.5px; color: var(--w-muted); padding-bottom: 4px; }
      .readout th, .readout td { padding: 3px 10px 3px 0; text-align: right; }
      .readout th[scope='row'] { text-align: left; }
      .readout tr.em th { text-decoration: underline; text-underline-offset: 3px; }
      .position-wise { margin: 0 0 8px; font-size: 13.5px; }
      .chips { display: flex; flex-wrap: wrap; gap: 5px; margin-bottom: 8px; }
      .chip { border-radius: 7px; }
      .units { max-width: 740px; }
      .neg-col { fill: var(--w-code-bg); }
      .hover-col { fill: var(--w-accent-soft); opacity: 0.6; }
      .row-label { font-size: 12.5px; font-weight: 600; fill: var(--w-fg); }
      .row-sub { font-size: 10.5px; fill: var(--w-muted); }
      .zero { stroke: var(--w-muted); stroke-width: 1; }
      .bars.pre .bar { fill: var(--w-muted); }
      .bars.relu-f .bar { fill: var(--relu); }
      .bars.gelu-f .bar { fill: var(--gelu); }
      .bars.dim { opacity: 0.45; }
      .zero-mark { font-size: 9.5px; font-weight: 600; font-variant-numeric: tabular-nums; }
      .zero-mark.relu-f { fill: var(--relu); }
      .zero-mark.gelu-f { fill: var(--gelu); }
      .explain { margin: 6px 0 0; max-width: 680px; }
      h4 { font-size: 13.5px; margin: 14px 0 4px; }
      code { font: 12px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      .unit-readout strong { font-variant-numeric: tabular-nums; }
    `,
  ];
}

/** Two decimals without the leading zero: −.17. */
function short(v: number) {
  return v.toFixed(2).replace(/^(-?)0/, '$1').replace('-', '−');
}

function fmt(v: number) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  return v.toFixed(4).replace('-', '−');
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-ffn': AttnFfn;
  }
}
