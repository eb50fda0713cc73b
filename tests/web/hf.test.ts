// Hugging Face checkpoints through the JavaScript API (the WASM build, in Node): the tiny Hub-layout checkpoints of
// tests/golden/hf (made by tests/golden/make_hf.py) opened with attn.loadHuggingFace, their logits and every
// attention tensor compared with the PyTorch references (1e-5 for F32 storage, 1e-4 for F16/BF16, relative to the
// tensor's scale max(1, max |reference|), as tests/engine/hf_model_test.cpp explains), Marian's greedy translation,
// and the messages for bad folders.
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine, HfModel, Tensor } from '../../engine/bindings/attn';
import { HfReference as Reference, loadBuiltEngine, scaledError } from './golden';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const caseDir = (id: string) => path.join(root, 'tests/golden/hf', id);

const CASES = ['gpt2_f32', 'gpt2_f16', 'gpt2_bf16', 'bert_mlm_f32', 'bert_mlm_tf_names', 'bert_model_bf16',
  'distilbert_f32', 'distilbert_f16', 'marian_f32', 'marian_bf16'];

const files = (id: string) => ({
  'config.json': readFileSync(path.join(caseDir(id), 'config.json')),
  'model.safetensors': readFileSync(path.join(caseDir(id), 'model.safetensors')),
});

const worst = { F32: 0, F16: 0, BF16: 0 } as Record<string, number>;

function expectClose(actual: Tensor, ref: Reference, name: string, dtype: string) {
  const r = ref.values(name);
  expect(actual.shape, name).toEqual(r.shape);
  const tol = dtype === 'F32' ? 1e-5 : 1e-4;
  const err = scaledError(actual, r);
  worst[dtype] = Math.max(worst[dtype], err);
  expect(err, `${name}: largest error`).toBeLessThanOrEqual(tol);
}

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

