// Head ablation through the JavaScript API (the WASM build, in Node): Model.forward / greedy / headMeans with
// head_mask, decoder_head_mask, cross_attn_head_mask and the means, against make_golden.py's model_head_mask cases
// (PyTorch, float64); HfModel.forward / generate / nextTokens / fillMask with Hugging Face's head masks against
// make_hf.py's head_mask.safetensors; GPT-2's cache under masks; the messages for bad masks.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine, HfModel, ModelConfig, Tensor } from '../../engine/bindings/attn';
import { Golden, HfReference, compare, loadBuiltEngine, scaledError } from './golden';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

const MASKS = ['head_mask', 'head_mean', 'decoder_head_mask', 'decoder_head_mean', 'cross_attn_head_mask', 'cross_attn_head_mean'];

describe('Model with head masks (the project\'s models)', () => {
  const g = new Golden('model_head_mask');
  const modelOf = (c: Record<string, any>) => {
    const { id, torch_checked: _t, masks: _m, means: _n, per_head: _p, ...config } = c;
    const model = attn.createModel({ ...(config as ModelConfig), dropout: 0 });
    model.loadStateDict(g.params(id));
    return model;
  };
  const masksOf = (id: string) => Object.fromEntries(MASKS.filter((k) => g.has(`${id}.in.${k}`)).map((k) => [k, g.f32(`${id}.in.${k}`)]));
  const inputsOf = (id: string) => ({
    ids: Int32Array.from(g.f64(`${id}.in.ids`).data),
    batch: g.f64(`${id}.in.ids`).shape[0],
    tgt: g.has(`${id}.in.tgt`) ? Int32Array.from(g.f64(`${id}.in.tgt`).data) : undefined,
  });

  it.each(g.cases.map((c) => [c.id, c]))('%s: logits and every attention match PyTorch', (id, c) => {
    const model = modelOf(c);
    try {
      const { ids, batch, tgt } = inputsOf(id);
      const r = model.forward(ids, { batch, tgt, ...masksOf(id) });
      expect(compare(r.logits, g.f64(`${id}.out.logits`)).excess).toBe(0);
      const names = Object.keys(r.trace).filter((k) => k.endsWith('.weights'));
      expect(names.length).toBe(c.num_layers + (c.arch === 'encoder-decoder' ? 2 * c.num_decoder_layers : 0));
      for (const k of names) expect(compare(r.trace[k], g.f64(`${id}.out.${k}`)).excess, k).toBe(0);
    } finally {
      model.delete();
    }
  });

  it('masks of ones change nothing (bit for bit); nested arrays, [H] rows and typed tensors all work', () => {
    const c = g.cases.find((x) => x.id === 'head_mask_01')!;
    const model = modelOf(c);
    try {
      const { ids, batch } = inputsOf(c.id);
      const plain = model.forward(ids, { batch });
      const H = c.nhead;
      const ones = model.forward(ids, { batch, head_mask: Array.from({ length: c.num_layers }, () => Array(H).fill(1)) });
      expect(ones.logits.data).toEqual(plain.logits.data);
      const row = model.forward(ids, { batch, head_mask: [1, 0, 1, 1] });
      const full = model.forward(ids, { batch, head_mask: { data: new Float32Array([1, 0, 1, 1, 1, 0, 1, 1]), shape: [2, 4] } });
      expect(row.logits.data).toEqual(full.logits.data);
      expect(row.logits.data).not.toEqual(plain.logits.data);
      // Head 2 (index 1) of layer 1 attends nowhere now; its context vectors are zeros (trace 'full': heads).
      const traced = model.forward(ids, { batch, head_mask: [1, 0, 1, 1], trace: 'full' });
      const w = traced.trace['decoder.layers.0.self_attn.weights'];
      const L = w.shape[2];
      expect(Array.from(w.data.subarray(L * L, 2 * L * L)).every((x) => x === 0)).toBe(true);
      expect(traced.trace['decoder.layers.0.self_attn.heads'].shape).toEqual([batch, H, L, c.d_model / H]);
    } finally {
      model.delete();
    }
  });

  it('headMeans: the trace\'s context vectors averaged; a removed head then outputs its mean exactly', () => {
    for (const c of g.cases.filter((x) => ['head_mask_01', 'head_mask_02'].includes(x.id))) {
      const model = modelOf(c);
      try {
        const seq2seq = c.arch === 'encoder-decoder';
        const seqs = [[3, 4, 5], [6, 2, 1, 7]];
        const tgts = seq2seq ? [[1, 2], [3, 4, 5]] : undefined;
        const means = model.headMeans(seqs, tgts);
        const H = c.nhead;
        const Dh = c.d_model / H;
        expect(means.head_mean.shape).toEqual([c.num_layers, H, Dh]);
        expect(means.decoder_head_mean === undefined).toBe(!seq2seq);
        // From the full trace, one pass per sequence.
        const stack = c.arch === 'decoder' ? 'decoder' : 'encoder';
        const sum = new Float64Array(c.num_layers * H * Dh);
        let n = 0;
        seqs.forEach((s, i) => {
          const t = model.forward(s, { tgt: tgts?.[i], trace: 'full' }).trace;
          for (let l = 0; l < c.num_layers; l++) {
            const heads = t[`${stack}.layers.${l}.self_attn.heads`];
            const T = heads.shape[2];
            for (let h = 0; h < H; h++)
              for (let r = 0; r < T; r++)
                for (let d = 0; d < Dh; d++) sum[(l * H + h) * Dh + d] += heads.data[(h * T + r) * Dh + d];
          }
          n += s.length;
        });
        sum.forEach((x, k) => expect(means.head_mean.data[k]).toBeCloseTo(x / n, 6));
        // Mean ablation of every head of the first layer: its context vectors are the means.
        const mask = Array.from({ length: c.num_layers }, (_, l) => Array(H).fill(l === 0 ? 0 : 1));
        const out = model.forward(seqs[0], { tgt: tgts?.[0], trace: 'full', head_mask: mask, ...means });
        const heads = out.trace[`${stack}.layers.0.self_attn.heads`];
        const T = heads.shape[2];
        for (let h = 0; h < H; h++)
          for (let r = 0; r < T; r++)
            for (let d = 0; d < Dh; d++) expect(heads.data[(h * T + r) * Dh + d]).toBe(means.head_mean.data[h * Dh + d]);
      } finally {
        model.delete();
      }
    }
  });

  it('greedy applies the masks at every step', () => {
    const bytes = readFileSync(path.join(root, 'models/dates/model.safetensors'));
    const model = attn.loadModel(bytes);
    try {
      const src = [5, 6, 7, 8, 9, 10, 11, 12];
      const plain = model.greedy(src, { max_len: 12 });
      const none = model.greedy(src, { max_len: 12, cross_attn_head_mask: [[0, 0, 0, 0], [0, 0, 0, 0]] });
      expect(Array.from(none.tokens)).not.toEqual(Array.from(plain.tokens));
      // Every token is the argmax of the masked forward pass over the tokens before it.
      const prefix = [1];
      for (const tok of none.tokens) {
        const r = model.forward(src, { tgt: prefix, cross_attn_head_mask: [0, 0, 0, 0], trace: 'none' });
        const V = r.logits.shape[2];
        const row = r.logits.data.subarray((prefix.length - 1) * V, prefix.length * V);
        expect(row.indexOf(Math.max(...row))).toBe(tok);
        prefix.push(tok);
      }
      // The cross-attention the trace shows is all zeros: no output reads the input.
      const w = none.trace['decoder.layers.1.multihead_attn.weights'];
      expect(w.data.every((x) => x === 0)).toBe(true);
    } finally {
      model.delete();
    }
  });

  it('bad masks get the engine\'s message', () => {
    const c = g.cases.find((x) => x.id === 'head_mask_01')!;
    const model = modelOf(c);
    try {
      expect(() => model.forward([1, 2], { head_mask: [[1, 1, 1], [1, 1, 1]] })).toThrow(
        'head_mask has shape [2, 3] but the model has 2 layers of 4 heads: give [2, 4] (or [4] for every layer)');
      expect(() => model.forward([1, 2], { head_mask: [1, NaN, 1, 1] })).toThrow(/head_mask\[0\]\[1\] is nan: every value must be a finite number/);
      expect(() => model.forward([1, 2], { decoder_head_mask: [1, 1, 1, 1] })).toThrow(
        'decoder_head_mask and cross_attn_head_mask are for encoder-decoder models: a decoder model has one stack, masked by head_mask');
      expect(() => model.forward([1, 2], { head_mask: [1, 0, 1, 1], head_mean: [[1, 2]] })).toThrow(/head_mean has shape \[1, 2\]/);
      expect(() => model.forward([1, 2], { head_mask: { data: [1, 1], shape: [4] } })).toThrow(/2 values do not fill shape \[4\]/);
      expect(() => model.greedy([1, 2], { head_mask: [2, 2] })).toThrow(/head_mask has shape \[2\]/);
      expect(() => model.headMeans([])).toThrow('headMeans: give at least one sequence');
      expect(model.forward([1, 2]).logits.shape).toEqual([1, 2, c.head_size]);  // and the model still works
    } finally {
      model.delete();
    }
  });
});

