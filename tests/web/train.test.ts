// Training through the JavaScript API (the WASM build, in Node): parity with PyTorch, model files,
// the step-by-step trainer, toy tasks, greedy decoding and metrics.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type { Engine, ModelConfig } from '../../engine/bindings/attn';
import { Golden, loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

const ids = (g: Golden, name: string) => Int32Array.from(g.f64(name).data);

describe('training parity with PyTorch', () => {
  it('20 AdamW steps of an encoder-decoder give the same loss as torch at every step', () => {
    const g = new Golden('train');
    const c = g.cases[0];
    const config: ModelConfig = {
      arch: c.arch, vocab_size: c.vocab_size, tgt_vocab_size: c.tgt_vocab_size, num_layers: c.num_layers,
      num_decoder_layers: c.num_decoder_layers, d_model: c.d_model, nhead: c.nhead, dim_feedforward: c.dim_feedforward,
      activation: c.activation, norm_first: c.norm_first, layer_norm_eps: c.layer_norm_eps, positional: c.positional,
      max_len: c.max_len, final_norm: c.final_norm, head_size: c.head_size, pad_id: c.pad_id, dropout: 0,
    };
    const model = attn.createModel(config);
    model.loadStateDict(g.params(c.id));
    const trainer = model.trainer({
      optimizer: c.optimizer, lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weight_decay: c.weight_decay,
      clip_norm: c.clip_norm, warmup: c.warmup, total_steps: c.total_steps, schedule: c.schedule,
      min_lr_ratio: c.min_lr_ratio, label_smoothing: c.label_smoothing, ignore_index: c.ignore_index,
    });
    for (let step = 0; step < c.steps; step++) {
      const src = g.f64(`${c.id}.in.src.${step}`);
      const tin = g.f64(`${c.id}.in.tgt_in.${step}`);
      const s = trainer.step({
        B: src.shape[0], S: src.shape[1], T: tin.shape[1],
        src: Int32Array.from(src.data), tgt: Int32Array.from(tin.data), targets: ids(g, `${c.id}.in.tgt_out.${step}`),
      });
      const want = g.f64(`${c.id}.out.loss.${step}`).data[0];
      expect(Math.abs(s.loss - want) / want, `step ${step}`).toBeLessThan(1e-4);
      expect(s.step).toBe(step + 1);
    }
    model.delete();
  });
});

describe('model files', () => {
  const config: ModelConfig = { arch: 'encoder-decoder', vocab_size: 13, tgt_vocab_size: 13, d_model: 16, nhead: 2,
    num_layers: 1, num_decoder_layers: 1, dim_feedforward: 32, head_size: 13, pad_id: 0, max_len: 24, positional: 'learned' };

  it('save and load round-trip bit-exactly with identical outputs', () => {
    const a = attn.createModel(config, 7);
    const bytes = a.save();
    const b = attn.loadModel(bytes);
    expect(b.config).toEqual(a.config);
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sa)) expect(Buffer.from(sb[k].data.buffer).equals(Buffer.from(sa[k].data.buffer)), k).toBe(true);
    const src = [3, 4, 5, 6];
    const tgt = [1, 6, 5];
    expect(Array.from(b.forward(src, { tgt }).logits.data)).toEqual(Array.from(a.forward(src, { tgt }).logits.data));
    const half = attn.loadModel(a.save({ f16: true }));
    expect(a.save({ f16: true }).length).toBeLessThan(bytes.length * 0.6);
    expect(half.forward(src, { tgt }).logits.data[0]).toBeCloseTo(a.forward(src, { tgt }).logits.data[0], 2);
    for (const m of [a, b, half]) m.delete();
  });

  it('rejects corrupt files with a clear message and keeps working', () => {
    const a = attn.createModel(config, 1);
    const bytes = a.save();
    expect(() => attn.loadModel(bytes.slice(0, bytes.length - 4))).toThrow(/invalid safetensors file: .*past the end/);
    expect(() => attn.loadModel(new Uint8Array([1, 2, 3]))).toThrow(/shorter than its 8-byte header/);
    const bad = bytes.slice();
    bad[8] = 0xff; // the header's first byte: not JSON, not UTF-8
    expect(() => attn.loadModel(bad)).toThrow(/invalid safetensors file/);
    expect(attn.loadModel(bytes).numParameters).toBe(a.numParameters);
    a.delete();
  });
});

