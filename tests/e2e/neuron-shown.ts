// What a neuron view (components/neuron-parts.ts: <attn-neuron>, the explorer's Neuron display) shows, read from
// the page as exact numbers, and the check that they are the engine's: for the e2e tests of both.
import { expect } from 'vitest';
import type { Frame, Page } from 'playwright-core';
import type { Tensor } from '../../engine/bindings/attn';

/** One attention block of a forward pass with trace 'full': its tensors by name (q, k, scores, scaled, weights). */
export type Block = Record<'q' | 'k' | 'scores' | 'scaled' | 'weights', Tensor>;
export const blockOf = (trace: Record<string, Tensor>, prefix: string): Block =>
  Object.fromEntries(['q', 'k', 'scores', 'scaled', 'weights'].map((n) => [n, trace[`${prefix}.${n}`]])) as Block;

/** Everything the neuron view in `host`'s shadow root shows (the cells' and the formula's data-value); `heatmap`: the head's. */
export async function shownNeuron(page: Page | Frame, host: string, heatmap: string) {
  return page.evaluate(([tag, map]) => {
    const root = document.querySelector(tag)!.shadowRoot!;
    const strip = (cls: string, cell: string) =>
      [...root.querySelector(`attn-strips.${cls}`)!.shadowRoot!.querySelectorAll(`td.${cell}`)].map((td) =>
        td.classList.contains('masked') ? -Infinity : Number(td.getAttribute('data-value')));
    const value = (cls: string) => Number(root.querySelector(`.${cls}`)!.getAttribute('data-value'));
    const heat = root.querySelector(map) as any;
    return {
      q: strip('vectors', 'q'), k: strip('vectors', 'k'), product: strip('vectors', 'product'),
      scaledRow: strip('softmax', 'scaled'), weights: strip('softmax', 'weights'),
      score: value('score'), scaled: value('scaled'), weight: value('weight'),
      numerator: root.querySelector('.numerator') ? value('numerator') : undefined,
      denominator: root.querySelector('.denominator') ? value('denominator') : undefined,
      heat: Array.from(heat.matrix as Float32Array),
      summary: root.querySelector('.neuron-summary')!.textContent!.replace(/\s+/g, ' ').trim(),
      query: [...root.querySelectorAll('.tokens.query [aria-checked="true"]')].map((b) => Number(b.getAttribute('data-index'))),
      key: [...root.querySelectorAll('.tokens.key [aria-checked="true"]')].map((b) => Number(b.getAttribute('data-index'))),
    };
  }, [host, heatmap]);
}

/**
 * The view shows query i and key j of head h of `block` (a [1, H, rows/cols, Dh] trace) exactly, and `heatmap`'s
 * head h (the weights the page's heatmaps show); `scale`: what the score is multiplied by (1/√Dh, or 1 unscaled).
 */
export function expectNumbers(s: Awaited<ReturnType<typeof shownNeuron>>, block: Block, heatmap: Tensor, h: number, i: number, j: number, scale: number) {
  const [, H, R, D] = block.q.shape;
  const C = block.k.shape[2];
  expect(H).toBeGreaterThan(h);
  const q = Array.from(block.q.data.slice((h * R + i) * D, (h * R + i + 1) * D));
  const k = Array.from(block.k.data.slice((h * C + j) * D, (h * C + j + 1) * D));
  expect(s.query).toEqual([i]);
  expect(s.key).toEqual([j]);
  expect(s.q).toEqual(q); // bit for bit
  expect(s.k).toEqual(k);
  expect(s.product).toEqual(q.map((x, d) => x * k[d]));
  const row = (h * R + i) * C;
  expect(s.score).toBe(block.scores.data[row + j]);
  expect(s.scaled).toBe(block.scaled.data[row + j]);
  // The weight is the forward pass's attention weight, and the whole row is the softmax shown.
  expect(s.weight).toBe(block.weights.data[row + j]);
  expect(s.weight).toBe(heatmap.data[row + j]);
  expect(s.weights).toEqual(Array.from(block.weights.data.slice(row, row + C)));
  expect(s.heat).toEqual(Array.from(heatmap.data.slice(h * R * C, (h + 1) * R * C)));
  // The arithmetic written out agrees: Σ q_d k_d = the score, ÷ √Dh = the scaled score, the fraction = the weight.
  const sum = s.product.reduce((a, b) => a + b, 0);
  expect(Math.abs(sum - s.score)).toBeLessThan(1e-5 * Math.max(1, Math.abs(s.score)));
  expect(Math.abs(sum * scale - s.scaled)).toBeLessThan(1e-5 * Math.max(1, Math.abs(s.scaled)));
  if (s.numerator !== undefined) expect(Math.abs(s.numerator / s.denominator! - s.weight)).toBeLessThan(1e-6);
}

/** Resolves once the explorer is idle, its analysis is of its text, and `selector` is in its panel, drawn (its strips and
 * heatmaps updated). */
export async function settleExplorer(page: Page, selector: string, timeout = 30000) {
  await page.waitForFunction((sel) => {
    const ex = document.querySelector('attn-explorer') as any;
    return ex && !ex.store.state.busy && ex.store.state.analysis?.text === ex.store.text && ex.shadowRoot.querySelector(sel);
  }, selector, { timeout });
  await page.evaluate(async () => {
    const root = document.querySelector('attn-explorer')!.shadowRoot!;
    await (document.querySelector('attn-explorer') as any).updateComplete;
    for (const el of root.querySelectorAll('attn-strips, attn-heatmap')) await (el as any).updateComplete;
  });
}
