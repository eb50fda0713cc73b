// <attn-dropout-norm>: two things a Transformer layer does around attention, computed by the engine.
//
// Dropout: F.scaled_dot_product_attention(X, X, X, dropout_p = p, seed) on six 4-d word vectors (seeded-layers.ts)
// returns the softmax weights [6, 6] and the weights after dropout (`dropped`): each weight is zeroed with
// probability p and the survivors are scaled by 1/(1 − p). Rows no longer sum to 1; the expected value of each
// weight is unchanged. In eval mode a module passes dropout_p = 0, so the weights go through untouched. A small
// plot shows the share of zeroed weights for p = 0, 0.1, …, 0.9 (one engine call each) against the line y = p.
//
// Layer norm: nn.TransformerEncoderLayer(d_model 8, 2 heads, dim_feedforward 16), seeded parameters, run with
// norm_first false (post-norm, LN(x + Attn(x))) or true (pre-norm, x + Attn(LN(x))). Per token, the statistics of
// what norm1 normalizes (the input for pre-norm, resid1 for post-norm; from the engine's norm1.mean and
// norm1.rstd: variance = 1/rstd² − eps) and of norm1.out (mean and variance of the engine's numbers).
//
// State (attributes): p, seed, training, norm-first.
import { css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Tensor } from '../../../engine/bindings/attn';
import '../components/attn-heatmap';
import type { MatrixExport } from '../export/export';
import { registerWidget } from './registry';
import { DROPOUT, NORM, boolAttribute, dropoutCall, encoderCall, numberAttribute, rowStats } from './seeded-layers';
import { dropoutNormScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

registerWidget('attn-dropout-norm', 'Dropout and layer norm');

const P_MAX = 0.9;
const SEED_MAX = 2 ** 31 - 1;
const SHARE_PS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

interface DropoutResult {
  p: number;
  training: boolean;
  weights: Float32Array; // [L, L]
  dropped: Float32Array; // [L, L]; the weights themselves in eval mode
  zeroed: number; // weights set to 0 by dropout
  /** Share of zeroed weights at each p of SHARE_PS, same seed. */
  shares: number[];
}

interface NormResult {
  normFirst: boolean;
  input: Float32Array; // [L, d]: what norm1 normalizes
  out: Float32Array; // [L, d]: norm1.out
  mean: Float32Array; // [L]: engine's norm1.mean
  variance: number[]; // [L]: 1/rstd² − eps
  after: { mean: number[]; variance: number[] }; // of norm1.out
}

@customElement('attn-dropout-norm')
export class AttnDropoutNorm extends WidgetBase {
  static override widgetTag = 'attn-dropout-norm';
  static override stateKeys = ['p', 'seed', 'training', 'norm-first'];

  /** Dropout probability, 0 to 0.9. */
  @property({ reflect: true, converter: numberAttribute }) p = 0.3;
  /** Seed of dropout's random draws. */
  @property({ reflect: true, converter: numberAttribute }) seed = 1;
  /** Training mode (dropout on) or eval mode (dropout off). */
  @property({ reflect: true, converter: boolAttribute }) training = true;
  /** Pre-norm (true) or post-norm (false, PyTorch's default). */
  @property({ reflect: true, attribute: 'norm-first', converter: boolAttribute }) normFirst = false;

  @state() private dropout?: DropoutResult;
  @state() private norm?: NormResult;
  @state() private notice = '';

  get widgetTitle() {
    return 'Dropout and layer norm';
  }

  /** Out-of-range or non-numeric p / seed (from a URL or an attribute): use a valid value and say so. */
  override willUpdate(changed: Map<string, unknown>) {
    const notes: string[] = [];
    if (changed.has('p') && !(this.p >= 0 && this.p <= P_MAX)) {
      const fixed = Number.isFinite(this.p) ? Math.min(P_MAX, Math.max(0, this.p)) : 0.3;
      notes.push(`p must be a number from 0 to ${P_MAX}; using ${fixed}.`);
      this.p = fixed;
    }
    if (changed.has('seed') && !(Number.isInteger(this.seed) && this.seed >= 0 && this.seed <= SEED_MAX)) {
      const fixed = Number.isFinite(this.seed) ? Math.min(SEED_MAX, Math.max(0, Math.round(this.seed))) : 1;
      notes.push(`The seed must be a whole number from 0 to ${SEED_MAX}; using ${fixed}.`);
      this.seed = fixed;
    }
    if (notes.length) this.notice = notes.join(' ');
  }

  protected async compute() {
    const { p, seed, training, normFirst } = this;
    const [main, layer, ...shares] = await Promise.all([
      this.call('sdpa', dropoutCall(p, seed, training)),
      this.call('encoderLayer', encoderCall(normFirst), 'layer'),
      ...SHARE_PS.map((q) => this.call('sdpa', dropoutCall(q, seed, true), `share${q}`)),
    ]);
    const dropped = main.dropped?.data ?? main.weights.data;
    this.dropout = {
      p,
      training,
      weights: main.weights.data,
      dropped,
      zeroed: zeroedCount(main.weights.data, dropped),
      shares: shares.map((r) => zeroedCount(r.weights.data, r.dropped?.data ?? r.weights.data) / r.weights.data.length),
    };
    this.norm = normResult(layer.trace, normFirst);
  }

  /** The PyTorch button's script, with the engine's dropout mask written out (PyTorch's RNG draws others). */
  override pytorchScript(): string {
    const d = this.dropout;
    if (!d || !this.norm) return '';
    return dropoutNormScript(DROPOUT.words, dropoutCall(d.p, this.seed, d.training), d, d.p, d.training, encoderCall(this.norm.normFirst), NORM.words);
  }

  protected override exportables(): MatrixExport[] {
    const out: MatrixExport[] = [];
    const words = DROPOUT.words;
    const sq = { rows: words.length, cols: words.length, rowLabels: words, colLabels: words, rowTitle: 'Query', colTitle: 'Key' };
    if (this.dropout) {
      out.push({ ...sq, title: 'Softmax weights', matrix: this.dropout.weights, domain: [0, 1] });
      out.push({ ...sq, title: `Weights after dropout (p = ${this.dropout.p})`, matrix: this.dropout.dropped, domain: [0, maxOf(this.dropout.dropped)] });
    }
    if (this.norm) {
      const dims = Array.from({ length: NORM.d }, (_, j) => `dim ${j}`);
      const m = { rows: NORM.words.length, cols: NORM.d, rowLabels: NORM.words, colLabels: dims, rowTitle: 'Token', colTitle: 'Dimension' };
      const [lo, hi] = extent(this.norm.input);
      out.push({ ...m, title: `norm1 input (${this.norm.normFirst ? 'x' : 'x + Attn(x)'})`, matrix: this.norm.input, domain: [lo, hi] });
      const [lo2, hi2] = extent(this.norm.out);
      out.push({ ...m, title: 'norm1 output', matrix: this.norm.out, domain: [lo2, hi2] });
    }
    return out;
  }

  private change(next: Partial<Pick<AttnDropoutNorm, 'p' | 'seed' | 'training' | 'normFirst'>>) {
    this.notice = '';
    Object.assign(this, next);
    void this.stateChanged();
  }

  private onSeed(ev: Event) {
    const input = ev.target as HTMLInputElement;
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(v) || v < 0 || v > SEED_MAX) {
      this.notice = `The seed must be a whole number from 0 to ${SEED_MAX}; still using ${this.seed}.`;
      return;
    }
    this.change({ seed: v });
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    return html`
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      <section role="group" class="part" aria-labelledby="dropout-h">
        <h3 id="dropout-h">Dropout on the attention weights</h3>
        <p class="formula-line">
          <span class="formula">w′<sub>ij</sub> = w<sub>ij</sub> · m<sub>ij</sub> / (1 − p)</span>, with
          <span class="formula">m<sub>ij</sub> = 0</span> with probability <span class="formula">p</span>, else 1.
          <span class="muted">Here Q = K = V = six made-up 4-d word vectors.</span>
        </p>
        ${this.renderDropoutControls()} ${this.dropout ? this.renderDropout(this.dropout) : nothing}
      </section>
      <section role="group" class="part" aria-labelledby="norm-h">
        <h3 id="norm-h">Layer norm: pre-norm or post-norm</h3>
        <p class="formula-line">
          <span class="formula">LN(x) = (x − μ) / √(σ² + ε) · γ + β</span>, with μ and σ² the mean and variance of
          <em>one token's</em> ${NORM.d} numbers (γ = 1, β = 0 here, as PyTorch starts them).
        </p>
        <div class="toggle-row" role="group" aria-label="Where the norm goes">
          <button class="post" aria-pressed=${!this.normFirst} @click=${() => this.change({ normFirst: false })}>Post-norm</button>
          <button class="pre" aria-pressed=${this.normFirst} @click=${() => this.change({ normFirst: true })}>Pre-norm <code>norm_first=True</code></button>
        </div>
        ${this.norm ? this.renderNorm(this.norm) : nothing}
      </section>
    `;
  }

  private renderDropoutControls() {
    return html`<div class="controls">
      <label class="slider">
        <span>p = <output class="p-value">${this.p.toFixed(2)}</output></span>
        <input type="range" min="0" max=${P_MAX} step="0.05" .value=${String(this.p)} aria-label="Dropout probability p"
          @input=${(e: Event) => this.change({ p: Number((e.target as HTMLInputElement).value) })} />
      </label>
      <label class="seed">
        <span>seed</span>
        <input type="number" min="0" max=${SEED_MAX} step="1" .value=${String(this.seed)} @change=${this.onSeed} />
        <button class="reseed" @click=${() => this.change({ seed: (this.seed + 1) % (SEED_MAX + 1) })} title="Draw again">New draw</button>
      </label>
      <div class="toggle-row" role="group" aria-label="Mode">
        <button class="train" aria-pressed=${this.training} @click=${() => this.change({ training: true })}>Training</button>
        <button class="eval" aria-pressed=${!this.training} @click=${() => this.change({ training: false })}>Eval</button>
      </div>
    </div>`;
  }

  private renderDropout(d: DropoutResult) {
    const words = DROPOUT.words;
    const L = words.length;
    const hi = Math.max(1, maxOf(d.dropped));
    const droppedMask = d.training ? zeroMask(d.weights, d.dropped) : undefined;
    const sums = Array.from({ length: L }, (_, i) => d.dropped.subarray(i * L, (i + 1) * L).reduce((a, b) => a + b, 0));
    const share = d.zeroed / d.weights.length;
    return html`
      <div class="maps">
        <div class="map">
          <attn-heatmap colormap=${this.colormap} class="weights" .matrix=${d.weights} rows=${L} cols=${L} .rowLabels=${words} .colLabels=${words}
            .domain=${[0, hi] as [number, number]} max-size="264" caption="Softmax weights"></attn-heatmap>
          <p class="muted small">Every row sums to 1.</p>
        </div>
        <div class="map">
          <attn-heatmap colormap=${this.colormap} class="dropped" .matrix=${d.dropped} rows=${L} cols=${L} .rowLabels=${words} .colLabels=${words}
            .mask=${droppedMask} mask-label="dropped (set to 0)" .domain=${[0, hi] as [number, number]} max-size="264"
            caption=${d.training ? 'After dropout (hatched: dropped)' : 'Eval: dropout is off'}></attn-heatmap>
        </div>
        <div class="sums">
          <h4>Row sums ${d.training ? 'after dropout' : '(eval)'}</h4>
          <table class="row-sums">
            ${sums.map((s, i) => html`<tr><th scope="row">${words[i]}</th><td data-value=${String(s)}>${s.toFixed(3)}</td></tr>`)}
          </table>
        </div>
      </div>
      <div class="below">
      ${d.training
        ? html`<p class="explain">
            <strong class="zeroed" data-zeroed=${d.zeroed} data-total=${d.weights.length}>${d.zeroed} of ${d.weights.length}</strong>
            weights dropped (${(100 * share).toFixed(1)}% for p = ${d.p.toFixed(2)}); the survivors grew by
            1/(1 − p) = ${(1 / (1 - d.p)).toFixed(3)}. The rows no longer sum to 1: dropout keeps each weight's
            <em>expected</em> value (p · 0 + (1 − p) · w/(1 − p) = w), not each row's sum.
          </p>`
        : html`<p class="explain">Eval mode: modules call attention with <code>dropout_p = 0</code> when not training, so the
            weights pass through unchanged and every row sums to 1 again.</p>`}
      ${this.renderSharePlot(d)}
      </div>
    `;
  }

  /** Share of zeroed weights against p (same seed), with the line share = p. */
  private renderSharePlot(d: DropoutResult) {
    const W = 300;
    const H = 170;
    const m = { l: 50, r: 12, t: 12, b: 34 };
    const x = (p: number) => m.l + (p / 1) * (W - m.l - m.r);
    const y = (s: number) => H - m.b - s * (H - m.t - m.b);
    const current = d.training ? d.zeroed / d.weights.length : 0;
    return html`<figure class="share">
      <svg viewBox="0 0 ${W} ${H}" width=${W} height=${H} role="img"
        aria-label="Share of weights dropped against p: close to the line share = p">
        ${[0, 0.25, 0.5, 0.75, 1].map(
          (t) => svg`<line class="grid" x1=${m.l} x2=${W - m.r} y1=${y(t)} y2=${y(t)}></line>
            <text class="tick" x=${m.l - 6} y=${y(t) + 3.5} text-anchor="end">${t}</text>`,
        )}
        ${[0, 0.3, 0.6, 0.9].map((t) => svg`<text class="tick" x=${x(t)} y=${H - m.b + 14} text-anchor="middle">${t}</text>`)}
        <line class="diag" x1=${x(0)} y1=${y(0)} x2=${x(1)} y2=${y(1)}></line>
        ${d.shares.map((s, k) => svg`<circle class="pt" data-p=${SHARE_PS[k]} data-share=${String(s)} cx=${x(SHARE_PS[k])} cy=${y(s)} r="3.5"><title>p = ${SHARE_PS[k]}: ${(100 * s).toFixed(1)}% dropped</title></circle>`)}
        ${d.training ? svg`<circle class="pt now" cx=${x(d.p)} cy=${y(current)} r="6"><title>now: p = ${d.p}</title></circle>` : nothing}
        <text class="axis" x=${(W + m.l) / 2} y=${H - 4} text-anchor="middle">p</text>
        <text class="axis" x="12" y=${(H - m.b + m.t) / 2} text-anchor="middle" transform="rotate(-90 12 ${(H - m.b + m.t) / 2})">share dropped</text>
      </svg>
      <figcaption class="muted small">Share of the ${d.weights.length} weights dropped for each p (this seed). It
        scatters around the dashed line share = p: each weight is dropped independently.</figcaption>
    </figure>`;
  }

  private renderNorm(n: NormResult) {
    const words = NORM.words;
    const what = n.normFirst ? 'the layer input x' : 'x + Attn(x) (resid1)';
    return html`
      <div class="norm-grid">
        ${this.renderDiagram(n.normFirst)}
        <div>
          <p class="small">norm1 normalizes <strong>${what}</strong>, one token at a time. Before: each token has its own
            mean and spread. After: mean 0 and variance 1 for every token.</p>
          <table class="stats">
            <thead>
              <tr><th rowspan="2">token</th><th colspan="2">before norm1</th><th colspan="2">after (norm1.out)</th></tr>
              <tr><th>mean μ</th><th>variance σ²</th><th>mean</th><th>variance</th></tr>
            </thead>
            <tbody>
              ${words.map(
                (w, i) => html`<tr data-token=${i}>
                  <th scope="row">${w}</th>
                  <td class="mean-before" data-value=${String(n.mean[i])}>${fmtStat(n.mean[i])}</td>
                  <td class="var-before" data-value=${String(n.variance[i])}>${fmtStat(n.variance[i])}</td>
                  <td class="mean-after" data-value=${String(n.after.mean[i])}>${fmtStat(n.after.mean[i])}</td>
                  <td class="var-after" data-value=${String(n.after.variance[i])}>${fmtStat(n.after.variance[i])}</td>
                </tr>`,
              )}
            </tbody>
          </table>
          <p class="muted small">Before: the engine's <code>norm1.mean</code>, and 1/<code>norm1.rstd</code>² − ε
            (ε = 10⁻⁵). After: mean and variance of <code>norm1.out</code>, whose variance is just under 1 because of ε.</p>
          ${this.renderStrips(n)}
        </div>
      </div>
    `;
  }

  /** Each token's d numbers as dots on one axis, before and after norm1. */
  private renderStrips(n: NormResult) {
    const words = NORM.words;
    const d = NORM.d;
    const [lo0, hi0] = extent(n.input);
    const [lo1, hi1] = extent(n.out);
    const lim = Math.ceil(Math.max(Math.abs(lo0), Math.abs(hi0), Math.abs(lo1), Math.abs(hi1)));
    const W = 420;
    const rowH = 15;
    const m = { l: 56, r: 10, t: 22, gap: 14 };
    const x = (v: number) => m.l + ((v + lim) / (2 * lim)) * (W - m.l - m.r);
    const block = words.length * rowH;
    const H = m.t + 2 * block + m.gap + 24;
    const strip = (data: Float32Array, top: number, cls: string) =>
      words.map((w, i) => {
        const cy = top + i * rowH + rowH / 2;
        const row = Array.from(data.subarray(i * d, (i + 1) * d));
        return svg`<text class="tick" x=${m.l - 6} y=${cy + 3.5} text-anchor="end">${w}</text>
          <line class="row-line" x1=${x(-lim)} x2=${x(lim)} y1=${cy} y2=${cy}></line>
          ${row.map((v) => svg`<circle class="dot ${cls}" cx=${x(v)} cy=${cy} r="3.2"></circle>`)}`;
      });
    const top2 = m.t + block + m.gap;
    const ticks = [-lim, -lim / 2, 0, lim / 2, lim];
    return html`<figure class="strips">
      <svg viewBox="0 0 ${W} ${H}" width=${W} height=${H} role="img" aria-label="Each token's numbers before and after layer norm">
        <text class="strip-title" x=${m.l} y=${m.t - 8}>before norm1</text>
        <line class="zero" x1=${x(0)} x2=${x(0)} y1=${m.t} y2=${top2 + block}></line>
        ${strip(n.input, m.t, 'before')}
        <text class="strip-title" x=${m.l} y=${top2 - 4}>after norm1</text>
        ${strip(n.out, top2, 'after')}
        ${ticks.map((t) => svg`<text class="tick" x=${x(t)} y=${H - 6} text-anchor="middle">${Number(t.toFixed(1))}</text>`)}
      </svg>
    </figure>`;
  }

  /** Post-norm and pre-norm blocks side by side; the chosen one is highlighted. */
  private renderDiagram(normFirst: boolean) {
    const col = (x0: number, pre: boolean) => {
      const on = pre === normFirst;
      const boxes = pre ? ['LayerNorm (norm1)', 'Self-attention'] : ['Self-attention'];
      const after = pre ? [] : ['LayerNorm (norm1)'];
      const w = 150;
      const cx = x0 + w / 2;
      let y = 40;
      const parts = [];
      parts.push(svg`<text class="d-io" x=${cx} y="26" text-anchor="middle">x</text>`);
      const branchY = 34;
      for (const b of boxes) {
        parts.push(arrow(cx, y - 6, cx, y + 14));
        parts.push(box(x0, y + 14, w, 28, b, b.startsWith('Layer')));
        y += 42;
      }
      // The residual: x skips the sublayer and joins at ⊕.
      const plusY = y + 30;
      parts.push(arrow(cx, y, cx, plusY - 10));
      parts.push(svg`<path class="d-skip" d="M ${cx} ${branchY} H ${x0 + w + 12} V ${plusY} H ${cx + 12}"></path>
        <polygon class="d-head" points="${cx + 10},${plusY} ${cx + 17},${plusY - 4} ${cx + 17},${plusY + 4}"></polygon>
        <circle class="d-plus" cx=${cx} cy=${plusY} r="10"></circle>
        <text class="d-plus-t" x=${cx} y=${plusY + 4.5} text-anchor="middle">+</text>`);
      y = plusY + 10;
      for (const b of after) {
        parts.push(arrow(cx, y, cx, y + 16));
        parts.push(box(x0, y + 16, w, 28, b, true));
        y += 44;
      }
      parts.push(arrow(cx, y, cx, y + 18));
      parts.push(svg`<text class="d-io" x=${cx} y=${y + 32} text-anchor="middle">out</text>`);
      return svg`<g class="col ${on ? 'on' : 'off'}">
        <text class="d-title" x=${cx} y="10" text-anchor="middle">${pre ? 'Pre-norm' : 'Post-norm'}</text>
        ${parts}
        <text class="d-formula" x=${cx} y="236" text-anchor="middle">${pre ? 'x + Attn(LN(x))' : 'LN(x + Attn(x))'}</text>
      </g>`;
    };
    return html`<figure class="diagram">
      <svg viewBox="0 0 380 250" width="380" height="250" role="img"
        aria-label="Post-norm: LN(x + Attn(x)). Pre-norm: x + Attn(LN(x)).">
        ${col(10, false)} ${col(200, true)}
      </svg>
      <figcaption class="muted small">The attention half of one layer; the feed-forward half repeats the pattern with
        norm2. Post-norm is the original Transformer and PyTorch's default; pre-norm (GPT-2 and most models since)
        leaves x an untouched path to the output, which trains deep stacks more stably.</figcaption>
    </figure>`;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .part { margin: 0 0 18px; }
      .part + .part { border-top: 1px solid var(--w-border); padding-top: 14px; }
      h3 { font-size: 14px; margin: 0 0 6px; }
      h4 { font-size: 12.5px; margin: 0 0 4px; font-weight: 600; }
      .formula-line { margin: 0 0 10px; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
      code { font: 12.5px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      button code { background: transparent; color: inherit; padding: 0; }
      .controls { display: flex; flex-wrap: wrap; gap: 10px 22px; align-items: center; margin-bottom: 10px; }
      .slider, .seed { display: flex; align-items: center; gap: 8px; font-size: 13px; }
      .slider input { width: 180px; accent-color: var(--w-accent); }
      .p-value { font-variant-numeric: tabular-nums; font-weight: 600; }
      .seed input { width: 80px; background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      .toggle-row { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; margin-bottom: 10px; }
      .controls .toggle-row { margin: 0; }
      .maps { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: flex-start; }
      .map { flex: 0 1 360px; min-width: 280px; }
      .sums { min-width: 130px; padding-top: 96px; }
      .row-sums { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
      .row-sums th { text-align: right; font-weight: 500; padding: 1px 8px 1px 0; color: var(--w-muted); }
      .row-sums td { text-align: right; padding: 1px 0; }
      .small { font-size: 12.5px; margin: 4px 0 8px; }
      .below { display: flex; flex-wrap: wrap; gap: 10px 28px; align-items: flex-start; margin-top: 8px; }
      .explain { margin: 0; flex: 1 1 300px; max-width: 560px; }
      .zeroed { color: var(--w-accent); }
      figure { margin: 0; }
      .share svg, .strips svg, .diagram svg { max-width: 100%; height: auto; display: block; }
      .share { max-width: 320px; }
      .grid { stroke: var(--w-border); stroke-width: 1; }
      .tick { font-size: 10.5px; fill: var(--w-muted); font-variant-numeric: tabular-nums; }
      .axis { font-size: 11px; fill: var(--w-muted); }
      .diag { stroke: var(--w-muted); stroke-dasharray: 4 4; stroke-width: 1.2; }
      .pt { fill: var(--w-fg); opacity: 0.65; }
      .pt.now { fill: var(--w-accent); opacity: 1; stroke: var(--w-bg); stroke-width: 2; }
      .norm-grid { display: grid; grid-template-columns: minmax(260px, 380px) minmax(0, 1fr); gap: 16px 26px; align-items: start; }
      @media (max-width: 760px) { .norm-grid { grid-template-columns: 1fr; } }
      .stats { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; margin-bottom: 4px; }
      .stats th, .stats td { padding: 2px 10px; text-align: right; }
      .stats thead th { font-weight: 600; color: var(--w-muted); border-bottom: 1px solid var(--w-border); }
      .stats tbody th { text-align: left; font-weight: 500; }
      .stats td.mean-after, .stats td.var-after { color: var(--w-accent); }
      .row-line { stroke: var(--w-border); }
      .zero { stroke: var(--w-muted); stroke-dasharray: 2 3; }
      .dot.before { fill: var(--w-muted); opacity: 0.85; }
      .dot.after { fill: var(--w-accent); opacity: 0.9; }
      .strip-title { font-size: 11.5px; font-weight: 600; fill: var(--w-fg); }
      .col.off { opacity: 0.38; }
      .d-title { font-size: 13px; font-weight: 700; fill: var(--w-fg); }
      .d-io { font-size: 13px; font-style: italic; fill: var(--w-fg); }
      .d-box { fill: var(--w-chip-bg); stroke: var(--w-border); stroke-width: 1.2; }
      .d-box.ln { fill: var(--w-accent-soft); stroke: var(--w-accent); }
      .d-box-t { font-size: 12px; fill: var(--w-fg); }
      .d-line, .d-skip { stroke: var(--w-muted); stroke-width: 1.4; fill: none; }
      .d-head { fill: var(--w-muted); }
      .d-plus { fill: var(--w-bg); stroke: var(--w-muted); stroke-width: 1.4; }
      .d-plus-t { font-size: 15px; fill: var(--w-fg); }
      .d-formula { font-family: 'STIX Two Math', 'Cambria Math', serif; font-size: 14px; fill: var(--w-fg); }
    `,
  ];
}

// ------------------------------------------------------------------------------------------------ helpers

function normResult(trace: Record<string, Tensor>, normFirst: boolean): NormResult {
  const L = NORM.words.length;
  const input = (normFirst ? trace['input'] : trace['resid1']).data;
  const out = trace['norm1.out'].data;
  const rstd = trace['norm1.rstd'].data;
  return {
    normFirst,
    input,
    out,
    mean: trace['norm1.mean'].data,
    variance: Array.from(rstd, (r) => 1 / (r * r) - NORM.eps),
    after: rowStats(out, L, NORM.d),
  };
}

/** Weights that dropout set to zero (a weight already 0 is not counted). */
function zeroedCount(weights: Float32Array, dropped: Float32Array) {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (dropped[i] === 0 && weights[i] !== 0) n++;
  return n;
}

/** −∞ where dropout zeroed a weight: the heatmap hatches those cells. */
function zeroMask(weights: Float32Array, dropped: Float32Array) {
  return Float32Array.from(dropped, (v, i) => (v === 0 && weights[i] !== 0 ? -Infinity : 0));
}

function maxOf(a: Float32Array) {
  return a.reduce((m, v) => Math.max(m, v), 0);
}

function extent(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

/** A statistic, with tiny values (float32 rounding around 0) shown in scientific form. */
function fmtStat(v: number) {
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1).replace('-', '−');
  return v.toFixed(4).replace('-', '−');
}

function arrow(x1: number, y1: number, x2: number, y2: number) {
  return svg`<line class="d-line" x1=${x1} y1=${y1} x2=${x2} y2=${y2 - 5}></line>
    <polygon class="d-head" points="${x2},${y2} ${x2 - 4},${y2 - 7} ${x2 + 4},${y2 - 7}"></polygon>`;
}

function box(x: number, y: number, w: number, h: number, label: string, ln: boolean) {
  return svg`<rect class="d-box ${ln ? 'ln' : ''}" x=${x} y=${y} width=${w} height=${h} rx="7"></rect>
    <text class="d-box-t" x=${x + w / 2} y=${y + h / 2 + 4} text-anchor="middle">${label}</text>`;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-dropout-norm': AttnDropoutNorm;
  }
}
