// The two-text comparison's parts, shared by <attn-compare>, <attn-view display="compare"> and the explorer's Compare
// display: one layer and head (or the mean) of the same view on two texts, both texts' heatmaps side by side (on the
// same colour scale), then their rows and columns aligned by token (text/align.ts) and subtracted (second − first),
// drawn as a diverging heatmap (blue below 0, red above), with how the tokens were paired and the largest changes in
// words. The templates render into their host's shadow root, which adopts `compareStyles`.
import { css, html } from 'lit';
import type { AttentionView } from '../engine/protocol';
import type { MatrixExport } from '../export/export';
import { selectedMatrix, type HeadChoice } from '../state/store';
import { alignTokens, pairLabel, type Alignment } from '../text/align';
import { drawnMask } from './heatmap-paint';
import type { TextModel } from '../widgets/model-widget';
import './attn-heatmap';

const ANIMAL = "The animal didn't cross the street because it was too";
/** The two texts each model starts with. */
export const COMPARE_DEFAULTS: Record<TextModel, [string, string]> = {
  lm: [`${ANIMAL} tired`, `${ANIMAL} wide`],
  tagger: [`${ANIMAL} tired.`, `${ANIMAL} wide.`],
  dates: ['23rd of Nov. 2026', '23rd of Dec. 2026'],
  untrained: [`${ANIMAL} tired.`, `${ANIMAL} wide.`],
};

/** A change smaller than this is not named. */
const NOTABLE = 0.005;

export interface Difference {
  rows: Alignment;
  cols: Alignment;
  rowLabels: string[];
  colLabels: string[];
  /** second − first on aligned cells, [rows.pairs, cols.pairs]; 0 under the mask. */
  matrix: Float32Array;
  /** -inf where there is nothing to subtract: a token of one text only, or a cell masked in either text. */
  mask: Float32Array;
  /** Aligned cells by decreasing |change|. */
  changes: { row: number; col: number; first: number; second: number }[];
}

/** One layer and head (or the mean) of the same view on two texts, aligned and subtracted. */
export function difference(first: AttentionView, second: AttentionView, layer: number, head: HeadChoice): Difference {
  const A = selectedMatrix(first, layer, head);
  const B = selectedMatrix(second, layer, head);
  const rows = alignTokens(first.rows, second.rows);
  const cols = alignTokens(first.cols, second.cols);
  const R = rows.pairs.length;
  const C = cols.pairs.length;
  const matrix = new Float32Array(R * C);
  const mask = new Float32Array(R * C);
  const changes: Difference['changes'] = [];
  const CA = first.cols.length;
  const CB = second.cols.length;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const [pr, pc] = [rows.pairs[r], cols.pairs[c]];
      const a = pr.a !== undefined && pc.a !== undefined ? pr.a * CA + pc.a : -1;
      const b = pr.b !== undefined && pc.b !== undefined ? pr.b * CB + pc.b : -1;
      if (a < 0 || b < 0 || A.mask?.[a] === -Infinity || B.mask?.[b] === -Infinity) {
        mask[r * C + c] = -Infinity;
        continue;
      }
      matrix[r * C + c] = B.matrix[b] - A.matrix[a];
      changes.push({ row: r, col: c, first: A.matrix[a], second: B.matrix[b] });
    }
  changes.sort((x, y) => Math.abs(y.second - y.first) - Math.abs(x.second - x.first));
  return {
    rows, cols, matrix, mask, changes,
    rowLabels: rows.pairs.map((p) => pairLabel(p, first.rows, second.rows)),
    colLabels: cols.pairs.map((p) => pairLabel(p, first.cols, second.cols)),
  };
}

/** Symmetric around 0, to the largest change (at least ±0.01, so that no change at all reads as none). */
export function differenceDomain(d: Difference): [number, number] {
  const m = Math.max(0.01, d.changes.length ? Math.abs(d.changes[0].second - d.changes[0].first) : 0);
  return [-m, m];
}

