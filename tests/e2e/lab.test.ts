// The training lab (lab.html) end to end in headless Chromium: an invalid configuration gets its message
// before training; a small reversal run trains in the page, its loss falls and its accuracy rises, it pauses
// and resumes; its final metrics, its attention snapshots and its answer to a typed input equal the same run
// trained by the engine API in Node, bit for bit; the timeline scrubs; a second run is compared in the table;
// a run exports, imports back and opens in the explorer.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Run, RunConfig } from '../../engine/bindings/attn';
import { percent } from '../../web/src/text/format';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const QUERY = 'steps=300&max-len=6&eval-every=50';

/** The lab's store, as plain data. */
async function labState(page: Page): Promise<any> {
  return page.evaluate(() => {
    const s = (document.querySelector('attn-lab') as any).store.state;
    return {
      validation: s.validation && { ok: s.validation.ok, message: s.validation.message },
      runs: s.runs.map((r: any) => ({
        id: r.id, name: r.name, status: r.status, steps: r.steps.length, loss: r.loss, evals: r.evals, final: r.final,
        engineConfig: r.engineConfig, imported: r.imported, snapshots: r.snapshots.length,
      })),
    };
  });
}

const lab = (page: Page) => page.locator('attn-lab');
const status = (page: Page) => lab(page).locator('.status').first().innerText();
const field = (page: Page, name: string) => lab(page).locator(`lab-form input[data-field="${name}"]`);

async function setField(page: Page, name: string, value: string) {
  await field(page, name).fill(value);
  await field(page, name).dispatchEvent('change');
}

async function waitValid(page: Page) {
  await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.validation?.ok === true, null, { timeout: 30000 });
}

async function waitStatus(page: Page, re: RegExp, timeout = 60000) {
  await expect.poll(() => status(page), { timeout }).toMatch(re);
}

/** A snapshot's weights (layer 0, cross-attention, every head) as the page holds them. */
async function snapshotWeights(page: Page, run: number, index: number): Promise<number[]> {
  return page.evaluate(
    ([r, i]) => {
      const s = (document.querySelector('attn-lab') as any).store.state.runs[r].snapshots[i];
      return Array.from(s.attention.views.find((v: any) => v.name === 'cross').weights[0] as Float32Array);
    },
    [run, index],
  );
}

const crossWeights = (r: ReturnType<Run['probe']> | ReturnType<Run['infer']>) => Array.from(r.trace['decoder.layers.0.multihead_attn.weights'].data);

