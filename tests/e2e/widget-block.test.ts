// <attn-block> end to end (embed.html?w=attn-block, and the gallery): every matrix the widget shows equals the
// engine API run in Node on the same inputs (seeded-layers.ts), bit for bit; the rows an edit changes are outlined
// on the right heatmap rows (the token's row up to q, k, v; every row from the encoder's attention weights on; the
// edited row and the later ones in the decoder); the controls and the URL agree; bad attributes give notices and
// a working widget; no console errors or CSP violations. In training mode, its PyTorch script run with PyTorch
// (python3-torch) prints the numbers it shows.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import {
  blockDecoderCall,
  blockEncoderCall,
  blockInput,
  blockStages,
  blockWords,
  joinHeads,
  type BlockOptions,
} from '../../web/src/widgets/seeded-layers';
import { close, requireTorch, shownBy } from '../web/python';
import { openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';

let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const TAG = 'attn-block';
const SRC = 'le chat est assis sur le tapis';

interface Shown {
  key: string;
  changed: string;
  spread: string;
  panels: { name: string; label: string; rows: number; cols: number; data: string[]; outlined: number[]; outlineOk: boolean }[];
}

/** Every card: its trace key, changed / spread rows, and each heatmap's exact numbers and outlined rows (with a
 * check that each outline sits over its heatmap row). */
async function shown(page: Page): Promise<{ cards: Shown[]; summary: string; notice: string }> {
  await waitForWidget(page, TAG);
  await page.waitForTimeout(100); // the outlines are placed a frame after the heatmaps draw
  return page.evaluate((tag) => {
    const root = (document.querySelector(tag) as HTMLElement).shadowRoot!;
    const cards = Array.from(root.querySelectorAll<HTMLElement>('article.card'), (c) => ({
      key: c.dataset.key ?? '',
      changed: c.dataset.changed ?? '',
      spread: c.dataset.spread ?? '',
      panels: Array.from(c.querySelectorAll<HTMLElement>('.panel'), (p) => {
        const map = p.querySelector('attn-heatmap') as any;
        const canvas = map.shadowRoot.querySelector('canvas.plot-canvas') as HTMLElement;
        const box = canvas.getBoundingClientRect();
        const outlines = Array.from(p.querySelectorAll<HTMLElement>('.row-hl'));
        const outlineOk = outlines.every((o) => {
          const r = o.getBoundingClientRect();
          const mid = (r.top + r.bottom) / 2;
          const row = Number(o.dataset.row);
          return Math.abs(mid - (box.top + (row + 0.5) * (box.height / map.rows))) < 2 && r.width >= box.width;
        });
        return {
          name: p.dataset.name ?? '',
          label: p.dataset.label ?? '',
          rows: map.rows,
          cols: map.cols,
          data: Array.from(map.matrix as Float32Array, String),
          outlined: outlines.map((o) => Number(o.dataset.row)),
          outlineOk,
        };
      }),
    }));
    const text = (s: string) => (root.querySelector(s) as HTMLElement | null)?.innerText ?? '';
    return { cards, summary: text('.summary'), notice: text('.notice') };
  }, TAG);
}

/** What the widget should show for these options, from the engine API in Node: each card's panels' numbers. */
function expected(o: BlockOptions, sentence: string) {
  const words = blockWords(sentence).words;
  const src = blockWords(SRC).words;
  const pe = attn.positionalEncoding(Math.max(words.length, 6, o.layer === 'decoder' ? src.length : 0), o.d).data;
  let trace: Record<string, Tensor>;
  if (o.layer === 'decoder') {
    const memory = attn.transformerEncoderLayer(blockEncoderCall(o, blockInput(src, o.d, pe), true)).output;
    trace = attn.transformerDecoderLayer(blockDecoderCall(o, blockInput(words, o.d, pe), memory)).trace;
  } else trace = attn.transformerEncoderLayer(blockEncoderCall(o, blockInput(words, o.d, pe))).trace;
  const L = words.length;
  const H = o.nhead;
  return blockStages(o.layer, o.normFirst).map((s) => {
    const S = s.part === 'cross' ? src.length : L;
    let panels: Float32Array[];
    if (s.kind === 'qkv') panels = (['q', 'k', 'v'] as const).map((w) => joinHeads(trace[`${s.key}.${w}`].data, H, w === 'q' ? L : S, o.d / H));
    else if (s.kind === 'weights') panels = Array.from({ length: H }, (_, h) => trace[s.key].data.slice(h * L * S, (h + 1) * L * S));
    else panels = [trace[s.key].data];
    return { key: s.key, panels: panels.map((p) => Array.from(p, String)) };
  });
}

const defaults: BlockOptions = { layer: 'encoder', normFirst: false, d: 8, nhead: 2, F: 16, activation: 'relu', p: 0.1, training: false };

function numbersOf(cards: Shown[]) {
  return cards.filter((c) => c.key !== 'memory').map((c) => ({ key: c.key, panels: c.panels.map((p) => p.data) }));
}

describe('attn-block widget', () => {
  it('shows the engine’s numbers for every step, and outlines the rows the edit changed', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}`, { path: 'embed.html', width: 1280 });
    let got = await shown(page);
    expect(numbersOf(got.cards)).toEqual(expected(defaults, 'the cat sat on the mat'));
    const card = (key: string) => got.cards.find((c) => c.key === key)!;
    // "the dog sat…" → "the cat sat…": token 1. Row 1 only through q, k, v; attention spreads it to every row.
    expect(card('input').changed).toBe('1');
    expect(card('input').panels[0].outlined).toEqual([1]);
    expect(card('self_attn').panels.map((p) => p.outlined)).toEqual([[1], [1], [1]]);
    expect(card('self_attn.weights').changed).toBe('0,1,2,3,4,5');
    expect(card('self_attn.weights').spread).toBe('0,2,3,4,5');
    for (const k of ['ff.pre', 'ff.hidden', 'ff.output']) {
      expect(card(k).changed).toBe('0,1,2,3,4,5');
      expect(card(k).spread).toBe(''); // the FFN spreads nothing
    }
    expect(got.cards.every((c) => c.panels.every((p) => p.outlineOk))).toBe(true);
    expect(got.summary).toMatch(/“dog” → “cat”.*Self-attention spread it to all 6 rows.*feed-forward network changed all 6 rows, exactly the rows whose input had changed/s);
    // Shapes and module names are on the cards.
    expect(await page.locator(`${TAG} article.card[data-key="ff.pre"] .shape`).innerText()).toBe('[6, 16]');
    expect(await page.locator(`${TAG} article.card[data-key="ff.output"] .module`).innerText()).toBe('linear2');
    await page.screenshot({ path: path.join(screenshotDir, 'widget-block.png'), fullPage: true });

    // Swap word 3 ("on"): the shown sentence becomes the comparison; only row 3 until the weights.
    await page.locator(`${TAG} button.chip[data-index="3"]`).click();
    got = await shown(page);
    const url = new URL(page.url());
    expect(url.searchParams.get('sentence')).toBe('the cat sat dog the mat');
    expect(url.searchParams.get('compare')).toBe('the cat sat on the mat');
    expect(card('input').changed).toBe('3');
    expect(card('self_attn').changed).toBe('3');
    expect(card('self_attn.weights').changed).toBe('0,1,2,3,4,5');

    // Decoder, pre-norm, GELU: the causal mask keeps rows 0-2 the same everywhere.
    await page.locator(`${TAG} button.layer-decoder`).click();
    await page.locator(`${TAG} button.pre`).click();
    await page.locator(`${TAG} button.act-gelu`).click();
    got = await shown(page);
    const dec = { ...defaults, layer: 'decoder' as const, normFirst: true, activation: 'gelu' as const };
    expect(numbersOf(got.cards)).toEqual(expected(dec, 'the cat sat dog the mat'));
    expect(got.cards.map((c) => c.key).slice(0, 3)).toEqual(['input', 'norm1.out', 'self_attn']);
    for (const c of got.cards.filter((x) => x.key !== 'memory' && x.key !== 'input' && x.key !== 'norm1.out' && x.key !== 'self_attn')) expect([c.key, c.changed]).toEqual([c.key, '3,4,5']);
    expect(card('multihead_attn').panels.map((p) => p.outlined)).toEqual([[3, 4, 5], [], []]); // k, v: the memory
    expect(got.summary).toMatch(/causal mask.*rows 0–2 stay exactly the same/s);
    expect(got.cards.every((c) => c.panels.every((p) => p.outlineOk))).toBe(true);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-block-decoder.png'), fullPage: true });

    // Training: dropout draws the same for both runs; the numbers still equal the engine's with the same seed.
    await page.locator(`${TAG} button.train`).click();
    got = await shown(page);
    expect(numbersOf(got.cards)).toEqual(expected({ ...dec, training: true }, 'the cat sat dog the mat'));
    expect(await page.locator(`${TAG} .mode-note`).innerText()).toMatch(/same draws/);
    // Its PyTorch script (training mode: the engine's dropout draws replayed), run with PyTorch, prints what it shows.
    requireTorch();
    const script = await page.evaluate((tag) => (document.querySelector(tag) as HTMLElement & { pytorchScript(): string }).pytorchScript(), TAG);
    expect(script).toContain('layer.train()');
    const printed = shownBy(script);
    for (const c of numbersOf(got.cards)) {
      const names = c.key === 'self_attn' || c.key === 'multihead_attn' ? ['q', 'k', 'v'].map((w) => `${c.key}.${w}`) : [c.key];
      const panels = names.length > 1 ? c.panels : [c.panels.flat()]; // a weights card: one panel per head
      names.forEach((name, i) => close(name, printed[name], panels[i].map(Number)));
    }
    await page.locator(`${TAG} button.eval`).click();
    await waitForWidget(page, TAG);
    expect(await page.locator(`${TAG} .mode-note`).innerText()).toMatch(/dropout is the identity/);

    // The URL reproduces the state exactly.
    const again = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await again.goto(page.url());
    expect(numbersOf((await shown(again)).cards)).toEqual(numbersOf((await shown(page)).cards));
    await again.close();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sizes from the controls; bad attribute values give notices and a working widget', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}&d-model=12&nhead=3&dim-feedforward=24&compare=`, { path: 'embed.html' });
    let got = await shown(page);
    expect(numbersOf(got.cards)).toEqual(expected({ ...defaults, d: 12, nhead: 3, F: 24 }, 'the cat sat on the mat'));
    expect(got.summary).toMatch(/No comparison/);
    expect(got.cards.every((c) => c.panels.every((p) => p.outlined.length === 0))).toBe(true);
    // nhead must divide d_model, typed in the control.
    await page.locator(`${TAG} label.nhead input`).fill('5');
    await page.locator(`${TAG} label.nhead input`).press('Enter');
    got = await shown(page);
    expect(got.notice).toMatch(/nhead \(5\) must divide d_model \(12\).*Using 4 heads/);
    expect(new URL(page.url()).searchParams.get('nhead')).toBe('4');
    expect(got.cards.find((c) => c.key === 'self_attn.weights')!.panels).toHaveLength(4);
    expect(problems).toEqual([]);
    await page.close();

    const bad = await openPage(session, `w=${TAG}&sentence=&layer=transformer&activation=tanh&dropout=2&d-model=64&nhead=x&dim-feedforward=500`, { path: 'embed.html' });
    got = await shown(bad.page);
    expect(got.notice).toMatch(/sentence is empty.*layer must be.*activation must be.*d_model is at most 32.*dim_feedforward is at most 64.*nhead must be a whole number.*dropout must be/s);
    expect(numbersOf(got.cards)).toEqual(expected({ ...defaults, d: 32, nhead: 2, F: 64 }, 'the cat sat on the mat'));
    const long = await openPage(session, `w=${TAG}&sentence=${encodeURIComponent('a b c d e f g h i j k l m n')}`, { path: 'embed.html' });
    got = await shown(long.page);
    expect(got.notice).toMatch(/more than 12 words/);
    expect(got.cards[0].panels[0].rows).toBe(12);
    expect([...bad.problems, ...long.problems]).toEqual([]);
    await bad.page.close();
    await long.page.close();
  });

  it('reads well on a narrow screen: nothing wider than the page', async () => {
    const { page, problems } = await openPage(session, `w=${TAG}&layer=decoder`, { path: 'embed.html', width: 390, height: 800 });
    await shown(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(screenshotDir, 'widget-block-narrow.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders in the gallery', async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html', width: 1280 });
    await page.locator(TAG).scrollIntoViewIfNeeded();
    const got = await shown(page);
    expect(numbersOf(got.cards)).toEqual(expected(defaults, 'the cat sat on the mat'));
    expect(problems).toEqual([]);
    await page.close();
  });
});