/** "layer 2 · head 3", "layer 1 · mean of the heads". */
export function whereText(pick: { layer: number; head: HeadChoice }) {
  return `layer ${pick.layer + 1} · ${pick.head === 'mean' ? 'mean of the heads' : `head ${pick.head + 1}`}`;
}

/** What a comparison shows, as exports (export.ts): the first text's weights, the second's, and second − first
 * [aligned rows, aligned columns] with its pair labels ("tired → wide", "+ big"). */
export function compareExports({ first, second, pick, diff: d }: Compared): MatrixExport[] {
  const where = whereText(pick);
  const one = (v: AttentionView, name: string): MatrixExport => {
    const { matrix, mask } = selectedMatrix(v, pick.layer, pick.head);
    return { title: `${name}, ${where}`, matrix, mask, rows: v.rows.length, cols: v.cols.length, rowLabels: v.rows, colLabels: v.cols,
      rowTitle: 'query', colTitle: 'key', domain: [0, 1] };
  };
  return [one(first, 'First text'), one(second, 'Second text'), {
    title: `Second − first, ${where}`, matrix: d.matrix, mask: d.mask, rows: d.rowLabels.length, cols: d.colLabels.length,
    rowLabels: d.rowLabels, colLabels: d.colLabels, rowTitle: 'query', colTitle: 'key', colormap: 'rdbu', domain: differenceDomain(d),
  }];
}

/** How the rows and columns were paired, in words. */
export function alignmentText(first: AttentionView, second: AttentionView, d: Difference) {
  const describe = (al: Alignment, a: number, b: number, what: string) =>
    al.method === 'position'
      ? `The ${what} have the same number of tokens (${a}) and ${al.changed === 0 ? 'all are the same' : `${al.changed} differ${al.changed === 1 ? 's' : ''}`}: they are paired by position${al.changed ? ', and a changed token is shown as “first → second”' : ''}.`
      : `The ${what} have ${a} and ${b} tokens: they are paired by their longest common subsequence (${al.matched} tokens in the same order); a token of one text only is marked − (first text) or + (second text) and its row and column are hatched.`;
  return html`<p class="alignment">${first.name === 'cross'
    ? html`${describe(d.rows, first.rows.length, second.rows.length, 'outputs')} ${describe(d.cols, first.cols.length, second.cols.length, 'inputs')}`
    : describe(d.rows, first.rows.length, second.rows.length, 'two texts')}</p>`;
}

/** The sentence naming the largest changes; for a causal model, that no row before the first difference can change. */
export function changesText(d: Difference, causal: boolean) {
  const top = d.changes.filter((c) => Math.abs(c.second - c.first) >= NOTABLE).slice(0, 3);
  if (!top.length)
    return html`<p class="changes">No aligned weight changes by ${NOTABLE} or more.${causal
      ? ' Each token of this causal model sees only the tokens before it, so no row before the first difference can change.'
      : ''}</p>`;
  return html`<p class="changes">Largest changes (row → column: first → second):
    ${top.map((c, n) => html`${n ? '; ' : ''}<span class="change" data-row=${c.row} data-col=${c.col}
      >“<span class="tok">${d.rowLabels[c.row]}</span>” → “<span class="tok">${d.colLabels[c.col]}</span>”:
      ${c.first.toFixed(2)} → ${c.second.toFixed(2)}</span>`)}.${causal
      ? ' This model is causal: a row can change only at or after the first token that differs.'
      : ''}</p>`;
}

/** The heatmaps' axis names: "Query"/"Key", a cross-attention's "Output"/"Input" (a Hugging Face one's "Target"/"Source"). */
export interface AxisTitles {
  row: string;
  col: string;
}

const axisTitles = (v: AttentionView): AxisTitles => (v.name === 'cross' ? { row: 'Output', col: 'Input' } : { row: 'Query', col: 'Key' });

