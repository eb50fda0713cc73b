// Engine.liveHandles and Engine.memoryUse (the soak's counters, #14 item 3): every engine object JavaScript makes is
// counted until its delete(), whatever made it, and malloc's bytes come back when it is freed.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../engine/bindings/attn';
import { loadBuiltEngine } from './golden';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

describe('liveHandles', () => {
  it('counts models, tokenizers and runs until their delete(), and a failed load leaves none', () => {
    const before = attn.liveHandles();
    const heap = attn.memoryUse().heapBytes;
    const model = attn.loadModel(readFileSync(path.join(root, 'models/lm/model.safetensors')));
    const tok = attn.loadTokenizer(readFileSync(path.join(root, 'models/lm/tokenizer.json'), 'utf8'));
    const run = attn.createRun({ task: { name: 'reverse' } });
    const untrained = attn.createModel({ arch: 'encoder', vocab_size: 16, d_model: 8, nhead: 2, num_layers: 1, dim_feedforward: 16, dropout: 0 }, 1);
    expect(attn.liveHandles()).toEqual({ ...before, models: before.models + 2, tokenizers: before.tokenizers + 1, runs: before.runs + 1, total: before.total + 4 });
    expect(attn.memoryUse().heapBytes).toBeGreaterThan(heap);
    model.forward(Int32Array.from([1, 5, 9])); // results are copies: no handle
    expect(attn.liveHandles().total).toBe(before.total + 4);
    for (const h of [model, tok, run, untrained]) h.delete();
    expect(attn.liveHandles()).toEqual(before);
    expect(attn.memoryUse().heapBytes).toBeLessThanOrEqual(heap + 64 * 1024);
    expect(() => attn.loadModel(new Uint8Array([1, 2, 3]))).toThrow();
    expect(attn.liveHandles()).toEqual(before);
    expect(attn.memoryUse().memoryBytes % 65536).toBe(0);
  });
});
