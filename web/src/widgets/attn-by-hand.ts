// <attn-by-hand>: scaled dot-product attention on a tiny example, one step at a time, every number editable or
// checkable. The engine computes every step (nn.MultiheadAttention with one head and no biases when the input
// is X and the projections, F.scaled_dot_product_attention when Q, K, V are typed directly); this file only lays
// the numbers out.
//
// Attributes (the whole state; matrices are rows separated by ";" and numbers by ","):
//   tokens       "the,cat,sat"               2-6 token labels
//   d            2                           d_model = d_k = d_v, 2-8
//   input        "x" | "qkv"                 type X and W_Q, W_K, W_V (and W_O), or Q, K, V directly
//   x wq wk wv wo q k v                      the matrices ("1,0;0,1;1,1")
//   scale        "on" | "off"                divide the scores by sqrt(d_k)
//   temperature  1                           then divide by this
//   mask         "none" | "causal" | "padding"   padding masks the last `pad` tokens as keys
//   pad          1
//   proj         "on" | "off"                the output projection Y = Z W_O (input "x" only)
//   exercise     "" | "scores" | "scaled" | "weights" | "z" | "y"   hide that step; the student fills it in
import { css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { MhaResult, SdpaResult, Tensor } from '../../../engine/bindings/attn';
import type { MatrixExport } from '../export/export';
import { registerWidget } from './registry';
import { byHandCall, byHandScript, type ByHandSetup } from './pytorch-scripts';
import { WidgetBase } from './widget-base';
import { AttnMatrix, formatCell, parseCell } from './attn-matrix';
import '../components/attn-heatmap';
import './attn-matrix';

type Matrix = number[][];
const STEPS = ['scores', 'scaled', 'weights', 'z', 'y'] as const;
type Step = (typeof STEPS)[number];

const DEFAULTS = {
  tokens: 'the,cat,sat',
  x: '1,0;0,1;1,1',
  wq: '1,0;1,1',
  wk: '0,1;1,0',
  wv: '1,0;0,2',
  wo: '1,0;0,1',
  q: '1,0;0,1;2,1',
  k: '0,1;1,0;1,1',
  v: '1,0;0,2;1,2',
};

/** "1,0;0,1" -> [[1,0],[0,1]] resized to rows x cols (missing cells 0); bad numbers become 0. */
export function parseMatrix(text: string, rows: number, cols: number): Matrix {
  const lines = text.split(';');
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      const p = parseCell(lines[i]?.split(',')[j] ?? '0');
      return 'value' in p ? p.value : 0;
    }),
  );
}

export function formatMatrix(m: Matrix): string {
  return m.map((r) => r.map((v) => String(v)).join(',')).join(';');
}

/** Token labels from the attribute: 2-6 of them, each at most 12 characters. */
export function parseTokens(text: string): string[] {
  const t = text.split(',').map((s) => s.trim().slice(0, 12)).filter((s) => s.length > 0).slice(0, 6);
  while (t.length < 2) t.push(`t${t.length + 1}`);
  return t;
}

/** Row i of a [..., L, C] tensor's last two dims as a plain matrix. */
function rowsOf(t: Tensor | undefined, L: number): Matrix {
  if (!t) return [];
  const C = t.shape[t.shape.length - 1];
  return Array.from({ length: L }, (_, i) => Array.from(t.data.subarray(i * C, (i + 1) * C)));
}

interface Steps {
  q: Matrix;
  k: Matrix;
  v: Matrix;
  scores: Matrix;
  scaled: Matrix;
  mask?: Matrix; // additive: 0 or -Infinity
  weights: Matrix;
  z: Matrix;
  y?: Matrix;
}

@customElement('attn-by-hand')
export class AttnByHand extends WidgetBase {
  static override widgetTag = 'attn-by-hand';
  static override stateKeys = ['tokens', 'd', 'input', 'x', 'wq', 'wk', 'wv', 'wo', 'q', 'k', 'v', 'scale', 'temperature',
    'mask', 'pad', 'proj', 'exercise'];

  @property({ reflect: true }) tokens = DEFAULTS.tokens;
  @property({ reflect: true, type: Number }) d = 2;
  @property({ reflect: true }) input: 'x' | 'qkv' = 'x';
  @property({ reflect: true }) x = DEFAULTS.x;
  @property({ reflect: true }) wq = DEFAULTS.wq;
  @property({ reflect: true }) wk = DEFAULTS.wk;
  @property({ reflect: true }) wv = DEFAULTS.wv;
  @property({ reflect: true }) wo = DEFAULTS.wo;
  @property({ reflect: true }) q = DEFAULTS.q;
  @property({ reflect: true }) k = DEFAULTS.k;
  @property({ reflect: true }) v = DEFAULTS.v;
  @property({ reflect: true }) scale: 'on' | 'off' = 'on';
  @property({ reflect: true, type: Number }) temperature = 1;
  @property({ reflect: true }) mask: 'none' | 'causal' | 'padding' = 'none';
  @property({ reflect: true, type: Number }) pad = 1;
  @property({ reflect: true }) proj: 'on' | 'off' = 'on';
  @property({ reflect: true }) exercise: '' | Step = '';