describe('attn.loadHuggingFace', () => {
  it.each(CASES)('%s: logits and every attention equal the PyTorch reference', (id) => {
    const ref = new Reference(id);
    const model: HfModel = attn.loadHuggingFace(files(id));
    try {
      expect(model.family).toBe(ref.meta.family);
      expect(model.tokenizer).toBeNull();
      expect(model.unused).toEqual([]);
      expect(model.dtype).toBe(ref.meta.dtype);
      const out = model.forward({
        input_ids: ref.ids('input_ids')!,
        attention_mask: ref.ids('attention_mask'),
        token_type_ids: ref.ids('token_type_ids'),
        decoder_input_ids: ref.ids('decoder_input_ids'),
      });
      if (ref.has('logits')) expectClose(out.logits!, ref, 'logits', model.dtype);
      else expect(out.logits).toBeUndefined();
      if (ref.has('last_hidden_state')) expectClose(out.last_hidden_state, ref, 'last_hidden_state', model.dtype);
      if (model.family === 'marian') {
        expect(out.encoder_attentions).toHaveLength(model.config.num_layers);
        expect(out.cross_attentions).toHaveLength(model.config.decoder_layers!);
        out.encoder_attentions!.forEach((a, i) => expectClose(a, ref, `encoder_attentions.${i}`, model.dtype));
        out.decoder_attentions!.forEach((a, i) => expectClose(a, ref, `decoder_attentions.${i}`, model.dtype));
        out.cross_attentions!.forEach((a, i) => expectClose(a, ref, `cross_attentions.${i}`, model.dtype));
      } else {
        expect(out.attentions).toHaveLength(model.config.num_layers);
        out.attentions!.forEach((a, i) => expectClose(a, ref, `attentions.${i}`, model.dtype));
      }
    } finally {
      model.delete();
    }
  });

  it('logits of chosen positions: the last one, a list, or none', () => {
    const ref = new Reference('gpt2_f32');
    const model = attn.loadHuggingFace(files('gpt2_f32'));
    const input_ids = ref.ids('input_ids')!;
    const all = model.forward({ input_ids });
    const last = model.forward({ input_ids }, { logits: 'last' });
    const V = model.config.vocab_size;
    expect(last.logits!.shape).toEqual([1, 1, V]);
    expect(last.logit_positions).toEqual([input_ids.length - 1]);
    const T = input_ids.length;
    for (let v = 0; v < V; v++) expect(last.logits!.data[v]).toBeCloseTo(all.logits!.data[(T - 1) * V + v], 5);
    expect(model.forward({ input_ids }, { logits: [0, 2] }).logits!.shape).toEqual([1, 2, V]);
    expect(model.forward({ input_ids }, { logits: 'none' }).logits).toBeUndefined();
    const traced = model.forward({ input_ids }, { logits: 'none', trace: 'weights' });
    expect(Object.keys(traced.trace!)).toContain('decoder.layers.1.self_attn.weights');
    expect(traced.trace!['decoder.layers.1.self_attn.weights'].data).toEqual(traced.attentions![1].data);
    model.delete();
  });

  it('marian: greedy translation equals the reference, with the attention of every generated token', () => {
    for (const id of ['marian_f32', 'marian_bf16']) {
      const ref = new Reference(id);
      const model = attn.loadHuggingFace(files(id));
      const out = model.generate(
        { input_ids: ref.ids('input_ids')!, attention_mask: ref.ids('attention_mask') },
        { maxNewTokens: Number(ref.meta.max_new_tokens) },
      );
      expect(Array.from(out.sequences)).toEqual(ref.ids('generated_ids'));
      expect(out.cross_attentions![0].shape[2]).toBe(out.sequences.length - 1); // one row per generated token
      model.delete();
    }
  });

  it('refuses bad folders with a message and keeps working', () => {
    const good = files('gpt2_f32');
    const message = (f: Record<string, Uint8Array | string>) => {
      try {
        attn.loadHuggingFace(f).delete();
        return 'ok';
      } catch (e) {
        expect((e as Error).name).toBe('AttnError');
        return (e as Error).message;
      }
    };
    expect(message({ 'model.safetensors': good['model.safetensors'] })).toMatch(/^config.json is missing/);
    expect(message({ 'config.json': good['config.json'] })).toMatch(/^model.safetensors is missing/);
    expect(message({ ...good, 'config.json': '{"model_type": "t5"}' })).toMatch(/model_type "t5" is not supported/);
    expect(message({ ...good, 'model.safetensors': files('bert_mlm_f32')['model.safetensors'] }))
      .toMatch(/look like a bert checkpoint but config.json is a gpt2 config/);
    expect(message({ ...good, 'model.safetensors': good['model.safetensors'].subarray(0, 5000) }))
      .toMatch(/^model.safetensors: invalid safetensors file/);
    expect(message({ ...good, 'model.safetensors': new Uint8Array(3) })).toMatch(/shorter than its 8-byte header/);
    expect(() => attn.loadHuggingFace(good, { maxBytes: 1 << 20 })).toThrow(/more than the 1 MB available/);
    // Paths from a folder picker keep their file name.
    expect(message({ 'gpt2/config.json': good['config.json'], 'gpt2/model.safetensors': good['model.safetensors'] })).toBe('ok');
    const model = attn.loadHuggingFace(good);
    expect(() => model.forward({ input_ids: [1, 2, 999] })).toThrow(/input_ids\[2\] = 999 is outside the vocabulary/);
    expect(() => model.forward({ input_ids: [] })).toThrow(/input_ids is empty/);
    expect(model.forward({ input_ids: [1, 2, 3] }).logits!.shape).toEqual([1, 3, 128]);
    model.delete();
  });

  // The project-made model folders of tests/fixtures/hf/models: weights and the tokenizer files, as the Hub has them.
  const folder = (name: string) => {
    const dir = path.join(root, 'tests/fixtures/hf/models', name);
    return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))]));
  };

  it('opens whole folders: the tokenizer comes with the model, and text goes in', () => {
    const gpt2 = attn.loadHuggingFace(folder('gpt2'));
    expect(gpt2.tokenizer?.kind).toBe('bpe');
    const next = gpt2.nextTokens('The cat sat on the', { topK: 5 });
    expect(next.predictions).toHaveLength(5);
    expect(next.predictions[0].probability).toBeGreaterThanOrEqual(next.predictions[4].probability);
    const ids = gpt2.tokenizer!.encode('The cat sat on the').ids;
    const full = gpt2.forward({ input_ids: ids });
    const V = gpt2.config.vocab_size;
    const last = full.logits!.data.subarray((ids.length - 1) * V, ids.length * V);
    expect(next.predictions[0].id).toBe(last.indexOf(Math.max(...last)));
    gpt2.delete();

    const bert = attn.loadHuggingFace(folder('bert'));
    expect(bert.tokenizer?.kind).toBe('wordpiece');
    const filled = bert.fillMask('the cat [MASK] on the mat.', { topK: 3 });
    expect(filled.masks).toHaveLength(1);
    expect(filled.input.input_ids[filled.masks[0].position]).toBe(bert.tokenizer!.specialTokens.mask);
    expect(filled.input.input_ids[0]).toBe(bert.tokenizer!.specialTokens.cls);
    expect(filled.logits!.shape).toEqual([1, 1, bert.config.vocab_size]);
    bert.delete();

    const marian = attn.loadHuggingFace(folder('marian'));
    expect(marian.tokenizer?.kind).toBe('sentencepiece');
    const t = marian.generate('The cat sat on the mat.', { maxNewTokens: 12 });
    expect(t.sequences[0]).toBe(marian.config.decoder_start_token_id);
    expect(typeof t.text).toBe('string');
    expect(t.cross_attentions![0].shape).toEqual([1, marian.config.num_heads, t.sequences.length - 1, t.input!.input_ids.length]);
    marian.delete();
  });

  it('inspectHuggingFace checks a folder from the weights\' header alone', () => {
    const f = folder('bert');
    const weights = f['model.safetensors'];
    const headerEnd = 8 + Number(Buffer.from(weights).readBigUInt64LE(0));
    const partial = { ...f, 'model.safetensors': { size: weights.length, head: weights.subarray(0, headerEnd) } };
    const info = attn.inspectHuggingFace(partial);
    const model = attn.loadHuggingFace(f);
    expect(info.family).toBe('bert');
    expect(info.config).toEqual(model.config);
    expect(info.parameters).toBe(model.numParameters);
    expect(info.memoryBytes).toBe(model.memoryBytes);
    model.delete();
    expect(() => attn.inspectHuggingFace({ ...partial, 'config.json': '{"model_type": "t5"}' })).toThrow(/model_type "t5" is not supported/);
    expect(() => attn.inspectHuggingFace(partial, { maxBytes: 1 << 20 })).toThrow(/more than the 1 MB available/);
    expect(() => attn.loadHuggingFace(partial as never)).toThrow(/only its first \d+ bytes were given/);
  });

  it('a tokenizer of another model is refused', () => {
    const mixed = { ...folder('gpt2'), 'tokenizer.json': folder('bert')['tokenizer.json'] };
    expect(() => attn.loadHuggingFace(mixed)).toThrow(/the tokenizer has 1500 tokens but the model's vocabulary has 1200/);
  });

  it('typing with the cache gives the numbers of the full pass, bit for bit', () => {
    const gpt2 = attn.loadHuggingFace(folder('gpt2'));
    const ids = Array.from(gpt2.tokenizer!.encode('The animal did not cross the street because it was too tired').ids);
    for (let n = 3; n <= ids.length; n++) {
      const cached = gpt2.forward({ input_ids: ids.slice(0, n) }, { logits: 'last', cache: true });
      if (n > 3) expect(cached.reused).toBe(n - 1);
      const full = gpt2.forward({ input_ids: ids.slice(0, n) }, { logits: 'last' });
      expect(cached.logits!.data).toEqual(full.logits!.data);
      cached.attentions!.forEach((a, l) => expect(a.data).toEqual(full.attentions![l].data));
      // the full pass above replaced the cache: the next step starts from it again
    }
    gpt2.delete();
  });

  it('reports the largest errors', () => {
    // eslint-disable-next-line no-console
    console.log(`HF parity in WASM (max error relative to each tensor's scale): F32 ${worst.F32.toExponential(2)}, F16 ${worst.F16.toExponential(2)}, BF16 ${worst.BF16.toExponential(2)}`);
    expect(worst.F32).toBeGreaterThan(0);
  });
});