describe('lab.html', () => {
  it('explains an invalid configuration before training starts', async () => {
    const { page, problems } = await openPage(session, QUERY, { path: 'lab.html' });
    await waitValid(page);
    const start = lab(page).locator('[data-action=start]');
    expect(await start.isDisabled()).toBe(false);
    await setField(page, 'heads', '3');
    await expect.poll(() => lab(page).locator('.problem').innerText()).toBe('d_model (32) must be divisible by nhead (3)');
    expect(await start.isDisabled()).toBe(true);
    await setField(page, 'heads', '2');
    await setField(page, 'warmup', '400');
    await expect.poll(() => lab(page).locator('.problem').innerText()).toMatch(/warmup \(400 steps\) must be shorter than the run \(300 steps\)/);
    await setField(page, 'warmup', '50');
    await setField(page, 'lr', 'fast');
    await expect.poll(() => lab(page).locator('.problem').innerText()).toBe('Learning rate: "fast" is not a number');
    expect(await start.isDisabled()).toBe(true);
    expect(await lab(page).locator('lab-form .field.bad .err').innerText()).toMatch(/not a number/);
    await setField(page, 'lr', '0.01');
    await waitValid(page);
    expect(await start.isDisabled()).toBe(false);
    // Start right after an edit starts the edited configuration, never the one before it: the edit makes the
    // validation pending at once (the engine's check comes a frame later), so Start waits for it.
    const startedEarly = await page.evaluate(() => {
      const el = document.querySelector('attn-lab') as any;
      const input = el.shadowRoot.querySelector('lab-form').shadowRoot.querySelector('input[data-field="lr"]');
      input.value = '1000';
      input.dispatchEvent(new Event('change'));
      el.store.start();
      return { runs: el.store.state.runs.length, lr: el.store.state.config.lr };
    });
    expect(startedEarly).toEqual({ runs: 0, lr: 1000 });
    // A learning rate far too high: the run diverges, stops, and says why.
    await waitValid(page);
    await lab(page).locator('[data-action=start]').click();
    await waitStatus(page, /Diverged/);
    expect(await lab(page).locator('section[aria-labelledby="train-h"] .problem').innerText()).toMatch(
      /The loss stopped being a number at step \d+: the learning rate is probably too high/,
    );
    // Another task: its examples come from the engine.
    await lab(page).locator('lab-form button[data-task="dates"]').click();
    await waitValid(page);
    expect(await lab(page).locator('.examples td code').first().innerText()).toMatch(/\d/);
    expect(problems).toEqual([]);
  });

  it('trains a reversal in the page, pauses and resumes, and ends where the same run ends in Node', async () => {
    const { page, problems } = await openPage(session, QUERY, { path: 'lab.html', height: 1200 });
    await waitValid(page);
    await lab(page).locator('[data-action=start]').click();
    await waitStatus(page, /Training/);
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.runs[0]?.steps.length >= 60, null, { timeout: 30000 });
    await lab(page).locator('[data-action=pause]').click();
    await waitStatus(page, /Paused/);
    const paused = (await labState(page)).runs[0].steps;
    await page.waitForTimeout(700);
    expect((await labState(page)).runs[0].steps).toBe(paused);
    expect(paused).toBeLessThan(300);
    await lab(page).locator('[data-action=resume]').click();
    await waitStatus(page, /Finished/);

    const s = await labState(page);
    const r = s.runs[0];
    expect(r.steps).toBe(300);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(r.loss.slice(-30))).toBeLessThan(mean(r.loss.slice(0, 30)) * 0.2); // the loss falls
    expect(r.evals[0].step).toBe(0);
    expect(r.evals.at(-1).exactMatch).toBeGreaterThan(r.evals[0].exactMatch + 0.5); // accuracy rises
    expect(r.snapshots).toBe(7); // steps 0, 50, ..., 300

    // The same config in Node: every number equal.
    const node = attn.createRun(r.engineConfig as RunConfig);
    const first = node.probe(0);
    expect(await snapshotWeights(page, 0, 0)).toEqual(crossWeights(first));
    node.train(300);
    const e = node.evaluate();
    const g = node.generate(0);
    expect(r.final).toEqual({ loss: e.loss, tokenAccuracy: e.token_accuracy, exactMatch: e.exact_match,
      greedyExactMatch: g.exact_match, bleu: g.bleu, sequences: g.sequences });
    expect(await snapshotWeights(page, 0, 6)).toEqual(crossWeights(node.probe(0)));
    expect(await lab(page).locator('dd[data-metric="greedy"]').innerText()).toBe(`${(100 * g.exact_match).toFixed(2)}%`);
    expect(g.exact_match).toBeGreaterThan(0.8);

    // The data as the model gets it: the batch the page shows is the engine's next batch of the same run.
    await lab(page).locator('lab-batch summary').click();
    const table = lab(page).locator('lab-batch table');
    await table.waitFor();
    const nb = node.nextBatch();
    expect(await lab(page).locator('lab-batch [data-batch]').getAttribute('data-batch')).toBe(`${nb.B}x${nb.S}x${nb.T}`);
    const cell = (id: number, scored: boolean) => (scored && id === nb.ignore_index ? '·' : id === 0 ? 'pad' : nb.vocab[id]);
    const want0 = [
      ...Array.from(nb.src.slice(0, nb.S), (id) => cell(id, false)),
      ...Array.from(nb.tgt.slice(0, nb.T), (id) => cell(id, false)),
      ...Array.from(nb.targets.slice(0, nb.T), (id) => cell(id, true)),
    ];
    const shown0 = (await table.locator('tbody tr').first().locator('td:not(.gap)').allInnerTexts()).map((t) => t.trim());
    expect(shown0).toEqual(want0);

    // The timeline: scrub back to step 0.
    const range = lab(page).locator('lab-timeline input[type=range]');
    await range.fill('0');
    await expect.poll(() => lab(page).locator('lab-timeline .step').innerText()).toBe('step 0 of 300');
    await range.fill('3');
    await expect.poll(() => lab(page).locator('lab-timeline .step').innerText()).toBe('step 150 of 300');
    expect(await lab(page).locator('lab-timeline attn-heatmap.big').getAttribute('caption')).toMatch(/step 150/);

    // Inference on a typed input: the same answer and attention as Node.
    await lab(page).locator('input.infer-text').fill('5 4 3 2 1 0');
    await lab(page).locator('[data-action=infer]').click();
    const out = lab(page).locator('code[data-output]');
    await out.waitFor();
    const want = node.infer('5 4 3 2 1 0');
    expect(await out.innerText()).toBe(want.output);
    const shown = await page.evaluate(() => {
      const s = (document.querySelector('attn-lab') as any).store.state;
      const inf = s.inference[s.runs[0].id];
      return Array.from(inf.attention.views.find((v: any) => v.name === 'cross').weights[0] as Float32Array);
    });
    expect(shown).toEqual(crossWeights(want));
    // Bad input: a message, and the last answer stays.
    await lab(page).locator('input.infer-text').fill('5 4 x');
    await lab(page).locator('[data-action=infer]').click();
    await expect.poll(() => lab(page).locator('section[aria-labelledby="eval-h"] .problem').innerText()).toMatch(/'x' is not a symbol of this task/);
    node.delete();
    await page.screenshot({ path: path.join(screenshotDir, 'lab.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('compares two runs, exports one, imports it back and opens it in the explorer', async () => {
    const { page, problems } = await openPage(session, 'steps=150&max-len=5&eval-every=50&warmup=20', { path: 'lab.html', height: 1200 });
    await waitValid(page);
    await lab(page).locator('[data-action=start]').click();
    await waitStatus(page, /Finished/);
    await setField(page, 'heads', '1');
    await waitValid(page);
    await lab(page).locator('[data-action=start]').click();
    await waitStatus(page, /Finished/);
    const rows = lab(page).locator('lab-runs tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).locator('td.model').innerText()).toMatch(/1 head\b/);
    // Reuse puts a run's settings back in the form.
    await rows.nth(0).locator('button', { hasText: 'Reuse' }).click();
    await expect.poll(() => field(page, 'heads').inputValue()).toBe('2');
    const legend = await lab(page).locator('lab-runs lab-chart').first().locator('.legend').innerText();
    expect(legend).toMatch(/Run 1 training/);
    expect(legend).toMatch(/Run 2 training/);

    // Export run 1: its .json and .safetensors.
    const downloads: { name: string; file: string }[] = [];
    page.on('download', async (d) => {
      const file = path.join(screenshotDir, d.suggestedFilename());
      await d.saveAs(file);
      downloads.push({ name: d.suggestedFilename(), file });
    });
    await rows.nth(0).locator('button', { hasText: 'Export' }).click();
    await expect.poll(() => downloads.length, { timeout: 20000 }).toBe(2);
    const json = downloads.find((d) => d.name.endsWith('.json'))!;
    const weights = downloads.find((d) => d.name.endsWith('.safetensors'))!;
    const exported = JSON.parse(readFileSync(json.file, 'utf8'));
    expect(exported.format).toBe('attn-lab-run');
    expect(exported.history.steps).toHaveLength(150);
    // The weights are a model file attn-train's loader and the engine read, with the run in its metadata.
    const reloaded = attn.loadRun(readFileSync(weights.file));
    expect(reloaded.config).toEqual(exported.config);

    // Delete it and import it back from both files.
    const before = (await labState(page)).runs[0];
    await rows.nth(0).locator('button', { hasText: 'Delete' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await lab(page).locator('lab-runs input[type=file]').setInputFiles([json.file, weights.file]);
    await expect.poll(() => rows.count()).toBe(2);
    const imported = (await labState(page)).runs[1];
    expect(imported.imported).toMatch(/\.json \+ .*\.safetensors/);
    expect(imported.final).toEqual(before.final);
    expect(await lab(page).locator('lab-runs .notice').innerText()).toMatch(/^Imported/);
    await lab(page).locator('input.infer-text').fill('1 2 3');
    await lab(page).locator('[data-action=infer]').click();
    await expect.poll(() => lab(page).locator('code[data-output]').innerText()).toBe(reloaded.infer('1 2 3').output);
    // A file that is not a run is refused with the reason.
    await lab(page).locator('lab-runs input[type=file]').setInputFiles([{ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"a":1}') }]);
    await expect.poll(() => lab(page).locator('lab-runs .notice').innerText()).toMatch(/notes: not a run exported by the lab/);

    // Open the imported run in the explorer.
    const [popup] = await Promise.all([page.waitForEvent('popup'), rows.nth(1).locator('button', { hasText: 'Explorer' }).click()]);
    await popup.locator('model-picker [data-model="lab"][aria-checked="true"]').waitFor({ timeout: 30000 });
    await popup.locator('attn-explorer model-outputs code').first().waitFor({ timeout: 30000 });
    const probe = reloaded.heldOut(1)[0].input; // the explorer opens with the run's held-out example
    expect(await popup.locator('attn-explorer model-outputs code').first().innerText()).toBe(reloaded.infer(probe).output);
    await popup.screenshot({ path: path.join(screenshotDir, 'lab-in-explorer.png'), fullPage: true });
    reloaded.delete();
    await page.screenshot({ path: path.join(screenshotDir, 'lab-compare.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('sweeps one setting: each value checked first, trained in a row, summed up side by side; a sweep stops', async () => {
    const { page, problems } = await openPage(session, 'steps=100&max-len=5&eval-every=50&sweep=heads=1,3', { path: 'lab.html', height: 1200 });
    await waitValid(page);
    const sweep = lab(page).locator('lab-sweep');
    const train = sweep.locator('[data-action=sweep]');
    // The URL's sweep is in the form; the value the engine refuses is explained, and nothing can start.
    expect(await sweep.locator('select[data-sweep=field]').inputValue()).toBe('Heads');
    expect(await sweep.locator('input[data-sweep=values]').inputValue()).toBe('1, 3');
    await expect.poll(() => sweep.locator('.problem').innerText()).toBe('heads = 3: d_model (32) must be divisible by nhead (3)');
    expect(await train.isDisabled()).toBe(true);
    // A suggested experiment fills the sweep (and the URL), without starting anything.
    await sweep.locator('button[data-idea=positional]').click();
    expect(await sweep.locator('select[data-sweep=field]').inputValue()).toBe('Positions');
    expect(await sweep.locator('input[data-sweep=values]').inputValue()).toBe('sinusoidal, learned, none');
    await expect.poll(() => new URL(page.url()).searchParams.get('sweep')).toBe('positional=sinusoidal,learned,none');
    expect((await labState(page)).runs).toHaveLength(0);
    await sweep.locator('select[data-sweep=field]').selectOption('Heads');
    await sweep.locator('input[data-sweep=values]').fill('1, x');
    await expect.poll(() => sweep.locator('.problem').innerText()).toBe('"x" is not a number');
    await sweep.locator('input[data-sweep=values]').fill('1, 2');
    await expect.poll(() => train.isDisabled()).toBe(false);
    expect(await train.innerText()).toBe('Train 2 runs in a row');
    await expect.poll(() => new URL(page.url()).searchParams.get('sweep')).toBe('heads=1,2');

    await train.click();
    await expect.poll(() => lab(page).locator('[data-action=start]').isDisabled()).toBe(true); // one thing trains at a time
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.sweep?.state === 'done', null, { timeout: 45000 });
    const s = await labState(page);
    expect(s.runs.map((r: any) => [r.name, r.status, r.engineConfig.model.nhead, r.engineConfig.model.d_model])).toEqual([
      ['Run 1 · heads = 1', 'finished', 1, 32],
      ['Run 2 · heads = 2', 'finished', 2, 32],
    ]);
    // Everything but the swept setting is the same; the sweep trains exactly the configuration it names.
    const strip = (c: any) => ({ ...c, model: { ...c.model, nhead: 0 } });
    expect(strip(s.runs[0].engineConfig)).toEqual(strip(s.runs[1].engineConfig));
    const node = attn.createRun(s.runs[1].engineConfig as RunConfig);
    node.train(100);
    const g = node.generate(0);
    node.delete();
    expect(s.runs[1].final.greedyExactMatch).toBe(g.exact_match);
    const rows = lab(page).locator('lab-sweep-result tbody tr');
    expect(await rows.count()).toBe(2);
    for (const [i, r] of s.runs.entries()) {
      expect(await rows.nth(i).locator('[data-metric=exact]').innerText()).toBe(percent(r.final.greedyExactMatch));
      const first = r.evals.find((e: any) => e.exactMatch >= 0.9); // convergence: the first evaluation at 90%
      expect(await rows.nth(i).locator('[data-metric=reached]').innerText()).toMatch(first ? new RegExp(`^step ${first.step} \\(`) : /^not reached$/);
    }
    expect(await lab(page).locator('lab-sweep-result [data-summary]').innerText()).toMatch(/^Best held-out exact match \(generated\): heads = [12] /);
    const compared = await page.evaluate(() => (document.querySelector('attn-lab') as any).store.state.compare.length);
    expect(compared).toBe(2);
    await lab(page).locator('lab-sweep-result').screenshot({ path: path.join(screenshotDir, 'lab-sweep.png') });

    // A longer sweep over seeds, stopped during its first run: that run is evaluated, no other starts.
    await sweep.locator('select[data-sweep=field]').selectOption('Seed');
    await setField(page, 'steps', '3000');
    await waitValid(page);
    await expect.poll(() => train.isDisabled()).toBe(false);
    await train.click();
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.runs[2]?.steps.length >= 20, null, { timeout: 30000 });
    await lab(page).locator('lab-sweep-result [data-action=stop-sweep]').click();
    await waitStatus(page, /Stopped/);
    const after = await labState(page);
    expect(after.runs).toHaveLength(3);
    expect(after.runs[2].name).toBe('Run 3 · seed = 1');
    expect(after.runs[2].status).toBe('stopped');
    expect(await page.evaluate(() => (document.querySelector('attn-lab') as any).store.state.sweep.state)).toBe('stopped');
    expect(await lab(page).locator('lab-sweep-result h4').innerText()).toMatch(/Sweep of seed 1, 2, 3 · stopped/);
    expect(problems).toEqual([]);
  });
});

