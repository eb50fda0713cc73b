// The LSTM baseline in the training lab (lab.html, arch=lstm) end to end in headless Chromium: the form offers
// "LSTM (no attention)" with only its settings; a run trains in the page, and its every step's loss, its final
// metrics and its answer equal the same run trained by the engine API in Node, bit for bit; where the heatmaps
// would be, the page says why there are none; the "why attention" idea sets reverse at length 10 and the sweep
// arch=encoder-decoder,lstm trains both.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, RunConfig } from '../../engine/bindings/attn';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const lab = (page: Page) => page.locator('attn-lab');
const status = (page: Page) => lab(page).locator('.status').first().innerText();

/** The lab's runs, as plain data. */
async function runs(page: Page): Promise<any[]> {
  return page.evaluate(() =>
    (document.querySelector('attn-lab') as any).store.state.runs.map((r: any) => ({
      name: r.name, status: r.status, loss: r.loss, final: r.final, engineConfig: r.engineConfig,
    })),
  );
}

async function waitValid(page: Page) {
  await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.validation?.ok === true, null, { timeout: 30000 });
}

describe('lab.html with the LSTM baseline', () => {
  it('trains an LSTM in the page to the same losses as the engine in Node, and says it has no attention', async () => {
    const { page, problems } = await openPage(session, 'arch=lstm&task=copy&steps=150&max-len=4&eval-every=50', { path: 'lab.html', height: 1200 });
    await waitValid(page);
    const form = lab(page).locator('lab-form');
    expect(await form.locator('select[data-field=arch]').inputValue()).toBe('LSTM (no attention)');
    expect(await form.locator('input[data-field=heads]').count()).toBe(0); // a transformer's settings are not offered
    expect(await form.locator('[data-about=lstm]').innerText()).toMatch(/only through the encoder's final state/);
    await lab(page).locator('[data-action=start]').click();
    await expect.poll(() => status(page), { timeout: 60000 }).toMatch(/Finished/);

    const [r] = await runs(page);
    expect(r.engineConfig.model.arch).toBe('lstm');
    const node = attn.createRun(r.engineConfig as RunConfig);
    const stats = node.train(150);
    expect(r.loss).toEqual(Array.from(stats.loss)); // every step, bit for bit
    const e = node.evaluate();
    const g = node.generate(0);
    expect(r.final).toEqual({ loss: e.loss, tokenAccuracy: e.token_accuracy, exactMatch: e.exact_match,
      greedyExactMatch: g.exact_match, bleu: g.bleu, sequences: g.sequences });
    expect(r.loss.at(-1)).toBeLessThan(r.loss[0] * 0.5); // it learns

    // No heatmaps: the page says why, in the timeline and under an answer.
    expect(await lab(page).locator('[data-no-attention]').first().innerText()).toMatch(/^An LSTM has no attention to show/);
    await lab(page).locator('.infer-text').fill('3 1 4');
    await lab(page).locator('[data-action=infer]').click();
    await expect.poll(() => lab(page).locator('[data-output]').innerText()).toBe(node.infer('3 1 4').output);
    expect(await lab(page).locator('lab-attention').count()).toBe(0);
    expect(await lab(page).locator('[data-no-attention]').count()).toBe(2);
    expect(await page.evaluate(() => (document.querySelector('attn-lab') as any).store.state.notice ?? '')).not.toMatch(/could not be kept/);
    await page.screenshot({ path: path.join(screenshotDir, 'lab-lstm.png'), fullPage: true });
    node.delete();
    expect(problems).toEqual([]);
  });

  it('"why attention": reverse at length 10, a sweep over the transformer and the LSTM', async () => {
    const { page, problems } = await openPage(session, 'steps=60&eval-every=30', { path: 'lab.html', height: 1200 });
    await waitValid(page);
    const sweep = lab(page).locator('lab-sweep');
    await sweep.locator('button[data-idea=arch]').click();
    expect(await sweep.locator('select[data-sweep=field]').inputValue()).toBe('Architecture');
    expect(await sweep.locator('input[data-sweep=values]').inputValue()).toBe('encoder-decoder, lstm');
    await expect.poll(() => new URL(page.url()).searchParams.get('sweep')).toBe('arch=encoder-decoder,lstm');
    await expect.poll(() => lab(page).locator('lab-form input[data-field=minLen]').inputValue()).toBe('10');
    expect(await lab(page).locator('lab-form input[data-field=maxLen]').inputValue()).toBe('10');
    await waitValid(page);
    const train = sweep.locator('[data-action=sweep]');
    await expect.poll(() => train.isDisabled(), { timeout: 30000 }).toBe(false);
    await train.click();
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.sweep?.state === 'done', null, { timeout: 90000 });
    const rs = await runs(page);
    expect(rs.map((r) => [r.name, r.status, r.engineConfig.model.arch, r.engineConfig.task.min_len])).toEqual([
      ['Run 1 · arch = encoder-decoder', 'finished', 'encoder-decoder', 10],
      ['Run 2 · arch = lstm', 'finished', 'lstm', 10],
    ]);
    const node = attn.createRun(rs[1].engineConfig as RunConfig);
    expect(rs[1].loss).toEqual(Array.from(node.train(60).loss));
    node.delete();
    expect(await lab(page).locator('lab-sweep-result tbody tr').count()).toBe(2);
    await lab(page).locator('lab-sweep-result').screenshot({ path: path.join(screenshotDir, 'lab-sweep-lstm.png') });
    expect(problems).toEqual([]);
  });
});
