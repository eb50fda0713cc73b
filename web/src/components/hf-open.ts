// <hf-open>: "Open a model…": choose a Hugging Face model's files or its folder (or drop them on the page, which
// the explorer handles), follow the load (reading the files, then building the model in the engine), read the
// engine's message when the files are wrong, and see or remove the models kept in this browser.
// Fires `hf-files` ({files: {file, path}[]}) and `hf-remove` (a stored model's id). All state comes from the store.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cssProps } from './css-props';
import { HF_FAMILIES, formatBytes, formatCount } from '../models/hf';
import type { StoredHfSummary } from '../models/hf-store';
import type { HfOpenState } from '../state/store';

export interface ChosenFile {
  file: File;
  path: string;
}

@customElement('hf-open')
export class HfOpen extends LitElement {
  @property({ attribute: false }) status: HfOpenState = { state: 'idle' };
  @property({ attribute: false }) stored: StoredHfSummary[] = [];
  /** The Hugging Face model the page shows (marked in the list). */
  @property({ attribute: false }) current?: string;
  @state() private expanded = false;

  private get busy() {
    return this.status.state === 'reading' || this.status.state === 'building';
  }

  private choose(which: 'files' | 'folder') {
    this.renderRoot.querySelector<HTMLInputElement>(which === 'files' ? 'input.files' : 'input.folder')?.click();
  }

  private onInput(ev: Event) {
    const input = ev.target as HTMLInputElement;
    const files = [...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    input.value = ''; // the same files can be chosen again
    if (files.length) this.dispatchEvent(new CustomEvent('hf-files', { detail: { files }, bubbles: true, composed: true }));
  }

  private removeModel(m: StoredHfSummary) {
    this.dispatchEvent(new CustomEvent<string>('hf-remove', { detail: m.id, bubbles: true, composed: true }));
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('status')) return;
    // A failure is read next to the buttons that caused it; a model just opened is shown, so the panel closes.
    if (this.status.state === 'failed') this.expanded = true;
    if (this.status.state === 'done' && this.status.opened) this.expanded = false;
  }

  private renderStatus() {
    const s = this.status;
    if (s.state === 'reading') {
      const pct = s.total ? Math.round((100 * s.loaded) / s.total) : 0;
      return html`<div class="progress-box" role="status">
        <p>Reading ${s.name ? html`<strong dir="auto">${s.name}</strong>` : 'the files'}… ${pct}%
          <span class="muted">(${formatBytes(s.loaded)} of ${formatBytes(s.total)})</span></p>
        <div class="bar" role="progressbar" aria-label="Reading the files" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
          <div class="fill" style=${cssProps({ width: `${pct}%` })}></div></div>
      </div>`;
    }
    if (s.state === 'building')
      return html`<div class="progress-box" role="status">
        <p>Building ${s.name ? html`<strong dir="auto">${s.name}</strong>` : 'the model'} in the engine: checking every tensor and laying out the weights…</p>
        <div class="bar indeterminate" role="progressbar" aria-label="Building the model"><div class="fill"></div></div>
      </div>`;
    if (s.state === 'failed')
      return html`<div class="error" role="alert"><strong>This model could not be opened.</strong> ${s.message}
        <span class="keeps">Nothing was kept, and the page goes on with the model it had.</span></div>`;
    if (s.state === 'done') return html`<p class="done" role="status">${s.message}</p>`;
    return nothing;
  }

