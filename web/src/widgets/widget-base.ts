// What every teaching widget shares: its state lives in its attributes (so an embed snippet or an iframe URL
// reproduces it exactly), it starts the shared engine only when scrolled into view, it calls the engine in the
// worker with "latest wins" (a newer edit supersedes an older computation), and its header has the title,
// an Embed button (custom-element and iframe snippets of the current state) and an Export menu for its
// matrices (PNG, SVG, CSV, JSON).
//
// A widget subclass declares:
//   static widgetTag            its custom element name ("attn-by-hand")
//   static stateKeys            the attributes that make up its state, in a stable order
//   widgetTitle                 the header title
//   compute()                   called (debounced to a frame) whenever the state changes and the engine is ready
//   exportables()               the matrices it can export right now
//   renderBody()                its content
// and calls this.stateChanged() after changing state from its own controls.
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { CallArgs, CallName, CallResult } from '../engine/calls';
import { Superseded } from '../engine/client';
import { assetBase, onEngineStatus, sharedEngine } from '../engine/shared';

/** What a widget needs to know of its engine: loading (with progress), ready, or failed. */
export type WidgetEngineStatus =
  | { state: 'loading'; loaded: number; total: number }
  | { state: 'ready' }
  | { state: 'failed'; message: string };
import { EXPORT_FORMATS, exportMatrix, type ExportFormat, type MatrixExport } from '../export/export';
import { scriptFileName } from './pytorch';
import { copyOrSelect, type ScriptDownload } from './pytorch-panel';
import { COLORMAPS } from '../components/colormaps';
import { srOnlyStyles } from '../components/sr-only';
import { themeStyles } from './theme';
import { download as saveFile, fileName } from '../export/export';

export abstract class WidgetBase extends LitElement {
  static widgetTag = '';
  static stateKeys: string[] = [];

  /** light, dark, or (default) the reader's system setting. */
  @property({ reflect: true }) theme: 'light' | 'dark' | '' = '';
  /** The colormap of weight heatmaps: viridis (colour-blind safe, the default) or another sequential map.
   * Signed values keep their diverging blue-red map. Part of every widget's state. */
  @property({ reflect: true }) colormap = 'viridis';
  /** Hide the header (title, Embed, Export), e.g. when the course text already introduces the widget. */
  @property({ type: Boolean, attribute: 'no-header' }) noHeader = false;

  @state() protected engineStatus: WidgetEngineStatus = { state: 'loading', loaded: 0, total: 0 };
  @state() protected error = '';
  @state() protected busy = false;
  @state() private embedOpen = false;
  @state() private exportOpen = false;
  @state() private pytorchOpen = false;
  @state() private copied = '';

  abstract get widgetTitle(): string;
  protected abstract compute(): Promise<void>;
  protected abstract renderBody(): TemplateResult | typeof nothing;
  protected exportables(): MatrixExport[] {
    return [];
  }
  /** Pictures that export as SVG only (the head view's lines): a title, and the SVG text when asked. */
  protected svgExports(): { title: string; svg: () => string }[] {
    return [];
  }
  /**
   * A runnable PyTorch script of exactly the current state (pytorch.ts), or '' while there is nothing to show.
   * Widgets that override it get a PyTorch button in the header.
   */
  pytorchScript(): string {
    return '';
  }
  /** The files the PyTorch script reads (a model's weights), offered in its panel. */
  pytorchFiles(): ScriptDownload[] {
    return [];
  }
  private get hasPytorch() {
    return this.pytorchScript !== WidgetBase.prototype.pytorchScript;
  }

  private visible = false;
  private scheduled = 0;
  private generation = 0;
  private unsubscribe?: () => void;
  private observer?: IntersectionObserver;