describe('trainer and toy tasks', () => {
  it('generates seeded batches laid out for each architecture', () => {
    const b1 = attn.taskBatch({ task: 'reverse', batch: 4, min_len: 3, max_len: 5, symbols: 6 }, 9);
    const b2 = attn.taskBatch({ task: 'reverse', batch: 4, min_len: 3, max_len: 5, symbols: 6 }, 9);
    expect(Array.from(b1.src)).toEqual(Array.from(b2.src));
    expect(b1.B).toBe(4);
    expect(b1.T).toBeGreaterThan(0);
    expect(b1.tgt[0]).toBe(1); // <bos>
    const lm = attn.taskBatch({ task: 'copy', arch: 'decoder', batch: 2 }, 1);
    expect(lm.T).toBe(0);
    expect(() => attn.taskBatch({ task: 'repeat', arch: 'encoder' })).toThrow(/needs a decoder/);
  });

  it('trains step by step: the loss falls, evaluation and greedy decoding work', () => {
    const spec = { task: 'copy' as const, symbols: 5, min_len: 2, max_len: 4, arch: 'encoder-decoder' as const, batch: 32 };
    const probe = attn.taskBatch(spec, 0);
    const model = attn.createModel({ arch: 'encoder-decoder', vocab_size: probe.vocab_size!, tgt_vocab_size: probe.vocab_size!,
      head_size: probe.vocab_size!, d_model: 32, nhead: 4, num_layers: 1, num_decoder_layers: 1, dim_feedforward: 64,
      dropout: 0, pad_id: 0, max_len: probe.max_positions! + 1 }, 3);
    const trainer = model.trainer({ lr: 5e-3, warmup: 20, total_steps: 300, schedule: 'cosine', clip_norm: 1, ignore_index: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) losses.push(trainer.step(attn.taskBatch(spec, 100 + step)).loss);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-20))).toBeLessThan(mean(losses.slice(0, 20)) * 0.5);
    const e = trainer.evaluate(attn.taskBatch({ ...spec, batch: 100 }, 1));
    expect(e.token_accuracy).toBeGreaterThan(0.5);
    expect(e.predictions.length).toBe(100 * attn.taskBatch({ ...spec, batch: 100 }, 1).T);
    const out = model.greedy([3, 4, 5], { bos: 1, eos: 2, max_len: 6 });
    expect(out.tokens.length).toBeLessThanOrEqual(6);
    expect(out.trace['decoder.layers.0.multihead_attn.weights'].shape.slice(2)).toEqual([out.tokens.length + (out.finished ? 1 : 0), 3]);
    expect(() => trainer.step({ ...probe, targets: new Int32Array(3) })).toThrow(/targets do not match/);
    model.delete();
  });

  it('takes one step apart: losses per position, gradients as used, values before and after, optimizer state', () => {
    const spec = { task: 'reverse' as const, symbols: 5, min_len: 2, max_len: 4, arch: 'encoder-decoder' as const, batch: 4 };
    const batch = attn.taskBatch(spec, 7);
    const config = { arch: 'encoder-decoder' as const, vocab_size: batch.vocab_size!, tgt_vocab_size: batch.vocab_size!,
      head_size: batch.vocab_size!, d_model: 16, nhead: 2, num_layers: 1, num_decoder_layers: 1, dim_feedforward: 32,
      dropout: 0, pad_id: 0, max_len: batch.max_positions! + 1 };
    const model = attn.createModel(config, 5);
    const start = model.stateDict();
    const names = Object.keys(start);
    // SGD with momentum: the first step's buffer is the gradient itself, and w = before - lr * buffer.
    const sgd = model.trainer({ optimizer: 'sgd', lr: 0.1, momentum: 0.9, weight_decay: 0, ignore_index: 0 });
    const s = sgd.step(batch, { inspect: true });
    expect(s.params.map((p) => p.name)).toEqual(names);
    expect(s.losses.length).toBe(batch.B * batch.T);
    const counted = Array.from(s.losses).filter((x, i) => (batch.targets[i] === 0 ? Number.isNaN(x) : true));
    expect(counted.length).toBe(s.losses.length); // NaN exactly where the target is the pad
    const mean = Array.from(s.losses).filter((x) => !Number.isNaN(x));
    expect(mean.length).toBe(s.tokens);
    expect(mean.reduce((a, b) => a + b, 0) / mean.length).toBeCloseTo(s.loss, 10);
    expect(s.clip_coef).toBe(1);
    let sq = 0;
    for (const p of s.params) {
      expect(p.before).toEqual(start[p.name].data);
      expect(p.state.momentum_buffer).toEqual(p.grad);
      for (let i = 0; i < p.value.length; i++) {
        sq += p.grad[i] ** 2;
        expect(p.value[i]).toBe(Math.fround(p.before[i] - 0.1 * p.grad[i]));
      }
    }
    expect(Math.sqrt(sq)).toBeCloseTo(s.grad_norm, 4);
    // AdamW from the same start: after one step exp_avg = (1 - beta1) g and exp_avg_sq = (1 - beta2) g^2.
    model.loadStateDict(start);
    const adamw = model.trainer({ optimizer: 'adamw', lr: 1e-2, beta1: 0.8, beta2: 0.9, weight_decay: 0.01, ignore_index: 0 });
    const a = adamw.step(batch, { inspect: true });
    expect(a.loss).toBe(s.loss); // the same start, the same forward pass
    for (const p of a.params) {
      expect(p.before).toEqual(start[p.name].data);
      const i = p.grad.findIndex((g) => g !== 0);
      if (i < 0) continue;
      expect(p.state.exp_avg![i]).toBeCloseTo(0.2 * p.grad[i], 6);
      expect(p.state.exp_avg_sq![i]).toBeCloseTo(0.1 * p.grad[i] ** 2, 8);
      expect(p.state.momentum_buffer).toBeUndefined();
    }
    expect(() => model.trainer({ optimizer: 'sgd', nesterov: true })).toThrow(/Nesterov momentum requires/);
    model.delete();
  });

  it('explains invalid training settings before training', () => {
    const m = attn.createModel({ vocab_size: 5, d_model: 8, nhead: 2, head_size: 5 });
    expect(() => m.trainer({ lr: -1 })).toThrow(/lr must be a positive number/);
    expect(() => m.trainer({ schedule: 'zigzag' as any })).toThrow(/schedule must be/);
    expect(() => m.trainer({ bogus: 1 } as any)).toThrow(/unknown training config key 'bogus'/);
    m.delete();
  });
});

