// <attn-neuron>: how one attention weight is made, with the model's own numbers (bertviz's neuron view). For one
// head, one query token i and one key token j: the query vector q_i and the key vector k_j (Dh numbers each),
// their elementwise product, its sum (the score), the division by √Dh, and the softmax across every key of
// query i, ending in the weight the heatmap shows in row i, column j. The engine computes all of it in one
// forward pass with its full trace (Analysis views with `vectors`); this file lays the numbers out (the
// products and the exponentials are the arithmetic written out, from the engine's values).
//
// Attributes: model, view, layer, head and the untrained model's settings (model-widget.ts; no "mean" head here:
// a mean of heads has no query or key vector), text (the model's example by default), query and key (0-based row
// and column, as the heatmap's read-out numbers them; by default the last row, and the key it weighs most).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Analysis, AttentionView, HeadVectors } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { modelInfo } from '../models/catalog';
import { formatCell } from './attn-matrix';
import type { Strip } from './attn-strips';
import { ModelWidget, drawnMask } from './model-widget';
import { registerWidget } from './registry';
import '../components/attn-heatmap';
import './attn-strips';

/** Everything shown for query i and key j of one head, read from the engine's trace. */
export interface NeuronNumbers {
  layer: number;
  head: number;
  i: number;
  j: number;
  headDim: number;
  q: Float32Array; // [Dh]
  k: Float32Array; // [Dh]
  product: Float64Array; // q ⊙ k, written out
  score: number; // the engine's q · k
  scaled: number; // the engine's q · k / √Dh
  scaledRow: Float32Array; // [keys]: query i's scaled scores
  mask?: Float32Array; // [keys], additive
  weights: Float32Array; // [keys]: query i's weights (the heatmap's row i)
  /** The softmax written out: exp(s_j − max) and Σ_k exp(s_k − max) over the keys not masked. */
  numerator: number;
  denominator: number;
  max: number;
}

/** Query i and key j of head h in layer `layer` of a view with vectors. */
export function neuronNumbers(v: AttentionView & { vectors: HeadVectors[] }, layer: number, head: number, i: number, j: number): NeuronNumbers {
  const R = v.rows.length;
  const C = v.cols.length;
  const { headDim: D, q: Q, k: K, scores, scaled } = v.vectors[layer];
  const q = Q.slice((head * R + i) * D, (head * R + i + 1) * D);
  const k = K.slice((head * C + j) * D, (head * C + j + 1) * D);
  const row = (head * R + i) * C;
  const mask = v.masks[layer]?.slice(i * C, (i + 1) * C);
  const scaledRow = scaled.slice(row, row + C);
  const open = (c: number) => mask?.[c] !== -Infinity;
  let max = -Infinity;
  for (let c = 0; c < C; c++) if (open(c)) max = Math.max(max, scaledRow[c] + (mask?.[c] ?? 0));
  let denominator = 0;
  for (let c = 0; c < C; c++) if (open(c)) denominator += Math.exp(scaledRow[c] + (mask?.[c] ?? 0) - max);
  return {
    layer, head, i, j, headDim: D, q, k,
    product: Float64Array.from(q, (x, d) => x * k[d]),
    score: scores[row + j],
    scaled: scaledRow[j],
    scaledRow,
    mask,
    weights: v.weights[layer].slice(row, row + C),
    numerator: open(j) ? Math.exp(scaledRow[j] + (mask?.[j] ?? 0) - max) : 0,
    denominator,
    max,
  };
}

/** The largest |x| of some arrays (1 if all are 0), for a colour domain symmetric around 0. */
function absMax(...xs: ArrayLike<number>[]) {
  let m = 0;
  for (const x of xs) for (let n = 0; n < x.length; n++) if (Number.isFinite(x[n])) m = Math.max(m, Math.abs(x[n]));
  return m || 1;
}

const fmt4 = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4)).replace('-', '−');

@customElement('attn-neuron')
export class AttnNeuron extends ModelWidget {
  static override widgetTag = 'attn-neuron';
  static override stateKeys = [...ModelWidget.modelKeys, 'text', 'query', 'key'];

  @property({ reflect: true }) text = '';
  @property({ reflect: true }) query = '';
  @property({ reflect: true }) key = '';

  @state() private analysis?: Analysis;

  get widgetTitle() {
    return 'How one attention weight is made';
  }

  private get currentText() {
    return this.text || modelInfo(this.modelId).example;
  }

  protected async compute() {
    [this.analysis] = await this.analyzeTexts([this.currentText], 'full');
  }