  @state() private steps?: Steps;
  @state() private checked?: { right: number; total: number };
  @state() private revealed = false;

  get widgetTitle() {
    return 'Attention by hand';
  }

  // ------------------------------------------------------------------------------------------ state
  private get labels() {
    return parseTokens(this.tokens);
  }
  private get L() {
    return this.labels.length;
  }
  private get dk() {
    return Math.max(2, Math.min(8, Math.round(this.d) || 2));
  }
  private get temp() {
    return Number.isFinite(this.temperature) && this.temperature > 0 ? this.temperature : 1;
  }
  private get padCount() {
    return Math.max(0, Math.min(this.L - 1, Math.round(this.pad) || 0));
  }
  private mat(name: 'x' | 'wq' | 'wk' | 'wv' | 'wo' | 'q' | 'k' | 'v'): Matrix {
    const rows = name === 'x' || name === 'q' || name === 'k' || name === 'v' ? this.L : this.dk;
    return parseMatrix(this[name], rows, this.dk);
  }

  private setMatrix(name: 'x' | 'wq' | 'wk' | 'wv' | 'wo' | 'q' | 'k' | 'v', ev: CustomEvent<{ row: number; col: number; value: number }>) {
    const m = this.mat(name);
    m[ev.detail.row][ev.detail.col] = ev.detail.value;
    this[name] = formatMatrix(m);
    this.stateChanged();
  }

  private set<K extends 'tokens' | 'd' | 'input' | 'scale' | 'temperature' | 'mask' | 'pad' | 'proj' | 'exercise'>(key: K, value: this[K]) {
    this[key] = value;
    this.checked = undefined;
    this.revealed = false;
    this.stateChanged();
  }

  // ------------------------------------------------------------------------------------------ compute
  /** Boolean [L, L], true where query i may NOT look at key j (PyTorch MHA's convention). */
  private blocked(): boolean[][] | undefined {
    const L = this.L;
    if (this.mask === 'none') return undefined;
    return Array.from({ length: L }, (_, i) =>
      Array.from({ length: L }, (_, j) => (this.mask === 'causal' ? j > i : j >= L - this.padCount)),
    );
  }

  /** Everything the engine call and the PyTorch script are made of (pytorch-scripts.ts byHandCall). */
  private get setup(): ByHandSetup {
    return {
      tokens: this.labels, d: this.dk, input: this.input, scaled: this.scale === 'on', temperature: this.temp,
      blocked: this.blocked(), proj: this.proj === 'on',
      x: this.mat('x'), wq: this.mat('wq'), wk: this.mat('wk'), wv: this.mat('wv'), wo: this.mat('wo'), q: this.mat('q'), k: this.mat('k'), v: this.mat('v'),
    };
  }

  /** The PyTorch button's script: every step by hand, then the one-call module. */
  override pytorchScript(): string {
    return byHandScript(this.setup);
  }

  protected async compute() {
    const L = this.L;
    const c = byHandCall(this.setup);
    if (c.name === 'mha') {
      const r: MhaResult = await this.call('mha', c.args);
      const t = r.trace!;
      this.steps = {
        q: rowsOf(t.q, L),
        k: rowsOf(t.k, L),
        v: rowsOf(t.v, L),
        scores: rowsOf(t.scores, L),
        scaled: rowsOf(t.scaled, L),
        mask: t.mask ? rowsOf(t.mask, L) : undefined,
        weights: rowsOf(t.weights, L),
        z: rowsOf(t.heads, L),
        y: this.proj === 'on' ? rowsOf(t.output, L) : undefined,
      };
    } else {
      const r: SdpaResult = await this.call('sdpa', c.args);
      this.steps = {
        q: this.mat('q'),
        k: this.mat('k'),
        v: this.mat('v'),
        scores: rowsOf(r.scores, L),
        scaled: rowsOf(r.scaled, L),
        mask: r.mask ? rowsOf(r.mask, L) : undefined,
        weights: rowsOf(r.weights, L),
        z: rowsOf(r.output, L),
      };
    }
  }

