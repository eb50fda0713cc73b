// <pytorch-panel>: the "PyTorch" panel of every widget's header (widget-base.ts) and of the explorer: a runnable
// script of what is shown (read-only, monospace, scrolls), Copy, Download .py, and the files the script reads (a
// model's weights: a link to the file the page serves, or a button that asks the engine for the current weights).
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { download } from '../export/export';

/** A file the script reads, offered next to Copy and Download .py. */
export interface ScriptDownload {
  label: string; // "Download weights"
  name: string; // the file name the script expects
  /** A file the page serves (a link), or ... */
  href?: string;
  /** ... one made on demand (the engine's current weights). */
  make?: () => Promise<Blob>;
}

/** Copies text to the clipboard; without the permission (an iframe without it), selects it in `area` instead, so
 * Ctrl+C copies it. */
export async function copyOrSelect(text: string, area: HTMLTextAreaElement | null | undefined): Promise<'copied' | 'selected'> {
  try {
    await navigator.clipboard.writeText(text);
    return 'copied';
  } catch {
    area?.focus();
    area?.select();
    return 'selected';
  }
}

@customElement('pytorch-panel')
export class PytorchPanel extends LitElement {
  /** The script ('' while there is nothing to show yet). */
  @property() script = '';
  /** The name of the downloaded script, e.g. "attn-ffn.py". */
  @property({ attribute: 'file-name' }) fileName = 'attn.py';
  @property() intro = 'A runnable PyTorch script of what the widget shows now: the same tensors, the same modules, the same numbers printed.';
  @property({ attribute: false }) files: ScriptDownload[] = [];

  @state() private copied: '' | 'copied' | 'selected' = '';
  @state() private making = '';
  @state() private fileError = '';

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('script')) this.copied = '';
  }

  private async copy() {
    this.copied = await copyOrSelect(this.script, this.renderRoot.querySelector('textarea'));
  }

  private async makeFile(f: ScriptDownload) {
    this.making = f.name;
    this.fileError = '';
    try {
      download(f.name, await f.make!());
    } catch (e) {
      this.fileError = `${f.name} could not be made: ${(e as Error).message}`;
    } finally {
      this.making = '';
    }
  }

  override render() {
    const script = this.script;
    return html`<div class="w-pop w-pytorch" role="group" aria-label="PyTorch script">
      <p>${this.intro}</p>
      <div class="w-pytorch-bar">Python <span class="w-pytorch-actions">
        <button class="w-pytorch-copy" ?disabled=${!script} @click=${() => this.copy()}>${this.copied === 'copied' ? 'Copied' : 'Copy'}</button>
        <button class="w-pytorch-download" ?disabled=${!script} @click=${() => download(this.fileName, script, 'text/x-python')}>Download .py</button>
        ${this.files.map((f) =>
          f.href
            ? html`<a class="w-pytorch-file" href=${f.href} download=${f.name} title=${f.name}>${f.label}</a>`
            : html`<button class="w-pytorch-file" title=${f.name} ?disabled=${this.making === f.name}
                @click=${() => this.makeFile(f)}>${this.making === f.name ? 'Preparing…' : f.label}</button>`,
        )}
      </span></div>
      <textarea readonly spellcheck="false" wrap="off" rows="18" data-snippet="pytorch" aria-label="PyTorch script"
        .value=${script || '# Computing…'}></textarea>
      ${this.copied === 'selected' ? html`<p class="muted">Selected: press Ctrl+C (⌘C) to copy.</p>` : nothing}
      ${this.fileError ? html`<p class="error" role="alert">${this.fileError}</p>` : nothing}
    </div>`;
  }

  // Inside a widget the --w-* colours of its theme apply; on the explorer page, the page's own.
  static override styles = css`
    :host { display: block; }
    .w-pop { border: 1px solid var(--w-border, var(--border, #e2dfee)); border-radius: 10px; padding: 10px 12px; margin: 0 0 10px;
      background: var(--w-code-bg, var(--chip-bg, #f3f1fa)); color: var(--w-fg, var(--fg, #1d1d24)); }
    p { margin: 0 0 8px; font-size: 12.5px; }
    .muted { color: var(--w-muted, var(--muted, #5f5d6e)); }
    .error { color: var(--w-error, var(--error, #9b1c1c)); }
    .w-pytorch-bar { display: flex; align-items: center; justify-content: space-between; gap: 8px; flex-wrap: wrap;
      font-size: 12.5px; font-weight: 600; margin-top: 6px; }
    .w-pytorch-actions { display: inline-flex; gap: 6px; flex-wrap: wrap; font-weight: 400; }
    button, a.w-pytorch-file { font: inherit; font-size: 12.5px; padding: 2px 8px; border-radius: 6px; cursor: pointer; text-decoration: none;
      border: 1px solid var(--w-border, var(--border, #d6d3e4)); background: var(--w-input-bg, var(--input-bg, #fff)); color: var(--w-fg, var(--fg, #222)); }
    button:disabled { opacity: 0.55; cursor: default; }
    button:focus-visible, a:focus-visible, textarea:focus-visible { outline: 2px solid var(--w-focus, var(--focus, #8f7cf0)); outline-offset: 1px; }
    textarea { display: block; width: 100%; box-sizing: border-box; margin-top: 6px; font: 12px ui-monospace, monospace;
      background: var(--w-input-bg, var(--input-bg, #fff)); color: var(--w-fg, var(--fg, #1d1d24)); border: 1px solid var(--w-border, var(--border, #e2dfee));
      border-radius: 6px; padding: 6px; resize: vertical; max-height: 60vh; min-height: 12em; overflow: auto; white-space: pre; tab-size: 4; }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'pytorch-panel': PytorchPanel;
  }
}
