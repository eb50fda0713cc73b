// The explorer's Neuron and Compare displays, end to end (#13: the neuron view and the comparison join the explorer).
// Neuron: for the explorer's model, text, view, layer and head, the query and key vectors, their product, the score,
// the scaled score and the softmax row shown equal the engine API in Node on the same text (the forward pass with
// trace 'full', as runShipped runs it), for the language model and the date translator's cross-attention; chips and
// a heatmap click pick the query and key, and the URL keeps them (q, k) (Hugging Face checkpoints:
// explorer-hf-views.test.ts). Compare: the two texts' heatmaps side by side are the tagger's weights of each text
// from Node (and the language model's mean of the heads), the difference is the second's minus the first's, cell by
// cell; the second text is typed and kept in the URL (vs); on a phone the maps stack within the screen.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { blockOf, expectNumbers, shownNeuron, type Block } from './neuron-shown';
import { runShipped } from './shipped';
import { expectComparisonLayout, shownComparison } from './compare-shown';
import { difference } from '../../web/src/components/compare-parts';
import { selectedMatrix } from '../../web/src/state/store';
import type { AttentionView } from '../../web/src/engine/protocol';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const LM_TEXT = "The animal didn't cross the street because it was too tired";
const DATE = '23rd of Nov. 2026';

/** Resolves once the explorer is idle, its analysis is of its text, and `selector` is in its panel, drawn. */
async function settle(page: Page, selector: string) {
  await page.waitForFunction((sel) => {
    const ex = document.querySelector('attn-explorer') as any;
    return ex && !ex.store.state.busy && ex.store.state.analysis?.text === ex.store.text && ex.shadowRoot.querySelector(sel);
  }, selector, { timeout: 30000 });
  await page.evaluate(async () => {
    const root = document.querySelector('attn-explorer')!.shadowRoot!;
    await (document.querySelector('attn-explorer') as any).updateComplete;
    for (const el of root.querySelectorAll('attn-strips, attn-heatmap')) await (el as any).updateComplete;
  });
}

/** What the Neuron display shows, as exact numbers. */
const neuron = (page: Page) => shownNeuron(page, 'attn-explorer', 'attn-heatmap.neuron-head');

/** The display shows query i and key j of head h of `block`, its whole head, and the arithmetic written out. */
const expectNeuron = (s: Awaited<ReturnType<typeof neuron>>, block: Block, h: number, i: number, j: number) =>
  expectNumbers(s, block, block.weights, h, i, j, 1 / Math.sqrt(block.q.shape[3]));

const param = (page: Page, name: string) => page.evaluate((n) => new URLSearchParams(location.search).get(n), name);

