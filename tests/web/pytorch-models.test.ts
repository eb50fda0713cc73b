// The explorer's "PyTorch" script (web/src/widgets/pytorch-models.ts) for each model it shows: the shipped
// language model, tagger and date translator (their .safetensors files from models/), the untrained model (default
// and other settings, causal, unscaled; its weights saved by the engine, as the page's "Download weights" does) and
// three lab models trained here for a few steps (reversal and summarization encoder-decoders, a decoder-only
// model). Each script runs with Debian's /usr/bin/python3 (python3-torch) in a folder holding the files it reads,
// and every number it prints is compared with the WASM engine's: the attention the heatmap shows, and the output
// (next-token probabilities, tags, the greedy translation). Needs python3-torch: without it, this file FAILS
// (tools/test.sh installs it).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Model, Tensor, Tokenizer } from '../../engine/bindings/attn';
import { DEFAULT_CONFIG, runConfig, type LabConfig } from '../../web/src/lab/config';
import { DEFAULT_SETTINGS, modelConfig, tokenIds, type ModelSettings } from '../../web/src/state/store';
import { splitWords } from '../../web/src/text/words';
import { parseShown } from '../../web/src/widgets/pytorch';
import { labInputIds, labMaxNew, modelScript, weightsFileName, type ModelScriptInput, type ViewName } from '../../web/src/widgets/pytorch-models';
import { loadBuiltEngine } from './golden';
import { close, largestError, requireTorch, runPython } from './python';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SITE = 'http://127.0.0.1:8080/models/'; // never fetched: the files are in the folder the script runs in
let attn: Engine;
let dir: string;
const trained: Record<string, { model: Model; tokenizer: Tokenizer }> = {};

beforeAll(async () => {
  requireTorch();
  attn = await loadBuiltEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'attn-pytorch-models-'));
  for (const id of ['lm', 'tagger', 'dates']) {
    const files = path.join(root, 'models', id);
    copyFileSync(path.join(files, 'model.safetensors'), path.join(dir, `${id}.safetensors`));
    copyFileSync(path.join(files, 'tokenizer.json'), path.join(dir, `${id}-tokenizer.json`));
    trained[id] = {
      model: attn.loadModel(readBytes(path.join(files, 'model.safetensors'))),
      tokenizer: attn.loadTokenizer(readBytes(path.join(files, 'tokenizer.json'))),
    };
  }
}, 60000);

function readBytes(p: string): Uint8Array {
  return new Uint8Array(readFileSync(p));
}

/** Head `head` of an attention trace [1, H, R, C], or the mean of the heads. */
function pickHead(t: Tensor, head: number | 'mean'): Float64Array {
  const [, H, R, C] = t.shape;
  const n = R * C;
  const out = new Float64Array(n);
  const heads = head === 'mean' ? Array.from({ length: H }, (_, h) => h) : [head];
  for (const h of heads) for (let i = 0; i < n; i++) out[i] += t.data[h * n + i] / heads.length;
  return out;
}

/** Softmax of one row of logits, in float64 (as the page's worker computes it). */
function softmax(logits: Float32Array, offset: number, n: number): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, logits[offset + i]);
  const p = Float64Array.from({ length: n }, (_, i) => Math.exp(logits[offset + i] - m));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / sum);
}

const files = (id: string) => ({
  weights: { name: `${id}.safetensors`, url: `${SITE}${id}/model.safetensors` },
  tokenizer: id === 'tagger' ? undefined : { name: `${id}-tokenizer.json`, url: `${SITE}${id}/tokenizer.json` },
});

/** Runs the script in the test's folder: what it showed, and its printed lines. */
function run(script: string) {
  const stdout = runPython(script, dir);
  expect(stdout).not.toMatch(/agrees: False/);
  return { shown: parseShown(stdout), stdout };
}

