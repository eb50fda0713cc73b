// The explorer's Ablation display (#13 item 5) end to end: on the language model, heads switched off in the URL
// (off=1.4,3.2) and from the grid give the top 5 next tokens and the change the engine gives in Node with the same
// head mask; the heads off and the mode round-trip through the URL; a head clicked in the ranking opens in the
// other displays; the untrained model says which models it works on; no console errors.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { openPage, screenshotDir, withBrowserAndEngine, type Session } from './harness';
import { headMask, loadShipped, softmax } from './shipped';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const PANEL = 'attn-explorer attn-ablation-panel';
const TEXT = 'He went to New York. She also went to New';
const BOS = 1;

/** The language model's top 5 next tokens after TEXT with the heads `off` ("layer.head") removed, and P(its first choice with every head). */
function lmInNode(off: string[]) {
  const s = loadShipped(attn, 'lm');
  try {
    const ids = [BOS, ...s.tok.encode(TEXT).ids];
    const next = (o: string[]) => softmax(s.model.forward(ids, { trace: 'none', head_mask: headMask(4, 4, o) }).logits, ids.length - 1);
    const top5 = (p: number[]) => [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, 5).map((i) => ({ token: s.tok.decode([i]), prob: p[i] }));
    const p = next([]);
    const q = next(off);
    const top = p.indexOf(Math.max(...p));
    return { before: top5(p), after: top5(q), change: p[top] - q[top] };
  } finally {
    s.close();
  }
}

/** What the panel shows: the top 5 with every head and without the heads off, and the change. */
async function shown(page: Page) {
  const list = (which: string) => page.locator(`${PANEL} ol.next[data-which="${which}"] li`).evaluateAll((lis) =>
    lis.map((li) => ({ token: (li as HTMLElement).dataset.token!, prob: Number((li as HTMLElement).dataset.prob) })));
  const change = page.locator(`${PANEL} p.change`);
  return { before: await list('before'), after: await list('after'), change: (await change.count()) ? Number(await change.getAttribute('data-change')) : NaN };
}

const offInGrid = (page: Page) => page.locator(`${PANEL} button.head[aria-pressed="false"]`).evaluateAll((b) =>
  b.map((x) => `${Number((x as HTMLElement).dataset.layer) + 1}.${Number((x as HTMLElement).dataset.head) + 1}`));

async function expectNode(page: Page, off: string[]) {
  const want = lmInNode(off);
  await expect.poll(async () => (await shown(page)).after, { timeout: 60000 }).toEqual(want.after);
  const got = await shown(page);
  expect(got.before).toEqual(want.before);
  expect(got.change).toBeCloseTo(want.change, 12);
  expect(await offInGrid(page)).toEqual(off);
}

describe('the explorer: Ablation display', () => {
  it('the language model: heads off in the URL and from the grid equal the engine in Node; URL round trip; the ranking opens a head', async () => {
    const { page, problems } = await openPage(session, `m=lm&display=ablation&off=1.4,3.2&text=${encodeURIComponent(TEXT)}`);
    await expectNode(page, ['1.4', '3.2']);
    expect(await page.locator('attn-explorer #display-tab-ablation').getAttribute('aria-selected')).toBe('true');

    // Switch head 2.1 off in the grid: the URL keeps it, the numbers follow.
    await page.locator(`${PANEL} button.head[data-layer="1"][data-head="0"]`).click();
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.search).get('off'))).toBe('1.4,3.2,2.1');
    await expectNode(page, ['1.4', '2.1', '3.2']);

    // Mean ablation goes to the URL too.
    await page.locator(`${PANEL} fieldset.mode input[value="mean"]`).check();
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.search).get('ablate'))).toBe('mean');

    // The same URL opened again shows the same state.
    const query = await page.evaluate(() => location.search.slice(1));
    const again = await openPage(session, query);
    await again.page.locator(`${PANEL} fieldset.mode input[value="mean"]`).waitFor({ state: 'attached', timeout: 60000 });
    expect(await again.page.locator(`${PANEL} fieldset.mode input[value="mean"]`).isChecked()).toBe(true);
    await expect.poll(() => offInGrid(again.page), { timeout: 60000 }).toEqual(['1.4', '2.1', '3.2']);
    expect(again.problems).toEqual([]);
    await again.page.close();

    // Rank heads, then click the first ranked head: the other displays show its layer and head.
    await page.locator(`${PANEL} fieldset.mode input[value="zero"]`).check();
    await page.locator(`${PANEL} button.rank-btn`).click();
    const first = page.locator(`${PANEL} .ranking li`).first();
    await first.waitFor({ timeout: 60000 });
    const head = (await first.getAttribute('data-head'))!;
    // The ranking is in the URL too: the same URL opened again ranks the heads, the same head first.
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.search).get('rank'))).toBe('1');
    const ranked = await openPage(session, await page.evaluate(() => location.search.slice(1)));
    const firstAgain = ranked.page.locator(`${PANEL} .ranking li`).first();
    await firstAgain.waitFor({ timeout: 60000 });
    expect(await firstAgain.getAttribute('data-head')).toBe(head);
    expect(ranked.problems).toEqual([]);
    await ranked.page.close();
    await first.locator('button.rank-head').click();
    const [l, h] = head.split('.').map(Number);
    await expect.poll(() => page.evaluate(() => {
      const s = (document.querySelector('attn-explorer') as any).store.state;
      return [s.layer + 1, s.head + 1];
    })).toEqual([l, h]);
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-ablation-lm.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the untrained model: a notice says which models it works on', async () => {
    const { page, problems } = await openPage(session, 'm=untrained&display=ablation');
    const notice = page.locator('attn-explorer [role="tabpanel"] .notice');
    await notice.waitFor({ timeout: 60000 });
    expect(await notice.innerText()).toMatch(/language model, the\s+tagger and the date translator/);
    expect(problems).toEqual([]);
    await page.close();
  });
});