describe('the explorer’s Neuron display', () => {
  it('the language model: the last query and the key it weighs most, then chips and a heatmap click, the engine’s numbers; the URL keeps q and k', async () => {
    const { page, problems } = await openPage(session, `m=lm&display=neuron&layer=1&head=2&text=${encodeURIComponent(LM_TEXT)}`);
    await settle(page, '.neuron-summary');
    const block = blockOf(runShipped(attn, 'lm', LM_TEXT).full, 'decoder.layers.1.self_attn');
    const R = block.q.shape[2];
    const C = block.k.shape[2];
    const last = block.weights.data.slice((2 * R + R - 1) * C, (2 * R + R) * C);
    expectNeuron(await neuron(page), block, 2, R - 1, last.indexOf(Math.max(...last)));
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-neuron.png'), fullPage: true });

    // A query chip, then a key chip (a masked one: after the query, the causal mask gives it weight 0).
    await page.locator('attn-explorer .tokens.query [data-index="4"]').click();
    await page.locator('attn-explorer .tokens.key [data-index="6"]').click();
    await settle(page, '.neuron-summary');
    let s = await neuron(page);
    expectNeuron(s, block, 2, 4, 6);
    expect(s.weight).toBe(0);
    // The arrow keys step the key, and keep the focus on the chip picked.
    await page.locator('attn-explorer .tokens.key [data-index="6"]').focus();
    await page.keyboard.press('Home');
    await settle(page, '.neuron-summary');
    expectNeuron(await neuron(page), block, 2, 4, 0);
    expect(await page.evaluate(() => document.querySelector('attn-explorer')!.shadowRoot!.activeElement?.getAttribute('data-index'))).toBe('0');
    // A click on the head's heatmap picks its cell: row 7, column 3.
    const canvas = page.locator('attn-explorer attn-heatmap.neuron-head canvas.plot-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + (3.5 * box.width) / C, box.y + (7.5 * box.height) / R);
    await settle(page, '.neuron-summary');
    s = await neuron(page);
    expectNeuron(s, block, 2, 7, 3);
    await expect.poll(() => param(page, 'q')).toBe('7');
    expect(await param(page, 'k')).toBe('3');
    expect(await param(page, 'display')).toBe('neuron');

    // The URL opens the same numbers.
    const again = await openPage(session, page.url().split('?')[1]);
    await settle(again.page, '.neuron-summary');
    expect(await neuron(again.page)).toEqual(s);
    expect(problems).toEqual([]);
    expect(again.problems).toEqual([]);
  });

  it('the date translator’s cross-attention: a decoder query and an encoder key', async () => {
    const { page, problems } = await openPage(session, `m=dates&view=cross&display=neuron&layer=1&head=3&q=2&k=8&text=${encodeURIComponent(DATE)}`);
    await settle(page, '.neuron-summary');
    const block = blockOf(runShipped(attn, 'dates', DATE).full, 'decoder.layers.1.multihead_attn');
    const s = await neuron(page);
    expectNeuron(s, block, 3, 2, 8);
    expect(s.summary).toMatch(/^Layer 2, head 4: query “.*” \(row 2\) and key “N” \(column 8\)/);
    expect(problems).toEqual([]);
  });
});

describe('the explorer’s Compare display', () => {
  /** Layer `l`'s weights [H, R, C] of `name`'s self-attention stack on `text`, in Node. */
  const weights = (name: 'lm' | 'tagger', text: string, l: number) =>
    runShipped(attn, name, text).trace[`${name === 'lm' ? 'decoder' : 'encoder'}.layers.${l}.self_attn.weights`];
  /** The tagger's weights of layer `l`, head h, on `text`, in Node. */
  const tagger = (text: string, l: number, h: number) => {
    const w = weights('tagger', text, l);
    const [, , R, C] = w.shape;
    return { R, C, data: Array.from(w.data.slice(h * R * C, (h + 1) * R * C)) };
  };

  /** What the comparison shows (compare-shown.ts), and the second text's field. */
  const compared = async (page: Page) => ({
    ...(await shownComparison(page, 'attn-explorer')),
    input: await page.locator('attn-explorer input.vs').inputValue(),
  });

  it('the tagger: both texts’ heads and second − first from Node, cell by cell; the typed text goes to the URL and back', async () => {
    const [ta, tb] = ['The cat sat on the mat.', 'The dog sat on the mat.'];
    const { page, problems } = await openPage(session, `m=tagger&display=compare&layer=2&head=1&text=${encodeURIComponent(ta)}`);
    await settle(page, 'attn-heatmap.diff');
    await page.locator('attn-explorer input.vs').fill(tb);
    await page.waitForFunction((t) => {
      const root = document.querySelector('attn-explorer')!.shadowRoot!;
      return (root.querySelector('attn-heatmap.diff') as any)?.rowLabels?.includes(t);
    }, 'cat → dog');
    await settle(page, 'attn-heatmap.diff');
    const s = await compared(page);
    const A = tagger(ta, 2, 1);
    const B = tagger(tb, 2, 1);
    expect([A.R, A.C]).toEqual([B.R, B.C]);
    // Side by side: each text's own head (bit for bit), on the same colour scale, labelled with its text.
    expect(s.first.matrix).toEqual(A.data);
    expect(s.second.matrix).toEqual(B.data);
    expect([s.first.domain, s.second.domain]).toEqual([[0, 1], [0, 1]]);
    expect(s.labels).toEqual([`First: ${ta}`, `Second: ${tb}`]);
    expect([s.first.rows[1], s.second.rows[1]]).toEqual(['cat', 'dog']);
    expect(s.diff.rows).toEqual(s.diff.cols);
    expect(s.diff.rows[1]).toBe('cat → dog');
    expect(s.diff.matrix).toEqual(A.data.map((a, n) => Math.fround(B.data[n] - a)));
    expect(s.diff.matrix.some((x) => x !== 0)).toBe(true);
    expect(s.alignment).toMatch(/same number of tokens \(\d+\) and 1 differs: they are paired by position/);
    expect(s.changes).toMatch(/^Largest changes/);
    expect(s.changes).not.toMatch(/causal/);
    await expectComparisonLayout(page, 'attn-explorer', 'side by side');
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-compare.png'), fullPage: true });
    await expect.poll(() => param(page, 'vs')).toBe(tb);

    const again = await openPage(session, page.url().split('?')[1]);
    await settle(again.page, 'attn-heatmap.diff');
    expect(await compared(again.page)).toEqual(s);
    expect(problems).toEqual([]);
    expect(again.problems).toEqual([]);
  });

  it('the language model, mean of the heads, dark: its preset second text, both texts’ means from Node; stacked on a phone', async () => {
    const { page, problems } = await openPage(session, `m=lm&display=compare&layer=2&head=mean&text=${encodeURIComponent(LM_TEXT)}`, { dark: true });
    await settle(page, 'attn-heatmap.diff');
    const s = await compared(page);
    const wide = "The animal didn't cross the street because it was too wide";
    expect(s.input).toBe(wide);
    expect(s.labels).toEqual([`First: ${LM_TEXT}`, `Second: ${wide}`]);
    // The views as the page has them (labels and causal masks), with the weights of the engine in Node.
    const pageViews: { rows: string[]; cols: string[]; mask: number[] | null }[] = await page.evaluate(() => {
      const ex = document.querySelector('attn-explorer') as any;
      return [ex.store.state.analysis, ex.compared].map((a) => {
        const v = a.views[0];
        return { rows: v.rows, cols: v.cols, mask: v.masks[2] ? Array.from(v.masks[2] as Float32Array) : null };
      });
    });
    const [first, second] = [LM_TEXT, wide].map((text, n): AttentionView => {
      const w = weights('lm', text, 2);
      const { rows, cols, mask } = pageViews[n];
      return { name: 'self', title: '', rows, cols, layers: 3, heads: w.shape[1], weights: [w.data, w.data, w.data],
        masks: [undefined, undefined, mask ? Float32Array.from(mask) : undefined] };
    });
    expect(s.first.matrix).toEqual(Array.from(selectedMatrix(first, 2, 'mean').matrix)); // bit for bit
    expect(s.second.matrix).toEqual(Array.from(selectedMatrix(second, 2, 'mean').matrix));
    const d = difference(first, second, 2, 'mean');
    expect(s.diff.matrix).toEqual(Array.from(d.matrix));
    expect(s.diff.rows).toEqual(d.rowLabels);
    expect(s.alignment).toMatch(/longest common subsequence/);
    expect(s.changes).toMatch(/causal/);
    await expectComparisonLayout(page, 'attn-explorer', 'side by side');
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-compare-dark.png'), fullPage: true });

    // A phone: the two maps stack, and nothing is wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await settle(page, 'attn-heatmap.diff');
    await expectComparisonLayout(page, 'attn-explorer', 'stacked');
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-compare-phone-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
