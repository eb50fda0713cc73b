// <attn-compare> end to end (embed.html?w=attn-compare&...): both texts' heatmaps equal the engine API in Node, the
// difference equals second − first on the cells the alignment pairs (by position, or by a longest common
// subsequence when a word is inserted: the inserted token's row and column are hatched), the sentence names the
// largest changes, the two maps sit side by side (stacked on a phone), and the URL and the Embed snippet reproduce it.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { selectedMatrix, type HeadChoice } from '../../web/src/state/store';
import { alignTokens } from '../../web/src/text/align';
import type { AttentionView } from '../../web/src/engine/protocol';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
import { expectComparisonLayout, shownComparison } from './compare-shown';
import { runShipped } from './shipped';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-compare';
const ANIMAL = "The animal didn't cross the street because it was too";
const open = (query: string, opts: { width?: number; dark?: boolean } = {}) =>
  openPage(session, `w=${TAG}&${query}`, { path: 'embed.html', width: opts.width ?? 1100, height: 900, dark: opts.dark });

/** The attention weights [H, rows, cols] of every layer of one view of a shipped model, as the page shows them. */
function weights(name: 'lm' | 'tagger' | 'dates', text: string, prefix: (l: number) => string): Float32Array[] {
  const { trace } = runShipped(attn, name, text);
  const out: Float32Array[] = [];
  for (let l = 0; trace[`${prefix(l)}.weights`]; l++) out.push(trace[`${prefix(l)}.weights`].data);
  return out;
}

/** What the three heatmaps show (compare-shown.ts: the same reader as the explorer's and <attn-view>'s). */
const shown = (page: Page | Frame) => shownComparison(page, TAG);

/** A view as selectedMatrix takes it: its labels (from the page), heads and weights (from Node). */
function asView(rows: string[], cols: string[], heads: number, w: Float32Array[]): AttentionView {
  return { name: 'self', title: '', rows, cols, layers: w.length, heads, weights: w, masks: w.map(() => undefined) };
}

/** The first and second heatmaps equal Node's, and the difference is second − first on every aligned cell. */
function expectCompared(s: Awaited<ReturnType<typeof shown>>, a: Float32Array[], b: Float32Array[], heads: number, layer: number, head: HeadChoice) {
  const A = selectedMatrix(asView(s.first.rows, s.first.cols, heads, a), layer, head).matrix;
  const B = selectedMatrix(asView(s.second.rows, s.second.cols, heads, b), layer, head).matrix;
  expect(s.first.matrix).toEqual(Array.from(A)); // bit for bit
  expect(s.second.matrix).toEqual(Array.from(B));
  const rows = alignTokens(s.first.rows, s.second.rows).pairs;
  const cols = alignTokens(s.first.cols, s.second.cols).pairs;
  expect(s.diff.matrix).toHaveLength(rows.length * cols.length);
  const CA = s.first.cols.length;
  const CB = s.second.cols.length;
  let aligned = 0;
  rows.forEach((pr, r) =>
    cols.forEach((pc, c) => {
      const at = r * cols.length + c;
      const both = pr.a !== undefined && pr.b !== undefined && pc.a !== undefined && pc.b !== undefined;
      const masked = !both || s.first.mask?.[pr.a! * CA + pc.a!] === -Infinity || s.second.mask?.[pr.b! * CB + pc.b!] === -Infinity;
      expect(s.diff.mask?.[at] === -Infinity, `cell ${r}, ${c}`).toBe(masked);
      if (masked) return;
      aligned++;
      expect(s.diff.matrix[at]).toBe(Math.fround(B[pr.b! * CB + pc.b!] - A[pr.a! * CA + pc.a!]));
    }),
  );
  return aligned;
}

