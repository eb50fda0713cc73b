// <attn-explorer>: the explorer page. Type a sentence; the engine (WebAssembly, in a worker) computes every
// layer's and head's attention; pick a layer and a head (or their mean) and read the heatmap.
// State lives in one Store; this element wires it to the engine client and the child components.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cssProps } from './css-props';
import { EngineClient, Superseded, type EngineStatus } from '../engine/client';
import { MAX_TOKENS } from '../text/words';
import { COLORMAPS } from './colormaps';
import { EXAMPLES, queryFromState, stateFromQuery } from './url-state';
import {
  Store,
  modelConfig,
  selectedMatrix,
  tokenIds,
  type AttentionResult,
  type ExplorerState,
  type HeadChoice,
  type ModelSettings,
} from '../state/store';
import './attn-heatmap';
import './model-controls';
import './token-chips';

@customElement('attn-explorer')
export class AttnExplorer extends LitElement {
  /** URL of the engine's JavaScript API (attn.mjs). */
  @property({ attribute: 'engine-url' }) engineUrl = new URL('engine/attn.mjs', document.baseURI).href;
  /** Keep the URL's query string in sync with the state (the page does; embedded copies may not). */
  @property({ type: Boolean, attribute: 'sync-url' }) syncUrl = false;

  readonly store = new Store(stateFromQuery(location.search));
  @state() private s: ExplorerState = this.store.state;
  @state() private engine: EngineStatus = { state: 'loading', loaded: 0, total: 0 };
  @state() private activeRow = -1;

  private client?: EngineClient;
  private requested = '';
  private unsubscribe?: () => void;

  override connectedCallback() {
    super.connectedCallback();
    this.client = new EngineClient(this.engineUrl, (st) => (this.engine = st));
    this.unsubscribe = this.store.subscribe((s) => {
      this.s = s;
      this.compute();
      if (this.syncUrl) history.replaceState(null, '', `?${queryFromState(s)}`);
    });
    this.compute();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.client?.dispose();
  }

  /** Asks the engine for the attention of the current tokens and settings (latest request wins). */
  private compute() {
    const { tokens, settings } = this.store.state;
    const key = JSON.stringify([tokens, settings]);
    if (key === this.requested || !this.client) return;
    this.requested = key;
    if (tokens.length === 0) return;
    const config = modelConfig(settings);
    this.store.setBusy(true);
    this.client
      .forward({ config, seed: settings.seed, ids: tokenIds(tokens), trace: 'weights' })
      .then((r) => {
        const layers: Float32Array[] = [];
        const masks: (Float32Array | undefined)[] = [];
        for (let l = 0; l < settings.num_layers; l++) {
          layers.push(r.trace[`encoder.layers.${l}.self_attn.weights`].data);
          masks.push(r.trace[`encoder.layers.${l}.self_attn.mask`]?.data);
        }
        const result: AttentionResult = {
          tokens,
          layers: settings.num_layers,
          heads: settings.nhead,
          weights: layers,
          masks,
          ms: r.ms,
          numParameters: r.numParameters,
        };
        this.store.setResult(result);
        this.store.setBusy(false);
      })
      .catch((e: Error) => {
        if (e instanceof Superseded) return;
        this.store.setError(e.message);
        this.store.setBusy(false);
      });
  }

  private onText(e: Event) {
    this.store.setText((e.target as HTMLTextAreaElement).value);
  }

  private headLabel(h: HeadChoice) {
    return h === 'mean' ? 'Mean' : String(h + 1);
  }

  private renderPicker(r: AttentionResult) {
    const s = this.s;
    const heads: HeadChoice[] = [...Array.from({ length: r.heads }, (_, h) => h), 'mean'];
    return html`<div class="picker">
      <div class="seg" role="group" aria-label="Layer">
        <span class="seg-label">Layer</span>
        ${Array.from({ length: r.layers }, (_, l) => html`<button
          class="layer" aria-pressed=${s.layer === l} @click=${() => this.store.select(l, s.head)}>${l + 1}</button>`)}
      </div>
      <div class="seg" role="group" aria-label="Head">
        <span class="seg-label">Head</span>
        ${heads.map((h) => html`<button class="head ${h === 'mean' ? 'mean' : ''}" aria-pressed=${s.head === h}
          title=${h === 'mean' ? 'Average of all heads (PyTorch average_attn_weights=True)' : `Head ${Number(h) + 1}`}
          @click=${() => this.store.select(s.layer, h)}>${this.headLabel(h)}</button>`)}
      </div>
      <div class="seg" role="group" aria-label="Colour range">
        <span class="seg-label">Range</span>
        <button class="range" aria-pressed=${s.range === 'max'} title="Colours span 0 to the largest weight shown"
          @click=${() => this.store.setRange('max')}>0–max</button>
        <button class="range" aria-pressed=${s.range === 'fixed'} title="Colours span 0 to 1: the same scale for every head"
          @click=${() => this.store.setRange('fixed')}>0–1</button>
      </div>
      <label class="cmap">
        <span class="seg-label">Colours</span>
        <select @change=${(e: Event) => this.store.setColormap((e.target as HTMLSelectElement).value)}>
          ${Object.entries(COLORMAPS).map(([k, v]) => html`<option value=${k} ?selected=${k === s.colormap}>${v.label}</option>`)}
        </select>
      </label>
    </div>`;
  }

