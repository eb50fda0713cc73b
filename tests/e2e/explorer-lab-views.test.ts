// The explorer's Neuron and Ablation displays for a run trained in the lab (#13: every view for every model the page
// runs), end to end: a small encoder-decoder reversal run trains in lab.html, is exported (its weights, read in Node
// with attn.loadRun) and opened with its Explorer button. Neuron: for the cross-attention and the encoder's
// self-attention, the query and key vectors, the score, the scaled score and the softmax row shown equal Run.infer
// with trace 'full' in Node, bit for bit. Ablation: with heads off (from the URL and the grid), zero and mean, the
// run's answer with every head and without them, the changed symbols and the log-probability of its answer, and the
// ranking of every head, equal Run.infer / Run.logProb / Run.headMeans in Node with the same masks.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Run, Tensor } from '../../engine/bindings/attn';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { blockOf, expectNumbers, settleExplorer, shownNeuron } from './neuron-shown';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const PANEL = 'attn-explorer attn-ablation-panel';
/** Encoder: 2 layers of 2 heads; decoder: 1 layer of 2 heads (self- and cross-attention). */
const RUN = 'steps=150&max-len=5&eval-every=50&warmup=20&layers=2&heads=2';
const GROUPS = [['encoder', 2], ['decoder', 1], ['cross', 1]] as const;
const H = 2;
const PREFIX = { encoder: 'e', decoder: 'd', cross: 'c' } as const;
const MASK = { encoder: 'head_mask', decoder: 'decoder_head_mask', cross: 'cross_attn_head_mask' } as const;

/** The explorer has drawn `selector` for its current text (a busy machine takes its time). */
const settle = (page: Page, selector: string) => settleExplorer(page, selector, 60000);

/** Head masks in Node for heads `off` ("e1.2", "c1.1": kind, layer, head, 1-based), with the run's held-out means. */
function masks(off: string[], means?: Record<string, Tensor>) {
  const out: Record<string, unknown> = {};
  for (const [group, layers] of GROUPS) {
    const mine = off.filter((o) => o.startsWith(PREFIX[group]));
    if (!mine.length) continue;
    out[MASK[group]] = Array.from({ length: layers }, (_, l) => Array.from({ length: H }, (_, h) => (mine.includes(`${PREFIX[group]}${l + 1}.${h + 1}`) ? 0 : 1)));
    const mean = MASK[group].replace('_mask', '_mean');
    if (means?.[mean]) out[mean] = means[mean];
  }
  return out;
}

/** What the run says in Node for `text` with `off` removed: its answers, the change of log P(its answer), the ranking. */
function inNode(run: Run, text: string, off: string[], mode: 'zero' | 'mean') {
  const means = mode === 'mean' ? (run.headMeans() as unknown as Record<string, Tensor>) : undefined;
  const full = run.infer(text);
  const ablated = run.infer(text, masks(off, means));
  const logprob = run.logProb(text, full);
  const after = run.logProb(text, full, masks(off, means));
  const heads = GROUPS.flatMap(([g, layers]) => Array.from({ length: layers * H }, (_, k) => `${PREFIX[g]}${Math.floor(k / H) + 1}.${(k % H) + 1}`));
  const ranking = heads.map((head) => ({ head, change: logprob - run.logProb(text, full, masks([head], means)) }))
    .sort((a, b) => b.change - a.change);
  return { before: full.output, after: ablated.output, logprob, after_logprob: after, change: logprob - after, ranking };
}

/** What the Ablation display shows. */
async function shownAblation(page: Page) {
  const change = page.locator(`${PANEL} p.change`);
  const text = (which: string) => page.locator(`${PANEL} dd.out[data-which="${which}"]`).innerText();
  return {
    before: await text('before'),
    after: await text('after'),
    change: Number(await change.getAttribute('data-change')),
    logprob: Number(await change.getAttribute('data-before')),
    afterLogprob: Number(await change.getAttribute('data-after')),
    changed: Number(await change.getAttribute('data-changed')),
    sentence: (await change.innerText()).replace(/\s+/g, ' '),
  };
}