describe('metrics', () => {
  const require = createRequire(new URL('../../web/package.json', import.meta.url));  // web/node_modules
  const { bleu: bleuScore } = require('bleu-score') as { bleu: (ref: string, cand: string, n: number) => number };

  it('BLEU matches the bleu-score npm package on single sentence pairs', () => {
    let rng = 12345;
    const rand = (n: number) => ((rng = (rng * 1103515245 + 12345) % 2147483648), rng % n);
    for (let t = 0; t < 50; t++) {
      const ref = Array.from({ length: 6 + rand(8) }, () => rand(6));
      const hyp = ref.map((x) => (rand(4) === 0 ? rand(6) : x));
      if (rand(3) === 0) hyp.splice(rand(hyp.length), 1);
      const ours = attn.bleu([hyp], [ref]).bleu;
      const theirs = bleuScore(ref.join(' '), hyp.join(' '), 4);
      expect(ours).toBeCloseTo(theirs, 10);
    }
  });

  it('F1 by hand', () => {
    const f = attn.f1([0, 0, 1, 2], [0, 1, 1, 0], 3);
    expect(f.micro).toBeCloseTo(0.5, 12);
    expect(f.macro).toBeCloseTo((0.5 + 2 / 3) / 3, 12);
  });
});

describe('a model trained by the native CLI (tools/test.sh sets ATTN_CLI_MODEL)', () => {
  const file = process.env.ATTN_CLI_MODEL;
  it.skipIf(!file)('loads in WASM and reverses sequences it has never seen', async () => {
    const { readFileSync } = await import('node:fs');
    const model = attn.loadModel(readFileSync(file!));
    expect(model.metadata.task).toBe('reverse');
    let right = 0;
    const inputs = [[3, 4, 5, 6, 7], [12, 11, 10], [5, 5, 9, 3, 8, 8, 4, 6], [9, 3, 4, 12, 5, 6, 7, 8, 10, 11]];
    for (const x of inputs) {
      const out = model.greedy(x, { bos: 1, eos: 2, max_len: x.length + 2 });
      right += Number(out.finished && Array.from(out.tokens).join() === [...x].reverse().join());
    }
    expect(right).toBeGreaterThanOrEqual(3);
    model.delete();
  });
});
