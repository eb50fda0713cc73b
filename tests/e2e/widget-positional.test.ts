// <attn-positional> end to end, in its iframe form (embed.html?w=attn-positional&...): the table and the
// similarity matrices equal the engine API run in Node bit for bit; the shuffle experiment shows the same
// numbers the engine gives in Node, a permutation without positions and not one with them; bad attributes are
// flagged; the URL the widget writes restores it exactly.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import { DEFAULT_SETTINGS, modelConfig, tokenIds } from '../../web/src/state/store';
import { splitWords } from '../../web/src/text/words';
import { inversePermutation, seededPermutation } from '../../web/src/widgets/seeded-inputs';
import { withBrowserAndEngine, openPage, screenshotDir, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const root = path.resolve(__dirname, '../..');
const dist = process.env.ATTN_DIST ?? path.join(root, 'web/dist');

interface Shown {
  rows: number;
  cols: number;
  data: number[];
  rowLabels: string[];
}

/** The numbers a heatmap of the widget draws (its `matrix` property), exactly. */
async function heatmap(page: Page, cls: string): Promise<Shown> {
  return page.locator(`attn-positional attn-heatmap.${cls}`).evaluate((el: any) => ({
    rows: el.rows,
    cols: el.cols,
    data: Array.from(el.matrix as Float32Array),
    rowLabels: [...el.rowLabels],
  }));
}

async function idle(page: Page) {
  await page.waitForFunction(() => {
    const w = document.querySelector('attn-positional') as any;
    return w && w.engineStatus?.state === 'ready' && !w.busy;
  });
}

async function ready(page: Page) {
  await page.locator('attn-positional attn-heatmap.pe canvas.plot-canvas').waitFor({ timeout: 30000 });
  await page.locator('attn-positional .check').waitFor({ timeout: 30000 });
  await idle(page);
}

/** PE PE^T as the engine computes it: sdpa's unscaled scores. */
function similarity(t: Tensor): number[] {
  return Array.from(attn.scaledDotProductAttention({ query: t, key: t, value: t, scaled: false }).scores.data);
}

/** Layer 1's weights [1, H, L, L] of the explorer's untrained encoder, from the engine API in Node. */
function layer1(words: string[], positional: boolean): Float32Array {
  const model = attn.createModel(modelConfig({ ...DEFAULT_SETTINGS, positional }), DEFAULT_SETTINGS.seed);
  try {
    return Float32Array.from(model.forward(tokenIds(words), { trace: 'weights' }).trace['encoder.layers.0.self_attn.weights'].data);
  } finally {
    model.delete();
  }
}

/** What the shuffle experiment must show for `text`, `seed`, head `h` (0-based). */
function expectedShuffle(text: string, seed: number, positional: boolean, h: number) {
  const words = splitWords(text).tokens.map((t) => t.text);
  const L = words.length;
  const perm = seededPermutation(L, seed);
  const inv = inversePermutation(perm);
  const a = layer1(words, positional);
  const b = layer1(perm.map((p) => words[p]), positional);
  const H = a.length / (L * L);
  let maxDiff = 0;
  for (let k = 0; k < H; k++)
    for (let i = 0; i < L; i++)
      for (let j = 0; j < L; j++) maxDiff = Math.max(maxDiff, Math.abs(a[(k * L + i) * L + j] - b[(k * L + inv[i]) * L + inv[j]]));
  const restored = Array.from({ length: L * L }, (_, k) => b[(h * L + inv[Math.floor(k / L)]) * L + inv[k % L]]);
  return {
    words,
    shuffledWords: perm.map((p) => words[p]),
    original: Array.from(a.subarray(h * L * L, (h + 1) * L * L)),
    shuffled: Array.from(b.subarray(h * L * L, (h + 1) * L * L)),
    restored,
    maxDiff,
  };
}

describe('<attn-positional>', () => {
  it('draws the engine’s sinusoidal table and PE·PEᵀ bit for bit, without console errors', async () => {
    const { page, problems } = await openPage(session, 'w=attn-positional', { path: 'embed.html' });
    await ready(page);
    const pe = await heatmap(page, 'pe');
    const table = attn.positionalEncoding(64, 128);
    expect([pe.rows, pe.cols]).toEqual([64, 128]);
    expect(pe.data).toEqual(Array.from(table.data));
    const sim = await heatmap(page, 'pe-sim');
    expect([sim.rows, sim.cols]).toEqual([64, 64]);
    expect(sim.data).toEqual(similarity(table));
    // The honest colour range of a signed table.
    expect(await page.locator('attn-positional attn-heatmap.pe').evaluate((el: any) => el.domain)).toEqual([-1, 1]);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-positional.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shuffles the words: a permutation of the attention without positions, not with them', async () => {
    const text = 'the cat sat on the mat';
    const { page, problems } = await openPage(session, 'w=attn-positional&shuffle-seed=7', { path: 'embed.html' });
    await ready(page);

    const none = expectedShuffle(text, 7, false, 0);
    expect(await heatmap(page, 'original')).toMatchObject({ rowLabels: none.words, data: none.original });
    expect(await heatmap(page, 'shuffled')).toMatchObject({ rowLabels: none.shuffledWords, data: none.shuffled });
    expect(await heatmap(page, 'restored')).toMatchObject({ rowLabels: none.words, data: none.restored });
    // Mathematically identical; the engine's matrix kernels may round a row differently when it sits elsewhere,
    // so the difference is float32 rounding at most (a few units in the last place), never more.
    const check = page.locator('attn-positional .check');
    expect(Number(await check.getAttribute('data-max-diff'))).toBe(none.maxDiff);
    expect(none.maxDiff).toBeLessThanOrEqual(1e-6);
    await expect.poll(() => check.getAttribute('class')).toContain('ok');
    expect(await check.innerText()).toContain('Identical to the original');

    await page.locator('attn-positional button.pe-sin').click();
    await expect.poll(() => check.getAttribute('class')).toContain('bad');
    await idle(page);
    const sin = expectedShuffle(text, 7, true, 0);
    expect(Number(await check.getAttribute('data-max-diff'))).toBe(sin.maxDiff);
    expect(sin.maxDiff).toBeGreaterThan(1e-2);
    expect(await heatmap(page, 'original')).toMatchObject({ data: sin.original });
    expect(await heatmap(page, 'shuffled')).toMatchObject({ data: sin.shuffled });
    expect(await check.innerText()).toContain('Not a permutation');

    // "Shuffle" draws another order.
    const before = (await heatmap(page, 'shuffled')).rowLabels;
    await page.locator('attn-positional button.shuffle').click();
    await expect.poll(async () => (await heatmap(page, 'shuffled')).rowLabels).not.toEqual(before);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('restores its exact state from the URL it writes', async () => {
    const { page, problems } = await openPage(session, 'w=attn-positional', { path: 'embed.html' });
    await ready(page);
    const w = 'attn-positional';
    await page.locator(`${w} input[name="length"]`).fill('30');
    await page.locator(`${w} input[name="length"]`).dispatchEvent('change');
    await page.locator(`${w} input[name="d-model"]`).fill('16');
    await page.locator(`${w} input[name="d-model"]`).dispatchEvent('change');
    await page.locator(`${w} input[name="text"]`).fill('colourless green ideas sleep furiously');
    await page.locator(`${w} button.shuffle`).click();
    await page.locator(`${w} button.pe-sin`).click();
    await page.locator(`${w} select[name="head"]`).selectOption('3');
    await expect.poll(() => new URL(page.url()).searchParams.get('head')).toBe('3');
    await expect.poll(async () => (await heatmap(page, 'pe')).rows).toBe(30);
    await expect.poll(async () => (await heatmap(page, 'original')).rowLabels.length).toBe(5);
    await idle(page);
    const q = new URL(page.url()).searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ w, length: '30', 'd-model': '16', text: 'colourless green ideas sleep furiously', pe: 'sinusoidal', head: '3' });
    const seed = Number(q.get('shuffle-seed'));
    expect(seed).not.toBe(1);

    const shown = { pe: await heatmap(page, 'pe'), sim: await heatmap(page, 'pe-sim'), original: await heatmap(page, 'original'), shuffled: await heatmap(page, 'shuffled'), restored: await heatmap(page, 'restored') };
    const again = await openPage(session, q.toString(), { path: 'embed.html' });
    await ready(again.page);
    for (const [cls, m] of Object.entries({ pe: shown.pe, 'pe-sim': shown.sim, original: shown.original, shuffled: shown.shuffled, restored: shown.restored }))
      expect(await heatmap(again.page, cls), cls).toEqual(m);
    // And they are the engine's numbers for that state.
    expect(shown.pe.data).toEqual(Array.from(attn.positionalEncoding(30, 16).data));
    const e = expectedShuffle('colourless green ideas sleep furiously', seed, true, 2);
    expect(shown.shuffled.data).toEqual(e.shuffled);
    expect([...problems, ...again.problems]).toEqual([]);
    await page.close();
    await again.page.close();
  });

  it('flags bad attributes and keeps working', async () => {
    const { page, problems } = await openPage(session, 'w=attn-positional&length=99999&d-model=7&text=solo&shuffle-seed=abc', { path: 'embed.html' });
    await page.locator('attn-positional attn-heatmap.pe canvas.plot-canvas').waitFor({ timeout: 30000 });
    await idle(page);
    const notes = await page.locator('attn-positional .note').allInnerTexts();
    expect(notes.join(' ')).toContain('length must be a whole number from 1 to 512');
    expect(notes.join(' ')).toContain('d_model must be even');
    const pe = await heatmap(page, 'pe');
    expect([pe.rows, pe.cols]).toEqual([512, 8]);
    expect(pe.data).toEqual(Array.from(attn.positionalEncoding(512, 8).data));
    expect(await page.locator('attn-positional .empty').innerText()).toContain('at least two words');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('compares with a trained model’s learned positions, computed by the engine', async () => {
    // The tagger ships with the site; its learned table is [128, 128].
    const { page, problems } = await openPage(session, 'w=attn-positional&learned=tagger', { path: 'embed.html' });
    await page.locator('attn-positional attn-heatmap.learned-sim canvas.plot-canvas').waitFor({ timeout: 60000 });
    const model = attn.loadModel(readFileSync(path.join(dist, 'models/tagger/model.safetensors')));
    const P = model.stateDict()['pos_embed.weight'];
    model.delete();
    const shown = await heatmap(page, 'learned-sim');
    expect([shown.rows, shown.cols]).toEqual([128, 128]);
    expect(shown.data).toEqual(similarity(P));
    expect(problems).toEqual([]);
    await page.close();
  });

  it.skipIf(!existsSync(path.join(dist, 'models/lm/model.safetensors')))(
    'the "Compare with learned positions" button loads the language model’s table, disabled while it loads',
    async () => {
      const { page, problems } = await openPage(session, 'w=attn-positional', { path: 'embed.html' });
      await ready(page);
      const button = page.locator('attn-positional button.compare');
      await button.click();
      await expect.poll(() => new URL(page.url()).searchParams.get('learned')).toBe('lm');
      await page.locator('attn-positional attn-heatmap.learned-sim canvas.plot-canvas').waitFor({ timeout: 60000 });
      const model = attn.loadModel(readFileSync(path.join(dist, 'models/lm/model.safetensors')));
      const P = model.stateDict()['pos_embed.weight'];
      model.delete();
      expect(P.shape).toEqual([64, 128]);
      expect((await heatmap(page, 'learned-sim')).data).toEqual(similarity(P));
      expect(problems).toEqual([]);
      await page.close();
    },
  );
});
