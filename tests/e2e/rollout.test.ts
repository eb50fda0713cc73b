// Attention rollout and flow in the page (#13 item 4), end to end: the head picker's Rollout and Flow on the
// language model, the tagger, the date translator's encoder and a Hugging Face model; the numbers the heatmap
// paints equal attn.attentionRollout / attn.attentionFlow called in Node on the same model files and text; the URL
// keeps the choice; flow beyond its token limit says so; <attn-view head="flow">.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import { hoverCell, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
import { runShipped } from './shipped';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const LM_TEXT = "The animal didn't cross the street because it was too tired";

/** One self-attention stack's weights from a forward trace, one [1, H, T, T] tensor per layer. */
function stack(trace: Record<string, Tensor>, prefix: string): Tensor[] {
  const out: Tensor[] = [];
  for (let l = 0; trace[`${prefix}.layers.${l}.self_attn.weights`]; l++) out.push(trace[`${prefix}.layers.${l}.self_attn.weights`]);
  return out;
}

/** What the engine in Node says the heatmap should show after `layer` (0-based). */
function expected(att: Tensor[], kind: 'rollout' | 'flow', layer: number): number[] {
  const T = att[0].shape[att[0].shape.length - 1];
  if (kind === 'flow') return Array.from(attn.attentionFlow(att, { layer }).data);
  return Array.from(attn.attentionRollout(att).data.subarray(layer * T * T, (layer + 1) * T * T));
}

/** The matrix the main heatmap (of the explorer, or of a widget `host`) paints, once its caption names `kind`. */
async function painted(page: Page, kind: string, host = 'attn-explorer'): Promise<number[]> {
  const handle = await page.waitForFunction(
    ([h, k]) => {
      const el = document.querySelector(h) as any;
      const map = el?.shadowRoot?.querySelector('attn-heatmap.main') as any;
      if (!map?.matrix || !map.caption.endsWith(` · ${k}`) || el.store?.state.busy || el.busy) return undefined;
      // The explorer keeps the last rollout or flow (with its own tokens) while a new text's is computed: wait for the
      // current view's.
      const s = el.store?.state;
      const v = s && (s.analysis.views.find((x: any) => x.name === s.view) ?? s.analysis.views[0]);
      if (v && map.rowLabels !== v.rows) return undefined;
      return Array.from(map.matrix as Float32Array);
    },
    [host, kind] as const,
    { timeout: 60000 },
  );
  return (await handle.jsonValue()) as number[];
}

async function waitForText(page: Page, text: string) {
  await page.waitForFunction((t) => {
    const s = (document.querySelector('attn-explorer') as any)?.store.state;
    return s && s.analysis?.model === s.model && s.analysis.text === t && !s.busy;
  }, text, { timeout: 60000 });
}

const explanation = (page: Page) => page.locator('attn-explorer p.explain').innerText();

