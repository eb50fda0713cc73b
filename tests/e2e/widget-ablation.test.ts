// <attn-ablation> end to end (embed.html?w=attn-ablation&...): heads switched off in the shipped models, and the
// numbers the widget shows equal the engine API in Node with the same head masks: the language model's top 5 next
// tokens before and after and the change in its first choice's probability; the tagger's tags and the probability
// of each original tag (mean ablation, with the means Model.headMeans gives over the held-out texts); the date
// translator's greedy output and the log-probability of its original translation. "Rank heads" equals every head
// removed alone in Node, in the same order. The grid works from the keyboard; the attributes, the URL and the embed
// snippets follow; bad attributes get a notice; the gallery shows it under the strict CSP.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Model } from '../../engine/bindings/attn';
import { TAGS } from '../../web/src/models/catalog';
import { headMask, loadShipped, softmax } from './shipped';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-ablation';
const BOS = 1;
const EOS = 2;
const open = (query: string) => openPage(session, `w=${TAG}&${query}`, { path: 'embed.html', width: 1100, height: 1000 });
const attr = (page: Page, name: string) => page.locator(TAG).getAttribute(name);

// ------------------------------------------------------------------------------------------ the engine in Node
const shipped = (name: 'lm' | 'tagger' | 'dates') => loadShipped(attn, name);
const argmax = (p: number[]) => p.indexOf(Math.max(...p));

const mask = headMask;

/** The means over the held-out texts: the first max_len - 1 tokens of each (the language model's after <bos>; the
 * translator's decoder reading its greedy translation). */
function means(name: 'lm' | 'tagger' | 'dates', s: ReturnType<typeof shipped>) {
  const maxLen = Number(s.model.config.max_len);
  const seqs = s.heldout.map((t) => s.tok.encode(t, { maxTokens: maxLen - 1 }).ids).filter((x) => x.length);
  const tgts = name === 'dates' ? seqs.map((ids) => [BOS, ...s.model.greedy(ids, { max_len: 12, trace: 'none' }).tokens]) : undefined;
  return s.model.headMeans(name === 'lm' ? seqs.map((x) => [BOS, ...x]) : seqs, tgts);
}

/** log P(translation) teacher-forced, the translation ending in <eos>. */
function logprob(m: Model, src: Int32Array, tokens: number[], opts: object) {
  const targets = [...tokens, EOS];
  const out = m.forward(src, { tgt: [BOS, ...tokens], trace: 'none', ...opts });
  return targets.reduce((s, id, i) => s + Math.log(softmax(out.logits, i)[id]), 0);
}

// ---------------------------------------------------------------------------------------------- the page
async function shownLm(page: Page) {
  const list = (which: string) => page.locator(`${TAG} ol.next[data-which="${which}"] li`).evaluateAll((lis) =>
    lis.map((li) => ({ token: (li as HTMLElement).dataset.token!, prob: Number((li as HTMLElement).dataset.prob) })));
  return { before: await list('before'), after: await list('after'), change: Number(await page.locator(`${TAG} p.change`).getAttribute('data-change')) };
}

async function shownRanking(page: Page) {
  await page.locator(`${TAG} .ranking li`).first().waitFor();
  return page.locator(`${TAG} .ranking li`).evaluateAll((lis) =>
    lis.map((li) => ({ head: (li as HTMLElement).dataset.head!, change: Number((li as HTMLElement).dataset.change) })));
}

