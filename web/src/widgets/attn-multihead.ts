// <attn-multihead>: "Multi-head attention". How nn.MultiheadAttention splits d_model into h heads of
// d_k = d_model / h dimensions, lets each head attend on its own, concatenates the heads and mixes them with W_O.
//
// The inputs are made up but deterministic (seeded-inputs.ts): one random vector per word and random weights
// drawn like PyTorch's initialisation. Every number shown comes from the engine's multiheadAttention with
// `trace: true`: the per-head weights [1, H, L, L], the concatenation [1, L, E] and the output [1, L, E].
//
// State (attributes): text, d-model (8..256, a power of two), heads (a divisor of d-model), seed.
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import '../components/attn-heatmap';
import type { MatrixExport } from '../export/export';
import { splitWords } from '../text/words';
import { registerWidget } from './registry';
import { multiheadCall, multiheadScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

const TAG = 'attn-multihead';
const TITLE = 'Multi-head attention';
registerWidget(TAG, TITLE);

export const D_MODELS = [8, 16, 32, 64, 128, 256];
export const HEADS = [1, 2, 4, 8, 16];
/** Words read (the per-head heatmaps stay readable side by side). */
export const MAX_WORDS = 24;
const MAX_SEED = 999999;
/** Colormap of signed matrices. attn-heatmap has no diverging map yet; cividis (blue to yellow) reads best. */
const SIGNED_MAP = 'rdbu'; // diverging: blue below 0, white at 0, red above

interface Result {
  key: string;
  words: string[];
  dModel: number;
  heads: number;
  weights: Float32Array; // [H, L, L]
  concat: Float32Array; // [L, E]
  output: Float32Array; // [L, E]
}

/** The head counts offered for a width: the divisors of d_model among HEADS. */
export function headOptions(dModel: number): number[] {
  return HEADS.filter((h) => dModel % h === 0 && h <= dModel);
}

const SUB = '₀₁₂₃₄₅₆₇₈₉';
const sub = (n: number) => [...String(n)].map((c) => SUB[Number(c)]).join('');

@customElement(TAG)
export class AttnMultihead extends WidgetBase {
  static override widgetTag = TAG;
  static override stateKeys = ['text', 'd-model', 'heads', 'seed'];

  @property({ reflect: true }) text = "the animal didn't cross the street because it was too tired";
  /** Width of every token vector (embed_dim). */
  @property({ type: Number, reflect: true, attribute: 'd-model' }) dModel = 64;
  /** Number of heads; each gets d_model / heads dimensions. */
  @property({ type: Number, reflect: true }) heads = 4;
  /** Seed of the random embeddings and weights. */
  @property({ type: Number, reflect: true }) seed = 1;

  @state() private result?: Result;

  get widgetTitle() {
    return TITLE;
  }

  // ------------------------------------------------------------------------------------------- inputs
  /** The settings used, always valid, and a note for each unusable attribute. */
  private get settings() {
    const notes: string[] = [];
    let dModel = this.dModel;
    if (!D_MODELS.includes(dModel)) {
      const v = Number.isFinite(dModel) ? dModel : 64;
      dModel = D_MODELS.reduce((best, d) => (Math.abs(d - v) < Math.abs(best - v) ? d : best));
      notes.push(`d_model must be one of ${D_MODELS.join(', ')}: showing ${dModel}.`);
    }
    let heads = this.heads;
    const options = headOptions(dModel);
    if (!options.includes(heads)) {
      const v = Number.isFinite(heads) ? heads : 1;
      heads = [...options].reverse().find((h) => h <= v) ?? 1;
      notes.push(`${this.heads} heads cannot split d_model = ${dModel} evenly: showing ${heads} heads.`);
    }
    const seed = Number.isFinite(this.seed) ? Math.min(MAX_SEED, Math.max(0, Math.round(this.seed))) : 1;
    if (seed !== this.seed) notes.push(`seed must be a whole number from 0 to ${MAX_SEED}: using ${seed}.`);
    return { dModel, heads, seed, notes };
  }

  private get words() {
    const { tokens, truncated } = splitWords(this.text ?? '', MAX_WORDS);
    return { words: tokens.map((t) => t.text), truncated };
  }

  // ------------------------------------------------------------------------------------------ compute
  protected async compute() {
    const { dModel, heads, seed } = this.settings;
    const { words } = this.words;
    const key = JSON.stringify([words, dModel, heads, seed]);
    if (this.result?.key === key) return;
    if (words.length === 0) {
      this.result = undefined;
      return;
    }
    const r = await this.call('mha', multiheadCall(words, dModel, heads, seed));
    this.result = { key, words, dModel, heads, weights: r.attn_output_weights!.data, concat: r.trace!.concat.data, output: r.trace!.output.data };
  }

  // ------------------------------------------------------------------------------------------ actions
  private setDModel(d: number) {
    this.dModel = d;
    const options = headOptions(d);
    if (!options.includes(this.heads)) this.heads = [...options].reverse().find((h) => h <= this.heads) ?? 1;
    void this.stateChanged();
  }

  // ------------------------------------------------------------------------------------------ exports
  /** The PyTorch button's script: the same nn.MultiheadAttention, its weights written out, heads taken apart. */
  override pytorchScript(): string {
    const { dModel, heads, seed } = this.settings;
    const { words } = this.words;
    return words.length ? multiheadScript(words, dModel, heads, seed) : '';
  }

  protected override exportables(): MatrixExport[] {
    const r = this.result;
    if (!r) return [];
    const L = r.words.length;
    const E = r.dModel;
    const weights: MatrixExport[] = Array.from({ length: r.heads }, (_, h) => ({
      title: `Head ${h + 1}: attention weights (${L} × ${L})`,
      matrix: r.weights.subarray(h * L * L, (h + 1) * L * L),
      rows: L, cols: L, rowLabels: r.words, colLabels: r.words, rowTitle: 'Query', colTitle: 'Key',
    }));
    return [
      ...weights,
      { title: `Concatenated heads (${L} × ${E})`, matrix: r.concat, rows: L, cols: E, rowLabels: r.words, colLabels: concatLabels(E, r.heads), rowTitle: 'Token', colTitle: 'Dimension', colormap: SIGNED_MAP, domain: symmetric(r.concat) },
      { title: `Output after W_O (${L} × ${E})`, matrix: r.output, rows: L, cols: E, rowLabels: r.words, colLabels: dims(E), rowTitle: 'Token', colTitle: 'Dimension', colormap: SIGNED_MAP, domain: symmetric(r.output) },
    ];
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    const { dModel, heads, seed, notes } = this.settings;
    const { words, truncated } = this.words;
    const r = this.result;
    return html`
      <div class="controls">
        <label class="grow">sentence
          <input name="text" type="text" maxlength="2000" .value=${this.text ?? ''} @input=${(e: Event) => {
            this.text = (e.target as HTMLInputElement).value;
            void this.stateChanged();
          }} /></label>
        <label>d_model
          <select name="d-model" @change=${(e: Event) => this.setDModel(Number((e.target as HTMLSelectElement).value))}>
            ${D_MODELS.map((d) => html`<option value=${d} ?selected=${d === dModel}>${d}</option>`)}
          </select></label>
        <label><span>heads <var>h</var></span>
          <select name="heads" @change=${(e: Event) => {
            this.heads = Number((e.target as HTMLSelectElement).value);
            void this.stateChanged();
          }}>
            ${headOptions(dModel).map((h) => html`<option value=${h} ?selected=${h === heads}>${h}</option>`)}
          </select></label>
        <label>seed
          <input name="seed" type="number" min="0" max=${MAX_SEED} step="1" .value=${String(seed)} @change=${(e: Event) => {
            const v = Math.round(Number((e.target as HTMLInputElement).value));
            this.seed = Number.isFinite(v) ? Math.min(MAX_SEED, Math.max(0, v)) : 1;
            void this.stateChanged();
          }} /></label>
      </div>
      ${notes.map((n) => html`<p class="note" role="status">${n}</p>`)}
      ${truncated ? html`<p class="note" role="status">This widget reads the first ${MAX_WORDS} words.</p>` : nothing}
      <p class="muted small">
        <strong>X</strong> holds one seeded random vector of ${dModel} numbers per word (the same word always gets the same
        vector; no positions are added). <strong>W<sub>Q</sub>, W<sub>K</sub>, W<sub>V</sub>, W<sub>O</sub></strong> are
        seeded random weights, drawn like PyTorch initialises them. Every number below is computed by the engine's
        <code>nn.MultiheadAttention</code>.
      </p>
      ${words.length === 0
        ? html`<p class="empty">Type a sentence to see its attention, e.g. “the animal didn't cross the street because it was too tired”.</p>`
        : html`${this.renderSplit(words.length, dModel, heads)} ${r && r.key === JSON.stringify([words, dModel, heads, seed]) ? this.renderResult(r) : this.placeholder()}`}
    `;
  }

  /** The diagram: Q, K and V (L x d_model each) cut into h column blocks of d_k. */
  private renderSplit(L: number, dModel: number, heads: number) {
    const dk = dModel / heads;
    const bar = (name: string) => html`<div class="bar-row">
      <span class="bar-name">${name}</span>
      <div class="bar" role="img" aria-label="${name}: ${L} by ${dModel}, cut into ${heads} blocks of ${dk} columns">
        ${Array.from({ length: heads }, (_, i) => html`<span class="block h${i % 8}">${heads <= 8 || dk >= 16 ? html`${name}${sub(i + 1)}` : nothing}</span>`)}
      </div>
    </div>`;
    return html`<section role="group" class="step" aria-labelledby="m1">
      <h3 id="m1"><span class="num">1</span> <span>Split d<sub>model</sub> into ${heads} head${heads > 1 ? 's' : ''}</span></h3>
      <p class="formula">Q = X W<sub>Q</sub>, &nbsp; K = X W<sub>K</sub>, &nbsp; V = X W<sub>V</sub> &nbsp; (each ${L} × ${dModel})</p>
      <div class="split">
        ${bar('Q')} ${bar('K')} ${bar('V')}
        <div class="bar-row dims">
          <span class="bar-name"></span>
          <div class="bar-axis">
            <span>${dModel} columns = ${heads} heads × <strong>d<sub>k</sub> = ${dk}</strong></span>
          </div>
        </div>
      </div>
      <p class="caption">
        The projections are computed once, full width; then head <var>i</var> takes its own block of ${dk} columns of Q, K
        and V. ${heads === 1 ? 'With one head, the block is the whole width.' : `More heads means more, narrower views of the same ${dModel} numbers: the cost stays the same.`}
      </p>
    </section>`;
  }

  private renderResult(r: Result) {
    const L = r.words.length;
    const E = r.dModel;
    const dk = E / r.heads;
    let hi = 0;
    for (const v of r.weights) hi = Math.max(hi, v);
    return html`<section role="group" class="step" aria-labelledby="m2">
        <h3 id="m2"><span class="num">2</span> Each head attends on its own</h3>
        <p class="formula">head<sub><var>i</var></sub> = softmax(Q<sub><var>i</var></sub> K<sub><var>i</var></sub><sup>⊤</sup> / √${dk}) V<sub><var>i</var></sub></p>
        <div class="heads">
          ${Array.from({ length: r.heads }, (_, h) => html`<div class="head-card h${h % 8}">
            <div class="head-name"><span class="chip h${h % 8}"></span>head ${h + 1}</div>
            <attn-heatmap colormap=${this.colormap} class="head" data-head=${h} .matrix=${r.weights.subarray(h * L * L, (h + 1) * L * L)} rows=${L} cols=${L}
              .rowLabels=${r.words} .colLabels=${r.words} .domain=${[0, hi]} caption="Weights" max-size="300"></attn-heatmap>
          </div>`)}
        </div>
        <p class="caption">
          ${L === 1
            ? 'With a single word, every head can only attend to it: weight 1. Type a longer sentence to compare heads.'
            : `Same words, different patterns: each head compares queries and keys in its own ${dk}-dimensional space. Hover a cell for the exact weight; each row sums to 1.`}
        </p>
      </section>
      <section role="group" class="step" aria-labelledby="m3">
        <h3 id="m3"><span class="num">3</span> Concatenate the heads</h3>
        <p class="formula">Concat(head<sub>1</sub>, …, head<sub>${r.heads}</sub>) &nbsp; (${L} × ${r.heads}·${dk} = ${L} × ${E})</p>
        <attn-heatmap class="concat" .matrix=${r.concat} rows=${L} cols=${E} .rowLabels=${r.words} .colLabels=${concatLabels(E, r.heads)}
          row-title="Token" col-title="Dimension" colormap=${SIGNED_MAP} kind="values" .domain=${symmetric(r.concat)} caption="Concatenated heads" max-size="640"></attn-heatmap>
        <p class="caption">
          Each head's output (its weights times V<sub><var>i</var></sub>, ${L} × ${dk}) fills its own block of columns:
          ${r.heads === 1 ? 'here the only head fills them all' : html`columns 0–${dk - 1} come from head 1, ${dk}–${2 * dk - 1} from head 2, and so on`}.
        </p>
      </section>
      <section role="group" class="step" aria-labelledby="m4">
        <h3 id="m4"><span class="num">4</span> <span>Mix them with W<sub>O</sub></span></h3>
        <p class="formula">MultiHead(X) = Concat(head<sub>1</sub>, …, head<sub>${r.heads}</sub>) W<sub>O</sub> + b<sub>O</sub> &nbsp; (${L} × ${E})</p>
        <attn-heatmap class="output" .matrix=${r.output} rows=${L} cols=${E} .rowLabels=${r.words} .colLabels=${dims(E)}
          row-title="Token" col-title="Dimension" colormap=${SIGNED_MAP} kind="values" .domain=${symmetric(r.output)} caption="Output" max-size="640"></attn-heatmap>
        <p class="caption">
          The output projection mixes every head into every column, so the blocks disappear: each token's new vector
          combines what all ${r.heads} head${r.heads > 1 ? 's' : ''} found.
        </p>
      </section>`;
  }

  private placeholder() {
    return html`<div class="placeholder" aria-hidden="true"></div>`;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      p { margin: 0 0 8px; max-width: 76ch; }
      .small { font-size: 12.5px; }
      var { font-style: italic; }
      .controls { display: flex; flex-wrap: wrap; align-items: end; gap: 8px 16px; margin: 0 0 10px; }
      .controls label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--w-muted); }
      .controls .grow { flex: 1 1 280px; }
      input[type='number'], input[type='text'], select {
        padding: 4px 7px; border-radius: 7px; border: 1px solid var(--w-border); background: var(--w-input-bg);
      }
      input[type='number'] { width: 84px; }
      input[type='text'] { width: 100%; box-sizing: border-box; }
      select { min-width: 64px; }
      .note { font-size: 12.5px; color: var(--w-error); }
      .empty { color: var(--w-muted); font-style: italic; }
      code { font: 12.5px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      .step { border-top: 1px solid var(--w-border); padding: 12px 0 4px; }
      h3 { display: flex; align-items: center; gap: 8px; font-size: 14px; margin: 0 0 6px; }
      .num {
        display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%;
        background: var(--w-accent-soft); color: var(--w-fg); font-size: 12.5px; font-weight: 700;
      }
      .formula { margin: 4px 0 10px; padding: 6px 12px; background: var(--w-code-bg); border-radius: 8px; display: inline-block; }
      .caption { font-size: 12.5px; color: var(--w-muted); margin-top: 6px; }

      /* The split diagram: three bars of d_model columns, cut into h blocks. */
      .split { display: flex; flex-direction: column; gap: 6px; max-width: 640px; margin: 4px 0 8px; }
      .bar-row { display: flex; align-items: center; gap: 10px; }
      .bar-name { width: 18px; font-weight: 700; text-align: right; font-family: 'STIX Two Math', 'Cambria Math', serif; }
      .bar { flex: 1; display: flex; height: 30px; gap: 3px; }
      .block {
        flex: 1; display: grid; place-items: center; min-width: 0; overflow: hidden; border-radius: 5px;
        font-size: 12px; font-weight: 600; color: #1d1d24; font-family: 'STIX Two Math', 'Cambria Math', serif;
      }
      .bar-axis { flex: 1; text-align: center; font-size: 12px; color: var(--w-muted); border-top: 1px solid var(--w-muted); padding-top: 3px; }

      /* One hue per head, shared by the diagram and the head cards. */
      .h0 { --head: #a5b4fc; } .h1 { --head: #fca5a5; } .h2 { --head: #86efac; } .h3 { --head: #fcd34d; }
      .h4 { --head: #c4b5fd; } .h5 { --head: #67e8f9; } .h6 { --head: #f9a8d4; } .h7 { --head: #bef264; }
      .block, .chip { background: var(--head); }

      .heads { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 12px 16px; }
      .head-card { border: 1px solid var(--w-border); border-top: 4px solid var(--head); border-radius: 10px; padding: 8px 10px; min-width: 0; }
      .head-name { display: flex; align-items: center; gap: 6px; font-weight: 600; font-size: 13px; margin-bottom: 2px; }
      .chip { width: 10px; height: 10px; border-radius: 3px; }
      .placeholder { height: 160px; border-radius: 8px; background: var(--w-code-bg); }
    `,
  ];
}

/** Column labels of the concatenation: "h2·5" is dimension 5 of head 2. */
function concatLabels(E: number, heads: number): string[] {
  const dk = E / heads;
  return Array.from({ length: E }, (_, j) => `h${Math.floor(j / dk) + 1}·${j % dk}`);
}

function dims(E: number): string[] {
  return Array.from({ length: E }, (_, j) => String(j));
}

/** A colour range symmetric around 0, so 0 is the middle colour. */
function symmetric(a: Float32Array): [number, number] {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return [-(m || 1), m || 1];
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-multihead': AttnMultihead;
  }
}
