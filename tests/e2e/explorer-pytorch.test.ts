// The explorer's PyTorch button and panel (and <attn-view>'s) end to end: the script shown is exactly the one the
// state implies (widgets/pytorch-models.ts for the model, the typed text's ids, the view, layer and head), it follows
// a new text, Download gives it as a .py file, the language model's "Download weights" gives the file the page
// serves, and the untrained model's is a valid safetensors file whose tensors equal the engine's stateDict. Then the
// downloaded script runs with PyTorch on the downloaded weights and prints the heatmap's weights.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Download, Page } from 'playwright-core';
import type { Engine } from '../../engine/bindings/attn';
import { modelConfig, tokenIds, type ModelSettings } from '../../web/src/state/store';
import { splitWords } from '../../web/src/text/words';
import { parseShown } from '../../web/src/widgets/pytorch';
import { modelScript, weightsFileName } from '../../web/src/widgets/pytorch-models';
import { close, requireTorch, runPython } from '../web/python';
import { openPage, screenshotDir, waitForHeatmap, waitForWidget, withBrowserAndEngine, type Session } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let session: Session;
let attn: Engine;
withBrowserAndEngine((s, a) => {
  session = s;
  attn = a;
});

const readBytes = (p: string) => new Uint8Array(readFileSync(p));

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { download, bytes: readBytes((await download.path())!) };
}

/** The tensors of a float32 .safetensors file, by name (the header is checked as the format defines it). */
function readF32Safetensors(bytes: Uint8Array): Record<string, { shape: number[]; data: Float32Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, any>;
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  let end = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    expect(t.dtype).toBe('F32');
    const [a, b] = t.data_offsets as number[];
    expect(b - a).toBe(4 * (t.shape as number[]).reduce((x: number, y: number) => x * y, 1));
    out[name] = { shape: t.shape, data: new Float32Array(bytes.slice(8 + n + a, 8 + n + b).buffer) };
    end = Math.max(end, b);
  }
  expect(8 + n + end).toBe(bytes.length);
  return out;
}

const panelScript = (page: Page, host: string) => page.locator(`${host} pytorch-panel textarea`).inputValue();