// -------------------------------------------------------------------------------------------- Hugging Face
const HF_CASES = ['gpt2_f32', 'bert_mlm_f32', 'distilbert_f16', 'marian_bf16'];
const hfFiles = (id: string) => ({
  'config.json': readFileSync(path.join(root, 'tests/golden/hf', id, 'config.json')),
  'model.safetensors': readFileSync(path.join(root, 'tests/golden/hf', id, 'model.safetensors')),
});
const tensorOf = (r: HfReference, name: string): Tensor => {
  const v = r.values(name);
  return { data: Float32Array.from(v.data), shape: v.shape };
};
const hfMasks = (r: HfReference) => Object.fromEntries(MASKS.filter((k) => r.has(k)).map((k) => [k, tensorOf(r, k)]));

describe('HfModel with head masks (Hugging Face\'s head_mask, decoder_head_mask, cross_attn_head_mask)', () => {
  it.each(HF_CASES)('%s: logits and every attention equal the reference', (id) => {
    const ref = new HfReference(id, 'head_mask.safetensors');
    const model: HfModel = attn.loadHuggingFace(hfFiles(id));
    try {
      const tol = model.dtype === 'F32' ? 1e-5 : 1e-4;
      const inputs = {
        input_ids: ref.ids('input_ids')!,
        attention_mask: ref.ids('attention_mask'),
        token_type_ids: ref.ids('token_type_ids'),
        decoder_input_ids: ref.ids('decoder_input_ids'),
        ...hfMasks(ref),
      };
      const out = model.forward(inputs);
      expect(scaledError(out.logits!, ref.values('logits'))).toBeLessThanOrEqual(tol);
      const groups = model.family === 'marian' ? ['encoder_attentions', 'decoder_attentions', 'cross_attentions'] : ['attentions'];
      for (const grp of groups)
        (out as any)[grp].forEach((a: Tensor, i: number) => expect(scaledError(a, ref.values(`${grp}.${i}`)), `${grp}.${i}`).toBeLessThanOrEqual(tol));
      if (model.family === 'marian') {
        const src = { input_ids: inputs.input_ids, attention_mask: inputs.attention_mask };
        const gen = model.generate(src, { maxNewTokens: Number(ref.meta.max_new_tokens), ...hfMasks(ref) });
        expect(Array.from(gen.sequences)).toEqual(ref.ids('generated_ids'));
      }
    } finally {
      model.delete();
    }
  });

  it('nextTokens and fillMask take the masks as options', () => {
    for (const id of ['gpt2_f32', 'bert_mlm_f32']) {
      const ref = new HfReference(id, 'head_mask.safetensors');
      const model = attn.loadHuggingFace(hfFiles(id));
      try {
        const ids = ref.ids('input_ids')!;
        const V = model.config.vocab_size;
        const logits = ref.values('logits').data;
        if (model.family === 'gpt2') {
          const out = model.nextTokens(ids, { topK: 3, ...hfMasks(ref) });
          const T = ids.length;
          const expected = logits.slice((T - 1) * V, T * V);
          const best = expected.indexOf(Math.max(...expected));
          expect(out.predictions[0].id).toBe(best);
          expect(out.predictions[0].logit).toBeCloseTo(expected[best], 4);
        } else {
          const out = model.fillMask(ids, { topK: 3, ...hfMasks(ref) });
          expect(out.masks.length).toBe(0);  // no tokenizer: the mask id is unknown, so no position is filled
          const forward = model.forward({ input_ids: ids, token_type_ids: ref.ids('token_type_ids'), ...hfMasks(ref) }, { logits: [3] });
          expect(scaledError(forward.logits!, { data: logits.slice(3 * V, 4 * V), shape: [1, 1, V] })).toBeLessThanOrEqual(1e-5);
        }
      } finally {
        model.delete();
      }
    }
  });

  it('GPT-2\'s cache continues only a pass made with the same masks', () => {
    const ref = new HfReference('gpt2_f32', 'head_mask.safetensors');
    const model = attn.loadHuggingFace(hfFiles('gpt2_f32'));
    try {
      const ids = ref.ids('input_ids')!;
      const masks = hfMasks(ref);
      const run = (n: number, masked: boolean) => model.forward({ input_ids: ids.slice(0, n), ...(masked ? masks : {}) }, { cache: true, logits: 'last' });
      const full = (n: number, masked: boolean) => model.forward({ input_ids: ids.slice(0, n), ...(masked ? masks : {}) }, { logits: 'last' });
      expect(run(5, false).reused).toBe(0);
      expect(run(7, true).reused).toBe(0);      // other masks: a full pass
      const cont = run(9, true);
      expect(cont.reused).toBe(7);              // the same masks: continued
      const want = full(9, true);
      // (model.forward(full) refilled the cache; continue again from the same masked prefix)
      const again = run(10, true);
      expect(again.reused).toBe(9);
      expect(Array.from(cont.logits!.data)).toEqual(Array.from(want.logits!.data));  // bit for bit in WebAssembly
      expect(run(11, false).reused).toBe(0);    // an unmasked pass never reads keys made under masks
      const T = ids.length;
      const last = run(T, true);
      expect(scaledError(last.logits!, { data: ref.values('logits').data.slice((T - 1) * model.config.vocab_size), shape: [1, 1, model.config.vocab_size] })).toBeLessThanOrEqual(1e-5);
    } finally {
      model.delete();
    }
  });

  it('bad masks get the engine\'s message', () => {
    const model = attn.loadHuggingFace(hfFiles('gpt2_f32'));
    try {
      expect(() => model.forward({ input_ids: [1, 2], decoder_head_mask: [1, 1, 1, 1] })).toThrow(
        'decoder_head_mask and cross_attn_head_mask are for encoder-decoder (marian) models: a gpt2 model has one stack, masked by head_mask');
      expect(() => model.forward({ input_ids: [1, 2], head_mask: [1, 1] })).toThrow(/head_mask has shape \[2\] but the model has 2 layers of 4 heads/);
      expect(() => model.nextTokens([1, 2], { head_mask: [1, 1, Infinity, 1] })).toThrow(/head_mask\[0\]\[2\] is inf/);
    } finally {
      model.delete();
    }
  });
});