describe('<attn-ablation>', () => {
  it('the language model: top 5 before and after and the change equal the engine in Node; Rank heads equals Node\'s ranking', async () => {
    const text = 'He went to New York. She also went to New';
    const { page, problems } = await open(`model=lm&text=${encodeURIComponent(text)}&off=1.4,3.2`);
    await waitForWidget(page, TAG);
    const s = shipped('lm');
    try {
      const ids = [BOS, ...s.tok.encode(text).ids];
      const T = ids.length;
      const top5 = (p: number[]) => [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, 5).map((i) => ({ token: s.tok.decode([i]), prob: p[i] }));
      const p = softmax(s.model.forward(ids, { trace: 'none' }).logits, T - 1);
      const q = softmax(s.model.forward(ids, { trace: 'none', head_mask: mask(4, 4, ['1.4', '3.2']) }).logits, T - 1);
      const shown = await shownLm(page);
      expect(shown.before).toEqual(top5(p));
      expect(shown.after).toEqual(top5(q));
      expect(shown.before[0].token).toBe(' York');
      const top = argmax(p);
      expect(shown.change).toBeCloseTo(p[top] - q[top], 12);
      expect(await page.locator(`${TAG} p.change`).innerText()).toMatch(/P\(“York”\), the full model's first choice: 48\.\d% → 37\.\d% \(−10\.\d points\)/);
      // The grid: those two heads are off.
      expect(await page.locator(`${TAG} button.head[aria-pressed="false"]`).evaluateAll((b) => b.map((x) => `${Number((x as HTMLElement).dataset.layer) + 1}.${Number((x as HTMLElement).dataset.head) + 1}`))).toEqual(['1.4', '3.2']);
      // Rank heads: every head alone, sorted by the drop in P(York).
      await page.locator(`${TAG} button.rank-btn`).click();
      await waitForWidget(page, TAG);
      expect(await attr(page, 'rank')).toBe('true');
      await expect.poll(() => page.evaluate(() => location.search)).toMatch(/rank=true/);
      const want: { head: string; change: number }[] = [];
      for (let l = 1; l <= 4; l++)
        for (let h = 1; h <= 4; h++) {
          const r = softmax(s.model.forward(ids, { trace: 'none', head_mask: mask(4, 4, [`${l}.${h}`]) }).logits, T - 1);
          want.push({ head: `${l}.${h}`, change: p[top] - r[top] });
        }
      want.sort((a, b) => b.change - a.change);
      const ranking = await shownRanking(page);
      expect(ranking.map((r) => r.head)).toEqual(want.map((w) => w.head));
      ranking.forEach((r, i) => expect(r.change).toBeCloseTo(want[i].change, 12));
      expect(ranking[0].head).toBe('1.4');
      await page.screenshot({ path: path.join(screenshotDir, 'widget-ablation-lm.png'), fullPage: true });
      // Clicking a ranked head switches it off (or on again).
      await page.locator(`${TAG} .ranking li[data-head="2.1"] button.rank-head`).click();
      await waitForWidget(page, TAG);
      expect(await attr(page, 'off')).toBe('1.4,3.2,2.1');
    } finally {
      s.close();
    }
    expect(problems).toEqual([]);
  });

  it('the grid works from the keyboard: arrows move, Space switches a head off and on; the URL and the embeds follow', async () => {
    const { page, problems } = await open('model=lm');
    await waitForWidget(page, TAG);
    const first = page.locator(`${TAG} button.head[data-layer="0"][data-head="0"]`);
    await first.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'off')).toBe('2.2');
    const cell = page.locator(`${TAG} button.head[data-layer="1"][data-head="1"]`);
    expect(await cell.getAttribute('aria-pressed')).toBe('false');
    expect(await cell.evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).toBe(true);
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/off=2\.2/);
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'off')).toBe('2.2,2.4');
    await page.keyboard.press('Enter');
    await waitForWidget(page, TAG);
    expect(await attr(page, 'off')).toBe('2.2');
    await expectEmbedsReproduce(session, page, TAG, async (p) => (await shownLm(p)).after);
    await page.locator(`${TAG} button.all-on`).click();
    await waitForWidget(page, TAG);
    expect(await attr(page, 'off')).toBe('');
    expect(problems).toEqual([]);
  });

  it('the tagger with mean ablation: tags and the original tags\' probabilities equal the engine in Node', async () => {
    const text = 'She will book a flight after she reads the book.';
    const { page, problems } = await open(`model=tagger&mode=mean&off=1.1,2.3,3.2`);
    await waitForWidget(page, TAG);
    const s = shipped('tagger');
    try {
      const ids = s.tok.encode(text, { maxTokens: 128 }).ids;
      const before = s.model.forward(ids, { trace: 'none' }).logits;
      const after = s.model.forward(ids, { trace: 'none', head_mask: mask(3, 4, ['1.1', '2.3', '3.2']), ...means('tagger', s) }).logits;
      const rows = await page.locator(`${TAG} table.tags tbody tr`).evaluateAll((trs) =>
        trs.map((tr) => ({ before: (tr as HTMLElement).dataset.before, after: (tr as HTMLElement).dataset.after, original: Number((tr as HTMLElement).dataset.original) })));
      expect(rows.length).toBe(ids.length);
      let drop = 0;
      rows.forEach((r, i) => {
        const p = softmax(before, i);
        const q = softmax(after, i);
        expect(r.before).toBe(TAGS[argmax(p)].tag);
        expect(r.after).toBe(TAGS[argmax(q)].tag);
        expect(r.original).toBeCloseTo(q[argmax(p)], 12);
        drop += p[argmax(p)] - q[argmax(p)];
      });
      const change = page.locator(`${TAG} p.change`);
      expect(Number(await change.getAttribute('data-change'))).toBeCloseTo(drop / rows.length, 12);
      expect(Number(await change.getAttribute('data-changed'))).toBe(rows.filter((r) => r.before !== r.after).length);
      expect(await page.locator(`${TAG} fieldset.mode input[value="mean"]`).isChecked()).toBe(true);
      await page.screenshot({ path: path.join(screenshotDir, 'widget-ablation-tagger.png'), fullPage: true });
    } finally {
      s.close();
    }
    expect(problems).toEqual([]);
  });

  it('the date translator: the output without a decoder head and the log-probabilities equal the engine in Node; its ranking too', async () => {
    const text = 'Monday, November 23, 2026';
    const { page, problems } = await open(`model=dates&text=${encodeURIComponent(text)}&off=d1.2&rank=true`);
    await waitForWidget(page, TAG);
    const s = shipped('dates');
    try {
      const src = s.tok.encode(text, { maxTokens: 47 }).ids;
      const full = s.model.greedy(src, { max_len: 12, trace: 'none' });
      const opts = { decoder_head_mask: mask(2, 4, ['1.2']) };
      const ablated = s.model.greedy(src, { max_len: 12, trace: 'none', ...opts });
      const str = (t: Int32Array) => Array.from(t, (id) => s.tok.decode([id])).join('');
      expect(await page.locator(`${TAG} dd.out[data-which="before"]`).innerText()).toBe(str(full.tokens));
      expect(await page.locator(`${TAG} dd.out[data-which="after"]`).innerText()).toBe(str(ablated.tokens));
      expect(str(full.tokens)).toBe('2026-11-23');
      expect(await page.locator(`${TAG} dd.out[data-which="after"] mark`).count()).toBeGreaterThan(0);
      const change = page.locator(`${TAG} p.change`);
      const lpBefore = logprob(s.model, src, Array.from(full.tokens), {});
      const lpAfter = logprob(s.model, src, Array.from(full.tokens), opts);
      expect(Number(await change.getAttribute('data-before'))).toBeCloseTo(lpBefore, 9);
      expect(Number(await change.getAttribute('data-after'))).toBeCloseTo(lpAfter, 9);
      // The ranking: each of the 24 heads alone, by the drop in log P(2026-11-23).
      const want: { head: string; change: number }[] = [];
      for (const [prefix, name] of [['e', 'head_mask'], ['d', 'decoder_head_mask'], ['c', 'cross_attn_head_mask']] as const)
        for (let l = 1; l <= 2; l++)
          for (let h = 1; h <= 4; h++)
            want.push({ head: `${prefix}${l}.${h}`, change: lpBefore - logprob(s.model, src, Array.from(full.tokens), { [name]: mask(2, 4, [`${l}.${h}`]) }) });
      const ranking = await shownRanking(page);
      expect(ranking.length).toBe(24);
      ranking.forEach((r) => expect(r.change).toBeCloseTo(want.find((w) => w.head === r.head)!.change, 9));
      expect(ranking.map((r) => r.change)).toEqual([...ranking.map((r) => r.change)].sort((a, b) => b - a));
      expect(ranking[0].head).toBe('d1.2');
      expect(await page.locator(`${TAG} .grid-title`).allInnerTexts()).toEqual(['Encoder self-attention', 'Decoder self-attention', 'Cross-attention']);
      await page.screenshot({ path: path.join(screenshotDir, 'widget-ablation-dates.png'), fullPage: true });
    } finally {
      s.close();
    }
    expect(problems).toEqual([]);
  });

  it('bad attributes get a notice and are left out', async () => {
    const { page, problems } = await open('model=dates&off=9.9,e1.1,x,d3.1&mode=bogus');
    await waitForWidget(page, TAG);
    const notice = await page.locator(`${TAG} .notice`).innerText();
    expect(notice).toMatch(/mode must be zero or mean/);
    expect(notice).toMatch(/"9\.9" is not a head of the translator/);
    expect(notice).toMatch(/"x" is not a head/);
    expect(notice).toMatch(/"d3\.1" is outside the model \(2 layers of 4 heads\)/);
    expect(await page.locator(`${TAG} button.head[aria-pressed="false"]`).count()).toBe(1); // e1.1
    expect(problems).toEqual([]);
  });

  it('the gallery shows it as an element and as an iframe, under the strict CSP', async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', width: 1200, height: 1000 });
    const el = page.locator(`section#ablation ${TAG}`);
    await el.scrollIntoViewIfNeeded();
    await waitForWidget(page, `section#ablation ${TAG}`);
    await page.locator(`section#ablation ${TAG} .ranking li`).first().waitFor({ timeout: 60000 });
    expect(await page.locator(`section#ablation ${TAG} .ranking li`).first().getAttribute('data-head')).toBe('1.4');
    const frame = page.frameLocator('section#ablation iframe');
    await frame.locator(`${TAG} dd.out[data-which="after"]`).waitFor({ timeout: 60000 });
    await expect.poll(() => frame.locator(`${TAG} dd.out[data-which="after"]`).innerText(), { timeout: 30000 }).toBe('20266-133333');
    await el.screenshot({ path: path.join(screenshotDir, 'widget-ablation-gallery.png') });
    expect(problems).toEqual([]);
  });
});