  private renderView() {
    const s = this.s;
    const e = this.engine;
    if (e.state === 'failed')
      return html`<div class="state error" role="alert"><strong>The engine could not start.</strong> ${e.message}</div>`;
    if (s.tokens.length === 0)
      return html`<div class="state empty">
        <p class="big">Type a sentence to see how each word attends to the others.</p>
        <p>Or start from an example:</p>
        <div class="examples">${EXAMPLES.map((x) => html`<button class="example" @click=${() => this.store.setText(x)}>${x}</button>`)}</div>
      </div>`;
    if (!s.result) {
      if (e.state === 'loading') {
        const pct = e.total ? Math.round((100 * e.loaded) / e.total) : 0;
        return html`<div class="state loading" role="status">
          <p>Loading the attention engine (WebAssembly)… ${e.total ? html`${pct}%` : nothing}</p>
          <div class="progress"><div class="fill" style=${cssProps({ width: `${pct}%` })}></div></div>
        </div>`;
      }
      return html`<div class="state loading" role="status"><p>Computing attention…</p></div>`;
    }
    const r = s.result;
    const layer = Math.min(s.layer, r.layers - 1);
    const head = s.head === 'mean' ? 'mean' : Math.min(s.head, r.heads - 1);
    const { matrix, mask } = selectedMatrix(r, layer, head);
    const headName = head === 'mean' ? 'mean of all heads' : `head ${head + 1}`;
    let hi = 1;
    if (s.range === 'max') {
      hi = 0;
      for (const v of matrix) if (v > hi) hi = v;
      hi = hi > 0 ? hi : 1;
    }
    return html`
      ${this.renderPicker(r)}
      <attn-heatmap
        .matrix=${matrix}
        .rows=${r.tokens.length}
        .cols=${r.tokens.length}
        .rowLabels=${r.tokens}
        .colLabels=${r.tokens}
        .mask=${mask}
        .colormap=${s.colormap}
        .domain=${[0, hi] as [number, number]}
        caption="Attention weights · layer ${layer + 1} · ${headName}"
        @cell-active=${(ev: CustomEvent) => (this.activeRow = ev.detail.row)}
      ></attn-heatmap>
      <p class="explain">
        Row <em>i</em> is token <em>i</em>’s query: how its attention is shared among all the keys. Each row is a softmax, so it
        sums to 1${s.settings.causal ? html`; with the causal mask a token sees only itself and the tokens before it` : nothing}.
      </p>
      <p class="stats">
        ${r.tokens.length} tokens · ${r.layers} × ${r.heads} heads · ${r.numParameters.toLocaleString('en-US')} parameters ·
        computed in ${r.ms.toFixed(1)} ms by the C++ engine (WebAssembly${e.state === 'ready' && e.info.simd128 ? ' SIMD' : ''})
        ${s.busy ? html`<span class="busy">· updating…</span>` : nothing}
      </p>
    `;
  }

  override render() {
    const s = this.s;
    return html`
      <div class="layout">
        <section class="panel input" aria-labelledby="sentence-h">
          <h2 id="sentence-h">Sentence</h2>
          <textarea
            aria-label="Sentence"
            placeholder="Type a sentence…"
            rows="3"
            spellcheck="false"
            .value=${s.text}
            @input=${this.onText}
          ></textarea>
          <div class="examples small">
            ${EXAMPLES.map((x, i) => html`<button class="example" @click=${() => this.store.setText(x)}>Example ${i + 1}</button>`)}
            <button class="example" @click=${() => this.store.setText('')}>Clear</button>
          </div>
          ${s.truncated
            ? html`<p class="note" role="status">This text has more than ${MAX_TOKENS} tokens: the heatmap uses the first ${MAX_TOKENS}.</p>`
            : nothing}
          <h3>Tokens <span class="count">${s.tokens.length}</span></h3>
          <token-chips
            .tokens=${s.tokens}
            .highlight=${this.activeRow}
            .truncated=${false}
            .max=${MAX_TOKENS}
            @tokens-change=${(e: CustomEvent<string[]>) => this.store.setTokens(e.detail)}
          ></token-chips>
          <h2 class="model-h">Model</h2>
          <model-controls
            .settings=${s.settings}
            @settings-change=${(e: CustomEvent<Partial<ModelSettings>>) => this.store.setSettings(e.detail)}
          ></model-controls>
        </section>
        <section class="panel view" aria-label="Attention heatmap">
          ${s.error ? html`<div class="state error" role="alert">${s.error}</div>` : nothing}
          ${this.renderView()}
        </section>
      </div>
    `;
  }

