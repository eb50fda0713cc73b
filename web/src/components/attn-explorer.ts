// <attn-explorer>: the explorer page. Pick a model (three trained by this project, or an untrained one you
// configure), type, and the engine (WebAssembly, in a worker) computes every layer's and head's attention and
// the model's outputs. Pick a layer and a head (or their mean), or a head from the gallery, and read the heatmap.
// State lives in one Store; this element wires it to the engine client and the child components.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { cssProps } from './css-props';
import { Superseded, type EngineClient } from '../engine/client';
import { onEngineStatus, onModelStatus, sharedEngine } from '../engine/shared';
import type { AttentionView } from '../engine/protocol';
import { modelInfo } from '../models/catalog';
import { COLORMAPS } from './colormaps';
import { queryFromState, stateFromQuery } from './url-state';
import { Store, applyChipEdit, currentView, selectedMatrix, type ChipEdit, type ExplorerState, type HeadChoice, type ModelSettings } from '../state/store';
import './attn-heatmap';
import './head-gallery';
import './model-controls';
import './model-outputs';
import './model-picker';
import './token-chips';


@customElement('attn-explorer')
export class AttnExplorer extends LitElement {
  /** Keep the URL's query string in sync with the state (the page does; embedded copies may not). */
  @property({ type: Boolean, attribute: 'sync-url' }) syncUrl = false;

  readonly store = new Store(stateFromQuery(location.search));
  @state() private s: ExplorerState = this.store.state;
  @state() private activeRow = -1;

  private client?: EngineClient;
  private requested = '';
  private loading = '';
  private unsubscribe?: () => void;
  private unsubscribeEngine?: () => void;
  private unsubscribeModels?: () => void;

  override connectedCallback() {
    super.connectedCallback();
    // The page's one engine worker, shared with any widgets on the same page (engine/shared.ts).
    this.client = sharedEngine();
    this.unsubscribeEngine = onEngineStatus((st) => this.store.setEngine(st));
    this.unsubscribeModels = onModelStatus((st) => this.store.setModelStatus(st));
    this.unsubscribe = this.store.subscribe((s) => {
      this.s = s;
      this.ensureModel();
      this.analyze();
      if (this.syncUrl) history.replaceState(null, '', `?${queryFromState(s)}`);
    });
    this.ensureModel();
    this.analyze();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribeEngine?.();
    this.unsubscribeModels?.();
  }

  /** Loads the chosen model in the worker (once per model; the untrained one again when its settings change). */
  private ensureModel() {
    const { model, settings, labRun } = this.store.state;
    const key = model === 'untrained' ? `untrained:${JSON.stringify(settings)}` : model === 'lab' ? `lab:${labRun}` : model;
    if (key === this.loading || !this.client) return;
    this.loading = key;
    this.requested = '';
    this.client.load(model, settings, labRun).then(
      () => this.analyze(),
      (e: Error) => {
        if (!(e instanceof Superseded)) this.store.setError(e.message);
      },
    );
  }

  /** Asks the engine to analyze the current text (latest request wins). */
  private analyze() {
    const s = this.store.state;
    const text = s.texts[s.model];
    const key = JSON.stringify([s.model, text, s.model === 'untrained' ? s.settings : null]);
    if (key === this.requested || !this.client) return;
    if (s.models[s.model]?.state !== 'ready' && s.model !== 'untrained') return;
    this.requested = key;
    this.store.setBusy(true);
    this.client.analyze({ model: s.model, text, settings: s.settings, run: s.labRun }).then(
      (a) => {
        this.store.setAnalysis(a);
        this.store.setBusy(false);
      },
      (e: Error) => {
        if (e instanceof Superseded) return;
        this.store.setError(e.message);
        this.store.setBusy(false);
      },
    );
  }

  private onText(e: Event) {
    this.store.setText((e.target as HTMLTextAreaElement).value);
  }