  override render() {
    return html`
      <div class="row">
        <button class="open-btn" aria-expanded=${this.expanded} aria-controls="hf-panel" @click=${() => (this.expanded = !this.expanded)}>
          Open a model…</button>
        <span class="hint">a Hugging Face checkpoint from your disk: GPT-2, BERT, DistilBERT or MarianMT</span>
      </div>
      ${this.renderStatus()}
      <input class="files" type="file" multiple tabindex="-1" aria-hidden="true" @change=${this.onInput} />
      <input class="folder" type="file" webkitdirectory tabindex="-1" aria-hidden="true" @change=${this.onInput} />
      ${this.expanded
        ? html`<div id="hf-panel" class="panel" role="group" aria-label="Open a Hugging Face model">
            <p>Choose the files of one model, as you downloaded them from the Hugging Face Hub, or the folder that holds
              them, or drop them anywhere on this page. They stay on your computer: the engine runs the model here.</p>
            <div class="buttons">
              <button class="choose-files" ?disabled=${this.busy} @click=${() => this.choose('files')}>Choose files…</button>
              <button class="choose-folder" ?disabled=${this.busy} @click=${() => this.choose('folder')}>Choose a folder…</button>
            </div>
            <details>
              <summary>Which files?</summary>
              <ul>
                <li><strong>Always</strong> <code>config.json</code> and <code>model.safetensors</code> (or
                  <code>model.safetensors.index.json</code> and its shards).</li>
                <li><strong>gpt2, distilgpt2</strong>: <code>tokenizer.json</code>, or <code>vocab.json</code> and <code>merges.txt</code>.</li>
                <li><strong>bert-base-uncased, distilbert-base-uncased</strong>: <code>tokenizer.json</code> or <code>vocab.txt</code>.</li>
                <li><strong>Helsinki-NLP/opus-mt-…</strong>: <code>source.spm</code>, <code>target.spm</code> and <code>vocab.json</code>.</li>
              </ul>
              <p class="muted">Also read when present: <code>tokenizer_config.json</code>, <code>special_tokens_map.json</code>,
                <code>generation_config.json</code>. Other files (README.md, pytorch_model.bin, …) are left out.</p>
            </details>
            <h4>Kept in this browser</h4>
            ${this.stored.length
              ? html`<ul class="stored">
                  ${this.stored.map(
                    (m) => html`<li data-id=${m.id}>
                      <span class="name" dir="auto">${m.name}${m.id === this.current ? html` <span class="now">· shown now</span>` : nothing}</span>
                      <span class="muted">${HF_FAMILIES[m.family]?.title ?? m.family} · ${formatCount(m.numParameters)} parameters · ${formatBytes(m.bytes)}</span>
                      <button class="remove" aria-label="Remove ${m.name} from this browser" @click=${() => this.removeModel(m)}>Remove</button>
                    </li>`,
                  )}
                </ul>`
              : html`<p class="muted">None yet. A model you open is kept here, so your next visit opens it at once.</p>`}
          </div>`
        : nothing}
    `;
  }

  static override styles = css`
    :host { display: block; margin-top: 10px; }
    .row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
    .hint { font-size: 12px; color: var(--muted, #666); }
    button {
      font: inherit;
      font-size: 13px;
      padding: 5px 11px;
      border-radius: 8px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      color: var(--fg, #333);
      cursor: pointer;
    }
    button:hover:not(:disabled) { border-color: var(--accent, #5b3cc4); color: var(--accent, #5b3cc4); }
    button:disabled { opacity: 0.55; cursor: default; }
    button:focus-visible, summary:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .open-btn { font-weight: 600; }
    .open-btn[aria-expanded='true'] { background: var(--accent-soft, #ede8ff); border-color: var(--accent, #5b3cc4); }
    input[type='file'] { display: none; }
    .panel { margin-top: 10px; padding: 10px 12px; border: 1px solid var(--border, #e4e1ef); border-radius: 10px; font-size: 13px; }
    .panel p { margin: 0 0 8px; }
    .buttons { display: flex; gap: 8px; flex-wrap: wrap; margin-bottom: 8px; }
    details { margin: 4px 0 8px; }
    summary { cursor: pointer; color: var(--accent, #5b3cc4); font-size: 12.5px; }
    details ul { margin: 6px 0; padding-left: 18px; }
    details li { margin: 2px 0; font-size: 12.5px; }
    code { font-size: 11.5px; background: var(--chip-bg, #f0eefa); padding: 0 4px; border-radius: 4px; }
    h4 { margin: 10px 0 6px; font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted, #666); }
    .stored { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
    .stored li { display: grid; grid-template-columns: minmax(0, 1fr) auto; grid-template-rows: auto auto; column-gap: 8px; align-items: center; }
    .stored .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .stored .muted { grid-column: 1; font-size: 12px; }
    .stored .now { font-weight: 400; font-size: 12px; color: var(--accent, #5b3cc4); }
    .stored .remove { grid-column: 2; grid-row: 1 / span 2; font-size: 12px; padding: 3px 9px; }
    .muted { color: var(--muted, #666); }
    .progress-box { margin-top: 10px; font-size: 13px; }
    .progress-box p { margin: 0 0 6px; }
    .bar { height: 6px; border-radius: 3px; background: var(--border, #e4e1ef); overflow: hidden; max-width: 320px; }
    .fill { height: 100%; background: var(--accent, #5b3cc4); transition: width 0.15s; }
    .indeterminate .fill { width: 35%; animation: slide 1.1s ease-in-out infinite; }
    @keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(290%); } }
    @media (prefers-reduced-motion: reduce) { .indeterminate .fill { animation: none; width: 100%; opacity: 0.5; } }
    .error { margin-top: 10px; padding: 9px 11px; border-radius: 10px; background: var(--error-bg, #fde8e8); color: var(--error, #9b1c1c); font-size: 13px; }
    .keeps { display: block; margin-top: 4px; font-size: 12px; }
    .done { margin: 10px 0 0; font-size: 12.5px; color: var(--ok, #166534); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'hf-open': HfOpen;
  }
}
