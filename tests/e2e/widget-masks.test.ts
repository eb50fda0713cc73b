// <attn-masks> end to end (embed.html?w=attn-masks): the shown weights and masks equal, bit for bit, one batched
// nn.MultiheadAttention call of the engine API in Node on the same inputs (seeded-layers.ts), a row with every
// key masked shows zeros (never NaN), and the URL the widget writes restores it exactly.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { masksBatch, masksCall } from '../../web/src/widgets/seeded-layers';
import { waitForWidget, withBrowserAndEngine, openPage, screenshotDir, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-masks';

const waitComputed = (page: Page) => waitForWidget(page, TAG);

/** What each sentence's heatmap draws: weights and mask as strings (exact, and -Infinity survives). */
async function shown(page: Page) {
  return page.evaluate((tag) => {
    const el = document.querySelector(tag)!;
    return [...el.shadowRoot!.querySelectorAll('attn-heatmap.weights')].map((h: any) => ({
      rows: h.rows,
      labels: h.rowLabels as string[],
      weights: Array.from(h.matrix as Float32Array, String),
      mask: h.mask ? Array.from(h.mask as Float32Array, String) : null,
    }));
  }, TAG);
}

/** The same batch through the engine API in Node. */
function expected(sentences: string, causal: boolean, padding: boolean, padLeft: boolean) {
  const batch = masksBatch(sentences, padLeft);
  const r = attn.multiheadAttention(masksCall(batch, causal, padding));
  const S = batch.S;
  const t = r.trace!;
  return {
    batch,
    trace: t,
    sentences: batch.labels.map((labels, b) => ({
      rows: S,
      labels,
      weights: Array.from(t.weights.data.slice(b * S * S, (b + 1) * S * S), String),
      mask: t.mask ? Array.from(t.mask.data.slice(b * S * S, (b + 1) * S * S), String) : null,
    })),
  };
}

const DEFAULT = 'the cat sat|a dog barked at the mailman|hello';

describe('attn-masks widget', () => {
  it('shows each sentence padded, with the engine’s mask and weights bit for bit', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html' });
    await waitComputed(page);
    const got = await shown(page);
    const want = expected(DEFAULT, false, true, false);
    expect(got).toEqual(want.sentences);
    expect(got[0].labels).toEqual(['the', 'cat', 'sat', '<pad>', '<pad>', '<pad>']);
    // Pad columns are masked, real ones are not.
    expect(got[0].mask!.slice(0, 6)).toEqual(['0', '0', '0', '-Infinity', '-Infinity', '-Infinity']);
    await expect(page.locator(`${TAG} .pad-chip`).count()).resolves.toBeGreaterThanOrEqual(8);

    // Hovering a cell reads the engine's number.
    const canvas = page.locator(`${TAG} attn-heatmap.weights[data-index="1"] canvas.plot-canvas`);
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + (0.5 * box.width) / 6, box.y + (3.5 * box.height) / 6);
    const tip = page.locator(`${TAG} attn-heatmap.weights[data-index="1"] .tooltip`);
    await tip.waitFor();
    expect(await tip.getAttribute('data-value')).toBe(want.sentences[1].weights[3 * 6 + 0]);

    await page.screenshot({ path: path.join(screenshotDir, 'widget-masks.png'), fullPage: true });

    // Export offers each sentence's mask and weights.
    await page.locator(`${TAG} .w-export-btn`).click();
    const titles = await page.locator(`${TAG} .w-export th`).allTextContents();
    expect(titles).toEqual([1, 2, 3].flatMap((b) => [`Sentence ${b}: mask (0 or −∞)`, `Sentence ${b}: weights`]));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a row with every key masked gets zero weights and a zero output, never NaN; the URL restores the state', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html', dark: true });
    await waitComputed(page);
    await expect(page.locator(`${TAG} .rule.has-row`).count()).resolves.toBe(0);
    await page.locator(`${TAG} button.demo`).click();
    await waitComputed(page);

    const want = expected(DEFAULT, true, true, true);
    const got = await shown(page);
    expect(got).toEqual(want.sentences);
    // Sentence 1 is "<pad> <pad> <pad> the cat sat": rows 0-2 have every key masked.
    expect(got[0].mask!.slice(0, 6).every((m) => m === '-Infinity')).toBe(true);
    expect(got.every((s) => s.weights.every((w) => w !== 'NaN'))).toBe(true);
    expect(got[0].weights.slice(0, 18).every((w) => w === '0')).toBe(true);

    // The rule box shows the engine's numbers for that row: zeros, and a zero output (weights · V).
    const rule = page.locator(`${TAG} .rule.has-row`);
    await rule.waitFor();
    const ruleWeights = await rule.locator('.weights-row span').evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));
    const ruleOutput = await rule.locator('.output-row span').evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));
    expect(ruleWeights).toEqual(want.sentences[0].weights.slice(0, 6));
    expect(ruleWeights.every((v) => v === '0')).toBe(true);
    const heads = want.trace.heads; // [B, 1, S, Dh]
    expect(ruleOutput).toEqual(Array.from(heads.data.slice(0, heads.shape[3]), String));
    expect(ruleOutput.every((v) => v === '0')).toBe(true);
    expect(await rule.innerText()).toContain('_safe_softmax');
    expect(await page.locator(`${TAG} [data-nan]`).getAttribute('data-nan')).toBe('false');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-masks-dark.png'), fullPage: true });

    // The widget wrote its state into the URL; loading that URL shows the same thing.
    const url = page.url();
    expect(new URL(url).searchParams.get('causal')).toBe('true');
    expect(new URL(url).searchParams.get('pad-side')).toBe('left');
    const again = await session.browser.newPage();
    await again.goto(url);
    await waitComputed(again);
    expect(await shown(again)).toEqual(got);
    expect(await again.locator(`${TAG} button.causal`).getAttribute('aria-pressed')).toBe('true');
    await again.close();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('typed sentences: padding off, HTML shown as text, too many sentences flagged, nothing typed handled', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html' });
    await waitComputed(page);
    await page.locator(`${TAG} textarea`).fill('<img src=x onerror=alert(1)>\nhi there');
    await page.locator(`${TAG} button.padding`).click();
    await waitComputed(page);
    const sentences = await page.evaluate((tag) => document.querySelector(tag)!.getAttribute('sentences'), TAG);
    expect(sentences).toBe('<img src=x onerror=alert(1)>|hi there');
    const got = await shown(page);
    const want = expected(sentences!, false, false, false);
    expect(got).toEqual(want.sentences);
    expect(got[1].weights.slice(0, 8).some((w) => w !== '0')).toBe(true); // pads are attended to without the mask
    expect(await page.locator(`${TAG} img`).count()).toBe(0);

    await page.locator(`${TAG} textarea`).fill(Array.from({ length: 9 }, (_, i) => `sentence number ${i}`).join('\n'));
    await waitComputed(page);
    expect((await shown(page)).length).toBe(6);
    expect(await page.locator(`${TAG} .notice`).innerText()).toContain('first 6');

    await page.locator(`${TAG} textarea`).fill('   \n\n');
    await waitComputed(page);
    expect((await shown(page)).length).toBe(0);
    expect(await page.locator(`${TAG} .notice`).innerText()).toContain('at least one sentence');
    expect(problems).toEqual([]);
    await page.close();
  });
});