  protected override exportables(): MatrixExport[] {
    const s = this.steps;
    if (!s) return [];
    const tok = this.labels;
    const dims = Array.from({ length: this.dk }, (_, i) => `d${i + 1}`);
    const m = (title: string, v: Matrix, cols: string[], rowTitle = 'token', colTitle = 'dim'): MatrixExport => ({
      title,
      matrix: Float64Array.from(v.flat()),
      rows: v.length,
      cols: v[0]?.length ?? 0,
      rowLabels: tok,
      colLabels: cols,
      rowTitle,
      colTitle,
      domain: [Math.min(0, ...v.flat().filter(Number.isFinite)), Math.max(1, ...v.flat().filter(Number.isFinite))],
    });
    const hidden = this.exercise && !this.revealed ? this.exercise : '';
    const out = [m('Q', s.q, dims), m('K', s.k, dims), m('V', s.v, dims)];
    if (hidden !== 'scores') out.push(m('Scores Q K^T', s.scores, tok, 'query', 'key'));
    if (hidden !== 'scaled') out.push(m('Scaled scores', s.scaled, tok, 'query', 'key'));
    if (hidden !== 'weights') out.push({ ...m('Attention weights', s.weights, tok, 'query', 'key'), domain: [0, 1] });
    if (hidden !== 'z') out.push(m('Z = A V', s.z, dims));
    if (s.y && hidden !== 'y') out.push(m('Y = Z W_O', s.y, dims));
    return out;
  }

  // ------------------------------------------------------------------------------------------- render
  private editable(name: 'x' | 'wq' | 'wk' | 'wv' | 'wo' | 'q' | 'k' | 'v', title: string, rowLabels: string[]) {
    const m = this.mat(name);
    return html`<attn-matrix
      mode="edit"
      data-name=${name}
      name=${title}
      shape="${m.length} × ${m[0].length}"
      .values=${m}
      .rowLabels=${rowLabels}
      @matrix-edit=${(e: CustomEvent) => this.setMatrix(name, e)}
    ></attn-matrix>`;
  }

  private shown(step: string, title: string, v: Matrix, rowLabels: string[], colLabels: string[] = [], masked?: boolean[][]) {
    if (this.exercise === step && !this.revealed) {
      return html`<div class="exercise">
        <attn-matrix mode="answer" data-step=${step} name="${title} = ?" .values=${v} .rowLabels=${rowLabels} .colLabels=${colLabels}></attn-matrix>
        <div class="ex-actions">
          <button class="check" @click=${() => this.check(step, v)}>Check</button>
          <button class="reveal" @click=${() => (this.revealed = true)}>Reveal</button>
          ${this.checked
            ? html`<span class="score ${this.checked.right === this.checked.total ? 'all' : ''}" role="status"
                >${this.checked.right} of ${this.checked.total} right${this.checked.right === this.checked.total ? ' — well done!' : ' (within ±0.01)'}</span
              >`
            : html`<span class="muted">Compute it from the step above, to ±0.01.</span>`}
        </div>
      </div>`;
    }
    return html`<attn-matrix data-step=${step} name=${title} shape="${v.length} × ${v[0]?.length ?? 0}" .values=${v}
      .rowLabels=${rowLabels} .colLabels=${colLabels} .masked=${masked}></attn-matrix>`;
  }

  private check(step: string, expected: Matrix) {
    const grid = this.renderRoot.querySelector<AttnMatrix>(`attn-matrix[data-step="${step}"]`);
    if (grid) this.checked = grid.check(expected);
  }

