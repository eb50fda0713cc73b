// The "PyTorch" scripts of the widgets (web/src/widgets/pytorch-scripts.ts), run with PyTorch: for each widget,
// in its default state and in other states, the script is built from the widget's own call builders, run with
// Debian's /usr/bin/python3 (python3-torch), and every number it prints (its ATTN_JSON line) is compared with what
// the real WASM engine returns for the same call: what the widget shows. Needs python3-torch: without it, this
// file FAILS (tools/test.sh installs it).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Tensor } from '../../engine/bindings/attn';
import { runCall } from '../../web/src/engine/calls';
import { pyNumber } from '../../web/src/widgets/pytorch';
import {
  blockScript,
  blockShown,
  byHandCall,
  byHandScript,
  dropoutNormScript,
  ffnScript,
  masksScript,
  multiheadCall,
  multiheadScript,
  batchScript,
  positionalScript,
  trainStepScript,
  type ByHandSetup,
} from '../../web/src/widgets/pytorch-scripts';
import {
  BLOCK,
  CURVE_X,
  DROPOUT,
  NORM,
  blockDecoderCall,
  blockEncoderCall,
  blockInput,
  batchCall,
  batchInput,
  batchMask,
  batchWords,
  blockWords,
  dropoutCall,
  encoderCall,
  joinHeads,
  masksBatch,
  masksCall,
  type BlockOptions,
} from '../../web/src/widgets/seeded-layers';
import { optimizerDefaults, trainStepCall, type OptimizerOptions } from '../../web/src/widgets/train-step-setup';
import { loadBuiltEngine } from './golden';
import { close, largestError, requireTorch, shownBy } from './python';

let attn: Engine;

beforeAll(async () => {
  requireTorch();
  attn = await loadBuiltEngine();
});

