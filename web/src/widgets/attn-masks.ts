// <attn-masks>: padding and causal masks on a batch of sentences of different lengths.
//
// The sentences are split into words and padded to the longest with <pad>. ONE nn.MultiheadAttention call runs
// the whole batch [B, S, E] (one head, seeded parameters from seeded-layers.ts) with
//   key_padding_mask [B, S]   boolean, True = a pad: no query may attend to it (hides columns)
//   is_causal                 query i may attend to keys 0..i only (hides the upper triangle)
// and its trace gives, per sentence, the combined additive mask (trace.mask [B, 1, S, S]: 0 or −∞) and the
// weights (trace.weights [B, 1, S, S]). With causal masking and LEFT padding, a pad query at the start has
// every key masked: softmax would be 0/0 = NaN; the engine gives all-zero weights and a zero output instead.
//
// State (attributes): sentences ("|"-separated), causal, padding (the key padding mask), pad-side (right|left).
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import '../components/attn-heatmap';
import type { MatrixExport } from '../export/export';
import { registerWidget } from './registry';
import { MASKS, boolAttribute, masksBatch, masksCall, type MasksBatch } from './seeded-layers';
import { masksScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

registerWidget('attn-masks', 'Masks');

const DEFAULT_SENTENCES = 'the cat sat|a dog barked at the mailman|hello';

interface SentenceResult {
  weights: Float32Array; // [S, S]
  mask?: Float32Array; // [S, S], 0 or -Infinity; absent when nothing is masked
  heads: Float32Array; // [S, Dh]: weights · V, before out_proj
  fullyMasked: number[]; // query rows whose keys are all masked
}

interface MasksResult {
  batch: MasksBatch;
  sentences: SentenceResult[];
  hasNaN: boolean;
}

@customElement('attn-masks')
export class AttnMasks extends WidgetBase {
  static override widgetTag = 'attn-masks';
  static override stateKeys = ['sentences', 'causal', 'padding', 'pad-side'];

  /** The batch, sentences separated by "|". */
  @property({ reflect: true }) sentences = DEFAULT_SENTENCES;
  /** Causal mask (is_causal): query i sees keys 0..i. */
  @property({ reflect: true, converter: boolAttribute }) causal = false;
  /** Key padding mask: pads are hidden from every query. */
  @property({ reflect: true, converter: boolAttribute }) padding = true;
  /** Where the pads go: "right" (after the words) or "left" (before them, as for batched generation). */
  @property({ reflect: true, attribute: 'pad-side' }) padSide: 'right' | 'left' = 'right';

  @state() private result?: MasksResult;

  get widgetTitle() {
    return 'Masks';
  }

  protected async compute() {
    const batch = masksBatch(this.sentences, this.padSide === 'left');
    if (batch.B === 0) {
      this.result = { batch, sentences: [], hasNaN: false };
    } else {
      const r = await this.call('mha', masksCall(batch, this.causal, this.padding));
      const { S } = batch;
      const trace = r.trace!;
      const Dh = trace.heads.shape[3];
      const sentences = batch.labels.map((_, b) => {
        const weights = trace.weights.data.slice(b * S * S, (b + 1) * S * S);
        const mask = trace.mask?.data.slice(b * S * S, (b + 1) * S * S);
        const fullyMasked: number[] = [];
        if (mask) for (let i = 0; i < S; i++) if (mask.subarray(i * S, (i + 1) * S).every((m) => m === -Infinity)) fullyMasked.push(i);
        return { weights, mask, heads: trace.heads.data.slice(b * S * Dh, (b + 1) * S * Dh), fullyMasked };
      });
      this.result = { batch, sentences, hasNaN: trace.weights.data.some(Number.isNaN) };
    }
  }

  /** The PyTorch button's script: the same batched nn.MultiheadAttention call, masks and all. */
  override pytorchScript(): string {
    const batch = masksBatch(this.sentences, this.padSide === 'left');
    return batch.B ? masksScript(batch.labels, masksCall(batch, this.causal, this.padding)) : '';
  }

  protected override exportables(): MatrixExport[] {
    const r = this.result;
    if (!r) return [];
    const { S } = r.batch;
    return r.sentences.flatMap((s, b) => {
      const labels = r.batch.labels[b];
      const base = { rows: S, cols: S, rowLabels: labels, colLabels: labels, rowTitle: 'Query', colTitle: 'Key' };
      return [
        { ...base, title: `Sentence ${b + 1}: mask (0 or −∞)`, matrix: s.mask ?? new Float32Array(S * S), colormap: 'greys', domain: [-1, 0] },
        { ...base, title: `Sentence ${b + 1}: weights`, matrix: s.weights, mask: s.mask, domain: [0, 1] },
      ] as MatrixExport[];
    });
  }

  private change(next: Partial<Pick<AttnMasks, 'causal' | 'padding' | 'padSide' | 'sentences'>>) {
    Object.assign(this, next);
    void this.stateChanged();
  }

  private onText(ev: Event) {
    // One sentence per line in the box; "|" separates them in the attribute.
    const text = (ev.target as HTMLTextAreaElement).value;
    this.change({ sentences: text.replace(/\|/g, ' ').split('\n').join('|') });
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    return html`
      <p class="lead">
        A batch holds sentences of different lengths, so the short ones are padded with
        <span class="pad-chip">&lt;pad&gt;</span>. A mask adds −∞ to the scores it hides, so their weights are 0:
        <span class="formula">softmax(QKᵀ/√d + M)</span>.
      </p>
      ${this.renderControls()}
      ${this.renderNotices()}
      ${this.result && this.result.batch.B > 0 ? this.renderResult(this.result) : nothing}
    `;
  }

  private renderControls() {
    return html`<div class="controls">
      <label class="text">
        <span>Sentences, one per line</span>
        <textarea rows="3" spellcheck="false" .value=${this.sentences.split('|').join('\n')} @input=${this.onText}></textarea>
      </label>
      <div class="toggles">
        <div class="toggle-row" role="group" aria-label="Masks">
          <button class="padding" aria-pressed=${this.padding} @click=${() => this.change({ padding: !this.padding })}>Padding mask</button>
          <button class="causal" aria-pressed=${this.causal} @click=${() => this.change({ causal: !this.causal })}>Causal mask</button>
        </div>
        <div class="toggle-row" role="group" aria-label="Pad on the">
          <span class="muted">Pad on the</span>
          <button class="pad-right" aria-pressed=${this.padSide !== 'left'} @click=${() => this.change({ padSide: 'right' })}>right</button>
          <button class="pad-left" aria-pressed=${this.padSide === 'left'} @click=${() => this.change({ padSide: 'left' })}>left</button>
        </div>
        <button class="demo" @click=${() => this.change({ causal: true, padding: true, padSide: 'left' })}>
          Show a row with every key masked
        </button>
      </div>
    </div>`;
  }

  private renderNotices() {
    const r = this.result;
    if (!r) return nothing;
    const notes: string[] = [];
    if (r.batch.B === 0) notes.push('Type at least one sentence (one per line).');
    if (r.batch.cut.sentences) notes.push(`Only the first ${MASKS.maxSentences} sentences are shown.`);
    if (r.batch.cut.tokens) notes.push(`Sentences are cut at ${MASKS.maxTokens} words.`);
    return notes.length ? html`<p class="notice" role="status">${notes.join(' ')}</p>` : nothing;
  }

  private renderResult(r: MasksResult) {
    return html`
      <ul class="legend-rules">
        <li><strong>Padding mask</strong> <code>key_padding_mask</code> [B, S], True = pad: hides pad <em>keys</em> (columns) from every query.
          ${this.padding ? nothing : html`<span class="off">Off: queries attend to the pads too.</span>`}</li>
        <li><strong>Causal mask</strong> <code>is_causal</code>: query <i>i</i> sees keys 0…<i>i</i> only (the upper triangle is hidden).</li>
        <li>Combined, a cell is masked if <em>either</em> mask hides it. Hatched cells below are masked.</li>
        <li>The padding mask hides pad <em>keys</em>, not pad <em>queries</em>: a pad's own row is still computed, and
          later ignored (the loss skips pads).</li>
      </ul>
      <div class="sentences">
        ${r.sentences.map((s, b) => this.renderSentence(r.batch, s, b))}
        ${this.renderRule(r)}
      </div>
    `;
  }

  private renderSentence(batch: MasksBatch, s: SentenceResult, b: number) {
    const labels = batch.labels[b];
    const pads = batch.S - batch.lengths[b];
    const masked = s.mask ? s.mask.reduce((n, m) => n + (m === -Infinity ? 1 : 0), 0) : 0;
    return html`<section role="group" class="sentence" data-index=${b} aria-label="Sentence ${b + 1}">
      <h3>Sentence ${b + 1} <span class="muted">· ${batch.lengths[b]} word${batch.lengths[b] === 1 ? '' : 's'}${pads ? ` + ${pads} pad${pads === 1 ? '' : 's'}` : ''}</span></h3>
      <div class="chips">${labels.map((w) => html`<span class=${w === MASKS.pad ? 'pad-chip' : 'chip'} dir="auto">${w}</span>`)}</div>
      <attn-heatmap colormap=${this.colormap}
        class="weights"
        data-index=${b}
        .matrix=${s.weights}
        rows=${batch.S}
        cols=${batch.S}
        .rowLabels=${labels}
        .colLabels=${labels}
        .mask=${s.mask}
        .domain=${[0, 1] as [number, number]}
        max-size="300"
        caption="Weights"
      ></attn-heatmap>
      <p class="muted small">${masked} of ${batch.S * batch.S} cells masked${
        s.fullyMasked.length ? html` · <strong class="full">${s.fullyMasked.length} row${s.fullyMasked.length === 1 ? '' : 's'} with every key masked</strong>` : nothing
      }</p>
    </section>`;
  }

  /** The fully-masked-row rule, with the engine's numbers for the first such row. */
  private renderRule(r: MasksResult) {
    const b = r.sentences.findIndex((s) => s.fullyMasked.length > 0);
    const nan = html`<p class="nan-check">NaN anywhere in the weights: <strong data-nan=${r.hasNaN}>${r.hasNaN ? 'yes' : 'no'}</strong></p>`;
    if (b < 0)
      return html`<aside class="rule">
        <h3>A row with every key masked</h3>
        <p>No query here has all its keys masked. With the <em>causal</em> mask and pads on the <em>left</em>, a pad at the
          start may only look at itself and earlier pads, which the padding mask hides.</p>
        ${nan}
      </aside>`;
    const s = r.sentences[b];
    const i = s.fullyMasked[0];
    const S = r.batch.S;
    const Dh = s.heads.length / S;
    const row = Array.from(s.weights.subarray(i * S, (i + 1) * S));
    const out = Array.from(s.heads.subarray(i * Dh, (i + 1) * Dh));
    return html`<aside class="rule has-row">
      <h3>A row with every key masked</h3>
      <p>Sentence ${b + 1}, query ${i} (<span class="pad-chip">${r.batch.labels[b][i]}</span>): every score is −∞, and
        softmax(−∞, …, −∞) would be 0/0&nbsp;=&nbsp;NaN. The engine instead returns all-zero weights and a zero output,
        as PyTorch's <code>_safe_softmax</code> does, so one empty row cannot spread NaN through the batch.</p>
      <dl>
        <dt>weights</dt>
        <dd class="vec weights-row" data-sentence=${b} data-row=${i}>${row.map((v) => html`<span data-value=${String(v)}>${fmt(v)}</span>`)}</dd>
        <dt>output <span class="muted">(weights · V)</span></dt>
        <dd class="vec output-row">${out.map((v) => html`<span data-value=${String(v)}>${fmt(v)}</span>`)}</dd>
      </dl>
      ${nan}
    </aside>`;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .lead { margin: 0 0 10px; }
      .formula { white-space: nowrap; }
      .controls { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; margin-bottom: 10px; }
      .text { display: flex; flex-direction: column; gap: 4px; flex: 1 1 280px; font-size: 12.5px; font-weight: 600; }
      textarea { font: 13.5px/1.45 system-ui, sans-serif; background: var(--w-input-bg); color: var(--w-fg);
        border: 1px solid var(--w-border); border-radius: 8px; padding: 6px 8px; resize: vertical; }
      .toggles { display: flex; flex-direction: column; gap: 8px; }
      .toggle-row { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
      .demo { align-self: flex-start; border-style: dashed; }
      .notice { background: var(--w-code-bg); border-radius: 8px; padding: 6px 10px; margin: 0 0 8px; font-size: 13px; }
      .legend-rules { margin: 0 0 12px; padding-left: 18px; font-size: 13px; }
      .legend-rules li { margin: 2px 0; }
      .off { color: var(--w-muted); margin-left: 4px; }
      code { font: 12.5px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      .sentences { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px; }
      .sentence, .rule { border: 1px solid var(--w-border); border-radius: 10px; padding: 10px 12px; min-width: 0; }
      h3 { font-size: 13.5px; margin: 0 0 6px; }
      .chips { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 6px; }
      .chip, .pad-chip { font-size: 12.5px; padding: 0 6px; border-radius: 6px; unicode-bidi: isolate; max-width: 100%; overflow-wrap: anywhere; }
      .chip { background: var(--w-chip-bg); }
      .pad-chip { border: 1px dashed var(--w-muted); color: var(--w-muted); font-size: 12px; }
      .small { font-size: 12px; margin: 4px 0 0; }
      .full { color: var(--w-accent); }
      .rule { background: var(--w-code-bg); font-size: 13px; }
      .rule.has-row { border-color: var(--w-accent); }
      .rule p { margin: 0 0 8px; }
      dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 10px; margin: 0 0 8px; align-items: baseline; }
      dt { font-weight: 600; font-size: 12.5px; }
      dd { margin: 0; }
      .vec { display: flex; flex-wrap: wrap; gap: 3px; font: 12px ui-monospace, monospace; }
      .vec span { background: var(--w-bg); border: 1px solid var(--w-border); border-radius: 4px; padding: 0 4px; }
      .nan-check { font-size: 12.5px; }
    `,
  ];
}

function fmt(v: number) {
  if (Number.isNaN(v)) return 'NaN';
  return v === 0 ? '0' : v.toFixed(3);
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-masks': AttnMasks;
  }
}