/** What a comparison shows: the same view of both texts, the layer and head (or the mean), and second − first. */
export interface Compared {
  first: AttentionView;
  second: AttentionView;
  /** The texts the two views are of, in the labels "First: …" and "Second: …". */
  texts: [string, string];
  pick: { layer: number; head: HeadChoice };
  diff: Difference;
}

/** The same view of two texts compared at one layer and head (or the mean). */
export function compared(first: AttentionView, second: AttentionView, texts: [string, string], pick: Compared['pick']): Compared {
  return { first, second, texts, pick, diff: difference(first, second, pick.layer, pick.head) };
}

/** One text's heatmap of the pick (class "first" or "second"), weights on [0, 1], under its label "First: text". */
function textMap(c: Compared, which: 'first' | 'second', colormap: string, titles: AxisTitles) {
  const v = c[which];
  const name = which === 'first' ? 'First' : 'Second';
  const { matrix, mask } = selectedMatrix(v, c.pick.layer, c.pick.head);
  return html`<div class="text-map">
    <p class="text-label"><strong>${name}:</strong> <span dir="auto">${c.texts[which === 'first' ? 0 : 1]}</span></p>
    <attn-heatmap class=${which} colormap=${colormap} .matrix=${matrix} rows=${v.rows.length} cols=${v.cols.length}
      .rowLabels=${v.rows} .colLabels=${v.cols} .mask=${drawnMask(mask)} .domain=${[0, 1] as [number, number]} max-size="400"
      row-title=${titles.row} col-title=${titles.col} caption="${name} text · ${whereText(c.pick)}"></attn-heatmap>
  </div>`;
}

/** The difference as a diverging heatmap (class "diff"). */
function differenceHeatmap(c: Compared, titles: AxisTitles) {
  const d = c.diff;
  return html`<attn-heatmap class="diff" colormap="rdbu" kind="values" .matrix=${d.matrix} rows=${d.rowLabels.length}
    cols=${d.colLabels.length} .rowLabels=${d.rowLabels} .colLabels=${d.colLabels} .mask=${drawnMask(d.mask)}
    .domain=${differenceDomain(d)} max-size="460" mask-label="nothing to subtract (a token of one text only, or masked)"
    row-title=${titles.row} col-title=${titles.col}
    caption="Second − first · ${whereText(c.pick)} (red: more attention in the second)"></attn-heatmap>`;
}

/**
 * The whole comparison: both texts' heatmaps side by side (stacked when the width has no room for two), on the same
 * colour scale; then the difference with what it means: how the tokens were paired, the diverging heatmap, the
 * largest changes (for a causal model, that no row before the first difference can change).
 */
export function comparisonPanel(c: Compared, o: { colormap: string; causal: boolean; titles?: AxisTitles }) {
  const titles = o.titles ?? axisTitles(c.first);
  return html`<div class="text-maps">${textMap(c, 'first', o.colormap, titles)}${textMap(c, 'second', o.colormap, titles)}</div>
    <h3 class="diff-h">The difference: second − first</h3>
    ${alignmentText(c.first, c.second, c.diff)}${differenceHeatmap(c, titles)}${changesText(c.diff, o.causal)}`;
}

export const compareStyles = css`
  /* Two columns when each has 320 px (a heatmap, its labels and its legend), else one. */
  .text-maps { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr)); gap: 14px 20px;
    align-items: start; margin: 10px 0 6px; }
  .text-map { min-width: 0; }
  .text-label { font-size: 13px; margin: 0 0 6px; overflow-wrap: anywhere; color: var(--w-fg, var(--fg, #222)); }
  h3.diff-h { font-size: 14px; font-weight: 600; margin: 16px 0 6px; color: var(--w-fg, var(--fg, #222)); }
  .alignment, .changes { font-size: 13px; margin: 0 0 8px; }
  .changes { margin-top: 8px; padding: 8px 10px; border-radius: 8px; background: var(--w-code-bg, var(--chip-bg, #f3f1fa));
    color: var(--w-fg, var(--fg, #222)); }
`;
