// <attn-positional>: "Positional encodings", in three steps.
//   1. The sinusoidal table of Vaswani et al. (positions x dimensions), from the engine's positionalEncoding.
//   2. Which positions look alike: the dot products PE PE^T (L x L). The engine computes them with one trick:
//      scaled_dot_product_attention(query = key = value = PE, scaled: false) returns `scores` = PE PE^T exactly.
//      A button loads a trained model's learned position table and shows its dot products beside them.
//   3. Take the positions away: the explorer's untrained encoder reads a sentence and a shuffled copy of it.
//      Without positions, the shuffled attention is the original one with its rows and columns permuted;
//      with sinusoidal positions it is not.
//
// State (attributes): length, d-model, learned ('' | 'lm' | 'tagger'), text, shuffle-seed, pe ('none' |
// 'sinusoidal'), head (1-based).
import { css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import '../components/attn-heatmap';
import { Superseded } from '../engine/client';
import { onModelStatus } from '../engine/shared';
import type { MatrixExport } from '../export/export';
import { DEFAULT_SETTINGS, modelConfig, tokenIds } from '../state/store';
import { splitWords } from '../text/words';
import { registerWidget } from './registry';
import { inversePermutation, seededPermutation } from './seeded-inputs';
import { positionalScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

const TAG = 'attn-positional';
const TITLE = 'Positional encodings';
registerWidget(TAG, TITLE);

const MAX_LENGTH = 512;
const MAX_D_MODEL = 512;
/** Words the shuffle experiment reads (three heatmaps side by side stay readable). */
const MAX_WORDS = 24;
/** The untrained encoder of the explorer's "Untrained" model, with its default settings and seed. */
const SHUFFLE_SETTINGS = DEFAULT_SETTINGS;
/** Colormap of signed matrices. attn-heatmap has no diverging map yet; cividis (blue to yellow) reads best. */
const SIGNED_MAP = 'rdbu'; // diverging: blue below 0, white at 0, red above

const LEARNED: Record<'lm' | 'tagger', string> = { lm: 'the language model', tagger: 'the part-of-speech tagger' };
type LearnedId = keyof typeof LEARNED;

interface Table {
  key: string;
  length: number;
  dModel: number;
  pe: Float32Array; // [length, d_model]
  sim: Float32Array; // [length, length] = PE PE^T
}

interface LearnedTable {
  model: LearnedId;
  positions: number;
  dims: number;
  sim: Float32Array; // [positions, positions]
  maxAbs: number;
}

interface Shuffle {
  key: string;
  words: string[];
  perm: number[]; // shuffled[r] = words[perm[r]]
  heads: number;
  original: Float32Array; // layer 1 weights [H, L, L]
  shuffled: Float32Array; // [H, L, L], in the shuffled order
  restored: Float32Array; // shuffled with rows and columns put back in the original order
  maxDiff: number; // max |original - restored| over every head
}

/** An integer attribute kept in range: the value to use and, when the attribute was unusable, why. */
function intInRange(v: number, lo: number, hi: number, fallback: number, name: string): [number, string] {
  if (!Number.isFinite(v)) return [fallback, `${name} must be a number from ${lo} to ${hi}: showing ${fallback}.`];
  const r = Math.min(hi, Math.max(lo, Math.round(v)));
  return [r, r === v ? '' : `${name} must be a whole number from ${lo} to ${hi}: showing ${r}.`];
}

/** Largest |value|, for a colour range symmetric around 0. */
function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/** Scientific notation a student can read: 1.2 × 10⁻⁷. */
export function formatDiff(v: number): string {
  if (v === 0) return '0';
  if (v >= 1e-3) return v.toPrecision(2);
  const [m, e] = v.toExponential(1).split('e');
  const sup: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
  return `${m} × 10${[...String(Number(e))].map((c) => sup[c]).join('')}`;
}

/** Attention weights this far apart are equal up to float32 rounding (1 ulp of 1.0 is 1.2e-7). */
export const ROUNDING = 1e-6;

@customElement(TAG)
export class AttnPositional extends WidgetBase {
  static override widgetTag = TAG;
  static override stateKeys = ['length', 'd-model', 'learned', 'text', 'shuffle-seed', 'pe', 'head'];

  /** Positions (rows) of the table, 1..512. */
  @property({ type: Number, reflect: true }) length = 64;
  /** Dimensions (columns) of the table, even, 2..512. */
  @property({ type: Number, reflect: true, attribute: 'd-model' }) dModel = 128;
  /** The trained model whose learned positions are compared ('' = not shown). */
  @property({ reflect: true }) learned: '' | LearnedId = '';
  /** The sentence of the shuffle experiment. */
  @property({ reflect: true }) text = 'the cat sat on the mat';
  /** Seed of the word order's permutation. */
  @property({ type: Number, reflect: true, attribute: 'shuffle-seed' }) shuffleSeed = 1;
  /** Positions added to the untrained model's input in the shuffle experiment. */
  @property({ reflect: true }) pe: 'none' | 'sinusoidal' = 'none';
  /** Which head of layer 1 the shuffle experiment shows (1-based). */
  @property({ type: Number, reflect: true }) head = 1;

  @state() private table?: Table;
  @state() private learnedTable?: LearnedTable;
  @state() private learnedProgress = -1; // 0..1 while a model loads, -1 otherwise
  @state() private learnedError = '';
  @state() private shuffle?: Shuffle;

  private unsubscribeModels?: () => void;

  get widgetTitle() {
    return TITLE;
  }

  override connectedCallback() {
    super.connectedCallback();
    this.unsubscribeModels = onModelStatus((s) => {
      if (s.model !== this.learned || this.learnedTable?.model === s.model) return;
      if (s.state === 'loading') this.learnedProgress = s.total ? s.loaded / s.total : 0;
    });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.unsubscribeModels?.();
  }

  // ------------------------------------------------------------------------------------------- inputs
  private get size() {
    const [length, lengthNote] = intInRange(this.length, 1, MAX_LENGTH, 64, 'length');
    const [raw, dNote] = intInRange(this.dModel, 2, MAX_D_MODEL, 128, 'd_model');
    const dModel = Math.min(MAX_D_MODEL, raw + (raw % 2));
    const note = dNote || (dModel !== raw ? `d_model must be even (sin and cos come in pairs): showing ${dModel}.` : '');
    return { length, dModel, notes: [lengthNote, note].filter(Boolean) };
  }

  private get words() {
    const { tokens, truncated } = splitWords(this.text ?? '', MAX_WORDS);
    return { words: tokens.map((t) => t.text), truncated };
  }

  private get seed() {
    return Number.isFinite(this.shuffleSeed) ? Math.abs(Math.round(this.shuffleSeed)) % 2 ** 31 : 1;
  }

  private get headIndex() {
    const H = SHUFFLE_SETTINGS.nhead;
    return Number.isFinite(this.head) ? Math.min(H, Math.max(1, Math.round(this.head))) - 1 : 0;
  }

  // ------------------------------------------------------------------------------------------ compute
  protected async compute() {
    await Promise.all([this.computeTable(), this.computeLearned(), this.computeShuffle()]);
  }

  private async computeTable() {
    const { length, dModel } = this.size;
    const key = `${length}x${dModel}`;
    if (this.table?.key === key) return;
    const pe = await this.call('positionalEncoding', { length, d_model: dModel }, 'pe');
    // scores = query · keyᵀ, unscaled: PE PE^T, computed by the engine.
    const { scores } = await this.call('sdpa', { query: pe, key: pe, value: pe, scaled: false }, 'pe-sim');
    this.table = { key, length, dModel, pe: pe.data, sim: scores.data };
  }

  private async computeLearned() {
    const model = this.learned;
    if (!model || !(model in LEARNED)) return;
    if (this.learnedTable?.model === model) return;
    if (this.learnedError) return; // failed: the button retries (it clears the error)
    this.learnedProgress = 0;
    try {
      const P = await this.call('trainedParameter', { model, name: 'pos_embed.weight' }, 'learned');
      const { scores } = await this.call('sdpa', { query: P, key: P, value: P, scaled: false }, 'learned-sim');
      this.learnedTable = { model, positions: P.shape[0], dims: P.shape[1], sim: scores.data, maxAbs: maxAbs(scores.data) };
    } catch (e) {
      if (e instanceof Superseded) throw e;
      if (this.learned === model) this.learnedError = `Could not load the learned positions of ${LEARNED[model]}: ${(e as Error).message}`;
    } finally {
      this.learnedProgress = -1;
    }
  }

  private async computeShuffle() {
    const { words } = this.words;
    const positional = this.pe === 'sinusoidal';
    const key = JSON.stringify([words, this.seed, positional]);
    if (this.shuffle?.key === key) return;
    if (words.length < 2) {
      this.shuffle = undefined;
      return;
    }
    const perm = seededPermutation(words.length, this.seed);
    const config = modelConfig({ ...SHUFFLE_SETTINGS, positional });
    const seed = SHUFFLE_SETTINGS.seed;
    const [a, b] = await Promise.all([
      this.call('modelAttention', { config, seed, ids: Array.from(tokenIds(words)) }, 'original'),
      this.call('modelAttention', { config, seed, ids: Array.from(tokenIds(perm.map((p) => words[p]))) }, 'shuffled'),
    ]);
    const original = a.weights[0].data; // layer 1: [1, H, L, L]
    const shuffled = b.weights[0].data;
    const L = words.length;
    const H = a.weights[0].shape[1];
    // Original row i is shuffled row inv[i]: read the shuffled matrix back in the original order.
    const inv = inversePermutation(perm);
    const restored = new Float32Array(H * L * L);
    let maxDiff = 0;
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++)
        for (let j = 0; j < L; j++) {
          const v = shuffled[(h * L + inv[i]) * L + inv[j]];
          restored[(h * L + i) * L + j] = v;
          maxDiff = Math.max(maxDiff, Math.abs(v - original[(h * L + i) * L + j]));
        }
    this.shuffle = { key, words, perm, heads: H, original, shuffled, restored, maxDiff };
  }

  // ------------------------------------------------------------------------------------------ actions
  private setNumber(prop: 'length' | 'dModel', ev: Event, lo: number, hi: number) {
    const input = ev.target as HTMLInputElement;
    let v = Math.round(Number(input.value));
    if (input.value.trim() === '' || !Number.isFinite(v)) v = this[prop];
    v = Math.min(hi, Math.max(lo, v));
    if (prop === 'dModel') v = Math.min(hi, v + (v % 2));
    input.value = String(v);
    this[prop] = v;
    void this.stateChanged();
  }

  private compare(model: '' | LearnedId) {
    this.learned = model;
    this.learnedError = '';
    void this.stateChanged();
  }

  /** A new seed whose permutation differs from the one shown. */
  private reshuffle() {
    const n = this.words.words.length;
    const current = seededPermutation(n, this.seed).join();
    let s = this.seed;
    do s = (s + 1) % 2 ** 31;
    while (n > 2 && seededPermutation(n, s).join() === current && s !== this.seed + 100);
    this.shuffleSeed = s;
    void this.stateChanged();
  }

  // ------------------------------------------------------------------------------------------ exports
  /** The PyTorch button's script: the sinusoidal table and PE PEᵀ (the learned and shuffle parts need whole models). */
  override pytorchScript(): string {
    const { length, dModel } = this.size;
    return positionalScript(length, dModel);
  }

  protected override exportables(): MatrixExport[] {
    const out: MatrixExport[] = [];
    const t = this.table;
    if (t) {
      const pos = positionLabels(t.length);
      out.push(
        { title: `Sinusoidal encoding PE (${t.length} × ${t.dModel})`, matrix: t.pe, rows: t.length, cols: t.dModel, rowLabels: pos, colLabels: dimLabels(t.dModel), rowTitle: 'Position', colTitle: 'Dimension', colormap: SIGNED_MAP, domain: [-1, 1] },
        { title: `Similarity PE·PEᵀ (${t.length} × ${t.length})`, matrix: t.sim, rows: t.length, cols: t.length, rowLabels: pos, colLabels: pos, rowTitle: 'Position', colTitle: 'Position', colormap: SIGNED_MAP, domain: [-t.dModel / 2, t.dModel / 2] },
      );
    }
    const l = this.learnedTable;
    if (l && this.learned === l.model) {
      const pos = positionLabels(l.positions);
      out.push({ title: `Learned positions of ${LEARNED[l.model]}: similarity (${l.positions} × ${l.positions})`, matrix: l.sim, rows: l.positions, cols: l.positions, rowLabels: pos, colLabels: pos, rowTitle: 'Position', colTitle: 'Position', colormap: SIGNED_MAP, domain: [-l.maxAbs, l.maxAbs] });
    }
    const s = this.shuffle;
    if (s) {
      const h = this.headIndex;
      const shuffledWords = s.perm.map((p) => s.words[p]);
      const base = { rows: s.words.length, cols: s.words.length, rowTitle: 'Query', colTitle: 'Key' };
      out.push(
        { ...base, title: `Layer 1, head ${h + 1}: original order`, matrix: head3(s.original, h, s.words.length), rowLabels: s.words, colLabels: s.words },
        { ...base, title: `Layer 1, head ${h + 1}: shuffled order`, matrix: head3(s.shuffled, h, s.words.length), rowLabels: shuffledWords, colLabels: shuffledWords },
        { ...base, title: `Layer 1, head ${h + 1}: shuffled, put back in order`, matrix: head3(s.restored, h, s.words.length), rowLabels: s.words, colLabels: s.words },
      );
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    return html`${this.renderTable()} ${this.renderSimilarity()} ${this.renderShuffle()}`;
  }

  private renderTable() {
    const { length, dModel, notes } = this.size;
    const t = this.table;
    return html`<section role="group" class="step" aria-labelledby="s1">
      <h3 id="s1"><span class="num">1</span> A vector for every position</h3>
      <p>
        Attention by itself has no idea of order. The original Transformer adds to each token's embedding a vector
        that depends only on its position <var>pos</var>, with sines and cosines of decreasing frequency:
      </p>
      <p class="formula" aria-label="PE of pos, 2i equals sine of pos over 10000 to the power 2i over d; PE of pos, 2i plus 1 equals cosine of the same">
        PE(<var>pos</var>, 2<var>i</var>) = sin(<var>pos</var> / 10000<sup>2<var>i</var>/<var>d</var></sup>)
        <span class="sep"></span>
        PE(<var>pos</var>, 2<var>i</var>+1) = cos(<var>pos</var> / 10000<sup>2<var>i</var>/<var>d</var></sup>)
      </p>
      <div class="controls">
        <label><span>positions <var>L</var></span>
          <input name="length" type="number" min="1" max=${MAX_LENGTH} step="1" .value=${String(length)}
            @change=${(e: Event) => this.setNumber('length', e, 1, MAX_LENGTH)} /></label>
        <label><span>dimensions <var>d</var></span>
          <input name="d-model" type="number" min="2" max=${MAX_D_MODEL} step="2" .value=${String(dModel)}
            @change=${(e: Event) => this.setNumber('dModel', e, 2, MAX_D_MODEL)} /></label>
      </div>
      ${notes.map((n) => html`<p class="note" role="status">${n}</p>`)}
      ${t
        ? html`<attn-heatmap class="pe" .matrix=${t.pe} rows=${t.length} cols=${t.dModel} .rowLabels=${positionLabels(t.length)}
              .colLabels=${dimLabels(t.dModel)} row-title="Position" col-title="Dimension" colormap=${SIGNED_MAP} kind="values" .domain=${[-1, 1]}
              caption="PE (values from −1 to 1)" max-size="560"></attn-heatmap>
            <p class="caption">
              Each row is the vector added at that position. The left columns swing fast (dimension 0 turns once every
              2π ≈ 6.3 positions), the right ones barely move: like the hands of a clock, together they give every
              position its own pattern.
            </p>`
        : this.placeholder()}
    </section>`;
  }

  private renderSimilarity() {
    const t = this.table;
    const l = this.learned ? this.learnedTable : undefined;
    const shownLearned = l && l.model === this.learned ? l : undefined;
    const loading = !!this.learned && !shownLearned && !this.learnedError;
    return html`<section role="group" class="step" aria-labelledby="s2">
      <h3 id="s2"><span class="num">2</span> Which positions look alike?</h3>
      <p>
        The dot product PE(<var>p</var>)·PE(<var>q</var>) measures how alike two positions look to attention.
        <strong>Nearby positions are similar, and the similarity depends only on the offset</strong>
        <var>q</var> − <var>p</var>: every diagonal of this matrix holds one value, Σ<sub><var>i</var></sub> cos((<var>q</var>−<var>p</var>)·ω<sub><var>i</var></sub>).
      </p>
      <div class="pair">
        <div class="panel">
          ${t
            ? html`<attn-heatmap class="pe-sim" .matrix=${t.sim} rows=${t.length} cols=${t.length} .rowLabels=${positionLabels(t.length)}
                .colLabels=${positionLabels(t.length)} row-title="Position" col-title="Position" colormap=${SIGNED_MAP} kind="values"
                .domain=${[-t.dModel / 2, t.dModel / 2]} caption="Sinusoidal: PE·PEᵀ" max-size="420"></attn-heatmap>
                <p class="caption">
                  The diagonal is <var>d</var>/2 = ${t.dModel / 2} (sin² + cos² = 1 for each pair of dimensions). The slow
                  dimensions barely change over a few dozen positions, so they add about the same to every pair: the
                  contrast comes from the fast ones.
                </p>`
            : this.placeholder()}
        </div>
        <div class="panel learned">
          ${shownLearned
            ? html`<attn-heatmap class="learned-sim" .matrix=${shownLearned.sim} rows=${shownLearned.positions} cols=${shownLearned.positions}
                  .rowLabels=${positionLabels(shownLearned.positions)} .colLabels=${positionLabels(shownLearned.positions)}
                  row-title="Position" col-title="Position" colormap=${SIGNED_MAP} kind="values" .domain=${[-shownLearned.maxAbs, shownLearned.maxAbs]}
                  caption="Learned: P·Pᵀ" max-size="420"></attn-heatmap>
                <p class="caption">
                  The ${shownLearned.positions} × ${shownLearned.dims} position table that ${LEARNED[shownLearned.model]} learned
                  (it started as random vectors). Each position is most similar to itself: the bright diagonal. Hover the
                  cells beside the diagonal and far from it to see how much training made neighbours alike. Unlike the
                  sinusoidal table, the values are noisy and not the same along each diagonal: nothing forced them to
                  depend only on the offset, and there is no row for a position beyond ${shownLearned.positions - 1}.
                </p>
                <div class="row">
                  ${this.learnedPicker()}
                  <button class="hide-learned" @click=${() => this.compare('')}>Hide</button>
                </div>`
            : html`<div class="learned-empty">
                <p>Models can also <em>learn</em> a vector per position instead (BERT and GPT-2 do).</p>
                <button class="compare" ?disabled=${loading} aria-busy=${loading} @click=${() => this.compare(this.learned || 'lm')}>
                  ${loading ? 'Loading the model…' : 'Compare with learned positions'}
                </button>
                ${loading
                  ? html`<progress max="1" .value=${Math.max(0, this.learnedProgress)} aria-label="Loading the trained model"></progress>`
                  : nothing}
                ${this.learnedError ? html`<p class="w-error" role="alert">${this.learnedError}</p>` : nothing}
                ${this.learned ? this.learnedPicker() : nothing}
              </div>`}
        </div>
      </div>
    </section>`;
  }

  private learnedPicker() {
    return html`<label class="picker">from
      <select name="learned" @change=${(e: Event) => this.compare((e.target as HTMLSelectElement).value as LearnedId)}>
        ${(Object.keys(LEARNED) as LearnedId[]).map((m) => html`<option value=${m} ?selected=${m === this.learned}>${LEARNED[m]}</option>`)}
      </select></label>`;
  }

  private renderShuffle() {
    const { words, truncated } = this.words;
    const s = this.shuffle;
    const h = this.headIndex;
    const positional = this.pe === 'sinusoidal';
    return html`<section role="group" class="step" aria-labelledby="s3">
      <h3 id="s3"><span class="num">3</span> Take the positions away</h3>
      <p>
        An untrained encoder (seeded random weights, ${SHUFFLE_SETTINGS.d_model} dimensions, ${SHUFFLE_SETTINGS.nhead} heads) reads a sentence
        and the same words shuffled. Layer 1's attention, query rows × key columns:
      </p>
      <div class="controls">
        <label class="grow">sentence
          <input name="text" type="text" .value=${this.text ?? ''} maxlength="2000"
            @input=${(e: Event) => {
              this.text = (e.target as HTMLInputElement).value;
              void this.stateChanged();
            }} /></label>
        <button class="shuffle" @click=${() => this.reshuffle()} ?disabled=${words.length < 2}>Shuffle</button>
        <div class="seg" role="group" aria-label="Positions added to the input">
          <button class="pe-none" aria-pressed=${!positional} @click=${() => this.setPe('none')}>no positions</button>
          <button class="pe-sin" aria-pressed=${positional} @click=${() => this.setPe('sinusoidal')}>+ sinusoidal positions</button>
        </div>
        <label>head
          <select name="head" @change=${(e: Event) => {
            this.head = Number((e.target as HTMLSelectElement).value);
            void this.stateChanged();
          }}>
            ${Array.from({ length: SHUFFLE_SETTINGS.nhead }, (_, i) => html`<option value=${i + 1} ?selected=${i === h}>${i + 1}</option>`)}
          </select></label>
      </div>
      ${truncated ? html`<p class="note" role="status">The experiment reads the first ${MAX_WORDS} words.</p>` : nothing}
      ${words.length < 2
        ? html`<p class="empty">Type a sentence of at least two words to shuffle, e.g. “the cat sat on the mat”.</p>`
        : s
          ? this.shuffleViews(s, h, positional)
          : this.placeholder()}
    </section>`;
  }

  private setPe(pe: 'none' | 'sinusoidal') {
    this.pe = pe;
    void this.stateChanged();
  }

  private shuffleViews(s: Shuffle, h: number, positional: boolean) {
    const L = s.words.length;
    const shuffledWords = s.perm.map((p) => s.words[p]);
    const m = [head3(s.original, h, L), head3(s.shuffled, h, L), head3(s.restored, h, L)];
    const hi = Math.max(...m.map(maxAbs));
    const map = (cls: string, matrix: Float32Array, labels: string[], caption: string) =>
      html`<attn-heatmap colormap=${this.colormap} class=${cls} .matrix=${matrix} rows=${L} cols=${L} .rowLabels=${labels} .colLabels=${labels}
        .domain=${[0, hi]} caption=${caption} max-size="300"></attn-heatmap>`;
    const same = s.maxDiff <= ROUNDING;
    const diffText = formatDiff(s.maxDiff);
    return html`<div class="trio">
        <div class="panel">${map('original', m[0], s.words, 'Original order')}</div>
        <div class="panel">${map('shuffled', m[1], shuffledWords, 'Shuffled input')}</div>
        <div class="panel">${map('restored', m[2], s.words, 'Put back in order')}</div>
      </div>
      <p class="check ${same ? 'ok' : 'bad'}" role="status" data-max-diff=${String(s.maxDiff)}>
        ${same
          ? html`<span class="mark" aria-hidden="true">✓</span> <strong>Identical to the original</strong>: max difference
              ${diffText} over all ${s.heads} heads${s.maxDiff > 0 ? html` (float32 rounding: the engine adds the same numbers in another order)` : nothing}.`
          : html`<span class="mark" aria-hidden="true">✗</span> <strong>Not a permutation</strong>: max difference ${diffText}
              over all ${s.heads} heads.`}
      </p>
      <p class="why">
        ${positional
          ? html`<strong>Why:</strong> with positions, a word's vector is <em>word + position</em>. Moving a word changes its
              vector, so the attention pattern itself changes, not just its order. This is how the model can tell
              “dog bites man” from “man bites dog”.`
          : html`<strong>Why:</strong> without positions, attention sees a <em>set</em> of words. Each query and key depends
              only on its word, so permuting the input only permutes the rows and columns. “Dog bites man” and “man bites
              dog” look the same.`}
      </p>`;
  }

  private placeholder(): TemplateResult {
    return html`<div class="placeholder" aria-hidden="true"></div>`;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      .step { border-top: 1px solid var(--w-border); padding: 12px 0 4px; }
      .step:first-of-type { border-top: none; padding-top: 0; }
      h3 { display: flex; align-items: center; gap: 8px; font-size: 14px; margin: 0 0 6px; }
      .num {
        display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%;
        background: var(--w-accent-soft); color: var(--w-fg); font-size: 12.5px; font-weight: 700;
      }
      p { margin: 0 0 8px; max-width: 72ch; }
      .formula { margin: 6px 0 10px; padding: 6px 12px; background: var(--w-code-bg); border-radius: 8px; display: inline-block; }
      .formula .sep { display: inline-block; width: 28px; }
      var { font-style: italic; }
      .controls { display: flex; flex-wrap: wrap; align-items: end; gap: 8px 16px; margin: 4px 0 10px; }
      .controls label, .picker { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--w-muted); }
      .picker { flex-direction: row; align-items: center; gap: 6px; }
      .controls .grow { flex: 1 1 260px; }
      input[type='number'], input[type='text'], select {
        padding: 4px 7px; border-radius: 7px; border: 1px solid var(--w-border); background: var(--w-input-bg);
      }
      input[type='number'] { width: 84px; }
      input[type='text'] { width: 100%; box-sizing: border-box; }
      .seg { display: inline-flex; }
      .seg button:first-child { border-radius: 7px 0 0 7px; }
      .seg button:last-child { border-radius: 0 7px 7px 0; margin-left: -1px; }
      .caption { font-size: 12.5px; color: var(--w-muted); margin-top: 6px; }
      .note { font-size: 12.5px; color: var(--w-error); }
      .pair, .trio { display: grid; gap: 12px 20px; align-items: start; }
      .pair { grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
      .trio { grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); }
      .panel { min-width: 0; }
      .learned-empty {
        border: 1px dashed var(--w-border); border-radius: 10px; padding: 14px; display: flex; flex-direction: column;
        align-items: flex-start; gap: 8px;
      }
      .learned-empty p { margin: 0; }
      button.compare { background: var(--w-accent); border-color: var(--w-accent); color: var(--w-on-accent); padding: 5px 14px; }
      button:disabled { opacity: 0.6; cursor: progress; }
      progress { width: 220px; accent-color: var(--w-accent); }
      .row { display: flex; gap: 10px; align-items: center; }
      .check { display: inline-block; padding: 6px 12px; border-radius: 8px; margin-top: 10px; }
      .check.ok { color: var(--w-ok); background: var(--w-ok-bg); }
      .check.bad { color: var(--w-error); background: var(--w-error-bg); }
      .mark { font-weight: 700; }
      .why { font-size: 13px; }
      .empty { color: var(--w-muted); font-style: italic; }
      .placeholder { height: 120px; border-radius: 8px; background: var(--w-code-bg); }
    `,
  ];
}

/** Head h of a [H, L, L] stack. */
function head3(stack: Float32Array, h: number, L: number): Float32Array {
  return stack.subarray(h * L * L, (h + 1) * L * L);
}

function positionLabels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** Dimension j is a sine for even j, a cosine for odd j. */
function dimLabels(d: number): string[] {
  return Array.from({ length: d }, (_, j) => `${j} ${j % 2 ? 'cos' : 'sin'}`);
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-positional': AttnPositional;
  }
}
