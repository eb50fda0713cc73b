// Every display of the explorer, and <attn-view display="ablation">, for a run trained in the lab (#13: every view for
// every model the page runs), end to end: a small encoder-decoder reversal run trains in lab.html once for the file,
// is exported (its weights, read in Node with attn.loadRun) and opened with its Explorer button. Neuron: for the
// cross-attention and the encoder's self-attention, the query and key vectors, the score, the scaled score and the
// softmax row shown equal Run.infer with trace 'full' in Node, bit for bit. Ablation (the explorer's, and
// <attn-view model="lab" run=...>'s with its Embed snippet and iframe): with heads off (from the URL, the attributes and
// the grid), zero and mean, the run's answer with every head and without them, the changed symbols and the
// log-probability of its answer, and the ranking of every head, equal Run.infer / Run.logProb / Run.headMeans in Node
// with the same masks (the widget audited by axe-core, light and dark). Lines, Model, Compare and Rollout: the lines drawn, every cell of the model view, the second
// text minus the first and rollout (as a heatmap and as lines) are the weights of Run.infer in Node, bit for bit.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Run, Tensor } from '../../engine/bindings/attn';
import { difference } from '../../web/src/components/compare-parts';
import { SUMMARY_HEAD, linesOf, summaryView, type Line } from '../../web/src/components/lines';
import { attentionSet } from '../../web/src/lab/attention-set';
import { selectedMatrix } from '../../web/src/state/store';
import { AxeAudit } from './a11y';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
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

/** What the Ablation display (the panel `panel`: the explorer's, or a widget's) shows. */
async function shownAblation(page: Page, panel = PANEL) {
  const change = page.locator(`${panel} p.change`);
  const text = (which: string) => page.locator(`${panel} dd.out[data-which="${which}"]`).innerText();
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

async function expectAblation(page: Page, run: Run, text: string, off: string[], mode: 'zero' | 'mean', panel = PANEL) {
  const want = inNode(run, text, off, mode);
  await expect.poll(async () => (await page.locator(`${panel} p.change`).count()) && Number(await page.locator(`${panel} p.change`).getAttribute('data-after')), { timeout: 60000 })
    .toBe(want.after_logprob);
  const got = await shownAblation(page, panel);
  const b = want.before.split(' ').filter(Boolean);
  const a = want.after.split(' ').filter(Boolean);
  expect(got.before).toBe(want.before || '(nothing)');
  // What it no longer writes shows as a dot per symbol.
  expect(got.after).toBe(`${want.after || '(nothing)'}${'·'.repeat(Math.max(0, b.length - a.length))}`);
  expect(got.logprob).toBe(want.logprob);
  expect(got.change).toBe(want.change);
  expect(got.changed).toBe(Math.max(a.length, b.length) - b.filter((s, i) => a[i] === s).length);
  expect(got.sentence).toMatch(new RegExp(`^${got.changed} of ${b.length} symbols change`));
  const marked = await page.locator(`${panel} dd.out[data-which="after"] mark:not(.gone)`).allInnerTexts();
  expect(marked).toEqual(a.filter((s, i) => b[i] !== s));
  return want;
}

/** The ranking shown by the panel `panel`: each head's key and change, in order. */
const shownRanking = (page: Page, panel = PANEL) => page.locator(`${panel} .ranking li`).evaluateAll((lis) =>
  lis.map((li) => ({ head: (li as HTMLElement).dataset.head!, change: Number((li as HTMLElement).dataset.change) })));

/** The run trained for this file: the lab's page, the explorer opened with the run's Explorer button, the run in Node,
 * its id, the text the explorer opens it with, and the explorer's URL with settings (its query parameters). */
interface Trained {
  page: Page;
  popup: Page;
  run: Run;
  id: string;
  text: string;
  at: (settings: Record<string, string>) => string;
  problems: string[];
}

/** Trains the run in the lab, exports it to Node and opens it in the explorer (once for the file's tests). */
async function train(): Promise<Trained> {
  // A context of its own: the widget's tests open more pages in it, which share the storage that keeps the run.
  const { page, problems } = await openPage(session, RUN, { path: 'lab.html', height: 1200, ownContext: true });
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
  // Open it with its Explorer button (the same browser: the run is in its IndexedDB).
  const [popup] = await Promise.all([page.waitForEvent('popup'), row.locator('button', { hasText: 'Explorer' }).click()]);
  popup.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`popup ${m.type()}: ${m.text()}`));
  popup.on('pageerror', (e) => problems.push(`popup pageerror: ${e.message}`));
  await popup.locator('model-picker [data-model="lab"][aria-checked="true"]').waitFor({ timeout: 30000 });
  const base = popup.url();
  const at = (settings: Record<string, string>) => {
    const u = new URL(base);
    for (const [k, v] of Object.entries(settings)) u.searchParams.set(k, v);
    return u.href;
  };
  const id = new URL(base).searchParams.get('run')!;
  expect(id).toBeTruthy();
  return { page, popup, run, id, text: run.heldOut(1)[0].input, at, problems }; // the explorer opens a run with its first held-out example
}

