// The ways to draw one attention view, and the tabs that switch between them (the explorer's "Heatmap | Lines |
// Model | Neuron | Compare | Ablation", and <attn-view display="...">, which has them all). A new display is one entry in DISPLAYS (plus its renderer where the tabs
// are used); `controls` says which of the explorer's pickers it needs.
//
// The tabs follow the WAI-ARIA tabs pattern: one tab stop (the selected tab), the arrow keys, Home and End move
// and select, and the host renders the panel as role="tabpanel" with id DISPLAY_PANEL, labelled by the tab.
import { css, html } from 'lit';

export const DISPLAYS = [
  { id: 'heatmap', label: 'Heatmap', title: 'One head as a grid: queries are rows, keys are columns',
    controls: ['layer', 'head', 'range', 'colormap'] },
  { id: 'lines', label: 'Lines', title: 'The head view: a line from each query to the keys it attends to, several heads at once',
    controls: ['layer'] },
  { id: 'model', label: 'Model', title: 'The model view: every layer and every head at once; click one to open it',
    controls: ['colormap'] },
  { id: 'neuron', label: 'Neuron', title: 'The neuron view: how one weight is made from a query vector and a key vector',
    controls: ['layer', 'head', 'colormap'] },
  { id: 'compare', label: 'Compare', title: 'The same head on a second text, and the difference (always blue to red)',
    controls: ['layer', 'head'] },
  { id: 'ablation', label: 'Ablation', title: 'Switch heads off and see what the model then says; rank the heads by what removing each changes',
    controls: [] },
] as const;

export type Display = (typeof DISPLAYS)[number]['id'];
export type DisplayControl = (typeof DISPLAYS)[number]['controls'][number];

export const DISPLAY_PANEL = 'display-panel';

export function isDisplay(x: unknown): x is Display {
  return DISPLAYS.some((d) => d.id === x);
}

/** A display that cannot show a model says why (the explorer and <attn-view>), naming the model: "the tagger". */
export function neuronNotice(modelName: string) {
  return html`The neuron view needs each head’s query and key vectors, and the engine does not give them for
    <span dir="auto">${modelName}</span>. Its weights are in the other displays.`;
}

/** Whether display `d` uses picker control `c`. */
export function displayUses(d: Display, c: DisplayControl): boolean {
  return (DISPLAYS.find((x) => x.id === d)!.controls as readonly string[]).includes(c);
}

/**
 * The tabs, in the host's own shadow root (so the panel it renders can be labelled by the selected tab): every
 * display, or those in `only`.
 */
export function displayTabs(current: Display, select: (d: Display) => void, only?: readonly Display[]) {
  const shown = only ? DISPLAYS.filter((d) => only.includes(d.id)) : DISPLAYS;
  const onKey = (ev: KeyboardEvent) => {
    const i = shown.findIndex((d) => d.id === current);
    const n = shown.length;
    const to = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    select(shown[to].id);
    const list = ev.currentTarget as HTMLElement;
    // The tab is focused once the host has rendered it selected.
    requestAnimationFrame(() => list.querySelector<HTMLElement>(`#display-tab-${shown[to].id}`)?.focus());
  };
  return html`<div class="display-tabs" role="tablist" aria-label="Display" @keydown=${onKey}>
    ${shown.map((d) => html`<button role="tab" id="display-tab-${d.id}" class="display-tab" data-display=${d.id}
      aria-selected=${d.id === current} aria-controls=${DISPLAY_PANEL} tabindex=${d.id === current ? 0 : -1} title=${d.title}
      @click=${() => select(d.id)}>${d.label}</button>`)}
  </div>`;
}

export const displayTabsStyles = css`
  .display-tabs { display: inline-flex; flex-wrap: wrap; max-width: 100%; box-sizing: border-box; border: 1px solid var(--border, #d6d3e4);
    border-radius: 9px; padding: 2px; gap: 2px; background: var(--input-bg, #fff); }
  .display-tab { font: inherit; font-size: 13px; padding: 4px 12px; border: 0; border-radius: 7px; background: transparent;
    color: var(--fg, #333); cursor: pointer; }
  .display-tab:hover { color: var(--accent, #5b3cc4); }
  .display-tab[aria-selected='true'] { background: var(--accent, #5b3cc4); color: var(--on-accent, #fff); }
  .display-tab:focus-visible { outline: 2px solid var(--focus, #8f7cf0); outline-offset: 1px; }
`;
