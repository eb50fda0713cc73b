// The training lab's worker: it owns an engine of its own (so long trainings never delay the page's other
// widgets) and every run's model, optimizer and held-out set (engine/train/run.h). A running run trains in
// chunks of about 80 ms; between chunks the worker reads its messages, so pause, resume and stop take effect
// within one chunk. Every `eval_every` steps (and at step 0) it evaluates on the held-out set and records the
// attention of a fixed held-out example (the probe), for the page's timeline.
/// <reference lib="webworker" />
import type { Engine, Run } from '../../../engine/bindings/attn';
import { attentionSet, buffers } from './attention-set';
import { startEngine } from '../engine/engine-build';
import { holdLife } from '../engine/worker-life';
import type { FromLabWorker, LabMemory, LabPytorch, ToLabWorker } from './protocol';
import { firstSteps, scriptSteps } from '../widgets/pytorch-lab';

declare const self: DedicatedWorkerGlobalScope;
/** Held while this worker lives: the page learns of its death from it (worker-life.ts). */
const alive = holdLife(self.name);

const CHUNK_MS = 80;

interface Active {
  run: Run;
  state: 'running' | 'paused' | 'stopping' | 'done';
  msPerStep: number;
  evaluatedAt: number; // the step of the last evaluation and snapshot
}

let engine: Engine | undefined;
const runs = new Map<string, Active>();
let looping = false;

function post(msg: FromLabWorker, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}


function evaluate(id: string, a: Active) {
  a.evaluatedAt = a.run.stepsDone;
  const e = a.run.evaluate();
  const probe = a.run.probe(0);
  const attention = attentionSet(a.run, probe);
  post(
    {
      kind: 'eval',
      run: id,
      point: { step: a.run.stepsDone, loss: e.loss, tokenAccuracy: e.token_accuracy, exactMatch: e.exact_match },
      snapshot: { step: a.run.stepsDone, attention, predicted: probe.predicted, correct: probe.correct },
    },
    buffers(attention),
  );
}

function finish(id: string, a: Active, stopped: boolean) {
  if (a.evaluatedAt !== a.run.stepsDone) evaluate(id, a); // the timeline ends where training ended
  const e = a.run.evaluate();
  const g = a.run.generate(0);
  a.state = 'done';
  post({
    kind: 'finished',
    run: id,
    stopped,
    final: {
      loss: e.loss,
      tokenAccuracy: e.token_accuracy,
      exactMatch: e.exact_match,
      greedyExactMatch: g.exact_match,
      bleu: g.bleu,
      sequences: g.sequences,
    },
  });
}

const yieldToMessages = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Trains whichever run is running, a chunk at a time, until none is. */
async function loop() {
  if (looping) return;
  looping = true;
  try {
    for (;;) {
      const entry = [...runs.entries()].find(([, a]) => a.state === 'running' || a.state === 'stopping');
      if (!entry) return;
      const [id, a] = entry;
      const total = Number(a.run.config.run?.steps);
      const every = Number(a.run.config.run?.eval_every) || 0;
      if (a.state === 'stopping' || a.run.stepsDone >= total) {
        finish(id, a, a.state === 'stopping' && a.run.stepsDone < total);
        continue;
      }
      const done = a.run.stepsDone;
      let n = Math.max(1, Math.min(500, Math.round(CHUNK_MS / Math.max(a.msPerStep, 0.05))));
      if (every > 0) n = Math.min(n, every - (done % every));
      const t0 = performance.now();
      const r = a.run.train(n);
      const ms = performance.now() - t0;
      if (r.step.length) a.msPerStep = 0.7 * a.msPerStep + 0.3 * (ms / r.step.length);
      let tokens = 0;
      for (const t of r.tokens) tokens += t;
      post({ kind: 'progress', run: id, step: r.step, loss: r.loss, gradNorm: r.grad_norm, lr: r.lr, tokens, seconds: ms / 1000 }, [
        r.step.buffer, r.loss.buffer, r.grad_norm.buffer, r.lr.buffer,
      ]);
      if (r.diverged) {
        a.state = 'done';
        post({ kind: 'diverged', run: id, step: a.run.stepsDone });
        continue;
      }
      if (every > 0 && a.run.stepsDone % every === 0) evaluate(id, a);
      await yieldToMessages();
    }
  } catch (e) {
    post({ kind: 'failed', message: `training stopped: ${(e as Error).message}` });
  } finally {
    looping = false;
  }
}

