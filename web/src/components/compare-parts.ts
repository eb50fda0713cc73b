// The two-text comparison's parts, shared by <attn-compare> and the explorer's Compare display: one layer and head
// (or the mean) of the same view on two texts, rows and columns aligned by token (text/align.ts) and subtracted
// (second − first), drawn as a diverging heatmap (blue below 0, red above), with how the tokens were paired and
// the largest changes in words. The templates render into their host's shadow root, which adopts `compareStyles`.
import { css, html } from 'lit';
import type { AttentionView } from '../engine/protocol';
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

/** The difference as a diverging heatmap (class "diff"). */
export function differenceHeatmap(first: AttentionView, d: Difference, pick: { layer: number; head: HeadChoice }, maxSize = 460) {
  const cross = first.name === 'cross';
  return html`<attn-heatmap class="diff" colormap="rdbu" kind="values" .matrix=${d.matrix} rows=${d.rowLabels.length}
    cols=${d.colLabels.length} .rowLabels=${d.rowLabels} .colLabels=${d.colLabels} .mask=${drawnMask(d.mask)}
    .domain=${differenceDomain(d)} max-size=${maxSize} mask-label="nothing to subtract (a token of one text only, or masked)"
    row-title=${cross ? 'Output' : 'Query'} col-title=${cross ? 'Input' : 'Key'}
    caption="Second − first · ${whereText(pick)} (red: more attention in the second)"></attn-heatmap>`;
}

/** The difference with what it means: how the tokens were paired, the diverging heatmap, the largest changes. */
export function differencePanel(first: AttentionView, second: AttentionView, d: Difference, pick: { layer: number; head: HeadChoice }, causal: boolean) {
  return html`${alignmentText(first, second, d)}${differenceHeatmap(first, d, pick)}${changesText(d, causal)}`;
}

export const compareStyles = css`
  .alignment, .changes { font-size: 13px; margin: 0 0 8px; }
  .changes { margin-top: 8px; padding: 8px 10px; border-radius: 8px; background: var(--w-code-bg, var(--chip-bg, #f3f1fa));
    color: var(--w-fg, var(--fg, #222)); }
`;
