// <model-picker>: the trained models, the untrained one, and the Hugging Face models the user opened (those kept
// in this browser, and the one shown now), as one radio group of cards. Fires `model-change` (a built-in model's
// id) or `hf-pick` (a Hugging Face model's key).
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { pickable, type ModelId } from '../models/catalog';
import { HF_FAMILIES, formatBytes, formatCount, type HfFamily } from '../models/hf';
import type { StoredHfSummary } from '../models/hf-store';
import type { ModelStatus } from '../engine/client';

interface Card {
  id: string; // a model id, or hf:<key>
  title: string;
  kind: string;
  checked: boolean;
  status?: ModelStatus;
  hf?: string;
}

@customElement('model-picker')
export class ModelPicker extends LitElement {
  @property() value: ModelId = 'lm';
  @property({ attribute: false }) status: Partial<Record<ModelId, ModelStatus>> = {};
  /** A lab run opened from the training lab: offers "Your model". */
  @property({ attribute: false }) labRun?: string;
  /** The Hugging Face model shown (or last shown), by key, and those kept in this browser. */
  @property({ attribute: false }) hf?: string;
  @property({ attribute: false }) hfStored: StoredHfSummary[] = [];

  private get cards(): Card[] {
    const cards: Card[] = pickable(this.labRun).map((m) => ({
      id: m.id, title: m.title, kind: m.kind, checked: m.id === this.value, status: this.status[m.id],
    }));
    const st = this.status.hf;
    const info = st?.state === 'ready' ? st.info.hf : undefined;
    const hfCard = (key: string, name: string, family: HfFamily | undefined, detail: string): Card => ({
      id: `hf:${key}`,
      hf: key,
      title: name,
      kind: family ? `${HF_FAMILIES[family].title} · ${detail}` : detail,
      checked: this.value === 'hf' && this.hf === key,
      status: this.hf === key ? st : undefined,
    });
    for (const m of this.hfStored) cards.push(hfCard(m.id, m.name, m.family, `${formatCount(m.numParameters)} parameters · ${formatBytes(m.bytes)}`));
    if (this.hf && !this.hfStored.some((m) => m.id === this.hf)) {
      const where = info?.source === 'url' ? 'from this site' : info?.source === 'files' ? 'from your files' : 'Hugging Face';
      cards.push(hfCard(this.hf, info?.name ?? (this.hf.split('/').filter(Boolean).pop() || 'Hugging Face model'), info?.family,
        info ? `${formatCount(info.numParameters)} parameters · ${where}` : where));
    }
    return cards;
  }

  private pick(c: Card) {
    if (c.hf) this.dispatchEvent(new CustomEvent<string>('hf-pick', { detail: c.hf, bubbles: true, composed: true }));
    else this.dispatchEvent(new CustomEvent<ModelId>('model-change', { detail: c.id as ModelId, bubbles: true, composed: true }));
  }

  private onKey(ev: KeyboardEvent) {
    const cards = this.cards;
    const i = cards.findIndex((c) => c.checked);
    const step = ev.key === 'ArrowDown' || ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowUp' || ev.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    ev.preventDefault();
    const next = cards[(i + step + cards.length) % cards.length];
    this.pick(next);
    this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[data-card="${CSS.escape(next.id)}"]`)?.focus());
  }

  override render() {
    const cards = this.cards;
    const anyChecked = cards.some((c) => c.checked);
    return html`<div class="cards" role="radiogroup" aria-label="Model" @keydown=${this.onKey}>
      ${cards.map((c, i) => {
        const st = c.status;
        const pct = st?.state === 'loading' && st.total ? Math.round((100 * st.loaded) / st.total) : 0;
        return html`<button
          class="card ${c.checked ? 'on' : ''} ${c.hf ? 'hf' : ''}"
          role="radio"
          aria-checked=${c.checked}
          tabindex=${c.checked || (!anyChecked && i === 0) ? 0 : -1}
          data-card=${c.id}
          data-model=${c.hf ? 'hf' : c.id}
          data-hf=${c.hf ?? nothing}
          @click=${() => this.pick(c)}
        >
          <span class="title" dir="auto">${c.title}</span>
          <span class="kind">${c.kind}</span>
          ${st?.state === 'loading' && c.checked
            ? html`<span class="loading">${st.phase === 'building' ? 'building…' : `loading ${pct ? `${pct}%` : '…'}`}</span>`
            : nothing}
          ${st?.state === 'failed' && c.checked ? html`<span class="failed">could not load</span>` : nothing}
        </button>`;
      })}
    </div>`;
  }

  static override styles = css`
    :host { display: block; }
    .cards { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
    .card {
      all: unset;
      box-sizing: border-box;
      display: flex;
      flex-direction: column;
      gap: 2px;
      padding: 9px 11px;
      border-radius: 10px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      cursor: pointer;
      min-height: 58px;
      min-width: 0;
    }
    .card:hover { border-color: var(--accent, #5b3cc4); }
    .card.on { border-color: var(--accent, #5b3cc4); box-shadow: inset 0 0 0 1px var(--accent, #5b3cc4); background: var(--accent-soft, #ede8ff); }
    .card:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 2px; }
    .card.hf .title::before { content: '🤗 ' / ''; }
    .title { font-weight: 650; font-size: 13.5px; color: var(--fg, #222); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .kind { font-size: 11.5px; color: var(--muted, #666); }
    .loading { font-size: 11.5px; color: var(--accent, #5b3cc4); }
    .failed { font-size: 11.5px; color: var(--error, #9b1c1c); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'model-picker': ModelPicker;
  }
}
