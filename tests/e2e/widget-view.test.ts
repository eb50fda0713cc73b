// <attn-view> end to end (embed.html?w=attn-view&...): the head gallery with the engine's descriptions (a click
// picks the head, and the attributes and the URL follow), and the untrained model's settings as attributes: a bad
// value gets a notice and the default, the weights equal the engine API in Node with the same settings, and the
// model's own controls write the attributes back.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { MIN_WEIGHT, type Line } from '../../web/src/components/lines';
import { DEFAULT_SETTINGS, modelConfig, tokenIds, type ModelSettings } from '../../web/src/state/store';
import { splitWords } from '../../web/src/text/words';
import { openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-view';
const open = (query: string) => openPage(session, `w=${TAG}&${query}`, { path: 'embed.html', width: 1000, height: 900 });
const attr = (page: Page, name: string) => page.locator(TAG).getAttribute(name);

/** Every weight of the main heatmap, by its cells. */
async function shownWeights(page: Page): Promise<number[]> {
  return page.evaluate((tag) => {
    const map = (document.querySelector(tag) as any).shadowRoot.querySelector('attn-heatmap.main');
    const out: number[] = [];
    for (let i = 0; i < map.rows; i++) for (let j = 0; j < map.cols; j++) out.push(map.cellInfo(i, j).value);
    return out;
  }, TAG);
}

describe('<attn-view>', () => {
  it('shows the head gallery with what each head does; a click picks the head and the URL follows', async () => {
    const { page, problems } = await open('model=tagger&gallery=true&layer=2&head=3');
    await waitForWidget(page, TAG);
    const gallery = page.locator(`${TAG} head-gallery`);
    const cards = gallery.locator('button.head-card');
    await expect.poll(() => cards.count(), { timeout: 30000 }).toBe(12); // the tagger: 3 layers of 4 heads
    // The descriptions arrive once the engine has the statistics.
    await expect.poll(() => cards.nth(0).locator('.desc').innerText(), { timeout: 60000 }).toMatch(/\w/);
    await expect.poll(() => page.locator(`${TAG} .stats-progress`).count(), { timeout: 60000 }).toBe(0);
    // Its name is what it shows (the description included); the title spells the head out.
    expect(await cards.nth(0).getAttribute('title')).toMatch(/^Layer 1, head 1: \w/);
    expect(await cards.nth(0).innerText()).toContain(await cards.nth(0).locator('.desc').innerText());
    // The current head is marked.
    expect(await gallery.locator('button.head-card[aria-pressed="true"] .name').innerText()).toBe('L2 · H3');
    await cards.nth(1).click(); // L1 · H2
    await waitForWidget(page, TAG);
    expect([await attr(page, 'layer'), await attr(page, 'head')]).toEqual(['1', '2']);
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/layer=1&head=2/);
    const caption = await page.locator(`${TAG} attn-heatmap.main .legend-title`).innerText();
    expect(caption).toMatch(/layer 1 · head 2/);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-gallery.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('takes the untrained model’s settings as attributes: notices for bad values, the engine’s weights, controls write back', async () => {
    const text = 'one two three four five six';
    const { page, problems } = await open(`model=untrained&text=${encodeURIComponent(text)}&d-model=32&heads=3&layers=1&causal=true&seed=7`);
    await waitForWidget(page, TAG);
    await expect(page.locator(`${TAG} .notice`).innerText()).resolves.toMatch(/heads must be one of 1, 2, 4, 8, 16; using 4/);
    const settings: ModelSettings = { ...DEFAULT_SETTINGS, d_model: 32, num_layers: 1, causal: true, seed: 7 };
    const tokens = splitWords(text).tokens.map((t) => t.text);
    const model = attn.createModel(modelConfig(settings), settings.seed);
    const w = model.forward(tokenIds(tokens)).trace['encoder.layers.0.self_attn.weights'];
    model.delete();
    const L = tokens.length;
    expect(await shownWeights(page)).toEqual(Array.from(w.data.slice(0, L * L))); // head 1 of layer 1, bit for bit
    expect(await page.locator(`${TAG} select.layer option`).count()).toBe(1);
    // The model's own controls: two heads.
    await page.locator(`${TAG} model-controls select[name="nhead"]`).selectOption('2');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'heads')).toBe('2');
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/heads=2/);
    const two = attn.createModel(modelConfig({ ...settings, nhead: 2 }), settings.seed);
    const w2 = two.forward(tokenIds(tokens)).trace['encoder.layers.0.self_attn.weights'];
    two.delete();
    expect(await shownWeights(page)).toEqual(Array.from(w2.data.slice(0, L * L)));
    // A d-model the heads do not divide: the widget says so and uses a head count that does.
    await page.evaluate((tag) => document.querySelector(tag)!.setAttribute('d-model', '16'), TAG);
    await page.evaluate((tag) => document.querySelector(tag)!.setAttribute('heads', '32'), TAG);
    await waitForWidget(page, TAG);
    expect(await page.locator(`${TAG} .notice`).innerText()).toMatch(/heads must be one of/);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-untrained.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('the untrained model in the Lines and Model displays: the lines and every head’s picture are the engine’s weights', async () => {
    const text = 'one two three four five six';
    const { page, problems } = await open(`model=untrained&text=${encodeURIComponent(text)}&d-model=32&heads=2&layers=2&seed=7&display=lines&layer=2`);
    await waitForWidget(page, TAG);
    const settings: ModelSettings = { ...DEFAULT_SETTINGS, d_model: 32, nhead: 2, num_layers: 2, seed: 7 };
    const tokens = splitWords(text).tokens.map((t) => t.text);
    const model = attn.createModel(modelConfig(settings), settings.seed);
    const w = Float32Array.from(model.forward(tokenIds(tokens)).trace['encoder.layers.1.self_attn.weights'].data);
    model.delete();
    const L = tokens.length;
    const want: Line[] = [];
    for (let head = 0; head < 2; head++)
      for (let query = 0; query < L; query++)
        for (let key = 0; key < L; key++) {
          const weight = w[(head * L + query) * L + key];
          if (weight >= MIN_WEIGHT) want.push({ head, query, key, weight });
        }
    const drawn = (await page.evaluate((tag) => (document.querySelector(tag) as any).shadowRoot.querySelector('attn-lines')
      .drawnLines().map((l: Line) => ({ ...l })), TAG)) as Line[];
    drawn.sort((a, b) => a.head - b.head || a.query - b.query || a.key - b.key);
    expect(drawn).toEqual(want); // bit for bit
    // The model view: 2 layers of 2 heads, each picture layer l's weights.
    await page.evaluate((tag) => document.querySelector(tag)!.setAttribute('display', 'model'), TAG);
    await waitForWidget(page, TAG);
    const mv = page.locator(`${TAG} attn-model-view`);
    await expect.poll(() => mv.locator('button.cell').count()).toBe(4);
    expect(await mv.evaluate((el: any) => Array.from(el.view.weights[1] as Float32Array))).toEqual(Array.from(w));
    expect(problems).toEqual([]);
  });

  it('a lab model that is not in this browser gets the reason, not a blank widget', async () => {
    const { page } = await open('model=lab&run=no-such-run');
    await expect
      .poll(() => page.locator(TAG).evaluate((el) => el.shadowRoot!.textContent ?? ''), { timeout: 30000 })
      .toMatch(/this lab run is not in this browser/);
    expect(await page.locator(TAG).evaluate((el: any) => el.widgetTitle)).toBe('Attention in your lab model');
  });
});
