// Hugging Face checkpoints in the page, end to end: the project-made GPT-2, BERT, DistilBERT and Marian folders of
// tests/fixtures/hf/models (tests/fixtures/hf/make_models.sh; the real Hub layout, tiny random weights) opened
// through the file picker, a folder, a drop, a link (?hf=) and <attn-view hf>. What the page shows (hover values,
// next tokens, mask fillers, the translation, head statistics) is compared with the engine API in Node on the same
// files; the model is found again after a reload (IndexedDB) and removed; bad files get the engine's message while
// the page keeps its model and stores nothing.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Engine, HfModel } from '../../engine/bindings/attn';
import { STATS_TEXTS, byteLevelLabel } from '../../web/src/models/hf';
import { chipTexts, hoverCell, openPage, screenshotDir, storeState, waitForWidget, withBrowserAndEngine, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures/hf/models');
let session: Session;
let attn: Engine;

withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const dir = (name: string) => path.join(fixtures, name);
const fileNames = (name: string) => readdirSync(dir(name)).sort();
const bytes = (name: string) => Object.fromEntries(fileNames(name).map((f) => [f, readFileSync(path.join(dir(name), f))]));
const paths = (name: string) => fileNames(name).map((f) => path.join(dir(name), f));
/** Files for page.setInputFiles from memory. */
const payload = (files: Record<string, Buffer | string>) =>
  Object.entries(files).map(([name, b]) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.isBuffer(b) ? b : Buffer.from(b) }));

type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };

/** A safetensors file rewritten tensor by tensor: `edit` returns the tensor's new shape and bytes, or null to drop it. */
function rewriteSafetensors(file: Buffer, edit: (name: string, e: Entry, bytes: Buffer) => { shape: number[]; bytes: Buffer } | null): Buffer {
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString('utf8'));
  const data = file.subarray(8 + n);
  const out: Record<string, unknown> = { __metadata__: header.__metadata__ };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, e] of Object.entries(header) as [string, Entry][]) {
    if (name === '__metadata__') continue;
    const t = edit(name, e, data.subarray(e.data_offsets[0], e.data_offsets[1]));
    if (!t) continue;
    out[name] = { dtype: e.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    parts.push(t.bytes);
    offset += t.bytes.length;
  }
  let json = JSON.stringify(out);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json), ...parts]);
}

/** A safetensors file without the tensors whose names start with `prefix` (e.g. a BertModel without the MLM head). */
const withoutTensors = (file: Buffer, prefix: string) =>
  rewriteSafetensors(file, (name, e, bytes) => (name.startsWith(prefix) ? null : { shape: e.shape, bytes }));

/**
 * GPT-2 weights whose token embedding has two more rows than the tokenizer has tokens (a vocabulary padded to a
 * round number, as some checkpoints are): +1000 and -1000 times the first row, so one of them wins the next token.
 */
const withPaddedVocab = (file: Buffer) =>
  rewriteSafetensors(file, (name, e, bytes) => {
    if (!name.endsWith('wte.weight')) return { shape: e.shape, bytes };
    const E = e.shape[1];
    const first = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 4 * E));
    const extra = new Float32Array(2 * E);
    for (let i = 0; i < E; i++) {
      extra[i] = 1000 * first[i];
      extra[E + i] = -1000 * first[i];
    }
    return { shape: [e.shape[0] + 2, E], bytes: Buffer.concat([bytes, Buffer.from(extra.buffer)]) };
  });

/**
 * Probabilities are the softmax of the engine's logits in JavaScript (Math.exp), whose last bit may differ between
 * Node's V8 and Chromium's: equal to 1e-15.
 */
function expectProbs(page: number[], node: number[]) {
  expect(page).toHaveLength(node.length);
  page.forEach((p, i) => expect(Math.abs(p - node[i]), `probability ${i}`).toBeLessThan(1e-15));
}

/** How the page names a GPT-2 token: its text, or its bytes when it is part of a character. */
const byteLevel = (model: HfModel, id: number) => byteLevelLabel(model.tokenizer!.decode([id]), model.tokenizer!.idToToken(id) ?? '');

