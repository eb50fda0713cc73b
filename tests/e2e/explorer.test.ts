// The explorer page, end to end: the built static site, the real WebAssembly engine in a worker, headless Chromium.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../engine/bindings/attn';
import { DEFAULT_SETTINGS, modelConfig, tokenIds } from '../../web/src/state/store';
import { splitWords } from '../../web/src/text/words';
import { withBrowserAndEngine, canvasFingerprint, chipTexts, hoverCell, openPage, screenshotDir, waitForHeatmap, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

/** Attention weights of layer `layer`, head `head` for `tokens` with the page's default model, from the engine API in Node. */
function engineWeights(tokens: string[], layer: number, head: number, settings = DEFAULT_SETTINGS) {
  const model = attn.createModel(modelConfig(settings), settings.seed);
  try {
    const out = model.forward(tokenIds(tokens));
    const w = out.trace[`encoder.layers.${layer}.self_attn.weights`];
    const L = tokens.length;
    return (i: number, j: number) => w.data[((head * L) + i) * L + j];
  } finally {
    model.delete();
  }
}

describe('explorer page', () => {
  it('types a sentence, shows chips and a heatmap of the right size, and hover values equal the engine API', async () => {
    const { page, problems } = await openPage(session, 'm=untrained');
    await waitForHeatmap(page, splitWords("The animal didn't cross the street because it was too tired.").tokens.length);

    const text = 'The cat sat on the mat.';
    await page.locator('textarea').fill(text);
    await waitForHeatmap(page, 7);
    expect(await chipTexts(page)).toEqual(['The', 'cat', 'sat', 'on', 'the', 'mat', '.']);

    const canvas = page.locator('attn-heatmap.main canvas.plot-canvas');
    expect(await canvas.getAttribute('data-cols')).toBe('7');
    const box = (await canvas.boundingBox())!;
    expect(Math.round(box.width)).toBe(Math.round(box.height));
    expect(box.width).toBeGreaterThan(7 * 20); // cells are readable, not collapsed
    const labels = await page.locator('attn-heatmap.main .row-labels .label').allTextContents();
    expect(labels).toEqual(['The', 'cat', 'sat', 'on', 'the', 'mat', '.']);

    const tokens = ['The', 'cat', 'sat', 'on', 'the', 'mat', '.'];
    const expected = engineWeights(tokens, 0, 0);
    for (const [i, j] of [[0, 0], [2, 4], [6, 1], [3, 3]]) {
      const { value, text: tip } = await hoverCell(page, i, j);
      expect(value).toBe(expected(i, j)); // the same float32, bit for bit
      expect(tip).toContain(tokens[i]);
      expect(tip).toContain(tokens[j]);
      expect(tip).toMatch(/row sum 1\.0000\d\d|row sum 0\.9999\d\d/);
    }
    await page.screenshot({ path: path.join(screenshotDir, 'explorer.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('switching layer and head changes the picture, and the mean of heads is the average', async () => {
    const { page, problems } = await openPage(session, 'm=untrained&text=one%20two%20three%20four%20five');
    await waitForHeatmap(page, 5);
    const first = await canvasFingerprint(page);
    await page.locator('button.head', { hasText: '2' }).click();
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.head === 1);
    const head2 = await canvasFingerprint(page);
    expect(head2).not.toBe(first);
    await page.locator('button.layer', { hasText: '2' }).click();
    const layer2 = await canvasFingerprint(page);
    expect(layer2).not.toBe(head2);
    expect((await hoverCell(page, 1, 2)).value).toBe(engineWeights(['one', 'two', 'three', 'four', 'five'], 1, 1)(1, 2));

    await page.locator('button.head.mean').click();
    const tokens = ['one', 'two', 'three', 'four', 'five'];
    let mean = 0;
    for (let h = 0; h < DEFAULT_SETTINGS.nhead; h++) mean += engineWeights(tokens, 1, h)(3, 0);
    mean /= DEFAULT_SETTINGS.nhead;
    expect((await hoverCell(page, 3, 0)).value).toBeCloseTo(mean, 6);
    expect(problems).toEqual([]);
  });

  it('model controls rebuild the model: causal mask hides the future, heads follow d_model', async () => {
    const { page, problems } = await openPage(session, 'm=untrained&text=a%20b%20c%20d');
    await waitForHeatmap(page, 4);
    await page.locator('model-controls input[name="causal"]').check();
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.analysis?.views[0]?.masks[0] !== undefined);
    const cell = await hoverCell(page, 0, 3);
    expect(cell.value).toBe(0);
    expect(cell.text).toContain('masked');
    expect((await hoverCell(page, 3, 0)).value).toBeGreaterThan(0);
    // Masked cells are grey with a hatch line along their diagonal (bottom-left to top-right); attended cells have
    // one colour there (their value is written at the centre of large cells, so only the diagonal's ends are read).
    const px = await page.evaluate(() => {
      const main = (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('attn-heatmap.main');
      const c = main.shadowRoot.querySelector('canvas.plot-canvas') as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const cell = c.width / main.cols;
      const at = (i: number, j: number, fx: number, fy: number) => {
        const o = (Math.round((i + fy) * cell) * c.width + Math.round((j + fx) * cell)) * 4;
        return Array.from(data.slice(o, o + 3)).join();
      };
      const diagonal = (i: number, j: number, ts: number[]) => new Set(ts.flatMap((t) => [-1, 0, 1].map((d) => at(i, j, t + d / cell, 1 - t))));
      return { grey: [at(0, 3, 0.15, 0.15), at(1, 2, 0.15, 0.15), at(0, 1, 0.85, 0.85)], masked: [...diagonal(0, 3, [0.3, 0.5, 0.7])],
        attended: [...diagonal(3, 0, [0.12, 0.18, 0.82, 0.88])], attendedCorner: at(3, 0, 0.15, 0.15) };
    });
    expect(new Set(px.grey).size).toBe(1);
    expect(px.masked.filter((rgb) => rgb !== px.grey[0]).length).toBeGreaterThan(0);
    expect(px.attended).toEqual([px.attendedCorner]);
    expect(px.attendedCorner).not.toBe(px.grey[0]);
    await page.locator('model-controls select[name="nhead"]').selectOption('8');
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.analysis?.views[0]?.heads === 8);
    expect(await page.locator('button.head').count()).toBe(9); // 8 heads + mean
    expect(problems).toEqual([]);
  });

  it('shows a friendly empty state, and handles more than 512 tokens with a message', async () => {
    const { page, problems } = await openPage(session, 'm=untrained');
    await page.locator('textarea').fill('');
    await expect.poll(() => page.locator('.state.empty').isVisible()).toBe(true);
    expect(await page.locator('.state.empty').innerText()).toContain('Type a sentence');

    const long = Array.from({ length: 700 }, (_, i) => `w${i % 50}`).join(' ');
    await page.locator('textarea').fill(long);
    await waitForHeatmap(page, 512);
    expect(await page.locator('.note').first().innerText()).toContain('more than 512 tokens');
    expect(await page.locator('token-chips .chip').count()).toBe(512);
    const box = (await page.locator('attn-heatmap.main canvas.plot-canvas').boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    await hoverCell(page, 500, 10);
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-512.png') });

    // The page keeps working afterwards.
    await page.locator('textarea').fill('back to short');
    await waitForHeatmap(page, 3);
    expect(problems).toEqual([]);
  });

  it('renders markup in tokens as text and runs nothing', async () => {
    for (const model of ['untrained', 'lm']) {
      const { page, problems } = await openPage(session, `m=${model}&text=hello%20world`);
      // The language model reads <bos> and the BPE tokens of "hello world"; the untrained one reads 2 words.
      const lmTokens = attn.loadTokenizer(readFileSync(path.join(root, 'web/dist/models/lm/tokenizer.json'), 'utf8'));
      await waitForHeatmap(page, model === 'lm' ? 1 + lmTokens.encode('hello world').ids.length : 2);
      const evil = '<img src=x onerror=alert(1)>';
      // Through the chip editor, and typed into the text box.
      await page.locator('token-chips .chip-text').first().click();
      await page.locator('token-chips input.chip-input').fill(evil);
      await page.locator('token-chips input.chip-input').press('Enter');
      // The first chip is "hello" (a word) or its first BPE piece: the rest of the text stays as it was.
      const firstEnd = model === 'lm' ? lmTokens.encode('hello world').offsets[0][1] : 5;
      await expect.poll(() => page.locator('textarea').inputValue()).toBe(`${evil}${'hello world'.slice(firstEnd)}`);
      await page.locator('textarea').fill(`say ${evil} <script>alert(2)</script>`);
      await page.waitForTimeout(600);
      const labels = (await page.locator('attn-heatmap.main .row-labels .label').allTextContents()).join('');
      expect(labels).toContain('<');
      expect(labels).toContain('img');
      const injected = await page.evaluate(() => {
        const all: Element[] = [];
        const walk = (root: Document | ShadowRoot) => {
          root.querySelectorAll('*').forEach((el) => {
            all.push(el);
            if (el.shadowRoot) walk(el.shadowRoot);
          });
        };
        walk(document);
        return all.filter((el) => el.tagName === 'IMG' || (el.tagName === 'SCRIPT' && !(el as HTMLScriptElement).src)).length;
      });
      expect(injected).toBe(0);
      expect(problems).toEqual([]); // no alert dialog, no CSP violation
    }
  });

  it('reports a CSP violation as a problem (the harness listens for them in every test)', async () => {
    const { page, problems } = await openPage(session, 'm=untrained&text=red%20green%20blue');
    await waitForHeatmap(page, 3);
    expect(problems).toEqual([]);
    // An inline style attribute is what the strict policy (style-src 'self') refuses.
    await page.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
    await expect.poll(() => problems.join('\n')).toMatch(/CSP violation: style-src-attr/);
    await page.close();
  });

  it('edits, inserts, deletes and reorders chips', async () => {
    const { page, problems } = await openPage(session, 'm=untrained&text=red%20green%20blue');
    await waitForHeatmap(page, 3);
    await page.locator('token-chips .chip-text', { hasText: 'green' }).click();
    await page.locator('token-chips input.chip-input').fill('yellow');
    await page.locator('token-chips input.chip-input').press('Enter');
    await expect.poll(() => chipTexts(page)).toEqual(['red', 'yellow', 'blue']);
    await page.locator('token-chips .chip').nth(0).hover();
    await page.locator('token-chips .chip').nth(0).locator('button.ins').click();
    await page.locator('token-chips input.chip-input').fill('dark');
    await page.locator('token-chips input.chip-input').press('Enter');
    await expect.poll(() => chipTexts(page)).toEqual(['red', 'dark', 'yellow', 'blue']);
    await page.locator('token-chips .chip').nth(3).locator('button.del').click();
    await expect.poll(() => chipTexts(page)).toEqual(['red', 'dark', 'yellow']);
    await page.locator('token-chips .chip-text', { hasText: 'red' }).focus();
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(() => chipTexts(page)).toEqual(['dark', 'red', 'yellow']);
    expect(await page.locator('textarea').inputValue()).toBe('dark red yellow');
    await waitForHeatmap(page, 3);
    expect(await page.locator('attn-heatmap.main .row-labels .label').allTextContents()).toEqual(['dark', 'red', 'yellow']);
    expect(problems).toEqual([]);
  });

  it('keeps emoji, CJK, accents and right-to-left text whole', async () => {
    const text = 'Café 👩‍👩‍👧 日本語 שלום مرحبا naïve';
    const { page, problems } = await openPage(session, `m=untrained&text=${encodeURIComponent(text)}`, { dark: true });
    const expected = splitWords(text).tokens.map((t) => t.text);
    expect(expected).toContain('👩‍👩‍👧');
    expect(expected).toContain('Café');
    expect(expected).toContain('שלום');
    await waitForHeatmap(page, expected.length);
    expect(await chipTexts(page)).toEqual(expected);
    expect(await page.locator('attn-heatmap.main .row-labels .label').allTextContents()).toEqual(expected);
    const dirs = await page.locator('attn-heatmap.main .row-labels .label').evaluateAll((els) => els.map((e) => getComputedStyle(e).direction));
    expect(dirs[expected.indexOf('שלום')]).toBe('rtl');
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-unicode-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('reads cells with the keyboard and announces them', async () => {
    const { page, problems } = await openPage(session, 'm=untrained&text=up%20and%20down');
    await waitForHeatmap(page, 3);
    await page.locator('attn-heatmap.main .plot').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const tip = page.locator('attn-heatmap.main .tooltip');
    expect(await tip.getAttribute('data-row')).toBe('1');
    expect(await tip.getAttribute('data-col')).toBe('2');
    const live = await page.locator('attn-heatmap.main [aria-live]').innerText();
    expect(live).toMatch(/Query 1 and, Key 2 down: weight 0\.\d{4}/);
    expect(problems).toEqual([]);
  });
});
