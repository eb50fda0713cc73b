// The explorer's displays other than the heatmap, end to end (#13 items 1 and 2): the head view ("Lines": a line
// from each query to each key, several heads at once) and the model view ("Model": every layer × head). The line
// weights are the engine API's, computed in Node on the same text from the same model files; hover, pin, Escape and
// the keyboard; a model-view click selects the layer and head for the other displays; the URL keeps all of it; the
// <attn-view display="lines"> widget, its Embed snippet and its SVG export; a Hugging Face model.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { MIN_WEIGHT, type Line } from '../../web/src/components/lines';
import { describeHead } from '../../web/src/models/describe';
import { strongestLink } from '../../web/src/state/store';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const BOS = 1;
const EOS = 2;
const LM_TEXT = "The animal didn't cross the street because it was too tired";
const DATE = '23rd of Nov. 2026';

function load(name: string) {
  const dir = path.join(root, 'web/dist/models', name);
  return {
    model: attn.loadModel(readFileSync(path.join(dir, 'model.safetensors'))),
    tokenizer: attn.loadTokenizer(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
  };
}

/** The weights of one attention block from the engine in Node, as [head][query][key] reads. */
interface Weights { heads: number; rows: number; cols: number; at: (h: number, i: number, j: number) => number }

function lmWeights(text: string, layer: number): Weights {
  const { model, tokenizer } = load('lm');
  try {
    const ids = Int32Array.from([BOS, ...tokenizer.encode(text).ids]);
    const w = model.forward(ids).trace[`decoder.layers.${layer}.self_attn.weights`];
    const [heads, rows, cols] = w.shape.slice(-3);
    const data = Float32Array.from(w.data);
    return { heads, rows, cols, at: (h, i, j) => data[(h * rows + i) * cols + j] };
  } finally {
    model.delete();
  }
}

function crossWeights(text: string, layer: number): Weights {
  const { model, tokenizer } = load('dates');
  try {
    const e = tokenizer.encode(text, { maxTokens: Number(model.config.max_len) - 1 });
    const w = model.greedy(e.ids, { bos: BOS, eos: EOS, max_len: 12 }).trace[`decoder.layers.${layer}.multihead_attn.weights`];
    const [heads, rows, cols] = w.shape.slice(-3);
    const data = Float32Array.from(w.data);
    return { heads, rows, cols, at: (h, i, j) => data[(h * rows + i) * cols + j] };
  } finally {
    model.delete();
  }
}

/** Every line the engine's weights should draw: the heads, the focused token's only, over MIN_WEIGHT. */
function expectedLines(w: Weights, heads: number[], focus?: { side: 'query' | 'key'; index: number }): Line[] {
  const out: Line[] = [];
  for (const head of heads)
    for (let query = 0; query < w.rows; query++)
      for (let key = 0; key < w.cols; key++) {
        if (focus?.side === 'query' && focus.index !== query) continue;
        if (focus?.side === 'key' && focus.index !== key) continue;
        const weight = w.at(head, query, key);
        if (weight >= MIN_WEIGHT) out.push({ head, query, key, weight });
      }
  return out;
}

const byPlace = (a: Line, b: Line) => a.head - b.head || a.query - b.query || a.key - b.key;

/** The lines the head view (in the explorer, or in a widget `host`) has drawn, in a stable order. */
async function drawn(page: Page, host = 'attn-explorer'): Promise<Line[]> {
  const lines: Line[] = await page.evaluate((h) => {
    const el = (document.querySelector(h) as any).shadowRoot.querySelector('attn-lines');
    return el.drawnLines().map((l: Line) => ({ ...l }));
  }, host);
  return lines.sort(byPlace);
}

async function store(page: Page): Promise<any> {
  return page.evaluate(() => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    return { display: s.display, layer: s.layer, head: s.head, lineHeads: s.lineHeads, pin: s.pin ?? null, pictures: s.pictures, view: s.view };
  });
}

