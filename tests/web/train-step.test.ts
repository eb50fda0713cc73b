// <attn-train-step>'s engine call (calls.ts `trainStep`, built by train-step-setup.ts) through the real WASM
// engine in Node: the stateless replay gives the numbers of a model stepped directly, SGD's and Adam's arithmetic
// is visible in what it returns, the comparison starts from the same parameters, and bad settings come back
// with the engine's own message.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/bindings/attn';
import { runCall, type TrainStepResult } from '../../web/src/engine/calls';
import {
  TRAIN_MODEL,
  TRAIN_SEEDS,
  TRAIN_TASK,
  formatCompare,
  optimizerDefaults,
  parseCompare,
  trainConfigOf,
  trainStepCall,
  type OptimizerOptions,
} from '../../web/src/widgets/train-step-setup';
import { loadBuiltEngine } from './golden';

let attn: Engine;
beforeAll(async () => {
  attn = await loadBuiltEngine();
});

const run = (o: OptimizerOptions, steps: number, same = true): TrainStepResult => runCall(attn, 'trainStep', trainStepCall(o, steps, same));
const adam = optimizerDefaults('adam');
const sgd = optimizerDefaults('sgd');

describe('trainStep (the widget call)', () => {
  it('the model and task of the setup are what the engine builds for the task', () => {
    const probe = attn.taskBatch(TRAIN_TASK, 0);
    expect(TRAIN_MODEL.vocab_size).toBe(probe.vocab_size);
    expect(TRAIN_MODEL.max_len).toBe(probe.max_positions! + 1);
    const r = run(adam, 1);
    expect(r.batch.B).toBe(4);
    expect(r.step.losses.length).toBe(r.batch.B * r.batch.T);
    expect(r.before.predictions.length).toBe(r.batch.B * r.batch.T);
    expect(r.step.params.map((p) => p.name)).toContain('decoder.layers.0.linear1.weight');
  });

  for (const same of [true, false]) {
    it(`replaying n steps gives the numbers of a model stepped n times directly (${same ? 'one batch' : 'a new batch each step'})`, () => {
      const n = 6;
      const o = { ...adam, weightDecay: 0.01, clip: 0.5 };
      const r = run(o, n, same);
      const model = attn.createModel(TRAIN_MODEL, TRAIN_SEEDS.init);
      const trainer = model.trainer(trainConfigOf(o));
      const losses: number[] = [];
      for (let i = 0; i < n - 1; i++) losses.push(trainer.step(attn.taskBatch(TRAIN_TASK, TRAIN_SEEDS.batch + (same ? 0 : i))).loss);
      const batch = attn.taskBatch(TRAIN_TASK, TRAIN_SEEDS.batch + (same ? 0 : n - 1));
      expect(r.batch.src).toEqual(batch.src);
      expect(r.batch.targets).toEqual(batch.targets);
      const before = trainer.evaluate(batch);
      const s = trainer.step(batch, { inspect: true });
      losses.push(s.loss);
      expect(Array.from(r.history.loss)).toEqual(losses);
      expect(r.step.loss).toBe(s.loss);
      expect(r.step.grad_norm).toBe(s.grad_norm);
      expect(r.step.clip_coef).toBe(s.clip_coef);
      expect(r.before.predictions).toEqual(before.predictions);
      expect(r.before.loss).toBeCloseTo(s.loss, 6); // the step's forward pass: dropout 0, so eval mode is the same
      for (const [k, p] of r.step.params.entries()) {
        expect(p.value).toEqual(s.params[k].value);
        expect(p.grad).toEqual(s.params[k].grad);
        expect(p.state.exp_avg).toEqual(s.params[k].state.exp_avg);
        expect(p.state.exp_avg_sq).toEqual(s.params[k].state.exp_avg_sq);
      }
      expect(r.after.loss).toBe(trainer.evaluate(batch).loss);
      model.delete();
    });
  }

  it('plain SGD: value after = before − lr · grad (the gradient as clipped), and clipping scales the norm to max_norm', () => {
    const o = { ...sgd, lr: 0.3, clip: 1 };
    const r = run(o, 1);
    expect(r.step.grad_norm).toBeGreaterThan(1); // this step is clipped
    expect(r.step.clip_coef).toBeCloseTo(1 / r.step.grad_norm, 5);
    let sq = 0;
    for (const p of r.step.params) {
      expect(p.state.momentum_buffer).toBeUndefined(); // no momentum: torch keeps no buffer
      for (let i = 0; i < p.value.length; i++) {
        sq += p.grad[i] ** 2;
        expect(p.value[i]).toBe(Math.fround(p.before[i] - 0.3 * p.grad[i]));
      }
    }
    expect(Math.sqrt(sq)).toBeCloseTo(1, 4); // the gradient as used has norm max_norm
    expect(r.after.loss).toBeLessThan(r.before.loss);
  });

  it("Adam's state after step 1 is (1 − β1) g and (1 − β2) g²; the update is about lr in size", () => {
    const o = { ...adam, beta1: 0.8, beta2: 0.95 };
    const r = run(o, 1);
    let checked = 0;
    for (const p of r.step.params) {
      for (let i = 0; i < p.grad.length; i++) {
        const g = p.grad[i];
        expect(p.state.exp_avg![i]).toBeCloseTo(0.2 * g, 7);
        expect(p.state.exp_avg_sq![i]).toBeCloseTo(0.05 * g * g, 9);
        if (g !== 0) {
          expect(Math.abs(p.state.exp_avg![i] / (0.2 * g) - 1)).toBeLessThan(1e-6);
          expect(Math.abs(p.state.exp_avg_sq![i] / (0.05 * g * g) - 1)).toBeLessThan(1e-6);
        }
        if (Math.abs(g) > 1e-4) {
          // Bias-corrected, step 1: m̂ / √v̂ = g / |g|, so each weight moves by lr (up to eps).
          expect(Math.abs(p.value[i] - p.before[i])).toBeCloseTo(0.01, 4);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(r.after.loss).toBeLessThan(r.before.loss);
  });

  it('SGD with momentum keeps a momentum buffer that carries over steps', () => {
    const o = { ...sgd, momentum: 0.9 };
    const one = run(o, 1);
    const two = run(o, 2);
    const p1 = one.step.params.find((p) => p.name === 'head.weight')!;
    const p2 = two.step.params.find((p) => p.name === 'head.weight')!;
    expect(p1.state.momentum_buffer).toEqual(p1.grad);
    expect(p2.before).toEqual(p1.value); // step 2 starts where step 1 ended
    for (let i = 0; i < p2.grad.length; i++) expect(p2.state.momentum_buffer![i]).toBeCloseTo(0.9 * p1.grad[i] + p2.grad[i], 6);
  });

  it('the comparison starts from the same parameters and trains on the same batches', () => {
    for (const steps of [1, 4]) {
      const a = run(adam, steps);
      const b = run({ ...sgd, momentum: 0.9 }, steps);
      expect(b.batch.src).toEqual(a.batch.src);
      expect(b.history.loss[0]).toBe(a.history.loss[0]);
      if (steps === 1) for (const [k, p] of a.step.params.entries()) expect(b.step.params[k].before).toEqual(p.before);
      else expect(b.history.loss[steps - 1]).not.toBe(a.history.loss[steps - 1]);
    }
  });

  it('bad settings give the engine’s message', () => {
    const bad: [Partial<OptimizerOptions>, RegExp][] = [
      [{ ...sgd, nesterov: true, momentum: 0 }, /Nesterov momentum requires a momentum above 0 and zero dampening/],
      [{ ...sgd, nesterov: true, momentum: 0.9, dampening: 0.5 }, /Nesterov momentum requires/],
      [{ ...adam, lr: 0 }, /lr must be a positive number/],
      [{ ...adam, lr: -0.1 }, /lr must be a positive number/],
      [{ ...adam, beta1: 1 }, /betas must be in \[0, 1\)/],
      [{ ...adam, beta2: -0.1 }, /betas must be in \[0, 1\)/],
      [{ ...adam, eps: 0 }, /eps must be positive/],
      [{ ...sgd, momentum: 1 }, /momentum must be in \[0, 1\)/],
      [{ ...adam, weightDecay: -1 }, /weight_decay must not be negative/],
      [{ ...adam, clip: -1 }, /clip_norm must not be negative/],
    ];
    for (const [o, message] of bad) expect(() => run(o as OptimizerOptions, 3)).toThrow(message);
    expect(run(adam, 1).step.loss).toBeGreaterThan(0); // the engine keeps working
  });

  it('the comparison attribute reads back what it wrote', () => {
    const o = { ...sgd, momentum: 0.9, nesterov: true, lr: 0.05 };
    expect(formatCompare(o)).toBe('sgd:lr=0.05,momentum=0.9,nesterov=true');
    expect(parseCompare(formatCompare(o)).options).toEqual(o);
    expect(parseCompare('adam').options).toEqual(adam);
    expect(parseCompare('none')).toEqual({});
    expect(parseCompare('rmsprop').error).toMatch(/compare must start with sgd, adam or adamw/);
    expect(parseCompare('adam:lr=x,foo=1').error).toMatch(/unknown setting "foo".*lr must be a number|lr must be a number.*unknown setting "foo"/);
  });
});