let trained: Promise<Trained> | undefined;
const trainedRun = () => (trained ??= train());

/** Lines in a stable order: by head, query, key. */
const byPlace = (a: Line, b: Line) => a.head - b.head || a.query - b.query || a.key - b.key;

/** The lines the head view of `host` has drawn, once its caption ends with `caption`. */
async function drawn(page: Page, caption: string, host = 'attn-explorer'): Promise<Line[]> {
  const handle = await page.waitForFunction(([h, c]) => {
    const el = (document.querySelector(h) as any)?.shadowRoot?.querySelector('attn-lines');
    if (!el?.caption.endsWith(c) || !el.shadowRoot.querySelector('canvas.lines-canvas')) return undefined;
    return el.drawnLines().map((l: Line) => ({ ...l }));
  }, [host, caption] as const, { timeout: 60000 });
  return ((await handle.jsonValue()) as Line[]).sort(byPlace);
}

/** The explorer's attention view `name` (its labels, and its weights as arrays). */
const pageView = (page: Page, name: string) => page.evaluate((n) => {
  const v = (document.querySelector('attn-explorer') as any).store.state.analysis.views.find((x: any) => x.name === n);
  return { rows: v.rows as string[], cols: v.cols as string[], layers: v.layers as number, heads: v.heads as number };
}, name);

