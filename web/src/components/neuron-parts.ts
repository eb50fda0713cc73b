// The neuron view's parts (bertviz's neuron view), shared by <attn-neuron> and the explorer's Neuron display: for
// one head, one query token i and one key token j, the numbers that make weight (i, j) — q_i and k_j (Dh numbers
// each), their elementwise product, its sum (the score), the division by √Dh, and the softmax across every key of
// query i — read from a view analyzed with trace 'full' (AttentionView.vectors), and the templates that lay them
// out (the products and the exponentials are the arithmetic written out, from the engine's values). The templates
// render into their host's shadow root, which adopts `neuronStyles`.
import { css, html, nothing, type LitElement } from 'lit';
import type { AttentionView, HeadVectors } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { formatCell } from '../widgets/attn-matrix';
import type { Strip } from '../widgets/attn-strips';
import { drawnMask } from './heatmap-paint';
import '../widgets/attn-strips';
import './attn-heatmap';

/** A view analyzed with trace 'full'. */
export type VectorView = AttentionView & { vectors: HeadVectors[] };

export function hasVectors(v: AttentionView | undefined): v is VectorView {
  return !!v?.vectors && v.rows.length > 0 && v.cols.length > 0;
}

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
export function neuronNumbers(v: VectorView, layer: number, head: number, i: number, j: number): NeuronNumbers {
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

/**
 * The numbers of the query and key picked: each clamped to the view, and by default the last row and the key it
 * weighs most.
 */
export function pickNeuron(v: VectorView, layer: number, head: number, query?: number, key?: number): NeuronNumbers {
  const i = query === undefined ? v.rows.length - 1 : Math.min(v.rows.length - 1, query);
  let j = key === undefined ? undefined : Math.min(v.cols.length - 1, key);
  if (j === undefined) {
    const w = neuronNumbers(v, layer, head, i, 0).weights;
    j = w.indexOf(Math.max(...w));
  }
  return neuronNumbers(v, layer, head, i, j);
}

/**
 * What the neuron view shows, as exports (export.ts): q_i, k_j and q ⊙ k [3, Dh]; query i's scores, scaled scores
 * and softmax [3, keys] (masked keys marked); the whole head's weights [rows, keys].
 */
export function neuronExports(v: VectorView, n: NeuronNumbers): MatrixExport[] {
  const where = `layer ${n.layer + 1}, head ${n.head + 1}`;
  const R = v.rows.length;
  const C = v.cols.length;
  const row = (n.head * R + n.i) * C;
  const scores = v.vectors[n.layer].scores.subarray(row, row + C);
  // Signed numbers: pictured on the diverging map, symmetric around 0.
  const signed = (...xs: ArrayLike<number>[]): [number, number] => [-absMax(...xs), absMax(...xs)];
  return [
    {
      title: `${where}: q of “${v.rows[n.i]}”, k of “${v.cols[n.j]}” and their product`,
      matrix: [...n.q, ...n.k, ...n.product], rows: 3, cols: n.headDim, rowLabels: ['q', 'k', 'q ⊙ k'],
      colLabels: Array.from({ length: n.headDim }, (_, d) => String(d + 1)), rowTitle: 'vector', colTitle: 'dimension',
      colormap: 'rdbu', domain: signed(n.q, n.k, n.product),
    },
    {
      title: `${where}: the scores of “${v.rows[n.i]}” and their softmax`,
      matrix: [...scores, ...n.scaledRow, ...n.weights], rows: 3, cols: C,
      rowLabels: ['score q · k', 'scaled score', 'weight'], colLabels: v.cols, rowTitle: 'row', colTitle: 'key',
      mask: n.mask ? [...n.mask, ...n.mask, ...n.mask] : undefined, colormap: 'rdbu', domain: signed(scores, n.scaledRow),
    },
    {
      title: `${v.title}, ${where}: attention weights`, matrix: v.weights[n.layer].subarray(n.head * R * C, (n.head + 1) * R * C),
      rows: R, cols: C, rowLabels: v.rows, colLabels: v.cols, mask: v.masks[n.layer], rowTitle: 'query', colTitle: 'key', domain: [0, 1],
    },
  ];
}

/** The largest |x| of some arrays (1 if all are 0), for a colour domain symmetric around 0. */
function absMax(...xs: ArrayLike<number>[]) {
  let m = 0;
  for (const x of xs) for (let n = 0; n < x.length; n++) if (Number.isFinite(x[n])) m = Math.max(m, Math.abs(x[n]));
  return m || 1;
}

const fmt4 = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4)).replace('-', '−');

export type NeuronPick = (which: 'query' | 'key', index: number) => void;

/**
 * One row of token chips to pick the query (rows) or the key (columns) in `host`'s shadow root: a radio group,
 * the arrow keys, Home and End step, and the chip picked keeps the focus.
 */
