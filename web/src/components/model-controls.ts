// <model-controls>: the toy model's architecture and teaching toggles. Fires `settings-change` with a patch.
// Only valid combinations can be picked (the head count always divides d_model).
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ModelSettings } from '../state/store';

/** The choices offered (and, for <attn-view>'s attributes, allowed). */
export const D_MODELS = [16, 32, 64, 128, 256, 512];
export const HEADS = [1, 2, 4, 8, 16];
export const LAYERS = [1, 2, 3, 4, 6];
export const FFNS = [32, 64, 128, 256, 512, 1024, 2048];

@customElement('model-controls')
export class ModelControls extends LitElement {
  @property({ attribute: false }) settings!: ModelSettings;

  private change(patch: Partial<ModelSettings>) {
    this.dispatchEvent(new CustomEvent('settings-change', { detail: patch, bubbles: true, composed: true }));
  }

  private select<K extends keyof ModelSettings>(key: K, label: string, options: number[], hint: string) {
    const value = this.settings[key] as number;
    return html`<label class="field" title=${hint}>
      <span>${label}</span>
      <select
        name=${key}
        @change=${(e: Event) => this.change({ [key]: Number((e.target as HTMLSelectElement).value) } as Partial<ModelSettings>)}
      >
        ${options.map((o) => html`<option value=${o} ?selected=${o === value}>${o}</option>`)}
      </select>
    </label>`;
  }

  private toggle<K extends keyof ModelSettings>(key: K, label: string, hint: string) {
    return html`<label class="toggle" title=${hint}>
      <input
        type="checkbox"
        name=${key}
        .checked=${this.settings[key] as boolean}
        @change=${(e: Event) => this.change({ [key]: (e.target as HTMLInputElement).checked } as Partial<ModelSettings>)}
      />
      <span>${label}</span>
    </label>`;
  }

  override render() {
    const s = this.settings;
    const heads = HEADS.filter((h) => s.d_model % h === 0 && h <= s.d_model);
    return html`
      <div class="row">
        ${this.select('d_model', 'd_model', D_MODELS, 'Width of every token vector (embed_dim)')}
        ${this.select('nhead', 'heads', heads, 'Attention heads per layer; each head gets d_model / heads dimensions')}
        ${this.select('num_layers', 'layers', LAYERS, 'Transformer encoder layers stacked')}
        ${this.select('dim_feedforward', 'FFN width', FFNS, 'Hidden width of the position-wise feed-forward network')}
        <label class="field" title="Seed of the random weights: same seed, same model">
          <span>seed</span>
          <input
            name="seed"
            type="number"
            min="0"
            max="999999"
            step="1"
            .value=${String(s.seed)}
            @change=${(e: Event) => {
              const v = Math.round(Number((e.target as HTMLInputElement).value));
              this.change({ seed: Number.isFinite(v) ? Math.min(999999, Math.max(0, v)) : 0 });
            }}
          />
        </label>
      </div>
      <div class="row toggles">
        ${this.toggle('positional', 'positional encoding', 'Add the sinusoidal position signal to each token. Off: the model cannot tell word order.')}
        ${this.toggle('causal', 'causal mask', 'Each token may only attend to itself and earlier tokens (as in GPT).')}
        ${this.toggle('scaled', 'scale by 1/√d_k', 'Divide scores by the square root of the head width before the softmax.')}
      </div>
      <p class="dims">Each head sees <strong>${s.d_model / s.nhead}</strong> of the ${s.d_model} dimensions.</p>
    `;
  }

  static override styles = css`
    :host { display: block; font-size: 13px; }
    .row { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: end; }
    .toggles { margin-top: 12px; gap: 8px 18px; }
    .field { display: flex; flex-direction: column; gap: 3px; }
    .field span { font-size: 11.5px; color: var(--muted, #666); letter-spacing: 0.02em; }
    select, input[type='number'] {
      font: inherit;
      padding: 5px 6px;
      border-radius: 7px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      color: var(--fg, #222);
      min-width: 64px;
    }
    input[type='number'] { width: 80px; }
    .toggle { display: inline-flex; gap: 6px; align-items: center; cursor: pointer; }
    .toggle input { width: 16px; height: 16px; accent-color: var(--accent, #5b3cc4); }
    select:focus-visible, input:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .dims { margin: 10px 0 0; color: var(--muted, #666); font-size: 12.5px; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'model-controls': ModelControls;
  }
}
