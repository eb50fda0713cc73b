// <model-picker>: the trained models and the untrained one, as a radio group of cards. Fires `model-change`.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { pickable, type ModelId } from '../models/catalog';
import type { ModelStatus } from '../engine/client';

@customElement('model-picker')
export class ModelPicker extends LitElement {
  @property() value: ModelId = 'lm';
  @property({ attribute: false }) status: Partial<Record<ModelId, ModelStatus>> = {};
  /** A lab run opened from the training lab: offers "Your model". */
  @property({ attribute: false }) labRun?: string;

  private get models() {
    return pickable(this.labRun);
  }

  private pick(id: ModelId) {
    this.dispatchEvent(new CustomEvent<ModelId>('model-change', { detail: id, bubbles: true, composed: true }));
  }

  private onKey(ev: KeyboardEvent) {
    const models = this.models;
    const i = models.findIndex((m) => m.id === this.value);
    const step = ev.key === 'ArrowDown' || ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowUp' || ev.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    ev.preventDefault();
    const next = models[(i + step + models.length) % models.length];
    this.pick(next.id);
    this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[data-model="${next.id}"]`)?.focus());
  }

  override render() {
    return html`<div class="cards" role="radiogroup" aria-label="Model" @keydown=${this.onKey}>
      ${this.models.map((m) => {
        const st = this.status[m.id];
        const checked = m.id === this.value;
        const pct = st?.state === 'loading' && st.total ? Math.round((100 * st.loaded) / st.total) : 0;
        return html`<button
          class="card ${checked ? 'on' : ''}"
          role="radio"
          aria-checked=${checked}
          tabindex=${checked ? 0 : -1}
          data-model=${m.id}
          @click=${() => this.pick(m.id)}
        >
          <span class="title">${m.title}</span>
          <span class="kind">${m.kind}</span>
          ${st?.state === 'loading' && checked ? html`<span class="loading">loading ${pct ? `${pct}%` : '…'}</span>` : nothing}
          ${st?.state === 'failed' && checked ? html`<span class="failed">could not load</span>` : nothing}
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
    }
    .card:hover { border-color: var(--accent, #5b3cc4); }
    .card.on { border-color: var(--accent, #5b3cc4); box-shadow: inset 0 0 0 1px var(--accent, #5b3cc4); background: var(--accent-soft, #ede8ff); }
    .card:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 2px; }
    .title { font-weight: 650; font-size: 13.5px; color: var(--fg, #222); }
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
