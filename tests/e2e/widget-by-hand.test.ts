// <attn-by-hand> end to end, in its iframe form (embed.html?w=attn-by-hand&...): every step equals the engine
// API run in Node on the same numbers, edits recompute downstream, bad cells are flagged and change nothing,
// the exercise checks answers, the URL and the embed snippet reproduce the state, exports download.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { withBrowserAndEngine, openPage, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const T = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));

/** What the widget should show, from the engine API in Node: X, W_Q, W_K, W_V, W_O as typed. */
function expected(x: number[][], wq: number[][], wk: number[][], wv: number[][], wo: number[][], causal = false) {
  const L = x.length;
  const d = x[0].length;
  const r = attn.multiheadAttention({
    embed_dim: d,
    num_heads: 1,
    bias: false,
    batch_first: true,
    params: {
      in_proj_weight: { data: [...T(wq), ...T(wk), ...T(wv)].flat(), shape: [3 * d, d] },
      'out_proj.weight': { data: T(wo).flat(), shape: [d, d] },
    },
    query: { data: x.flat(), shape: [1, L, d] },
    attn_mask: causal ? { data: Array.from({ length: L * L }, (_, k) => k % L > Math.floor(k / L)), shape: [L, L], dtype: 'bool' } : undefined,
    trace: true,
  });
  return r.trace!;
}

/** The exact values a step shows (each cell's title holds the full number). */
async function stepValues(page: Page, step: string): Promise<number[]> {
  const titles = await page.locator(`attn-by-hand attn-matrix[data-step="${step}"] tbody td`).evaluateAll((tds) =>
    tds.map((td) => td.getAttribute('title') ?? ''),
  );
  return titles.map(Number);
}

async function ready(page: Page) {
  await page.locator('attn-by-hand attn-matrix[data-step="weights"] tbody td').first().waitFor({ timeout: 30000 });
  await page.waitForFunction(() => !(document.querySelector('attn-by-hand') as any).busy);
}

const DEFAULT = {
  x: [[1, 0], [0, 1], [1, 1]],
  wq: [[1, 0], [1, 1]],
  wk: [[0, 1], [1, 0]],
  wv: [[1, 0], [0, 2]],
  wo: [[1, 0], [0, 1]],
};