async function expectAblation(page: Page, run: Run, text: string, off: string[], mode: 'zero' | 'mean') {
  const want = inNode(run, text, off, mode);
  await expect.poll(async () => (await page.locator(`${PANEL} p.change`).count()) && Number(await page.locator(`${PANEL} p.change`).getAttribute('data-after')), { timeout: 60000 })
    .toBe(want.after_logprob);
  const got = await shownAblation(page);
  const b = want.before.split(' ').filter(Boolean);
  const a = want.after.split(' ').filter(Boolean);
  expect(got.before).toBe(want.before || '(nothing)');
  // What it no longer writes shows as a dot per symbol.
  expect(got.after).toBe(`${want.after || '(nothing)'}${'·'.repeat(Math.max(0, b.length - a.length))}`);
  expect(got.logprob).toBe(want.logprob);
  expect(got.change).toBe(want.change);
  expect(got.changed).toBe(Math.max(a.length, b.length) - b.filter((s, i) => a[i] === s).length);
  expect(got.sentence).toMatch(new RegExp(`^${got.changed} of ${b.length} symbols change`));
  const marked = await page.locator(`${PANEL} dd.out[data-which="after"] mark:not(.gone)`).allInnerTexts();
  expect(marked).toEqual(a.filter((s, i) => b[i] !== s));
  return want;
}