  override connectedCallback() {
    super.connectedCallback();
    // Lazy: nothing loads until the widget is near the viewport.
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !this.visible) {
          this.visible = true;
          this.observer?.disconnect();
          this.unsubscribe = this.connectEngine((s) => {
            this.engineStatus = s;
            if (s.state === 'ready') this.schedule();
          });
        }
      },
      { rootMargin: '200px' },
    );
    this.observer.observe(this);
  }

  /**
   * Starts the engine this widget computes with and follows its state; returns the unsubscribe function.
   * By default the page's one shared engine worker; the training lab has a worker of its own.
   */
  protected connectEngine(listener: (s: WidgetEngineStatus) => void): () => void {
    const off = onEngineStatus(listener);
    sharedEngine();
    return off;
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.unsubscribe?.();
    cancelAnimationFrame(this.scheduled);
  }

  protected override updated(changed: PropertyValues) {
    super.updated(changed);
    const ctor = this.constructor as typeof WidgetBase;
    const keys = ctor.stateKeys;
    // A property's attribute: the one it declares (labRun's is "run"), or its name in kebab case.
    const attrOf = (k: PropertyKey) => {
      const declared = ctor.elementProperties.get(k)?.attribute;
      return typeof declared === 'string' ? declared : attrName(String(k));
    };
    if ([...changed.keys()].some((k) => keys.includes(String(k)) || keys.includes(attrOf(k)))) this.schedule();
  }

  /** Call after changing state from the widget's own controls: recomputes and tells the page (for URL state). */
  protected async stateChanged() {
    this.schedule();
    await this.updateComplete; // state properties reflect to attributes during the update
    this.dispatchEvent(new CustomEvent('widget-state', { detail: this.stateAttributes(), bubbles: true, composed: true }));
  }

  private schedule() {
    if (!this.visible || this.engineStatus.state !== 'ready') return;
    cancelAnimationFrame(this.scheduled);
    this.scheduled = requestAnimationFrame(() => void this.run());
  }

  private async run() {
    const gen = ++this.generation;
    const key = JSON.stringify(this.stateAttributes());
    this.busy = true;
    try {
      await this.compute();
      if (gen === this.generation) {
        this.error = '';
        this.dataset.computed = key; // what is shown now: tests wait for it to equal the state
      }
    } catch (e) {
      if (e instanceof Superseded) return;
      if (gen === this.generation) this.error = (e as Error).message;
    } finally {
      if (gen === this.generation) this.busy = false;
    }
  }

  /** One engine call in the shared worker. A newer call from this widget under the same key supersedes it. */
  protected call<N extends CallName>(name: N, args: CallArgs<N>, key: string = name): Promise<CallResult<N>> {
    return sharedEngine().call(name, args, `${this.widgetId}:${key}`);
  }

  private readonly widgetId = `w${Math.random().toString(36).slice(2, 10)}`;

  // ------------------------------------------------------------------------------------------- state
  /** The current state as attribute name -> value (only the state keys that are set). */
  stateAttributes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of [...(this.constructor as typeof WidgetBase).stateKeys, 'colormap']) {
      const v = this.getAttribute(key);
      if (v !== null && !(key === 'colormap' && v === 'viridis')) out[key] = v;
    }
    return out;
  }

  /** `<attn-x a="1" ...></attn-x>` with the script tag that defines it. */
  elementSnippet(): string {
    const tag = (this.constructor as typeof WidgetBase).widgetTag;
    const attrs = Object.entries(this.stateAttributes())
      .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
      .join('');
    return `<script type="module" src="${assetBase()}attn-widgets.js"></script>\n<${tag}${attrs}></${tag}>`;
  }

  /** The iframe URL of this widget in its current state. */
  iframeUrl(): string {
    const q = new URLSearchParams({ w: (this.constructor as typeof WidgetBase).widgetTag, ...this.stateAttributes() });
    if (this.theme) q.set('theme', this.theme);
    return `${assetBase()}embed.html?${q}`;
  }

  iframeSnippet(): string {
    const h = Math.max(360, Math.round(this.getBoundingClientRect().height) + 20);
    // The script (optional, once per page) lets the frame follow its content's height (web/public/embed-resize.js).
    return `<iframe src="${escapeAttr(this.iframeUrl())}" title="${escapeAttr(this.widgetTitle)}" width="100%" height="${h}" loading="lazy"></iframe>\n<script src="${assetBase()}embed-resize.js" async></script>`;
  }

  private async copy(which: 'element' | 'iframe') {
    const text = which === 'element' ? this.elementSnippet() : this.iframeSnippet();
    const area = this.renderRoot.querySelector<HTMLTextAreaElement>(`textarea[data-snippet="${which}"]`);
    this.copied = (await copyOrSelect(text, area)) === 'copied' ? which : `${which}-select`;
  }

  private async doExport(index: number, format: ExportFormat) {
    const m = this.exportables()[index];
    if (m) await exportMatrix(m, format);
  }

  // ------------------------------------------------------------------------------------------ render
  override render() {
    // Without its header (the page shows its own), the title stays for screen readers: the widget's sections (h3)
    // keep their place in the page's outline.
    const title = this.noHeader ? html`<h2 class="sr-only">${this.widgetTitle}</h2>` : this.renderHeader();
    return html`${title} ${this.renderStatus()} ${this.renderBody()}`;
  }

  private renderHeader() {
    const matrices = this.exportables();
    const pictures = this.svgExports();
    return html`<header class="w-head">
        <h2 class="w-title">${this.widgetTitle}</h2>
        <div class="w-actions">
          <label class="w-cmap">Colours
            <select @change=${(e: Event) => {
              this.colormap = (e.target as HTMLSelectElement).value;
              void this.stateChanged();
            }}>
              ${Object.entries(COLORMAPS).map(([k, c]) => html`<option value=${k} ?selected=${k === this.colormap}>${c.label}</option>`)}
            </select>
          </label>
          ${matrices.length || pictures.length
            ? html`<button class="w-export-btn" aria-expanded=${this.exportOpen} @click=${() => {
                this.exportOpen = !this.exportOpen;
                this.embedOpen = false;
                this.pytorchOpen = false;
              }}>Export</button>`
            : nothing}
          <button class="w-embed-btn" aria-expanded=${this.embedOpen} @click=${() => {
            this.embedOpen = !this.embedOpen;
            this.exportOpen = false;
            this.pytorchOpen = false;
            this.copied = '';
          }}>Embed</button>
          ${this.hasPytorch
            ? html`<button class="w-pytorch-btn" aria-expanded=${this.pytorchOpen} @click=${() => {
                this.pytorchOpen = !this.pytorchOpen;
                this.embedOpen = false;
                this.exportOpen = false;
                this.copied = '';
              }}>PyTorch</button>`
            : nothing}
        </div>
      </header>
      ${this.embedOpen
        ? html`<div class="w-pop" role="group" aria-label="Embed this widget">
            <p>Paste into a page on the same site as these files. Both reproduce what you see now.</p>
            <label>Custom element <button @click=${() => this.copy('element')}>${this.copied === 'element' ? 'Copied' : 'Copy'}</button></label>
            <textarea readonly rows="2" data-snippet="element" .value=${this.elementSnippet()}></textarea>
            <label>Iframe <button @click=${() => this.copy('iframe')}>${this.copied === 'iframe' ? 'Copied' : 'Copy'}</button></label>
            <textarea readonly rows="2" data-snippet="iframe" .value=${this.iframeSnippet()}></textarea>
            ${this.copied.endsWith('-select') ? html`<p class="muted">Selected: press Ctrl+C (⌘C) to copy.</p>` : nothing}
          </div>`
        : nothing}
      ${this.pytorchOpen
        ? html`<pytorch-panel .script=${this.pytorchScript()} .files=${this.pytorchFiles()}
            file-name=${scriptFileName((this.constructor as typeof WidgetBase).widgetTag)}></pytorch-panel>`
        : nothing}
      ${this.exportOpen
        ? html`<div class="w-pop" role="group" aria-label="Export a matrix">
            <table class="w-export">
              ${matrices.map(
                (m, i) => html`<tr>
                  <th scope="row">${m.title}</th>
                  ${EXPORT_FORMATS.map(
                    (f) => html`<td>${(m.formats ?? EXPORT_FORMATS).includes(f)
                      ? html`<button data-format=${f} data-index=${i} @click=${() => this.doExport(i, f)}>${f.toUpperCase()}</button>` : nothing}</td>`,
                  )}
                </tr>`,
              )}
              ${pictures.map((p, i) => html`<tr>
                <th scope="row">${p.title}</th>
                <td><button data-format="svg" data-picture=${i} @click=${() => saveFile(fileName(p.title, 'svg'), p.svg(), 'image/svg+xml')}>SVG</button></td>
              </tr>`)}
            </table>
          </div>`
        : nothing}`;
  }

  private renderStatus() {
    const s = this.engineStatus;
    if (s.state === 'failed') return html`<p class="w-error" role="alert">The engine could not start: ${s.message}</p>`;
    if (s.state === 'loading' && this.visible)
      return html`<p class="w-loading muted" role="status">Loading the engine${s.total ? ` (${Math.round((100 * s.loaded) / s.total)}%)` : ''}…</p>`;
    if (this.error) return html`<p class="w-error" role="alert">${this.error}</p>`;
    return nothing;
  }

  static baseStyles = [
    themeStyles,
    srOnlyStyles,
    css`
      .w-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 10px; margin-bottom: 8px; }
      .w-title { font-size: 15px; margin: 0; }
      .w-actions { display: flex; flex-wrap: wrap; gap: 6px; }
      .w-actions { align-items: center; }
      .w-actions button, .w-cmap { font-size: 12.5px; }
      .w-cmap { display: inline-flex; gap: 5px; align-items: center; color: var(--w-muted); }
      .w-cmap select { font-size: 12.5px; background: var(--w-input-bg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 4px; }
      .w-pop { border: 1px solid var(--w-border); border-radius: 10px; padding: 10px 12px; margin: 0 0 10px; background: var(--w-code-bg); }
      .w-pop p { margin: 0 0 8px; font-size: 12.5px; }
      .w-pop label { display: flex; align-items: center; justify-content: space-between; font-size: 12.5px; font-weight: 600; margin-top: 6px; }
      .w-pop textarea { width: 100%; box-sizing: border-box; font: 12px ui-monospace, monospace; background: var(--w-input-bg); color: var(--w-fg); border: 1px solid var(--w-border); border-radius: 6px; padding: 6px; resize: vertical; }
      .w-export { border-collapse: collapse; font-size: 12.5px; }
      .w-export th { text-align: left; font-weight: 500; padding-right: 10px; }
      .w-export td { padding: 2px; }
      .w-error { color: var(--w-error); background: var(--w-error-bg); padding: 6px 10px; border-radius: 8px; margin: 0 0 8px; }
      .w-loading { margin: 0 0 8px; }
    `,
  ];
}

function attrName(prop: string) {
  return prop.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function escapeAttr(s: string) {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