function start(id: string, run: Run) {
  for (const a of runs.values()) if (a.state === 'running') a.state = 'paused'; // one run trains at a time
  const a: Active = { run, state: 'running', msPerStep: 5, evaluatedAt: -1 };
  runs.set(id, a);
  const probe = run.heldOut(1)[0];
  post({ kind: 'started', run: id, config: run.config, parameters: run.numParameters, probe });
  evaluate(id, a); // step 0: the untrained model's attention
  void loop();
}

function handle(msg: ToLabWorker) {
  if (!engine) throw new Error('the engine is not loaded yet');
  switch (msg.kind) {
    case 'validate': {
      const v = engine.validateRun(msg.config);
      if (!v.ok) {
        post({ kind: 'validated', id: msg.id, ok: false, message: v.message });
        return;
      }
      const examples = engine.taskExamples(v.config.task, 4, 1);
      post({ kind: 'validated', id: msg.id, ok: true, config: v.config, parameters: v.parameters, examples });
      return;
    }
    case 'start':
      start(msg.run, engine.createRun(msg.config));
      return;
    case 'pause':
    case 'resume': {
      const a = runs.get(msg.run);
      if (!a || a.state === 'done') return;
      if (msg.kind === 'resume') for (const b of runs.values()) if (b.state === 'running') b.state = 'paused';
      a.state = msg.kind === 'pause' ? 'paused' : 'running';
      post({ kind: 'state', run: msg.run, state: a.state });
      void loop();
      return;
    }
    case 'stop': {
      const a = runs.get(msg.run);
      if (!a || a.state === 'done') return;
      a.state = 'stopping';
      void loop();
      return;
    }
    case 'delete': {
      const a = runs.get(msg.run);
      a?.run.delete();
      runs.delete(msg.run);
      return;
    }
    case 'infer': {
      const a = runs.get(msg.run);
      if (!a) throw Object.assign(new Error('this run is no longer in the engine: import it again'), { name: 'AttnError' });
      const r = a.run.infer(msg.text);
      const attention = attentionSet(a.run, r);
      post(
        { kind: 'result', id: msg.id, value: { input: r.input, output: r.output, expected: r.expected, finished: r.finished, attention } },
        buffers(attention),
      );
      return;
    }
    case 'batch': {
      const a = runs.get(msg.run);
      if (!a) throw Object.assign(new Error('this run is no longer in the engine: import it again'), { name: 'AttnError' });
      const b = a.run.nextBatch();
      post({ kind: 'result', id: msg.id, value: b }, [b.src.buffer, b.tgt.buffer, b.targets.buffer]);
      return;
    }
    case 'save': {
      const a = runs.get(msg.run);
      if (!a) throw Object.assign(new Error('this run is no longer in the engine'), { name: 'AttnError' });
      const bytes = a.run.save();
      post({ kind: 'result', id: msg.id, value: bytes }, [bytes.buffer]);
      return;
    }
    case 'load': {
      const run = engine.loadRun(msg.bytes);
      runs.get(msg.run)?.run.delete();
      runs.set(msg.run, { run, state: 'done', msPerStep: 5, evaluatedAt: run.stepsDone });
      post({ kind: 'result', id: msg.id, value: { config: run.config, parameters: run.numParameters, probe: run.heldOut(1)[0] } });
      return;
    }
    case 'memory': {
      const value: LabMemory = { ...engine.memoryUse(), handles: engine.liveHandles(), runs: runs.size };
      post({ kind: 'result', id: msg.id, value });
      return;
    }
    case 'pytorch': {
      // A run of its own: its batches follow from the seed alone, and reaching batch k takes k steps of training.
      const run = engine.createRun(msg.config);
      try {
        const { weights, batches } = firstSteps(run, scriptSteps(run.config));
        const value: LabPytorch = { config: run.config, weights, batches };
        post({ kind: 'result', id: msg.id, value }, [weights.buffer]);
      } finally {
        run.delete();
      }
      return;
    }
  }
}

self.onmessage = async (ev: MessageEvent<ToLabWorker>) => {
  const msg = ev.data;
  if (msg.kind === 'init') {
    try {
      engine = (await startEngine<Engine>(msg.engine)).engine;
      await alive; // 'ready' tells the page it may watch the lock
      post({ kind: 'ready' });
    } catch (e) {
      post({ kind: 'engine-failed', message: (e as Error).message });
    }
    return;
  }
  try {
    handle(msg);
  } catch (e) {
    const err = e as Error;
    const id = 'id' in msg ? msg.id : undefined;
    const run = 'run' in msg ? msg.run : undefined;
    post({ kind: 'failed', id, run: id === undefined ? run : undefined, message: err.message });
  }
};
