// The trained models on the page, end to end: pick each, type, see its outputs (next tokens, tags, translation)
// and its attention, with the hover values equal to what the engine API computes in Node from the same files.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../engine/bindings/attn';
import { percent } from '../../web/src/text/format';
import { withBrowserAndEngine, hoverCell, openPage, screenshotDir, storeState, waitForHeatmap, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

function load(name: string) {
  const dir = path.join(root, 'web/dist/models', name);
  return {
    model: attn.loadModel(readFileSync(path.join(dir, 'model.safetensors'))),
    tokenizer: attn.loadTokenizer(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
  };
}

async function waitForModel(page: import('playwright-core').Page, text: string) {
  await page.waitForFunction((t) => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    return s.analysis?.model === s.model && s.analysis.text === t && !s.busy;
  }, text, { timeout: 60000 });
}

describe('trained models on the page', () => {
  it('language model: loads by default, shows the top 5 next tokens and causal attention equal to the engine API', async () => {
    const { page, problems } = await openPage(session);
    const text = "The animal didn't cross the street because it was too";
    await waitForModel(page, text);
    const s = await storeState(page);
    expect(s.model).toBe('lm');
    const next = s.analysis.outputs.next as { token: string; prob: number }[];
    expect(next).toHaveLength(5);
    expect(next[0].prob).toBeGreaterThan(next[4].prob);
    expect(await page.locator('model-outputs li').count()).toBe(5);
    // The same numbers from the engine in Node, from the same files.
    const { model, tokenizer } = load('lm');
    const ids = Int32Array.from([1, ...tokenizer.encode(text).ids]);
    const out = model.forward(ids);
    const w = out.trace['decoder.layers.0.self_attn.weights'];
    const L = ids.length;
    const { value } = await hoverCell(page, L - 1, 2);
    expect(value).toBe(w.data[(L - 1) * L + 2]);
    expect((await hoverCell(page, 1, 3)).text).toContain('masked'); // the future is masked
    const V = out.logits.shape[2];
    const last = out.logits.data.subarray((L - 1) * V, L * V);
    const best = last.indexOf(Math.max(...last));
    expect(next[0].token).toBe(tokenizer.decode(Int32Array.from([best])));
    await page.screenshot({ path: path.join(screenshotDir, 'model-lm.png'), fullPage: true });
    model.delete();
    expect(problems).toEqual([]);
  });

  it('tagger: shows a part-of-speech tag under every token, faded on tokens that continue a word', async () => {
    // BPE reads "slowly" as slow + ly and "crossed" as cross + ed: a word is tagged by its first token.
    const text = 'The old dog slowly crossed the busy street.';
    const { page, problems } = await openPage(session, `m=tagger&text=${encodeURIComponent(text)}`);
    await waitForModel(page, text);
    const tags = await page.locator('token-chips .tag').allTextContents();
    const chips = (await page.locator('token-chips .chip-text').allTextContents()).map((c) => c.trim());
    expect(tags).toHaveLength(chips.length);
    const byWord = Object.fromEntries(chips.map((c, i) => [c, tags[i]]));
    expect(byWord.The).toBe('DET');
    expect(byWord.dog).toBe('NOUN');
    expect(byWord.cross).toBe('VERB');
    expect(byWord['.']).toBe('.');
    const faded = await page.locator('token-chips .tag.cont').count();
    const continuing = chips.filter((c) => ['ly', 'ed', 'y'].includes(c)).length;
    expect(continuing).toBeGreaterThan(0);
    expect(faded).toBe(continuing);
    await waitForHeatmap(page, chips.length);
    // Its test scores, from the metrics the evaluation measured: accuracy, and macro F1 with its weakest tag.
    const metrics = JSON.parse(readFileSync(path.join(root, 'models/tagger/metrics.json'), 'utf8'));
    const [worst, f] = Object.entries(metrics.per_tag_f1 as Record<string, number>).reduce((x, y) => (y[1] < x[1] ? y : x));
    const card = await page.locator('attn-explorer .metrics').innerText();
    expect(card).toContain(`Test accuracy ${percent(metrics.value)}`);
    expect(card).toContain(`macro F1 ${metrics.macro_f1.toFixed(3)}`);
    expect(card).toContain(`the weakest, ${worst}, has ${f.toFixed(2)}`);
    await page.screenshot({ path: path.join(screenshotDir, 'model-tagger.png'), fullPage: true });
    // The default sentence: the same word, two tags, decided by context on both sides.
    await page.locator('button', { hasText: 'Example' }).click();
    const example = 'She will book a flight after she reads the book.';
    await waitForModel(page, example);
    const exampleChips = (await page.locator('token-chips .chip-text').allTextContents()).map((c) => c.trim());
    const exampleTags = await page.locator('token-chips .tag').allTextContents();
    const books = exampleChips.flatMap((c, i) => (c === 'book' ? [exampleTags[i]] : []));
    expect(books).toEqual(['VERB', 'NOUN']);
    expect(problems).toEqual([]);
  });

  it('date translator: translates, and offers cross, encoder and decoder attention', async () => {
    const { page, problems } = await openPage(session, 'm=dates');
    await waitForModel(page, 'Monday, November 23, 2026');
    await page.locator('textarea').fill('23rd of Nov. 2026');
    await waitForModel(page, '23rd of Nov. 2026');
    const s = await storeState(page);
    expect(s.analysis.outputs.translation).toBe('2026-11-23');
    expect(await page.locator('model-outputs code').innerText()).toBe('2026-11-23');
    expect(s.analysis.views.map((v: { name: string }) => v.name)).toEqual(['cross', 'encoder', 'decoder']);
    const cross = s.analysis.views[0];
    expect(cross.rows).toEqual(['2', '0', '2', '6', '-', '1', '1', '-', '2', '3', '<eos>']);
    expect(cross.cols).toHaveLength('23rd of Nov. 2026'.length);
    await waitForHeatmap(page, 11);
    await page.locator('button.view[data-view="encoder"]').click();
    await waitForHeatmap(page, '23rd of Nov. 2026'.length);
    await page.locator('button.view[data-view="cross"]').click();
    await waitForHeatmap(page, 11);
    await page.screenshot({ path: path.join(screenshotDir, 'model-dates.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('head gallery: a description and a thumbnail per head; clicking one selects it', async () => {
    const { page, problems } = await openPage(session, 'm=tagger&text=A%20short%20sentence%20to%20look%20at.');
    await waitForModel(page, 'A short sentence to look at.');
    const heads = page.locator('head-gallery button.head-card');
    const s = await storeState(page);
    const v = s.analysis.views[0];
    // The gallery follows the first heatmap, and its descriptions the engine's statistics, computed after it.
    await expect.poll(() => heads.count()).toBe(v.layers * v.heads);
    await expect
      .poll(async () => (await page.locator('head-gallery .desc').allTextContents()).every((d) => /attends to|focused|broad|alignment/.test(d)), { timeout: 30000 })
      .toBe(true);
    await expect.poll(() => page.locator('attn-explorer .stats-progress').count()).toBe(0);
    const before = await page.locator('attn-heatmap.main canvas.plot-canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
    await page.locator('head-gallery button.head-card[data-layer="1"][data-head="2"]').click();
    await expect.poll(async () => [(await storeState(page)).layer, (await storeState(page)).head]).toEqual([1, 2]);
    const after = await page.locator('attn-heatmap.main canvas.plot-canvas').evaluate((c: HTMLCanvasElement) => c.toDataURL());
    expect(after).not.toBe(before);
    // Each thumbnail is its head's picture, in its card: the gallery's canvas, under card (1, 2), has the colours
    // of the main heatmap (which now shows that head, scaled to its maximum as the thumbnails are) cell by cell.
    const pixels = await page.evaluate(() => {
      const gallery = (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('head-gallery').shadowRoot;
      const main = (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('attn-heatmap.main');
      const mainCanvas = main.shadowRoot.querySelector('canvas.plot-canvas') as HTMLCanvasElement;
      const thumbs = gallery.querySelector('canvas.thumbs') as HTMLCanvasElement;
      const box = gallery.querySelector('.thumb[data-layer="1"][data-head="2"]') as HTMLElement;
      const { rows, cols } = main;
      const image = new Map<HTMLCanvasElement, ImageData>(); // one read-back per canvas
      const rgb = (c: HTMLCanvasElement, x: number, y: number) => {
        if (!image.has(c)) image.set(c, c.getContext('2d')!.getImageData(0, 0, c.width, c.height));
        const o = (Math.floor(y) * c.width + Math.floor(x)) * 4;
        return Array.from(image.get(c)!.data.slice(o, o + 3));
      };
      const dpr = window.devicePixelRatio || 1;
      const out: { main: number[]; thumb: number[] }[] = [];
      const big = mainCanvas.width / cols;
      const small = 96 / Math.max(rows, cols);
      const x0 = box.offsetLeft + (96 - cols * small) / 2;
      const y0 = box.offsetTop + (96 - rows * small) / 2;
      for (const [i, j] of [[0, 0], [1, 3], [rows - 1, cols - 1], [3, 1]])
        out.push({ main: rgb(mainCanvas, (j + 0.2) * big, (i + 0.2) * big), thumb: rgb(thumbs, (x0 + (j + 0.5) * small) * dpr, (y0 + (i + 0.5) * small) * dpr) });
      return out;
    });
    for (const p of pixels) expect(p.thumb).toEqual(p.main);
    expect(new Set(pixels.map((p) => p.thumb.join())).size).toBeGreaterThan(1);
    expect(problems).toEqual([]);
  });
});
