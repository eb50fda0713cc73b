// <attn-dropout-norm> end to end (embed.html?w=attn-dropout-norm): the weights before and after dropout, the
// share of dropped weights and the layer-norm statistics equal the engine API run in Node on the same inputs
// (seeded-layers.ts), bit for bit; eval mode gives rows summing to 1; the URL the widget writes restores it.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { NORM, dropoutCall, encoderCall, rowStats } from '../../web/src/widgets/seeded-layers';
import { waitForWidget, withBrowserAndEngine, openPage, screenshotDir, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-dropout-norm';

const waitComputed = (page: Page) => waitForWidget(page, TAG);

/** Everything the widget shows as numbers, as exact strings. */
async function shown(page: Page) {
  return page.evaluate((tag) => {
    const root = document.querySelector(tag)!.shadowRoot!;
    const matrix = (sel: string) => Array.from((root.querySelector(sel) as any).matrix as Float32Array, String);
    const values = (sel: string) => [...root.querySelectorAll(sel)].map((e) => e.getAttribute('data-value')!);
    const zeroed = root.querySelector('.zeroed');
    return {
      weights: matrix('attn-heatmap.weights'),
      dropped: matrix('attn-heatmap.dropped'),
      rowSums: values('.row-sums td'),
      zeroed: zeroed ? Number(zeroed.getAttribute('data-zeroed')) : null,
      shares: [...root.querySelectorAll('circle[data-share]')].map((c) => ({ p: Number(c.getAttribute('data-p')), share: c.getAttribute('data-share')! })),
      meanBefore: values('td.mean-before'),
      varBefore: values('td.var-before'),
      meanAfter: values('td.mean-after'),
      varAfter: values('td.var-after'),
    };
  }, TAG);
}

function zeroed(weights: Float32Array, dropped: Float32Array) {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (dropped[i] === 0 && weights[i] !== 0) n++;
  return n;
}

/** The dropout part through the engine API in Node. */
function expectedDropout(p: number, seed: number, training: boolean) {
  const r = attn.scaledDotProductAttention(dropoutCall(p, seed, training));
  const dropped = r.dropped?.data ?? r.weights.data;
  const L = 6;
  return {
    weights: Array.from(r.weights.data, String),
    dropped: Array.from(dropped, String),
    rowSums: Array.from({ length: L }, (_, i) => String(dropped.subarray(i * L, (i + 1) * L).reduce((a, b) => a + b, 0))),
    zeroed: zeroed(r.weights.data, dropped),
  };
}

/** The layer-norm part through the engine API in Node. */
function expectedNorm(normFirst: boolean) {
  const { trace } = attn.transformerEncoderLayer(encoderCall(normFirst));
  const L = NORM.words.length;
  const after = rowStats(trace['norm1.out'].data, L, NORM.d);
  return {
    trace,
    meanBefore: Array.from(trace['norm1.mean'].data, String),
    varBefore: Array.from(trace['norm1.rstd'].data, (r) => String(1 / (r * r) - NORM.eps)),
    meanAfter: after.mean.map(String),
    varAfter: after.variance.map(String),
  };
}

describe('attn-dropout-norm widget', () => {
  it('dropout: weights, dropped weights, row sums and the share dropped equal the engine; the share is near p', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html' });
    await waitComputed(page);
    const got = await shown(page);
    const want = expectedDropout(0.3, 1, true);
    expect(got.weights).toEqual(want.weights);
    expect(got.dropped).toEqual(want.dropped);
    expect(got.rowSums).toEqual(want.rowSums);
    expect(got.zeroed).toBe(want.zeroed);
    expect(Math.abs(want.zeroed / 36 - 0.3)).toBeLessThan(0.15);
    // Survivors are scaled by 1/(1 - p), zeroed ones are exactly 0.
    const w = want.weights.map(Number);
    want.dropped.map(Number).forEach((d, i) => {
      if (d !== 0) expect(Math.abs(d - w[i] / 0.7)).toBeLessThan(1e-6);
    });
    expect(got.rowSums.some((s) => Math.abs(Number(s) - 1) > 0.05)).toBe(true);

    // The share plot: one engine call per p, same seed.
    expect(got.shares.length).toBe(10);
    for (const { p, share } of got.shares) {
      const r = attn.scaledDotProductAttention(dropoutCall(p, 1, true));
      expect(share).toBe(String(zeroed(r.weights.data, r.dropped?.data ?? r.weights.data) / 36));
      expect(Math.abs(Number(share) - p)).toBeLessThan(0.2);
    }
    await page.screenshot({ path: path.join(screenshotDir, 'widget-dropout-norm.png'), fullPage: true });

    // Eval mode: no dropout, every row sums to 1.
    await page.locator(`${TAG} button.eval`).click();
    await waitComputed(page);
    const evalGot = await shown(page);
    const evalWant = expectedDropout(0.3, 1, false);
    expect(evalGot.dropped).toEqual(evalWant.weights);
    expect(evalGot.rowSums).toEqual(evalWant.rowSums);
    for (const s of evalGot.rowSums) expect(Math.abs(Number(s) - 1)).toBeLessThan(1e-6);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('layer norm: statistics before and after norm1 equal the engine’s, post-norm and pre-norm', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html', dark: true });
    await waitComputed(page);
    for (const normFirst of [false, true]) {
      if (normFirst) {
        await page.locator(`${TAG} button.pre`).click();
        await waitComputed(page);
      }
      const got = await shown(page);
      const want = expectedNorm(normFirst);
      expect(got.meanBefore).toEqual(want.meanBefore);
      expect(got.varBefore).toEqual(want.varBefore);
      expect(got.meanAfter).toEqual(want.meanAfter);
      expect(got.varAfter).toEqual(want.varAfter);
      // What norm1 normalizes: the input (pre-norm) or resid1 (post-norm).
      const source = rowStats(want.trace[normFirst ? 'input' : 'resid1'].data, NORM.words.length, NORM.d);
      source.mean.forEach((m, i) => expect(Math.abs(m - Number(got.meanBefore[i]))).toBeLessThan(1e-5));
      source.variance.forEach((v, i) => expect(Math.abs(v - Number(got.varBefore[i])) / v).toBeLessThan(1e-4));
      for (const m of got.meanAfter) expect(Math.abs(Number(m))).toBeLessThan(1e-6);
      for (const v of got.varAfter) expect(Math.abs(Number(v) - 1)).toBeLessThan(1e-3);
    }
    expect(new URL(page.url()).searchParams.get('norm-first')).toBe('true');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-dropout-norm-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the slider, seed and mode go into the URL, which restores them exactly; bad values are flagged', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html' });
    await waitComputed(page);
    await page.locator(`${TAG} input[type="range"]`).fill('0.55');
    await page.locator(`${TAG} input[type="number"]`).fill('7');
    await page.locator(`${TAG} input[type="number"]`).dispatchEvent('change');
    await waitComputed(page);
    const got = await shown(page);
    expect(got.dropped).toEqual(expectedDropout(0.55, 7, true).dropped);
    const url = new URL(page.url());
    expect(url.searchParams.get('p')).toBe('0.55');
    expect(url.searchParams.get('seed')).toBe('7');
    const again = await session.browser.newPage();
    await again.goto(url.href);
    await waitComputed(again);
    expect(await shown(again)).toEqual(got);
    await again.close();

    // A seed that is not a whole number is refused with a message; the last good seed stays.
    await page.locator(`${TAG} input[type="number"]`).fill('2.5');
    await page.locator(`${TAG} input[type="number"]`).dispatchEvent('change');
    expect(await page.locator(`${TAG} .notice`).innerText()).toContain('whole number');
    expect(await page.evaluate((tag) => (document.querySelector(tag) as any).seed, TAG)).toBe(7);
    expect(problems).toEqual([]);
    await page.close();

    // Bad values in the URL: flagged, replaced by valid ones, and the widget still computes.
    const bad = await openPage(session, `w=${TAG}&p=abc&seed=-3&training=maybe`, { path: 'embed.html' });
    await waitComputed(bad.page);
    expect(await bad.page.locator(`${TAG} .notice`).innerText()).toMatch(/p must be a number.*seed must be/s);
    expect((await shown(bad.page)).dropped).toEqual(expectedDropout(0.3, 0, true).dropped);
    expect(bad.problems).toEqual([]);
    await bad.page.close();
  });
});
