// <attn-view display="neuron|compare|ablation"> and rollout and flow in the Lines display (#13), end to end
// (embed.html?w=attn-view&...): each display's numbers equal the engine API in Node on the same model files and
// text (the neuron view's q, k, scores and softmax; the comparison's two texts side by side and their second − first,
// stacked on a phone; the ablation's top tokens with
// heads masked), the Embed snippet and iframe URL reproduce what is shown, bad attributes get notices, a model a
// display cannot show gets the explorer's notice; Rollout and Flow drawn as lines (in <attn-view> and the explorer's
// Lines display) are attn.attentionRollout / attn.attentionFlow, bit for bit.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import type { AttentionView } from '../../web/src/engine/protocol';
import { difference } from '../../web/src/components/compare-parts';
import { selectedMatrix } from '../../web/src/state/store';
import { MIN_WEIGHT, SUMMARY_HEAD, type Line } from '../../web/src/components/lines';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
import { blockOf, expectNumbers, shownNeuron } from './neuron-shown';
import { expectComparisonLayout, shownComparison } from './compare-shown';
import { headMask, loadShipped, runShipped, softmax } from './shipped';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-view';
const BOS = 1;
const ANIMAL = "The animal didn't cross the street because it was too";
const open = (query: string, opts: { width?: number; dark?: boolean } = {}) =>
  openPage(session, `w=${TAG}&${query}`, { path: 'embed.html', width: opts.width ?? 1100, height: 1000, dark: opts.dark });
const attr = (page: Page, name: string) => page.locator(TAG).getAttribute(name);
const notice = (page: Page) => page.locator(`${TAG} p.notice`).allInnerTexts().then((t) => t.join(' ').replace(/\s+/g, ' '));

/** One self-attention stack's weights from a forward trace, one tensor per layer. */
function stack(trace: Record<string, Tensor>, prefix: string): Tensor[] {
  const out: Tensor[] = [];
  for (let l = 0; trace[`${prefix}.layers.${l}.self_attn.weights`]; l++) out.push(trace[`${prefix}.layers.${l}.self_attn.weights`]);
  return out;
}

/** The lines a [T, T] matrix should draw as rollout's or flow's: every weight from MIN_WEIGHT, by query then key. */
function summaryLines(m: ArrayLike<number>, T: number): Line[] {
  const out: Line[] = [];
  for (let query = 0; query < T; query++)
    for (let key = 0; key < T; key++) if (m[query * T + key] >= MIN_WEIGHT) out.push({ head: SUMMARY_HEAD, query, key, weight: m[query * T + key] });
  return out;
}

/** The lines the head view in `host` has drawn, once its caption ends with `caption` (by head, query, key). */
async function drawn(page: Page, host: string, caption: string): Promise<Line[]> {
  const handle = await page.waitForFunction(([h, c]) => {
    const el = (document.querySelector(h) as any).shadowRoot.querySelector('attn-lines');
    if (!el?.caption.endsWith(c) || !el.shadowRoot.querySelector('canvas.lines-canvas')) return undefined;
    return el.drawnLines().map((l: Line) => ({ ...l }));
  }, [host, caption] as const, { timeout: 60000 });
  const lines = (await handle.jsonValue()) as Line[];
  return lines.sort((a, b) => a.head - b.head || a.query - b.query || a.key - b.key);
}

describe('<attn-view display="neuron">', () => {
  it('q, k, q ⊙ k, the score and the softmax equal the engine in Node; chips pick; the Embed snippet reproduces it', async () => {
    const { page, problems } = await open('model=lm&display=neuron&layer=2&head=3&query=10&key=2');
    await waitForWidget(page, TAG);
    const { trace, full } = runShipped(attn, 'lm', ANIMAL);
    const block = blockOf(full, 'decoder.layers.1.self_attn');
    const heatmap = trace['decoder.layers.1.self_attn.weights'];
    const read = (p: Page) => shownNeuron(p, TAG, 'attn-heatmap.neuron-head');
    expectNumbers(await read(page), block, heatmap, 2, 10, 2, 1 / Math.sqrt(32));
    expect(await page.locator(`${TAG} [role="tab"][aria-selected="true"]`).innerText()).toBe('Neuron');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-neuron.png'), fullPage: true });

    // A key chip picks the key; the attributes and the URL follow.
    await page.locator(`${TAG} .tokens.key [data-index="4"]`).click();
    await waitForWidget(page, TAG);
    expect([await attr(page, 'query'), await attr(page, 'key')]).toEqual(['10', '4']);
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/display=neuron.*query=10&key=4/);
    expectNumbers(await read(page), block, heatmap, 2, 10, 4, 1 / Math.sqrt(32));
    const snippet = await expectEmbedsReproduce(session, page, TAG, read);
    expect(snippet).toMatch(/display="neuron"/);
    expect(problems).toEqual([]);
  });

  it('a query that is not a number gets a notice and the default: the last row', async () => {
    const { page, problems } = await open('model=lm&display=neuron&query=five');
    await waitForWidget(page, TAG);
    expect(await notice(page)).toMatch(/query must be a token's number, 0 for the first; using the last row/);
    // The default: the last row (12) and the key it weighs most.
    const s = await shownNeuron(page, TAG, 'attn-heatmap.neuron-head');
    expect(s.query).toEqual([12]);
    expect(problems).toEqual([]);
  });
});