describe('<attn-by-hand>', () => {
  it('shows every step exactly as the engine computes it', async () => {
    const { page, problems } = await openPage(session, 'w=attn-by-hand', { path: 'embed.html' });
    await ready(page);
    const t = expected(DEFAULT.x, DEFAULT.wq, DEFAULT.wk, DEFAULT.wv, DEFAULT.wo);
    expect(await stepValues(page, 'q')).toEqual(Array.from(t.q.data));
    expect(await stepValues(page, 'scores')).toEqual(Array.from(t.scores!.data));
    expect(await stepValues(page, 'scaled')).toEqual(Array.from(t.scaled!.data));
    expect(await stepValues(page, 'weights')).toEqual(Array.from(t.weights.data));
    expect(await stepValues(page, 'z')).toEqual(Array.from(t.heads.data));
    expect(await stepValues(page, 'y')).toEqual(Array.from(t.output.data));
    // By hand: S = Q K^T; row "sat" of Q is [2, 1], K's rows are [0,1], [1,0], [1,1].
    expect((await stepValues(page, 'scores')).slice(6)).toEqual([1, 2, 3]);
    // Another colormap than the colour-blind-safe default: it becomes part of the state (and the URL).
    await page.locator('attn-by-hand .w-cmap select').selectOption('magma');
    await expect.poll(() => page.locator('attn-by-hand attn-heatmap.weights').getAttribute('colormap')).toBe('magma');
    await expect.poll(() => new URL(page.url()).searchParams.get('colormap')).toBe('magma');
    expect(problems).toEqual([]);
  });

  it('an edited cell recomputes everything below; a bad cell is flagged and changes nothing', async () => {
    const { page, problems } = await openPage(session, 'w=attn-by-hand', { path: 'embed.html' });
    await ready(page);
    const cell = page.locator('attn-by-hand attn-matrix[data-name="x"] input').first();
    await cell.fill('2.5');
    await page.waitForFunction(() => (document.querySelector('attn-by-hand') as any).getAttribute('x') === '2.5,0;0,1;1,1');
    await ready(page);
    const x = [[2.5, 0], [0, 1], [1, 1]];
    const t = expected(x, DEFAULT.wq, DEFAULT.wk, DEFAULT.wv, DEFAULT.wo);
    await expect.poll(() => stepValues(page, 'weights')).toEqual(Array.from(t.weights.data));
    expect(await stepValues(page, 'y')).toEqual(Array.from(t.output.data));
    // The URL of the iframe form follows the state.
    expect(new URL(page.url()).searchParams.get('x')).toBe('2.5,0;0,1;1,1');

    const before = await stepValues(page, 'weights');
    for (const bad of ['abc', '', 'NaN', '1e9', 'Infinity']) {
      await cell.fill(bad);
      await expect.poll(() => cell.getAttribute('aria-invalid')).toBe('true');
      await expect.poll(() => page.locator('attn-by-hand attn-matrix[data-name="x"] .err').isVisible()).toBe(true);
    }
    await page.waitForTimeout(200);
    expect(await stepValues(page, 'weights')).toEqual(before);
    expect(await page.locator('attn-by-hand').getAttribute('x')).toBe('2.5,0;0,1;1,1');
    await cell.fill('1');
    await expect.poll(() => cell.getAttribute('aria-invalid')).toBe('false');
    expect(problems).toEqual([]);
  });

  it('a causal mask gives -inf before the softmax and exact zeros after it', async () => {
    const { page, problems } = await openPage(session, 'w=attn-by-hand&mask=causal', { path: 'embed.html' });
    await ready(page);
    const t = expected(DEFAULT.x, DEFAULT.wq, DEFAULT.wk, DEFAULT.wv, DEFAULT.wo, true);
    const w = await stepValues(page, 'weights');
    expect(w).toEqual(Array.from(t.weights.data));
    expect([w[1], w[2], w[5]]).toEqual([0, 0, 0]);
    expect(await page.locator('attn-by-hand attn-matrix[data-step="masked"] td.masked').count()).toBe(3);
    expect(problems).toEqual([]);
  });

  it('exercise mode hides a step and checks the answer', async () => {
    const { page, problems } = await openPage(session, 'w=attn-by-hand&exercise=weights', { path: 'embed.html' });
    await page.locator('attn-by-hand attn-matrix[data-step="weights"] input').first().waitFor({ timeout: 30000 });
    expect(await page.locator('attn-by-hand attn-heatmap.weights').count()).toBe(0); // no peeking
    const t = expected(DEFAULT.x, DEFAULT.wq, DEFAULT.wk, DEFAULT.wv, DEFAULT.wo);
    const inputs = page.locator('attn-by-hand attn-matrix[data-step="weights"] input');
    for (let i = 0; i < 9; i++) await inputs.nth(i).fill(t.weights.data[i].toFixed(2));
    await inputs.nth(4).fill('0.9'); // one wrong
    await page.locator('attn-by-hand button.check').click();
    await expect.poll(() => page.locator('attn-by-hand .score').innerText()).toMatch(/8 of 9 right/);
    await expect.poll(() => inputs.nth(4).getAttribute('aria-invalid')).toBe('true');
    await inputs.nth(4).fill(t.weights.data[4].toFixed(3));
    await page.locator('attn-by-hand button.check').click();
    await expect.poll(() => page.locator('attn-by-hand .score').innerText()).toMatch(/9 of 9 right/);
    await page.locator('attn-by-hand button.reveal').click();
    await expect.poll(() => stepValues(page, 'weights')).toEqual(Array.from(t.weights.data));
    expect(problems).toEqual([]);
  });

  it('the embed snippet and the iframe URL reproduce the widget; CSV export downloads its numbers', async () => {
    const { page, problems } = await openPage(session, 'w=attn-by-hand&mask=padding&pad=1&d=2&temperature=2', { path: 'embed.html' });
    await ready(page);
    const weights = await stepValues(page, 'weights');
    await page.locator('attn-by-hand button.w-embed-btn').click();
    const snippet = await page.locator('attn-by-hand textarea[data-snippet="element"]').inputValue();
    expect(snippet).toContain('<attn-by-hand');
    expect(snippet).toContain('mask="padding"');
    const iframeUrl = await page.evaluate(() => (document.querySelector('attn-by-hand') as any).iframeUrl());

    // A fresh page on the same site holding only the snippet, under the strict CSP.
    const fresh = await session.browser.newPage();
    const errors: string[] = [];
    fresh.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await fresh.route(`${session.url}snippet.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'" },
        body: `<!doctype html><html><head><meta charset="utf-8"></head><body>${snippet}</body></html>`,
      }),
    );
    await fresh.goto(`${session.url}snippet.html`);
    await ready(fresh);
    expect(await stepValues(fresh, 'weights')).toEqual(weights);
    await fresh.goto(iframeUrl);
    await ready(fresh);
    expect(await stepValues(fresh, 'weights')).toEqual(weights);
    expect(errors).toEqual([]);
    await fresh.close();

    await page.locator('attn-by-hand button.w-export-btn').click();
    const row = page.locator('attn-by-hand .w-export tr', { hasText: 'Attention weights' });
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('button[data-format="csv"]').click()]);
    expect(download.suggestedFilename()).toBe('attention-weights.csv');
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('query \\ key,the,cat,sat');
    expect(csv.slice(1).map((l) => l.split(',').slice(1).map(Number)).flat()).toEqual(weights);
    for (const format of ['png', 'svg', 'json']) {
      const [d] = await Promise.all([page.waitForEvent('download'), row.locator(`button[data-format="${format}"]`).click()]);
      const bytes = readFileSync((await d.path())!);
      expect(bytes.length).toBeGreaterThan(100);
      if (format === 'png') expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      if (format === 'json') expect(JSON.parse(bytes.toString()).values.flat()).toEqual(weights);
    }
    expect(problems).toEqual([]);
  });
});