  private onChipEdit(e: CustomEvent<ChipEdit>) {
    const a = this.s.analysis;
    const tokens = a && a.model === this.s.model && a.text === this.store.text ? a.tokens : [];
    this.store.setText(applyChipEdit(this.store.text, tokens, e.detail));
  }

  // ------------------------------------------------------------------------------------------ templates
  private renderViews() {
    const views = this.s.analysis?.model === this.s.model ? this.s.analysis.views : [];
    if (views.length < 2) return nothing;
    const cur = currentView(this.s);
    return html`<div class="seg views" role="tablist" aria-label="Attention">
      ${views.map(
        (v) => html`<button role="tab" class="view" aria-selected=${cur?.name === v.name} data-view=${v.name}
          @click=${() => this.store.setView(v.name)}>${v.title}</button>`,
      )}
    </div>`;
  }

  private renderPicker(v: AttentionView) {
    const s = this.s;
    const heads: HeadChoice[] = [...Array.from({ length: v.heads }, (_, h) => h), 'mean'];
    return html`<div class="picker">
      <div class="seg" role="group" aria-label="Layer">
        <span class="seg-label">Layer</span>
        ${Array.from({ length: v.layers }, (_, l) => html`<button
          class="layer" aria-pressed=${s.layer === l} @click=${() => this.store.select(l, s.head)}>${l + 1}</button>`)}
      </div>
      <div class="seg" role="group" aria-label="Head">
        <span class="seg-label">Head</span>
        ${heads.map((h) => html`<button class="head ${h === 'mean' ? 'mean' : ''}" aria-pressed=${s.head === h}
          title=${h === 'mean' ? 'Average of all heads (PyTorch average_attn_weights=True)' : `Head ${Number(h) + 1}`}
          @click=${() => this.store.select(s.layer, h)}>${h === 'mean' ? 'Mean' : String(Number(h) + 1)}</button>`)}
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
          ${Object.entries(COLORMAPS).map(([k, c]) => html`<option value=${k} ?selected=${k === s.colormap}>${c.label}</option>`)}
        </select>
      </label>
    </div>`;
  }

  private renderExplanation(v: AttentionView) {
    const m = this.s.model;
    if (v.name === 'cross' && m === 'lab')
      return html`Row <em>i</em> is the <em>i</em>-th token of the answer being written; the columns are the input's
        tokens. The bright cells show where each output token reads from: the alignment the model learned.`;
    if (v.name === 'cross')
      return html`Row <em>i</em> is output character <em>i</em> being written; the columns are the input characters.
        The bright cells show where it reads from: the alignment between the date you typed and the ISO date.`;
    const causal = m === 'lm' || v.name === 'decoder' || (m === 'untrained' && this.s.settings.causal);
    return html`Row <em>i</em> is token <em>i</em>’s query: how its attention is shared among the keys. Each row is a
      softmax, so it sums to 1${causal ? html`; with the causal mask a token sees only itself and the tokens before it` : nothing}.`;
  }

