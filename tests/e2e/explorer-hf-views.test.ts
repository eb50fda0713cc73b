// The explorer's Neuron and Ablation displays for Hugging Face checkpoints (#13), end to end on the fixture folders
// of tests/fixtures/hf/models opened by link (?hf=). Neuron: the query, key, product, score, scaled score and softmax
// row shown equal the engine API in Node (the same pass with trace 'full') bit for bit, for GPT-2, BERT and Marian's
// cross-attention, with each family's line on how its own code orders the steps. Ablation: the outputs with heads
// switched off (zero and mean ablation, each head's mean over the built-in sentences) and the ranking of every head
// equal the engine in Node with the same head_mask / decoder_head_mask / cross_attn_head_mask: GPT-2's next tokens,
// BERT's [MASK] fillers, Marian's translation and the log-probability of the original one. <attn-view display="ablation" hf=…>: the same for GPT-2
// (mean ablation, the ranking in parts) and Marian, from its attributes and its grid, and its Embed snippet and iframe
// reproduce it.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Engine, HfModel, Tensor } from '../../engine/bindings/attn';
import { MIN_WEIGHT, type Line } from '../../web/src/components/lines';
import { byteLevelLabel, STATS_TEXTS } from '../../web/src/models/hf';
import { expectEmbedsReproduce, openPage, screenshotDir, waitForWidget, withBrowserAndEngine, type Session } from './harness';
import { difference } from '../../web/src/components/compare-parts';
import type { AttentionView } from '../../web/src/engine/protocol';
import { selectedMatrix } from '../../web/src/state/store';
import { shownComparison } from './compare-shown';
import { blockOf, expectNumbers, shownNeuron } from './neuron-shown';
import { softmax } from './shipped';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures/hf/models');
let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

type Family = 'gpt2' | 'bert' | 'distilbert' | 'marian';
const TEXT: Record<Family, string> = {
  gpt2: "The animal didn't cross the street because it was too",
  bert: 'The capital of France is [MASK], and of Italy [MASK].',
  distilbert: 'The capital of France is [MASK].',
  marian: 'The cat sat on the mat.',
};

/** A fixture checkpoint loaded in Node, with the text read as the page's worker reads it (hf-worker.ts readText). */
function nodeModel(family: Family, text = TEXT[family]) {
  const dir = path.join(fixtures, family);
  const model: HfModel = attn.loadHuggingFace(Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))])));
  const P = positionsOf(model);
  const e = model.tokenizer!.encode(text, family === 'gpt2' ? {} : { maxTokens: P });
  const ids = Array.from(e.ids).slice(Math.max(0, family === 'gpt2' ? e.ids.length - P : 0));
  return { model, ids, maxNew: maxNewOf(model, ids.length) };
}

/** How many tokens the worker lets the model read (hf-worker.ts limit). */
const positionsOf = (model: HfModel) => Math.min(model.config.max_positions, model.maxTokens || model.config.max_positions);
/** How many pieces the worker lets Marian write for a source of n pieces (hf-worker.ts maxNew). */
const maxNewOf = (model: HfModel, n: number) =>
  Math.max(1, Math.min(positionsOf(model) - 1, (model.config.max_length ?? 512) - 1, 2 * n + 10));

/** Marian with the heads of `off=c1.2,e2.1,d2.4` switched off, from the engine in Node: the masks (Hugging Face's
 * names), the greedy translation with every head, and log P(that translation) with the masks given (none: every head). */
function marianOff(model: HfModel, ids: number[], maxNew: number) {
  const c = model.config;
  const masks = {
    head_mask: mask(c.num_layers, c.num_heads, ['2.1']),
    decoder_head_mask: mask(c.decoder_layers!, c.decoder_heads!, ['2.4']),
    cross_attn_head_mask: mask(c.decoder_layers!, c.decoder_heads!, ['1.2']),
  };
  const full = model.generate({ input_ids: ids }, { maxNewTokens: maxNew });
  const seq = Array.from(full.sequences);
  const logprob = (extra: object) => {
    const out = model.forward({ input_ids: ids, decoder_input_ids: seq.slice(0, -1), ...extra }, { logits: 'all' });
    return seq.slice(1).reduce((s, id, i) => s + Math.log(softmax(out.logits!, i)[id]), 0);
  };
  return { masks, full, logprob };
}

