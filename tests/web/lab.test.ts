// The training lab's engine side through the JavaScript API (the WASM build, in Node), and the lab's page
// modules: task generators and the held-out split, run configs and their messages, training runs (train,
// evaluate, generate, probe, infer, save and load), the lab's config conversions and presets, and run files.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Run, RunConfig } from '../../engine/bindings/attn';
import {
  DEFAULT_CONFIG, FIELDS, PRESETS, SWEEP_FIELDS, configAttributes, configFrom, labConfig, parseSweep, parseSweepValues, presetConfig,
  runConfig, sweepConfig, sweepText,
} from '../../web/src/lab/config';
import { checkRunFile, readStoredRun } from '../../web/src/lab/lab-store';
import { smooth } from '../../web/src/lab/lab-chart';
import { nativeSpeed } from '../../web/src/lab/native-speed';
import { loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

const small = (over: Partial<typeof DEFAULT_CONFIG> = {}) => runConfig({ ...DEFAULT_CONFIG, ...over });

describe('tasks', () => {
  it('each task answers its examples by its rule', () => {
    const nums = (s: string) => s.split(' ').map(Number);
    for (const [task, rule] of [
      ['copy', (x: number[]) => x],
      ['reverse', (x: number[]) => [...x].reverse()],
      ['sort', (x: number[]) => [...x].sort((a, b) => a - b)],
      ['repeat', (x: number[]) => [...x, ...x]],
    ] as const) {
      const ex = attn.taskExamples({ name: task, symbols: 12, min_len: 2, max_len: 7 }, 50, 3);
      expect(ex).toHaveLength(50);
      for (const e of ex) {
        const x = nums(e.input);
        expect(x.length).toBeGreaterThanOrEqual(2);
        expect(x.length).toBeLessThanOrEqual(7);
        expect(x.every((v) => v >= 0 && v < 12)).toBe(true);
        expect(nums(e.answer)).toEqual(rule(x));
      }
    }
  });

  it('dates are written in many styles and answered in ISO 8601', () => {
    const ex = attn.taskExamples({ name: 'dates' }, 100, 9);
    expect(new Set(ex.map((e) => e.input.replace(/\d/g, '9'))).size).toBeGreaterThan(40);
    for (const e of ex) {
      expect(e.answer).toMatch(/^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/);
      expect(e.input.length).toBeLessThanOrEqual(38);
    }
  });

  it('summarize answers each news sentence with its headline, every word of it taken from the sentence', () => {
    const ex = attn.taskExamples({ name: 'summarize' }, 100, 4); // at most 100
    expect(ex).toHaveLength(100);
    const passive = ex.filter((e) => / (was|were) (\w+ly )?\w+ by /.test(e.input));
    expect(passive.length).toBeGreaterThan(20); // 35% of sentences
    expect(passive.length).toBeLessThan(50);
    for (const e of ex) {
      const words = e.input.split(' ');
      const headline = e.answer.split(' ');
      expect(words.length).toBeLessThanOrEqual(24);
      expect([3, 5]).toContain(headline.length);
      for (const w of headline) expect(words).toContain(w);
    }
    expect(new Set(ex.map((e) => e.answer.split(' ')[1])).size).toBeGreaterThan(12); // many of the 22 verbs
  });

  it('held-out batches never overlap training batches', () => {
    const rows = (b: { B: number; S: number; src: Int32Array }) =>
      Array.from({ length: b.B }, (_, i) => Array.from(b.src.slice(i * b.S, (i + 1) * b.S)).filter((v) => v > 0).join(','));
    const spec = { task: 'reverse' as const, symbols: 4, min_len: 1, max_len: 4, batch: 400 };
    const train = new Set(rows(attn.taskBatch(spec, 1)));
    const held = rows(attn.taskBatch({ ...spec, split: 'held-out' }, 2));
    expect(held.filter((h) => train.has(h))).toEqual([]);
    expect(train.size).toBeGreaterThan(100);
  });
});

describe('run configs', () => {
  it('invalid combinations are explained before anything is built', () => {
    const msg = (c: RunConfig) => {
      const v = attn.validateRun(c);
      return v.ok ? '' : v.message;
    };
    expect(msg(small({ dModel: 30, heads: 4 }))).toBe('d_model (30) must be divisible by nhead (4)');
    expect(msg(small({ steps: 40, warmup: 50 }))).toMatch(/warmup \(50 steps\) must be shorter than the run \(40 steps\)/);
    expect(msg(small({ symbols: 2, minLen: 1, maxLen: 3 }))).toMatch(/only 14 different inputs/);
    expect(msg(small({ minLen: 8, maxLen: 4 }))).toMatch(/lengths must satisfy/);
    expect(msg(small({ lr: -1 }))).toMatch(/lr must be a positive number/);
    expect(msg(small({ dropout: 1 }))).toMatch(/dropout/);
    expect(msg(small({ layers: 0, decoderLayers: 0 }))).toMatch(/no layers/);
    expect(msg(small({ dModel: 2048, ff: 8192, layers: 8, decoderLayers: 8 }))).toMatch(/million parameters/);
    expect(msg({ task: { name: 'translate' as never } })).toMatch(/copy, reverse, sort, repeat, dates or summarize/);
    expect(() => attn.createRun(small({ heads: 3 }))).toThrow(/divisible by nhead \(3\)/);
  });

  it('every preset is a valid config, and the form round-trips through the engine config', () => {
    for (const p of PRESETS) {
      const c = presetConfig(p.id);
      const v = attn.validateRun(runConfig(c));
      expect(v.ok, `${p.id}: ${v.ok ? '' : v.message}`).toBe(true);
      if (v.ok) expect(labConfig(v.config)).toEqual(c);
    }
  });

  it('every preset has its native speed (native-speed.json, bench/lab_bench.mjs), found from the config the engine runs', () => {
    for (const p of PRESETS) {
      const v = attn.validateRun(runConfig(presetConfig(p.id)));
      expect(v.ok && nativeSpeed(v.config)?.preset, p.id).toBe(p.id);
    }
  });

  it('the optimizer is the learner’s: SGD with momentum, Adam and AdamW with their settings round-trip and train', () => {
    const sgd = { ...DEFAULT_CONFIG, optimizer: 'sgd' as const, lr: 0.05, momentum: 0.8, weightDecay: 0, clip: 0.5, steps: 200 };
    const adam = { ...DEFAULT_CONFIG, optimizer: 'adam' as const, beta1: 0.8, beta2: 0.95, weightDecay: 0, steps: 200 };
    for (const c of [sgd, adam]) {
      const v = attn.validateRun(runConfig(c));
      expect(v.ok, v.ok ? '' : v.message).toBe(true);
      if (v.ok) expect(labConfig(v.config)).toEqual(c);
      expect(configFrom((a) => configAttributes(c)[a] ?? null)).toEqual(c);
    }
    expect(runConfig(sgd).train).toMatchObject({ optimizer: 'sgd', momentum: 0.8, weight_decay: 0, clip_norm: 0.5 });
    const bad = attn.validateRun(runConfig({ ...sgd, momentum: 1 }));
    expect(bad.ok ? '' : bad.message).toMatch(/momentum must be in \[0, 1\)/);
    // SGD with momentum learns the task too (more slowly than Adam).
    const run = attn.createRun(runConfig({ ...sgd, maxLen: 6, batch: 32 }));
    const before = run.evaluate().loss;
    while (run.stepsDone < 200) run.train(100);
    expect(run.evaluate().loss).toBeLessThan(before * 0.8);
    run.delete();
  });

  it('attributes hold exactly the settings that differ from the defaults', () => {
    const c = { ...DEFAULT_CONFIG, task: 'dates' as const, dModel: 64, lr: 0.005 };
    const attrs = configAttributes(c);
    expect(attrs).toEqual({ task: 'dates', 'd-model': '64', lr: '0.005' });
    expect(configFrom((a) => attrs[a] ?? null)).toEqual(c);
    // Text where a number goes keeps the default; the engine explains the rest.
    expect(configFrom((a) => (a === 'heads' ? 'many' : a === 'd-model' ? '30' : null)).heads).toBe(DEFAULT_CONFIG.heads);
    expect(FIELDS.map((f) => f.attr)).toContain('eval-every');
  });
});

describe('sweeps', () => {
  const field = (attr: string) => SWEEP_FIELDS.find((f) => f.attr === attr)!;

  it('read as typed, or say what is wrong', () => {
    expect(parseSweepValues(field('heads'), '1, 2 4;8')).toEqual({ values: [1, 2, 4, 8] });
    expect(parseSweepValues(field('activation'), 'ReLU, gelu')).toEqual({ values: ['relu', 'gelu'] });
    expect(parseSweepValues(field('heads'), '4')).toEqual({ error: 'type at least two values to compare, for example 1, 2, 4, 8' });
    expect(parseSweepValues(field('lr'), '0.01, fast')).toEqual({ error: '"fast" is not a number' });
    expect(parseSweepValues(field('heads'), '2, 2')).toEqual({ error: '2 is there twice: each value once' });
    expect(parseSweepValues(field('positional'), 'sinusoidal, rotary')).toEqual({ error: '"rotary" is not one of sinusoidal, learned, none' });
    expect(parseSweepValues(field('seed'), '1 2 3 4 5 6 7 8 9')).toEqual({ error: 'a sweep trains at most 8 runs (9 values given)' });
    const s = parseSweep('d-model=16,32');
    expect('error' in s ? s.error : sweepText(s)).toBe('d-model=16,32');
    expect(parseSweep('width=1,2')).toHaveProperty('error', expect.stringMatching(/^sweep "width=1,2": write a setting and its values, like heads=1,2,4/));
  });

  it('sweep settings are the form’s own, and every suggested value is a valid run of the default configuration', () => {
    for (const f of SWEEP_FIELDS) {
      expect(FIELDS.find((x) => x.attr === f.attr)?.key, f.attr).toBe(f.key);
      const p = parseSweepValues(f, f.suggest);
      if ('error' in p) throw new Error(`${f.attr}: ${p.error}`);
      for (const v of p.values) {
        const c = sweepConfig(DEFAULT_CONFIG, f, v);
        expect(c[f.key]).toBe(v);
        const r = attn.validateRun(runConfig(c));
        expect(r.ok, `${f.attr} = ${v}: ${r.ok ? '' : r.message}`).toBe(true);
      }
    }
    // A value the engine refuses is refused for the sweep too, before anything trains.
    const v = attn.validateRun(runConfig(sweepConfig(DEFAULT_CONFIG, field('heads'), 3)));
    expect(v.ok ? '' : v.message).toBe('d_model (32) must be divisible by nhead (3)');
  });
});

describe('training runs', () => {
  let run: Run;
  const config = small({ steps: 300, maxLen: 6, evalEvery: 100 });

  it('trains: the loss falls, held-out accuracy rises, greedy answers are right', () => {
    run = attn.createRun(config);
    expect(run.numParameters).toBe(22637); // the lab shows this number before training
    const before = run.evaluate();
    const losses: number[] = [];
    while (run.stepsDone < 300) {
      const r = run.train(64);
      expect(r.step.length).toBe(Math.min(64, 300 - (r.step[0] - 1)));
      losses.push(...r.loss);
    }
    expect(run.train(10).step.length).toBe(0); // never past the configured steps
    const after = run.evaluate();
    expect(after.loss).toBeLessThan(before.loss * 0.2);
    expect(after.token_accuracy).toBeGreaterThan(before.token_accuracy + 0.5);
    const g = run.generate(0);
    expect(g.sequences).toBe(500);
    expect(g.exact_match).toBeGreaterThan(0.8);
    expect(g.bleu).toBeGreaterThan(0.9);
    expect(smooth(losses, 20)[299]).toBeLessThan(smooth(losses, 20)[19] * 0.3);
  });

  it('exact match and BLEU of generation are those of the answers it generates', () => {
    const held = run.heldOut(500);
    const hyps = held.map((e) => run.infer(e.input));
    const toIds = (t: string) => (t ? t.split(' ').map(Number) : []);
    const exact = hyps.filter((h, i) => h.finished && h.output === held[i].answer).length / held.length;
    const bleu = attn.bleu(hyps.map((h) => toIds(h.output)), held.map((e) => toIds(e.answer)));
    const g = run.generate(0);
    expect(g.exact_match).toBe(exact);
    expect(g.bleu).toBeCloseTo(bleu.bleu, 12);
    expect(run.generate(10).sequences).toBe(10);
  });

  it('the probe and the learner’s input come with labelled attention of every layer and head', () => {
    const p = run.probe(0);
    expect(p.input).toBe(run.heldOut(1)[0].input);
    const S = p.labels.src.length;
    const T = p.labels.tgt_in!.length;
    expect(p.labels.tgt_out).toEqual([...p.answer.split(' '), '<eos>']);
    expect(p.labels.tgt_in![0]).toBe('<bos>');
    expect(p.trace['decoder.layers.0.multihead_attn.weights'].shape).toEqual([1, 2, T, S]);
    expect(p.trace['encoder.layers.0.self_attn.weights'].shape).toEqual([1, 2, S, S]);
    expect(p.predicted).toHaveLength(T);
    const r = run.infer('1 2 3 4 5');
    expect(r.input).toBe('1 2 3 4 5');
    expect(r.expected).toBe('5 4 3 2 1');
    expect(r.labels.tgt_out!.at(-1)).toBe(r.finished ? '<eos>' : r.labels.tgt_out!.at(-1));
    const w = r.trace['decoder.layers.0.multihead_attn.weights'];
    expect(w.shape[3]).toBe(5);
    for (let row = 0; row < w.data.length / 5; row++) {
      const sum = Array.from(w.data.slice(row * 5, row * 5 + 5)).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
    expect(run.infer('12345').input).toBe('1 2 3 4 5'); // at most 10 symbols: digits may be run together
  });

  it('a learner’s input the task cannot read gets a message saying what to type', () => {
    expect(() => run.infer('')).toThrow(/type a sequence of numbers from 0 to 9/);
    expect(() => run.infer('1 2 x')).toThrow(/'x' is not a symbol of this task/);
    expect(() => run.infer('1 2 3 4 5 6 7')).toThrow(/at most 6 symbols/);
    expect(() => run.infer('😀')).toThrow(/is not a symbol/);
  });

  it('a saved run loads back with the same config and the same answers', () => {
    const bytes = run.save();
    const again = attn.loadRun(bytes);
    expect(again.config).toEqual(run.config);
    const a = run.infer('3 1 4 1 5');
    const b = again.infer('3 1 4 1 5');
    expect(b.output).toBe(a.output);
    expect(Array.from(b.trace['decoder.layers.0.multihead_attn.weights'].data)).toEqual(
      Array.from(a.trace['decoder.layers.0.multihead_attn.weights'].data),
    );
    expect(again.evaluate()).toEqual(run.evaluate());
    const corrupt = bytes.slice();
    corrupt[10] ^= 0xff;
    expect(() => attn.loadRun(corrupt)).toThrow();
    const plain = attn.createModel({ arch: 'encoder', vocab_size: 5, d_model: 4, nhead: 1, num_layers: 1 }).save();
    expect(() => attn.loadRun(plain)).toThrow(/no training-run config/);
    again.delete();
  });

  it('the same config trains to the same bits however the steps are chunked', () => {
    const a = attn.createRun(small({ steps: 40, warmup: 10 }));
    const b = attn.createRun(small({ steps: 40, warmup: 10 }));
    a.train(40);
    for (const n of [1, 7, 13, 19]) b.train(n);
    expect(b.stepsDone).toBe(40);
    expect(b.evaluate()).toEqual(a.evaluate());
    a.delete();
    b.delete();
    run.delete();
  });

  it('the next batch is what the next step trains on, padded and shifted; looking changes nothing', () => {
    const peeked = attn.createRun(small({ steps: 30, warmup: 5, batch: 8 }));
    const plain = attn.createRun(small({ steps: 30, warmup: 5, batch: 8 }));
    for (let i = 0; i < 30; i++) {
      const b = peeked.nextBatch();
      expect(Array.from(peeked.nextBatch().src)).toEqual(Array.from(b.src));
      expect([b.B, b.src.length, b.tgt.length, b.targets.length]).toEqual([8, 8 * b.S, 8 * b.T, 8 * b.T]);
      const label = (id: number) => b.vocab[id];
      for (let r = 0; r < b.B; r++) {
        const row = (a: Int32Array, len: number) => Array.from(a.slice(r * len, (r + 1) * len), label).filter((t) => t !== '<pad>');
        const x = row(b.src, b.S);
        // Reversal, teacher-forced: the decoder reads <bos> + the answer and is scored on the answer + <eos>.
        expect(row(b.targets, b.T)).toEqual([...[...x].reverse(), '<eos>']);
        expect(row(b.tgt, b.T)).toEqual(['<bos>', ...[...x].reverse()]);
      }
      expect(peeked.train(1).loss).toEqual(plain.train(1).loss);
    }
    expect(peeked.evaluate()).toEqual(plain.evaluate());
    // Decoder-only: one sequence, scored only on the answer (ignore_index elsewhere).
    const dec = attn.createRun(small({ arch: 'decoder', steps: 10, warmup: 2, batch: 4 }));
    const d = dec.nextBatch();
    expect(d.T).toBe(0);
    const seq = Array.from(d.src.slice(0, d.S), (id) => d.vocab[id]);
    const tgt = Array.from(d.targets.slice(0, d.S), (id) => (id === d.ignore_index ? '·' : d.vocab[id]));
    const bos = seq.indexOf('<bos>');
    expect(tgt.slice(0, bos)).toEqual(Array(bos).fill('·'));
    expect(tgt.slice(bos).filter((t) => t !== '·')).toEqual([...seq.slice(bos + 1).filter((t) => t !== '<pad>'), '<eos>']);
    for (const r of [peeked, plain, dec]) r.delete();
  });

  it('a learning rate far too high diverges, and training stops there', () => {
    const r = attn.createRun(small({ lr: 1000, warmup: 5, batch: 16 }));
    const s = r.train(300);
    expect(s.diverged).toBe(true);
    expect(s.step.length).toBeLessThan(300);
    expect(Number.isFinite(s.loss[s.loss.length - 1])).toBe(false);
    r.delete();
  });

  it('dates train with characters as tokens (a few steps)', () => {
    const r = attn.createRun(runConfig(presetConfig('dates')));
    const s = r.train(3);
    expect(s.step.length).toBe(3);
    expect(s.loss.every(Number.isFinite)).toBe(true);
    const p = r.probe(0);
    expect(p.labels.tgt_out).toHaveLength(11); // YYYY-MM-DD <eos>
    expect(p.labels.src.join('')).toBe(p.input.replace(/ /g, '␣'));
    expect(() => r.infer('23 déc. 2026')).toThrow(/'é' is not a character of the dates task/);
    expect(r.infer('Nov. 23rd 2026').expected).toBeUndefined();
    r.delete();
  });

  it('summarize trains with words as tokens, and checks a sentence by its headline rule (a few steps)', () => {
    const r = attn.createRun(runConfig(presetConfig('summarize')));
    expect(r.train(3).loss.every(Number.isFinite)).toBe(true);
    const p = r.probe(0);
    expect(p.labels.src).toEqual(p.input.split(' '));
    expect(p.labels.tgt_out).toEqual([...p.answer.split(' '), '<eos>']);
    const a = r.infer('Yesterday, the cows were quietly sold by the tired old farmer at the market.');
    expect(a.input).toBe('yesterday the cows were quietly sold by the tired old farmer at the market');
    expect(a.expected).toBe('farmer sold cows at market');
    expect(a.labels.src).toHaveLength(14);
    expect(r.infer('the cows were sold').expected).toBeUndefined(); // nobody sold them: no headline by the rule
    expect(() => r.infer('the farmer sold the tractor')).toThrow(/'tractor' is not a word of the summarize task/);
    r.delete();
  });
});

describe('the LSTM baseline (arch lstm)', () => {
  const lstm = { arch: 'lstm' as const, task: 'copy' as const, maxLen: 4, layers: 2, dModel: 16 };

  it('the form sends what an LSTM reads, and reads it back', () => {
    const r = small(lstm);
    expect(r.model).toEqual({ arch: 'lstm', num_layers: 2, d_model: 16, dropout: 0 });
    const v = attn.validateRun(r);
    if (!v.ok) throw new Error(v.message);
    // embeddings 2 x 13 x 16, two LSTMs of 2 layers of 4H(H + H) + 8H, the head 13 x 17
    expect(v.parameters).toBe(2 * 13 * 16 + 2 * 2 * (4 * 16 * 32 + 8 * 16) + 13 * 17);
    expect(labConfig(v.config)).toMatchObject(lstm);
    const bad = attn.validateRun(small({ ...lstm, dropout: 0.1 }));
    expect(bad.ok ? '' : bad.message).toBe('the LSTM baseline has no dropout: set dropout to 0');
  });

  it('trains, evaluates, generates and answers, with no attention; it saves and loads back bit for bit', () => {
    const config = small({ ...lstm, layers: 1, dModel: 32, minLen: 2, steps: 300, batch: 32, warmup: 20, evalEvery: 100 });
    const run = attn.createRun(config);
    const v = attn.validateRun(config);
    expect(run.numParameters).toBe(v.ok ? v.parameters : -1);
    const stats = run.train(300);
    expect(stats.loss[299]).toBeLessThan(stats.loss[0] * 0.5);
    expect(run.generate(0).exact_match).toBeGreaterThan(0.8); // natively 92% (tests/engine/lstm_test.cpp)
    const p = run.probe(0);
    expect(p.trace).toEqual({});
    expect(p.predicted).toHaveLength(p.labels.tgt_out!.length);
    const a = run.infer('3 1 4');
    expect(a.trace).toEqual({});
    expect(a.labels.src).toEqual(['3', '1', '4']);
    // Its model file: nn.LSTM's tensors, the run's config in the metadata; loaded back, the same run.
    const bytes = run.save();
    const again = attn.loadRun(bytes);
    expect(again.config).toEqual(run.config);
    expect(again.numParameters).toBe(run.numParameters);
    expect(again.infer('3 1 4')).toEqual(a);
    expect(again.probe(0)).toEqual(p);
    expect(again.evaluate()).toEqual(run.evaluate());
    expect(again.generate(50)).toEqual(run.generate(50));
    expect(Array.from(again.save())).toEqual(Array.from(bytes));
    expect(() => attn.loadModel(bytes)).toThrow(/LSTM baseline \(arch "lstm"\), not a transformer/);
    const corrupt = bytes.slice(0, bytes.length - 4);
    expect(() => attn.loadRun(corrupt)).toThrow(/invalid safetensors/);
    again.delete();
    run.delete();
  });
});

describe('run files', () => {
  const file = {
    format: 'attn-lab-run', version: 1, name: 'Run 1', config: { task: { name: 'reverse' } }, parameters: 10,
    status: 'finished', history: { steps: [1, 2], loss: [2, 1], lr: [0.1, 0.2] }, evals: [], trainSeconds: 1, tokens: 5,
    created: '2026-12-01T00:00:00Z',
  };
  it('a run exported by the lab reads back; anything else is refused with the reason', () => {
    expect(checkRunFile(file).name).toBe('Run 1');
    expect(() => checkRunFile({ ...file, format: 'other' })).toThrow(/"format" is not "attn-lab-run"/);
    expect(() => checkRunFile({ ...file, version: 2 })).toThrow(/version 2 is not 1/);
    expect(() => checkRunFile({ ...file, history: { steps: [1], loss: [1, 2], lr: [1] } })).toThrow(/same length/);
    expect(() => checkRunFile(null)).toThrow(/not an object/);
    // A diverged run's NaN losses are written as null by JSON and read back as NaN.
    const nan = checkRunFile(JSON.parse(JSON.stringify({ ...file, history: { steps: [1, 2], loss: [1, NaN], lr: [1, 1] } })));
    expect(Number.isNaN(nan.history.loss[1])).toBe(true);
  });
});

describe('runs kept in the browser', () => {
  const record = {
    id: 'run-a', name: 'Run 1', color: '#4e79a7', config: { ...DEFAULT_CONFIG }, parameters: 10, status: 'finished', steps: [1, 2],
    loss: [2, 1], gradNorm: [3, 2], lr: [0.1, 0.2], evals: [], snapshots: [], trainSeconds: 1, tokens: 5, created: 1, inEngine: false, stored: true,
  };
  it('a stored run reads back (fields added since get defaults); a damaged one gives the reason', () => {
    expect(readStoredRun({ id: 'run-a', record })).toEqual(record);
    const { gradNorm: _g, color: _c, ...old } = record;
    const back = readStoredRun({ id: 'run-a', record: { ...old, config: { task: 'copy' } } });
    expect(typeof back).toBe('object');
    expect((back as typeof record).gradNorm.every(Number.isNaN)).toBe(true);
    expect((back as typeof record).config).toEqual({ ...DEFAULT_CONFIG, task: 'copy' });
    expect(readStoredRun({ id: 'run-a' } as never)).toBe('it has no record');
    expect(readStoredRun({ id: 'run-b', record })).toBe('its id does not match its key');
    expect(readStoredRun({ id: 'run-a', record: { ...record, config: { steps: 'many' } } })).toBe('its setting steps is not a number');
    expect(readStoredRun({ id: 'run-a', record: { ...record, loss: [1] } })).toBe('its curves are not arrays of numbers of the same length');
    expect(readStoredRun({ id: 'run-a', record: { ...record, status: 'exploded' } })).toBe('its status "exploded" is unknown');
  });
});
