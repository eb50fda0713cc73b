// <model-outputs>: what the model computed from the text: the language model's five likeliest next tokens,
// the translator's output, or (for the tagger) a pointer to the tags under the chips.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { cssProps } from './css-props';
import type { Outputs } from '../engine/protocol';
import { TAGS } from '../models/catalog';

@customElement('model-outputs')
export class ModelOutputs extends LitElement {
  @property({ attribute: false }) outputs?: Outputs;

  override render() {
    const o = this.outputs;
    if (!o || o.kind === 'none') return nothing;
    if (o.kind === 'lm') {
      const top = o.next[0]?.prob || 1;
      return html`<section aria-label="Next-token predictions">
        <h3>Next token <span class="hint">the model’s five likeliest continuations</span></h3>
        <ol class="bars">
          ${o.next.map(
            (n) => html`<li>
              <span class="tok" dir="auto">${n.token.replace(/\n/g, '⏎') || '␣'}</span>
              <span class="bar"><span class="fill" style=${cssProps({ width: `${(100 * n.prob) / top}%` })}></span></span>
              <span class="p">${(100 * n.prob).toFixed(1)}%</span>
            </li>`,
          )}
        </ol>
      </section>`;
    }
    if (o.kind === 'lab') {
      const right = o.expected !== undefined && o.finished && o.expected === o.output;
      return html`<section aria-label="The model's answer">
        <h3>Answer <span class="hint">greedy decoding, one token at a time</span></h3>
        <p class="translation"><code>${o.output || '∅'}</code>${o.finished ? nothing : html` <span class="warn">(no end token)</span>`}
          ${o.expected === undefined ? nothing : right ? html`<span class="ok">✓ right</span>` : html`<span class="warn">✗ the answer is <code>${o.expected}</code></span>`}</p>
      </section>`;
    }
    if (o.kind === 'dates')
      return html`<section aria-label="Translation">
        <h3>Translation <span class="hint">greedy decoding, one character at a time</span></h3>
        <p class="translation"><code>${o.translation || '∅'}</code>${o.finished ? nothing : html` <span class="warn">(no end token)</span>`}</p>
      </section>`;
    return html`<section aria-label="Part-of-speech tags">
      <h3>Tags <span class="hint">under each token on the left; hover one for its probability. A word is tagged by its
        first token; the tags of the tokens that continue it are faded.</span></h3>
      <dl class="legend">
        ${TAGS.map((t) => html`<div><dt>${t.tag}</dt><dd>${t.gloss}</dd></div>`)}
      </dl>
    </section>`;
  }

  static override styles = css`
    :host { display: block; margin-bottom: 14px; }
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
