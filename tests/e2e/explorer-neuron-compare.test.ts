// The explorer's Neuron and Compare displays, end to end (#13: the neuron view and the comparison join the explorer).
// Neuron: for the explorer's model, text, view, layer and head, the query and key vectors, their product, the score,
// the scaled score and the softmax row shown equal the engine API in Node on the same text (the forward pass with
// trace 'full', as runShipped runs it), for the language model and the date translator's cross-attention; chips and
// a heatmap click pick the query and key, and the URL keeps them (q, k) (Hugging Face checkpoints:
// explorer-hf-views.test.ts). Compare: the tagger's difference is the
// second text's weights minus the first's from Node, cell by cell; the second text is typed and kept in the URL (vs).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { blockOf, expectNumbers, shownNeuron, type Block } from './neuron-shown';
import { runShipped } from './shipped';

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
  /** The tagger's weights of layer `l`, head h, on `text`, in Node. */
  const tagger = (text: string, l: number, h: number) => {
    const w = runShipped(attn, 'tagger', text).trace[`encoder.layers.${l}.self_attn.weights`];
    const [, , R, C] = w.shape;
    return { R, C, data: Array.from(w.data.slice(h * R * C, (h + 1) * R * C)) };
  };

  /** The difference heatmap's matrix and labels, and the sentences. */
  const compared = (page: Page) => page.evaluate(() => {
    const root = document.querySelector('attn-explorer')!.shadowRoot!;
    const diff = root.querySelector('attn-heatmap.diff') as any;
    return { matrix: Array.from(diff.matrix as Float32Array), rows: diff.rowLabels as string[], cols: diff.colLabels as string[],
      input: (root.querySelector('input.vs') as HTMLInputElement).value,
      alignment: root.querySelector('.alignment')!.textContent!.replace(/\s+/g, ' ').trim(),
      changes: root.querySelector('.changes')!.textContent!.replace(/\s+/g, ' ').trim() };
  });

  it('the tagger: second − first from Node, cell by cell; the typed text goes to the URL and back', async () => {
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
    expect(s.rows).toEqual(s.cols);
    expect(s.rows[1]).toBe('cat → dog');
    expect(s.matrix).toEqual(A.data.map((a, n) => Math.fround(B.data[n] - a)));
    expect(s.matrix.some((x) => x !== 0)).toBe(true);
    expect(s.alignment).toMatch(/same number of tokens \(\d+\) and 1 differs: they are paired by position/);
    expect(s.changes).toMatch(/^Largest changes/);
    expect(s.changes).not.toMatch(/causal/);
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-compare.png'), fullPage: true });
    await expect.poll(() => param(page, 'vs')).toBe(tb);

    const again = await openPage(session, page.url().split('?')[1]);
    await settle(again.page, 'attn-heatmap.diff');
    expect(await compared(again.page)).toEqual(s);
    expect(problems).toEqual([]);
    expect(again.problems).toEqual([]);
  });

  it('the language model: its preset second text, and the note that a causal model cannot change earlier rows', async () => {
    const { page, problems } = await openPage(session, `m=lm&display=compare&text=${encodeURIComponent(LM_TEXT)}`);
    await settle(page, 'attn-heatmap.diff');
    const s = await compared(page);
    expect(s.input).toBe("The animal didn't cross the street because it was too wide");
    expect(s.alignment).toMatch(/longest common subsequence/);
    expect(s.changes).toMatch(/causal/);
    expect(problems).toEqual([]);
  });
});
