// <attn-block>: one whole Transformer layer, taken apart: nn.TransformerEncoderLayer, or nn.TransformerDecoderLayer
// (causal self-attention, cross-attention over an encoder's output, feed-forward), run by the engine with its
// trace, so every intermediate matrix is the engine's own.
//
// Input: the sentence's words as made-up seeded vectors (seeded-layers.ts wordVector, entries in [-1, 1)) plus
// the sinusoidal positional encoding (the engine's positionalEncoding): positions make a repeated word ("the" at
// 0 and at 4) two different rows, as in a real model, and make the causal decoder's rows differ by place.
// Decoder: the source sentence goes through an encoder layer of its own (seeded parameters) whose output [S, d]
// is the memory that cross-attention reads.
//
// Shapes, unbatched as PyTorch prints them for one sentence (the engine's trace is batch-first, [1, ...]):
// x, norm*.out, *.output, resid*: [L, d_model]; q, k, v: [nhead, L|S, d_model / nhead]; weights: [nhead, L, L|S];
// ff.pre, ff.hidden: [L, dim_feedforward]; memory: [S, d_model].
//
// The lesson: the sentence is compared with another one (by default the previous sentence: clicking a word swaps
// it, and the old sentence becomes the comparison). Both run through the same layer with the same parameters and
// the same dropout draws; in every matrix the rows that differ are outlined, and rows that differ only from this
// step on (spread by it) are filled. Per-token steps (LayerNorm, q/k/v projections, W₁, the activation, W₂, the
// residuals) never spread a change: a row changes only if its input row did. Attention does: in the encoder,
// every row; in the decoder, the edited row and the ones after it (the causal mask).
//
// State (attributes): sentence, compare ("" = no comparison), source (decoder), layer (encoder | decoder),
// norm-first, d-model, nhead, dim-feedforward, activation (relu | gelu), dropout (p), training.
import { css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Tensor } from '../../../engine/bindings/attn';
import '../components/attn-heatmap';
import type { AttnHeatmap } from '../components/attn-heatmap';
import { cssProps } from '../components/css-props';
import type { MatrixExport } from '../export/export';
import { registerWidget } from './registry';
import {
  BLOCK,
  blockDecoderCall,
  blockEncoderCall,
  blockInput,
  blockStages,
  blockWords,
  boolAttribute,
  changedRows,
  joinHeads,
  numberAttribute,
  type BlockLayer,
  type BlockOptions,
  type BlockStage,
} from './seeded-layers';
import { blockScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

registerWidget('attn-block', 'A whole Transformer block');

const DEFAULTS = {
  sentence: 'the cat sat on the mat',
  compare: 'the dog sat on the mat',
  source: 'le chat est assis sur le tapis',
};
/** Words a click swaps in for the clicked one (the first that differs from it). */
const SWAPS = ['dog', 'cat', 'bird', 'sun', 'ran', 'red', 'under', 'a'];
const P_MAX = 0.9;

interface Run {
  words: string[];
  trace: Record<string, Tensor>;
}

interface BlockResult {
  options: BlockOptions;
  stages: BlockStage[];
  run: Run;
  /** The comparison sentence through the same layer, or none. */
  other?: Run;
  source: string[];
  memory?: Tensor; // [1, S, d]
}

/** One heatmap of a card: its data as [rows, cols], labels, and which rows changed. */
interface Panel {
  name: string; // trace entry
  label: string;
  data: Float32Array;
  rows: number;
  cols: number;
  rowLabels: string[];
  colLabels: string[];
  rowTitle: string;
  colTitle: string;
  signed: boolean;
  mask?: Float32Array;
  maskLabel?: string;
  changed?: boolean[];
  /** Rows changed here whose input row had not changed: the step spread the edit to them. */
  spread?: boolean[];
}

@customElement('attn-block')
export class AttnBlock extends WidgetBase {
  static override widgetTag = 'attn-block';
  static override stateKeys = ['sentence', 'compare', 'source', 'layer', 'norm-first', 'd-model', 'nhead', 'dim-feedforward', 'activation', 'dropout', 'training'];

  /** The sentence that goes through the layer (at most 12 words). */
  @property({ reflect: true }) sentence = DEFAULTS.sentence;
  /** The sentence to compare with: rows that differ are highlighted. "" turns the comparison off. */
  @property({ reflect: true }) compare = DEFAULTS.compare;
  /** The decoder's source sentence: an encoder layer turns it into the memory that cross-attention reads. */
  @property({ reflect: true }) source = DEFAULTS.source;
  /** "encoder" (nn.TransformerEncoderLayer) or "decoder" (nn.TransformerDecoderLayer). */
  @property({ reflect: true }) layer: BlockLayer = 'encoder';
  /** Pre-norm (true) or post-norm (false, PyTorch's default). */
  @property({ reflect: true, attribute: 'norm-first', converter: boolAttribute }) normFirst = false;
  @property({ reflect: true, attribute: 'd-model', converter: numberAttribute }) dModel = BLOCK.d;
  @property({ reflect: true, converter: numberAttribute }) nhead = BLOCK.nhead;
  @property({ reflect: true, attribute: 'dim-feedforward', converter: numberAttribute }) dimFeedforward = BLOCK.F;
  @property({ reflect: true }) activation: 'relu' | 'gelu' = 'relu';
  /** Dropout probability p of every dropout in the layer. */
  @property({ reflect: true, converter: numberAttribute }) dropout = 0.1;
  /** Training mode (dropout on) or eval mode (dropout is the identity). */
  @property({ reflect: true, converter: boolAttribute }) training = false;

  @state() private result?: BlockResult;
  @state() private notice = '';
  /** The widget and each heatmap (whose cells shrink on a narrow screen): the row outlines follow them. */
  private resizer = new ResizeObserver(() => void this.placeHighlightsSoon());

  get widgetTitle() {
    return 'A whole Transformer block';
  }

  override connectedCallback() {
    super.connectedCallback();
    this.resizer.observe(this);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.resizer.disconnect();
  }

  /** Bad attribute values (from a URL, a page or a control): use a valid value and say which. */
  override willUpdate(changed: Map<string, unknown>) {
    const notes: string[] = [];
    const text = (key: 'sentence' | 'source', name: string) => {
      if (!changed.has(key)) return;
      const { words, cut } = blockWords(this[key] ?? '');
      if (!words.length) {
        notes.push(`The ${name} is empty; showing “${DEFAULTS[key]}”.`);
        this[key] = DEFAULTS[key];
      } else if (cut) notes.push(`The ${name} has more than ${BLOCK.maxTokens} words; only the first ${BLOCK.maxTokens} are used, so every matrix stays readable.`);
    };
    text('sentence', 'sentence');
    if (this.layer === 'decoder' || changed.has('layer')) text('source', 'source sentence');
    if (changed.has('compare') && blockWords(this.compare ?? '').cut) notes.push(`The comparison has more than ${BLOCK.maxTokens} words; only the first ${BLOCK.maxTokens} are used.`);
    if (changed.has('layer') && this.layer !== 'encoder' && this.layer !== 'decoder') {
      notes.push(`layer must be "encoder" or "decoder"; showing the encoder.`);
      this.layer = 'encoder';
    }
    if (changed.has('activation') && this.activation !== 'relu' && this.activation !== 'gelu') {
      notes.push(`activation must be "relu" or "gelu"; using relu.`);
      this.activation = 'relu';
    }
    const whole = (key: 'dModel' | 'dimFeedforward', name: string, lo: number, hi: number, fallback: number) => {
      const v = this[key];
      if (Number.isInteger(v) && v >= lo && v <= hi) return;
      const fixed = Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : fallback;
      notes.push(v > hi ? `${name} is at most ${hi} here, so every number stays readable; using ${fixed}.` : `${name} must be a whole number from ${lo} to ${hi}; using ${fixed}.`);
      this[key] = fixed;
    };
    if (changed.has('dModel')) whole('dModel', 'd_model', 2, BLOCK.maxD, BLOCK.d);
    if (changed.has('dimFeedforward')) whole('dimFeedforward', 'dim_feedforward', 1, BLOCK.maxF, BLOCK.F);
    if (changed.has('nhead') || changed.has('dModel')) {
      const h = this.nhead;
      const d = this.dModel;
      if (!(Number.isInteger(h) && h >= 1 && h <= BLOCK.maxHeads && d % h === 0)) {
        const want = Number.isFinite(h) ? Math.max(1, Math.min(BLOCK.maxHeads, Math.round(h))) : BLOCK.nhead;
        let fixed = Math.min(want, d);
        while (d % fixed !== 0) fixed--;
        notes.push(
          Number.isInteger(h) && h >= 1 && h <= BLOCK.maxHeads
            ? `nhead (${h}) must divide d_model (${d}): each head gets d_model / nhead numbers of every token. Using ${fixed} head${fixed > 1 ? 's' : ''} (${d / fixed} numbers each).`
            : `nhead must be a whole number from 1 to ${BLOCK.maxHeads} that divides d_model (${d}); using ${fixed}.`,
        );
        this.nhead = fixed;
      }
    }
    if (changed.has('dropout') && !(this.dropout >= 0 && this.dropout <= P_MAX)) {
      const fixed = Number.isFinite(this.dropout) ? Math.min(P_MAX, Math.max(0, this.dropout)) : 0.1;
      notes.push(`dropout must be a number from 0 to ${P_MAX}; using ${fixed}.`);
      this.dropout = fixed;
    }
    if (notes.length) this.notice = notes.join(' ');
  }

  private get options(): BlockOptions {
    return {
      layer: this.layer,
      normFirst: this.normFirst,
      d: this.dModel,
      nhead: this.nhead,
      F: this.dimFeedforward,
      activation: this.activation,
      p: this.dropout,
      training: this.training,
    };
  }

  protected async compute() {
    const o = this.options;
    const words = blockWords(this.sentence).words;
    const other = (this.compare ?? '').trim() ? blockWords(this.compare).words : [];
    const source = o.layer === 'decoder' ? blockWords(this.source).words : [];
    const longest = Math.max(words.length, other.length, source.length);
    const pe = (await this.call('positionalEncoding', { length: longest, d_model: o.d }, 'pe')).data;
    let memory: Tensor | undefined;
    if (o.layer === 'decoder') memory = (await this.call('encoderLayer', blockEncoderCall(o, blockInput(source, o.d, pe), true), 'memory')).output;
    const runOf = (w: string[], key: string) =>
      memory
        ? this.call('decoderLayer', blockDecoderCall(o, blockInput(w, o.d, pe), memory), key)
        : this.call('encoderLayer', blockEncoderCall(o, blockInput(w, o.d, pe)), key);
    const [main, cmp] = await Promise.all([runOf(words, 'main'), other.length ? runOf(other, 'compare') : undefined]);
    this.result = {
      options: o,
      stages: blockStages(o.layer, o.normFirst),
      run: { words, trace: main.trace },
      other: cmp && { words: other, trace: cmp.trace },
      source,
      memory,
    };
  }

  /** The PyTorch button's script: the layer shown, with its input (and the decoder's memory) written out. */
  override pytorchScript(): string {
    const r = this.result;
    if (!r) return '';
    const o = r.options;
    const x = r.run.trace['input'];
    const call = o.layer === 'decoder' && r.memory ? blockDecoderCall(o, x, r.memory) : blockEncoderCall(o, x);
    return blockScript({ layer: o.layer, words: r.run.words, source: r.source, call });
  }

  protected override exportables(): MatrixExport[] {
    const r = this.result;
    if (!r) return [];
    return this.cards(r).flatMap(({ stage, panels }) =>
      panels.map((p) => ({
        title: `${p.name} (${stage.module})`,
        matrix: p.data,
        rows: p.rows,
        cols: p.cols,
        rowLabels: p.rowLabels,
        colLabels: p.colLabels,
        rowTitle: p.rowTitle,
        colTitle: p.colTitle,
        domain: domainOf(p),
      })),
    );
  }

  private change(next: Partial<Pick<AttnBlock, 'sentence' | 'compare' | 'source' | 'layer' | 'normFirst' | 'dModel' | 'nhead' | 'dimFeedforward' | 'activation' | 'dropout' | 'training'>>) {
    this.notice = '';
    Object.assign(this, next);
    void this.stateChanged();
  }

  /** A new sentence: the one shown so far becomes the comparison. */
  private setSentence(text: string) {
    if (text.trim() === this.sentence.trim()) return;
    this.change({ compare: this.sentence, sentence: text });
  }

  /** Swaps word i for another one: the lesson in one click. */
  private swapWord(i: number) {
    const words = blockWords(this.sentence).words;
    const now = words[i].toLowerCase();
    words[i] = SWAPS.find((w) => w !== now) ?? 'dog';
    this.setSentence(words.join(' '));
  }

  // -------------------------------------------------------------------------------------------- cards
  /** Every card of the forward pass: its stage and the heatmaps it shows, with the rows that changed. */
  private cards(r: BlockResult): { stage: BlockStage; panels: Panel[] }[] {
    const { d, nhead: H } = r.options;
    const L = r.run.words.length;
    const tokens = numbered(r.run.words);
    const src = numbered(r.source);
    const dims = (n: number) => Array.from({ length: n }, (_, j) => String(j));
    const out: { stage: BlockStage; panels: Panel[] }[] = [];
    let previous: boolean[] | undefined; // rows changed in the card before: what a per-token step gets
    for (const stage of r.stages) {
      const t = r.run.trace;
      const o = r.other?.trace;
      const oL = r.other?.words.length ?? 0;
      const panels: Panel[] = [];
      const matrix = (name: string, cols: number, colLabels: string[], colTitle: string, extra: Partial<Panel> = {}): Panel => ({
        name, label: name, data: t[name].data, rows: L, cols, rowLabels: tokens, colLabels, rowTitle: 'Token', colTitle, signed: true,
        changed: o ? changedRows(t[name].data, L, o[name].data, oL, cols) : undefined, ...extra,
      });
      if (stage.kind === 'matrix') {
        const F = r.options.F;
        const wide = stage.key.startsWith('ff.pre') || stage.key.startsWith('ff.hidden');
        panels.push(matrix(stage.key, wide ? F : d, wide ? dims(F) : dims(d), wide ? 'Unit' : 'Dim', {
          mask: stage.key === 'ff.hidden' ? hiddenDropped(t, r.options) : stage.dropout ? residualDropped(t, stage, r.options) : undefined,
          maskLabel: `dropped by ${stage.key === 'ff.hidden' ? 'dropout (inside the FFN)' : stage.dropout?.name} (training)`,
        }));
      } else {
        const cross = stage.part === 'cross';
        const prefix = stage.kind === 'qkv' ? stage.key : stage.key.replace('.weights', '');
        const S = cross ? r.source.length : L;
        const keys = cross ? src : tokens;
        const oS = cross ? S : oL;
        const Dh = d / H;
        if (stage.kind === 'qkv') {
          // q, k, v as the in_proj computes them, [L|S, d]: the heads side by side (head h = columns h·d_k ...).
          const cols = Array.from({ length: d }, (_, j) => (H > 1 ? `${Math.floor(j / Dh) + 1}.${j % Dh}` : String(j)));
          const colTitle = 'Dim';
          const qkv = (which: 'q' | 'k' | 'v', rows: number, otherRows: number, rowLabels: string[], rowTitle: string): Panel => {
            const name = `${prefix}.${which}`;
            const data = joinHeads(t[name].data, H, rows, Dh);
            return {
              name, label: H > 1 ? `${which} (columns: head.dim)` : which, data, rows, cols: d, rowLabels, colLabels: cols, rowTitle, colTitle, signed: true,
              changed: o ? changedRows(data, rows, joinHeads(o[name].data, H, otherRows, Dh), otherRows, d) : undefined,
            };
          };
          panels.push(qkv('q', L, oL, tokens, 'Query'), qkv('k', S, oS, keys, 'Key'), qkv('v', S, oS, keys, 'Value'));
        } else {
          for (let h = 0; h < H; h++) {
            const headOf = (a: Float32Array, rows: number, cols: number) => a.subarray(h * rows * cols, (h + 1) * rows * cols);
            const name = `${prefix}.weights`;
            const data = headOf(t[name].data, L, S);
            const dropped = t[`${prefix}.dropped`] ? droppedMask(data, headOf(t[`${prefix}.dropped`].data, L, S)) : undefined;
            const causal = !cross && r.options.layer === 'decoder' ? causalMask(L) : undefined;
            panels.push({
              name, label: H > 1 ? `head ${h + 1}` : 'weights', data, rows: L, cols: S, rowLabels: tokens, colLabels: keys, rowTitle: 'Query', colTitle: 'Key',
              signed: false, mask: merge(causal, dropped),
              changed: o ? (oS === S ? changedRows(data, L, headOf(o[name].data, oL, oS), oL, S) : Array<boolean>(L).fill(true)) : undefined,
            });
          }
        }
        for (const p of panels) p.maskLabel = stage.kind === 'weights' ? (r.options.layer === 'decoder' && !cross ? 'masked (a later token) or dropped' : 'dropped by attention dropout') : undefined;
      }
      // What this step spread: rows changed here that were unchanged on the way in (only the query side counts).
      const here = panels[0].changed;
      if (here) {
        const rowsHere = mergeRows(panels.filter((p) => p.rowTitle !== 'Key' && p.rowTitle !== 'Value' && p.rows === L).map((p) => p.changed!));
        for (const p of panels) if (p.rows === L && p.rowTitle !== 'Key' && p.rowTitle !== 'Value') p.spread = p.changed!.map((c, i) => c && !!previous && !previous[i]);
        previous = rowsHere;
      }
      out.push({ stage, panels });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    const r = this.result;
    return html`
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.renderControls()}
      ${r ? this.renderPass(r) : nothing}
    `;
  }

  private renderControls() {
    const words = blockWords(this.sentence).words;
    const decoder = this.layer === 'decoder';
    return html`<div class="controls">
      <div class="row">
        <div class="toggle-row" role="group" aria-label="Layer">
          <button class="layer-encoder" aria-pressed=${!decoder} @click=${() => this.change({ layer: 'encoder' })}>Encoder layer</button>
          <button class="layer-decoder" aria-pressed=${decoder} @click=${() => this.change({ layer: 'decoder' })}>Decoder layer</button>
        </div>
        <div class="toggle-row" role="group" aria-label="Where the norms go">
          <button class="post" aria-pressed=${!this.normFirst} @click=${() => this.change({ normFirst: false })}>Post-norm</button>
          <button class="pre" aria-pressed=${this.normFirst} @click=${() => this.change({ normFirst: true })}>Pre-norm <code>norm_first</code></button>
        </div>
        <div class="toggle-row" role="group" aria-label="Activation">
          <button class="act-relu" aria-pressed=${this.activation === 'relu'} @click=${() => this.change({ activation: 'relu' })}>ReLU</button>
          <button class="act-gelu" aria-pressed=${this.activation === 'gelu'} @click=${() => this.change({ activation: 'gelu' })}>GELU</button>
        </div>
      </div>
      <div class="row sizes">
        ${this.numberInput('d-model', 'd_model', this.dModel, 2, BLOCK.maxD, 1, (v) => this.change({ dModel: v }))}
        ${this.numberInput('nhead', 'nhead', this.nhead, 1, BLOCK.maxHeads, 1, (v) => this.change({ nhead: v }))}
        ${this.numberInput('dim-feedforward', 'dim_feedforward', this.dimFeedforward, 1, BLOCK.maxF, 1, (v) => this.change({ dimFeedforward: v }))}
        <label class="slider">
          <span>dropout p = <output class="p-value">${this.dropout.toFixed(2)}</output></span>
          <input type="range" min="0" max=${P_MAX} step="0.05" .value=${String(this.dropout)} aria-label="Dropout probability p"
            @change=${(e: Event) => this.change({ dropout: Number((e.target as HTMLInputElement).value) })} />
        </label>
        <div class="toggle-row" role="group" aria-label="Mode">
          <button class="train" aria-pressed=${this.training} @click=${() => this.change({ training: true })}>Training</button>
          <button class="eval" aria-pressed=${!this.training} @click=${() => this.change({ training: false })}>Eval</button>
        </div>
      </div>
      <p class="mode-note small">${this.training
        ? html`Training: every dropout zeroes each number with probability ${this.dropout} and scales the others by 1/(1 − p) =
            ${(1 / (1 - this.dropout)).toFixed(3)}; hatched cells were dropped. Both sentences get the same draws, so only the edit differs.`
        : html`Eval (<code>model.eval()</code>): dropout is the identity, every number passes unchanged.`}</p>
      <div class="texts">
        <label class="text">
          <span>${decoder ? 'Target sentence' : 'Sentence'}</span>
          <input class="sentence" type="text" .value=${this.sentence} spellcheck="false"
            @change=${(e: Event) => this.setSentence((e.target as HTMLInputElement).value)} />
        </label>
        <label class="text">
          <span>Compare with</span>
          <input class="compare" type="text" .value=${this.compare} spellcheck="false" placeholder="(no comparison)"
            @change=${(e: Event) => this.change({ compare: (e.target as HTMLInputElement).value })} />
        </label>
        ${decoder
          ? html`<label class="text">
              <span>Source (memory)</span>
              <input class="source" type="text" .value=${this.source} spellcheck="false"
                @change=${(e: Event) => this.change({ source: (e.target as HTMLInputElement).value })} />
            </label>`
          : nothing}
      </div>
      <div class="chips" role="group" aria-label="Swap one word">
        <span class="muted small">Swap one word:</span>
        ${words.map((w, i) => html`<button class="chip" data-index=${i} title="Replace “${w}”; the current sentence becomes the comparison" @click=${() => this.swapWord(i)}>${w}</button>`)}
      </div>
    </div>`;
  }

  private numberInput(cls: string, label: string, value: number, min: number, max: number, step: number, set: (v: number) => void) {
    return html`<label class="num ${cls}">
      <code>${label}</code>
      <input type="number" min=${min} max=${max} step=${step} .value=${String(value)}
        @change=${(e: Event) => {
          const raw = (e.target as HTMLInputElement).value;
          set(raw.trim() === '' ? NaN : Number(raw));
        }} />
    </label>`;
  }

  private renderPass(r: BlockResult) {
    const cards = this.cards(r);
    const { layer, normFirst } = r.options;
    const parts: { ids: BlockStage['part'][]; title: string; note: string }[] = [
      { ids: ['input', 'self'], title: layer === 'decoder' ? 'Input, then masked self-attention' : 'Input, then self-attention', note: 'Every token looks at the others: the only place where rows mix.' },
      ...(layer === 'decoder' ? [{ ids: ['cross' as const], title: 'Cross-attention', note: 'Queries from the target, keys and values from the memory (the encoder’s output).' }] : []),
      { ids: ['ff'], title: 'Feed-forward network', note: 'W₁, the activation and W₂, on each token alone.' },
    ];
    let n = 0;
    return html`
      ${this.renderSummary(r, cards)}
      <p class="formula-line small">
        <span class="formula">${formulaOf(layer, normFirst)}</span>
        <span class="muted">${normFirst ? 'Pre-norm: each sublayer sees a normalized copy; the residual path x stays untouched to the output.' : 'Post-norm (PyTorch’s default, the 2017 paper): the norm comes after each residual addition.'}</span>
      </p>
      <p class="legend small">
        <span class="item"><span class="key changed"></span> row differs from the comparison</span>
        <span class="item"><span class="key spread"></span> …and this step made it differ (its input row was the same)</span>
        <span class="item"><span class="key mixes"></span> a step that mixes tokens</span>
      </p>
      ${parts.map((part) => html`<section role="group" class="part part-${part.ids[part.ids.length - 1]}" aria-label=${part.title}>
        <h3>${part.title} <span class="muted small">${part.note}</span></h3>
        <div class="cards">
          ${part.ids.includes('cross') && r.memory ? this.renderMemory(r) : nothing}
          ${cards.filter((c) => part.ids.includes(c.stage.part)).map((c) => this.renderCard(c, ++n, c.stage === r.stages[r.stages.length - 1], r))}
        </div>
      </section>`)}
    `;
  }

  private renderCard({ stage, panels }: { stage: BlockStage; panels: Panel[] }, n: number, last: boolean, r: BlockResult): TemplateResult {
    const L = r.run.words.length;
    const changed = mergeRows(panels.filter((p) => p.changed && p.rows === L && p.rowTitle !== 'Key' && p.rowTitle !== 'Value').map((p) => p.changed!));
    const spread = mergeRows(panels.filter((p) => p.spread).map((p) => p.spread!));
    const idx = (rows?: boolean[]) => (rows ?? []).flatMap((c, i) => (c ? [i] : []));
    const shape = shapeOf(stage, r);
    const qkv = stage.kind === 'qkv';
    const wide = panels.length > 2 || stage.kind !== 'matrix' || panels[0].cols > 12;
    return html`<article class="card ${wide ? 'wide' : ''} ${qkv ? 'qkv' : ''} ${stage.mixes ? 'mixes' : ''}" data-key=${stage.key}
      data-changed=${idx(changed).join(',')} data-spread=${idx(spread).join(',')}>
      <header>
        <span class="num-badge">${n}</span>
        <span class="step">${stage.step}${last ? html` <span class="out-tag">= output</span>` : nothing}</span>
        <code class="module">${stage.module}</code>
        <span class="shape" title="PyTorch shape, one sentence">${shape}</span>
      </header>
      <p class="formula small">${stage.formula}</p>
      <div class="panels">
        ${panels.map((p) => this.renderPanel(p, panels.length > 1))}
      </div>
      <p class="change small ${spread?.some(Boolean) ? 'spreads' : ''}">${changeNote(stage, r, changed, spread)}</p>
      ${stage.dropout ? html`<p class="dropout-note small">${stage.dropout.name}: ${r.options.training
        ? html`hatched numbers were zeroed, the others × ${(1 / (1 - r.options.p)).toFixed(3)}, before <code>${stage.dropout.resid}</code> adds them.`
        : html`eval mode, the identity: these numbers are added as they are.`}</p>` : nothing}
    </article>`;
  }

  private renderPanel(p: Panel, titled: boolean) {
    // Cells of up to 22 px. The heatmap sizes its cells for its width less 160 px, but draws its row labels in
    // max(72, 14 + 7.5 · longest label) px (attn-heatmap.ts): the rest, blank on its right, is taken back.
    const side = Math.max(p.rows, p.cols);
    const cell = Math.max(9, Math.min(22, Math.floor(360 / side)));
    const labels = Math.max(72, Math.min(140, 14 + 7.5 * Math.max(0, ...p.rowLabels.map((l) => Math.min(l.length, 14)))));
    const legend = 7.2 * p.name.length + 18 + 180; // its caption, then the 180 px colour bar
    const drawn = Math.max(labels + p.cols * cell, legend);
    return html`<div class="panel" data-name=${p.name} data-label=${p.label}
      style=${cssProps({ width: `${160 + cell * side}px`, '--mr': `${Math.min(0, drawn - 160 - cell * side + 8)}px` })}>
      ${titled ? html`<div class="panel-title small">${p.label}</div>` : nothing}
      <div class="hm-wrap">
        <attn-heatmap colormap=${p.signed ? 'rdbu' : this.colormap} kind=${p.signed ? 'values' : 'weights'} .matrix=${p.data} rows=${p.rows} cols=${p.cols}
          .rowLabels=${p.rowLabels} .colLabels=${p.colLabels} row-title=${p.rowTitle} col-title=${p.colTitle} .domain=${domainOf(p)}
          .mask=${p.mask} mask-label=${p.maskLabel ?? ''} max-size=${cell * side} caption=${p.name}></attn-heatmap>
        ${(p.changed ?? []).map((c, i) => (c ? html`<div class="row-hl ${p.spread?.[i] ? 'spread' : ''}" data-row=${i} style=${cssProps({ '--i': String(i) })}></div>` : nothing))}
      </div>
    </div>`;
  }

  private renderMemory(r: BlockResult) {
    const m = r.memory!;
    const S = r.source.length;
    const d = r.options.d;
    const p: Panel = {
      name: 'memory', label: 'memory', data: m.data, rows: S, cols: d, rowLabels: numbered(r.source),
      colLabels: Array.from({ length: d }, (_, j) => String(j)), rowTitle: 'Source', colTitle: 'Dim', signed: true,
    };
    return html`<article class="card memory" data-key="memory">
      <header><span class="num-badge">M</span><span class="step">Memory</span><code class="module">encoder layer</code><span class="shape">[${S}, ${d}]</span></header>
      <p class="formula small">The source sentence after an encoder layer of its own: cross-attention’s keys and values.</p>
      <div class="panels">${this.renderPanel(p, false)}</div>
      <p class="change small">The comparison changes only the target: the memory is the same for both.</p>
    </article>`;
  }

  /** The sentence that says what the edit did, from the rows that changed at each step. */
  private renderSummary(r: BlockResult, cards: { stage: BlockStage; panels: Panel[] }[]) {
    if (!r.other) return html`<p class="summary" data-state="none">No comparison. Click a word above to swap it (or type a new sentence): the
      old sentence becomes the comparison, and every row that changes is outlined.</p>`;
    const L = r.run.words.length;
    const rowsOf = (key: string) => {
      const c = cards.find((x) => x.stage.key === key);
      return c ? (c.panels[0].changed ?? []).flatMap((v, i) => (v ? [i] : [])) : [];
    };
    const edited = rowsOf('input');
    if (!edited.length) return html`<p class="summary" data-state="same">The two sentences give the same input, so nothing differs anywhere.</p>`;
    const list = (rows: number[]) => (rows.length === L ? `all ${L} rows` : rows.length === 1 ? `row ${rows[0]} only` : `rows ${rows.join(', ')}`);
    const swaps = edited.filter((i) => i < r.other!.words.length).map((i) => `“${r.other!.words[i]}” → “${r.run.words[i]}”`);
    const selfRows = rowsOf('self_attn.output');
    const ffIn = rowsOf(r.stages.find((s) => s.key === 'ff.pre') ? prevKey(r.stages, 'ff.pre') : 'input');
    const ffOut = rowsOf('ff.output');
    const decoder = r.options.layer === 'decoder';
    const first = Math.min(...edited);
    return html`<p class="summary" data-state="diff">
      <strong>You changed ${swaps.length ? swaps.join(', ') : 'the length'}</strong> (input: ${list(edited)}).
      Up to the attention weights the change stays in ${list(edited)}: LayerNorm and the q, k, v projections work on each token alone.
      <strong class="mix">Self-attention spread it to ${list(selfRows)}</strong>${decoder
        ? html`: the causal mask lets a token read only itself and earlier tokens, so ${first > 0 ? `rows 0–${first - 1} stay exactly the same` : 'every later row reads the edited one'}.`
        : html`: every query now reads the changed key and value.`}
      ${decoder ? html`Cross-attention changed ${list(rowsOf('multihead_attn.output'))}: its keys and values come from the memory, which the edit does not touch.` : nothing}
      <strong class="local">The feed-forward network changed ${list(ffOut)}, exactly the rows whose input had changed</strong>
      (${list(ffIn)}${ffIn.length === L && edited.length < L ? ', because attention had already mixed the edit into every row' : ''}): W₁, the activation and
      W₂ work on each row alone, so they never spread a change.
    </p>`;
  }

  // ------------------------------------------------------------------------------ highlight placement
  protected override updated(changed: Map<string, unknown>) {
    super.updated(changed);
    void this.placeHighlightsSoon();
  }

  private async placeHighlightsSoon() {
    const maps = [...this.renderRoot.querySelectorAll<AttnHeatmap>('attn-heatmap')];
    for (const m of maps) this.resizer.observe(m);
    await Promise.all(maps.map((m) => m.updateComplete));
    requestAnimationFrame(() => this.placeHighlights());
  }

  /** Puts each row outline over its heatmap row: the plot's place and cell size, read from the heatmap. */
  private placeHighlights() {
    for (const wrap of this.renderRoot.querySelectorAll<HTMLElement>('.hm-wrap')) {
      const map = wrap.querySelector<AttnHeatmap>('attn-heatmap');
      const plot = map?.shadowRoot?.querySelector<HTMLElement>('.plot');
      if (!map || !plot) continue;
      const a = wrap.getBoundingClientRect();
      const b = plot.getBoundingClientRect();
      wrap.style.setProperty('--plot-left', `${b.left - a.left}px`);
      wrap.style.setProperty('--plot-top', `${b.top - a.top}px`);
      wrap.style.setProperty('--plot-width', `${b.width}px`);
      wrap.style.setProperty('--cell', `${map.cell}px`);
    }
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      :host { --changed: #a84d08; --changed-fill: rgba(168, 77, 8, 0.2); } /* orange, 5.6:1 on white and 5:1 on the panels: it colours text too */
      :host([theme='dark']) { --changed: #f5a05a; --changed-fill: rgba(245, 160, 90, 0.25); }
      @media (prefers-color-scheme: dark) { :host(:not([theme='light'])) { --changed: #f5a05a; --changed-fill: rgba(245, 160, 90, 0.25); } }
      .w-head { flex-wrap: wrap; }
      .row, .summary, .chips { overflow-wrap: anywhere; } /* a long word typed wraps, not widens the widget */
      .chip { max-width: 100%; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
      code { font: 12px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      button code { background: transparent; color: inherit; padding: 0; }
      .small { font-size: 12.5px; }
      .controls { display: grid; gap: 8px; margin-bottom: 12px; }
      .row { display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: center; }
      .toggle-row { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
      .num { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; }
      .num input { width: 58px; background: var(--w-input-bg); color: var(--w-fg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
      .slider { display: inline-flex; align-items: center; gap: 8px; font-size: 13px; }
      .slider input { width: 140px; accent-color: var(--w-accent); }
      .p-value { font-variant-numeric: tabular-nums; font-weight: 600; }
      .mode-note { margin: 0; color: var(--w-muted); }
      .texts { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 8px 16px; }
      .text { display: grid; gap: 3px; font-size: 12.5px; color: var(--w-muted); }
      .text input { font-size: 14px; padding: 5px 8px; background: var(--w-input-bg); color: var(--w-fg); border: 1px solid var(--w-border); border-radius: 7px; min-width: 0; }
      .chips { display: flex; flex-wrap: wrap; gap: 5px; align-items: center; }
      .chip { border-radius: 7px; }
      .summary { margin: 0 0 10px; padding: 10px 12px; border-radius: 10px; background: var(--w-code-bg); line-height: 1.5; max-width: 980px; }
      .summary .mix { color: var(--changed); }
      .summary .local { color: var(--w-accent); }
      .formula-line { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; margin: 0 0 6px; }
      .formula-line .formula { font-family: 'STIX Two Math', 'Cambria Math', serif; font-size: 15px; }
      .legend { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 18px; color: var(--w-muted); margin: 0 0 8px; }
      .legend .item { display: inline-flex; align-items: center; gap: 6px; }
      .legend .key { display: inline-block; flex: none; width: 22px; height: 12px; border: 2px solid var(--changed); border-radius: 3px; }
      .legend .key.spread { background: var(--changed-fill); }
      .legend .key.mixes { border: 1.5px dashed var(--changed); width: 26px; height: 14px; border-radius: 5px; }
      .part { border-top: 1px solid var(--w-border); padding-top: 10px; margin-top: 10px; }
      h3 { font-size: 14px; margin: 0 0 8px; display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
      h3 .muted { font-weight: 400; }
      .cards { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; overflow-x: clip; } /* a heatmap's blank right margin may reach past the edge */
      .card { border: 1px solid var(--w-border); border-radius: 10px; padding: 8px 10px; min-width: 0; max-width: 100%; flex: 0 1 auto; box-sizing: border-box; }
      .card.mixes { border-color: var(--changed); border-style: dashed; }
      .card header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
      .num-badge { display: inline-grid; place-items: center; min-width: 20px; height: 20px; border-radius: 10px; background: var(--w-accent-soft); color: var(--w-fg); font-size: 11.5px; font-weight: 700; }
      .step { font-weight: 650; font-size: 13.5px; }
      .out-tag { color: var(--w-accent); font-weight: 600; }
      .module { font-size: 11.5px; }
      .shape { font: 12px ui-monospace, monospace; color: var(--w-muted); margin-left: auto; }
      .card .formula { margin: 3px 0 4px; color: var(--w-muted); font-family: 'STIX Two Math', 'Cambria Math', serif; font-size: 13.5px; }
      .panels { display: flex; flex-wrap: wrap; gap: 2px 10px; }
      .panel { flex: none; margin-right: var(--mr, 0px); max-width: calc(100% - var(--mr, 0px)); }
      .panel-title { font-weight: 600; color: var(--w-muted); margin-bottom: -4px; }
      .hm-wrap { position: relative; }
      .row-hl { position: absolute; pointer-events: none; box-sizing: border-box; left: calc(var(--plot-left, 0px) - 3px); width: calc(var(--plot-width, 0px) + 6px);
        top: calc(var(--plot-top, 0px) + var(--i) * var(--cell, 0px)); height: var(--cell, 0px); border: 2px solid var(--changed); border-radius: 3px; }
      .row-hl.spread { background: var(--changed-fill); }
      .change { margin: 4px 0 0; max-width: 420px; }
      .change.spreads { color: var(--changed); font-weight: 600; }
      .dropout-note { margin: 4px 0 0; color: var(--w-muted); max-width: 420px; }
      attn-heatmap { --panel: var(--w-bg); --fg: var(--w-fg); --muted: var(--w-muted); }
      @media (max-width: 560px) {
        .shape { margin-left: 0; }
        .panel { margin-right: 0; max-width: 100%; }
      }
    `,
  ];
}

// ------------------------------------------------------------------------------------------------ helpers

function numbered(words: string[]) {
  return words.map((w, i) => `${i} ${w}`);
}

/** The equation of the whole layer, as PyTorch computes it. */
function formulaOf(layer: BlockLayer, normFirst: boolean) {
  if (layer === 'encoder') return normFirst ? 'x = x + SA(LN₁(x));  out = x + FF(LN₂(x))' : 'x = LN₁(x + SA(x));  out = LN₂(x + FF(x))';
  return normFirst
    ? 'x = x + SA(LN₁(x));  x = x + CA(LN₂(x), memory);  out = x + FF(LN₃(x))'
    : 'x = LN₁(x + SA(x));  x = LN₂(x + CA(x, memory));  out = LN₃(x + FF(x))';
}

/** The stage's PyTorch shape for one sentence (unbatched). */
function shapeOf(stage: BlockStage, r: BlockResult) {
  const { d, nhead: H, F } = r.options;
  const L = r.run.words.length;
  const S = stage.key.startsWith('multihead_attn') ? r.source.length : L;
  if (stage.kind === 'qkv') return `q [${H}, ${L}, ${d / H}]  k, v [${H}, ${S}, ${d / H}]`;
  if (stage.kind === 'weights') return `[${H}, ${L}, ${S}]`;
  return stage.key === 'ff.pre' || stage.key === 'ff.hidden' ? `[${L}, ${F}]` : `[${L}, ${d}]`;
}

function prevKey(stages: BlockStage[], key: string) {
  const i = stages.findIndex((s) => s.key === key);
  return stages[i - 1].key;
}

/** The card's line under its matrices: which rows differ, and whether this step spread the edit. */
function changeNote(stage: BlockStage, r: BlockResult, changed: boolean[] | undefined, spread: boolean[] | undefined) {
  if (!changed) return stage.mixes ? 'Mixes tokens: each row depends on other rows.' : 'Per token: each row depends only on its own input row.';
  const rows = changed.flatMap((c, i) => (c ? [i] : []));
  const news = (spread ?? []).flatMap((c, i) => (c ? [i] : []));
  const L = r.run.words.length;
  const named = rows.map((i) => `${i} ${r.run.words[i]}`).join(', ');
  const what = rows.length === 0 ? 'No row differs.' : rows.length === L ? `All ${L} rows differ.` : `Row${rows.length > 1 ? 's' : ''} that differ${rows.length > 1 ? '' : 's'}: ${named}.`;
  if (news.length) return `${what} This step spread the edit to ${news.length === 1 ? `row ${news[0]}` : `rows ${news.join(', ')}`}.`;
  return `${what} ${stage.mixes ? '' : 'Per token: nothing new.'}`.trim();
}

function domainOf(p: Panel): [number, number] {
  if (!p.signed) return [0, 1];
  let m = 0;
  for (const v of p.data) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return [-(m || 1), m || 1];
}

function mergeRows(lists: boolean[][]): boolean[] | undefined {
  if (!lists.length) return undefined;
  return lists[0].map((_, i) => lists.some((l) => l[i]));
}

/** −∞ above the diagonal: the decoder's causal mask (a query never reads a later key). */
function causalMask(L: number) {
  return Float32Array.from({ length: L * L }, (_, k) => (k % L > Math.floor(k / L) ? -Infinity : 0));
}

function merge(a?: Float32Array, b?: Float32Array) {
  if (!a) return b;
  if (!b) return a;
  return Float32Array.from(a, (v, i) => (v === -Infinity || b[i] === -Infinity ? -Infinity : 0));
}

/** −∞ where attention dropout zeroed a weight (training). */
function droppedMask(weights: Float32Array, dropped: Float32Array) {
  let any = false;
  const m = Float32Array.from(dropped, (v, i) => {
    const hit = v === 0 && weights[i] !== 0;
    any ||= hit;
    return hit ? -Infinity : 0;
  });
  return any ? m : undefined;
}

/** In training, the numbers of a sublayer's output that its dropout zeroed: there the residual sum equals its base. */
function residualDropped(t: Record<string, Tensor>, stage: BlockStage, o: BlockOptions) {
  if (!o.training || !o.p || !stage.dropout) return undefined;
  const sub = t[stage.key].data;
  const sum = t[stage.dropout.resid].data;
  const base = t[stage.dropout.base].data;
  return Float32Array.from(sub, (v, i) => (v !== 0 && sum[i] === base[i] ? -Infinity : 0));
}

/** In training, the hidden units that the feed-forward dropout zeroed (the activation alone would not give 0). */
function hiddenDropped(t: Record<string, Tensor>, o: BlockOptions) {
  if (!o.training || !o.p) return undefined;
  const pre = t['ff.pre'].data;
  return Float32Array.from(t['ff.hidden'].data, (v, i) => (v === 0 && (o.activation === 'relu' ? pre[i] > 0 : pre[i] !== 0) ? -Infinity : 0));
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-block': AttnBlock;
  }
}
