// <attn-multihead> end to end, in its iframe form (embed.html?w=attn-multihead&...): the per-head weights, the
// concatenation and the output equal nn.MultiheadAttention from the engine API in Node, bit for bit, on the
// same seeded inputs (seeded-inputs.ts); changing the number of heads changes the number of maps; bad
// attributes are flagged; the URL the widget writes restores it exactly.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { splitWords } from '../../web/src/text/words';
import { multiheadSetup } from '../../web/src/widgets/seeded-inputs';
import { withBrowserAndEngine, openPage, screenshotDir, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const DEFAULT_TEXT = "the animal didn't cross the street because it was too tired";
const W = 'attn-multihead';

/** What the widget must show, from the engine API in Node. */
function expected(text: string, dModel: number, heads: number, seed: number) {
  const words = splitWords(text).tokens.map((t) => t.text);
  const L = words.length;
  const { x, params } = multiheadSetup(words, dModel, seed);
  const r = attn.multiheadAttention({
    embed_dim: dModel,
    num_heads: heads,
    batch_first: true,
    params,
    query: x,
    average_attn_weights: false,
    trace: true,
  });
  const w = r.attn_output_weights!.data;
  return {
    words,
    heads: Array.from({ length: heads }, (_, h) => Array.from(w.subarray(h * L * L, (h + 1) * L * L))),
    concat: Array.from(r.trace!.concat.data),
    output: Array.from(r.trace!.output.data),
  };
}

async function shown(page: Page) {
  return page.locator(W).evaluate((el) => {
    const maps = [...el.shadowRoot!.querySelectorAll('attn-heatmap')] as any[];
    const data = (cls: string) => maps.filter((m) => m.classList.contains(cls)).map((m) => Array.from(m.matrix as Float32Array) as number[]);
    return { heads: data('head'), concat: data('concat')[0], output: data('output')[0], words: [...(maps[0]?.rowLabels ?? [])] as string[] };
  });
}

async function ready(page: Page, heads: number) {
  await expect.poll(() => page.locator(`${W} attn-heatmap.head canvas.plot-canvas`).count(), { timeout: 30000 }).toBe(heads);
  await page.locator(`${W} attn-heatmap.output canvas.plot-canvas`).waitFor({ timeout: 30000 });
  await page.waitForFunction((tag) => {
    const w = document.querySelector(tag) as any;
    return w && w.engineStatus?.state === 'ready' && !w.busy;
  }, W);
}

describe('<attn-multihead>', () => {
  it('shows the engine’s per-head weights, concatenation and output bit for bit, without console errors', async () => {
    const { page, problems } = await openPage(session, `w=${W}`, { path: 'embed.html' });
    await ready(page, 4);
    const e = expected(DEFAULT_TEXT, 64, 4, 1);
    const s = await shown(page);
    expect(s.words).toEqual(e.words);
    expect(s.heads).toEqual(e.heads);
    expect(s.concat).toEqual(e.concat);
    expect(s.output).toEqual(e.output);
    // The diagram: Q, K and V each cut into 4 blocks.
    expect(await page.locator(`${W} .bar .block`).count()).toBe(12);
    // Export offers each head, the concatenation and the output.
    await page.locator(`${W} button.w-export-btn`).click();
    expect(await page.locator(`${W} .w-export tr`).count()).toBe(4 + 2);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-multihead.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('changing the number of heads changes the maps (and only divisors of d_model are offered)', async () => {
    const { page, problems } = await openPage(session, `w=${W}`, { path: 'embed.html' });
    await ready(page, 4);
    await page.locator(`${W} select[name="heads"]`).selectOption('8');
    await ready(page, 8);
    expect((await shown(page)).heads).toEqual(expected(DEFAULT_TEXT, 64, 8, 1).heads);
    await page.locator(`${W} select[name="heads"]`).selectOption('1');
    await ready(page, 1);
    expect((await shown(page)).heads).toEqual(expected(DEFAULT_TEXT, 64, 1, 1).heads);

    await page.locator(`${W} select[name="d-model"]`).selectOption('8');
    const options = await page.locator(`${W} select[name="heads"] option`).allTextContents();
    expect(options).toEqual(['1', '2', '4', '8']);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('restores its exact state from the URL it writes', async () => {
    const { page, problems } = await openPage(session, `w=${W}`, { path: 'embed.html' });
    await ready(page, 4);
    await page.locator(`${W} input[name="text"]`).fill('time flies like an arrow');
    await page.locator(`${W} select[name="d-model"]`).selectOption('32');
    await page.locator(`${W} select[name="heads"]`).selectOption('2');
    await page.locator(`${W} input[name="seed"]`).fill('42');
    await page.locator(`${W} input[name="seed"]`).dispatchEvent('change');
    await expect.poll(() => new URL(page.url()).searchParams.get('seed')).toBe('42');
    await ready(page, 2);
    await expect.poll(async () => (await shown(page)).words.length).toBe(5);
    const q = new URL(page.url()).searchParams;
    expect(Object.fromEntries(q)).toEqual({ w: W, text: 'time flies like an arrow', 'd-model': '32', heads: '2', seed: '42' });
    const before = await shown(page);
    expect(before.heads).toEqual(expected('time flies like an arrow', 32, 2, 42).heads);

    const again = await openPage(session, q.toString(), { path: 'embed.html' });
    await ready(again.page, 2);
    expect(await shown(again.page)).toEqual(before);
    expect([...problems, ...again.problems]).toEqual([]);
    await page.close();
    await again.page.close();
  });

  it('flags bad attributes and an empty sentence, and keeps working', async () => {
    const { page, problems } = await openPage(session, `w=${W}&d-model=abc&heads=3&seed=-5`, { path: 'embed.html' });
    await ready(page, 2);
    const notes = (await page.locator(`${W} .note`).allInnerTexts()).join(' ');
    expect(notes).toContain('d_model must be one of');
    expect(notes).toContain('3 heads cannot split d_model = 64 evenly');
    expect((await shown(page)).heads).toEqual(expected(DEFAULT_TEXT, 64, 2, 0).heads);

    await page.locator(`${W} input[name="text"]`).fill('   ');
    await page.locator(`${W} .empty`).waitFor();
    expect(await page.locator(`${W} attn-heatmap`).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