  private renderView() {
    const s = this.s;
    const e = s.engine;
    const info = modelInfo(s.model);
    if (e.state === 'failed')
      return html`<div class="state error" role="alert"><strong>The engine could not start.</strong> ${e.message}</div>`;
    const ms = s.models[s.model];
    if (ms?.state === 'failed') return html`<div class="state error" role="alert">The ${info.title.toLowerCase()} could not load: ${ms.message}</div>`;
    if (e.state === 'loading' || (s.model !== 'untrained' && ms?.state !== 'ready')) {
      const loaded = e.state === 'loading' ? e.loaded : ms?.state === 'loading' ? ms.loaded : 0;
      const total = e.state === 'loading' ? e.total : ms?.state === 'loading' ? ms.total : 0;
      const pct = total ? Math.round((100 * loaded) / total) : 0;
      const what = e.state === 'loading' ? 'the attention engine (WebAssembly)' : `the ${info.title.toLowerCase()}`;
      return html`<div class="state loading" role="status">
        <p>Loading ${what}… ${total ? html`${pct}%` : nothing}</p>
        <div class="progress"><div class="fill" style=${cssProps({ width: `${pct}%` })}></div></div>
      </div>`;
    }
    const a = s.analysis?.model === s.model ? s.analysis : undefined;
    if (!this.store.text.trim() && s.model !== 'lm')
      return html`<div class="state empty"><p class="big">Type ${s.model === 'dates' ? 'a date' : s.model === 'lab' ? 'an input' : 'a sentence'} to see
        how each token attends to the others.</p><p>For example: <button class="example" @click=${() => this.store.setText(info.example)}>${info.example}</button></p></div>`;
    if (!a) return html`<div class="state loading" role="status"><p>Computing attention…</p></div>`;
    const v = currentView(s);
    if (!v) return html`<model-outputs .outputs=${a.outputs}></model-outputs>`;
    const layer = Math.min(s.layer, v.layers - 1);
    const head = s.head === 'mean' ? 'mean' : Math.min(s.head, v.heads - 1);
    const { matrix, mask } = selectedMatrix(v, layer, head);
    let hi = 1;
    if (s.range === 'max') {
      hi = 0;
      for (const x of matrix) if (x > hi) hi = x;
      hi = hi > 0 ? hi : 1;
    }
    const headName = head === 'mean' ? 'mean of all heads' : `head ${head + 1}`;
    const cross = v.name === 'cross';
    const ready = s.engine.state === 'ready' ? s.engine : undefined;
    const params = s.models[s.model]?.state === 'ready' ? (s.models[s.model] as { info: { numParameters: number } }).info.numParameters : 0;
    return html`
      <model-outputs .outputs=${a.outputs}></model-outputs>
      ${this.renderViews()}
      ${this.renderPicker(v)}
      <attn-heatmap
        class="main"
        .matrix=${matrix}
        .rows=${v.rows.length}
        .cols=${v.cols.length}
        .rowLabels=${v.rows}
        .colLabels=${v.cols}
        .mask=${mask}
        .colormap=${s.colormap}
        .domain=${[0, hi] as [number, number]}
        row-title=${cross ? 'Output' : 'Query'}
        col-title=${cross ? 'Input' : 'Key'}
        caption="${v.title} · layer ${layer + 1} · ${headName}"
        @cell-active=${(ev: CustomEvent) => (this.activeRow = ev.detail.row)}
      ></attn-heatmap>
      <p class="explain">${this.renderExplanation(v)}</p>
      <p class="stats">
        ${a.tokens.length} tokens · ${v.layers} × ${v.heads} heads${params ? html` · ${params.toLocaleString('en-US')} parameters` : nothing} ·
        computed in ${a.ms.toFixed(1)} ms by the C++ engine (WebAssembly${ready?.info.simd128 ? ' SIMD' : ''})
        ${s.busy ? html`<span class="busy">· updating…</span>` : nothing}
      </p>
    `;
  }