export function neuronTokens(host: LitElement, which: 'query' | 'key', labels: string[], selected: number, pick: NeuronPick, masked?: Float32Array) {
  const onKey = (e: KeyboardEvent) => {
    const next = { ArrowLeft: selected - 1, ArrowRight: selected + 1, ArrowUp: selected - 1, ArrowDown: selected + 1,
      Home: 0, End: labels.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const to = Math.max(0, Math.min(labels.length - 1, next));
    pick(which, to);
    void host.updateComplete.then(() => host.renderRoot.querySelector<HTMLElement>(`.tokens.${which} [data-index="${to}"]`)?.focus());
  };
  return html`<div class="tokens ${which}" role="radiogroup" aria-label=${which === 'query' ? 'Query token i (a row)' : 'Key token j (a column)'}
    @keydown=${onKey}>
    <span class="axis">${which === 'query' ? html`query <var>i</var>` : html`key <var>j</var>`}</span>
    ${labels.map((t, k) => html`<button role="radio" class="chip ${masked?.[k] === -Infinity ? 'off' : ''}" data-index=${k}
      aria-checked=${k === selected} tabindex=${k === selected ? 0 : -1} title="${which} ${k}"
      @click=${() => pick(which, k)}>${t}</button>`)}
  </div>`;
}

export interface NeuronSetup {
  colormap: string;
  /** The model divides the scores by √Dh (an untrained model may not), and by its temperature. */
  scaled: boolean;
  temperature: number;
  /** A masked key is masked because a token may not see the tokens after it. */
  causal: boolean;
  pick: NeuronPick;
  /** One plain line under the score, e.g. where the model's own code takes these steps in another order. */
  note?: string;
}

/** Steps 1 to 3 (the vectors, the score, the softmax) and a sentence that says it all, for query n.i and key n.j. */
export function neuronSteps(v: AttentionView, n: NeuronNumbers, o: NeuronSetup) {
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
    { name: 'weights', label: html`weight`, values: n.weights, colormap: o.colormap, domain: [0, 1] },
  ];
  const { scaled, temperature } = o;
  const masked = n.mask?.[n.j] === -Infinity;
  const cross = v.name === 'cross';
  const keys = n.mask ? n.weights.length - [...n.mask].filter((m) => m === -Infinity).length : n.weights.length;
  return html`
    <section role="group" class="step" aria-labelledby="n-vec">
      <h3 id="n-vec"><span class="num">1</span> The query and the key of head ${n.head + 1}: ${n.headDim} numbers each</h3>
      <p class="muted">q<sub>${n.i}</sub> is what “<span class="tok">${qi}</span>” looks for, k<sub>${n.j}</sub> what
        “<span class="tok">${kj}</span>” offers${cross ? ' (keys come from the encoder’s output, queries from the decoder)' : ''}:
        rows of this layer’s ${cross ? 'Q (decoder) and K (encoder)' : 'Q and K'} in head ${n.head + 1}’s ${n.headDim} columns.
        Their product, dimension by dimension, is red where they agree in sign and blue where they disagree.</p>
      <attn-strips class="vectors" .strips=${vectors} .columns=${dims} caption="q, k and their elementwise product, dimension by dimension"></attn-strips>
    </section>
    <section role="group" class="step" aria-labelledby="n-score">
      <h3 id="n-score"><span class="num">2</span> The score: add the products up${scaled ? html`, divide by √D<sub>h</sub>` : ''}</h3>
      <p class="formula eq">q<sub>${n.i}</sub> · k<sub>${n.j}</sub> = Σ<sub>d</sub> q<sub>d</sub> k<sub>d</sub> =
        <strong class="score" data-value=${String(n.score)} title=${String(n.score)}>${formatCell(n.score)}</strong></p>
      <p class="formula eq">${scaled
        ? html`÷ √${n.headDim} = ÷ ${Math.sqrt(n.headDim).toFixed(3)}${temperature !== 1 ? html`, ÷ temperature ${temperature}` : ''} →`
        : html`not scaled (this model’s <code>scaled</code> is off): the score goes on as it is →`}
        <strong class="scaled" data-value=${String(n.scaled)} title=${String(n.scaled)}>${formatCell(n.scaled)}</strong></p>
      ${scaled ? html`<p class="muted">Without the division, scores grow with D<sub>h</sub> and the softmax turns almost one-hot.</p>` : nothing}
      ${o.note ? html`<p class="muted order-note">${o.note}</p>` : nothing}
    </section>
    <section role="group" class="step" aria-labelledby="n-soft">
      <h3 id="n-soft"><span class="num">3</span> The softmax across every key of “<span class="tok">${qi}</span>”</h3>
      <attn-strips class="softmax" .strips=${softmax} .columns=${v.cols} highlight=${n.j}
        caption="The scaled scores of query ${n.i} and the weights the softmax makes of them, key by key"
        @strip-pick=${(e: CustomEvent<{ column: number }>) => o.pick('key', e.detail.column)}></attn-strips>
      ${masked
        ? html`<p class="formula eq">Key ${n.j} is masked${o.causal ? ' (a token may not see the tokens after it)' : ''}: its score becomes −∞, so
            w = exp(−∞) / Σ = <strong class="weight" data-value=${String(n.weights[n.j])}>${formatCell(n.weights[n.j])}</strong></p>`
        : html`<p class="formula eq">w<sub>${n.i},${n.j}</sub> = exp(s<sub>${n.j}</sub> − max s) / Σ<sub>k</sub> exp(s<sub>k</sub> − max s) =
            <span class="numerator" data-value=${String(n.numerator)}>${fmt4(n.numerator)}</span> /
            <span class="denominator" data-value=${String(n.denominator)}>${fmt4(n.denominator)}</span> =
            <strong class="weight" data-value=${String(n.weights[n.j])} title=${String(n.weights[n.j])}>${formatCell(n.weights[n.j])}</strong></p>`}
      <p class="muted">max s = ${formatCell(n.max)} is taken out first so that no exponential overflows; it cancels in the fraction.</p>
    </section>
    <p class="summary neuron-summary" aria-live="polite">Layer ${n.layer + 1}, head ${n.head + 1}: query “${qi}” (row ${n.i}) and key “${kj}”
      (column ${n.j}) score ${formatCell(n.score)}${scaled ? `, ${formatCell(n.scaled)} after ÷ √${n.headDim}` : ''}; the softmax over the
      ${keys} key${keys === 1 ? '' : 's'} it may see gives the weight ${formatCell(n.weights[n.j])}.</p>`;
}

