// <model-outputs>: what the model computed from the text: the language model's five likeliest next tokens,
// the translator's output, or (for the tagger) a pointer to the tags under the chips; for Hugging Face models,
// BERT's top fillers of each [MASK] and Marian's translation, piece by piece.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { cssProps } from './css-props';
import type { Outputs } from '../engine/protocol';
import { TAGS } from '../models/catalog';

@customElement('model-outputs')
export class ModelOutputs extends LitElement {
  @property({ attribute: false }) outputs?: Outputs;

  private bars(items: { token: string; prob: number }[]) {
    // A model whose numbers outgrew float32 gives probabilities that are not numbers: no ranking to show.
    if (items.some((n) => !Number.isFinite(n.prob)))
      return html`<p class="note nan">The probabilities are not numbers (NaN): the model's numbers overflowed on this text.</p>`;
    const top = items[0]?.prob || 1;
    return html`<ol class="bars">
      ${items.map(
        (n) => html`<li>
          <span class="tok" dir="auto" title=${n.token}>${n.token.replace(/\n/g, '⏎') || '␣'}</span>
          <span class="bar"><span class="fill" style=${cssProps({ width: `${(100 * n.prob) / top}%` })}></span></span>
          <span class="p">${(100 * n.prob).toFixed(1)}%</span>
        </li>`,
      )}
    </ol>`;
  }

  // Each output is a named group, not a region landmark: a page may show several models' outputs (the gallery), and
  // landmarks must be unique.
  override render() {
    const o = this.outputs;
    if (!o || o.kind === 'none') return nothing;
    if (o.kind === 'lm')
      // stale: the previous text's predictions, faded, while this text's follow its heatmap (a moment later).
      return html`<section role="group" aria-label="Next-token predictions" aria-busy=${o.stale || !o.next.length ? 'true' : 'false'}
        class=${o.stale ? 'stale' : ''}>
        <h3>Next token <span class="hint">the model’s five likeliest continuations</span></h3>
        ${o.next.length ? this.bars(o.next) : html`<p class="note">Computing…</p>`}
      </section>`;
    if (o.kind === 'mlm') {
      if (!o.head)
        return html`<section role="group" aria-label="Masked words"><p class="note">This checkpoint has no masked-language-model head (it is a
          <code>BertModel</code>): it shows attention only.</p></section>`;
      if (!o.masks.length)
        return html`<section role="group" aria-label="Masked words"><h3>Fill in the blank</h3>
          <p class="note">Type <code>${o.mask}</code> where a word should go, for example
            “The capital of France is ${o.mask}.”: the model ranks the tokens that fit there, reading the words on both sides.</p></section>`;
      return html`<section role="group" aria-label="Masked words">
        <h3>Fill in the blank <span class="hint">the five likeliest tokens for each ${o.mask}</span></h3>
        <div class="masks">
          ${o.masks.map(
            (m, i) => html`<div class="mask" data-position=${m.position}>
              <h4>${o.masks.length > 1 ? `${o.mask} #${i + 1}` : o.mask} <span class="hint">token ${m.position}</span></h4>
              ${this.bars(m.predictions)}
            </div>`,
          )}
        </div>
      </section>`;
    }
    if (o.kind === 'translation')
      return html`<section role="group" aria-label="Translation">
        <h3>Translation <span class="hint">greedy decoding, one piece at a time (the rows of cross-attention)</span></h3>
        <p class="translation"><span class="text" dir="auto">${o.text || '∅'}</span></p>
        ${o.finished ? nothing : html`<p class="warn limit">Stopped at ${o.limit} pieces: the model had not ended the sentence, so its last
          piece was forced to be the end (<code>&lt;/s&gt;</code>), as Hugging Face’s <code>generate</code> does.</p>`}
        <ol class="pieces" aria-label="Pieces written, in order">
          ${o.pieces.map((p, i) => html`<li><span class="step" aria-hidden="true">${i + 1}</span><span class="piece" dir="auto">${p}</span></li>`)}
        </ol>
      </section>`;
    if (o.kind === 'lab') {
      const right = o.expected !== undefined && o.finished && o.expected === o.output;
      return html`<section role="group" aria-label="The model's answer">
        <h3>Answer <span class="hint">greedy decoding, one token at a time</span></h3>
        <p class="translation"><code>${o.output || '∅'}</code>${o.finished ? nothing : html` <span class="warn">(no end token)</span>`}
          ${o.expected === undefined ? nothing : right ? html`<span class="ok">✓ right</span>` : html`<span class="warn">✗ the answer is <code>${o.expected}</code></span>`}</p>
      </section>`;
    }
    if (o.kind === 'dates')
      return html`<section role="group" aria-label="Translation">
        <h3>Translation <span class="hint">greedy decoding, one character at a time</span></h3>
        <p class="translation"><code>${o.translation || '∅'}</code>${o.finished ? nothing : html` <span class="warn">(no end token)</span>`}</p>
      </section>`;
    return html`<section role="group" aria-label="Part-of-speech tags">
      <h3>Tags <span class="hint">under each token on the left; hover one for its probability. A word is tagged by its
        first token; the tags of the tokens that continue it are faded.</span></h3>
      <dl class="legend">
        ${TAGS.map((t) => html`<div><dt>${t.tag}</dt><dd>${t.gloss}</dd></div>`)}
      </dl>
    </section>`;
  }

