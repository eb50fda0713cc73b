// <attn-batch> end to end, as an element (gallery.html) and as an iframe (embed.html?w=attn-batch&...): every number
// shown equals the engine API in Node on the same batch (seeded-layers.ts batchCall), the code's shapes follow
// B, L and d, the scaling and padding toggles recompute, a picked cell's dot product is written out right, and bad
// attribute values give a notice and a working widget. No console errors, no CSP violations.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { Engine, SdpaResult } from '../../engine/bindings/attn';
import { batchCall, batchInput, batchWords } from '../../web/src/widgets/seeded-layers';
import { openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-batch';
const DEFAULT = 'the cat sat on the mat|a dog ran';

function expected(sentences: string, d: number, scaled: boolean, padding: boolean) {
  const batch = batchWords(sentences);
  return { batch, x: batchInput(batch, d).data, r: attn.scaledDotProductAttention(batchCall(batch, d, scaled, padding)) as SdpaResult };
}

/** The exact values (each cell's title) of one matrix of the card shown. */
async function cells(page: Page | Frame, m: string): Promise<number[]> {
  const titles = await page.locator(`${TAG} .card attn-matrix[data-m="${m}"] tbody td`).evaluateAll((tds) => tds.map((td) => td.getAttribute('title') ?? ''));
  return titles.map(Number);
}

const slice = (t: { data: Float32Array }, b: number, n: number) => Array.from(t.data.slice(b * n, (b + 1) * n));

async function shapes(page: Page | Frame) {
  return page.locator(`${TAG} .code .shape`).evaluateAll((els) => els.map((e) => e.textContent!.replace(/\s+/g, ' ').trim()));
}

/** The card of batch element b shows X[b], scores[b], weights[b], output[b] exactly as the engine computed them. */
async function checkCard(page: Page | Frame, want: ReturnType<typeof expected>, b: number, d: number) {
  const { L } = want.batch;
  await page.locator(`${TAG} [role="tab"][data-b="${b}"]`).click();
  await page.locator(`${TAG} .card[data-b="${b}"]`).waitFor();
  expect(await cells(page, 'x')).toEqual(Array.from(want.x.slice(b * L * d, (b + 1) * L * d)));
  expect(await cells(page, 'scores')).toEqual(slice(want.r.scores, b, L * L));
  expect(await cells(page, 'weights')).toEqual(slice(want.r.weights, b, L * L));
  expect(await cells(page, 'output')).toEqual(slice(want.r.output, b, L * d));
  const heat = await page.locator(`${TAG} attn-heatmap.weights`).evaluate((h: any) => Array.from(h.matrix as Float32Array));
  expect(heat).toEqual(slice(want.r.weights, b, L * L));
}

describe('<attn-batch>', () => {
  it('as an element in the gallery: the exercise’s shapes, every card equal to the engine, a picked cell’s dot product', async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', width: 1280, height: 900 });
    await page.locator(TAG).scrollIntoViewIfNeeded();
    await waitForWidget(page, TAG);
    expect(await page.locator('#batch').innerText()).toContain('Exercise 1: self-attention with torch.bmm');
    expect(await shapes(page)).toEqual([
      'query [2, 6, 3]',
      'key.transpose(1, 2) [2, 3, 6]',
      'torch.bmm(query, key.transpose(1, 2)) [2, 6, 6]',
      'mask [2, 1, 6]',
      'F.softmax(scores, dim=-1) [2, 6, 6]',
      'torch.bmm(weights, value) [2, 6, 3]',
    ]);
    const want = expected(DEFAULT, 3, false, true);
    expect(await page.locator(`${TAG} [role="tab"]`).count()).toBe(2);
    await checkCard(page, want, 1, 3);
    await checkCard(page, want, 0, 3);
    // The default padding mask: sentence 1's pad keys have weight 0; pad queries are named.
    await page.locator(`${TAG} [role="tab"][data-b="1"]`).click();
    const w1 = await cells(page, 'weights');
    for (let i = 0; i < 6; i++) expect(w1.slice(i * 6 + 3, i * 6 + 6)).toEqual([0, 0, 0]);
    expect(await page.locator(`${TAG} .pq[data-b="1"]`).innerText()).toBe('b = 1: rows 3, 4, 5');
    // Without the mask the pads would take weight from the real words (the engine's unmasked weights).
    const open = expected(DEFAULT, 3, false, false).r.weights.data;
    const share = (b: number, i: number) => open[(b * 6 + i) * 6 + 3] + open[(b * 6 + i) * 6 + 4] + open[(b * 6 + i) * 6 + 5];
    const rows = page.locator(`${TAG} table.share tbody tr`);
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const v = Number(await rows.nth(i).locator('td.without').getAttribute('data-value'));
      expect(Math.abs(v - share(1, i))).toBeLessThan(1e-6);
      expect(v).toBeGreaterThan(0);
      expect(await rows.nth(i).locator('td.with').getAttribute('data-value')).toBe('0');
    }

    // Pick a cell by clicking it in scores[1]: row "dog" (1), key "a" (0).
    await page.locator(`${TAG} .card attn-matrix[data-m="scores"] tbody tr >> nth=1`).locator('td >> nth=0').click();
    await waitForWidget(page, TAG);
    expect(await page.locator(TAG).getAttribute('cell')).toBe('1,1,0');
    await checkDot(page, want, 1, 1, 0, 3);
    // And with the selects: query "the" (4) against key "mat" (5) of sentence 0.
    await page.locator(`${TAG} [role="tab"][data-b="0"]`).click();
    await waitForWidget(page, TAG);
    await page.locator(`${TAG} select.pick-i`).selectOption('4');
    await waitForWidget(page, TAG);
    await page.locator(`${TAG} select.pick-j`).selectOption('5');
    await waitForWidget(page, TAG);
    await checkDot(page, want, 0, 4, 5, 3);
    await page.locator(TAG).screenshot({ path: path.join(screenshotDir, 'widget-batch.png') });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('as an iframe: shapes follow B, L and d; the scaling and padding toggles recompute; the URL keeps the state', async () => {
    const sentences = 'the cat sat|a dog ran to the park|birds sing';
    const q = new URLSearchParams({ w: TAG, sentences, d: '4', scale: 'off', padding: 'off', cell: '2,1,5' });
    const { page, problems } = await openPage(session, q.toString(), { path: 'embed.html', width: 390, height: 900 });
    await waitForWidget(page, TAG);
    expect(await shapes(page)).toEqual([
      'query [3, 6, 4]',
      'key.transpose(1, 2) [3, 4, 6]',
      'torch.bmm(query, key.transpose(1, 2)) [3, 6, 6]',
      'F.softmax(scores, dim=-1) [3, 6, 6]',
      'torch.bmm(weights, value) [3, 6, 4]',
    ]);
    let want = expected(sentences, 4, false, false);
    // The card shown is the picked cell's sentence; without the mask its pads (keys 2-5) take weight.
    expect(await page.locator(`${TAG} [role="tab"][aria-selected="true"]`).getAttribute('data-b')).toBe('2');
    await checkCard(page, want, 2, 4);
    const w = await cells(page, 'weights');
    expect(w.slice(2, 6).every((v) => v > 0)).toBe(true);
    await checkDot(page, want, 2, 1, 5, 4);
    expect(await page.locator(`${TAG} .dot .warn`).innerText()).toContain('zero vector');
    expect(await page.locator(`${TAG} table.share td.with`).first().innerText()).toContain('mask off');

    // ÷ √d: the scaled scores appear, the weights are the engine's scaled ones, and they are less peaked.
    await page.locator(`${TAG} button.scale-on`).click();
    await waitForWidget(page, TAG);
    want = expected(sentences, 4, true, false);
    await checkCard(page, want, 0, 4);
    expect(await cells(page, 'scaled')).toEqual(slice(want.r.scaled, 0, 36));
    expect(await shapes(page)).toContain('scores [3, 6, 6]');
    const peakOff = Number(await page.locator(`${TAG} .peak-off`).getAttribute('data-value'));
    const peakOn = Number(await page.locator(`${TAG} .peak-on`).getAttribute('data-value'));
    expect(peakOff).toBeGreaterThan(peakOn);
    expect(await page.locator(`${TAG} attn-heatmap.compare`).evaluate((h: any) => h.rows)).toBe(2);

    // The padding mask: pad keys get exactly 0 and the mask line appears in the code.
    await page.locator(`${TAG} button.padding`).click();
    await waitForWidget(page, TAG);
    want = expected(sentences, 4, true, true);
    await checkCard(page, want, 0, 4);
    expect(await shapes(page)).toContain('mask [3, 1, 6]');
    const w0 = await cells(page, 'weights');
    for (let i = 0; i < 6; i++) expect(w0.slice(i * 6 + 3, i * 6 + 6)).toEqual([0, 0, 0]);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-batch-narrow.png'), fullPage: true });

    // d from the select; the URL the widget wrote restores it.
    await page.locator(`${TAG} .dsel select`).selectOption('2');
    await waitForWidget(page, TAG);
    expect(await shapes(page)).toContain('query [3, 6, 2]');
    await checkCard(page, expected(sentences, 2, true, true), 1, 2);
    const url = new URL(page.url());
    expect([url.searchParams.get('d'), url.searchParams.get('scale'), url.searchParams.get('padding'), url.searchParams.get('cell')]).toEqual(['2', 'on', 'on', '1,1,5']);
    const again = await session.browser.newPage();
    await again.goto(url.href);
    await waitForWidget(again, TAG);
    expect(await cells(again, 'weights')).toEqual(await cells(page, 'weights'));
    await again.close();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('bad attribute values give a notice and a working widget; typed text is text', async () => {
    const q = new URLSearchParams({ w: TAG, sentences: 'only one sentence', d: '9', scale: 'maybe', padding: 'yes', cell: 'a,b' });
    const { page, problems } = await openPage(session, q.toString(), { path: 'embed.html', dark: true });
    await waitForWidget(page, TAG);
    const notice = await page.locator(`${TAG} .notice`).innerText();
    expect(notice).toContain('d is at most 4');
    expect(notice).toContain('scale must be "on" or "off"');
    expect(notice).toContain('padding must be "on" or "off"');
    expect(notice).toContain('cell must be three whole numbers');
    expect(notice).toContain('at least 2 sentences');
    const el = page.locator(TAG);
    expect([await el.getAttribute('d'), await el.getAttribute('scale'), await el.getAttribute('padding')]).toEqual(['4', 'off', 'on']);
    // The example batch is shown meanwhile, with d = 4.
    expect(await shapes(page)).toContain('query [2, 6, 4]');
    await checkCard(page, expected(DEFAULT, 4, false, true), 0, 4);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-batch-dark.png'), fullPage: true });

    // A cell outside the batch is moved inside it, with a notice.
    const q2 = new URLSearchParams({ w: TAG, cell: '5,9,9' });
    const p2 = await openPage(session, q2.toString(), { path: 'embed.html' });
    await waitForWidget(p2.page, TAG);
    expect(await p2.page.locator(`${TAG} .notice`).innerText()).toContain('cell 5,9,9 is outside scores [2, 6, 6]; using 1,5,5');
    expect(p2.problems).toEqual([]);
    await p2.page.close();

    // Typing: HTML stays text; too many sentences and words are flagged and cut.
    await page.locator(`${TAG} textarea`).fill('<img src=x onerror=alert(1)>\nhi there');
    await waitForWidget(page, TAG);
    expect(await page.locator(`${TAG} img`).count()).toBe(0);
    expect(await page.locator(`${TAG} [role="tab"]`).count()).toBe(2);
    await page.locator(`${TAG} textarea`).fill(Array.from({ length: 6 }, (_, i) => `sentence ${i} has one two three four five six seven`).join('\n'));
    await waitForWidget(page, TAG);
    expect(await page.locator(`${TAG} [role="tab"]`).count()).toBe(4);
    const n2 = await page.locator(`${TAG} .notice`).innerText();
    expect(n2).toContain('first 4 sentences');
    expect(n2).toContain('cut at 8 words');
    expect(await shapes(page)).toContain('query [4, 8, 4]');
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** The dot-product box for scores[b, i, j]: the terms are X's numbers, the sum is the engine's score. */
async function checkDot(page: Page | Frame, want: ReturnType<typeof expected>, b: number, i: number, j: number, d: number) {
  const { L } = want.batch;
  const dot = page.locator(`${TAG} .dot`);
  expect(await dot.locator('[data-cell]').getAttribute('data-cell')).toBe(`${b},${i},${j}`);
  expect(await dot.locator('[data-cell]').innerText()).toBe(`scores[${b}, ${i}, ${j}] = X[${b}, ${i}] · X[${b}, ${j}]`);
  const terms = await dot.locator('.term').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-q')), Number(e.getAttribute('data-k'))]));
  const xq = Array.from(want.x.slice((b * L + i) * d, (b * L + i + 1) * d));
  const xk = Array.from(want.x.slice((b * L + j) * d, (b * L + j + 1) * d));
  expect(terms).toEqual(xq.map((q, k) => [q, xk[k]]));
  const score = want.r.scores.data[(b * L + i) * L + j];
  const byHand = Number(await dot.locator('.by-hand').getAttribute('data-value'));
  expect(Math.abs(byHand - score)).toBeLessThan(1e-5);
  expect(Number(await dot.locator('.engine-score').getAttribute('data-value'))).toBe(score);
  expect(Number(await dot.locator('.engine-weight').getAttribute('data-value'))).toBe(want.r.weights.data[(b * L + i) * L + j]);
  // The terms as written: "(0.3)(−1.2) + ..." with one decimal each.
  const text = await dot.locator('.terms').innerText();
  expect(text.replace(/\s+/g, ' ')).toBe(`= ${xq.map((q, k) => `(${f1(q)})(${f1(xk[k])})`).join(' + ')}`);
}

function f1(v: number) {
  const s = (Math.round(v * 10) / 10).toFixed(1);
  return (s === '-0.0' ? '0.0' : s).replace('-', '−');
}