/** The widget's theme variables (widgets/theme.ts), else the page's. */
export const neuronStyles = css`
  .tokens { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 4px 0; }
  .tokens .axis { font-size: 12.5px; color: var(--w-muted, var(--muted, #5f5d6e)); min-width: 56px; }
  .chip { font: inherit; padding: 1px 7px; border-radius: 6px; background: var(--w-chip-bg, var(--chip-bg, #f0eefa)); border: 1px solid transparent;
    font-size: 13px; white-space: pre; unicode-bidi: isolate; color: var(--w-fg, var(--fg, #222)); cursor: pointer; }
  .chip[aria-checked='true'] { background: var(--w-accent, var(--accent, #5b3cc4)); color: var(--w-on-accent, var(--on-accent, #fff)); border-color: var(--w-accent, var(--accent, #5b3cc4)); }
  .chip.off { color: var(--w-muted, var(--muted, #5f5d6e)); border-style: dashed; text-decoration: line-through; } /* masked keys: still pickable, so readable (6:1) */
  .step { margin-top: 14px; }
  .step h3 { font-size: 14px; margin: 0 0 4px; }
  .num { display: inline-block; width: 20px; height: 20px; line-height: 20px; text-align: center; border-radius: 50%;
    background: var(--w-accent-soft, var(--accent-soft, #e3dcff)); color: var(--w-fg, var(--fg, #222)); font-size: 12px; margin-right: 4px; }
  .step p { margin: 0 0 6px; font-size: 13px; }
  .step .muted { color: var(--w-muted, var(--muted, #5f5d6e)); }
  .eq { font-size: 15px; }
  .eq strong { font-variant-numeric: tabular-nums; background: var(--w-accent-soft, var(--accent-soft, #e3dcff)); padding: 0 5px; border-radius: 5px; }
  .neuron-summary { margin: 14px 0 0; padding: 8px 10px; border-radius: 8px; background: var(--w-code-bg, var(--chip-bg, #f3f1fa));
    color: var(--w-fg, var(--fg, #222)); font-size: 13px; }
`;

/** The cell under the pointer of each step-4 heatmap (a click picks it). */
const hoveredCell = new WeakMap<EventTarget, { row: number; col: number }>();

/** Step 4: head n.head of layer n.layer as a heatmap, row n.i being the softmax above; a click picks a cell's query and key. */
export function neuronHeadMap(v: AttentionView, n: NeuronNumbers, o: { colormap: string; className: string; pick: (row: number, col: number) => void }) {
  const R = v.rows.length;
  const C = v.cols.length;
  return html`<section role="group" class="step" aria-labelledby="n-map">
    <h3 id="n-map"><span class="num">4</span> The whole head: row ${n.i} is the softmax above</h3>
    <p class="muted">Click a cell to pick its query and key.</p>
    <attn-heatmap class=${o.className} colormap=${o.colormap} .matrix=${v.weights[n.layer].subarray(n.head * R * C, (n.head + 1) * R * C)}
      rows=${R} cols=${C} .rowLabels=${v.rows} .colLabels=${v.cols} .mask=${drawnMask(v.masks[n.layer])} .domain=${[0, 1] as [number, number]}
      caption="${v.title} · layer ${n.layer + 1} · head ${n.head + 1}" max-size="360"
      @cell-active=${(e: CustomEvent<{ row: number; col: number }>) => e.currentTarget && hoveredCell.set(e.currentTarget, e.detail)}
      @click=${(e: Event) => {
        const c = e.currentTarget && hoveredCell.get(e.currentTarget);
        if (c) o.pick(c.row, c.col);
      }}></attn-heatmap>
  </section>`;
}
