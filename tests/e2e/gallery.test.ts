// The embedding gallery (gallery.html), as a course page: every widget renders in both forms under the strict
// CSP, the widgets on the page share one engine worker (the lab has its own) and start only when scrolled near, the keyboard reads
// heatmap cells, and there is a table alternative for screen readers.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

let session: Session;
withBrowserAndEngine((s) => {
  session = s;
});

// Every widget on the page as an element; most also as an iframe (the others are tested in their iframe form by
// their own end-to-end tests: widget-batch, widget-block, widget-train-step).
const WIDGETS = ['attn-by-hand', 'attn-batch', 'attn-positional', 'attn-multihead', 'attn-masks', 'attn-dropout-norm', 'attn-ffn',
  'attn-block', 'attn-train-step', 'attn-view', 'attn-lab', 'attn-neuron', 'attn-compare', 'attn-ablation'];
const FRAMES = ['attn-by-hand', 'attn-positional', 'attn-multihead', 'attn-masks', 'attn-dropout-norm', 'attn-ffn', 'attn-view', 'attn-lab',
  'attn-neuron', 'attn-compare', 'attn-ablation'];

describe('gallery.html', () => {
  it('renders every widget as an element and as an iframe, with one shared engine worker (the lab has its own) and no CSP violation', { timeout: 150000 }, async () => {
    // Count the workers the page itself starts (iframes are pages of their own, with their own worker).
    const count = `(() => {
      if (window.top !== window) return;
      const Base = window.Worker;
      window.__workers = 0;
      window.Worker = class extends Base {
        constructor(...args) { super(...args); window.__workers++; }
      };
    })()`;
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', width: 1200, height: 900, init: count });
    // Lazy: far-down widgets have not started before they are scrolled near.
    await page.locator('attn-by-hand').first().waitFor();
    await waitForWidget(page, 'attn-by-hand');
    expect(await page.locator('attn-ffn').evaluate((el) => el.dataset.computed ?? null)).toBeNull();

    for (const tag of WIDGETS) {
      await page.locator(tag).first().scrollIntoViewIfNeeded();
      // One shared worker computes every widget of this long page in turn: more than 30 s on a busy machine.
      await waitForWidget(page, tag, 90000);
    }
    // One engine worker for all the widgets of the page, and the training lab's own (it trains for minutes).
    expect(await page.evaluate(() => (window as any).__workers)).toBe(2);

    // Each iframe builds its widget from its URL.
    const frames = page.locator('iframe.frame');
    expect(await frames.count()).toBe(FRAMES.length);
    for (let i = 0; i < FRAMES.length; i++) {
      const frame = frames.nth(i);
      await frame.scrollIntoViewIfNeeded();
      const src = (await frame.getAttribute('src'))!;
      const tag = new URLSearchParams(src.split('?')[1]).get('w')!;
      expect(tag).toBe(FRAMES[i]);
      const inner = page.frameLocator(`iframe.frame >> nth=${i}`).locator(tag);
      await inner.waitFor({ timeout: 30000 });
      await expect
        .poll(() => inner.evaluate((el) => !!el.dataset.computed && !(el as any).busy), { timeout: 30000 })
        .toBe(true);
      // The frame follows its content's height (embed-resize.js on the page): it never scrolls inside itself.
      const content = page.frameLocator(`iframe.frame >> nth=${i}`).locator('main');
      await expect
        .poll(async () => {
          const outer = await frame.evaluate((f) => f.getBoundingClientRect().height);
          const wanted = await content.evaluate((m) => Math.ceil(m.getBoundingClientRect().height));
          return Math.abs(outer - wanted);
        }, { timeout: 10000 })
        .toBeLessThanOrEqual(1);
      expect(await content.evaluate(() => document.documentElement.scrollHeight - window.innerHeight), tag).toBeLessThanOrEqual(1);
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    // The whole page is over 40 000 px tall: the screenshot takes longer than the default 20 s on a busy machine.
    await page.screenshot({ path: path.join(screenshotDir, 'gallery.png'), fullPage: true, timeout: 90000 });
    expect(problems).toEqual([]);
  });

  it('reads heatmap cells from the keyboard, with a table alternative for screen readers', async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html' });
    await waitForWidget(page, 'attn-by-hand');
    const plot = page.locator('attn-by-hand attn-heatmap.weights .plot');
    await plot.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    const live = page.locator('attn-by-hand attn-heatmap.weights [aria-live="polite"]');
    await expect.poll(() => live.innerText()).toMatch(/Query 1 cat, Key 1 cat: weight 0\.\d{4}/);
    // The screen readers' table follows the picture when the page is idle: wait for it.
    const tds = page.locator('attn-by-hand attn-heatmap.weights table.data-table td');
    await expect.poll(() => tds.count()).toBe(9);
    const cells = await tds.allInnerTexts();
    const titles = await page.locator('attn-by-hand attn-matrix[data-step="weights"] tbody td').evaluateAll((tds) => tds.map((td) => td.getAttribute('title')));
    expect(cells).toEqual(titles.map((t) => Number(t).toFixed(4)));
    expect(problems).toEqual([]);
  });
});
