// The training lab's summarization task (#12: "every item of the curriculum answered live": the encoder-decoder
// for text summarization) end to end in headless Chromium. The task is in the picker with what it asks; the lab's
// default model trains on it in the page, and its final metrics and its probe's cross-attention at step 0 and at
// the end equal the same run trained by the engine API in Node, bit for bit. A sentence typed in "Evaluate and ask"
// gets Node's headline, right by the task's rule, and its cross-attention (headline words as rows, the sentence's
// words as columns) is Node's, each headline word's row weighing its own source word most. Opened in the explorer
// with its Explorer button, the run shows its held-out sentence as word chips, Node's headline, and Node's
// cross-attention in the heatmap. Screenshots: the lab with its trained run, its cross-attention, and the explorer.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Run, RunConfig } from '../../engine/bindings/attn';
import { attentionSet } from '../../web/src/lab/attention-set';
import { selectedMatrix } from '../../web/src/state/store';
import { chipTexts, openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { settleExplorer } from './neuron-shown';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const STEPS = 600;
const SENTENCE = 'yesterday the cows were quietly sold by the tired old farmer at the busy market';
const CROSS = 'decoder.layers.0.multihead_attn.weights';

const lab = (page: Page) => page.locator('attn-lab');
const status = (page: Page) => lab(page).locator('.status').first().innerText();

/** The lab's runs, as plain data. */
const runs = (page: Page): Promise<any[]> => page.evaluate(() =>
  (document.querySelector('attn-lab') as any).store.state.runs.map((r: any) => ({
    status: r.status, steps: r.steps.length, final: r.final, engineConfig: r.engineConfig, probe: r.probe, snapshots: r.snapshots.length,
  })));

/** The page's cross-attention weights of snapshot `index` of run 0, or of its inference. */
const pageCross = (page: Page, index: number | 'inference') => page.evaluate((i) => {
  const s = (document.querySelector('attn-lab') as any).store.state;
  const set = i === 'inference' ? s.inference[s.runs[0].id].attention : s.runs[0].snapshots[i].attention;
  const v = set.views.find((x: any) => x.name === 'cross');
  return { rows: v.rows as string[], cols: v.cols as string[], weights: Array.from(v.weights[0] as Float32Array) };
}, index);

/** For each headline word (row k of the head-mean cross-attention [T, S]), the source word it weighs most. */
function readFrom(run: Run, text: string): string[] {
  const r = run.infer(text);
  const cross = attentionSet(run, r).views.find((v) => v.name === 'cross')!;
  const { matrix } = selectedMatrix(cross, 0, 'mean');
  const S = cross.cols.length;
  return r.output.split(' ').map((_, k) => {
    const row = Array.from(matrix.slice(k * S, (k + 1) * S));
    return cross.cols[row.indexOf(Math.max(...row))];
  });
}

describe('lab.html: the summarize task', () => {
  it('trains a summarizer in the page whose cross-attention finds each headline word, as the engine does in Node', async () => {
    const { page, problems } = await openPage(session, 'task=summarize', { path: 'lab.html', height: 1500 });
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.validation?.ok === true, null, { timeout: 30000 });
    // The picker: the task is chosen, says what it asks, and shows the engine's examples, words with spaces.
    const pick = lab(page).locator('lab-form button[data-task="summarize"]');
    expect(await pick.getAttribute('aria-pressed')).toBe('true');
    expect(await pick.innerText()).toBe('Summarize → headline');
    expect(await lab(page).locator('lab-form .about').first().innerText()).toMatch(/^Input: a news sentence, answered by its headline/);
    expect(await lab(page).locator('lab-form input[data-field="symbols"]').count()).toBe(0); // no toy settings
    const example = attn.taskExamples({ name: 'summarize' }, 1, 1)[0];
    await expect.poll(() => lab(page).locator('.examples td code').first().innerText()).toBe(example.input);

    await lab(page).locator('[data-action=start]').click();
    await expect.poll(() => status(page), { timeout: 120000 }).toMatch(/Finished/);
    const [r] = await runs(page);
    expect(r.steps).toBe(STEPS);
    expect(r.engineConfig.task).toEqual({ name: 'summarize' });

    // The same config in Node: every number equal.
    const node = attn.createRun(r.engineConfig as RunConfig);
    const cross = (x: ReturnType<Run['probe']> | ReturnType<Run['infer']>) => Array.from(x.trace[CROSS].data);
    expect((await pageCross(page, 0)).weights).toEqual(cross(node.probe(0)));
    node.train(STEPS);
    const e = node.evaluate();
    const g = node.generate(0);
    expect(r.final).toEqual({ loss: e.loss, tokenAccuracy: e.token_accuracy, exactMatch: e.exact_match,
      greedyExactMatch: g.exact_match, bleu: g.bleu, sequences: g.sequences });
    expect(g.exact_match).toBeGreaterThan(0.97); // measured: 100% (seed 1)
    expect(await lab(page).locator('dd[data-metric="greedy"]').innerText()).toBe(`${(100 * g.exact_match).toFixed(2)}%`);
    expect(await lab(page).locator('section[aria-labelledby="eval-h"] dt', { hasText: 'BLEU-4' }).innerText()).toMatch(/over words/);
    const last = await pageCross(page, r.snapshots - 1);
    const probe = node.probe(0);
    expect(last.weights).toEqual(cross(probe));
    expect(last.cols).toEqual(probe.input.split(' '));
    expect(await lab(page).locator('lab-timeline .probe').innerText()).toBe(`Held-out example: ${probe.input} → ${probe.answer}`);

    // A sentence of the learner's: Node's headline, right by the rule, and Node's cross-attention.
    await lab(page).locator('input.infer-text').fill(SENTENCE);
    await lab(page).locator('[data-action=infer]').click();
    await lab(page).locator('code[data-output]').waitFor();
    const want = node.infer(SENTENCE);
    expect(want.output).toBe('farmer sold cows at market');
    expect(await lab(page).locator('code[data-output]').innerText()).toBe(want.output);
    expect(await lab(page).locator('section[aria-labelledby="eval-h"] .ok').innerText()).toBe('✓ right');
    const shown = await pageCross(page, 'inference');
    expect(shown.weights).toEqual(cross(want));
    expect(shown.rows).toEqual([...want.output.split(' '), '<eos>']);
    expect(shown.cols).toEqual(SENTENCE.split(' '));
    // Each headline word's row weighs its own source word most (mean of the heads): the alignment a learner sees.
    expect(readFrom(node, SENTENCE)).toEqual(['farmer', 'sold', 'cows', 'at', 'market']);
    const heatmap = lab(page).locator('section[aria-labelledby="eval-h"] lab-attention attn-heatmap.big');
    expect(await heatmap.getAttribute('caption')).toMatch(/^Cross-attention \(decoder → encoder\) · layer 1 · head 1 · your input/);
    await lab(page).locator('section[aria-labelledby="eval-h"] lab-attention select.head').selectOption('mean');
    await expect.poll(() => heatmap.getAttribute('caption')).toMatch(/mean of the heads/);
    await lab(page).locator('section[aria-labelledby="eval-h"]').screenshot({ path: path.join(screenshotDir, 'lab-summarize-cross.png') });
    await page.screenshot({ path: path.join(screenshotDir, 'lab-summarize.png'), fullPage: true });

    // Opened in the explorer: the held-out sentence as word chips, the headline and the cross-attention of Node's run.
    const row = lab(page).locator('lab-runs tbody tr').first();
    const [popup] = await Promise.all([page.waitForEvent('popup'), row.locator('button', { hasText: 'Explorer' }).click()]);
    popup.on('pageerror', (err) => problems.push(`popup pageerror: ${err.message}`));
    await popup.locator('model-picker [data-model="lab"][aria-checked="true"]').waitFor({ timeout: 30000 });
    const url = new URL(popup.url());
    url.searchParams.set('view', 'cross');
    url.searchParams.set('head', 'mean');
    await popup.goto(url.href);
    await settleExplorer(popup, 'attn-heatmap.main', 60000);
    const text = node.heldOut(1)[0].input; // the explorer opens a run with its first held-out example
    const answer = node.infer(text);
    expect(await chipTexts(popup)).toEqual(text.split(' '));
    expect(await popup.locator('attn-explorer model-outputs code').first().innerText()).toBe(answer.output);
    const explorerCross = await popup.evaluate(() => {
      const m = (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('attn-heatmap.main');
      return { matrix: Array.from(m.matrix as Float32Array), rows: m.rowLabels as string[], cols: m.colLabels as string[] };
    });
    const nodeCross = attentionSet(node, answer).views.find((v) => v.name === 'cross')!;
    expect(explorerCross.matrix).toEqual(Array.from(selectedMatrix(nodeCross, 0, 'mean').matrix));
    expect(explorerCross.cols).toEqual(text.split(' '));
    await popup.screenshot({ path: path.join(screenshotDir, 'lab-summarize-explorer.png'), fullPage: true });
    node.delete();
    expect(problems).toEqual([]);
  }, 240000);
});
