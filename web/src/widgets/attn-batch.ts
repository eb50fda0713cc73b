// <attn-batch>: self-attention by hand for a BATCH of sentences, as the curriculum's exercise writes it
// (Exercise 1, "self-attention with torch.bmm"):
//   scores = torch.bmm(query, key.transpose(1, 2)); weights = F.softmax(scores, dim=-1); output = torch.bmm(weights, value)
// on query = key = value = X [B, L, d]. The sentences are padded with <pad> (zero vectors) to the longest; each
// word's vector is seeded and rounded to one decimal (seeded-layers.ts, batchVector) so a dot product can be
// checked by hand. ONE batched F.scaled_dot_product_attention call of the engine computes everything
// (batchCall); two more show what the other choice would give: the other scaling, and (mask on) no mask.
//
// Attributes (the whole state):
//   sentences  "the cat sat on the mat|a dog ran"   2-4 sentences ("|"-separated), at most 8 words each
//   d          3                                    2-4 numbers per word
//   scale      "off" | "on"                         off: the exercise (no division); on: ÷ √d, as SDPA's default
//   padding    "on" | "off"                         the boolean attn_mask [B, 1, L] (True = may attend) on pad keys
//   cell       "0,2,0"                              the picked cell scores[b, i, j], 0-based as in PyTorch
import { css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { SdpaResult } from '../../../engine/bindings/attn';
import type { MatrixExport } from '../export/export';
import { formatCell } from './attn-matrix';
import { registerWidget } from './registry';
import { BATCH, batchCall, batchInput, batchMask, batchWords, numberAttribute, type BatchWords } from './seeded-layers';
import { batchScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';
import '../components/attn-heatmap';
import './attn-matrix';

registerWidget('attn-batch', 'Batched attention by hand');

type Matrix = number[][];
const DEFAULT_CELL = '0,2,0';

interface BatchResult {
  batch: BatchWords;
  d: number;
  scaled: boolean;
  padding: boolean;
  x: Float32Array; // [B, L, d]
  main: SdpaResult;
  /** The same batch with the other scaling (same mask). */
  alt: SdpaResult;
  /** The same batch without the mask (only when the mask is on). */
  noMask?: SdpaResult;
}

/** Matrix b of a [B, R, C] tensor as rows. */
function slab(data: Float32Array, b: number, R: number, C: number): Matrix {
  return Array.from({ length: R }, (_, i) => Array.from(data.subarray((b * R + i) * C, (b * R + i + 1) * C)));
}

/** A one-decimal input as written by hand: "0.3", "−1.2". */
function dec1(v: number) {
  const s = (Math.round(v * 10) / 10).toFixed(1);
  return (s === '-0.0' ? '0.0' : s).replace('-', '−');
}

/** "[2, 6, 3]" */
const shape = (...dims: number[]) => `[${dims.join(', ')}]`;

/** "0,1,5" -> [0, 1, 5]; undefined when it is not three whole numbers. */
function parseCellAttr(text: string): [number, number, number] | undefined {
  const p = text.split(',').map((s) => s.trim());
  if (p.length !== 3 || !p.every((s) => /^\d+$/.test(s))) return undefined;
  return p.map(Number) as [number, number, number];
}

@customElement('attn-batch')
export class AttnBatch extends WidgetBase {
  static override widgetTag = 'attn-batch';
  static override stateKeys = ['sentences', 'd', 'scale', 'padding', 'cell'];

  /** The batch, sentences separated by "|". */
  @property({ reflect: true }) sentences = BATCH.sentences;
  /** Numbers per word vector (d_k = d_v = d). */
  @property({ reflect: true, converter: numberAttribute }) d = BATCH.d;
  /** "off": the exercise's softmax(Q Kᵀ); "on": softmax(Q Kᵀ / √d), F.scaled_dot_product_attention's default. */
  @property({ reflect: true }) scale: 'on' | 'off' = 'off';
  /** "on": pad keys are masked (boolean attn_mask [B, 1, L]). */
  @property({ reflect: true }) padding: 'on' | 'off' = 'on';
  /** The picked cell "b,i,j" of scores[b, i, j]: its dot product is written out. */
  @property({ reflect: true }) cell = DEFAULT_CELL;

  @state() private result?: BatchResult;
  @state() private notice = '';

  get widgetTitle() {
    return 'Batched attention by hand';
  }

  // ------------------------------------------------------------------------------------------ state
  /** The batch shown: the typed one, or the example batch when fewer than two sentences are typed. */
  private get batch(): BatchWords {
    const typed = batchWords(this.sentences ?? '');
    return typed.B >= BATCH.minSentences ? typed : batchWords(BATCH.sentences);
  }

  private get picked(): [number, number, number] {
    return parseCellAttr(this.cell) ?? [0, 0, 0];
  }

  /** Bad attribute values (from a page, a URL or a control): use a valid value and say which. */
  override willUpdate(changed: Map<string, unknown>) {
    const notes: string[] = [];
    if (changed.has('d') && !(Number.isInteger(this.d) && this.d >= BATCH.minD && this.d <= BATCH.maxD)) {
      const v = this.d;
      const fixed = Number.isFinite(v) ? Math.min(BATCH.maxD, Math.max(BATCH.minD, Math.round(v))) : BATCH.d;
      notes.push(
        v > BATCH.maxD
          ? `d is at most ${BATCH.maxD} here, so a dot product stays short enough to check by hand; using ${fixed}.`
          : `d must be a whole number from ${BATCH.minD} to ${BATCH.maxD}; using ${fixed}.`,
      );
      this.d = fixed;
    }
    if (changed.has('scale') && this.scale !== 'on' && this.scale !== 'off') {
      notes.push(`scale must be "on" or "off"; using off (the exercise: no division by √d).`);
      this.scale = 'off';
    }
    if (changed.has('padding') && this.padding !== 'on' && this.padding !== 'off') {
      notes.push(`padding must be "on" or "off"; using on (pad keys masked).`);
      this.padding = 'on';
    }
    if (changed.has('cell') || changed.has('sentences')) {
      const { B, L } = this.batch;
      const given = parseCellAttr(this.cell ?? '');
      // An author's value is checked; a cell left outside a batch the learner shortened just follows it.
      const fromAuthor = changed.has('cell') && this.hasAttribute('cell');
      if (!given) {
        if (fromAuthor) notes.push(`cell must be three whole numbers "b,i,j" (scores[b, i, j], counted from 0); using ${DEFAULT_CELL}.`);
        this.cell = DEFAULT_CELL;
      }
      const [b, i, j] = parseCellAttr(this.cell)!;
      const fixed = [Math.min(b, B - 1), Math.min(i, L - 1), Math.min(j, L - 1)].join(',');
      if (fixed !== [b, i, j].join(',')) {
        if (given && fromAuthor) notes.push(`cell ${this.cell} is outside scores ${shape(B, L, L)}; using ${fixed}.`);
        this.cell = fixed;
      }
    }
    if (notes.length) this.notice = notes.join(' ');
  }

  protected async compute() {
    const batch = this.batch;
    const d = this.d;
    const scaled = this.scale === 'on';
    const padding = this.padding === 'on';
    const [main, alt, noMask] = await Promise.all([
      this.call('sdpa', batchCall(batch, d, scaled, padding), 'main'),
      this.call('sdpa', batchCall(batch, d, !scaled, padding), 'alt'),
      padding ? this.call('sdpa', batchCall(batch, d, scaled, false), 'nomask') : undefined,
    ]);
    this.result = { batch, d, scaled, padding, x: batchInput(batch, d).data as Float32Array, main, alt, noMask };
  }

  override pytorchScript(): string {
    const r = this.result;
    if (!r) return '';
    const x = batchInput(r.batch, r.d);
    return batchScript(x, r.batch.labels, r.batch.lengths, r.scaled, r.padding ? batchMask(r.batch) : undefined);
  }

  protected override exportables(): MatrixExport[] {
    const r = this.result;
    if (!r) return [];
    const { B, L } = r.batch;
    const dims = Array.from({ length: r.d }, (_, k) => `d${k}`);
    return Array.from({ length: B }, (_, b) => {
      const labels = r.batch.labels[b];
      const one = (title: string, data: Float32Array, cols: number, colLabels: string[], colTitle: string, weights = false): MatrixExport => {
        const m = data.slice(b * L * cols, (b + 1) * L * cols);
        const finite = Array.from(m).filter(Number.isFinite);
        return {
          title, matrix: m, rows: L, cols, rowLabels: labels, colLabels, rowTitle: 'Query', colTitle,
          ...(weights ? { mask: r.main.mask?.data.slice(b * L * L, (b + 1) * L * L) } : {}),
          domain: weights ? [0, 1] : [Math.min(0, ...finite), Math.max(1, ...finite)],
        };
      };
      return [
        one(`X[${b}]`, r.x, r.d, dims, 'dim'),
        one(`scores[${b}]`, r.main.scores.data, L, labels, 'Key'),
        one(`weights[${b}]`, r.main.weights.data, L, labels, 'Key', true),
        one(`output[${b}]`, r.main.output.data, r.d, dims, 'dim'),
      ];
    }).flat();
  }

  private change(next: Partial<Pick<AttnBatch, 'sentences' | 'd' | 'scale' | 'padding' | 'cell'>>) {
    this.notice = '';
    Object.assign(this, next);
    void this.stateChanged();
  }

  private pick(b: number, i: number, j: number) {
    const { B, L } = this.batch;
    if (b < 0 || i < 0 || j < 0 || b >= B || i >= L || j >= L) return;
    this.change({ cell: `${b},${i},${j}` });
  }

  private onText(ev: Event) {
    // One sentence per line in the box; "|" separates them in the attribute.
    const text = (ev.target as HTMLTextAreaElement).value;
    this.change({ sentences: text.replace(/\|/g, ' ').split('\n').join('|') });
  }

  /** A click on a cell of an [L, L] matrix (scores or weights) picks it. */
  private onMatrixClick(ev: Event, b: number) {
    const td = ev.composedPath().find((n) => n instanceof HTMLTableCellElement && n.tagName === 'TD') as HTMLTableCellElement | undefined;
    const row = td?.parentElement as HTMLTableRowElement | undefined;
    if (!td || !row) return;
    this.pick(b, row.sectionRowIndex, td.cellIndex - 1); // the first cell of a row is its label
  }

  private onTabKey(ev: KeyboardEvent, B: number) {
    const b = this.picked[0];
    const next = ev.key === 'ArrowRight' ? b + 1 : ev.key === 'ArrowLeft' ? b - 1 : ev.key === 'Home' ? 0 : ev.key === 'End' ? B - 1 : -1;
    if (next < 0 || next >= B) return;
    ev.preventDefault();
    this.selectBatch(next);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLButtonElement>(`[role="tab"][data-b="${this.picked[0]}"]`)?.focus());
  }

  private selectBatch(b: number) {
    const [, i, j] = this.picked;
    this.pick(b, i, j);
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody(): TemplateResult {
    const r = this.result;
    return html`
      <p class="lead">
        The curriculum's exercise computes self-attention for a whole batch at once with <code>torch.bmm</code>:
        one matrix product <em>per sentence</em>, stacked. Type the sentences; each word is a vector of
        ${this.d} one-decimal numbers, and the short sentences are padded with <span class="pad-chip">&lt;pad&gt;</span> (zero vectors).
      </p>
      ${this.renderControls()}
      ${this.renderNotices()}
      ${r ? html`${this.renderCode(r)} ${this.renderStack(r)} ${this.renderPadding(r)} ${this.renderScaling(r)}` : nothing}
      <p class="muted foot">
        Computed by the engine: one batched <code>F.scaled_dot_product_attention(X, X, X${r?.padding ? ', attn_mask=mask' : ''}${r && !r.scaled ? ', scale=1' : ''})</code>,
        which is the exercise's bmm, softmax, bmm${r?.scaled ? ' with the scores divided by √d' : ''}. Numbers show 3 decimals; hover one for all of it.
      </p>
    `;
  }

  private renderControls() {
    const d = this.d;
    return html`<div class="controls">
      <label class="text">
        <span>Sentences, one per line (${BATCH.minSentences}–${BATCH.maxSentences}, up to ${BATCH.maxWords} words each)</span>
        <textarea rows="3" spellcheck="false" .value=${(this.sentences ?? '').split('|').join('\n')} @input=${this.onText}></textarea>
      </label>
      <div class="toggles">
        <label class="dsel">d (numbers per word)
          <select @change=${(e: Event) => this.change({ d: Number((e.target as HTMLSelectElement).value) })}>
            ${[2, 3, 4].map((n) => html`<option value=${n} ?selected=${n === d}>${n}</option>`)}
          </select></label>
        <div class="toggle-row" role="group" aria-label="Scaling">
          <button class="scale-off" aria-pressed=${this.scale === 'off'} @click=${() => this.change({ scale: 'off' })}>no scaling (the exercise)</button>
          <button class="scale-on" aria-pressed=${this.scale === 'on'} @click=${() => this.change({ scale: 'on' })}>÷ √d</button>
        </div>
        <div class="toggle-row">
          <button class="padding" aria-pressed=${this.padding === 'on'} @click=${() => this.change({ padding: this.padding === 'on' ? 'off' : 'on' })}>Padding mask</button>
        </div>
      </div>
    </div>`;
  }

  private renderNotices() {
    const typed = batchWords(this.sentences ?? '');
    const notes: string[] = [];
    if (this.notice) notes.push(this.notice);
    if (typed.B < BATCH.minSentences)
      notes.push(`torch.bmm multiplies a batch: type at least ${BATCH.minSentences} sentences, one per line. Showing the example batch meanwhile.`);
    if (typed.cut.sentences) notes.push(`Only the first ${BATCH.maxSentences} sentences are used.`);
    if (typed.cut.words) notes.push(`Sentences are cut at ${BATCH.maxWords} words, so every matrix stays readable.`);
    return notes.length ? html`<p class="notice" role="status">${notes.join(' ')}</p>` : nothing;
  }

  /** The exercise's code, each expression with its live shape. */
  private renderCode(r: BatchResult) {
    const { B, L } = r.batch;
    const d = r.d;
    const line = (code: TemplateResult | string, shapes: [string, number[]][], note?: string) => html`<div class="line">
      <code class="src">${code}</code>
      <span class="shapes">${shapes.map(([expr, s]) => html`<span class="shape" data-expr=${expr}><code>${expr}</code> <b>${shape(...s)}</b></span>`)}${note ? html`<span class="muted note">${note}</span>` : nothing}</span>
    </div>`;
    return html`<section role="group" class="code" aria-label="The exercise's code with the shapes of this batch">
      ${line('query, key, value = X, X, X', [['query', [B, L, d]]], `B = ${B} sentences, L = ${L} tokens, d = ${d}`)}
      ${line('scores = torch.bmm(query, key.transpose(1, 2))', [['key.transpose(1, 2)', [B, d, L]], ['torch.bmm(query, key.transpose(1, 2))', [B, L, L]]],
        `scores[b] = X[b] X[b]ᵀ for b = 0…${B - 1}`)}
      ${r.scaled ? line(`scores = scores / math.sqrt(${d})`, [['scores', [B, L, L]]], `√${d} = ${Math.sqrt(d).toFixed(3)}`) : nothing}
      ${r.padding ? line("scores = scores.masked_fill(~mask, float('-inf'))", [['mask', [B, 1, L]]], `broadcast to ${shape(B, L, L)}; True = a word`) : nothing}
      ${line('weights = F.softmax(scores, dim=-1)', [['F.softmax(scores, dim=-1)', [B, L, L]]], 'each row sums to 1')}
      ${line('output = torch.bmm(weights, value)', [['torch.bmm(weights, value)', [B, L, d]]], `output[b] = weights[b] X[b]`)}
    </section>`;
  }

  /** One card per batch element, stacked; tabs pick b. */
  private renderStack(r: BatchResult) {
    const { B, L, labels, lengths } = r.batch;
    const [b] = this.picked;
    return html`<div class="stack-wrap">
      <div class="tabs" role="tablist" aria-label="Batch element b">
        ${labels.map(
          (row, k) => html`<button role="tab" id="tab-${k}" data-b=${k} aria-selected=${k === b} aria-controls="card" tabindex=${k === b ? 0 : -1}
            @click=${() => this.selectBatch(k)} @keydown=${(e: KeyboardEvent) => this.onTabKey(e, B)}>
            <b>b = ${k}</b> <span class="tab-text" dir="auto">${row.slice(0, lengths[k]).join(' ')}</span>
          </button>`,
        )}
      </div>
      <div class="stack depth-${Math.min(B - 1, 3)}">
        <section class="card" id="card" role="tabpanel" aria-labelledby="tab-${b}" data-b=${b}>${this.renderCard(r, b)}</section>
      </div>
      <p class="muted small">The ${B} cards are the batch: <code>scores</code> is ${B} matrices of ${L} × ${L}, one per sentence, computed by one call.</p>
    </div>`;
  }

  private renderCard(r: BatchResult, b: number) {
    const { L } = r.batch;
    const d = r.d;
    const labels = r.batch.labels[b];
    const n = r.batch.lengths[b];
    const pads = L - n;
    const x = slab(r.x, b, L, d);
    const scores = slab(r.main.scores.data, b, L, L);
    const scaled = slab(r.main.scaled.data, b, L, L);
    const weights = slab(r.main.weights.data, b, L, L);
    const output = slab(r.main.output.data, b, L, d);
    const maskB = r.main.mask?.data.slice(b * L * L, (b + 1) * L * L);
    const masked = maskB ? slab(maskB, 0, L, L).map((row) => row.map((v) => v === -Infinity)) : undefined;
    const dims = Array.from({ length: d }, (_, k) => `${k}`);
    const click = (e: Event) => this.onMatrixClick(e, b);
    return html`
      <h3>Batch element b = ${b} <span class="muted">· ${n} word${n === 1 ? '' : 's'}${pads ? ` + ${pads} pad${pads === 1 ? '' : 's'}` : ''}</span></h3>
      <div class="chips">${labels.map((w, i) => html`<span class=${i >= n ? 'pad-chip' : 'chip'} dir="auto">${w}</span>`)}</div>
      <div class="row">
        <attn-matrix data-m="x" name="X[${b}]" shape="${L} × ${d}" .values=${x} .rowLabels=${labels} .colLabels=${dims}></attn-matrix>
        <attn-matrix class="pick" data-m="scores" name="scores[${b}] = X[${b}] @ X[${b}].T" shape="${L} × ${L}" .values=${scores}
          .rowLabels=${labels} .colLabels=${labels} .masked=${r.scaled ? undefined : masked} @click=${click}></attn-matrix>
        ${r.scaled
          ? html`<attn-matrix class="pick" data-m="scaled" name="scores[${b}] / √${d}" shape="${L} × ${L}" .values=${scaled}
              .rowLabels=${labels} .colLabels=${labels} .masked=${masked} @click=${click}></attn-matrix>`
          : nothing}
      </div>
      <div class="row">
        <attn-matrix class="pick" data-m="weights" name="weights[${b}]" shape="${L} × ${L}" .values=${weights}
          .rowLabels=${labels} .colLabels=${labels} .masked=${masked} @click=${click}></attn-matrix>
        <attn-matrix data-m="output" name="output[${b}] = weights[${b}] @ X[${b}]" shape="${L} × ${d}" .values=${output} .rowLabels=${labels} .colLabels=${dims}></attn-matrix>
      </div>
      <div class="row">
        <attn-heatmap colormap=${this.colormap} class="weights" data-b=${b} .matrix=${r.main.weights.data.slice(b * L * L, (b + 1) * L * L)} rows=${L} cols=${L}
          .rowLabels=${labels} .colLabels=${labels} .mask=${maskB} .domain=${[0, 1] as [number, number]} max-size="260"
          caption="weights[${b}]"></attn-heatmap>
        ${this.renderDot(r, b, x, scores, scaled, weights, masked)}
      </div>`;
  }

  /** The picked cell's dot product, written out with the numbers. */
  private renderDot(r: BatchResult, b: number, x: Matrix, scores: Matrix, scaled: Matrix, weights: Matrix, masked?: boolean[][]) {
    const { L } = r.batch;
    const labels = r.batch.labels[b];
    const n = r.batch.lengths[b];
    const [, i, j] = this.picked;
    const terms = x[i].map((q, k) => [q, x[j][k]]);
    // One-decimal inputs: the products have two decimals, so the sum in hundredths is exact.
    const byHand = terms.reduce((s, [q, k]) => s + Math.round(q * 10) * Math.round(k * 10), 0) / 100;
    const isMasked = masked?.[i]?.[j];
    const sel = (which: 'i' | 'j', value: number) => html`<select class="pick-${which}" aria-label=${which === 'i' ? 'Query row i' : 'Key column j'}
      @change=${(e: Event) => {
        const v = Number((e.target as HTMLSelectElement).value);
        this.pick(b, which === 'i' ? v : i, which === 'j' ? v : j);
      }}>
      ${labels.map((w, k) => html`<option value=${k} ?selected=${k === value}>${k}: ${w}</option>`)}
    </select>`;
    return html`<aside class="dot" aria-label="The picked cell's dot product">
      <h4>One cell of the bmm, by hand</h4>
      <p class="pickers"><label>query i ${sel('i', i)}</label> <label>key j ${sel('j', j)}</label>
        <span class="muted">or click a cell of scores or weights</span></p>
      <p class="formula eq" data-cell="${b},${i},${j}">scores[${b}, ${i}, ${j}] = X[${b}, ${i}] · X[${b}, ${j}]</p>
      <p class="formula eq terms">= ${terms.map(
        ([q, k], t) => html`${t ? ' + ' : ''}<span class="term" data-q=${String(q)} data-k=${String(k)}>(${dec1(q)})(${dec1(k)})</span>`,
      )}</p>
      <p class="formula eq">= <strong class="by-hand" data-value=${String(byHand)}>${byHand.toFixed(2).replace('-', '−')}</strong>
        <span class="muted">(the engine: <span class="engine-score" data-value=${String(scores[i][j])} title=${String(scores[i][j])}>${formatCell(scores[i][j])}</span>)</span></p>
      ${r.scaled
        ? html`<p class="formula eq">÷ √${r.d} = <span class="engine-scaled" data-value=${String(scaled[i][j])}>${formatCell(scaled[i][j])}</span></p>`
        : nothing}
      ${isMasked
        ? html`<p class="formula eq">key ${j} is a pad: masked to −∞, so weights[${b}, ${i}, ${j}] = <span class="engine-weight" data-value=${String(weights[i][j])}>0</span></p>`
        : html`<p class="formula eq">weights[${b}, ${i}, ${j}] = exp(s<sub>${j}</sub>) / Σ<sub>k</sub> exp(s<sub>k</sub>) =
            <span class="engine-weight" data-value=${String(weights[i][j])} title=${String(weights[i][j])}>${formatCell(weights[i][j])}</span></p>`}
      ${j >= n && !isMasked
        ? html`<p class="warn">Key ${j} is a <span class="pad-chip">&lt;pad&gt;</span>: a zero vector, so its score is 0, and exp(0) still takes a share of the row.</p>`
        : nothing}
      ${i >= n ? html`<p class="muted small">Row ${i} is a pad query: its output is computed, then ignored downstream.</p>` : nothing}
      <p class="muted small">Scores ${shape(r.batch.B, L, L)}: only products inside one sentence; sentence ${b}'s words never meet another sentence's.</p>
    </aside>`;
  }

  /** Which rows are pad queries, and what the pads take without the mask. */
  private renderPadding(r: BatchResult) {
    const { B, L, labels, lengths } = r.batch;
    const open = r.padding ? r.noMask! : r.main; // the weights without a mask
    const padded = Array.from({ length: B }, (_, b) => b).filter((b) => lengths[b] < L);
    const padShare = (w: Float32Array, b: number, i: number) => {
      let s = 0;
      for (let j = lengths[b]; j < L; j++) s += w[(b * L + i) * L + j];
      return s;
    };
    return html`<section role="group" class="panel padding-panel" aria-label="Padding">
      <h3>Padding across the batch</h3>
      ${padded.length === 0
        ? html`<p>All sentences have the same length: no pads in this batch.</p>`
        : html`
            <p class="pad-queries">Pad queries (rows whose output is ignored downstream):
              ${padded.map((b) => html`<span class="pq" data-b=${b}>b = ${b}: row${L - lengths[b] > 1 ? 's' : ''} ${Array.from({ length: L - lengths[b] }, (_, k) => lengths[b] + k).join(', ')}</span>`)}.</p>
            <p>A pad is a zero vector, so every query scores it <strong>0</strong>, and softmax gives it exp(0) / Σ: a share of
              every row, taken from the real words. ${r.padding
                ? html`The mask (<code>attn_mask</code> ${shape(B, 1, L)}, True = a word) sets those scores to −∞: weight exactly 0.`
                : html`<strong class="off">The mask is off:</strong> the pads are taking attention now.`}</p>
            <table class="share">
              <thead><tr><th scope="col">query</th><th scope="col">weight on pads, no mask</th><th scope="col">with the mask</th></tr></thead>
              <tbody>
                ${padded.flatMap((b) =>
                  Array.from({ length: lengths[b] }, (_, i) => {
                    const without = padShare(open.weights.data, b, i);
                    const withMask = r.padding ? padShare(r.main.weights.data, b, i) : undefined;
                    return html`<tr data-b=${b} data-i=${i}>
                      <th scope="row"><span class="muted">b = ${b}</span> <span dir="auto">${labels[b][i]}</span></th>
                      <td class="without" data-value=${String(without)}>${(100 * without).toFixed(1)}%</td>
                      <td class="with" data-value=${withMask === undefined ? '' : String(withMask)}>${withMask === undefined ? html`<span class="muted">(mask off)</span>` : `${(100 * withMask).toFixed(1)}%`}</td>
                    </tr>`;
                  }),
                )}
              </tbody>
            </table>`}
    </section>`;
  }

  /** The picked row's weights with and without ÷ √d. */
  private renderScaling(r: BatchResult) {
    const { L, labels, lengths } = r.batch;
    const [b, i] = this.picked;
    const row = (w: Float32Array) => w.slice((b * L + i) * L, (b * L + i + 1) * L);
    const off = r.scaled ? r.alt : r.main;
    const on = r.scaled ? r.main : r.alt;
    const both = new Float32Array([...row(off.weights.data), ...row(on.weights.data)]);
    const mask = r.main.mask ? new Float32Array([...row(r.main.mask.data), ...row(r.main.mask.data)]) : undefined;
    // How peaked the softmax is: the largest weight of each real query row, averaged over the batch.
    const peak = (w: Float32Array) => {
      let s = 0;
      let c = 0;
      lengths.forEach((n, bb) => {
        for (let q = 0; q < n; q++) {
          s += Math.max(...w.subarray((bb * L + q) * L, (bb * L + q + 1) * L));
          c++;
        }
      });
      return s / c;
    };
    return html`<section role="group" class="panel scaling-panel" aria-label="Scaled and unscaled">
      <h3>Scaled and unscaled</h3>
      <p>A score is a sum of d products, so it grows with d, and the softmax of large scores puts nearly all the weight on
        one key. Dividing by √${r.d} (F.scaled_dot_product_attention's default) keeps it softer. Row ${i} of b = ${b}
        (<span dir="auto">${labels[b][i]}</span>):</p>
      <div class="row">
        <attn-heatmap colormap=${this.colormap} class="compare" .matrix=${both} rows="2" cols=${L} .rowLabels=${['no scaling', `÷ √${r.d}`]}
          .colLabels=${labels[b]} .mask=${mask} .domain=${[0, 1] as [number, number]} max-size="300" row-title="Variant" caption="weights[${b}, ${i}]"></attn-heatmap>
        <p class="peak">Largest weight per row, averaged over the real words:
          <span class="peak-off" data-value=${String(peak(off.weights.data))}>no scaling <b>${peak(off.weights.data).toFixed(3)}</b></span>,
          <span class="peak-on" data-value=${String(peak(on.weights.data))}>÷ √${r.d} <b>${peak(on.weights.data).toFixed(3)}</b></span>.
          <span class="muted">Try d = 4: the gap grows.</span></p>
      </div>
    </section>`;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .lead { margin: 0 0 10px; }
      code { font: 12.5px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      .controls { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; margin-bottom: 10px; }
      .text { display: flex; flex-direction: column; gap: 4px; flex: 1 1 280px; font-size: 12.5px; font-weight: 600; }
      textarea { font: 13.5px/1.45 system-ui, sans-serif; background: var(--w-input-bg); color: var(--w-fg);
        border: 1px solid var(--w-border); border-radius: 8px; padding: 6px 8px; resize: vertical; }
      .toggles { display: flex; flex-direction: column; gap: 8px; font-size: 13px; }
      .toggle-row { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
      .dsel { display: inline-flex; gap: 6px; align-items: center; }
      select { background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
      .code { background: var(--w-code-bg); border-radius: 10px; padding: 8px 12px; margin: 0 0 14px; overflow-x: auto; }
      .code .line { display: flex; flex-wrap: wrap; gap: 2px 16px; align-items: baseline; padding: 3px 0; border-bottom: 1px dashed var(--w-border); }
      .code .line:last-child { border-bottom: 0; }
      .code .src { background: none; padding: 0; font-size: 13px; flex: 0 0 auto; min-width: min(25em, 100%); white-space: pre; }
      .shapes { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12.5px; }
      .shape code { background: none; padding: 0; color: var(--w-muted); font-size: 12px; }
      .shape b { font: 600 12.5px ui-monospace, monospace; color: var(--w-accent); white-space: nowrap; }
      .note { font-size: 12px; }
      .tabs { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: -1px; position: relative; z-index: 1; }
      .tabs button { border-radius: 8px 8px 0 0; border-bottom-color: transparent; font-size: 12.5px; max-width: 260px;
        overflow: hidden; text-overflow: ellipsis; white-space: nowrap; background: var(--w-code-bg); }
      .tabs button[aria-selected='true'] { background: var(--w-bg); border-color: var(--w-accent); border-bottom-color: var(--w-bg); }
      .tab-text { color: var(--w-muted); margin-left: 4px; }
      .stack { position: relative; margin: 0 14px 14px 0; }
      .card { position: relative; border: 1px solid var(--w-accent); border-radius: 0 10px 10px 10px; padding: 10px 12px; background: var(--w-bg); min-width: 0; }
      /* The other batch elements, as cards behind this one. */
      .depth-1 .card { box-shadow: 5px 5px 0 -1px var(--w-bg), 5px 5px 0 0 var(--w-border); }
      .depth-2 .card { box-shadow: 5px 5px 0 -1px var(--w-bg), 5px 5px 0 0 var(--w-border), 10px 10px 0 -1px var(--w-bg), 10px 10px 0 0 var(--w-border); }
      .depth-3 .card { box-shadow: 5px 5px 0 -1px var(--w-bg), 5px 5px 0 0 var(--w-border), 10px 10px 0 -1px var(--w-bg), 10px 10px 0 0 var(--w-border),
        15px 15px 0 -1px var(--w-bg), 15px 15px 0 0 var(--w-border); }
      h3 { font-size: 13.5px; margin: 0 0 6px; }
      h4 { font-size: 13px; margin: 0 0 6px; }
      .chips { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 8px; }
      .chip, .pad-chip { font-size: 12.5px; padding: 0 6px; border-radius: 6px; unicode-bidi: isolate; }
      .chip { background: var(--w-chip-bg); }
      .pad-chip { border: 1px dashed var(--w-muted); color: var(--w-muted); font-size: 12px; }
      .row { display: flex; flex-wrap: wrap; gap: 12px 22px; align-items: flex-start; margin-bottom: 12px; }
      .row:last-child { margin-bottom: 0; }
      attn-matrix { max-width: 100%; overflow-x: auto; }
      attn-matrix.pick { cursor: pointer; }
      attn-heatmap.weights { width: 300px; max-width: 100%; }
      attn-heatmap.compare { width: 340px; max-width: 100%; }
      .dot { flex: 1 1 300px; min-width: 0; background: var(--w-code-bg); border-radius: 10px; padding: 10px 12px; font-size: 13px; }
      .dot p { margin: 0 0 4px; }
      .eq { overflow-wrap: anywhere; }
      .pickers { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; }
      .pickers label { display: inline-flex; gap: 5px; align-items: center; }
      .warn { color: var(--w-error); }
      .small { font-size: 12px; margin: 4px 0 0; }
      .panel { border-top: 1px solid var(--w-border); padding-top: 10px; margin-top: 12px; font-size: 13.5px; }
      .panel p { margin: 0 0 8px; max-width: 80ch; }
      .pq { margin-left: 6px; background: var(--w-code-bg); border-radius: 6px; padding: 0 6px; }
      .off { color: var(--w-error); }
      table.share { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
      .share th, .share td { padding: 2px 10px; border-bottom: 1px solid var(--w-border); text-align: right; }
      .share th[scope='row'], .share thead th:first-child { text-align: left; font-weight: 500; }
      .share thead th { font-weight: 600; font-size: 12px; color: var(--w-muted); }
      .peak { flex: 1 1 240px; margin: 0; }
      .foot { font-size: 12px; margin: 12px 0 0; }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-batch': AttnBatch;
  }
}
