// The JavaScript API of the WASM engine, called from Node on the same golden files as the C++ suite.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, ModelConfig, Tensor } from '../../engine/bindings/attn';
import { compare, Golden, loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

function expectClose(actual: Tensor, golden: Golden, name: string) {
  const { excess, maxErr } = compare(actual, golden.f64(name));
  expect(excess, `${name}: max error ${maxErr}`).toBeLessThanOrEqual(0);
}

function expectRows(w: Tensor) {
  const S = w.shape[w.shape.length - 1];
  for (let r = 0; r < w.data.length / S; r++) {
    let sum = 0;
    for (let j = 0; j < S; j++) sum += w.data[r * S + j];
    if (sum !== 0) expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
  }
}

/** [A, B, ...] -> [B, A, ...] for the unbatched/batch-first bookkeeping of per-head weights. */
function dropLeading(t: Tensor): Tensor {
  return { data: t.data, shape: t.shape.slice(1) };
}

describe('scaledDotProductAttention', () => {
  const g = new Golden('sdpa');
  it.each(g.cases.map((c) => [c.id, c]))('%s matches PyTorch', (id, c) => {
    const r = attn.scaledDotProductAttention({
      query: g.f32(`${id}.in.query`),
      key: g.f32(`${id}.in.key`),
      value: g.f32(`${id}.in.value`),
      attn_mask: g.mask(c, 'attn_mask'),
      is_causal: c.is_causal,
      scaled: c.scaled,
      scale: c.scale || undefined,
      temperature: c.temperature,
    });
    expectClose(r.output, g, `${id}.out.output`);
    expectClose(r.weights, g, `${id}.out.weights`);
    expectRows(r.weights);
  });
});

describe('multiheadAttention', () => {
  const g = new Golden('mha');
  it.each(g.cases.map((c) => [c.id, c]))('%s matches PyTorch', (id, c) => {
    const r = attn.multiheadAttention({
      embed_dim: c.embed_dim,
      num_heads: c.num_heads,
      kdim: c.kdim,
      vdim: c.vdim,
      bias: c.bias,
      batch_first: c.batch_first,
      params: g.params(id),
      query: g.f32(`${id}.in.query`),
      key: g.f32(`${id}.in.key`),
      value: g.f32(`${id}.in.value`),
      key_padding_mask: g.mask(c, 'key_padding_mask'),
      attn_mask: g.mask(c, 'attn_mask'),
      need_weights: c.need_weights,
      average_attn_weights: c.average_attn_weights,
      is_causal: c.is_causal,
      trace: true,
    });
    expectClose(r.attn_output, g, `${id}.out.attn_output`);
    if (c.need_weights) expectClose(r.attn_output_weights!, g, `${id}.out.attn_output_weights`);
    else expect(r.attn_output_weights).toBeNull();
    const perHead = r.trace!.weights;
    expectClose(c.unbatched ? dropLeading(perHead) : perHead, g, `${id}.out.per_head_weights`);
    expectRows(perHead);
  });
});

function layerOptions(g: Golden, c: Record<string, any>) {
  return {
    d_model: c.d_model,
    nhead: c.nhead,
    dim_feedforward: c.dim_feedforward,
    activation: c.activation,
    layer_norm_eps: c.layer_norm_eps,
    batch_first: c.batch_first,
    norm_first: c.norm_first,
    params: g.params(c.id),
  };
}

function checkTrace(g: Golden, id: string, trace: Record<string, Tensor>, expected: number) {
  let n = 0;
  for (const [name, t] of Object.entries(trace)) {
    if (!name.endsWith('weights')) continue;
    expectClose(t, g, `${id}.out.${name}`);
    expectRows(t);
    n++;
  }
  expect(n).toBe(expected);
}

for (const file of ['encoder_layer', 'encoder_stack']) {
  describe(file, () => {
    const g = new Golden(file);
    it.each(g.cases.map((c) => [c.id, c]))('%s matches PyTorch', (id, c) => {
      const opts = {
        ...layerOptions(g, c),
        src: g.f32(`${id}.in.src`),
        src_mask: g.mask(c, 'mask'),
        src_key_padding_mask: g.mask(c, 'key_padding_mask'),
        is_causal: c.is_causal,
      };
      const r = c.num_layers
        ? attn.transformerEncoder({ ...opts, num_layers: c.num_layers, norm: c.norm })
        : attn.transformerEncoderLayer(opts);
      expectClose(r.output, g, `${id}.out.output`);
      checkTrace(g, id, r.trace, Math.max(c.num_layers, 1));
    });
  });
}

for (const file of ['decoder_layer', 'decoder_stack']) {
  describe(file, () => {
    const g = new Golden(file);
    it.each(g.cases.map((c) => [c.id, c]))('%s matches PyTorch', (id, c) => {
      const opts = {
        ...layerOptions(g, c),
        tgt: g.f32(`${id}.in.src`),
        memory: g.f32(`${id}.in.memory`),
        tgt_mask: g.mask(c, 'mask'),
        tgt_key_padding_mask: g.mask(c, 'key_padding_mask'),
        memory_mask: g.mask(c, 'memory_mask'),
        memory_key_padding_mask: g.mask(c, 'memory_key_padding_mask'),
        tgt_is_causal: c.is_causal,
      };
      const r = c.num_layers
        ? attn.transformerDecoder({ ...opts, num_layers: c.num_layers, norm: c.norm })
        : attn.transformerDecoderLayer(opts);
      expectClose(r.output, g, `${id}.out.output`);
      checkTrace(g, id, r.trace, 2 * Math.max(c.num_layers, 1));
    });
  });
}

describe('models', () => {
  const g = new Golden('model');
  it.each(g.cases.map((c) => [c.id, c]))('%s matches PyTorch', (id, c) => {
    const { id: _id, torch_checked: _t, ...config } = c;
    const model = attn.createModel({ ...(config as ModelConfig), dropout: 0 });
    try {
      model.loadStateDict(g.params(id));
      const ids = Int32Array.from(g.f64(`${id}.in.ids`).data);
      const batch = g.f64(`${id}.in.ids`).shape[0];
      const tgt = g.has(`${id}.in.tgt`) ? Int32Array.from(g.f64(`${id}.in.tgt`).data) : undefined;
      const r = model.forward(ids, { batch, tgt });
      expectClose(r.logits, g, `${id}.out.logits`);
    } finally {
      model.delete();
    }
  });
});

describe('positionalEncoding', () => {
  const g = new Golden('positional');
  it.each(g.cases.map((c) => [c.id, c]))('%s is the sinusoidal formula', (id, c) => {
    expectClose(attn.positionalEncoding(c.length, c.d_model), g, `${id}.out.pe`);
  });
});

/** erf by its Taylor series in float64 (converges well for |x| <= 4). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('activation', () => {
  const xs = Array.from({ length: 161 }, (_, i) => -4 + i * 0.05);
  it('relu and exact gelu elementwise, with their derivatives', () => {
    const relu = attn.activation('relu', { data: xs, shape: [xs.length] });
    const gelu = attn.activation('gelu', { data: xs, shape: [xs.length] });
    xs.forEach((x, i) => {
      const xf = Math.fround(x);
      expect(relu.output.data[i]).toBe(Math.max(0, xf));
      expect(relu.derivative.data[i]).toBe(xf > 0 ? 1 : 0);
      const phi = 0.5 * (1 + erf(xf / Math.SQRT2));
      expect(Math.abs(gelu.output.data[i] - xf * phi)).toBeLessThan(1e-6);
      const density = Math.exp((-xf * xf) / 2) / Math.sqrt(2 * Math.PI);
      expect(Math.abs(gelu.derivative.data[i] - (phi + xf * density))).toBeLessThan(1e-6);
    });
    expect(() => attn.activation('tanh' as 'relu', [1])).toThrow(/relu.*gelu/);
  });
});

describe('layer trace', () => {
  it('holds the norms (per-token statistics), residual sums and the feed-forward steps', () => {
    const g = new Golden('encoder_layer');
    const c = g.cases[0];
    const r = attn.transformerEncoderLayer({ ...layerOptions(g, c), src: g.f32(`${c.id}.in.src`), activation: 'relu' });
    for (const n of ['input', 'norm1.out', 'norm1.mean', 'norm1.rstd', 'resid1', 'norm2.out', 'ff.pre', 'ff.hidden', 'ff.output', 'output'])
      expect(r.trace[n], n).toBeDefined();
    const pre = r.trace['ff.pre'].data;
    const hidden = r.trace['ff.hidden'].data;
    for (let i = 0; i < pre.length; i++) expect(hidden[i]).toBe(Math.max(0, pre[i]));
  });
});

describe('API ergonomics and errors', () => {
  it('accepts nested arrays and boolean masks', () => {
    const r = attn.scaledDotProductAttention({
      query: [[1, 0]],
      key: [[1, 0], [0, 1]],
      value: [[1, 2], [3, 4]],
      attn_mask: [[true, false]],
    });
    expect(Array.from(r.weights.data)).toEqual([1, 0]);
    expect(Array.from(r.output.data)).toEqual([1, 2]);
  });

  it('throws AttnError with a clear message for bad shapes, configs and ids', () => {
    expect(() => attn.scaledDotProductAttention({ query: [[1, 2]], key: [[1, 2, 3]], value: [[1]] })).toThrow(
      /key's last dimension \(3\) must equal query's \(2\)/,
    );
    expect(() => attn.createModel({ vocab_size: 10, d_model: 10, nhead: 3 })).toThrow(/divisible by nhead/);
    expect(() => attn.createModel({ vocab_size: 10, d_model: 8, nhead: 2, bogus: 1 } as any)).toThrow(
      /unknown model config key 'bogus'/,
    );
    const m = attn.createModel({ vocab_size: 10, d_model: 8, nhead: 2, dim_feedforward: 16 });
    expect(() => m.forward([1, 10])).toThrow(/outside the vocabulary/);
    expect(() => m.forward([])).toThrow(/empty/);
    expect(() => m.loadStateDict({ 'embed.weight': { data: new Float32Array(3), shape: [3] } })).toThrow(
      /has shape \[3\] but the model expects \[10, 8\]/,
    );
    m.delete();
  });

  it('keeps working after many calls (no leak-driven failure, memory growth handled)', () => {
    const m = attn.createModel({ vocab_size: 64, d_model: 32, nhead: 4, num_layers: 2, dim_feedforward: 64, max_len: 512 });
    const ids = Int32Array.from({ length: 512 }, (_, i) => i % 64);
    let last: Float32Array | undefined;
    for (let i = 0; i < 5; i++) {
      const r = m.forward(ids);
      const w = r.trace['encoder.layers.1.self_attn.weights'];
      expect(w.shape).toEqual([1, 4, 512, 512]);
      if (last) expect(w.data.every((x, k) => x === last![k])).toBe(true);
      last = w.data;
    }
    m.delete();
  });
});

describe('README', () => {
  it('the JavaScript API examples run as written', async () => {
    const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
    const path = await import('node:path');
    const os = await import('node:os');
    const { pathToFileURL } = await import('node:url');
    const { engineDir } = await import('./golden');
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    // Every ```js block of the README, in order, as one module (the training example runs 20 steps, not 2000).
    const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // (and the Hugging Face example reads the project's test folders, from the repository's root)
    const root = path.resolve(__dirname, '../..');
    const code = blocks.join('\n').replaceAll('2000', '20').replaceAll("folder('tests/", `folder('${root}/tests/`);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'attn-readme-')), 'example.mjs');
    const apiUrl = pathToFileURL(path.join(engineDir, 'attn.mjs')).href;
    writeFileSync(
      file,
      `${code.replace(/from '[^']*attn\.mjs'/, `from '${apiUrl}'`)}\nexport { attn_output_weights, weights, tokens, again, exact_match };\n`,
    );
    const mod = await import(/* @vite-ignore */ pathToFileURL(file).href);
    expect(mod.attn_output_weights.shape).toEqual([1, 2, 3, 3]);
    expect(mod.again.numParameters).toBeGreaterThan(1000);
    expect(mod.exact_match).toBeGreaterThanOrEqual(0);
    expect(Array.from(mod.weights.data)).toEqual([1, 0, expect.any(Number), expect.any(Number)]);
  });
});