describe('<attn-view display="compare">', () => {
  it('both texts’ maps and second − first equal their weights from Node, aligned; vs edits the second text; the Embed snippet reproduces it', async () => {
    const a = `${ANIMAL} tired`;
    const b = `${ANIMAL} wide`;
    const { page, problems } = await open(`model=lm&display=compare&layer=3&head=mean&text=${encodeURIComponent(a)}&vs=${encodeURIComponent(b)}`);
    await waitForWidget(page, TAG);
    const read = (p: Page) => shownComparison(p, TAG);
    const s = await read(page);
    // The views as the page has them: labels from the page's analyses, weights from the engine in Node.
    const labels = (text: string) => page.evaluate(async ([tag, t]) => {
      const el = document.querySelector(tag) as any;
      const v = (el.analysis.text === t ? el.analysis : el.compared).views[0];
      return { rows: v.rows as string[], cols: v.cols as string[], masks: v.masks.map((m: Float32Array | undefined) => (m ? Array.from(m) : null)) };
    }, [TAG, text] as const);
    const view = async (text: string): Promise<AttentionView> => {
      const w = stack(runShipped(attn, 'lm', text).trace, 'decoder').map((t) => t.data);
      const l = await labels(text);
      return { name: 'self', title: '', rows: l.rows, cols: l.cols, layers: w.length, heads: 4, weights: w,
        masks: l.masks.map((m: number[] | null) => (m ? Float32Array.from(m) : undefined)) };
    };
    const [first, second] = [await view(a), await view(b)];
    // Side by side: each text's mean of the heads (bit for bit), on the same colour scale, labelled with its text.
    expect(s.first.matrix).toEqual(Array.from(selectedMatrix(first, 2, 'mean').matrix));
    expect(s.second.matrix).toEqual(Array.from(selectedMatrix(second, 2, 'mean').matrix));
    expect([s.first.domain, s.second.domain]).toEqual([[0, 1], [0, 1]]);
    expect(s.labels).toEqual([`First: ${a}`, `Second: ${b}`]);
    await expectComparisonLayout(page, TAG, 'side by side');
    const d = difference(first, second, 2, 'mean');
    expect(s.diff.matrix).toEqual(Array.from(d.matrix)); // bit for bit
    expect(s.diff.rows).toEqual(d.rowLabels);
    expect(s.diff.rows.some((r) => r.includes('wide'))).toBe(true);
    expect(s.changes).toMatch(/causal/);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-compare.png'), fullPage: true });

    // The second text typed: the attribute and the URL follow.
    await page.locator(`${TAG} input.vs`).fill(`${ANIMAL} big`);
    await page.locator(`${TAG} input.vs`).press('Enter');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'vs')).toBe(`${ANIMAL} big`);
    expect((await read(page)).diff.rows.some((r) => r.includes('big'))).toBe(true);
    await expectEmbedsReproduce(session, page, TAG, read);
    expect(problems).toEqual([]);
  });

  it('a phone, dark: the date translator’s cross-attention, both texts’ maps stacked within the screen', async () => {
    const [a, b] = ['23rd of Nov. 2026', '23rd of Dec. 2026'];
    const { page, problems } = await open(`model=dates&view=cross&display=compare&layer=2&head=2&text=${encodeURIComponent(a)}`,
      { width: 390, dark: true });
    await waitForWidget(page, TAG);
    const s = await shownComparison(page, TAG);
    const heads = (text: string) => {
      const w = runShipped(attn, 'dates', text).trace['decoder.layers.1.multihead_attn.weights'];
      const [, , R, C] = w.shape;
      return Array.from(w.data.slice(1 * R * C, 2 * R * C));
    };
    expect(s.labels).toEqual([`First: ${a}`, `Second: ${b}`]); // the date translator's preset second text
    const [A, B] = [heads(a), heads(b)];
    expect(s.first.matrix).toEqual(A);
    expect(s.second.matrix).toEqual(B);
    expect(s.diff.matrix).toEqual(A.map((x, n) => Math.fround(B[n] - x))); // aligned by position
    expect(s.diff.cols).toContain('N → D');
    await expectComparisonLayout(page, TAG, 'stacked');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-compare-phone-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

/** The same tokens, with the engine's probabilities (the page's softmax may round the last bit differently). */
function expectTop(shown: { token: string; prob: number }[], want: { token: string; prob: number }[]) {
  expect(shown.map((x) => x.token)).toEqual(want.map((x) => x.token));
  shown.forEach((x, i) => expect(Math.abs(x.prob - want[i].prob)).toBeLessThan(1e-12));
}

describe('<attn-view display="ablation">', () => {
  it('the top tokens with and without the heads equal the engine in Node with the same head mask; the Embed snippet reproduces it', async () => {
    const text = 'He went to New York. She also went to New';
    const { page, problems } = await open(`model=lm&display=ablation&text=${encodeURIComponent(text)}&off=1.4,3.2`);
    await waitForWidget(page, TAG);
    const read = async (p: Page) => {
      const list = (which: string) => p.locator(`${TAG} ol.next[data-which="${which}"] li`).evaluateAll((lis) =>
        lis.map((li) => ({ token: (li as HTMLElement).dataset.token!, prob: Number((li as HTMLElement).dataset.prob) })));
      return { before: await list('before'), after: await list('after'), change: Number(await p.locator(`${TAG} p.change`).getAttribute('data-change')) };
    };
    const s = loadShipped(attn, 'lm');
    try {
      const ids = [BOS, ...s.tok.encode(text).ids];
      const top5 = (p: number[]) => [...p.keys()].sort((x, y) => p[y] - p[x] || x - y).slice(0, 5).map((i) => ({ token: s.tok.decode([i]), prob: p[i] }));
      const p = softmax(s.model.forward(ids, { trace: 'none' }).logits, ids.length - 1);
      const q = softmax(s.model.forward(ids, { trace: 'none', head_mask: headMask(4, 4, ['1.4', '3.2']) }).logits, ids.length - 1);
      const shown = await read(page);
      expectTop(shown.before, top5(p));
      expectTop(shown.after, top5(q));
      const top = p.indexOf(Math.max(...p));
      expect(shown.change).toBeCloseTo(p[top] - q[top], 6);
      expect(await page.locator(`${TAG} button.head.off`).count()).toBe(2);
      await page.screenshot({ path: path.join(screenshotDir, 'widget-view-ablation.png'), fullPage: true });

      // A head switched on from the grid: off follows.
      await page.locator(`${TAG} button.head[data-layer="0"][data-head="3"]`).click();
      await waitForWidget(page, TAG);
      expect(await attr(page, 'off')).toBe('3.2');
      const r = softmax(s.model.forward(ids, { trace: 'none', head_mask: headMask(4, 4, ['3.2']) }).logits, ids.length - 1);
      expectTop((await read(page)).after, top5(r));
      await expectEmbedsReproduce(session, page, TAG, read);
    } finally {
      s.close();
    }
    expect(problems).toEqual([]);
  });

  it('bad off and ablate get notices, and nothing is switched off', async () => {
    const { page, problems } = await open('model=lm&display=ablation&off=9.9,x&ablate=half');
    await waitForWidget(page, TAG);
    await expect.poll(() => notice(page)).toMatch(/ablate must be zero or mean; using zero\..*off: "9\.9" is outside the model \(4 layers of 4 heads\)\. off: "x" is not a head/);
    expect(await page.locator(`${TAG} button.head.off`).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('a model without ablation says why; an unknown display shows the heatmap with a notice', async () => {
    const untrained = await open('model=untrained&display=ablation');
    await waitForWidget(untrained.page, TAG);
    expect(await notice(untrained.page)).toMatch(/^Switching heads off works on the shipped models: the language model, the tagger and the date translator \(their held-out texts give the heads’ means\), on the lab’s transformer runs and on Hugging Face checkpoints\. Not for the untrained model; set model to lm, tagger or dates, model to lab with a run, or hf to a checkpoint’s folder\.$/);
    const unknown = await open('model=tagger&display=bars');
    await waitForWidget(unknown.page, TAG);
    expect(await notice(unknown.page)).toMatch(/display must be heatmap, lines, model, neuron, compare, ablation; showing the heatmap\./);
    expect(await unknown.page.locator(`${TAG} attn-heatmap.main`).count()).toBe(1);
    expect([...untrained.problems, ...unknown.problems]).toEqual([]);
  });
});

describe('Rollout and Flow as lines', () => {
  it('<attn-view display="lines" head="rollout">: the lines are attn.attentionRollout’s; Flow and a head from the bar', async () => {
    const { page, problems } = await open('model=lm&display=lines&layer=2&head=rollout');
    await waitForWidget(page, TAG);
    const att = stack(runShipped(attn, 'lm', ANIMAL).trace, 'decoder');
    const T = att[0].shape[3];
    const rollout = attn.attentionRollout(att).data.subarray(1 * T * T, 2 * T * T);
    expect(await drawn(page, TAG, '· rollout')).toEqual(summaryLines(rollout, T)); // bit for bit
    const key = page.locator(`${TAG} attn-lines .summary-key`);
    expect((await key.innerText()).replace(/\s+/g, ' ')).toMatch(/^Rollout \(every head, the residual counted\): how much of each key token reaches each position after layers 1 to 2$/);
    expect(await page.locator(`${TAG} attn-lines button.summary-toggle.rollout`).getAttribute('aria-pressed')).toBe('true');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-lines-rollout.png'), fullPage: true });

    // The pinned token's strongest links, written out, are rollout's.
    await page.locator(`${TAG} attn-lines .col.query`).focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    const row = page.locator(`${TAG} attn-lines table.links tr`);
    expect(await row.locator('th').innerText()).toBe('Rollout');
    const first = Number(await row.locator('td.link').first().getAttribute('data-weight'));
    expect(first).toBe(Math.max(...rollout.subarray((T - 1) * T, T * T)));
    expect(await attr(page, 'pin')).toBe(`q${T}`);
    await page.locator(`${TAG} attn-lines .col.query`).focus();
    await page.keyboard.press('Escape');
    await page.locator(`${TAG} attn-lines .col.query`).blur();
    await waitForWidget(page, TAG);
    expect(await attr(page, 'pin')).toBeNull();

    await page.locator(`${TAG} attn-lines button.summary-toggle.flow`).click();
    await waitForWidget(page, TAG);
    expect(await attr(page, 'head')).toBe('flow');
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/head=flow/);
    expect(await drawn(page, TAG, '· flow')).toEqual(summaryLines(attn.attentionFlow(att, { layer: 1 }).data, T));
    // The SVG export says what the lines are.
    const svg: string = await page.evaluate((tag) => (document.querySelector(tag) as any).shadowRoot.querySelector('attn-lines').svg(), TAG);
    expect(svg).toContain('>Flow</text>');
    expect(svg).toContain('data-head="summary"');
    // The Embed snippet and the iframe URL reproduce the flow's lines.
    const flowLines = (p: Page) => drawn(p, TAG, '· flow');
    expect(await expectEmbedsReproduce(session, page, TAG, flowLines)).toContain('head="flow"');

    // A head from the bar: that head's lines, and head follows.
    await page.locator(`${TAG} attn-lines button.head-toggle[data-head="2"]`).click();
    await waitForWidget(page, TAG);
    expect([await attr(page, 'head'), await attr(page, 'line-heads')]).toEqual(['1', '3']);
    const lines = await drawn(page, TAG, '· heads 3');
    expect(lines.every((l) => l.head === 2)).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('the explorer’s Lines display draws Rollout from its head bar, the URL keeps it; the tagger’s flow too', async () => {
    const { page, problems } = await openPage(session, `m=tagger&display=lines&layer=2`);
    await page.locator('attn-explorer attn-lines button.summary-toggle.rollout').click({ timeout: 60000 });
    const text: string = await page.evaluate(() => (document.querySelector('attn-explorer') as any).store.state.analysis.text);
    const att = stack(runShipped(attn, 'tagger', text).trace, 'encoder');
    const T = att[0].shape[3];
    expect(await drawn(page, 'attn-explorer', '· rollout')).toEqual(summaryLines(attn.attentionRollout(att).data.subarray(2 * T * T, 3 * T * T), T));
    await expect.poll(() => page.evaluate(() => location.search), { timeout: 5000 }).toMatch(/head=rollout/);
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-lines-rollout.png'), fullPage: true });
    await page.locator('attn-explorer attn-lines button.summary-toggle.flow').click();
    expect(await drawn(page, 'attn-explorer', '· flow')).toEqual(summaryLines(attn.attentionFlow(att, { layer: 2 }).data, T));
    // "All" goes back to the heads.
    await page.locator('attn-explorer attn-lines button.all').click();
    const heads = await drawn(page, 'attn-explorer', '· all heads');
    expect(new Set(heads.map((l) => l.head))).toEqual(new Set([0, 1, 2, 3]));
    expect(problems).toEqual([]);
  });
});
