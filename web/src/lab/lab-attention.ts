// <lab-attention>: every attention map of one forward pass: a choice of view (cross-attention, encoder or
// decoder self-attention), a thumbnail of every layer and head, and the selected head large, with its
// numbers on hover. The timeline and the inference section both show attention this way.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { AttentionView } from '../engine/protocol';
import { selectedMatrix, type HeadChoice } from '../state/store';
import type { AttentionSet } from './protocol';
import '../components/attn-heatmap';
import '../components/head-gallery';

@customElement('lab-attention')
export class LabAttention extends LitElement {
  @property({ attribute: false }) set?: AttentionSet;
  @property() colormap = 'viridis';
  /** Words after the view's title in the large map's caption (e.g. "step 400"). */
  @property() caption = '';
  @state() private viewName = '';
  @state() private layer = 0;
  @state() private head: HeadChoice = 0;

  private get view(): AttentionView | undefined {
    const views = this.set?.views ?? [];
    return views.find((v) => v.name === this.viewName) ?? views[0];
  }

  override render() {
    const v = this.view;
    if (!v) return nothing;
    const layer = Math.min(this.layer, v.layers - 1);
    const head = this.head === 'mean' ? 'mean' : Math.min(this.head, v.heads - 1);
    const { matrix, mask } = selectedMatrix(v, layer, head);
    const views = this.set!.views;
    const rowTitle = v.name === 'cross' ? 'Output' : 'Query';
    const colTitle = v.name === 'cross' ? 'Input' : 'Key';
    return html`
      <div class="controls">
        ${views.length > 1
          ? html`<div class="views" role="group" aria-label="Attention">
              ${views.map(
                (x) => html`<button aria-pressed=${x.name === v.name} class=${x.name === v.name ? 'on' : ''}
                  data-view=${x.name} @click=${() => {
                    this.viewName = x.name;
                    this.layer = 0;
                    this.head = 0;
                  }}>${x.title}</button>`,
              )}
            </div>`
          : html`<span class="title">${v.title}</span>`}
        <label>Head <select class="head" @change=${(e: Event) => {
          const val = (e.target as HTMLSelectElement).value;
          this.head = val === 'mean' ? 'mean' : Number(val);
        }}>
          ${Array.from({ length: v.heads }, (_, h) => html`<option value=${h} ?selected=${h === head}>${h + 1}</option>`)}
          <option value="mean" ?selected=${head === 'mean'}>mean</option>
        </select></label>
      </div>
      <div class="maps">
        <attn-heatmap class="big" colormap=${this.colormap} .matrix=${matrix} rows=${v.rows.length} cols=${v.cols.length}
          .rowLabels=${v.rows} .colLabels=${v.cols} .mask=${mask} .domain=${[0, 1] as [number, number]}
          row-title=${rowTitle} col-title=${colTitle} max-size="380"
          caption="${v.title} · layer ${layer + 1} · ${head === 'mean' ? 'mean of the heads' : `head ${head + 1}`}${this.caption ? ` · ${this.caption}` : ''}"></attn-heatmap>
        <head-gallery .view=${v} .layer=${layer} .head=${head} colormap=${this.colormap}
          hint="${v.title}: one row per layer, each thumbnail scaled to its own maximum. Click one to see it large."
          @head-select=${(e: CustomEvent<{ layer: number; head: number }>) => {
            this.layer = e.detail.layer;
            this.head = e.detail.head;
          }}></head-gallery>
      </div>
    `;
  }

  static override styles = css`
    :host { display: block; }
    .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; font-size: 13px; margin-bottom: 8px; }
    .views { display: flex; flex-wrap: wrap; gap: 4px; }
    .views button { font: inherit; font-size: 12.5px; padding: 3px 9px; border-radius: 999px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    .views button.on { background: var(--w-accent); border-color: var(--w-accent); color: var(--w-on-accent); }
    .title { font-weight: 600; }
    select { font: inherit; font-size: 13px; background: var(--w-input-bg); color: var(--w-fg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; }
    .maps { display: grid; grid-template-columns: minmax(260px, 400px) minmax(0, 1fr); gap: 16px; align-items: start; }
    @media (max-width: 760px) { .maps { grid-template-columns: 1fr; } }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-attention': LabAttention;
  }
}