  private renderGallery() {
    const s = this.s;
    const v = currentView(s);
    const ms = s.models[s.model];
    if (!v || ms?.state !== 'ready') return nothing;
    return html`<section class="panel gallery" aria-label="Head gallery">
      <head-gallery .view=${v} .stats=${ms.info.stats[v.name]} .layer=${s.layer} .head=${s.head} .colormap=${s.colormap}
        hint=${s.model === 'lab' ? `${v.title}: one row per layer; each thumbnail is the head's pattern on your input (scaled to its own maximum).` : ''}
        @head-select=${(e: CustomEvent) => this.store.select(e.detail.layer, e.detail.head)}></head-gallery>
    </section>`;
  }

  private renderMetrics() {
    const ms = this.s.models[this.s.model];
    const m = ms?.state === 'ready' ? (ms.info.metrics as Record<string, number | string> | null) : null;
    if (!m) return nothing;
    const pct = (x: unknown) => `${(100 * Number(x)).toFixed(1)}%`;
    let line = '';
    if (this.s.model === 'lm')
      line = `Test perplexity ${Number(m.value).toFixed(1)} (a Kneser-Ney bigram model: ${Number(m.baseline_value).toFixed(1)})`;
    else if (this.s.model === 'tagger') {
      line = `Test accuracy ${pct(m.value)} (most frequent tag per word: ${pct(m.baseline_value)})`;
      const per = (m as Record<string, unknown>).per_tag_f1 as Record<string, number> | undefined;
      if (per && m.macro_f1 !== undefined) {
        const [worst, f] = Object.entries(per).reduce((a, b) => (b[1] < a[1] ? b : a));
        line += `; macro F1 ${Number(m.macro_f1).toFixed(3)}, the mean of the 12 tags' F1, where a rare tag counts as much
          as NOUN: the weakest, ${worst}, has ${f.toFixed(2)}${worst === 'X' ? ' (X is “other”: foreign words, typos, rare and varied)' : ''}`;
      }
    }
    else if (this.s.model === 'dates')
      line = `Held-out exact match ${pct(m.value)} (formats seen in training ${pct(m.seen_formats)}, never seen ${pct(m.unseen_formats)})`;
    else if (this.s.model === 'lab') {
      const c = (ms as { info: { config: Record<string, unknown> } }).info.config;
      const task = (c.task as { name?: string })?.name ?? '';
      return html`<p class="metrics">${String(c.name)}, trained in the <a href="./lab.html">training lab</a> on the ${task} task:
        held-out exact match ${pct(m.greedyExactMatch)} (generated), token accuracy ${pct(m.tokenAccuracy)}.</p>`;
    }
    return html`<p class="metrics">Trained by this project’s engine. ${line}.</p>`;
  }

  override render() {
    const s = this.s;
    const info = modelInfo(s.model);
    const a = s.analysis?.model === s.model && s.analysis.text === this.store.text ? s.analysis : undefined;
    const chips = a?.tokens.map((t) => t.text.trim() || '␣') ?? [];
    const tags = a?.outputs.kind === 'tagger' ? a.outputs.tags : undefined;
    return html`
      <div class="layout">
        <section class="panel input" aria-labelledby="model-h">
          <h2 id="model-h">Model</h2>
          <model-picker .value=${s.model} .status=${s.models} .labRun=${s.labRun} @model-change=${(e: CustomEvent) => this.store.setModel(e.detail)}></model-picker>
          <p class="summary">${info.summary}</p>
          ${this.renderMetrics()}
          ${s.model === 'untrained'
            ? html`<model-controls .settings=${s.settings}
                @settings-change=${(e: CustomEvent<Partial<ModelSettings>>) => this.store.setSettings(e.detail)}></model-controls>`
            : nothing}
          <h2 class="text-h" id="sentence-h">${s.model === 'dates' ? 'Date' : 'Text'}</h2>
          <textarea
            aria-labelledby="sentence-h"
            placeholder=${s.model === 'dates' ? 'Type a date, e.g. 23rd of Nov. 2026' : s.model === 'lab' ? 'Type an input in the task’s format' : 'Type a sentence…'}
            rows="3"
            spellcheck="false"
            .value=${this.store.text}
            @input=${this.onText}
          ></textarea>
          <div class="examples small">
            ${info.example ? html`<button class="example" @click=${() => this.store.setText(info.example)}>Example</button>` : nothing}
            <button class="example" @click=${() => this.store.setText('')}>Clear</button>
          </div>
          ${a?.truncated ? html`<p class="note" role="status">${a.truncated}</p>` : nothing}
          <h3>Tokens <span class="count">${chips.length}</span>
            ${s.model !== 'untrained' ? html`<span class="hint">${s.model === 'dates' ? 'characters' : s.model === 'lab' ? 'the symbols of the task' : 'byte-level BPE, as the model reads them'}</span>` : nothing}</h3>
          <token-chips .tokens=${chips} .tags=${tags} .highlight=${this.activeRow - (s.model === 'lm' ? 1 : 0)} .max=${512}
            @chip-edit=${this.onChipEdit}></token-chips>
        </section>
        <section class="panel view" aria-label="Attention heatmap">
          ${s.model === 'untrained'
            ? html`<div class="banner" role="note"><strong>Untrained weights:</strong> this shows the structure of attention,
                not meaning. The weights are random (seeded), so patterns come from word identity and position, not from
                language.</div>`
            : nothing}
          ${s.error ? html`<div class="state error" role="alert">${s.error}</div>` : nothing}
          ${this.renderView()}
        </section>
      </div>
      ${this.renderGallery()}
    `;
  }

  static override styles = css`
    :host { display: block; color: var(--fg, #1d1d24); }
    .layout { display: grid; grid-template-columns: minmax(300px, 390px) minmax(0, 1fr); gap: 20px; align-items: start; }
    @media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
    .panel { background: var(--panel, #fff); border: 1px solid var(--border, #e4e1ef); border-radius: 14px; padding: 16px 18px; min-width: 0; }
    .gallery { margin-top: 20px; }
    h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted, #666); margin: 0 0 10px; }
    h3 { font-size: 13px; font-weight: 600; margin: 14px 0 8px; color: var(--fg, #333); }
    .text-h { margin-top: 20px; }
    .hint { font-weight: 400; color: var(--muted, #777); font-size: 12px; margin-left: 4px; }
    .summary { margin: 10px 0 0; font-size: 13px; color: var(--muted, #555); }
    .metrics { margin: 6px 0 12px; font-size: 12.5px; color: var(--fg, #333); }
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
    .picker { display: flex; flex-wrap: wrap; gap: 10px 22px; align-items: center; margin-bottom: 12px; }
    .seg { display: inline-flex; align-items: center; gap: 4px; flex-wrap: wrap; }
    .views { margin-bottom: 12px; gap: 6px; }
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
    .seg button[aria-pressed='true'], .seg button[aria-selected='true'] { background: var(--accent, #5b3cc4); border-color: var(--accent, #5b3cc4); color: #fff; }
    .cmap { display: inline-flex; align-items: center; gap: 4px; }
    .cmap select { font: inherit; font-size: 12.5px; padding: 3px 5px; border-radius: 7px; border: 1px solid var(--border, #d6d3e4); background: var(--input-bg, #fff); color: var(--fg, #333); }
    .explain { margin: 14px 0 0; color: var(--muted, #555); font-size: 13px; max-width: 66ch; }
    .stats { margin: 8px 0 0; color: var(--muted, #777); font-size: 12px; font-variant-numeric: tabular-nums; }
    .busy { color: var(--accent, #5b3cc4); }
    .state { padding: 28px 8px; color: var(--muted, #555); }
    .state .big { font-size: 17px; color: var(--fg, #333); margin-top: 0; }
    .state.error { padding: 10px 12px; margin-bottom: 12px; border-radius: 10px; background: var(--error-bg, #fde8e8); color: var(--error, #9b1c1c); }
    .progress { height: 6px; width: 260px; border-radius: 3px; background: var(--border, #e4e1ef); overflow: hidden; }
    .fill { height: 100%; background: var(--accent, #5b3cc4); transition: width 0.2s; }
    .note { margin: 8px 0 0; font-size: 12.5px; color: var(--warn, #8a5a00); }
    .banner { margin: -2px 0 14px; padding: 9px 12px; border-radius: 10px; font-size: 13px; background: var(--banner-bg, #fff4d6);
      color: var(--banner-fg, #5a4300); border: 1px solid var(--banner-border, #f1dc9c); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-explorer': AttnExplorer;
  }
}