// ------------------------------------------------------------------------------------------ trained models
describe('the language model', () => {
  const cases: [string, number, number | 'mean'][] = [
    ["The animal didn't cross the street because it was too", 1, 0],
    ['She opened the door and saw a', 3, 'mean'],
  ];
  for (const [text, layer, head] of cases) {
    it(`"${text}", layer ${layer + 1}, head ${head}`, () => {
      const { model, tokenizer } = trained.lm;
      const e = tokenizer.encode(text);
      const ids = [1, ...e.ids];
      const { shown, stdout } = run(modelScript({
        model: 'lm', title: 'the language model', config: model.config, ids,
        tokens: ['<bos>', ...e.offsets.map(([a, b]) => text.slice(a, b))], view: 'self', layer, head, ...files('lm'),
      }));
      const out = model.forward(Int32Array.from(ids));
      close('attention', shown['attention'], pickHead(out.trace[`decoder.layers.${layer}.self_attn.weights`], head));
      const V = out.logits.shape[2];
      const p = softmax(out.logits.data, (ids.length - 1) * V, V);
      const top = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 5);
      expect(shown['next-token ids']).toEqual(top);
      close('next-token probabilities', shown['next-token probabilities'], top.map((i) => p[i]));
      // The predicted tokens as text, decoded from tokenizer.json by the script.
      for (const i of top) expect(stdout).toContain(tokenizer.decode([i]));
    }, 90000);
  }
});

describe('the tagger', () => {
  for (const [text, layer, head] of [['She will book a flight after she reads the book.', 0, 2], ['Colorless green ideas sleep furiously.', 2, 'mean']] as const) {
    it(`"${text}", layer ${layer + 1}, head ${head}`, () => {
      const { model, tokenizer } = trained.tagger;
      const e = tokenizer.encode(text, { maxTokens: 128 });
      const { shown } = run(modelScript({
        model: 'tagger', title: 'the part-of-speech tagger', config: model.config, ids: Array.from(e.ids),
        tokens: e.offsets.map(([a, b]) => text.slice(a, b)), view: 'self', layer, head, ...files('tagger'),
      }));
      const out = model.forward(e.ids);
      close('attention', shown['attention'], pickHead(out.trace[`encoder.layers.${layer}.self_attn.weights`], head));
      const C = out.logits.shape[2];
      const best = Array.from(e.ids, (_, i) => {
        const p = softmax(out.logits.data, i * C, C);
        const t = p.indexOf(Math.max(...p));
        return { t, p: p[t] };
      });
      expect(shown['tag ids']).toEqual(best.map((b) => b.t));
      close('tag probabilities', shown['tag probabilities'], best.map((b) => b.p));
    }, 90000);
  }
});

describe('the date translator', () => {
  const cases: [string, ViewName, number, number | 'mean'][] = [
    ['Monday, November 23, 2026', 'cross', 1, 0],
    ['3rd of Feb. 99', 'encoder', 0, 'mean'],
    ['2026.11.23', 'decoder', 1, 3],
  ];
  for (const [text, view, layer, head] of cases) {
    it(`"${text}", ${view}, layer ${layer + 1}, head ${head}`, () => {
      const { model, tokenizer } = trained.dates;
      const e = tokenizer.encode(text, { maxTokens: 47 });
      const { shown, stdout } = run(modelScript({
        model: 'dates', title: 'the date translator', config: model.config, ids: Array.from(e.ids),
        tokens: e.offsets.map(([a, b]) => text.slice(a, b)), view, layer, head, maxNew: 12, ...files('dates'),
      }));
      const out = model.greedy(e.ids, { bos: 1, eos: 2, max_len: 12 });
      expect(shown['output ids']).toEqual(Array.from(out.tokens));
      expect(shown['finished']).toEqual([out.finished ? 1 : 0]);
      expect(stdout).toContain(`translation: ${tokenizer.decode(out.tokens)}`);
      const key = view === 'cross' ? 'multihead_attn' : 'self_attn';
      close('attention', shown['attention'], pickHead(out.trace[`${view === 'encoder' ? 'encoder' : 'decoder'}.layers.${layer}.${key}.weights`], head));
    }, 90000);
  }
});