describe('pyNumber', () => {
  it('writes the shortest decimal that parses back to the same float32', () => {
    for (const v of [0.1, 1 / 3, -2.5e-8, 123456.789, 1, 0, 3.4e38, Math.sqrt(2)]) {
      const s = pyNumber(v);
      expect(Math.fround(Number(s))).toBe(Math.fround(v));
      expect(s.replace(/[-.]|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(pyNumber(1)).toBe('1.0');
    expect(pyNumber(0.1)).toBe('0.1');
    expect(pyNumber(-Infinity)).toBe('-inf');
  });
});

// ------------------------------------------------------------------------------------------------- ffn
describe('<attn-ffn>', () => {
  for (const token of [1, 4]) {
    it(`token ${token}: curves, ff.pre / hidden / output with ReLU and GELU`, () => {
      const layer = encoderCall(false, 'relu');
      const shown = shownBy(ffnScript(CURVE_X, layer, NORM.words, token));
      for (const act of ['relu', 'gelu'] as const) {
        const curve = runCall(attn, 'activation', { name: act, input: { data: CURVE_X, shape: [CURVE_X.length] } });
        close(`${act}(x)`, shown[`${act}(x)`], curve.output.data);
        close(`${act}'(x)`, shown[`${act}'(x)`], curve.derivative.data);
        const r = runCall(attn, 'encoderLayer', encoderCall(false, act));
        for (const key of ['ff.pre', 'ff.hidden', 'ff.output']) {
          const t = r.trace[key];
          const C = t.shape[t.shape.length - 1];
          close(`${act} ${key}`, shown[`${act} ${key}`], t.data.subarray(token * C, (token + 1) * C));
        }
      }
    }, 90000);
  }
});

// ---------------------------------------------------------------------------------------- dropout-norm
describe('<attn-dropout-norm>', () => {
  const cases = [
    { p: 0.3, seed: 1, training: true, normFirst: false },
    { p: 0.6, seed: 7, training: true, normFirst: true },
    { p: 0.3, seed: 1, training: false, normFirst: false },
  ];
  for (const c of cases) {
    it(`p ${c.p}, seed ${c.seed}, training ${c.training}, norm-first ${c.normFirst}`, () => {
      const call = dropoutCall(c.p, c.seed, c.training);
      const main = runCall(attn, 'sdpa', call);
      const layer = encoderCall(c.normFirst);
      const shown = shownBy(dropoutNormScript(DROPOUT.words, call, { weights: main.weights.data, dropped: main.dropped?.data }, c.p, c.training, layer, NORM.words));
      const dropped = main.dropped?.data ?? main.weights.data;
      close('weights', shown['weights'], main.weights.data);
      close('weights after dropout', shown['weights after dropout'], dropped);
      let zeroed = 0;
      main.weights.data.forEach((w, i) => (zeroed += dropped[i] === 0 && w !== 0 ? 1 : 0));
      expect(shown['zeroed']).toEqual([zeroed]);
      if (c.training) expect(zeroed).toBeGreaterThan(0);
      const t = runCall(attn, 'encoderLayer', layer).trace;
      close('norm1 input', shown['norm1 input'], (c.normFirst ? t['input'] : t['resid1']).data);
      close('norm1 output', shown['norm1 output'], t['norm1.out'].data);
      close('mean before', shown['mean before'], t['norm1.mean'].data);
      close('variance before', shown['variance before'], Array.from(t['norm1.rstd'].data, (r) => 1 / (r * r) - NORM.eps));
    }, 90000);
  }
});

// ------------------------------------------------------------------------------------------------ masks
describe('<attn-masks>', () => {
  const cases = [
    { sentences: 'the cat sat|a dog barked at the mailman|hello', causal: false, padding: true, left: false },
    { sentences: 'the cat sat|a dog barked at the mailman|hello', causal: true, padding: true, left: true },
    { sentences: 'one two three|four five', causal: true, padding: false, left: false },
  ];
  for (const c of cases) {
    it(`causal ${c.causal}, padding ${c.padding}, pad ${c.left ? 'left' : 'right'}`, () => {
      const batch = masksBatch(c.sentences, c.left);
      const call = masksCall(batch, c.causal, c.padding);
      const r = runCall(attn, 'mha', call);
      const shown = shownBy(masksScript(batch.labels, call));
      close('weights', shown['weights'], r.trace!.weights.data);
      close('heads', shown['heads'], r.trace!.heads.data);
      if (r.trace!.mask) {
        // The engine's mask is [B, 1, S, S] (0 or -inf).
        close('mask', shown['mask'], r.trace!.mask.data);
      }
    }, 90000);
  }
});

// ---------------------------------------------------------------------------------------------- by hand
describe('<attn-by-hand>', () => {
  const base: ByHandSetup = {
    tokens: ['the', 'cat', 'sat'],
    d: 2,
    input: 'x',
    x: [[1, 0], [0, 1], [1, 1]],
    wq: [[1, 0], [1, 1]],
    wk: [[0, 1], [1, 0]],
    wv: [[1, 0], [0, 2]],
    wo: [[1, 0], [0, 1]],
    q: [[1, 0], [0, 1], [2, 1]],
    k: [[0, 1], [1, 0], [1, 1]],
    v: [[1, 0], [0, 2], [1, 2]],
    scaled: true,
    temperature: 1,
    proj: true,
  };
  const causal = [[false, true, true], [false, false, true], [false, false, false]];
  const padding = [[false, false, true], [false, false, true], [false, false, true]];
  const cases: [string, ByHandSetup][] = [
    ['default', base],
    ['causal, projection 0.3', { ...base, blocked: causal, wo: [[0.3, -1.7], [2.1, 0.1]] }],
    ['no scaling, temperature 2, padding, no projection', { ...base, scaled: false, temperature: 2, blocked: padding, proj: false }],
    ['Q, K, V typed, causal', { ...base, input: 'qkv', blocked: causal, q: [[0.1, 0.2], [0.3, -0.4], [2, 1]] }],
    ['Q, K, V typed, temperature 0.5', { ...base, input: 'qkv', temperature: 0.5 }],
  ];
  for (const [name, s] of cases) {
    it(name, () => {
      const c = byHandCall(s);
      const shown = shownBy(byHandScript(s));
      if (c.name === 'mha') {
        const t = runCall(attn, 'mha', c.args).trace!;
        close('Q', shown['Q'], t.q.data);
        close('K', shown['K'], t.k.data);
        close('V', shown['V'], t.v.data);
        close('S', shown['S'], t.scores!.data);
        close("S'", shown["S'"], t.scaled!.data);
        if (t.mask) close('M', shown['M'], t.mask.data);
        close('A', shown['A'], t.weights.data);
        close('Z', shown['Z'], t.heads.data);
        if (s.proj) close('Y', shown['Y'], t.output.data);
        else expect(shown['Y']).toBeUndefined();
      } else {
        const r = runCall(attn, 'sdpa', c.args);
        close('S', shown['S'], r.scores.data);
        close("S'", shown["S'"], r.scaled.data);
        if (r.mask) close('M', shown['M'], r.mask.data);
        close('A', shown['A'], r.weights.data);
        close('Z', shown['Z'], r.output.data);
      }
    }, 90000);
  }
});

// -------------------------------------------------------------------------------------------- multihead
describe('<attn-multihead>', () => {
  const text = "the animal didn't cross the street because it was too tired".split(' ');
  for (const [d, h, seed] of [[64, 4, 1], [16, 2, 5], [8, 1, 3]]) {
    it(`d_model ${d}, ${h} heads, seed ${seed}`, () => {
      const r = runCall(attn, 'mha', multiheadCall(text, d, h, seed));
      const shown = shownBy(multiheadScript(text, d, h, seed));
      close('weights', shown['weights'], r.attn_output_weights!.data);
      close('concat', shown['concat'], r.trace!.concat.data);
      close('output', shown['output'], r.trace!.output.data);
    }, 90000);
  }
});

// ------------------------------------------------------------------------------------------------ block
describe('<attn-block>', () => {
  const defaults: BlockOptions = { layer: 'encoder', normFirst: false, d: BLOCK.d, nhead: BLOCK.nhead, F: BLOCK.F, activation: 'relu', p: 0.1, training: false };
  const train = { training: true, p: 0.3 };
  const cases: [string, BlockOptions][] = [
    ['encoder, default', defaults],
    ['encoder, pre-norm, gelu, d 12, 3 heads', { ...defaults, normFirst: true, activation: 'gelu', d: 12, nhead: 3, F: 20 }],
    ['decoder', { ...defaults, layer: 'decoder' }],
    ['decoder, pre-norm, gelu', { ...defaults, layer: 'decoder', normFirst: true, activation: 'gelu' }],
    // Training mode: the script replays the engine's dropout draws (its PCG32 in Python) in place of F.dropout.
    ['encoder, training, p 0.3', { ...defaults, ...train }],
    ['encoder, pre-norm, gelu, training, p 0.3, d 12, 3 heads', { ...defaults, ...train, normFirst: true, activation: 'gelu', d: 12, nhead: 3, F: 20 }],
    ['decoder, training, p 0.3', { ...defaults, ...train, layer: 'decoder' }],
    ['decoder, pre-norm, training, p 0.1', { ...defaults, training: true, layer: 'decoder', normFirst: true }],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      const words = blockWords('the cat sat on the mat').words;
      const source = blockWords('le chat est assis').words;
      const longest = Math.max(words.length, source.length);
      const pe = runCall(attn, 'positionalEncoding', { length: longest, d_model: o.d }).data;
      let call;
      let trace: Record<string, Tensor>;
      if (o.layer === 'decoder') {
        const memory = runCall(attn, 'encoderLayer', blockEncoderCall(o, blockInput(source, o.d, pe), true)).output;
        call = blockDecoderCall(o, blockInput(words, o.d, pe), memory);
        trace = runCall(attn, 'decoderLayer', call).trace;
      } else {
        call = blockEncoderCall(o, blockInput(words, o.d, pe));
        trace = runCall(attn, 'encoderLayer', call).trace;
      }
      if (o.training) expect(trace['ff.hidden'].data.some((v, i) => v === 0 && trace['ff.pre'].data[i] > 0), 'the engine dropped nothing').toBe(true);
      const shown = shownBy(blockScript({ layer: o.layer, words, source, call }));
      const keys = blockShown(o.layer, o.normFirst);
      expect(keys).toEqual(expect.arrayContaining(['resid1', 'self_attn.q', 'ff.hidden', 'output']));
      for (const key of keys) {
        // q, k, v: shown as the widget shows them, the heads side by side ([1, H, T, Dh] in the trace)
        const qkv = /\.[qkv]$/.test(key) ? trace[key] : undefined;
        close(key, shown[key], qkv ? joinHeads(qkv.data, o.nhead, qkv.shape[2], qkv.shape[3]) : trace[key].data);
      }
    }, 90000);
  }
});

// ------------------------------------------------------------------------------------------- positional
describe('<attn-batch>', () => {
  for (const [sentences, d, scaled, padding] of [
    ['the cat sat on the mat|a dog ran', 3, false, true],
    ['the cat sat on the mat|a dog ran', 3, true, false],
    ['one two|three four five six|seven', 4, true, true],
  ] as const) {
    it(`${sentences}, d ${d}, scaled ${scaled}, padding ${padding}`, () => {
      const batch = batchWords(sentences);
      const r = runCall(attn, 'sdpa', batchCall(batch, d, scaled, padding));
      const shown = shownBy(batchScript(batchInput(batch, d), batch.labels, batch.lengths, scaled, padding ? batchMask(batch) : undefined));
      close('scores', shown['scores'], r.scores.data);
      if (scaled) close('scaled', shown['scaled'], r.scaled.data);
      close('weights', shown['weights'], r.weights.data);
      close('output', shown['output'], r.output.data);
    }, 90000);
  }
});

describe('<attn-positional>', () => {
  for (const [length, d] of [[64, 128], [9, 6], [512, 16]]) {
    it(`length ${length}, d_model ${d}`, () => {
      const pe = runCall(attn, 'positionalEncoding', { length, d_model: d });
      const { scores } = runCall(attn, 'sdpa', { query: pe, key: pe, value: pe, scaled: false });
      const shown = shownBy(positionalScript(length, d));
      close('PE', shown['PE'], pe.data);
      close('PE PE^T', shown['PE PE^T'], scores.data);
    }, 90000);
  }
});

// ------------------------------------------------------------------------------------------- train step
describe('<attn-train-step>', () => {
  const cases: [string, OptimizerOptions, number, string][] = [
    ['Adam, step 1 (default)', optimizerDefaults('adam'), 1, 'head.weight'],
    ['AdamW, step 5', optimizerDefaults('adamw'), 5, 'encoder.layers.0.self_attn.in_proj_weight'],
    ['Adam with weight decay, step 3, no clipping', { ...optimizerDefaults('adam'), weightDecay: 0.05, clip: 0 }, 3, 'head.bias'],
    ['SGD, step 4', optimizerDefaults('sgd'), 4, 'head.weight'],
    ['SGD + Nesterov momentum, dampening 0, step 6', { ...optimizerDefaults('sgd'), momentum: 0.9, nesterov: true, weightDecay: 0.01 }, 6, 'decoder.layers.0.linear1.weight'],
    ['SGD + momentum 0.8, dampening 0.1, step 3', { ...optimizerDefaults('sgd'), momentum: 0.8, dampening: 0.1 }, 3, 'head.bias'],
  ];
  for (const [name, o, steps, param] of cases) {
    it(name, () => {
      const r = runCall(attn, 'trainStep', trainStepCall(o, steps, true));
      const p = r.step.params.find((q) => q.name === param)!;
      expect(p).toBeDefined();
      const shown = shownBy(trainStepScript(o, steps, p, r.step.clip_coef, r.step.grad_norm));
      close('clip_coef', shown['clip_coef'], [r.step.clip_coef]);
      close('value', shown['value'], p.value);
      close('update', shown['update'], Array.from(p.value, (v, i) => v - p.before[i]));
      if (p.state.exp_avg) close('exp_avg', shown['exp_avg'], p.state.exp_avg);
      if (p.state.exp_avg_sq) close('exp_avg_sq', shown['exp_avg_sq'], p.state.exp_avg_sq);
      if (p.state.momentum_buffer) close('momentum_buffer', shown['momentum_buffer'], p.state.momentum_buffer);
    }, 90000);
  }
  it('reports the largest error over every comparison', () => {
    console.log(`pytorch.test: largest error |PyTorch - engine| / max(1, |engine|) = ${largestError().toExponential(2)}`);
    expect(largestError()).toBeLessThanOrEqual(1e-5);
  });
});