describe('the explorer and <attn-view>: a lab run’s displays', () => {
  afterAll(async () => {
    const t = await trained?.catch(() => undefined);
    t?.run.delete();
    await t?.page.context().close();
  });

  it('train a run, open it in the explorer: neuron numbers and ablation outputs equal the engine in Node', async () => {
    const { popup, run, text, at, problems } = await trainedRun();
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
    const ranking = await shownRanking(popup);
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
    expect(problems).toEqual([]);
  }, 300000); // training in the page, then two displays: minutes on a busy machine


  it('Lines, Model, Compare and Rollout: the weights drawn are Run.infer’s in Node, bit for bit', async () => {
    const { popup, run, text, at, problems } = await trainedRun();
    /** The run's attention on `text` in Node, as the page assembles it (attention-set.ts): labels and weights. */
    const inNode = (t: string) => attentionSet(run, run.infer(t, { trace: 'weights' })).views;
    const views = inNode(text);
    const view = (name: string) => views.find((v) => v.name === name)!;
    const settle = (selector: string) => settleExplorer(popup, selector, 60000);

    // Lines: the encoder's second layer, every head; then the cross-attention's head 2 alone.
    await popup.goto(at({ display: 'lines', view: 'encoder', layer: '1' }));
    await settle('attn-lines.main');
    const encoder = view('encoder');
    expect(await pageView(popup, 'encoder')).toEqual({ rows: encoder.rows, cols: encoder.cols, layers: 2, heads: H });
    const lines = await drawn(popup, 'Encoder self-attention · layer 2 · all heads');
    expect(lines).toEqual(linesOf(encoder, 1, [0, 1]).sort(byPlace));
    expect(lines.length).toBeGreaterThan(0);
    await popup.goto(at({ display: 'lines', view: 'cross', layer: '0', lh: '1' }));
    await settle('attn-lines.main');
    const cross = view('cross');
    expect(await pageView(popup, 'cross')).toEqual({ rows: cross.rows, cols: cross.cols, layers: 1, heads: H });
    expect(await drawn(popup, 'layer 1 · heads 2')).toEqual(linesOf(cross, 0, [1]).sort(byPlace));
    await popup.screenshot({ path: path.join(screenshotDir, 'explorer-lab-lines.png'), fullPage: true });

    // Model: every layer × head of the encoder, each cell's picture the head's weights; a click picks one.
    await popup.goto(at({ display: 'model', view: 'encoder' }));
    await settle('attn-model-view.main');
    const cells = popup.locator('attn-explorer attn-model-view.main button.cell');
    await expect.poll(() => cells.count()).toBe(2 * H);
    const pictures: number[][][] = await popup.locator('attn-explorer attn-model-view.main').evaluate((el: any) =>
      el.heatmaps.map((row: any[]) => row.map((c) => Array.from(c.matrix as Float32Array))));
    expect(pictures).toEqual([0, 1].map((l) => [0, 1].map((h) => Array.from(selectedMatrix(encoder, l, h).matrix))));
    await popup.locator('attn-explorer attn-model-view.main button.cell[data-layer="1"][data-head="0"]').click();
    await expect.poll(() => popup.evaluate(() => {
      const s = (document.querySelector('attn-explorer') as any).store.state;
      return [s.view, s.layer, s.head];
    })).toEqual(['encoder', 1, 0]);
    await popup.screenshot({ path: path.join(screenshotDir, 'explorer-lab-model.png'), fullPage: true });

    // Compare: the text with its second symbol changed (to one the task uses), so the texts pair by position;
    // second − first in the encoder's layer 2, head 1.
    const symbols = text.split(' ');
    symbols[1] = run.heldOut(20).flatMap((e) => e.input.split(' ')).find((x) => x !== symbols[1])!;
    const vs = symbols.join(' ');
    await popup.goto(at({ display: 'compare', view: 'encoder', layer: '1', head: '0', vs }));
    await settle('attn-heatmap.diff');
    const diff = await popup.locator('attn-explorer attn-heatmap.diff').evaluate((h: any) =>
      ({ matrix: Array.from(h.matrix as Float32Array), rows: h.rowLabels as string[], cols: h.colLabels as string[] }));
    const d = difference(encoder, inNode(vs).find((v) => v.name === 'encoder')!, 1, 0);
    expect(diff.matrix).toEqual(Array.from(d.matrix));
    expect([diff.rows, diff.cols]).toEqual([d.rowLabels, d.colLabels]);
    expect(d.mask.every((x) => x === 0)).toBe(true); // one symbol changed: every cell paired by position
    expect(diff.matrix.some((x) => x !== 0)).toBe(true);
    await popup.screenshot({ path: path.join(screenshotDir, 'explorer-lab-compare.png'), fullPage: true });

    // Rollout of the encoder after its second layer: the heatmap's matrix, then as lines.
    const trace = run.infer(text, { trace: 'weights' }).trace;
    const rollout = attn.attentionRollout([0, 1].map((l) => trace[`encoder.layers.${l}.self_attn.weights`]));
    const T = encoder.rows.length;
    const after2 = rollout.data.slice(T * T, 2 * T * T);
    await popup.goto(at({ view: 'encoder', layer: '1', head: 'rollout' }));
    const painted = await popup.waitForFunction(() => {
      const ex = document.querySelector('attn-explorer') as any;
      const map = ex?.shadowRoot?.querySelector('attn-heatmap.main') as any;
      const s = ex?.store.state;
      if (!map?.matrix || !map.caption.endsWith(' · rollout') || s.busy || s.analysis?.text !== ex.store.text) return undefined;
      return Array.from(map.matrix as Float32Array);
    }, undefined, { timeout: 60000 });
    expect(await painted.jsonValue()).toEqual(Array.from(after2));
    await popup.screenshot({ path: path.join(screenshotDir, 'explorer-lab-rollout.png'), fullPage: true });
    await popup.goto(at({ display: 'lines', view: 'encoder', layer: '1', head: 'rollout' }));
    await settle('attn-lines.main');
    expect(await drawn(popup, 'layer 2 · rollout')).toEqual(linesOf(summaryView(encoder, 1, after2), 1, [SUMMARY_HEAD]).sort(byPlace));
    expect(problems).toEqual([]);
  }, 300000);

  it('<attn-view display="ablation" model="lab" run=…>: outputs and ranking equal Node; the grid; the Embed snippet reproduces it', async () => {
    const { popup, run, id, text } = await trainedRun();
    const TAG = 'attn-view';
    const panel = `${TAG} attn-ablation-panel`;
    // The widget in the run's browser (its storage keeps the run).
    const page = await popup.context().newPage();
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.setViewportSize({ width: 1100, height: 1000 });
    await page.goto(`${session.url}embed.html?w=${TAG}&model=lab&run=${encodeURIComponent(id)}&display=ablation&text=${encodeURIComponent(text)}&off=c1.1,e2.2&ablate=mean&rank=true`);
    await waitForWidget(page, TAG, 120000);
    await expectAblation(page, run, text, ['c1.1', 'e2.2'], 'mean', panel);
    expect(await page.locator(`${panel} .grid-title`).allInnerTexts()).toEqual(['Encoder self-attention', 'Decoder self-attention', 'Cross-attention']);
    expect(await page.locator(`${panel} fieldset.mode label`).nth(1).innerText()).toMatch(/mean over the run’s held-out examples/);
    expect(await shownRanking(page, panel)).toEqual(inNode(run, text, [], 'mean').ranking);
    expect(await page.locator(`${TAG} p.notice`).count()).toBe(0);
    // Light and dark: the pictures, and no accessibility violation (axe-core, a11y.ts). The frame is audited as a
    // course page shows it, under the page's level-one heading (axe asks a page for one).
    const audit = new AxeAudit();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(screenshotDir, `widget-view-ablation-lab${scheme === 'dark' ? '-dark' : ''}.png`), fullPage: true });
      await page.evaluate(() => document.body.insertAdjacentHTML('afterbegin', '<header class="test-heading"><h1>A course page</h1></header>'));
      await audit.check(page, `<attn-view display="ablation"> of a lab run (${scheme})`);
      await page.evaluate(() => document.querySelector('header.test-heading')!.remove());
    }
    audit.expectNone();
    await page.emulateMedia({ colorScheme: 'light' });

    // The second cross-attention head off from the grid: the attribute follows, and the outputs.
    await page.locator(`${panel} button.head[data-group="cross"][data-layer="0"][data-head="1"]`).click();
    await waitForWidget(page, TAG, 120000);
    expect(await page.locator(TAG).getAttribute('off')).toBe('c1.1,e2.2,c1.2');
    await expectAblation(page, run, text, ['c1.1', 'e2.2', 'c1.2'], 'mean', panel);

    // The Embed snippet and the iframe show the same (opened in this browser, which keeps the run).
    const read = async (p: Page) => ({ ...(await shownAblation(p, panel)), ranking: await shownRanking(p, panel) });
    const snippet = await expectEmbedsReproduce(session, page, TAG, read, { sameBrowser: true });
    for (const a of ['model="lab"', `run="${id}"`, 'display="ablation"', 'off="c1.1,e2.2,c1.2"', 'ablate="mean"', 'rank="true"']) expect(snippet).toContain(a);

    // A ranked head opens in the other displays: its attention kind, layer and head.
    const first = (await shownRanking(page, panel))[0].head;
    await page.locator(`${panel} .ranking li[data-head="${first}"] button.rank-head`).click();
    const [l, h] = first.slice(1).split('.');
    await expect.poll(async () => [await page.locator(TAG).getAttribute('view'), await page.locator(TAG).getAttribute('layer'),
      await page.locator(TAG).getAttribute('head')]).toEqual([{ e: 'encoder', d: 'decoder', c: 'cross' }[first[0]], l, h]);
    expect(problems).toEqual([]);
    await page.close();
  }, 300000);
});
