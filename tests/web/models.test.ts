// The shipped models (models/<name>/): the WebAssembly build loads the same files as the native build and
// computes the same outputs. tools/test.sh writes the native outputs with `attn-models eval NAME --probe-out`.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../engine/bindings/attn';
import { loadBuiltEngine } from './golden';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const probes = process.env.ATTN_MODEL_PROBES; // a folder with <name>.json, set by tools/test.sh
let attn: Engine;

beforeAll(async () => {
  attn = await loadBuiltEngine();
});

describe.each(['lm', 'tagger', 'dates'])('shipped model %s', (name) => {
  const dir = path.join(root, 'models', name);

  it('is small enough to ship and carries its config and task', () => {
    const bytes = readFileSync(path.join(dir, 'model.safetensors'));
    const model = attn.loadModel(bytes);
    expect(model.metadata.task).toBe(name);
    expect(model.config.arch).toBe(name === 'lm' ? 'decoder' : name === 'tagger' ? 'encoder' : 'encoder-decoder');
    model.delete();
  });

  it.skipIf(!probes)('gives the same outputs in WebAssembly as natively', () => {
    const file = path.join(probes!, `${name}.json`);
    expect(existsSync(file)).toBe(true);
    const expected = JSON.parse(readFileSync(file, 'utf8')) as { inputs: string[]; logits: number[][]; outputs?: string[] };
    const model = attn.loadModel(readFileSync(path.join(dir, 'model.safetensors')));
    const tok = attn.loadTokenizer(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    expected.inputs.forEach((text, k) => {
      let ids = Array.from(tok.encode(text).ids);
      let logits;
      if (name === 'dates') {
        const out = model.greedy(ids, { bos: 1, eos: 2, max_len: 12, trace: 'none' });
        expect(tok.decode(out.tokens)).toBe(expected.outputs![k]);
        logits = model.forward(ids, { tgt: [1], trace: 'none' }).logits;
      } else {
        if (name === 'lm') ids = [1, ...ids];
        logits = model.forward(ids, { trace: 'none' }).logits;
      }
      const C = logits.shape[logits.shape.length - 1];
      const last = logits.data.subarray(logits.data.length - C);
      let worst = 0;
      for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(last[c] - expected.logits[k][c]));
      expect(worst, `${name} "${text}"`).toBeLessThan(1e-4);
    });
    model.delete();
    tok.delete();
  });
});