function nodeModel(files: Record<string, Buffer | string>): HfModel {
  return attn.loadHuggingFace(files);
}

/** The engine's message for files, from Node. */
function engineMessage(files: Record<string, Buffer | string>): string {
  try {
    nodeModel(files).delete();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('these files load');
}

/** Waits until the explorer shows the Hugging Face model's analysis of `text` (or of the text it has). */
async function waitForHf(page: Page, text?: string) {
  await page.waitForFunction((t) => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    const a = s.analysis;
    return s.model === 'hf' && a?.model === 'hf' && a.hf === s.hf && !s.busy && !a.pendingOutputs && (t === null ? a.text === s.texts.hf : a.text === t);
  }, text ?? null, { timeout: 30000 });
  await page.evaluate(async () => {
    const ex = document.querySelector('attn-explorer') as any;
    await ex.updateComplete;
    await ex.shadowRoot.querySelector('attn-heatmap.main')?.updateComplete;
  });
}

async function typeText(page: Page, text: string) {
  await page.locator('attn-explorer textarea').fill(text);
  await waitForHf(page, text);
}

async function openFiles(page: Page, files: string | string[] | ReturnType<typeof payload>, which: 'files' | 'folder' = 'files') {
  await page.locator(`hf-open input.${which}`).setInputFiles(files);
}

async function hfStatus(page: Page): Promise<any> {
  return page.evaluate(() => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    return { open: s.hfOpen, stored: s.hfStored.map((m: any) => m.id), hf: s.hf, model: s.model, info: s.models.hf?.info?.hf,
      stats: s.models.hf?.info?.stats, statsProgress: s.models.hf?.info?.statsProgress };
  });
}

async function waitForStats(page: Page) {
  await page.waitForFunction(() => {
    const s = (document.querySelector('attn-explorer') as any).store.state;
    const info = s.models.hf?.info;
    return info && !info.statsProgress && Object.keys(info.stats).length > 0;
  }, null, { timeout: 30000 });
}

/** The [layer][head] statistics Node computes in one call over the built-in texts (as the page does, text by text). */
function nodeStats(model: HfModel) {
  const tok = model.tokenizer!;
  const seqs: Int32Array[] = [];
  const punct: Uint8Array[] = [];
  const tgts: Int32Array[] = [];
  for (const t of STATS_TEXTS) {
    const e = tok.encode(t, { maxTokens: model.config.max_positions });
    seqs.push(e.ids);
    punct.push(Uint8Array.from(e.offsets, ([s, f]) => (f > s && /^[\s\p{P}\p{S}]+$/u.test(t.slice(s, f)) && t.slice(s, f).trim() ? 1 : 0)));
    if (model.family === 'marian') {
      const g = model.generate({ input_ids: e.ids }, { maxNewTokens: Math.min(model.config.max_positions - 1, 2 * e.ids.length + 10) });
      tgts.push(g.sequences.slice(0, g.sequences.length - 1));
    }
  }
  return model.headStats(seqs, punct, model.family === 'marian' ? tgts : undefined);
}

function expectStatsClose(page: any, node: any) {
  expect(page.length).toBe(node.length);
  for (let l = 0; l < node.length; l++)
    for (let h = 0; h < node[l].length; h++)
      for (const k of ['entropy', 'previous', 'self', 'next', 'first', 'punct', 'max'])
        expect(Math.abs(page[l][h][k] - node[l][h][k]), `layer ${l} head ${h} ${k}`).toBeLessThan(1e-9);
}

