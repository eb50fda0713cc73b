// What a comparison of two texts (components/compare-parts.ts: <attn-compare>, <attn-view display="compare">, the
// explorer's Compare display) shows, read from the page, and where it is drawn: for the e2e tests of all three.
import { expect } from 'vitest';
import type { Frame, Page } from 'playwright-core';

/** The three heatmaps in `host`'s shadow root (first text, second text, second − first), the labels "First: …" and
 * "Second: …", and the sentences on how the tokens were paired and the largest changes. */
export async function shownComparison(page: Page | Frame, host: string) {
  return page.evaluate((tag) => {
    const root = document.querySelector(tag)!.shadowRoot!;
    const words = (el: Element | null) => el!.textContent!.replace(/\s+/g, ' ').trim();
    const map = (cls: string) => {
      const h = root.querySelector(`attn-heatmap.${cls}`) as any;
      return { matrix: Array.from(h.matrix as Float32Array), mask: h.mask ? Array.from(h.mask as Float32Array) : undefined,
        rows: h.rowLabels as string[], cols: h.colLabels as string[], domain: h.domain as number[] };
    };
    return {
      first: map('first'), second: map('second'), diff: map('diff'),
      labels: [...root.querySelectorAll('.text-map .text-label')].map(words),
      alignment: words(root.querySelector('.alignment')),
      changes: words(root.querySelector('.changes')),
    };
  }, host);
}

/**
 * The two texts' heatmaps in `host` are side by side (the second's to the right of the first's, at the same height,
 * not overlapping) or stacked (the second below the first); either way what the comparison draws (the labels
 * "First: …", each heatmap's row and column labels, cells and legend, the sentences) is within the window's width.
 * (What the page holds around the comparison, such as its tabs, is not checked here.)
 */
export async function expectComparisonLayout(page: Page, host: string, layout: 'side by side' | 'stacked') {
  const g = await page.evaluate((tag) => {
    const root = document.querySelector(tag)!.shadowRoot!;
    const box = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    };
    const maps = ['first', 'second', 'diff'].map((cls) => {
      const h = root.querySelector(`attn-heatmap.${cls}`)!;
      // The drawn parts: the row and column labels (tilted), the cells, the legend.
      const parts = [...h.shadowRoot!.querySelectorAll('.row-labels, .col-labels .label, .plot, .legend > *')].map(box);
      return { box: box(h), left: Math.min(...parts.map((p) => p.left)), right: Math.max(...parts.map((p) => p.right)) };
    });
    const texts = [...root.querySelectorAll('.text-label, .alignment, .changes')].map(box);
    return { maps, texts, width: window.innerWidth };
  }, host);
  const [first, second] = g.maps;
  if (layout === 'side by side') {
    expect(second.box.left).toBeGreaterThanOrEqual(first.box.right);
    expect(second.left).toBeGreaterThan(first.right);
    expect(second.box.top).toBeCloseTo(first.box.top, 0);
  } else {
    expect(second.box.top).toBeGreaterThanOrEqual(first.box.bottom);
    expect(second.box.left).toBeCloseTo(first.box.left, 0);
  }
  for (const m of [...g.maps, ...g.texts]) {
    expect(m.left).toBeGreaterThanOrEqual(0);
    expect(m.right).toBeLessThanOrEqual(g.width);
  }
}