// ---------------------------------------------------------------------------------------- untrained model
describe('the untrained model', () => {
  const cases: [string, ModelSettings, number, number | 'mean'][] = [
    ['default settings', DEFAULT_SETTINGS, 1, 'mean'],
    ['d_model 32, 2 heads, 3 layers, ff 64, seed 7, no positions, causal, unscaled',
      { d_model: 32, nhead: 2, num_layers: 3, dim_feedforward: 64, seed: 7, positional: false, causal: true, scaled: false }, 2, 1],
    ['d_model 16, 8 heads, causal, scaled', { ...DEFAULT_SETTINGS, d_model: 16, nhead: 8, causal: true, seed: 3 }, 0, 5],
  ];
  for (const [name, settings, layer, head] of cases) {
    it(name, () => {
      const text = "The animal didn't cross the street because it was too tired.";
      const model = attn.createModel(modelConfig(settings), settings.seed);
      const weights = weightsFileName('untrained', { ...settings });
      writeFileSync(path.join(dir, weights), model.save()); // what the page's "Download weights" gives
      const words = splitWords(text).tokens.map((t) => t.text);
      const ids = Array.from(tokenIds(words));
      const { shown, stdout } = run(modelScript({
        model: 'untrained', title: 'the untrained model', config: model.config, ids, tokens: words,
        view: 'self', layer, head, weights: { name: weights }, seed: settings.seed,
      }));
      const out = model.forward(ids);
      close('attention', shown['attention'], pickHead(out.trace[`encoder.layers.${layer}.self_attn.weights`], head));
      close('output', shown['output'], out.logits.data);
      expect(stdout).toContain('the layers one after the other agrees: True');
      if (settings.causal) expect(pickHead(out.trace[`encoder.layers.${layer}.self_attn.weights`], head)[1]).toBe(0);
      model.delete();
    }, 90000);
  }
});

// --------------------------------------------------------------------------------------------- lab models
describe('lab models', () => {
  const cases: [string, Partial<LabConfig>, string, ViewName, number | 'mean'][] = [
    ['reverse, encoder-decoder', { steps: 80 }, '3 1 4 1 5 9', 'cross', 1],
    ['repeat, decoder-only, learned positions, pre-norm, GELU',
      { task: 'repeat', arch: 'decoder', layers: 2, positional: 'learned', norm: 'pre', activation: 'gelu', steps: 60 }, '2 7 1', 'self', 'mean'],
    ['summarize (words), encoder-decoder', { task: 'summarize', steps: 150 }, 'the cows were sold by the tired farmer at the market', 'cross', 'mean'],
  ];
  for (const [name, over, input, view, head] of cases) {
    it(name, () => {
      const lab = { ...DEFAULT_CONFIG, ...over };
      const r0 = attn.createRun(runConfig(lab));
      r0.train(lab.steps);
      const weights = weightsFileName('lab', undefined, `test ${name}`);
      const bytes = r0.save();
      writeFileSync(path.join(dir, weights), bytes);
      const run0 = attn.loadRun(bytes); // as the explorer opens it, from the lab's stored file
      const r = run0.infer(input);
      const m = run0.config.model;
      const vocab = run0.nextBatch().vocab;
      const ids = labInputIds(r.labels.src, vocab, String(m.arch));
      const layer = (m.arch === 'encoder-decoder' ? Number(m.num_decoder_layers) : Number(m.num_layers)) - 1;
      const s: ModelScriptInput = {
        model: 'lab', title: 'your lab model', config: { ...m }, ids, tokens: ids.map((i) => vocab[i]), view, layer, head,
        weights: { name: weights }, vocab, task: String(run0.config.task.name), maxNew: labMaxNew(run0.config.task),
      };
      const { shown, stdout } = run(modelScript(s));
      expect(stdout).toContain(`answer: ${r.output}`);
      expect(shown['finished']).toEqual([r.finished ? 1 : 0]);
      const key = view === 'cross' ? 'multihead_attn' : 'self_attn';
      close('attention', shown['attention'], pickHead(r.trace[`decoder.layers.${layer}.${key}.weights`], head));
      r0.delete();
      run0.delete();
    }, 120000);
  }

  it('reports the largest error over every comparison', () => {
    console.log(`pytorch-models.test: largest error |PyTorch - engine| / max(1, |engine|) = ${largestError().toExponential(2)}`);
    expect(largestError()).toBeLessThanOrEqual(1e-5);
  });
});