  protected override modelChanged() {
    super.modelChanged();
    this.text = '';
    this.query = '';
    this.key = '';
  }

  /** The view shown, with its numbers, and the head, query and key picked (clamped; defaults filled in). */
  private get shown(): { v: AttentionView & { vectors: HeadVectors[] }; n: NeuronNumbers } | undefined {
    const v = this.viewOf(this.analysis);
    if (!v?.vectors || !v.rows.length || !v.cols.length) return undefined;
    const { layer, head } = this.pick(v, false) as { layer: number; head: number };
    const index = (s: string, n: number) => (/^\d+$/.test(s.trim()) ? Math.min(n - 1, Number(s)) : undefined);
    const i = index(this.query, v.rows.length) ?? v.rows.length - 1;
    let j = index(this.key, v.cols.length);
    if (j === undefined) {
      // By default the key query i weighs most.
      const w = neuronNumbers(v as AttentionView & { vectors: HeadVectors[] }, layer, head, i, 0).weights;
      j = w.indexOf(Math.max(...w));
    }
    return { v: v as AttentionView & { vectors: HeadVectors[] }, n: neuronNumbers(v as AttentionView & { vectors: HeadVectors[] }, layer, head, i, j) };
  }

  private setToken(which: 'query' | 'key', index: number) {
    this[which] = String(index);
    void this.stateChanged();
  }

  protected override exportables(): MatrixExport[] {
    const s = this.shown;
    if (!s) return [];
    const { v, n } = s;
    const where = `layer ${n.layer + 1}, head ${n.head + 1}`;
    return [
      {
        title: `${where}: q of “${v.rows[n.i]}”, k of “${v.cols[n.j]}” and their product`,
        matrix: [...n.q, ...n.k, ...n.product], rows: 3, cols: n.headDim, rowLabels: ['q', 'k', 'q ⊙ k'],
        colLabels: Array.from({ length: n.headDim }, (_, d) => String(d + 1)), rowTitle: 'vector', colTitle: 'dimension',
      },
      {
        title: `${where}: the scaled scores of “${v.rows[n.i]}” and their softmax`,
        matrix: [...n.scaledRow, ...n.weights], rows: 2, cols: v.cols.length, rowLabels: ['score / √Dh', 'weight'],
        colLabels: v.cols, rowTitle: 'row', colTitle: 'key', mask: n.mask ? [...n.mask, ...n.mask] : undefined,
      },
    ];
  }