describe('the explorer: a lab run’s Neuron and Ablation displays', () => {
  it('train a run, open it in the explorer: neuron numbers and ablation outputs equal the engine in Node', async () => {
    const { page, problems } = await openPage(session, RUN, { path: 'lab.html', height: 1200 });
    const lab = page.locator('attn-lab');
    await page.waitForFunction(() => (document.querySelector('attn-lab') as any).store.state.validation?.ok === true, null, { timeout: 30000 });
    await lab.locator('[data-action=start]').click();
    await expect.poll(() => lab.locator('.status').first().innerText(), { timeout: 120000 }).toMatch(/Finished/);
    // The run's weights, as the lab exports them, in Node.
    const row = lab.locator('lab-runs tbody tr').first();
    const [weights] = await Promise.all([
      page.waitForEvent('download', { predicate: (d) => d.suggestedFilename().endsWith('.safetensors'), timeout: 20000 }),
      row.locator('button', { hasText: 'Export' }).click(),
    ]);
    const file = path.join(screenshotDir, 'explorer-lab-views.safetensors');
    await weights.saveAs(file);
    const run = attn.loadRun(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(file))));
    expect(run.config.model.num_layers).toBe(2);
    expect(run.config.model.nhead).toBe(H);

    // Open it with its Explorer button (the same browser: the run is in its IndexedDB), then in the Neuron display.
    const [popup] = await Promise.all([page.waitForEvent('popup'), row.locator('button', { hasText: 'Explorer' }).click()]);
    popup.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`popup ${m.type()}: ${m.text()}`));
    popup.on('pageerror', (e) => problems.push(`popup pageerror: ${e.message}`));
    await popup.locator('model-picker [data-model="lab"][aria-checked="true"]').waitFor({ timeout: 30000 });
    /** The explorer's URL with these settings. */
    const at = (settings: Record<string, string>) => {
      const u = new URL(popup.url());
      for (const [k, v] of Object.entries(settings)) u.searchParams.set(k, v);
      return u.href;
    };
    const text = run.heldOut(1)[0].input; // the explorer opens a run with its first held-out example
    const full = run.infer(text, { trace: 'full' });
    await popup.goto(at({ display: 'neuron', view: 'cross', layer: '0', head: '1', q: '0', k: '2' }));
    await settle(popup, '.neuron-summary');
    expect(await popup.evaluate(() => (document.querySelector('attn-explorer') as any).store.text)).toBe(text);
    const neuron = () => shownNeuron(popup, 'attn-explorer', 'attn-heatmap.neuron-head');
    const cross = blockOf(full.trace, 'decoder.layers.0.multihead_attn');
    expect(cross.q.shape[3]).toBe(16); // d_model 32 / 2 heads
    expectNumbers(await neuron(), cross, cross.weights, 1, 0, 2, 1 / 4);
    await popup.screenshot({ path: path.join(screenshotDir, 'explorer-lab-neuron.png'), fullPage: true });
    // The encoder's second layer, head 1, picked by a chip.
    await popup.goto(at({ display: 'neuron', view: 'encoder', layer: '1', head: '0', q: '1', k: '0' }));
    await settle(popup, '.neuron-summary');
    await popup.locator('attn-explorer .tokens.key [data-index="3"]').click();
    await settle(popup, '.neuron-summary');
    const enc = blockOf(full.trace, 'encoder.layers.1.self_attn');
    expectNumbers(await neuron(), enc, enc.weights, 0, 1, 3, 1 / 4);

    // Ablation: cross-attention head 1 and encoder layer 2 head 2 off, from the URL.
    await popup.goto(at({ display: 'ablation', off: 'c1.1,e2.2' }));
    await expectAblation(popup, run, text, ['c1.1', 'e2.2'], 'zero');
    expect(await popup.locator(`${PANEL} .grid-title`).allInnerTexts()).toEqual(['Encoder self-attention', 'Decoder self-attention', 'Cross-attention']);
    // The second cross-attention head too, from the grid; the URL follows.
    await popup.locator(`${PANEL} button.head[data-group="cross"][data-layer="0"][data-head="1"]`).click();
    await expect.poll(() => popup.evaluate(() => new URLSearchParams(location.search).get('off'))).toBe('c1.1,e2.2,c1.2');
    const blind = await expectAblation(popup, run, text, ['c1.1', 'e2.2', 'c1.2'], 'zero');
    expect(blind.change).toBeGreaterThan(0); // no output reads the input: the answer the run gave is less likely
    // Mean ablation: each removed head outputs its mean over the run's held-out examples, as the label says.
    await popup.locator(`${PANEL} fieldset.mode input[value="mean"]`).check();
    expect(await popup.locator(`${PANEL} fieldset.mode label`).nth(1).innerText()).toMatch(/mean over the run’s held-out examples/);
    await expectAblation(popup, run, text, ['c1.1', 'e2.2', 'c1.2'], 'mean');
    // Rank heads: every head removed alone (replaced by its mean), in Node's order with Node's numbers.
    await popup.locator(`${PANEL} button.rank-btn`).click();
    await popup.locator(`${PANEL} .ranking li`).first().waitFor({ timeout: 60000 });
    const ranking = await popup.locator(`${PANEL} .ranking li`).evaluateAll((lis) =>
      lis.map((li) => ({ head: (li as HTMLElement).dataset.head!, change: Number((li as HTMLElement).dataset.change) })));
    expect(ranking).toEqual(inNode(run, text, ['c1.1'], 'mean').ranking);
    expect(await popup.locator(`${PANEL} .ranking h3`).innerText()).toMatch(/nats of log P\(answer\)/);
    await popup.screenshot({ path: path.join(screenshotDir, 'explorer-lab-ablation.png'), fullPage: true });
    // A ranked head clicked opens in the other displays: its attention kind, layer and head.
    const first = ranking[0].head;
    await popup.locator(`${PANEL} .ranking li[data-head="${first}"] button.rank-head`).click();
    const kind = { e: 'encoder', d: 'decoder', c: 'cross' }[first[0]];
    const [l, h] = first.slice(1).split('.').map(Number);
    await expect.poll(() => popup.evaluate(() => {
      const s = (document.querySelector('attn-explorer') as any).store.state;
      return [s.view, s.layer + 1, s.head + 1];
    })).toEqual([kind, l, h]);
    run.delete();
    expect(problems).toEqual([]);
    await popup.close();
    await page.close();
  }, 300000); // training in the page, then two displays: minutes on a busy machine
});