  static override styles = css`
    :host { display: block; color: var(--fg, #1d1d24); }
    .layout { display: grid; grid-template-columns: minmax(300px, 380px) minmax(0, 1fr); gap: 20px; align-items: start; }
    @media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
    .panel { background: var(--panel, #fff); border: 1px solid var(--border, #e4e1ef); border-radius: 14px; padding: 16px 18px; min-width: 0; }
    h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted, #666); margin: 0 0 10px; }
    h3 { font-size: 13px; font-weight: 600; margin: 14px 0 8px; color: var(--fg, #333); }
    .model-h { margin-top: 22px; }
    .count { font-weight: 500; color: var(--muted, #777); font-variant-numeric: tabular-nums; }
    textarea {
      box-sizing: border-box;
      width: 100%;
      font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
      padding: 9px 11px;
      border-radius: 10px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      color: var(--fg, #222);
      resize: vertical;
    }
    textarea:focus-visible, button:focus-visible, select:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
    .examples { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
    .example {
      font: inherit;
      font-size: 12.5px;
      padding: 4px 9px;
      border-radius: 999px;
      border: 1px solid var(--border, #d6d3e4);
      background: transparent;
      color: var(--fg, #333);
      cursor: pointer;
    }
    .example:hover { border-color: var(--accent, #5b3cc4); color: var(--accent, #5b3cc4); }
    .state.empty .examples { flex-direction: column; align-items: flex-start; }
    .state.empty .example { text-align: left; border-radius: 10px; padding: 7px 12px; font-size: 14px; }
    .picker { display: flex; flex-wrap: wrap; gap: 10px 22px; align-items: center; margin-bottom: 12px; }
    .seg { display: inline-flex; align-items: center; gap: 4px; flex-wrap: wrap; }
    .seg-label { font-size: 11.5px; color: var(--muted, #666); margin-right: 4px; text-transform: uppercase; letter-spacing: 0.05em; }
    .seg button {
      font: inherit;
      font-size: 13px;
      min-width: 30px;
      padding: 4px 8px;
      border-radius: 7px;
      border: 1px solid var(--border, #d6d3e4);
      background: var(--input-bg, #fff);
      color: var(--fg, #333);
      cursor: pointer;
      font-variant-numeric: tabular-nums;
    }
    .seg button[aria-pressed='true'] { background: var(--accent, #5b3cc4); border-color: var(--accent, #5b3cc4); color: #fff; }
    .cmap { display: inline-flex; align-items: center; gap: 4px; }
    .cmap select { font: inherit; font-size: 12.5px; padding: 3px 5px; border-radius: 7px; border: 1px solid var(--border, #d6d3e4); background: var(--input-bg, #fff); color: var(--fg, #333); }
    .explain { margin: 14px 0 0; color: var(--muted, #555); font-size: 13px; max-width: 62ch; }
    .stats { margin: 8px 0 0; color: var(--muted, #777); font-size: 12px; font-variant-numeric: tabular-nums; }
    .busy { color: var(--accent, #5b3cc4); }
    .state { padding: 28px 8px; color: var(--muted, #555); }
    .state .big { font-size: 17px; color: var(--fg, #333); margin-top: 0; }
    .state.error { padding: 10px 12px; margin-bottom: 12px; border-radius: 10px; background: var(--error-bg, #fde8e8); color: var(--error, #9b1c1c); }
    .progress { height: 6px; width: 260px; border-radius: 3px; background: var(--border, #e4e1ef); overflow: hidden; }
    .fill { height: 100%; background: var(--accent, #5b3cc4); transition: width 0.2s; }
    .note { margin: 8px 0 0; font-size: 12.5px; color: var(--warn, #8a5a00); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-explorer': AttnExplorer;
  }
}
