// <attn-neuron> end to end (embed.html?w=attn-neuron&...): for a head, a query token and a key token, the query and
// key vectors, their product, the score, the scaled score and the softmax row shown equal the engine API in Node
// on the same text (the forward pass with trace 'full'), the weight equals the forward pass's attention weight,
// and sum(q ⊙ k) / √Dh equals the scaled score shown. Token clicks, the arrow keys and a heatmap click pick the
// query and key, the attributes and the URL follow, and the Embed snippet and the iframe URL reproduce it.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { DEFAULT_SETTINGS, modelConfig, tokenIds, type ModelSettings } from '../../web/src/state/store';
import { splitWords } from '../../web/src/text/words';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
import { blockOf, expectNumbers, shownNeuron } from './neuron-shown';
import { runShipped } from './shipped';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-neuron';
const LM_TEXT = "The animal didn't cross the street because it was too"; // the language model's example
const open = (query: string, opts: { width?: number; dark?: boolean } = {}) =>
  openPage(session, `w=${TAG}&${query}`, { path: 'embed.html', width: opts.width ?? 1100, height: 900, dark: opts.dark });

/** Query i and key j of a shipped model's attention block `prefix` (e.g. "decoder.layers.1.self_attn"). */
function shipped(name: 'lm' | 'tagger' | 'dates', text: string, prefix: string) {
  const { trace, full } = runShipped(attn, name, text);
  return { block: blockOf(full, prefix), heatmap: trace[`${prefix}.weights`] };
}

/** Everything the widget shows, as exact numbers. */
const shown = (page: Page | Frame) => shownNeuron(page, TAG, 'attn-heatmap.head');

const attr = (page: Page, name: string) => page.locator(TAG).getAttribute(name);