/** Resolves once the explorer shows the Hugging Face model's analysis of its text, and `selector` is in its panel, drawn. */
async function settle(page: Page, selector: string) {
  await page.waitForFunction((sel) => {
    const ex = document.querySelector('attn-explorer') as any;
    const s = ex?.store.state;
    return s?.model === 'hf' && s.analysis?.model === 'hf' && !s.busy && s.analysis.text === ex.store.text && ex.shadowRoot.querySelector(sel);
  }, selector, { timeout: 60000 });
  await page.evaluate(async () => {
    const root = document.querySelector('attn-explorer')!.shadowRoot!;
    await (document.querySelector('attn-explorer') as any).updateComplete;
    for (const el of root.querySelectorAll('attn-strips, attn-heatmap, attn-ablation-panel')) await (el as any).updateComplete;
  });
}

const neuron = (page: Page) => shownNeuron(page, 'attn-explorer', 'attn-heatmap.neuron-head');
const note = (page: Page) => page.locator('attn-explorer .order-note').innerText();

describe('the explorer’s Neuron display for Hugging Face checkpoints', () => {
  it('GPT-2: the last query and the key it weighs most, then a chip: the engine’s numbers, bit for bit', async () => {
    const { page, problems } = await openPage(session, `hf=/hf-fixtures/gpt2/&display=neuron&layer=1&head=3&text=${encodeURIComponent(TEXT.gpt2)}`);
    await settle(page, '.neuron-summary');
    const { model, ids } = nodeModel('gpt2');
    try {
      const block = blockOf(model.forward({ input_ids: ids }, { logits: 'none', trace: 'full' }).trace!, 'decoder.layers.1.self_attn');
      const [, , R, D] = block.q.shape;
      const C = block.k.shape[2];
      const last = Array.from(block.weights.data.slice((3 * R + R - 1) * C, (3 * R + R) * C));
      expectNumbers(await neuron(page), block, block.weights, 3, R - 1, last.indexOf(Math.max(...last)), 1 / Math.sqrt(D));
      expect(await note(page)).toMatch(/GPT-2 takes the same steps in the same order: q · k, ÷ √Dh, the causal mask/);
      await page.screenshot({ path: path.join(screenshotDir, 'explorer-hf-neuron-gpt2.png'), fullPage: true });
      await page.locator('attn-explorer .tokens.query [data-index="3"]').click();
      await page.locator('attn-explorer .tokens.key [data-index="5"]').click(); // after the query: masked
      await settle(page, '.neuron-summary');
      const s = await neuron(page);
      expectNumbers(s, block, block.weights, 3, 3, 5, 1 / Math.sqrt(D));
      expect(s.weight).toBe(0);
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 180000);

  it('BERT: a [MASK] query, the engine’s numbers; DistilBERT says it scales q first', async () => {
    const { page, problems } = await openPage(session, `hf=/hf-fixtures/bert/&display=neuron&layer=0&head=1&q=6&k=2&text=${encodeURIComponent(TEXT.bert)}`);
    await settle(page, '.neuron-summary');
    const { model, ids } = nodeModel('bert');
    try {
      const block = blockOf(model.fillMask(ids, { trace: 'full' }).trace!, 'encoder.layers.0.self_attn');
      expectNumbers(await neuron(page), block, block.weights, 1, 6, 2, 1 / Math.sqrt(block.q.shape[3]));
      expect(await note(page)).toMatch(/BERT takes the same steps in the same order: q · k, ÷ √Dh, plus the padding mask/);
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();

    const d = await openPage(session, `hf=/hf-fixtures/distilbert/&display=neuron&layer=1&head=0&q=1&k=2&text=${encodeURIComponent(TEXT.distilbert)}`);
    await settle(d.page, '.neuron-summary');
    const m = nodeModel('distilbert');
    try {
      const block = blockOf(m.model.fillMask(m.ids, { trace: 'full' }).trace!, 'encoder.layers.1.self_attn');
      expectNumbers(await neuron(d.page), block, block.weights, 0, 1, 2, 1 / Math.sqrt(block.q.shape[3]));
      expect(await note(d.page)).toMatch(/DistilBERT divides q by √Dh before q · k; the engine divides q · k instead/);
    } finally {
      m.model.delete();
    }
    expect(d.problems).toEqual([]);
    await d.page.close();
  }, 180000);

  it('Marian: cross-attention (a target piece’s query, a source piece’s key) and the decoder’s causal self-attention', async () => {
    const { page, problems } = await openPage(session, `hf=/hf-fixtures/marian/&view=cross&display=neuron&layer=1&head=2&q=1&k=3&text=${encodeURIComponent(TEXT.marian)}`);
    await settle(page, '.neuron-summary');
    const { model, ids, maxNew } = nodeModel('marian');
    try {
      const g = model.generate({ input_ids: ids }, { maxNewTokens: maxNew, trace: 'full' });
      const cross = blockOf(g.trace!, 'decoder.layers.1.multihead_attn');
      expectNumbers(await neuron(page), cross, cross.weights, 2, 1, 3, 1 / Math.sqrt(cross.q.shape[3]));
      expect(await note(page)).toMatch(/Marian multiplies q by 1\/√Dh in its projection, before q · k/);
      await page.screenshot({ path: path.join(screenshotDir, 'explorer-hf-neuron-marian.png'), fullPage: true });
      await page.evaluate(() => {
        const store = (document.querySelector('attn-explorer') as any).store;
        store.setView('decoder');
        store.select(1, 2);
        store.setNeuron(2, 1);
      });
      await settle(page, '.neuron-summary');
      const dec = blockOf(g.trace!, 'decoder.layers.1.self_attn');
      expectNumbers(await neuron(page), dec, dec.weights, 2, 2, 1, 1 / Math.sqrt(dec.q.shape[3]));

      // The Lines display of the same cross-attention (layer 2, every head): each line is a weight of the engine in Node.
      await page.evaluate(() => {
        const store = (document.querySelector('attn-explorer') as any).store;
        store.setView('cross');
        store.select(1, 0); // (a view change starts at its first layer)
        store.setLineHeads(undefined);
        store.setDisplay('lines');
      });
      await page.locator('attn-explorer attn-lines.main canvas.lines-canvas').waitFor();
      const [, H, T, S] = cross.weights.shape;
      const want: Line[] = [];
      for (let head = 0; head < H; head++)
        for (let query = 0; query < T; query++)
          for (let key = 0; key < S; key++) {
            const weight = cross.weights.data[(head * T + query) * S + key];
            if (weight >= MIN_WEIGHT) want.push({ head, query, key, weight });
          }
      const lines = (await page.evaluate(() => (document.querySelector('attn-explorer') as any).shadowRoot.querySelector('attn-lines.main')
        .drawnLines().map((l: Line) => ({ ...l })))) as Line[];
      lines.sort((a, b) => a.head - b.head || a.query - b.query || a.key - b.key);
      expect(lines).toEqual(want); // bit for bit
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 180000);
});

describe('the explorer’s Compare display for Hugging Face checkpoints', () => {
  it('BERT: both texts’ heads are the engine’s weights in Node, and the difference is second − first', async () => {
    const second = TEXT.bert.replace('France', 'Spain');
    const { page, problems } = await openPage(session,
      `hf=/hf-fixtures/bert/&display=compare&layer=0&head=1&text=${encodeURIComponent(TEXT.bert)}&vs=${encodeURIComponent(second)}`);
    await settle(page, 'attn-heatmap.diff');
    const shown = await shownComparison(page, 'attn-explorer');
    /** Layer 1 of `text` from the engine in Node, as a one-layer view labelled as the page labels it. */
    const layer1 = (text: string, labels: string[]): AttentionView => {
      const { model, ids } = nodeModel('bert', text);
      try {
        const w = model.fillMask(ids, { trace: 'weights' }).trace!['encoder.layers.0.self_attn.weights'];
        return { name: 'self', title: '', rows: labels, cols: labels, layers: 1, heads: w.shape[1], weights: [Float32Array.from(w.data)], masks: [undefined] };
      } finally {
        model.delete();
      }
    };
    const a = layer1(TEXT.bert, shown.first.rows);
    const b = layer1(second, shown.second.rows);
    expect(shown.first.matrix).toEqual(Array.from(selectedMatrix(a, 0, 1).matrix)); // head 2, bit for bit
    expect(shown.second.matrix).toEqual(Array.from(selectedMatrix(b, 0, 1).matrix));
    // The difference, rows and columns aligned by token, of these weights.
    expect(shown.diff.matrix).toEqual(Array.from(difference(a, b, 0, 1).matrix));
    expect(problems).toEqual([]);
    await page.close();
  }, 180000);
});

// ------------------------------------------------------------------------------------------------ ablation
const PANEL = 'attn-explorer attn-ablation-panel';

/** A [layers, H] mask with the heads `off` ("layer.head", 1-based, the group's prefix left out) at 0. */
const mask = (layers: number, H: number, off: string[]) =>
  ({ data: Float32Array.from({ length: layers * H }, (_, k) => (off.includes(`${Math.floor(k / H) + 1}.${(k % H) + 1}`) ? 0 : 1)), shape: [layers, H] });

/**
 * Each head's mean over the built-in sentences (STATS_TEXTS, each read as the worker's head statistics read it: its
 * first P tokens; Marian's decoder reading the model's own greedy translation without its last piece), the page's
 * mean ablation: `heads` [1, H, T, Dh] of one pass per sentence with trace 'full', summed in double over every
 * position of every sentence and divided by their count, [layers, H, Dh] by the engine's option names.
 */
function setMeans(model: HfModel): Record<string, Tensor> {
  const c = model.config;
  const P = positionsOf(model);
  const traces = STATS_TEXTS.map((text) => {
    const ids = model.tokenizer!.encode(text, { maxTokens: P }).ids;
    const tgt = model.family === 'marian' ? Array.from(model.generate({ input_ids: ids }, { maxNewTokens: maxNewOf(model, ids.length) }).sequences).slice(0, -1) : undefined;
    return model.forward({ input_ids: ids, ...(tgt ? { decoder_input_ids: tgt } : {}) }, { logits: 'none', trace: 'full' }).trace!;
  });
  const mean = (prefix: string, block: string, layers: number): Tensor => {
    const out: number[] = [];
    let H = 0;
    let D = 0;
    for (let l = 0; l < layers; l++) {
      const ts = traces.map((trace) => trace[`${prefix}.layers.${l}.${block}.heads`]);
      [, H, , D] = ts[0].shape;
      const count = ts.reduce((n, t) => n + t.shape[2], 0);
      for (let h = 0; h < H; h++)
        for (let d = 0; d < D; d++) {
          let s = 0;
          for (const t of ts) for (let i = 0; i < t.shape[2]; i++) s += t.data[(h * t.shape[2] + i) * D + d];
          out.push(s / count);
        }
    }
    return { data: Float32Array.from(out), shape: [layers, H, D] };
  };
  if (model.family !== 'marian') return { head_mean: mean(model.family === 'gpt2' ? 'decoder' : 'encoder', 'self_attn', c.num_layers) };
  return {
    head_mean: mean('encoder', 'self_attn', c.num_layers),
    decoder_head_mean: mean('decoder', 'self_attn', c.decoder_layers!),
    cross_attn_head_mean: mean('decoder', 'multihead_attn', c.decoder_layers!),
  };
}

/** The panel's mean-ablation label: the built-in sentences, by their number. */
const SET_LABEL = new RegExp(`outputs its mean over the ${STATS_TEXTS.length} built-in sentences`);

/** The top 5 of a probability row, as the panel lists them. */
const top5 = (p: number[], label: (id: number) => string) =>
  [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, 5).map((id) => ({ token: label(id), prob: p[id] }));

/** A list of the panel (`scope`: a [MASK]'s block, or the panel), with every head ('before') or without the heads off;
 * `panel`: the explorer's, or a widget's. */
const list = (page: Page, which: string, scope = '', panel = PANEL) => page.locator(`${panel} ${scope} ol.next[data-which="${which}"] li`).evaluateAll((lis) =>
  lis.map((li) => ({ token: (li as HTMLElement).dataset.token!, prob: Number((li as HTMLElement).dataset.prob) })));

function expectList(got: { token: string; prob: number }[], want: { token: string; prob: number }[]) {
  expect(got.map((x) => x.token)).toEqual(want.map((x) => x.token));
  got.forEach((x, i) => expect(Math.abs(x.prob - want[i].prob)).toBeLessThan(1e-15));
}

/** The ranking shown (by the panel `panel`), once complete: head key → change. */
async function ranking(page: Page, total: number, panel = PANEL) {
  await expect.poll(() => page.locator(`${panel} .ranking li`).count(), { timeout: 120000 }).toBe(total);
  await page.locator(`${panel} .rank-progress`).waitFor({ state: 'detached', timeout: 60000 });
  return page.locator(`${panel} .ranking li`).evaluateAll((lis) => lis.map((li) => [(li as HTMLElement).dataset.head!, Number((li as HTMLElement).dataset.change)] as const));
}

describe('the explorer’s Ablation display for Hugging Face checkpoints', () => {
  it('GPT-2: heads off in the URL, zero and mean, and the ranking of its 8 heads equal the engine in Node', async () => {
    const { page, problems } = await openPage(session, `hf=/hf-fixtures/gpt2/&display=ablation&off=1.2,2.4&text=${encodeURIComponent(TEXT.gpt2)}`);
    const { model, ids } = nodeModel('gpt2');
    try {
      const label = (id: number) => byteLevelLabel(model.tokenizer!.decode([id]), model.tokenizer!.idToToken(id) ?? '');
      const L = model.config.num_layers;
      const H = model.config.num_heads;
      const probs = (extra: object) => softmax(model.forward({ input_ids: ids, ...extra }, { logits: 'last' }).logits!, 0);
      const full = probs({});
      const first = full.indexOf(Math.max(...full));
      const check = async (extra: object) => {
        const p = probs(extra);
        await expect.poll(async () => (await list(page, 'after')).map((x) => x.token), { timeout: 60000 }).toEqual(top5(p, label).map((x) => x.token));
        await settle(page, 'attn-ablation-panel');
        expectList(await list(page, 'after'), top5(p, label));
        expectList(await list(page, 'before'), top5(full, label));
        const change = Number(await page.locator(`${PANEL} p.change`).getAttribute('data-change'));
        expect(Math.abs(change - (full[first] - p[first]))).toBeLessThan(1e-15);
      };
      await check({ head_mask: mask(L, H, ['1.2', '2.4']) });
      await page.screenshot({ path: path.join(screenshotDir, 'explorer-hf-ablation-gpt2.png'), fullPage: true });

      // Mean ablation: each head's mean over the built-in sentences (not this text's: its own mean differs).
      await page.locator(`${PANEL} fieldset.mode input[value="mean"]`).check();
      expect(await page.locator(`${PANEL} fieldset.mode`).innerText()).toMatch(SET_LABEL);
      const { head_mean } = setMeans(model);
      await check({ head_mask: mask(L, H, ['1.2', '2.4']), head_mean });

      // Rank heads (zero): every head removed alone, the drop of P(first choice).
      await page.locator(`${PANEL} fieldset.mode input[value="zero"]`).check();
      await page.locator(`${PANEL} button.rank-btn`).click();
      const shown = await ranking(page, L * H);
      const want = Array.from({ length: L * H }, (_, k) => {
        const key = `${Math.floor(k / H) + 1}.${(k % H) + 1}`;
        return [key, full[first] - probs({ head_mask: mask(L, H, [key]) })[first]] as const;
      });
      for (const [key, change] of shown) expect(Math.abs(change - want.find((w) => w[0] === key)![1]), key).toBeLessThan(1e-15);
      expect(shown.map((x) => x[1])).toEqual([...shown.map((x) => x[1])].sort((a, b) => b - a));
      await page.screenshot({ path: path.join(screenshotDir, 'explorer-hf-ablation-gpt2-ranked.png'), fullPage: true });
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 240000);

  it('BERT: each [MASK]’s fillers with heads off equal the engine in Node; a text without [MASK] says how to add one', async () => {
    const { page, problems } = await openPage(session, `hf=/hf-fixtures/bert/&display=ablation&off=1.1,2.3&text=${encodeURIComponent(TEXT.bert)}`);
    const { model, ids } = nodeModel('bert');
    try {
      const label = (id: number) => model.tokenizer!.idToToken(id) ?? `[id ${id}]`;
      const maskId = model.tokenizer!.specialTokens.mask!;
      const positions = ids.flatMap((id, i) => (id === maskId ? [i] : []));
      expect(positions).toHaveLength(2);
      const rows = (extra: object) => {
        const out = model.forward({ input_ids: ids, ...extra }, { logits: positions });
        return positions.map((_, n) => softmax(out.logits!, n));
      };
      const before = rows({});
      const after = rows({ head_mask: mask(model.config.num_layers, model.config.num_heads, ['1.1', '2.3']) });
      const scope = (n: number) => `.mask[data-position="${positions[n]}"]`;
      await expect.poll(() => page.locator(`${PANEL} .mask ol.next[data-which="after"]`).count(), { timeout: 60000 }).toBe(2);
      await settle(page, 'attn-ablation-panel');
      let change = 0;
      for (let n = 0; n < 2; n++) {
        expectList(await list(page, 'before', scope(n)), top5(before[n], label));
        expectList(await list(page, 'after', scope(n)), top5(after[n], label));
        const first = before[n].indexOf(Math.max(...before[n]));
        change += (before[n][first] - after[n][first]) / 2;
      }
      expect(Math.abs(Number(await page.locator(`${PANEL} p.change.total`).getAttribute('data-change')) - change)).toBeLessThan(1e-15);
      await page.screenshot({ path: path.join(screenshotDir, 'explorer-hf-ablation-bert.png'), fullPage: true });

      await page.locator('attn-explorer textarea').fill('The capital of France is Paris.');
      await page.locator(`${PANEL} .mlm-none`).waitFor({ timeout: 60000 });
      expect(await page.locator(`${PANEL} .mlm-none`).innerText()).toMatch(/There is no \[MASK\] in the text.*type \[MASK\] where a word\s+should go/s);
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 240000);

  it('Marian: cross-attention and encoder heads off: the greedy translation and log P(original translation) equal the engine in Node; ranked', async () => {
    const { page, problems } = await openPage(session, `hf=/hf-fixtures/marian/&display=ablation&off=c1.2,e2.1,d2.4&text=${encodeURIComponent(TEXT.marian)}`);
    const { model, ids, maxNew } = nodeModel('marian');
    try {
      const c = model.config;
      const { masks, full, logprob } = marianOff(model, ids, maxNew);
      const ablated = model.generate({ input_ids: ids }, { maxNewTokens: maxNew, ...masks });
      const out = (which: string) => page.locator(`${PANEL} dd.out[data-which="${which}"]`).innerText();
      await page.locator(`${PANEL} dd.out[data-which="after"]`).waitFor({ timeout: 60000 });
      await settle(page, 'attn-ablation-panel');
      expect(await out('before')).toBe(full.text);
      expect((await out('after')).replace(/·+$/, '')).toBe(ablated.text);
      const p = page.locator(`${PANEL} p.change`);
      expect(Math.abs(Number(await p.getAttribute('data-before')) - logprob({}))).toBeLessThan(1e-12);
      expect(Math.abs(Number(await p.getAttribute('data-after')) - logprob(masks))).toBeLessThan(1e-12);
      await page.screenshot({ path: path.join(screenshotDir, 'explorer-hf-ablation-marian.png'), fullPage: true });

      // Mean ablation: the three kinds' means over the built-in sentences and the model's own translations of them.
      await page.locator(`${PANEL} fieldset.mode input[value="mean"]`).check();
      expect(await page.locator(`${PANEL} fieldset.mode`).innerText()).toMatch(new RegExp(`${SET_LABEL.source} and their translations`));
      const meanMasks = { ...masks, ...setMeans(model) };
      await expect.poll(async () => Math.abs(Number(await p.getAttribute('data-after')) - logprob(meanMasks)), { timeout: 60000 }).toBeLessThan(1e-12);
      await settle(page, 'attn-ablation-panel');
      expect((await out('after')).replace(/·+$/, '')).toBe(model.generate({ input_ids: ids }, { maxNewTokens: maxNew, ...meanMasks }).text);
      expect(Math.abs(Number(await p.getAttribute('data-before')) - logprob({}))).toBeLessThan(1e-12);
      await page.locator(`${PANEL} fieldset.mode input[value="zero"]`).check();

      // The ranking: each of the 3 × 2 × 4 heads alone, the drop of log P(original translation).
      await page.locator(`${PANEL} button.rank-btn`).click();
      const shown = await ranking(page, 24);
      const name = { e: 'head_mask', d: 'decoder_head_mask', c: 'cross_attn_head_mask' } as const;
      const base = logprob({});
      for (const [key, change] of shown) {
        const [, g, l, h] = /^([edc])(\d+)\.(\d+)$/.exec(key)!;
        const layers = g === 'e' ? c.num_layers : c.decoder_layers!;
        expect(Math.abs(change - (base - logprob({ [name[g as 'e']]: mask(layers, 4, [`${l}.${h}`]) }))), key).toBeLessThan(1e-12);
      }
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 240000);
});

describe('<attn-view display="ablation" hf=…>', () => {
  const TAG = 'attn-view';
  const VIEW = `${TAG} attn-ablation-panel`;
  const open = (query: string) => openPage(session, `w=${TAG}&${query}`, { path: 'embed.html', width: 1100, height: 1000 });

  it('GPT-2: mean ablation, the ranking of its 8 heads and a head from the grid equal the engine in Node; the Embed snippet reproduces it', async () => {
    const { page, problems } = await open(`hf=/hf-fixtures/gpt2/&display=ablation&off=1.2,2.4&ablate=mean&rank=true&text=${encodeURIComponent(TEXT.gpt2)}`);
    await waitForWidget(page, TAG, 120000);
    const { model, ids } = nodeModel('gpt2');
    try {
      const label = (id: number) => byteLevelLabel(model.tokenizer!.decode([id]), model.tokenizer!.idToToken(id) ?? '');
      const L = model.config.num_layers;
      const H = model.config.num_heads;
      const { head_mean } = setMeans(model);
      const probs = (off: string[]) => softmax(model.forward({ input_ids: ids, head_mask: mask(L, H, off), head_mean }, { logits: 'last' }).logits!, 0);
      const full = probs([]);
      const first = full.indexOf(Math.max(...full));
      const check = async (off: string[]) => {
        const p = probs(off);
        expectList(await list(page, 'before', '', VIEW), top5(full, label));
        expectList(await list(page, 'after', '', VIEW), top5(p, label));
        expect(Math.abs(Number(await page.locator(`${VIEW} p.change`).getAttribute('data-change')) - (full[first] - p[first]))).toBeLessThan(1e-15);
      };
      await check(['1.2', '2.4']);
      expect(await page.locator(`${VIEW} fieldset.mode`).innerText()).toMatch(SET_LABEL);
      // The ranking (asked for in parts): every head alone, replaced by its mean.
      const shown = await ranking(page, L * H, VIEW);
      for (const [key, change] of shown) expect(Math.abs(change - (full[first] - probs([key])[first])), key).toBeLessThan(1e-15);
      expect(shown.map((x) => x[1])).toEqual([...shown.map((x) => x[1])].sort((a, b) => b - a));
      await page.screenshot({ path: path.join(screenshotDir, 'widget-view-ablation-gpt2.png'), fullPage: true });

      // Head 1.2 back on from the grid: the attribute follows, and the outputs.
      await page.locator(`${VIEW} button.head[data-layer="0"][data-head="1"]`).click();
      await waitForWidget(page, TAG, 120000);
      expect(await page.locator(TAG).getAttribute('off')).toBe('2.4');
      await check(['2.4']);
      const read = async (p: Page) => ({ before: await list(p, 'before', '', VIEW), after: await list(p, 'after', '', VIEW),
        change: await p.locator(`${VIEW} p.change`).getAttribute('data-change'), ranking: await ranking(p, L * H, VIEW) });
      const snippet = await expectEmbedsReproduce(session, page, TAG, read);
      for (const a of ['hf="/hf-fixtures/gpt2/"', 'display="ablation"', 'off="2.4"', 'ablate="mean"', 'rank="true"']) expect(snippet).toContain(a);
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 240000);

  it('Marian: encoder, decoder and cross-attention heads off: the translation and log P equal the engine in Node; the Embed snippet reproduces it', async () => {
    const { page, problems } = await open(`hf=/hf-fixtures/marian/&display=ablation&off=c1.2,e2.1,d2.4&text=${encodeURIComponent(TEXT.marian)}`);
    await waitForWidget(page, TAG, 120000);
    const { model, ids, maxNew } = nodeModel('marian');
    try {
      const { masks, full, logprob } = marianOff(model, ids, maxNew);
      const read = async (p: Page) => {
        const change = p.locator(`${VIEW} p.change`);
        return { before: await p.locator(`${VIEW} dd.out[data-which="before"]`).innerText(), after: await p.locator(`${VIEW} dd.out[data-which="after"]`).innerText(),
          logprob: Number(await change.getAttribute('data-before')), afterLogprob: Number(await change.getAttribute('data-after')) };
      };
      const s = await read(page);
      expect(s.before).toBe(full.text);
      expect(s.after.replace(/·+$/, '')).toBe(model.generate({ input_ids: ids }, { maxNewTokens: maxNew, ...masks }).text);
      expect(Math.abs(s.logprob - logprob({}))).toBeLessThan(1e-12);
      expect(Math.abs(s.afterLogprob - logprob(masks))).toBeLessThan(1e-12);
      expect(await page.locator(`${VIEW} .grid-title`).allInnerTexts()).toEqual(['Encoder self-attention', 'Decoder self-attention', 'Cross-attention']);
      expect(await page.locator(`${VIEW} button.head.off`).count()).toBe(3);
      await page.screenshot({ path: path.join(screenshotDir, 'widget-view-ablation-marian.png'), fullPage: true });
      const snippet = await expectEmbedsReproduce(session, page, TAG, read);
      expect(snippet).toContain('off="c1.2,e2.1,d2.4"');
    } finally {
      model.delete();
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 240000);
});