describe('Hugging Face models in the page', () => {
  it('GPT-2 from the file picker: next tokens and causal attention equal the engine API; kept across a reload; removed', async () => {
    const { page, problems } = await openPage(session);
    await page.locator('attn-explorer model-picker [data-model="lm"]').waitFor();
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, paths('gpt2'));
    await waitForHf(page);
    const st = await hfStatus(page);
    expect(st.open.state).toBe('done');
    expect(st.info).toMatchObject({ family: 'gpt2', architecture: 'GPT2LMHeadModel', dtype: 'F32', source: 'files' });
    expect(st.stored).toEqual([st.hf]); // kept only once it loaded

    const model = nodeModel(bytes('gpt2'));
    expect(st.info.numParameters).toBe(model.numParameters);
    expect(st.info.memoryBytes).toBe(model.memoryBytes);
    const info = await page.locator('attn-explorer .hf-info').innerText();
    expect(info).toContain('GPT2LMHeadModel');
    expect(info).toContain(model.numParameters.toLocaleString('en-US'));

    // The preset text, its tokens as typed, the five next tokens and the attention, as Node computes them.
    const text = "The animal didn't cross the street because it was too";
    const s = await storeState(page);
    expect(s.text).toBe(text);
    const e = model.tokenizer!.encode(text);
    expect(await chipTexts(page)).toEqual(e.offsets.map(([a, b]) => text.slice(a, b).trim() || '␣'));
    const out = model.nextTokens(e.ids, { topK: 5 });
    const next = s.analysis.outputs.next as { token: string; prob: number }[];
    expectProbs(next.map((n) => n.prob), out.predictions.map((p) => p.probability));
    expect(next.map((n) => n.token)).toEqual(out.predictions.map((p) => byteLevel(model, p.id)));
    expect(await page.locator('model-outputs li').count()).toBe(5);
    const L = e.ids.length;
    const w0 = out.attentions![0];
    expect((await hoverCell(page, L - 1, 2)).value).toBe(w0.data[(L - 1) * L + 2]);
    expect((await hoverCell(page, 1, 3)).text).toContain('masked');

    // Another text, layer 2, head 3.
    const text2 = 'Attention is all you need, they said.';
    await typeText(page, text2);
    await page.locator('attn-explorer button.layer', { hasText: '2' }).click();
    await page.locator('attn-explorer button.head', { hasText: '3' }).click();
    const e2 = model.tokenizer!.encode(text2);
    const w = model.forward({ input_ids: e2.ids }, { logits: 'none' }).attentions![1];
    const T = e2.ids.length;
    expect((await hoverCell(page, T - 1, 4)).value).toBe(w.data[(2 * T + T - 1) * T + 4]);

    // Typing at the end reuses the keys and values of the prefix (the engine's cache): the same numbers as a full pass.
    const text3 = `${text2} And then`;
    await typeText(page, text3);
    const e3 = model.tokenizer!.encode(text3);
    const T3 = e3.ids.length;
    const w3 = model.forward({ input_ids: e3.ids }, { logits: 'none' }).attentions![1];
    expect((await hoverCell(page, T3 - 1, T3 - 2)).value).toBe(w3.data[(2 * T3 + T3 - 1) * T3 + T3 - 2]);
    expectProbs((await storeState(page)).analysis.outputs.next.map((n: { prob: number }) => n.prob),
      model.nextTokens(e3.ids, { topK: 5 }).predictions.map((p) => p.probability));

    // Head statistics, after the first picture: the same as Node's over the same texts.
    await waitForStats(page);
    expectStatsClose((await hfStatus(page)).stats.self, nodeStats(model).decoder);
    expect((await page.locator('head-gallery .desc').allTextContents()).every((d) => d.length > 0)).toBe(true);
    await page.screenshot({ path: path.join(screenshotDir, 'hf-gpt2.png'), fullPage: true });

    // A reload finds it in the browser's storage, with the URL's text.
    await expect.poll(() => page.url()).toContain(`hf=${st.hf}`); // the URL follows the state when it rests
    await page.reload();
    await waitForHf(page, text3);
    expect((await hfStatus(page)).info.source).toBe('stored');
    expect((await storeState(page)).analysis.outputs.next).toHaveLength(5);

    // Removed: gone from the list and the picker, the page is back on its language model, and the link says why.
    await page.locator('hf-open .open-btn').click();
    await page.locator(`hf-open li[data-id="${st.hf}"] button.remove`).click();
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.hfStored.length === 0);
    expect((await hfStatus(page)).model).toBe('lm');
    expect(await page.locator('model-picker [data-model="hf"]').count()).toBe(0);
    await page.goto(`${session.url}?m=hf&hf=${st.hf}`);
    await expect.poll(() => page.locator('attn-explorer .state.error').innerText()).toContain('not kept in this browser');
    model.delete();
    expect(problems).toEqual([]);
  });

  it('BERT from the file picker: [CLS] and [SEP] by name, the [MASK] fillers and attention equal the engine API', async () => {
    const { page, problems } = await openPage(session);
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, paths('bert'));
    await waitForHf(page);
    const model = nodeModel(bytes('bert'));
    const text = 'The capital of France is [MASK].';
    expect((await storeState(page)).text).toBe(text);
    await expect.poll(() => new URL(page.url()).searchParams.get('text')).toBe(text); // a reload now shows the same
    const e = model.tokenizer!.encode(text);
    const chips = await chipTexts(page);
    expect(chips[0]).toBe('[CLS]');
    expect(chips[chips.length - 1]).toBe('[SEP]');
    expect(chips).toContain('[MASK]');
    expect(chips).toHaveLength(e.ids.length);
    expect(await page.locator('token-chips .chip.special').count()).toBe(2); // added by the tokenizer: not editable
    const out = model.fillMask(e.ids, { topK: 5 });
    const s = await storeState(page);
    expect(s.analysis.outputs.masks).toHaveLength(1);
    expect(s.analysis.outputs.masks[0].position).toBe(out.masks[0].position);
    expect(s.analysis.outputs.masks[0].predictions.map((p: { token: string }) => p.token))
      .toEqual(out.masks[0].predictions.map((p) => p.token));
    expectProbs(s.analysis.outputs.masks[0].predictions.map((p: { prob: number }) => p.prob), out.masks[0].predictions.map((p) => p.probability));
    const T = e.ids.length;
    expect((await hoverCell(page, 0, T - 1)).value).toBe(out.attentions![0].data[T - 1]); // [CLS] → [SEP]
    await page.locator('attn-explorer button.head.mean').click();
    const mean = (i: number, j: number) => {
      let m = 0;
      for (let h = 0; h < 4; h++) m += out.attentions![0].data[(h * T + i) * T + j];
      return m / 4;
    };
    expect((await hoverCell(page, 3, 5)).value).toBeCloseTo(mean(3, 5), 6);
    await waitForStats(page);
    expectStatsClose((await hfStatus(page)).stats.self, nodeStats(model).encoder);
    await page.screenshot({ path: path.join(screenshotDir, 'hf-bert.png'), fullPage: true });

    // Two masks: a list of fillers for each. No mask: how to use it.
    await typeText(page, 'I [MASK] to the [MASK] yesterday.');
    expect((await storeState(page)).analysis.outputs.masks).toHaveLength(2);
    expect(await page.locator('model-outputs .mask').count()).toBe(2);
    await typeText(page, 'No blank in this one.');
    expect(await page.locator('model-outputs section').innerText()).toContain('where a word should go');

    // A text longer than the model's 64 positions is cut, with a message.
    const long = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    await typeText(page, long);
    const cut = await storeState(page);
    expect(cut.analysis.tokens).toHaveLength(64);
    expect(await page.locator('attn-explorer p.note[role="status"]').innerText()).toContain('at most 64 tokens');
    model.delete();
    expect(problems).toEqual([]);
  });

  it('a BertModel checkpoint (no masked-LM head) and DistilBERT in F16', async () => {
    const { page, problems } = await openPage(session);
    await page.locator('hf-open .open-btn').click();
    const files = bytes('bert');
    const config = JSON.parse(files['config.json'].toString());
    const bertModel = {
      ...files,
      'config.json': Buffer.from(JSON.stringify({ ...config, architectures: ['BertModel'] })),
      'model.safetensors': withoutTensors(files['model.safetensors'], 'cls.'),
    };
    const check = nodeModel(bertModel);
    expect(check.config.lm_head).toBe(false);
    check.delete();
    await openFiles(page, payload(bertModel));
    await waitForHf(page);
    expect(await page.locator('model-outputs section').innerText()).toContain('no masked-language-model head');
    await page.locator('attn-explorer attn-heatmap.main canvas.plot-canvas').waitFor();

    await openFiles(page, paths('distilbert'));
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.models.hf?.info?.hf?.family === 'distilbert');
    await waitForHf(page);
    const st = await hfStatus(page);
    expect(st.info.dtype).toBe('F16');
    expect(st.stored).toHaveLength(2);
    const model = nodeModel(bytes('distilbert'));
    const e = model.tokenizer!.encode('The capital of France is [MASK].');
    const out = model.fillMask(e.ids, { topK: 5 });
    const s = await storeState(page);
    expectProbs(s.analysis.outputs.masks[0].predictions.map((p: { prob: number }) => p.prob), out.masks[0].predictions.map((p) => p.probability));
    expect((await hoverCell(page, 2, 1)).value).toBe(out.attentions![0].data[2 * e.ids.length + 1]);
    model.delete();
    expect(problems).toEqual([]);
  });

  it('Marian from a folder: the translation piece by piece, cross, encoder and decoder attention equal the engine API', async () => {
    const { page, problems } = await openPage(session);
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, dir('marian'), 'folder');
    await waitForHf(page);
    const st = await hfStatus(page);
    expect(st.info).toMatchObject({ family: 'marian', name: 'marian', architecture: 'MarianMTModel' });
    const text = 'The cat sat on the mat.';
    const s = await storeState(page);
    expect(s.text).toBe(text);
    expect(s.view).toBe('cross');

    const model = nodeModel(bytes('marian'));
    const e = model.tokenizer!.encode(text);
    const limit = Math.min(model.config.max_positions - 1, 2 * e.ids.length + 10);
    const g = model.generate({ input_ids: e.ids }, { maxNewTokens: limit });
    const seq = Array.from(g.sequences);
    const n = seq.length - 1;
    expect(s.analysis.outputs.text).toBe(g.text);
    expect(s.analysis.outputs.pieces).toHaveLength(n);
    expect(s.analysis.outputs.pieces[n - 1]).toBe('</s>');
    expect(await page.locator('model-outputs .pieces li').count()).toBe(n);
    const chips = await chipTexts(page);
    expect(chips).toEqual([...e.offsets.slice(0, -1).map(([a, b]) => text.slice(a, b).trim()), '</s>']);

    // Rows are the pieces written, columns the source pieces: the teacher-forced pass on the translation.
    const views = s.analysis.views;
    expect(views.map((v: { name: string }) => v.name)).toEqual(['cross', 'encoder', 'decoder']);
    expect(views[0].rows).toHaveLength(n);
    expect(views[0].cols).toEqual(chips);
    const tf = model.forward({ input_ids: e.ids, decoder_input_ids: seq.slice(0, n) }, { logits: 'none' });
    const S = e.ids.length;
    expect((await hoverCell(page, 2, 3)).value).toBe(tf.cross_attentions![0].data[2 * S + 3]);
    await page.locator('button.view[data-view="encoder"]').click();
    expect((await hoverCell(page, 4, 1)).value).toBe(tf.encoder_attentions![0].data[4 * S + 1]);
    await page.locator('button.view[data-view="decoder"]').click();
    await page.locator('attn-explorer button.layer', { hasText: '2' }).click();
    expect((await hoverCell(page, 5, 2)).value).toBe(tf.decoder_attentions![1].data[5 * n + 2]);
    expect((await hoverCell(page, 2, 5)).text).toContain('masked');
    await page.locator('button.view[data-view="cross"]').click();

    await waitForStats(page);
    const stats = (await hfStatus(page)).stats;
    const node = nodeStats(model);
    expectStatsClose(stats.cross, node.cross);
    expectStatsClose(stats.encoder, node.encoder);
    expectStatsClose(stats.decoder, node.decoder);
    await page.screenshot({ path: path.join(screenshotDir, 'hf-marian.png'), fullPage: true });
    model.delete();
    expect(problems).toEqual([]);
  });

  it('a vocabulary padded past the tokenizer: the next token names its id, and nothing fails', async () => {
    const files = bytes('gpt2');
    const config = JSON.parse(files['config.json'].toString('utf8'));
    const padded = { ...files, 'config.json': JSON.stringify({ ...config, vocab_size: config.vocab_size + 2 }),
      'model.safetensors': withPaddedVocab(files['model.safetensors']) };
    const model = nodeModel(padded);
    const text = "The animal didn't cross the street because it was too";
    const out = model.nextTokens(text, { topK: 5 });
    expect(out.predictions[0].id).toBeGreaterThanOrEqual(config.vocab_size); // one of the two extra rows
    const { page, problems } = await openPage(session);
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, payload(padded));
    await waitForHf(page, text);
    const next = (await storeState(page)).analysis.outputs.next as { token: string; prob: number }[];
    expect(next[0].token).toBe(`[id ${out.predictions[0].id}]`);
    expectProbs(next.map((x) => x.prob), out.predictions.map((p) => p.probability));
    expect(await page.evaluate(() => (document.querySelector('attn-explorer') as any).store.state.error ?? '')).toBe('');
    model.delete();
    expect(problems).toEqual([]);
  });

  it('a checkpoint whose numbers outgrow float32: the page says from which layer, no ranking of NaN predictions', async () => {
    // The first feed-forward layer's weights × 1e38: its outputs overflow to ±∞, GELU makes NaN of them, and every
    // later layer reads NaN (a broken or mis-converted file does this).
    const files = bytes('gpt2');
    const huge = { ...files, 'model.safetensors': rewriteSafetensors(files['model.safetensors'], (name, e, b) => {
      if (!name.endsWith('h.0.mlp.c_fc.weight')) return { shape: e.shape, bytes: Buffer.from(b) };
      const f = new Float32Array(new Uint8Array(b).buffer.slice(0));
      return { shape: e.shape, bytes: Buffer.from(f.map((x) => x * 1e38).buffer) };
    }) };
    const text = 'The animal did not cross the street';
    const model = nodeModel(huge);
    const out = model.forward({ input_ids: model.tokenizer!.encode(text).ids }, { logits: 'none' });
    expect(out.attentions!.map((a) => a.data.some((x) => Number.isNaN(x)))).toEqual([false, true]); // the fixture's two layers
    model.delete();
    const { page, problems } = await openPage(session);
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, payload(huge));
    await waitForHf(page);
    await page.locator('attn-explorer textarea').fill(text);
    await waitForHf(page, text);
    await expect.poll(() => page.locator('p.note.warning').innerText(), { timeout: 10000 }).toContain('Causal self-attention, from layer 2 on');
    await expect.poll(() => page.locator('model-outputs p.nan').innerText()).toContain('not numbers (NaN)');
    await page.locator('attn-explorer button.layer', { hasText: /^2$/ }).click();
    await expect.poll(async () => (await storeState(page)).layer).toBe(1);
    await page.screenshot({ path: path.join(screenshotDir, 'hf-overflow.png') });
    // Layer 1 is still drawn and read as numbers; the page goes on.
    expect(await page.evaluate(() => (document.querySelector('attn-explorer') as any).store.state.error ?? '')).toBe('');
    await page.locator('attn-explorer textarea').fill('Short');
    await waitForHf(page, 'Short');
    expect(problems).toEqual([]);
  });

  it('bad files: the engine’s message, nothing stored, and the page keeps its model', async () => {
    const { page, problems } = await openPage(session);
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, paths('gpt2'));
    await waitForHf(page);
    const good = await hfStatus(page);
    const g = bytes('gpt2');
    const b = bytes('bert');
    const config = JSON.parse(g['config.json'].toString());
    const w = g['model.safetensors'];
    const corrupt = Buffer.from(w);
    corrupt.write('{"garbage', 8);
    const cases: [string, Record<string, Buffer | string>][] = [
      ['a missing file', { 'config.json': g['config.json'], 'tokenizer.json': g['tokenizer.json'] }],
      ['files of two models', { 'config.json': b['config.json'], 'model.safetensors': w, 'tokenizer.json': g['tokenizer.json'] }],
      ['an unsupported family', { ...g, 'config.json': JSON.stringify({ ...config, model_type: 't5' }) }],
      ['a vocabulary of another model', { 'config.json': g['config.json'], 'model.safetensors': w, 'tokenizer.json': b['tokenizer.json'] }],
      ['a truncated file', { ...g, 'model.safetensors': w.subarray(0, w.length >> 1) }],
      ['a corrupt file', { ...g, 'model.safetensors': corrupt }],
      ['a model far too large', { ...g, 'config.json': JSON.stringify({ ...config, n_embd: 12288, n_layer: 96, n_head: 96, vocab_size: 50257 }) }],
    ];
    let text = 'The model I had still works';
    for (const [what, files] of cases) {
      const message = engineMessage(files);
      await openFiles(page, payload(files));
      await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.hfOpen.state === 'failed');
      const alert = await page.locator('hf-open .error[role="alert"]').innerText();
      expect(alert, what).toContain(message);
      const st = await hfStatus(page);
      expect(st.stored, what).toEqual(good.stored);
      expect(st.hf, what).toBe(good.hf);
      text += '.';
      await typeText(page, text); // still the GPT-2 it had
      expect((await storeState(page)).analysis.outputs.next).toHaveLength(5);
    }
    await page.screenshot({ path: path.join(screenshotDir, 'hf-bad-files.png'), fullPage: true });

    // Checked by the page before anything is read: weights too large for the engine (a sparse 3 GB file), only
    // PyTorch weights, and two files of one name (two model folders dropped at once).
    const tmp = mkdtempSync(path.join(tmpdir(), 'attn-hf-'));
    try {
      const big = path.join(tmp, 'model.safetensors');
      writeFileSync(big, '');
      const { truncateSync } = await import('node:fs');
      truncateSync(big, 3 * 1024 ** 3);
      await openFiles(page, [path.join(dir('gpt2'), 'config.json'), big]);
      await expect.poll(() => page.locator('hf-open .error').innerText()).toContain('more than the 2 GB of memory the engine has');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    await openFiles(page, payload({ 'config.json': g['config.json'], 'pytorch_model.bin': 'x' }));
    await expect.poll(() => page.locator('hf-open .error').innerText()).toContain('model.safetensors instead');
    // A drop of two folders: two config.json.
    await page.evaluate(([a, c]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([a], 'config.json'));
      dt.items.add(new File([c], 'config.json'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [g['config.json'].toString(), b['config.json'].toString()]);
    await expect.poll(() => page.locator('hf-open .error').innerText()).toContain('two models');
    expect((await hfStatus(page)).stored).toEqual(good.stored);
    expect(problems).toEqual([]);
  });

  it('dropped files open like chosen ones', async () => {
    const { page, problems } = await openPage(session);
    const files = bytes('distilbert');
    await page.evaluate((all) => {
      const dt = new DataTransfer();
      for (const [name, b64] of Object.entries(all)) {
        const bin = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        dt.items.add(new File([bin], name));
      }
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, Object.fromEntries(Object.entries(files).map(([n, b]) => [n, b.toString('base64')])));
    await waitForHf(page);
    expect((await hfStatus(page)).info.family).toBe('distilbert');
    expect(problems).toEqual([]);
  });

  it('a load the worker dies in is not replayed: the message is shown and the page goes on with its model', async () => {
    const { page, problems } = await openPage(session, 'm=tagger&text=The%20dog%20ran.');
    await page.waitForFunction(() => (document.querySelector('attn-explorer') as any).store.state.analysis?.text === 'The dog ran.');
    // The worker dies (as out of memory would kill it) while it builds the model.
    await page.evaluate(() => {
      const ex = document.querySelector('attn-explorer') as any;
      const client = ex.client;
      const post = client.worker.postMessage.bind(client.worker);
      client.worker.postMessage = (m: any, t?: any) => {
        post(m, t);
        if (m.kind === 'load-hf') setTimeout(() => client.crashed('simulated out of memory'), 0);
      };
    });
    await page.locator('hf-open .open-btn').click();
    await openFiles(page, paths('gpt2'));
    await expect.poll(() => page.locator('hf-open .error').innerText(), { timeout: 20000 }).toContain('The engine stopped while opening this model');
    const st = await hfStatus(page);
    expect(st.stored).toEqual([]);
    expect(st.model).toBe('tagger');
    // The new worker has the tagger again, and the load was not replayed.
    await page.locator('attn-explorer textarea').fill('The cat sat.');
    await page.waitForFunction(() => {
      const s = (document.querySelector('attn-explorer') as any).store.state;
      return s.analysis?.text === 'The cat sat.' && !s.busy;
    });
    expect((await hfStatus(page)).open.state).toBe('failed');
    expect(problems).toEqual([]);
  });

  it('a model folder on the site: ?hf= opens it without storing it; the URL keeps it', async () => {
    const { page, problems } = await openPage(session, 'hf=/hf-fixtures/marian/');
    await waitForHf(page);
    const st = await hfStatus(page);
    expect(st.info.source).toBe('url');
    expect(st.stored).toEqual([]);
    await expect.poll(() => page.url()).toContain('hf=%2Fhf-fixtures%2Fmarian%2F');
    expect((await storeState(page)).analysis.outputs.kind).toBe('translation');
    // Relative to the page, and a folder that is not there.
    const rel = await openPage(session, 'hf=hf-fixtures/gpt2');
    await waitForHf(rel.page);
    expect((await hfStatus(rel.page)).info.family).toBe('gpt2');
    const missing = await openPage(session, 'hf=/hf-fixtures/nothing-here/');
    await expect.poll(() => missing.page.locator('attn-explorer .state.error').innerText()).toContain('config.json is missing');
    const other = await openPage(session, 'hf=https://example.com/models/gpt2/');
    await expect.poll(() => other.page.locator('attn-explorer .state.error').innerText()).toContain('another site');
    expect([...problems, ...rel.problems, ...missing.problems.filter((p) => !/404/.test(p)), ...other.problems]).toEqual([]);
  });

  it('<attn-view hf>: a hosted model in a course page, and its Embed snippets reproduce it', async () => {
    const { page, problems } = await openPage(session, '', { path: 'gallery.html' });
    await page.evaluate(() => {
      const el = document.createElement('attn-view');
      el.setAttribute('hf', 'hf-fixtures/gpt2/');
      el.setAttribute('layer', '2');
      el.setAttribute('head', '3');
      el.id = 'hf-view';
      document.querySelector('main')!.prepend(el);
    });
    await waitForWidget(page, '#hf-view');
    const a = await page.evaluate(() => (document.querySelector('#hf-view') as any).analysis);
    const model = nodeModel(bytes('gpt2'));
    const text = "The animal didn't cross the street because it was too";
    expect(a.text).toBe(text);
    const e = model.tokenizer!.encode(text);
    const w = model.forward({ input_ids: e.ids }, { logits: 'none' }).attentions![1];
    const T = e.ids.length;
    expect(Array.from(a.views[0].weights[1] as Float32Array)).toEqual(Array.from(w.data));
    expect(await page.locator('#hf-view .w-title').innerText()).toContain('gpt2');
    // The snippets name the folder by its path on the site.
    await page.locator('#hf-view .w-embed-btn').click();
    const snippet = await page.locator('#hf-view textarea[data-snippet="element"]').inputValue();
    expect(snippet).toContain('<attn-view hf="/hf-fixtures/gpt2/" layer="2" head="3"></attn-view>');
    const iframe = await page.locator('#hf-view textarea[data-snippet="iframe"]').inputValue();
    const src = iframe.match(/src="([^"]+)"/)![1].replace(/&amp;/g, '&');
    const embed = await session.browser.newPage();
    const embedProblems: string[] = [];
    embed.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && embedProblems.push(m.text()));
    await embed.goto(src);
    await waitForWidget(embed, 'attn-view');
    const b = await embed.evaluate(() => (document.querySelector('attn-view') as any).analysis);
    expect(Array.from(b.views[0].weights[1] as Float32Array)).toEqual(Array.from(w.data));
    expect(await embed.locator('attn-view select.head').inputValue()).toBe('3');
    expect(T).toBeGreaterThan(3);
    await page.locator('#hf-view').screenshot({ path: path.join(screenshotDir, 'hf-attn-view.png') });
    model.delete();
    expect([...problems, ...embedProblems]).toEqual([]);
  });
});