  static override styles = css`
    :host { display: block; margin-bottom: 14px; }
    .stale ol, .stale ul { opacity: 0.55; transition: opacity 0.12s; }
    h3 { font-size: 13px; margin: 0 0 8px; color: var(--fg, #222); }
    .hint { font-weight: 400; color: var(--muted, #666); font-size: 12px; margin-left: 6px; }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0; font-size: 12px; }
    .legend div { display: flex; gap: 5px; }
    .legend dt { font-weight: 700; font-size: 11px; letter-spacing: 0.02em; }
    .legend dd { margin: 0; color: var(--muted, #666); }
    .bars { list-style: none; margin: 0; padding: 0; display: grid; gap: 4px; max-width: 420px; }
    li { display: grid; grid-template-columns: 110px 1fr 52px; align-items: center; gap: 8px; font-size: 13px; }
    .tok { font-weight: 600; white-space: pre; overflow: hidden; text-overflow: ellipsis; background: var(--chip-bg, #f0eefa); border-radius: 5px; padding: 1px 6px; }
    .bar { height: 10px; background: var(--border, #e4e1ef); border-radius: 5px; overflow: hidden; }
    .fill { display: block; height: 100%; background: var(--accent, #5b3cc4); border-radius: 5px; }
    .p { font-variant-numeric: tabular-nums; color: var(--muted, #555); text-align: right; }
    .translation { margin: 0; font-size: 22px; }
    .translation .text { background: var(--chip-bg, #f0eefa); padding: 2px 10px; border-radius: 8px; }
    .note { margin: 0; font-size: 13px; color: var(--fg, #333); max-width: 66ch; }
    .note code, .translation code { font-size: 12.5px; }
    .masks { display: flex; flex-wrap: wrap; gap: 10px 28px; }
    .mask { min-width: 260px; flex: 1 1 260px; max-width: 420px; }
    h4 { margin: 0 0 6px; font-size: 12.5px; }
    .limit { margin: 6px 0 0; }
    .pieces { list-style: none; margin: 10px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
    .pieces li { display: inline-flex; align-items: baseline; gap: 3px; padding: 1px 6px; border-radius: 6px; border: 1px solid var(--chip-border, #dcd8f0); font-size: 13px; }
    .step { font-size: 10px; color: var(--muted, #777); font-variant-numeric: tabular-nums; }
    .piece { white-space: pre; }
    .translation code { background: var(--chip-bg, #f0eefa); padding: 2px 10px; border-radius: 8px; letter-spacing: 0.02em; }
    .warn { font-size: 12px; color: var(--warn, #8a5a00); }
    .warn code, .ok { font-size: 13px; }
    .ok { color: var(--ok, #166534); font-weight: 650; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'model-outputs': ModelOutputs;
  }
}