describe('<attn-neuron>', () => {
  it('the language model: q, k, q ⊙ k, the score, ÷ √Dh and the softmax equal the engine in Node', async () => {
    const { page, problems } = await open('model=lm&layer=2&head=3&query=10&key=2');
    await waitForWidget(page, TAG);
    const { block, heatmap } = shipped('lm', LM_TEXT, 'decoder.layers.1.self_attn');
    expect(block.q.shape).toEqual([1, 4, 13, 32]); // <bos> and 12 tokens
    const s = await shown(page);
    expectNumbers(s, block, heatmap, 2, 10, 2, 1 / Math.sqrt(32));
    expect(s.summary).toMatch(/^Layer 2, head 3: query “it” \(row 10\) and key “anim” \(column 2\)/);
    // A causal model: the row's later keys are masked, −∞ and weight 0.
    expect(s.scaledRow.slice(11)).toEqual([-Infinity, -Infinity]);
    expect(s.weights.slice(11)).toEqual([0, 0]);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-neuron.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('token clicks, the arrow keys and a heatmap click pick the query and key; the URL follows', async () => {
    const { page, problems } = await open('model=lm&layer=1&head=1');
    await waitForWidget(page, TAG);
    // Defaults: the last row, and the key it weighs most.
    const { block, heatmap } = shipped('lm', LM_TEXT, 'decoder.layers.0.self_attn');
    const last = block.weights.data.slice(12 * 13, 13 * 13);
    const top = last.indexOf(Math.max(...last));
    expectNumbers(await shown(page), block, heatmap, 0, 12, top, 1 / Math.sqrt(32));

    await page.locator(`${TAG} .tokens.query [data-index="6"]`).click();
    await waitForWidget(page, TAG);
    expect(await attr(page, 'query')).toBe('6');
    await page.locator(`${TAG} .tokens.key [data-index="3"]`).click();
    await waitForWidget(page, TAG);
    expectNumbers(await shown(page), block, heatmap, 0, 6, 3, 1 / Math.sqrt(32));
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/query=6&key=3/);

    // Arrows step the focused group; End jumps to its last token (a masked key for query 6: weight 0).
    await page.locator(`${TAG} .tokens.key [data-index="3"]`).focus();
    await page.keyboard.press('ArrowRight');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'key')).toBe('4');
    expect(await page.evaluate((t) => document.querySelector(t)!.shadowRoot!.activeElement?.getAttribute('data-index'), TAG)).toBe('4');
    await page.keyboard.press('End');
    await waitForWidget(page, TAG);
    let s = await shown(page);
    expect(s.key).toEqual([12]);
    expect(s.weight).toBe(0);
    expect(await page.locator(`${TAG} .formula`).filter({ hasText: 'is masked' }).count()).toBe(1);
    await page.locator(`${TAG} .tokens.query [data-index="6"]`).focus();
    await page.keyboard.press('ArrowLeft');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'query')).toBe('5');

    // A click on a heatmap cell picks its row and column.
    const canvas = page.locator(`${TAG} attn-heatmap.head canvas.plot-canvas`);
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + (1.5 * box.width) / 13, box.y + (9.5 * box.height) / 13);
    await waitForWidget(page, TAG);
    s = await shown(page);
    expect([s.query, s.key]).toEqual([[9], [1]]);
    expectNumbers(s, block, heatmap, 0, 9, 1, 1 / Math.sqrt(32));
    expect(problems).toEqual([]);
  });

  it('the date translator: cross-attention takes its queries from the decoder and its keys from the encoder', async () => {
    const text = '23rd of Nov. 2026';
    const { page, problems } = await open(`model=dates&text=${encodeURIComponent(text)}&view=cross&layer=2&head=2&query=3&key=14`, { dark: true });
    await waitForWidget(page, TAG);
    const { block, heatmap } = shipped('dates', text, 'decoder.layers.1.multihead_attn');
    expect(block.q.shape[2]).not.toBe(block.k.shape[2]); // output characters against input characters
    expectNumbers(await shown(page), block, heatmap, 1, 3, 14, 1 / Math.sqrt(24));
    expect(await page.locator(`${TAG} .tokens.key button`).count()).toBe(text.length);
    // The encoder's self-attention of the same text.
    await page.locator(`${TAG} select.view`).selectOption('encoder');
    await waitForWidget(page, TAG);
    const enc = shipped('dates', text, 'encoder.layers.1.self_attn');
    expectNumbers(await shown(page), enc.block, enc.heatmap, 1, 3, 14, 1 / Math.sqrt(24));
    await page.screenshot({ path: path.join(screenshotDir, 'widget-neuron-dates.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('the untrained model with its settings as attributes: without scaling the score goes on as it is', async () => {
    const text = 'the quick brown fox jumps';
    const { page, problems } = await open(`model=untrained&text=${encodeURIComponent(text)}&d-model=32&heads=2&layers=1&scaled=false&query=4&key=1`);
    await waitForWidget(page, TAG);
    const settings: ModelSettings = { ...DEFAULT_SETTINGS, d_model: 32, nhead: 2, num_layers: 1, scaled: false };
    const model = attn.createModel(modelConfig(settings), settings.seed);
    const ids = tokenIds(splitWords(text).tokens.map((t) => t.text));
    const block = blockOf(model.forward(ids, { trace: 'full' }).trace, 'encoder.layers.0.self_attn');
    const heatmap = model.forward(ids).trace['encoder.layers.0.self_attn.weights'];
    model.delete();
    const s = await shown(page);
    expectNumbers(s, block, heatmap, 0, 4, 1, 1);
    expect(s.scaled).toBe(s.score);
    expect(await page.locator(`${TAG} .formula`).filter({ hasText: 'not scaled' }).count()).toBe(1);
    // Its own controls: scaling on divides by √16 (two heads of 16).
    await page.locator(`${TAG} model-controls input[name="scaled"]`).check();
    await waitForWidget(page, TAG);
    expect(await attr(page, 'scaled')).toBeNull(); // the default
    const after = await shown(page);
    expect(Math.abs(after.scaled - after.score / 4)).toBeLessThan(1e-6 * Math.max(1, Math.abs(after.score)));
    expect(problems).toEqual([]);
  });

  it('the Embed snippet and the iframe URL reproduce it, under the strict CSP', async () => {
    const { page, problems } = await open(`model=tagger&layer=3&head=4&query=2&key=5`);
    await waitForWidget(page, TAG);
    const snippet = await expectEmbedsReproduce(session, page, TAG, shown);
    expect(snippet).toMatch(/<attn-neuron model="tagger" layer="3" head="4" query="2" key="5"><\/attn-neuron>/);
    expect(problems).toEqual([]);
  });
});