async function waitForAnalysis(page: Page, text: string) {
  await page.waitForFunction((t) => {
    const s = (document.querySelector('attn-explorer') as any)?.store.state;
    return s && s.analysis?.model === s.model && s.analysis.text === t && !s.busy;
  }, text, { timeout: 60000 });
}

/** Moves the pointer off the picture (to the page's top left corner). */
const away = (page: Page) => page.mouse.move(2, 2);

describe('explorer: the head view (Lines)', () => {
  it('language model: the lines are the engine’s weights; hover shows one token’s, a click pins, Escape unpins, the keyboard pins', async () => {
    const { page, problems } = await openPage(session, `m=lm&display=lines&layer=1&text=${encodeURIComponent(LM_TEXT)}`);
    await waitForAnalysis(page, LM_TEXT);
    const w = lmWeights(LM_TEXT, 1);
    const all = Array.from({ length: w.heads }, (_, h) => h);
    const lines = page.locator('attn-lines.main');
    await lines.locator('canvas.lines-canvas').waitFor();
    // Every head, every query: each line the engine's float32, bit for bit, and none missing.
    expect(await drawn(page)).toEqual(expectedLines(w, all).sort(byPlace));

    // A click on query 9 ("because") pins it: only its lines, and its strongest keys written out per head.
    const q = 9;
    await lines.locator(`.col.query .tok[data-index="${q}"]`).click();
    expect((await store(page)).pin).toEqual({ side: 'query', index: q });
    await away(page);
    expect(await drawn(page)).toEqual(expectedLines(w, all, { side: 'query', index: q }).sort(byPlace));
    const table = lines.locator('table.links');
    expect(await table.locator('caption').innerText()).toMatch(/attends to most, per head \(pinned\)/);
    for (let h = 0; h < w.heads; h++) {
      const cells = table.locator(`tr[data-head="${h}"] td.link`);
      const shown = await cells.evaluateAll((tds) => tds.map((td) => [Number(td.getAttribute('data-index')), Number(td.getAttribute('data-weight'))]));
      const best = Array.from({ length: w.cols }, (_, j) => [j, w.at(h, q, j)]).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 3);
      expect(shown).toEqual(best);
    }

    // Hovering key 3 shows only the lines into it; leaving it, the pinned query's come back.
    await lines.locator('.col.key .tok[data-index="3"]').hover();
    const into = await drawn(page);
    expect(into).toEqual(expectedLines(w, all, { side: 'key', index: 3 }).sort(byPlace));
    expect(new Set(into.map((l) => l.key))).toEqual(new Set([3]));
    await away(page);
    expect(new Set((await drawn(page)).map((l) => l.query))).toEqual(new Set([q]));

    // Escape unpins (the clicked column has the focus): every line again.
    await page.keyboard.press('Escape');
    expect((await store(page)).pin).toBeNull();
    await page.locator('attn-explorer textarea').focus(); // the keyboard's own token goes with the focus
    expect(await drawn(page)).toEqual(expectedLines(w, all).sort(byPlace));

    // The keyboard: Tab into the key column from the query column, arrows move, Enter pins.
    await lines.locator('.col.query').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('attn-lines')
      .shadowRoot.activeElement?.className)).toMatch(/col key/);
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    expect(await lines.locator('.col.key').getAttribute('aria-activedescendant')).toBe('key-4');
    await page.keyboard.press('Enter');
    expect((await store(page)).pin).toEqual({ side: 'key', index: 4 });
    expect(await drawn(page)).toEqual(expectedLines(w, all, { side: 'key', index: 4 }).sort(byPlace));
    expect(await page.locator('attn-lines.main [aria-live="polite"]').innerText()).toMatch(/^Key 5, .*pinned/);

    // Heads: a click on head 2 shows it alone; head 4 joins it.
    await lines.locator('button.head-toggle[data-head="1"]').click();
    await lines.locator('button.head-toggle[data-head="3"]').click();
    expect((await store(page)).lineHeads).toEqual([1, 3]);
    await away(page);
    expect(await drawn(page)).toEqual(expectedLines(w, [1, 3], { side: 'key', index: 4 }).sort(byPlace));
    expect(await lines.locator('figcaption .caption').innerText()).toMatch(/layer 2 · heads 2, 4/);
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-lines.png'), fullPage: true });
    expect(problems).toEqual([]);

    // The URL keeps the display, the heads and the pin; opening it shows the same lines.
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/display=lines&lh=1%2C3&pin=k4/);
    const url = page.url();
    const again = await openPage(session, url.split('?')[1]);
    await waitForAnalysis(again.page, LM_TEXT);
    expect(await store(again.page)).toMatchObject({ display: 'lines', layer: 1, lineHeads: [1, 3], pin: { side: 'key', index: 4 } });
    await again.page.locator('attn-lines.main canvas.lines-canvas').waitFor();
    expect(await drawn(again.page)).toEqual(expectedLines(w, [1, 3], { side: 'key', index: 4 }).sort(byPlace));

    // Save SVG: a standalone SVG with one <line> per line drawn, each with its exact weight.
    const [download] = await Promise.all([again.page.waitForEvent('download'), again.page.locator('attn-lines.main button.save').click()]);
    const svg = readFileSync((await download.path())!, 'utf8');
    const parsed = await again.page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return null;
      return [...doc.querySelectorAll('line')].map((l) => ({ head: Number(l.dataset.head) - 1, query: Number(l.dataset.query),
        key: Number(l.dataset.key), weight: Number(l.dataset.weight) }));
    }, svg);
    expect(parsed?.sort(byPlace)).toEqual(expectedLines(w, [1, 3], { side: 'key', index: 4 }).sort(byPlace));
    expect(again.problems).toEqual([]);
  });

  it('date translator: the cross-attention lines (outputs → input characters) are the engine’s', async () => {
    const { page, problems } = await openPage(session, `m=dates&display=lines&layer=1&text=${encodeURIComponent(DATE)}`);
    await waitForAnalysis(page, DATE);
    expect((await store(page)).view).toBe('cross');
    const w = crossWeights(DATE, 1);
    expect([w.rows, w.cols]).toEqual([11, DATE.length]); // 2026-11-23 and <eos>; one column per character
    const all = Array.from({ length: w.heads }, (_, h) => h);
    const lines = page.locator('attn-lines.main');
    await lines.locator('canvas.lines-canvas').waitFor();
    expect(await lines.locator('.titles').innerText()).toMatch(/Outputs →\s*→ Inputs/);
    expect(await drawn(page)).toEqual(expectedLines(w, all).sort(byPlace));
    // The month's first digit ("1", output 5) reads the month's name: its lines, pinned.
    await lines.locator('.col.query .tok[data-index="5"]').click();
    await away(page);
    const five = await drawn(page);
    expect(five).toEqual(expectedLines(w, all, { side: 'query', index: 5 }).sort(byPlace));
    const strongest = five.reduce((a, b) => (b.weight > a.weight ? b : a));
    expect('Nov.'.includes(DATE[strongest.key])).toBe(true);
    // An input character pinned from the keyboard: the outputs that read it.
    await lines.locator('.col.key').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    expect((await store(page)).pin).toEqual({ side: 'key', index: DATE.length - 1 });
    expect(await drawn(page)).toEqual(expectedLines(w, all, { side: 'key', index: DATE.length - 1 }).sort(byPlace));
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-lines-cross.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe('explorer: the model view (Model) and the display tabs', () => {
  it('shows every layer × head; a click selects it for the other displays; tabs and cells work from the keyboard', async () => {
    const text = 'The old dog slowly crossed the busy street.';
    const { page, problems } = await openPage(session, `m=tagger&display=model&text=${encodeURIComponent(text)}`);
    await waitForAnalysis(page, text);
    const view = page.locator('attn-model-view.main');
    const cells = view.locator('button.cell');
    await expect.poll(() => cells.count()).toBe(3 * 4); // the tagger: 3 layers of 4 heads
    expect(await view.locator('[role="rowheader"]').allInnerTexts()).toEqual(['L1', 'L2', 'L3']);
    // The pictures' text alternative: each cell is named by its head's strongest link on this text and, once the
    // engine has measured the heads over held-out texts, by what the head does (the head gallery's line).
    const cellName = () => view.locator('button.cell[data-layer="1"][data-head="2"]').getAttribute('aria-label');
    await expect.poll(cellName, { timeout: 60000 }).toContain('over held-out texts');
    const shown = await view.evaluate((el: any) => ({ ...el.view, weights: el.view.weights.map((w: Float32Array) => Array.from(w)),
      masks: el.view.masks.map((m?: Float32Array) => m && Array.from(m)), stat: el.stats[1][2] }));
    const asView = { ...shown, weights: shown.weights.map((w: number[]) => Float32Array.from(w)),
      masks: shown.masks.map((m?: number[]) => m && Float32Array.from(m)) };
    expect(await cellName()).toBe(`Layer 2, head 3: ${strongestLink(asView, 1, 2)}; over held-out texts, ${describeHead(shown.stat, 'self')}`);
    expect(await cellName()).toMatch(/strongest link on this text “.+” → “.+”, 0\.\d\d; over held-out texts, (mostly|often|focused|broad)/);
    const fingerprint = () => view.locator('canvas.thumbs').evaluate((c: HTMLCanvasElement) => c.toDataURL());
    const heatmaps = await fingerprint();

    await view.locator('button.cell[data-layer="1"][data-head="2"]').click();
    expect(await store(page)).toMatchObject({ display: 'model', layer: 1, head: 2, lineHeads: [2] });
    expect(await view.locator('button.cell[data-layer="1"][data-head="2"]').evaluate((b) => b.parentElement!.getAttribute('aria-selected'))).toBe('true');
    // The pictures as lines: the same grid, another picture.
    await view.locator('button.pictures[data-pictures="lines"]').click();
    expect((await store(page)).pictures).toBe('lines');
    await expect.poll(fingerprint).not.toBe(heatmaps);
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-model.png'), fullPage: true });

    // The keyboard: the selected cell is the grid's tab stop; arrows move, Enter selects.
    await view.locator('button.cell[data-layer="1"][data-head="2"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    expect(await store(page)).toMatchObject({ layer: 2, head: 1, lineHeads: [1] });

    // "Open it as Lines": the head view of that layer, that head alone.
    await view.locator('button.open[data-display="lines"]').click();
    expect((await store(page)).display).toBe('lines');
    const lines = page.locator('attn-lines.main');
    expect(await lines.locator('button.head-toggle[aria-pressed="true"]').count()).toBe(1);
    expect(await lines.locator('button.head-toggle[aria-pressed="true"]').getAttribute('data-head')).toBe('1');
    await expect.poll(async () => new Set((await drawn(page)).map((l) => l.head))).toEqual(new Set([1]));

    // The display tabs: one tab stop, the arrows move and select.
    const tab = page.locator('attn-explorer [role="tab"][aria-selected="true"]');
    expect(await tab.getAttribute('data-display')).toBe('lines');
    expect(await page.locator('attn-explorer [role="tab"][tabindex="0"]').count()).toBe(1);
    await tab.focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => (await store(page)).display).toBe('heatmap');
    await expect.poll(() => page.evaluate(() => (document.querySelector('attn-explorer') as any).shadowRoot.activeElement?.id)).toBe('display-tab-heatmap');
    expect(await page.locator('attn-heatmap.main .legend-title').innerText()).toMatch(/layer 3 · head 2/);
    expect(await page.locator('attn-explorer [role="tabpanel"]').getAttribute('aria-labelledby')).toBe('display-tab-heatmap');
    await page.keyboard.press('End');
    await expect.poll(async () => (await store(page)).display).toBe('ablation');
    expect(problems).toEqual([]);
  });

  it('a Hugging Face model (Marian) draws its cross-attention as lines and its heads as a model view', async () => {
    const { page, problems } = await openPage(session, 'hf=/hf-fixtures/marian/&display=lines');
    await page.waitForFunction(() => {
      const s = (document.querySelector('attn-explorer') as any)?.store.state;
      return s && s.analysis?.model === 'hf' && s.analysis.views.length === 3 && !s.busy;
    }, undefined, { timeout: 60000 });
    const lines = page.locator('attn-lines.main');
    await lines.locator('canvas.lines-canvas').waitFor();
    expect(await lines.locator('.titles').innerText()).toMatch(/Targets →\s*→ Sources/);
    const got = await drawn(page);
    const v = await page.evaluate(() => {
      const s = (document.querySelector('attn-explorer') as any).store.state;
      const cross = s.analysis.views.find((x: any) => x.name === 'cross');
      return { rows: cross.rows.length, cols: cross.cols.length, heads: cross.heads, w: Array.from(cross.weights[0] as Float32Array) };
    });
    const w: Weights = { heads: v.heads, rows: v.rows, cols: v.cols, at: (h, i, j) => v.w[(h * v.rows + i) * v.cols + j] };
    expect(got).toEqual(expectedLines(w, Array.from({ length: v.heads }, (_, h) => h)).sort(byPlace));
    await page.locator('attn-explorer [role="tab"][data-display="model"]').click();
    await expect.poll(() => page.locator('attn-model-view.main button.cell').count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});

describe('<attn-view display="lines"> and display="model"', () => {
  const widgetQuery = `w=attn-view&model=lm&text=${encodeURIComponent(LM_TEXT)}&layer=2&display=lines&line-heads=1%2C3&pin=q11`;

  it('draws the engine’s lines; the Embed snippets reproduce the view; Export gives the SVG', async () => {
    const { page, problems } = await openPage(session, widgetQuery, { path: 'embed.html', width: 1000 });
    await waitForWidget(page, 'attn-view');
    const w = lmWeights(LM_TEXT, 1);
    const want = expectedLines(w, [0, 2], { side: 'query', index: 10 }).sort(byPlace);
    await page.locator('attn-view attn-lines canvas.lines-canvas').waitFor();
    expect(await drawn(page, 'attn-view')).toEqual(want);

    // A head toggle writes the attribute (and the URL).
    await page.locator('attn-view attn-lines button.head-toggle[data-head="1"]').click();
    await waitForWidget(page, 'attn-view');
    expect(await page.locator('attn-view').getAttribute('line-heads')).toBe('1,2,3');
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/line-heads=1%2C2%2C3/);
    await page.locator('attn-view attn-lines button.head-toggle[data-head="1"]').click();
    await waitForWidget(page, 'attn-view');

    // The Embed snippets: the element with the view's attributes, and the iframe's URL.
    await page.locator('attn-view button.w-embed-btn').click();
    const element = await page.locator('attn-view textarea[data-snippet="element"]').inputValue();
    for (const a of ['display="lines"', 'line-heads="1,3"', 'pin="q11"', 'layer="2"', 'model="lm"']) expect(element).toContain(a);
    const iframe = await page.locator('attn-view textarea[data-snippet="iframe"]').inputValue();
    const src = iframe.match(/src="([^"]+)"/)![1].replace(/&amp;/g, '&');
    const framed = await openPage(session, src.split('?')[1], { path: 'embed.html', width: 1000 });
    await waitForWidget(framed.page, 'attn-view');
    await framed.page.locator('attn-view attn-lines canvas.lines-canvas').waitFor();
    expect(await drawn(framed.page, 'attn-view')).toEqual(want);
    // The element snippet, pasted into a course page (the gallery loads the widget module).
    const course = await openPage(session, '', { path: 'gallery.html', width: 1000 });
    const tag = element.split('\n').find((l) => l.startsWith('<attn-view'))!;
    await course.page.evaluate((html) => document.querySelector('main')!.insertAdjacentHTML('afterbegin', html.replace('<attn-view', '<attn-view id="pasted"')), tag);
    await course.page.waitForFunction(() => {
      const el = document.querySelector('#pasted') as any;
      return el && !el.busy && el.dataset.computed === JSON.stringify(el.stateAttributes());
    }, undefined, { timeout: 30000 });
    await course.page.locator('#pasted attn-lines canvas.lines-canvas').waitFor();
    expect(await drawn(course.page, '#pasted')).toEqual(want);

    // Export: the lines as SVG (and each head's matrix).
    await page.locator('attn-view button.w-embed-btn').click();
    await page.locator('attn-view button.w-export-btn').click();
    expect(await page.locator('attn-view .w-export th').allInnerTexts()).toEqual([
      'Causal self-attention, layer 2, head 1', 'Causal self-attention, layer 2, head 3', 'Causal self-attention, layer 2: lines']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('attn-view button[data-picture="0"]').click()]);
    const svg = readFileSync((await download.path())!, 'utf8');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return doc.querySelector('parsererror') ? null : { lines: doc.querySelectorAll('line').length, labels: [...doc.querySelectorAll('text')].map((t) => t.textContent) };
    }, svg);
    expect(parsed?.lines).toBe(want.length);
    expect(parsed?.labels).toContain('because');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-lines.png'), fullPage: true });
    for (const p of [page, framed.page, course.page]) await p.close();
    expect([...problems, ...framed.problems, ...course.problems]).toEqual([]);
  });

  it('display="model": a click picks the layer and head, the attributes follow; dark theme and a phone', async () => {
    const { page, problems } = await openPage(session, 'w=attn-view&model=dates&display=model&theme=dark', { path: 'embed.html', width: 390, height: 844 });
    await waitForWidget(page, 'attn-view');
    const cells = page.locator('attn-view attn-model-view button.cell');
    await expect.poll(() => cells.count()).toBe(2 * 4); // cross-attention: 2 decoder layers of 4 heads
    await page.locator('attn-view attn-model-view button.cell[data-layer="1"][data-head="3"]').click();
    await waitForWidget(page, 'attn-view');
    const attrs = await page.locator('attn-view').evaluate((el: any) => el.stateAttributes());
    expect(attrs).toMatchObject({ display: 'model', layer: '2', head: '4', 'line-heads': '4' });
    // The Embed snippet and the iframe URL reproduce the model view: its grid, the selected cell and its pictures.
    const modelView = (p: Page) => p.locator('attn-view attn-model-view').evaluate((el: any) => ({
      cells: el.shadowRoot.querySelectorAll('button.cell').length,
      // (the name's part that does not wait for the head statistics)
      selected: el.shadowRoot.querySelector('[aria-selected="true"] button.cell')?.getAttribute('aria-label').split(';')[0],
      pictures: el.pictures,
      view: el.view.title,
    }));
    expect(await expectEmbedsReproduce(session, page, 'attn-view', modelView)).toContain('display="model"');
    // On a phone the model view stays within the screen (its grid would scroll within itself if it had to).
    const right = await page.locator('attn-view attn-model-view').evaluate((el) => Math.max(el.getBoundingClientRect().right,
      ...[...el.shadowRoot!.querySelectorAll('button.cell')].map((b) => b.getBoundingClientRect().right)));
    expect(right).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-model-phone-dark.png'), fullPage: true });
    await page.locator('attn-view attn-model-view button.open[data-display="lines"]').click();
    await waitForWidget(page, 'attn-view');
    expect(await page.locator('attn-view').getAttribute('display')).toBe('lines');
    await page.locator('attn-view attn-lines canvas.lines-canvas').waitFor();
    expect(new Set((await drawn(page, 'attn-view')).map((l) => l.head))).toEqual(new Set([3]));
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-lines-phone-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