describe('explorer: Rollout and Flow', () => {
  it('language model: rollout and flow equal the engine in Node, the URL keeps them, a reload shows them again', async () => {
    const { page, problems } = await openPage(session, `m=lm&layer=1&text=${encodeURIComponent(LM_TEXT)}`);
    await waitForText(page, LM_TEXT);
    const att = stack(runShipped(attn, 'lm', LM_TEXT).trace, 'decoder');
    const T = att[0].shape[3];

    await page.locator('button.layers-summary.rollout').click();
    const rollout = await painted(page, 'rollout');
    expect(rollout).toEqual(expected(att, 'rollout', 1));
    expect(await page.locator('button.layers-summary.rollout').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('button.head.mean').getAttribute('aria-pressed')).toBe('false');
    expect(await explanation(page)).toMatch(/^Rollout: row i is how much each input token/);
    // The read-out gives the same float, and the row sums to 1.
    await page.locator('attn-heatmap.main').scrollIntoViewIfNeeded();
    const cell = await hoverCell(page, 4, 1);
    expect(cell.value).toBe(rollout[4 * T + 1]);
    expect(cell.text).toMatch(/row sum (1\.0000|0\.9999)\d\d/);
    // Causal: nothing reaches a position from a later token.
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) expect(rollout[i * T + j]).toBe(0);
    await page.screenshot({ path: path.join(screenshotDir, 'rollout-lm.png'), fullPage: true });

    // Another layer keeps the choice.
    await page.locator('button.layer', { hasText: '2' }).click();
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.layer === 1);
    expect(await painted(page, 'rollout')).toEqual(expected(att, 'rollout', 1));
    await page.locator('button.layer', { hasText: '1' }).click();
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.layer === 0);
    expect(await painted(page, 'rollout')).toEqual(expected(att, 'rollout', 0));

    await page.locator('button.layers-summary.flow').click();
    expect(await painted(page, 'flow')).toEqual(expected(att, 'flow', 0));
    await page.locator('button.layer', { hasText: '2' }).click();
    const flow = await painted(page, 'flow');
    expect(flow).toEqual(expected(att, 'flow', 1));
    expect(await explanation(page)).toMatch(/^Flow: row i is the maximum flow from each input token/);
    await page.screenshot({ path: path.join(screenshotDir, 'flow-lm.png'), fullPage: true });

    // The URL follows, and opening it shows the same picture.
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/head=flow/);
    const query = await page.evaluate(() => location.search.slice(1));
    expect(query).toMatch(/layer=1/);
    const again = await openPage(session, query);
    await waitForText(again.page, LM_TEXT);
    expect(await painted(again.page, 'flow')).toEqual(flow);
    expect(await again.page.locator('button.layers-summary.flow').getAttribute('aria-pressed')).toBe('true');

    // A head picks the head again.
    await page.locator('button.head', { hasText: '2' }).first().click();
    await page.waitForFunction(() => {
      const s = (document.querySelector('attn-explorer') as any).store.state;
      return s.summary === undefined && s.head === 1;
    });
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/head=1/);
    expect(problems).toEqual([]);
    expect(again.problems).toEqual([]);
  });

  it('tagger (bidirectional) from a link: flow and rollout equal the engine in Node', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const { page, problems } = await openPage(session, `m=tagger&head=flow&text=${encodeURIComponent(text)}`);
    await waitForText(page, text);
    const att = stack(runShipped(attn, 'tagger', text).trace, 'encoder');
    const flow = await painted(page, 'flow');
    expect(flow).toEqual(expected(att, 'flow', 0));
    const T = att[0].shape[3];
    for (let i = 0; i < T; i++) expect(flow.slice(i * T, (i + 1) * T).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await page.locator('button.layers-summary.rollout').click();
    await page.locator('button.layer').last().click();
    expect(await painted(page, 'rollout')).toEqual(expected(att, 'rollout', att.length - 1));
    await page.screenshot({ path: path.join(screenshotDir, 'rollout-tagger.png'), fullPage: true });
    // Another text: rollout follows it.
    const text2 = 'Time flies like an arrow.';
    await page.locator('attn-explorer textarea').fill(text2);
    await waitForText(page, text2);
    const att2 = stack(runShipped(attn, 'tagger', text2).trace, 'encoder');
    expect(await painted(page, 'rollout')).toEqual(expected(att2, 'rollout', att2.length - 1));
    expect(problems).toEqual([]);
  });

  it('date translator: rollout of the encoder; cross-attention offers no Rollout and shows the heads', async () => {
    const date = '23rd of Nov. 2026';
    const { page, problems } = await openPage(session, `m=dates&view=encoder&head=rollout&text=${encodeURIComponent(date)}`);
    await waitForText(page, date);
    const att = stack(runShipped(attn, 'dates', date).trace, 'encoder');
    expect(await painted(page, 'rollout')).toEqual(expected(att, 'rollout', 0));
    await page.locator('button.view[data-view="cross"]').click();
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.view === 'cross');
    expect(await page.locator('button.layers-summary').count()).toBe(0);
    await page.waitForFunction(() => {
      const map = (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('attn-heatmap.main');
      return map?.caption.includes('Cross-attention') && map.caption.endsWith('mean of all heads');
    });
    expect(problems).toEqual([]);
  });

  it('flow beyond its token limit says so in place of the heatmap; rollout still shows', async () => {
    // The untrained model with 6 layers: flow takes up to maxFlowTokens(6) tokens.
    const limit = attn.maxFlowTokens(6);
    const text = Array.from({ length: limit + 3 }, (_, i) => `w${i}`).join(' ');
    const { page, problems } = await openPage(session, `m=untrained&n=6&layer=5&head=flow&text=${encodeURIComponent(text)}`);
    await waitForText(page, text);
    const note = page.locator('attn-explorer .summary-note');
    await note.waitFor({ timeout: 60000 });
    expect(await note.innerText()).toContain(`Flow is not shown: attention flow through 6 layers takes at most ${limit} tokens, and there are ${limit + 3}`);
    await page.screenshot({ path: path.join(screenshotDir, 'flow-limit.png'), fullPage: true });
    await page.locator('button.layers-summary.rollout').click();
    expect((await painted(page, 'rollout')).length).toBe((limit + 3) ** 2);
    expect(problems).toEqual([]);
  });

  it('GPT-2 (a Hugging Face model): rollout and flow of its attentions equal the engine in Node', async () => {
    const { page, problems } = await openPage(session, 'hf=/hf-fixtures/gpt2/&head=rollout');
    await page.waitForFunction(() => {
      const s = (document.querySelector('attn-explorer') as any)?.store.state;
      return s?.analysis?.model === 'hf' && s.analysis.text === s.texts.hf && !s.busy;
    }, undefined, { timeout: 60000 });
    const text: string = await page.evaluate(() => (document.querySelector('attn-explorer') as any).store.state.analysis.text);
    // The model's own output, as Hugging Face names it: attentions, one [1, H, T, T] per layer.
    const dir = path.join(root, 'tests/fixtures/hf/models/gpt2');
    const model = attn.loadHuggingFace(Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))])));
    let att: Tensor[];
    try {
      att = model.forward({ input_ids: model.tokenizer!.encode(text).ids }, { logits: 'none' }).attentions!;
    } finally {
      model.delete();
    }
    expect(await painted(page, 'rollout')).toEqual(expected(att, 'rollout', 0));
    await page.locator('button.layers-summary.flow').click();
    await page.locator('button.layer').last().click();
    expect(await painted(page, 'flow')).toEqual(expected(att, 'flow', att.length - 1));
    await page.screenshot({ path: path.join(screenshotDir, 'flow-gpt2.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe('<attn-view head="flow">', () => {
  it('paints the engine’s flow, and its head menu switches to rollout', async () => {
    const { page, problems } = await openPage(session, `w=attn-view&model=lm&layer=2&head=flow&text=${encodeURIComponent(LM_TEXT)}`,
      { path: 'embed.html', width: 1000 });
    await waitForWidget(page, 'attn-view');
    const att = stack(runShipped(attn, 'lm', LM_TEXT).trace, 'decoder');
    expect(await painted(page, 'flow', 'attn-view')).toEqual(expected(att, 'flow', 1));
    expect(await page.locator('attn-view p.explain').innerText()).toMatch(/^Flow: /);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-view-flow.png'), fullPage: true });
    await page.locator('attn-view select.head').selectOption('rollout');
    await waitForWidget(page, 'attn-view');
    expect(await page.locator('attn-view').getAttribute('head')).toBe('rollout');
    expect(await painted(page, 'rollout', 'attn-view')).toEqual(expected(att, 'rollout', 1));
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/head=rollout/);
    expect(problems).toEqual([]);
  });
});