describe('<attn-compare>', () => {
  it('the language model by default: tired against wide, aligned by their common tokens; a causal model changes no earlier row', async () => {
    const { page, problems } = await open('');
    await waitForWidget(page, TAG);
    const s = await shown(page);
    const prefix = (l: number) => `decoder.layers.${l}.self_attn`;
    expectCompared(s, weights('lm', `${ANIMAL} tired`, prefix), weights('lm', `${ANIMAL} wide`, prefix), 4, 0, 0);
    // "tired" is two tokens ( t, ired) and "wide" one: different lengths, so a longest common subsequence.
    expect(s.first.rows.slice(-2)).toEqual(['t', 'ired']);
    expect(s.second.rows.slice(-1)).toEqual(['wide']);
    expect(s.diff.rows.slice(-3)).toEqual(['−t', '−ired', '+wide']);
    expect(s.alignment).toMatch(/15 and 14 tokens: they are paired by their longest common subsequence \(13 tokens/);
    expect(s.diff.matrix.every((x) => x === 0)).toBe(true);
    expect(s.changes).toMatch(/^No aligned weight changes by 0.005 or more\. Each token of this causal model sees only the tokens before it/);
    expect(s.labels).toEqual([`First: ${ANIMAL} tired`, `Second: ${ANIMAL} wide`]);
    await expectComparisonLayout(page, TAG, 'side by side');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-compare.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('the tagger, mean of the heads, with an inserted word: its row and column are hatched, the largest changes named', async () => {
    const [ta, tb] = ['The cat sat on the mat.', 'The black cat sat on the mat.'];
    const { page, problems } = await open(`model=tagger&layer=2&head=mean&text=${encodeURIComponent(ta)}&compare=${encodeURIComponent(tb)}`);
    await waitForWidget(page, TAG);
    const s = await shown(page);
    const prefix = (l: number) => `encoder.layers.${l}.self_attn`;
    const aligned = expectCompared(s, weights('tagger', ta, prefix), weights('tagger', tb, prefix), 4, 1, 'mean');
    expect(aligned).toBe(s.first.rows.length ** 2); // every token of the first text is in the second
    const black = s.diff.rows.indexOf('+black');
    expect(black).toBe(1);
    expect(s.diff.cols[black]).toBe('+black');
    const n = s.diff.cols.length;
    for (let c = 0; c < n; c++) expect(s.diff.mask![black * n + c]).toBe(-Infinity);
    expect(s.alignment).toMatch(/longest common subsequence/);
    // The sentence names the three largest |changes|, with the weights of both texts.
    const cells = s.diff.matrix.map((d, at) => ({ d, at })).filter(({ at }) => s.diff.mask![at] !== -Infinity);
    cells.sort((x, y) => Math.abs(y.d) - Math.abs(x.d));
    const first = cells[0];
    const r = Math.floor(first.at / n);
    const c = first.at % n;
    const A = selectedMatrix(asView(s.first.rows, s.first.cols, 4, weights('tagger', ta, prefix)), 1, 'mean').matrix;
    const ra = alignTokens(s.first.rows, s.second.rows).pairs[r].a!;
    const ca = alignTokens(s.first.cols, s.second.cols).pairs[c].a!;
    const a = A[ra * s.first.cols.length + ca];
    expect(s.changes).toContain(`“${s.diff.rows[r]}” → “${s.diff.cols[c]}”: ${a.toFixed(2)} → ${(a + first.d).toFixed(2)}`);
    // The colours: symmetric around 0, to the largest change.
    expect(s.diff.domain[0]).toBe(-s.diff.domain[1]);
    expect(s.diff.domain[1]).toBeCloseTo(Math.max(0.01, Math.abs(first.d)), 6);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-compare-insert.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('the date translator’s cross-attention on a phone, dark: outputs and inputs aligned by position, the maps stacked', async () => {
    const [ta, tb] = ['23rd of Nov. 2026', '23rd of Dec. 2026'];
    const { page, problems } = await open(`model=dates&view=cross&layer=2&head=1`, { dark: true, width: 390 });
    await waitForWidget(page, TAG);
    const s = await shown(page);
    const prefix = (l: number) => `decoder.layers.${l}.multihead_attn`;
    expectCompared(s, weights('dates', ta, prefix), weights('dates', tb, prefix), 4, 1, 0);
    expect(s.diff.cols).toContain('N → D');
    expect(s.diff.rows.some((r) => r.includes('→'))).toBe(true); // the month's digits differ
    expect(s.alignment).toMatch(/The outputs have the same number of tokens .* paired by position.*The inputs have the same number of tokens \(17\) and 3 differ/);
    await expectComparisonLayout(page, TAG, 'stacked');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-compare-phone-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('typing a text writes the attribute and the URL; the Embed snippet and the iframe URL reproduce it', async () => {
    const { page, problems } = await open('model=tagger&layer=3&head=2');
    await waitForWidget(page, TAG);
    await page.locator(`${TAG} input.compare`).fill('The animal did not cross the road because it was too tired.');
    await page.locator(`${TAG} input.compare`).press('Enter');
    await waitForWidget(page, TAG);
    expect(await page.locator(TAG).getAttribute('compare')).toBe('The animal did not cross the road because it was too tired.');
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.search).get('compare'))).toBe(
      'The animal did not cross the road because it was too tired.');
    const snippet = await expectEmbedsReproduce(session, page, TAG, shown);
    expect(snippet).toContain('<attn-compare model="tagger" layer="3" head="2" compare="The animal did not cross the road because it was too tired."></attn-compare>');
    expect(problems).toEqual([]);
  });
});