  // ------------------------------------------------------------------------------------------ render
  /** One row of token chips to pick the query (rows) or the key (columns): a radio group, arrows step. */
  private renderTokens(which: 'query' | 'key', labels: string[], selected: number, masked?: Float32Array) {
    const onKey = (e: KeyboardEvent) => {
      const next = { ArrowLeft: selected - 1, ArrowRight: selected + 1, ArrowUp: selected - 1, ArrowDown: selected + 1,
        Home: 0, End: labels.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      const to = Math.max(0, Math.min(labels.length - 1, next));
      this.setToken(which, to);
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`.tokens.${which} [data-index="${to}"]`)?.focus());
    };
    return html`<div class="tokens ${which}" role="radiogroup" aria-label=${which === 'query' ? 'Query token i (a row)' : 'Key token j (a column)'}
      @keydown=${onKey}>
      <span class="axis">${which === 'query' ? html`query <var>i</var>` : html`key <var>j</var>`}</span>
      ${labels.map((t, k) => html`<button role="radio" class="chip ${masked?.[k] === -Infinity ? 'off' : ''}" data-index=${k}
        aria-checked=${k === selected} tabindex=${k === selected ? 0 : -1} title="${which} ${k}"
        @click=${() => this.setToken(which, k)}>${t}</button>`)}
    </div>`;
  }

  private renderNumbers(v: AttentionView, n: NeuronNumbers) {
    const qi = v.rows[n.i];
    const kj = v.cols[n.j];
    const dims = Array.from({ length: n.headDim }, (_, d) => String(d + 1));
    const qk = absMax(n.q, n.k);
    const vectors: Strip[] = [
      { name: 'q', label: html`q<sub>${n.i}</sub>`, values: n.q, colormap: 'rdbu', domain: [-qk, qk] },
      { name: 'k', label: html`k<sub>${n.j}</sub>`, values: n.k, colormap: 'rdbu', domain: [-qk, qk] },
      { name: 'product', label: html`q ⊙ k`, values: n.product, colormap: 'rdbu', domain: [-absMax(n.product), absMax(n.product)] },
    ];
    const s = absMax(n.scaledRow);
    const softmax: Strip[] = [
      { name: 'scaled', label: html`score`, values: n.scaledRow, colormap: 'rdbu', domain: [-s, s], mask: n.mask },
      { name: 'weights', label: html`weight`, values: n.weights, colormap: this.colormap, domain: [0, 1] },
    ];
    const cfg = this.info?.config ?? {};
    const scaled = cfg.scaled !== false;
    const temperature = Number(cfg.temperature ?? 1);
    const masked = n.mask?.[n.j] === -Infinity;
    const cross = v.name === 'cross';
    const keys = n.mask ? n.weights.length - [...n.mask].filter((m) => m === -Infinity).length : n.weights.length;
    return html`
      <section class="step" aria-labelledby="n-vec">
        <h3 id="n-vec"><span class="num">1</span> The query and the key of head ${n.head + 1}: ${n.headDim} numbers each</h3>
        <p class="muted">q<sub>${n.i}</sub> is what “<span class="tok">${qi}</span>” looks for, k<sub>${n.j}</sub> what
          “<span class="tok">${kj}</span>” offers${cross ? ' (keys come from the encoder’s output, queries from the decoder)' : ''}:
          rows of this layer’s ${cross ? 'Q (decoder) and K (encoder)' : 'Q and K'} in head ${n.head + 1}’s ${n.headDim} columns.
          Their product, dimension by dimension, is red where they agree in sign and blue where they disagree.</p>
        <attn-strips class="vectors" .strips=${vectors} .columns=${dims} caption="q, k and their elementwise product, dimension by dimension"></attn-strips>
      </section>
      <section class="step" aria-labelledby="n-score">
        <h3 id="n-score"><span class="num">2</span> The score: add the products up${scaled ? html`, divide by √D<sub>h</sub>` : ''}</h3>
        <p class="formula eq">q<sub>${n.i}</sub> · k<sub>${n.j}</sub> = Σ<sub>d</sub> q<sub>d</sub> k<sub>d</sub> =
          <strong class="score" data-value=${String(n.score)} title=${String(n.score)}>${formatCell(n.score)}</strong></p>
        <p class="formula eq">${scaled
          ? html`÷ √${n.headDim} = ÷ ${Math.sqrt(n.headDim).toFixed(3)}${temperature !== 1 ? html`, ÷ temperature ${temperature}` : ''} →`
          : html`not scaled (this model’s <code>scaled</code> is off): the score goes on as it is →`}
          <strong class="scaled" data-value=${String(n.scaled)} title=${String(n.scaled)}>${formatCell(n.scaled)}</strong></p>
        ${scaled ? html`<p class="muted">Without the division, scores grow with D<sub>h</sub> and the softmax turns almost one-hot.</p>` : nothing}
      </section>
      <section class="step" aria-labelledby="n-soft">
        <h3 id="n-soft"><span class="num">3</span> The softmax across every key of “<span class="tok">${qi}</span>”</h3>
        <attn-strips class="softmax" .strips=${softmax} .columns=${v.cols} highlight=${n.j}
          caption="The scaled scores of query ${n.i} and the weights the softmax makes of them, key by key"
          @strip-pick=${(e: CustomEvent<{ column: number }>) => this.setToken('key', e.detail.column)}></attn-strips>
        ${masked
          ? html`<p class="formula eq">Key ${n.j} is masked${v.name !== 'encoder' && v.name !== 'cross' && this.modelId !== 'tagger' ? ' (a token may not see the tokens after it)' : ''}: its score becomes −∞, so
              w = exp(−∞) / Σ = <strong class="weight" data-value=${String(n.weights[n.j])}>${formatCell(n.weights[n.j])}</strong></p>`
          : html`<p class="formula eq">w<sub>${n.i},${n.j}</sub> = exp(s<sub>${n.j}</sub> − max s) / Σ<sub>k</sub> exp(s<sub>k</sub> − max s) =
              <span class="numerator" data-value=${String(n.numerator)}>${fmt4(n.numerator)}</span> /
              <span class="denominator" data-value=${String(n.denominator)}>${fmt4(n.denominator)}</span> =
              <strong class="weight" data-value=${String(n.weights[n.j])} title=${String(n.weights[n.j])}>${formatCell(n.weights[n.j])}</strong></p>`}
        <p class="muted">max s = ${formatCell(n.max)} is taken out first so that no exponential overflows; it cancels in the fraction.</p>
      </section>
      <p class="summary" aria-live="polite">Layer ${n.layer + 1}, head ${n.head + 1}: query “${qi}” (row ${n.i}) and key “${kj}”
        (column ${n.j}) score ${formatCell(n.score)}${scaled ? `, ${formatCell(n.scaled)} after ÷ √${n.headDim}` : ''}; the softmax over the
        ${keys} key${keys === 1 ? '' : 's'} it may see gives the weight ${formatCell(n.weights[n.j])}.</p>`;
  }

  protected renderBody() {
    const a = this.analysis;
    const v = this.viewOf(a);
    const s = this.shown;
    return html`
      ${this.renderModelSetup()}
      <input class="text" dir="auto" aria-label="Text" .value=${this.currentText}
        @change=${(e: Event) => {
          this.text = (e.target as HTMLInputElement).value;
          this.query = '';
          this.key = '';
          void this.stateChanged();
        }} />
      ${this.renderPickers(a?.views ?? [], v, false)}
      ${a?.truncated ? html`<p class="muted">${a.truncated}</p>` : nothing}
      ${a && !v ? html`<p class="muted">Type some text to see its attention.</p>` : nothing}
      ${s
        ? html`
            ${this.renderTokens('query', s.v.rows, s.n.i)}
            ${this.renderTokens('key', s.v.cols, s.n.j, s.n.mask)}
            ${this.renderNumbers(s.v, s.n)}
            <section class="step" aria-labelledby="n-map">
              <h3 id="n-map"><span class="num">4</span> The whole head: row ${s.n.i} is the softmax above</h3>
              <p class="muted">Click a cell to pick its query and key.</p>
              <attn-heatmap class="head" colormap=${this.colormap} .matrix=${s.v.weights[s.n.layer].subarray(s.n.head * s.v.rows.length * s.v.cols.length,
                  (s.n.head + 1) * s.v.rows.length * s.v.cols.length)} rows=${s.v.rows.length} cols=${s.v.cols.length}
                .rowLabels=${s.v.rows} .colLabels=${s.v.cols} .mask=${drawnMask(s.v.masks[s.n.layer])} .domain=${[0, 1] as [number, number]}
                caption="${s.v.title} · layer ${s.n.layer + 1} · head ${s.n.head + 1}" max-size="360"
                @cell-active=${(e: CustomEvent<{ row: number; col: number }>) => (this.hovered = e.detail)}
                @click=${() => this.hovered && this.pickCell(this.hovered)}></attn-heatmap>
            </section>`
        : nothing}
    `;
  }

  private hovered?: { row: number; col: number };

  private pickCell(c: { row: number; col: number }) {
    this.query = String(c.row);
    this.key = String(c.col);
    void this.stateChanged();
  }

  static override styles = [
    ...ModelWidget.modelStyles,
    css`
      input.text { width: 100%; box-sizing: border-box; padding: 6px 10px; border: 1px solid var(--w-border); border-radius: 8px;
        background: var(--w-input-bg); font-size: 15px; margin-bottom: 8px; }
      .tokens { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 4px 0; }
      .tokens .axis { font-size: 12.5px; color: var(--w-muted); min-width: 56px; }
      .chip { padding: 1px 7px; border-radius: 6px; background: var(--w-chip-bg); border: 1px solid transparent; font-size: 13px;
        white-space: pre; unicode-bidi: isolate; }
      .chip[aria-checked='true'] { background: var(--w-accent); color: #fff; border-color: var(--w-accent); }
      .chip.off { opacity: 0.55; text-decoration: line-through; }
      .step { margin-top: 14px; }
      .step h3 { font-size: 14px; margin: 0 0 4px; }
      .num { display: inline-block; width: 20px; height: 20px; line-height: 20px; text-align: center; border-radius: 50%;
        background: var(--w-accent-soft); color: var(--w-fg); font-size: 12px; margin-right: 4px; }
      .step p { margin: 0 0 6px; font-size: 13px; }
      .eq { font-size: 15px; }
      .eq strong { font-variant-numeric: tabular-nums; background: var(--w-accent-soft); padding: 0 5px; border-radius: 5px; }
      .summary { margin: 14px 0 0; padding: 8px 10px; border-radius: 8px; background: var(--w-code-bg); font-size: 13px; }
      attn-heatmap.head { margin-top: 4px; }
    `,
  ];
}

registerWidget('attn-neuron', 'How one attention weight is made');

declare global {
  interface HTMLElementTagNameMap {
    'attn-neuron': AttnNeuron;
  }
}