describe('the explorer’s PyTorch panel', () => {
  it('the language model: the script of the typed text, Download .py, and the weights the page serves', async () => {
    const text = 'The cat sat on the';
    const { page, problems } = await openPage(session, `m=lm&text=${encodeURIComponent(text)}&layer=2&head=mean`);
    const lm = attn.loadModel(readBytes(path.join(root, 'models/lm/model.safetensors')));
    const tokenizer = attn.loadTokenizer(readBytes(path.join(root, 'models/lm/tokenizer.json')));
    const expected = (t: string) => {
      const e = tokenizer.encode(t);
      return modelScript({
        model: 'lm', title: 'the language model', config: lm.config, ids: [1, ...e.ids], tokens: ['<bos>', ...e.offsets.map(([a, b]) => t.slice(a, b))],
        view: 'self', layer: 2, head: 'mean',
        weights: { name: 'lm.safetensors', url: `${session.url}models/lm/model.safetensors` },
        tokenizer: { name: 'lm-tokenizer.json', url: `${session.url}models/lm/tokenizer.json` },
      });
    };
    await waitForHeatmap(page, tokenizer.encode(text).ids.length + 1);
    const button = page.locator('attn-explorer button.pytorch-btn');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    await button.click();
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    expect(await panelScript(page, 'attn-explorer')).toBe(expected(text));
    await page.locator('attn-explorer pytorch-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(screenshotDir, 'explorer-pytorch.png') });

    // A new text: the panel follows it.
    const next = 'Once upon a time there was a';
    await page.locator('attn-explorer textarea').first().fill(next);
    await waitForHeatmap(page, tokenizer.encode(next).ids.length + 1);
    await expect.poll(() => panelScript(page, 'attn-explorer')).toBe(expected(next));
    expect(await panelScript(page, 'attn-explorer')).toContain(`ids = torch.tensor([[1, ${Array.from(tokenizer.encode(next).ids).join(', ')}]]`);

    const py = await downloaded(page, () => page.locator('attn-explorer button.w-pytorch-download').click());
    expect(py.download.suggestedFilename()).toBe('attn-lm.py');
    expect(new TextDecoder().decode(py.bytes)).toBe(expected(next));
    // The weights and the tokenizer: the files the page serves, which are the shipped ones.
    const weights = page.locator('attn-explorer a.w-pytorch-file', { hasText: 'Download weights' });
    expect(await weights.getAttribute('href')).toBe(`${session.url}models/lm/model.safetensors`);
    const w = await downloaded(page, () => weights.click());
    expect(w.download.suggestedFilename()).toBe('lm.safetensors');
    expect(Buffer.from(w.bytes).equals(readFileSync(path.join(root, 'models/lm/model.safetensors')))).toBe(true);
    const tok = await downloaded(page, () => page.locator('attn-explorer a.w-pytorch-file', { hasText: 'Download tokenizer' }).click());
    expect(tok.download.suggestedFilename()).toBe('lm-tokenizer.json');
    expect(Buffer.from(tok.bytes).equals(readFileSync(path.join(root, 'models/lm/tokenizer.json')))).toBe(true);
    lm.delete();
    expect(problems).toEqual([]);
  }, 120000);

  it('the untrained model with other settings: its weights as safetensors equal the engine’s; the script runs to the heatmap', async () => {
    requireTorch();
    const text = 'the cat sat on the mat because it was warm';
    const settings: ModelSettings = { d_model: 32, nhead: 2, num_layers: 3, dim_feedforward: 64, seed: 7, positional: false, causal: true, scaled: false };
    const { page, problems } = await openPage(session, `m=untrained&d=32&h=2&n=3&ff=64&seed=7&pe=0&causal=1&scale=0&layer=2&head=1&text=${encodeURIComponent(text)}`);
    const words = splitWords(text).tokens.map((t) => t.text);
    await waitForHeatmap(page, words.length);
    await page.locator('attn-explorer button.pytorch-btn').click();
    const model = attn.createModel(modelConfig(settings), settings.seed);
    const weightsName = weightsFileName('untrained', { ...settings });
    const script = modelScript({
      model: 'untrained', title: 'the untrained model', config: model.config, ids: Array.from(tokenIds(words)), tokens: words,
      view: 'self', layer: 2, head: 1, weights: { name: weightsName }, seed: 7,
    });
    expect(await panelScript(page, 'attn-explorer')).toBe(script);

    const w = await downloaded(page, () => page.locator('attn-explorer button.w-pytorch-file', { hasText: 'Download weights' }).click());
    expect(w.download.suggestedFilename()).toBe(weightsName);
    const file = readF32Safetensors(w.bytes);
    const state = model.stateDict();
    expect(Object.keys(file).sort()).toEqual(Object.keys(state).sort());
    for (const [name, t] of Object.entries(state)) {
      expect(file[name].shape, name).toEqual(t.shape);
      expect(file[name].data, name).toEqual(t.data); // bit for bit
    }

    // The user's journey: the downloaded script, next to the downloaded weights, run with PyTorch.
    const dir = mkdtempSync(path.join(tmpdir(), 'attn-explorer-pytorch-'));
    writeFileSync(path.join(dir, weightsName), w.bytes);
    const py = await downloaded(page, () => page.locator('attn-explorer button.w-pytorch-download').click());
    const shown = parseShown(runPython(new TextDecoder().decode(py.bytes), dir));
    const heatmap = await page.evaluate(() => {
      const ex = document.querySelector('attn-explorer') as any;
      const v = ex.store.state.analysis.views[0];
      const n = v.rows.length * v.cols.length;
      return Array.from(v.weights[2].slice(n, 2 * n) as Float32Array); // layer 3, head 2
    });
    close('attention', shown['attention'], heatmap);
    close('output', shown['output'], model.forward(tokenIds(words)).logits.data);
    model.delete();
    expect(problems).toEqual([]);
  }, 120000);
});

describe('<attn-view>’s PyTorch button', () => {
  it('the date translator: the script of its text and view, with the weights the page serves', async () => {
    const text = 'Nov. 23rd 2026';
    const { page, problems } = await openPage(session, `w=attn-view&model=dates&view=encoder&layer=2&head=mean&text=${encodeURIComponent(text)}`,
      { path: 'embed.html', width: 1000, height: 900 });
    await waitForWidget(page, 'attn-view');
    await page.locator('attn-view button.w-pytorch-btn').click();
    const dates = attn.loadModel(readBytes(path.join(root, 'models/dates/model.safetensors')));
    const tokenizer = attn.loadTokenizer(readBytes(path.join(root, 'models/dates/tokenizer.json')));
    const e = tokenizer.encode(text, { maxTokens: 47 });
    const expected = modelScript({
      model: 'dates', title: 'the date translator', config: dates.config, ids: Array.from(e.ids), tokens: e.offsets.map(([a, b]) => text.slice(a, b)),
      view: 'encoder', layer: 1, head: 'mean', maxNew: 12,
      weights: { name: 'dates.safetensors', url: `${session.url}models/dates/model.safetensors` },
      tokenizer: { name: 'dates-tokenizer.json', url: `${session.url}models/dates/tokenizer.json` },
    });
    expect(await panelScript(page, 'attn-view')).toBe(expected);
    expect(await page.locator('attn-view').evaluate((el: any) => el.pytorchScript())).toBe(expected);
    expect(await page.locator('attn-view a.w-pytorch-file', { hasText: 'Download weights' }).getAttribute('href'))
      .toBe(`${session.url}models/dates/model.safetensors`);
    const py = await downloaded(page, () => page.locator('attn-view button.w-pytorch-download').click());
    expect(py.download.suggestedFilename()).toBe('attn-view.py');
    dates.delete();
    expect(problems).toEqual([]);
  }, 120000);
});