  protected renderBody(): TemplateResult {
    const tok = this.labels;
    const L = this.L;
    const d = this.dk;
    const s = this.steps;
    const rootD = Math.sqrt(d);
    const maskGrid = s?.mask?.map((r) => r.map((v) => v === -Infinity));
    // S / (√d · T): parenthesized when it is a product, so it reads as what is computed.
    const both = this.scale === 'on' && this.temp !== 1;
    const divisor = `${both ? '(' : ''}${this.scale === 'on' ? `√${d}` : ''}${both ? ' · ' : ''}${this.temp !== 1 ? `${this.temp}` : ''}${both ? ')' : ''}`;
    return html`
      <div class="controls" role="group" aria-label="Settings">
        <label>Tokens <input class="tokens" .value=${this.tokens} @change=${(e: Event) => this.set('tokens', (e.target as HTMLInputElement).value)}
          aria-describedby="tok-hint" /></label>
        <label><span>d<sub>k</sub></span>
          <select .value=${String(d)} @change=${(e: Event) => this.set('d', Number((e.target as HTMLSelectElement).value))}>
            ${[2, 3, 4, 5, 6, 7, 8].map((n) => html`<option value=${n} ?selected=${n === d}>${n}</option>`)}
          </select></label>
        <span class="seg" role="group" aria-label="Input">
          <button aria-pressed=${this.input === 'x'} @click=${() => this.set('input', 'x')}>X and W</button>
          <button aria-pressed=${this.input === 'qkv'} @click=${() => this.set('input', 'qkv')}>Q, K, V</button>
        </span>
        <label><input type="checkbox" .checked=${this.scale === 'on'} @change=${(e: Event) => this.set('scale', (e.target as HTMLInputElement).checked ? 'on' : 'off')} /> <span>÷ √d<sub>k</sub></span></label>
        <label>Temperature <input class="num" type="number" min="0.05" max="20" step="0.1" .value=${String(this.temp)}
          @change=${(e: Event) => this.set('temperature', Number((e.target as HTMLInputElement).value))} /></label>
        <label>Mask
          <select @change=${(e: Event) => this.set('mask', (e.target as HTMLSelectElement).value as 'none')}>
            ${(['none', 'causal', 'padding'] as const).map((m) => html`<option value=${m} ?selected=${this.mask === m}>${m}</option>`)}
          </select></label>
        ${this.mask === 'padding'
          ? html`<label>Padded <input class="num" type="number" min="0" max=${L - 1} .value=${String(this.padCount)}
              @change=${(e: Event) => this.set('pad', Number((e.target as HTMLInputElement).value))} /></label>`
          : nothing}
        ${this.input === 'x'
          ? html`<label><input type="checkbox" .checked=${this.proj === 'on'} @change=${(e: Event) => this.set('proj', (e.target as HTMLInputElement).checked ? 'on' : 'off')} /> output projection</label>`
          : nothing}
        <label>Exercise
          <select @change=${(e: Event) => this.set('exercise', (e.target as HTMLSelectElement).value as Step)}>
            <option value="" ?selected=${!this.exercise}>off</option>
            ${STEPS.filter((x) => x !== 'y' || (this.input === 'x' && this.proj === 'on')).map(
              (x) => html`<option value=${x} ?selected=${this.exercise === x}>hide ${STEP_NAMES[x]}</option>`,
            )}
          </select></label>
      </div>
      <p id="tok-hint" class="muted hint">2–6 tokens, separated by commas. Edit any white cell: everything below updates at once.</p>

      <ol class="steps">
        <li>
          <h3><span class="n">1</span> Queries, keys and values</h3>
          ${this.input === 'x'
            ? html`<p class="formula">Q = X W<sub>Q</sub>, K = X W<sub>K</sub>, V = X W<sub>V</sub></p>
                <div class="row">
                  ${this.editable('x', 'X', tok)} ${this.editable('wq', 'W_Q', [])} ${this.editable('wk', 'W_K', [])} ${this.editable('wv', 'W_V', [])}
                </div>
                ${s ? html`<div class="row">${this.shown('q', 'Q', s.q, tok)} ${this.shown('k', 'K', s.k, tok)} ${this.shown('v', 'V', s.v, tok)}</div>` : nothing}`
            : html`<p class="formula">Type Q, K and V directly (one row per token).</p>
                <div class="row">${this.editable('q', 'Q', tok)} ${this.editable('k', 'K', tok)} ${this.editable('v', 'V', tok)}</div>`}
        </li>
        ${s
          ? html`
              <li>
                <h3><span class="n">2</span> Scores: every query against every key</h3>
                <p class="formula">S = Q K<sup>T</sup> <span class="muted">(row i, column j: q<sub>i</sub> · k<sub>j</sub>)</span></p>
                ${this.shown('scores', 'S', s.scores, tok, tok)}
              </li>
              <li>
                <h3><span class="n">3</span> Scaled${this.temp !== 1 ? ' and tempered' : ''}</h3>
                <p class="formula">${divisor
                  ? html`S′ = S / ${divisor} ${this.scale === 'on' ? html`<span class="muted">(√${d} = ${rootD.toFixed(3)})</span>` : nothing}`
                  : html`S′ = S <span class="muted">(scaling is off: large d<sub>k</sub> makes the softmax peaky)</span>`}</p>
                ${this.shown('scaled', "S'", s.scaled, tok, tok)}
              </li>
              ${s.mask
                ? html`<li>
                    <h3><span class="n">4</span> Mask</h3>
                    <p class="formula">S′ + M, where M is 0 where a query may look and −∞ where it may not
                      <span class="muted">(${this.mask === 'causal' ? 'causal: no looking ahead' : `padding: the last ${this.padCount} token${this.padCount === 1 ? '' : 's'} are not keys`})</span></p>
                    <div class="row">
                      ${this.shown('mask', 'M', s.mask, tok, tok)}
                      ${this.shown('masked', "S' + M", s.scaled.map((r, i) => r.map((v, j) => v + s.mask![i][j])), tok, tok, maskGrid)}
                    </div>
                  </li>`
                : nothing}
              <li>
                <h3><span class="n">${s.mask ? 5 : 4}</span> Softmax, row by row</h3>
                <p class="formula">A<sub>ij</sub> = exp(S′<sub>ij</sub> − max<sub>j</sub> S′<sub>ij</sub>) / Σ<sub>j</sub> exp(…) <span class="muted">— each row sums to 1; −∞ gives exactly 0</span></p>
                <div class="row">
                  ${this.shown('weights', 'A', s.weights, tok, tok, maskGrid)}
                  ${this.exercise === 'weights' && !this.revealed
                    ? nothing
                    : html`<attn-heatmap colormap=${this.colormap} class="weights" .matrix=${Float32Array.from(s.weights.flat())} rows=${L} cols=${L}
                        .rowLabels=${tok} .colLabels=${tok} .mask=${s.mask ? Float32Array.from(s.mask.flat()) : undefined}
                        .domain=${[0, 1] as [number, number]} max-size="220" caption="Attention weights A"></attn-heatmap>`}
                </div>
              </li>
              <li>
                <h3><span class="n">${s.mask ? 6 : 5}</span> Weighted sum of the values</h3>
                <p class="formula">Z = A V <span class="muted">(row i: the values, mixed by row i of A)</span></p>
                ${this.shown('z', 'Z', s.z, tok)}
              </li>
              ${s.y
                ? html`<li>
                    <h3><span class="n">${s.mask ? 7 : 6}</span> Output projection</h3>
                    <p class="formula">Y = Z W<sub>O</sub></p>
                    <div class="row">${this.editable('wo', 'W_O', [])} ${this.shown('y', 'Y', s.y, tok)}</div>
                  </li>`
                : nothing}
            `
          : nothing}
      </ol>
      <p class="muted foot">
        Computed by the engine: ${this.input === 'x'
          ? html`<code>nn.MultiheadAttention(embed_dim=${d}, num_heads=1, bias=False)</code> with in_proj_weight = [W<sub>Q</sub>ᵀ; W<sub>K</sub>ᵀ; W<sub>V</sub>ᵀ]`
          : html`<code>F.scaled_dot_product_attention</code>`}. Numbers show 3 decimals; hover one for all of it
        (${formatCell(1 / 3)} is ${String(Math.fround(1 / 3))} in float32).
      </p>
    `;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; font-size: 13px; }
      .controls label { display: inline-flex; align-items: center; gap: 5px; }
      .controls input.tokens { width: 170px; }
      .controls input.num { width: 64px; }
      .controls input, .controls select { background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      .seg { display: inline-flex; gap: 0; }
      .seg button { border-radius: 0; }
      .seg button:first-child { border-radius: 7px 0 0 7px; }
      .seg button:last-child { border-radius: 0 7px 7px 0; }
      .hint { font-size: 12.5px; margin: 6px 0 4px; }
      .steps { list-style: none; padding: 0; margin: 8px 0 0; display: grid; gap: 14px; }
      .steps li { border-top: 1px solid var(--w-border); padding-top: 10px; }
      h3 { font-size: 14px; margin: 0 0 2px; display: flex; align-items: center; gap: 8px; }
      .n { display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%; background: var(--w-accent-soft); color: var(--w-fg); font-size: 12px; }
      .formula { margin: 2px 0 8px; }
      .formula .muted { font-family: system-ui, sans-serif; font-size: 12.5px; }
      .row { display: flex; flex-wrap: wrap; gap: 14px 22px; align-items: flex-start; }
      attn-heatmap.weights { width: 320px; }
      .exercise { display: inline-flex; flex-direction: column; gap: 6px; }
      .ex-actions { display: flex; gap: 8px; align-items: center; font-size: 13px; }
      .score { font-weight: 600; }
      .score.all { color: var(--w-ok); }
      .foot { font-size: 12px; margin: 12px 0 0; }
    `,
  ];
}

const STEP_NAMES: Record<Step, string> = { scores: 'S = QKᵀ', scaled: "S'", weights: 'A (softmax)', z: 'Z = AV', y: 'Y = ZW_O' };

registerWidget('attn-by-hand', 'Attention by hand');

declare global {
  interface HTMLElementTagNameMap {
    'attn-by-hand': AttnByHand;
  }
}
