// The LSTM baseline in the training lab (lab.html, arch=lstm) end to end in headless Chromium: the form offers
// "LSTM (no attention)" with only its settings; a run trains in the page, and its every step's loss, its final
// metrics and its answer equal the same run trained by the engine API in Node, bit for bit; where the heatmaps
// would be, the page says why there are none; the "why attention" idea sets reverse at length 10 and the sweep
// arch=encoder-decoder,lstm trains both. A finished LSTM run is kept in the browser with its weights: after a
// reload it is listed with its curve, answers as the same run in Node, exports (its .safetensors loads in Node), and
// its PyTorch script downloads and, run with PyTorch on the downloaded initial weights, prints the engine's losses;
// the explorer, opened at its address, shows its answer and says that it has no attention.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import type { Engine, RunConfig } from '../../engine/bindings/attn';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { checkLabPytorch } from './lab-pytorch-panel';

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
    const answer = node.infer('3 1 4').output;
    await expect.poll(() => lab(page).locator('[data-output]').innerText()).toBe(answer);
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

  it('a finished LSTM run is kept: after a reload it has its curve and weights, answers, exports, and its PyTorch script runs', async () => {
    const { page, problems } = await openPage(session, 'arch=lstm&task=copy&steps=60&max-len=4&eval-every=30&warmup=5', { path: 'lab.html', height: 1200 });
    await waitValid(page);
    await lab(page).locator('[data-action=start]').click();
    await expect.poll(() => status(page), { timeout: 60000 }).toMatch(/Finished/);
    // Kept once its weights are written (the record is written while it trains, the weights when it finishes).
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.runs[0]?.stored === true, null, { timeout: 20000 });
    const [before] = await runs(page);

    await page.reload();
    await expect.poll(async () => (await runs(page)).length, { timeout: 20000 }).toBe(1);
    const [after] = await runs(page);
    expect(after).toEqual(before); // its name, status, every step's loss, final metrics and config
    const row = lab(page).locator('lab-runs tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('.model').innerText()).toBe('LSTM 1 layer · hidden 32 · no attention');
    expect(await row.locator('button', { hasText: 'Explorer' }).isDisabled()).toBe(true); // no attention to show there
    // Its curve, on the comparison chart and the training charts.
    expect(await lab(page).locator('lab-runs lab-chart').first().locator('.legend').innerText()).toContain(`${after.name} training`);
    const curve = await lab(page).locator('lab-runs lab-chart').first().locator('path').first().getAttribute('d');
    expect(curve?.length ?? 0).toBeGreaterThan(100);

    // Its weights: the answer of the same run trained in Node.
    const node = attn.createRun(after.engineConfig as RunConfig);
    node.train(60);
    await lab(page).locator('.infer-text').fill('3 1 4');
    await lab(page).locator('[data-action=infer]').click();
    const answer = node.infer('3 1 4').output;
    await expect.poll(() => lab(page).locator('[data-output]').innerText()).toBe(answer);
    expect(await lab(page).locator('[data-no-attention]').count()).toBe(2);
    await page.screenshot({ path: path.join(screenshotDir, 'lab-lstm-kept.png'), fullPage: true });

    // Export: the .json and the .safetensors, which Node's engine loads as the same run.
    const files: { name: string; bytes: Uint8Array }[] = [];
    const onDownload = async (d: Download) => files.push({ name: d.suggestedFilename(), bytes: new Uint8Array(readFileSync((await d.path())!)) });
    page.on('download', onDownload);
    await row.locator('button', { hasText: 'Export' }).click();
    await expect.poll(() => files.length, { timeout: 20000 }).toBe(2);
    page.off('download', onDownload);
    const exported = JSON.parse(new TextDecoder().decode(files.find((f) => f.name.endsWith('.json'))!.bytes));
    expect(exported.history.loss).toEqual(after.loss);
    const loaded = attn.loadRun(files.find((f) => f.name.endsWith('.safetensors'))!.bytes);
    expect(loaded.config).toEqual(after.engineConfig);
    expect(Array.from(loaded.save())).toEqual(Array.from(node.save())); // the weights of the run trained in Node, bit for bit
    loaded.delete();
    node.delete();

    // The run's PyTorch button: the script built in Node, its initial weights, and it trains as the engine does.
    const panel = lab(page).locator('section[aria-labelledby=train-h] lab-pytorch');
    expect(await checkLabPytorch(page, panel, after.engineConfig as RunConfig, attn)).toMatch(/^# Training the lab's LSTM model on the copy task/);
    await panel.screenshot({ path: path.join(screenshotDir, 'lab-lstm-pytorch.png') });

    // Its Explorer button is off; its address (the run is in this browser) opens with the answer and says why there
    // is no picture, in the Ablation display too (no attention heads to switch off).
    const id = await page.evaluate(() => (document.querySelector('attn-lab') as any).store.state.runs[0].id);
    await page.goto(page.url().replace(/lab\.html.*/, `index.html?m=lab&run=${id}&text=3%201%204&display=ablation`));
    const notice = page.locator('attn-explorer [data-no-attention]');
    await expect.poll(() => notice.count(), { timeout: 30000 }).toBe(1);
    expect(await notice.innerText()).toMatch(/^Run 1 is an LSTM: it has no attention to show\./);
    expect(await page.locator('attn-explorer model-outputs code').first().innerText()).toBe(answer);
    expect(problems).toEqual([]);
    await page.close();
  }, 180000);
});
