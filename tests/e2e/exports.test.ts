// The Export menu exports what each display shows (#13), end to end (embed.html?w=attn-view&model=lm&display=…):
// the files are downloaded through the menu, parsed, and their numbers compared with the engine API in Node on the
// same model files and text: rollout's and flow's matrix (attn.attentionRollout / attentionFlow); the neuron view's
// q, k, q ⊙ k, scores, scaled scores, softmax row and head; the comparison's two texts and second − first; the
// ablation's top tokens with and without the heads, its change and its ranking; the model view's every layer × head
// and its line pictures as SVG. <attn-ablation> exports its outcome before "Rank heads", and the ranking after.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import type { AttentionView } from '../../web/src/engine/protocol';
import { difference } from '../../web/src/components/compare-parts';
import { THUMB_MIN_WEIGHT } from '../../web/src/components/model-view';
import { TAGS } from '../../web/src/models/catalog';
import { selectedMatrix } from '../../web/src/state/store';
import { openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
import { blockOf } from './neuron-shown';
import { headMask, loadShipped, runShipped, softmax } from './shipped';

let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const VIEW = 'attn-view';
const BOS = 1;
const ANIMAL = "The animal didn't cross the street because it was too";
const TEXT = `${ANIMAL} tired`;
const open = (widget: string, query: string, dark = false) =>
  openPage(session, `w=${widget}&${query}${dark ? '&theme=dark' : ''}`, { path: 'embed.html', width: 1100, height: 1000 });

// ------------------------------------------------------------------------------------------------- the menu
/** The titles the Export menu of `host` lists (it is opened if closed). */
async function menu(page: Page, host: string): Promise<string[]> {
  const button = page.locator(`${host} button.w-export-btn`);
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  return page.locator(`${host} .w-export th`).allInnerTexts();
}

/** Downloads the export titled `title` in `format` through the menu: its file name and text. */
async function download(page: Page, host: string, title: string, format: 'csv' | 'json' | 'svg') {
  const titles = await menu(page, host);
  expect(titles).toContain(title);
  const row = page.locator(`${host} .w-export tr`).nth(titles.indexOf(title));
  const [d] = await Promise.all([page.waitForEvent('download'), row.locator(`button[data-format="${format}"]`).click()]);
  return { name: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') };
}

interface Exported {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  values: (number | string)[][];
  masked?: boolean[][];
  textColumns?: { title: string; values: string[] }[];
}
const json = async (page: Page, host: string, title: string): Promise<Exported> => JSON.parse((await download(page, host, title, 'json')).text);
/** The numbers of an export, row by row (NaN and infinities as numbers again). */
const numbers = (e: Exported) => e.values.flat().map(Number);

/** CSV as rows of fields (quoted fields unquoted, a defused formula's ' kept). */
function parseCSV(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

/** A label as CSV writes it: a leading = + - @ defused with a ' (a spreadsheet would run it as a formula). */
const defused = (label: string) => (/^[=+\-@\t\r]/.test(label) ? `'${label}` : label);

/** The CSV's header, its row labels and its numbers (every column after `texts` text columns). */
async function csv(page: Page, host: string, title: string, texts = 0) {
  const [header, ...rows] = parseCSV((await download(page, host, title, 'csv')).text);
  return { header, labels: rows.map((r) => r[0]), texts: rows.map((r) => r.slice(1, 1 + texts)), values: rows.flatMap((r) => r.slice(1 + texts).map(Number)) };
}

/** Row i's exports are a PNG and SVG picture too, or numbers only (CSV and JSON). */
const formatsOf = (page: Page, host: string, title: string) =>
  page.locator(`${host} .w-export tr`).filter({ has: page.locator('th', { hasText: title }) }).first().locator('button').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-format')));

// ---------------------------------------------------------------------------------------- the engine in Node
/** One self-attention stack's weights from a forward trace, one [1, H, T, T] tensor per layer. */
function stack(trace: Record<string, Tensor>, prefix: string): Tensor[] {
  const out: Tensor[] = [];
  for (let l = 0; trace[`${prefix}.layers.${l}.self_attn.weights`]; l++) out.push(trace[`${prefix}.layers.${l}.self_attn.weights`]);
  return out;
}

/** The language model's view of a text with the engine's weights in Node and the labels and mask as exported. */
function nodeView(text: string, e: Exported): AttentionView {
  const weights = stack(runShipped(attn, 'lm', text).trace, 'decoder').map((t) => t.data);
  const mask = e.masked ? Float32Array.from(e.masked.flat(), (m) => (m ? -Infinity : 0)) : undefined;
  return { name: 'self', title: '', rows: e.rowLabels, cols: e.colLabels, layers: weights.length, heads: 4, weights, masks: weights.map(() => mask) };
}

const close = (shown: number[], want: ArrayLike<number>, digits = 12) => {
  expect(shown.length).toBe(want.length);
  shown.forEach((x, i) => expect(x).toBeCloseTo(want[i], digits));
};

describe('<attn-view> exports what its display shows', () => {
  it('head="rollout" / "flow": the exported matrix is rollout’s / flow’s, named so, equal to the engine in Node', async () => {
    const { page, problems } = await open(VIEW, `model=lm&layer=2&head=rollout&text=${encodeURIComponent(TEXT)}`);
    await waitForWidget(page, VIEW);
    const att = stack(runShipped(attn, 'lm', TEXT).trace, 'decoder');
    const T = att[0].shape[3];
    expect(await menu(page, VIEW)).toEqual(['Causal self-attention, attention rollout through layer 2']);
    const rollout = await json(page, VIEW, 'Causal self-attention, attention rollout through layer 2');
    expect(numbers(rollout)).toEqual(Array.from(attn.attentionRollout(att).data.subarray(T * T, 2 * T * T))); // bit for bit
    const d = await download(page, VIEW, 'Causal self-attention, attention rollout through layer 2', 'csv');
    expect(d.name).toBe('causal-self-attention-attention-rollout-through-layer-2.csv');

    await page.locator(`${VIEW} select.head`).selectOption('flow');
    await waitForWidget(page, VIEW);
    const flow = await csv(page, VIEW, 'Causal self-attention, attention flow through layer 2');
    expect(flow.values).toEqual(Array.from(attn.attentionFlow(att, { layer: 1 }).data));
    expect(flow.labels).toEqual(rollout.rowLabels);
    expect(problems).toEqual([]);
  });

  it('display="neuron": q, k, q ⊙ k, the scores, scaled scores and softmax row, and the head, equal the engine in Node', async () => {
    const { page, problems } = await open(VIEW, `model=lm&display=neuron&layer=2&head=3&query=10&key=2&text=${encodeURIComponent(TEXT)}`);
    await waitForWidget(page, VIEW);
    const b = blockOf(runShipped(attn, 'lm', TEXT).full, 'decoder.layers.1.self_attn');
    const [, H, R, D] = b.q.shape;
    const [h, i, j] = [2, 10, 2];
    const titles = await menu(page, VIEW);
    expect(titles.length).toBe(3);
    const vectors = await json(page, VIEW, titles[0]);
    const q = Array.from(b.q.data.slice((h * R + i) * D, (h * R + i + 1) * D));
    const k = Array.from(b.k.data.slice((h * R + j) * D, (h * R + j + 1) * D));
    expect(vectors.rowLabels).toEqual(['q', 'k', 'q ⊙ k']);
    expect(numbers(vectors)).toEqual([...q, ...k, ...q.map((x, d) => x * k[d])]);
    const row = (h * R + i) * R;
    const scores = await json(page, VIEW, titles[1]);
    expect(scores.rowLabels).toEqual(['score q · k', 'scaled score', 'weight']);
    expect(numbers(scores)).toEqual([b.scores, b.scaled, b.weights].flatMap((t) => Array.from(t.data.slice(row, row + R))));
    // The causal mask: query 10 sees keys 0 to 10.
    expect(scores.masked![2]).toEqual(Array.from({ length: R }, (_, c) => c > i));
    const head = await json(page, VIEW, titles[2]);
    expect(head.title).toBe('Causal self-attention, layer 2, head 3: attention weights');
    expect(numbers(head)).toEqual(Array.from(b.weights.data.slice(h * R * R, (h + 1) * R * R)));
    expect(H).toBe(4);
    expect(problems).toEqual([]);
  });

  it('display="compare": the two texts’ weights and second − first (with its pair labels) equal the engine in Node', async () => {
    const second = `${ANIMAL} wide`;
    const { page, problems } = await open(VIEW, `model=lm&display=compare&layer=3&head=mean&text=${encodeURIComponent(TEXT)}&vs=${encodeURIComponent(second)}`);
    await waitForWidget(page, VIEW);
    expect(await menu(page, VIEW)).toEqual(['First text, layer 3 · mean of the heads', 'Second text, layer 3 · mean of the heads',
      'Second − first, layer 3 · mean of the heads']);
    const a = await json(page, VIEW, 'First text, layer 3 · mean of the heads');
    const b = await json(page, VIEW, 'Second text, layer 3 · mean of the heads');
    const [va, vb] = [nodeView(TEXT, a), nodeView(second, b)];
    expect(numbers(a)).toEqual(Array.from(selectedMatrix(va, 2, 'mean').matrix));
    expect(numbers(b)).toEqual(Array.from(selectedMatrix(vb, 2, 'mean').matrix));
    const d = difference(va, vb, 2, 'mean');
    const diff = await csv(page, VIEW, 'Second − first, layer 3 · mean of the heads');
    expect(diff.values).toEqual(Array.from(d.matrix));
    expect(diff.labels).toEqual(d.rowLabels.map(defused));
    expect(diff.header.slice(1)).toEqual(d.colLabels.map(defused));
    expect(diff.labels).toContain("'+wide"); // a token of the second text only, its + defused
    expect(problems).toEqual([]);
  });

  it('display="ablation": the top tokens with every head and without, the change and the ranking equal the engine in Node', async () => {
    const text = 'He went to New York. She also went to New';
    const { page, problems } = await open(VIEW, `model=lm&display=ablation&text=${encodeURIComponent(text)}&off=1.4,3.2&rank=true`);
    await waitForWidget(page, VIEW);
    await page.locator(`${VIEW} .ranking li`).first().waitFor();
    const s = loadShipped(attn, 'lm');
    try {
      const ids = [BOS, ...s.tok.encode(text).ids];
      const probs = (off: string[]) => softmax(s.model.forward(ids, { trace: 'none', ...(off.length ? { head_mask: headMask(4, 4, off) } : {}) }).logits, ids.length - 1);
      const top5 = (p: number[]) => [...p.keys()].sort((x, y) => p[y] - p[x] || x - y).slice(0, 5);
      const [p, q] = [probs([]), probs(['1.4', '3.2'])];
      const titles = await menu(page, VIEW);
      expect(titles).toEqual(['The next token: the 5 likeliest, with every head and without 1.4, 3.2', 'The change: without 1.4, 3.2',
        'Causal self-attention: change when each head is removed alone']);
      // Tables: CSV and JSON only.
      expect(await formatsOf(page, VIEW, titles[0])).toEqual(['csv', 'json']);
      const next = await json(page, VIEW, titles[0]);
      expect(next.textColumns!.map((c) => c.values)).toEqual([top5(p).map((id) => s.tok.decode([id])), top5(q).map((id) => s.tok.decode([id]))]);
      close(numbers(next), top5(p).flatMap((id, n) => [p[id], q[top5(q)[n]]]));
      const top = top5(p)[0];
      const change = await csv(page, VIEW, titles[1]);
      expect(change.labels).toEqual([`P(“${s.tok.decode([top])}”), the full model's first choice`]);
      close(change.values, [p[top], q[top], p[top] - q[top]]);
      // The ranking: each head removed alone, layers × heads.
      const ranking = await json(page, VIEW, titles[2]);
      const want = Array.from({ length: 16 }, (_, n) => p[top] - probs([`${Math.floor(n / 4) + 1}.${(n % 4) + 1}`])[top]);
      close(numbers(ranking), want);
      await page.locator(VIEW).screenshot({ path: path.join(screenshotDir, 'export-ablation-menu.png') });
    } finally {
      s.close();
    }
    expect(problems).toEqual([]);
  });

  it('display="model": every layer × head in one JSON, and the line pictures as SVG, equal the engine in Node', async () => {
    const { page, problems } = await open(VIEW, `model=lm&display=model&pictures=lines&text=${encodeURIComponent(TEXT)}`);
    await waitForWidget(page, VIEW);
    const att = stack(runShipped(attn, 'lm', TEXT).trace, 'decoder');
    const [, H, T] = att[0].shape;
    const every = 'Causal self-attention: every layer and head';
    expect(await menu(page, VIEW)).toEqual([every, `${every}, as lines`]);
    expect(await formatsOf(page, VIEW, every)).toEqual(['csv', 'json']);
    const all = await json(page, VIEW, every);
    expect(numbers(all)).toEqual(att.flatMap((t) => Array.from(t.data))); // [layer][head][query][key]
    expect(all.rowLabels[0]).toBe('layer 1, head 1 · <bos>');
    expect(all.rowLabels[H * T * 2 + T + 3]).toMatch(/^layer 3, head 2 · /);

    const svg = (await download(page, VIEW, `${every}, as lines`, 'svg')).text;
    const lines = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return null;
      return [...doc.querySelectorAll('line')].map((l) => ['layer', 'head', 'query', 'key', 'weight'].map((a) => Number(l.getAttribute(`data-${a}`))));
    }, svg);
    const want: number[][] = [];
    att.forEach((t, l) => {
      for (let h = 0; h < H; h++)
        for (let q = 0; q < T; q++)
          for (let k = 0; k < T; k++) {
            const w = t.data[(h * T + q) * T + k];
            if (w >= THUMB_MIN_WEIGHT) want.push([l + 1, h + 1, q, k, w]);
          }
    });
    expect(lines).toEqual(want);
    // The SVG as a picture, to look at.
    const picture = await session.browser.newPage({ viewport: { width: 520, height: 520 } });
    await picture.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    await picture.screenshot({ path: path.join(screenshotDir, 'export-model-lines.png'), fullPage: true });
    await picture.close();
    expect(problems).toEqual([]);
  });
});

describe('<attn-ablation> exports', () => {
  it('the outcome before "Rank heads" (the tagger’s tags), and the ranking once computed, equal the engine in Node', async () => {
    const text = 'She will book a flight after she reads the book.';
    const { page, problems } = await open('attn-ablation', `model=tagger&text=${encodeURIComponent(text)}&off=1.1`, true);
    await waitForWidget(page, 'attn-ablation');
    const s = loadShipped(attn, 'tagger');
    try {
      const e = s.tok.encode(text, { maxTokens: 128 });
      const logits = (off: string[]) => s.model.forward(e.ids, { trace: 'none', ...(off.length ? { head_mask: headMask(3, 4, off) } : {}) }).logits;
      const argmax = (p: number[]) => p.indexOf(Math.max(...p));
      const [before, after] = [logits([]), logits(['1.1'])];
      const rows = Array.from(e.ids, (_, i) => ({ p: softmax(before, i), q: softmax(after, i) }));
      const titles = await menu(page, 'attn-ablation');
      expect(titles).toEqual(['The tags, with every head and without 1.1', 'The change: without 1.1']);
      const tags = await csv(page, 'attn-ablation', titles[0], 2);
      expect(tags.header).toEqual(['token \\ value', 'tag, every head', 'tag, without 1.1', 'P(tag), every head', 'P(original tag), without 1.1', 'P(tag), without 1.1']);
      expect(tags.labels).toEqual(e.offsets.map(([a, b]) => text.slice(a, b)));
      expect(tags.texts).toEqual(rows.map(({ p, q }) => [TAGS[argmax(p)].tag, TAGS[argmax(q)].tag]));
      close(tags.values, rows.flatMap(({ p, q }) => [p[argmax(p)], q[argmax(p)], q[argmax(q)]]));
      await page.locator('attn-ablation').screenshot({ path: path.join(screenshotDir, 'export-ablation-menu-dark.png') });

      await page.locator('attn-ablation button.rank-btn').click();
      await waitForWidget(page, 'attn-ablation');
      const title = 'Self-attention: change when each head is removed alone';
      await expect.poll(() => menu(page, 'attn-ablation')).toContain(title);
      const drop = (off: string) => {
        const x = logits([off]);
        return rows.reduce((sum, { p }, i) => sum + p[argmax(p)] - softmax(x, i)[argmax(p)], 0) / rows.length;
      };
      close(numbers(await json(page, 'attn-ablation', title)), Array.from({ length: 12 }, (_, n) => drop(`${Math.floor(n / 4) + 1}.${(n % 4) + 1}`)));
    } finally {
      s.close();
    }
    expect(problems).toEqual([]);
  });
});
