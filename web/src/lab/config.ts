// The training lab's configuration: the flat form the page shows (and a widget writes as attributes), its
// conversion to the engine's run config (engine/train/run.h), the tasks and the presets. The engine validates
// every config (Engine.validateRun) and its messages are what the page shows; nothing here second-guesses it.
import type { RunConfig, TaskName } from '../../../engine/bindings/attn';

/** A transformer (encoder-decoder or decoder-only), or the recurrent baseline: a sequence-to-sequence LSTM
 * without attention (engine/models/lstm_seq2seq.h), which reads only layers and d_model. */
export type Arch = 'encoder-decoder' | 'decoder' | 'lstm';

export interface LabConfig {
  task: TaskName;
  symbols: number;
  minLen: number;
  maxLen: number;
  arch: Arch;
  layers: number; // encoder layers (encoder-decoder) or the decoder's layers (decoder-only)
  decoderLayers: number; // encoder-decoder only
  heads: number;
  dModel: number;
  ff: number;
  activation: 'relu' | 'gelu';
  dropout: number;
  positional: 'sinusoidal' | 'learned' | 'none';
  norm: 'post' | 'pre';
  /** torch.optim.SGD (with momentum), Adam or AdamW; the betas apply to Adam and AdamW, momentum to SGD. */
  optimizer: 'sgd' | 'adam' | 'adamw';
  lr: number;
  beta1: number;
  beta2: number;
  momentum: number;
  weightDecay: number;
  /** Gradient clipping: the largest global norm (0: no clipping). */
  clip: number;
  warmup: number;
  batch: number;
  steps: number;
  seed: number;
  /** Held-out evaluation and attention snapshot every this many steps. */
  evalEvery: number;
}

export interface TaskInfo {
  name: TaskName;
  title: string;
  format: string; // the input format, for people
  explains: string; // what attention has to learn
  toy: boolean; // symbols and lengths apply
  unit: 'symbols' | 'characters' | 'words'; // what one token is
}

export const TASKS: TaskInfo[] = [
  {
    name: 'reverse',
    title: 'Reverse',
    format: 'a sequence of numbers, answered backwards: 3 1 4 → 4 1 3',
    explains: 'Each output must read the input from the other end: cross-attention forms an anti-diagonal.',
    toy: true,
    unit: 'symbols',
  },
  {
    name: 'copy',
    title: 'Copy',
    format: 'a sequence of numbers, answered as it is: 3 1 4 → 3 1 4',
    explains: 'The easiest alignment: output i reads input i, a diagonal.',
    toy: true,
    unit: 'symbols',
  },
  {
    name: 'sort',
    title: 'Sort',
    format: 'a sequence of numbers, answered in increasing order: 3 1 4 → 1 3 4',
    explains: 'No fixed alignment: each output looks for the next smallest input, wherever it is.',
    toy: true,
    unit: 'symbols',
  },
  {
    name: 'repeat',
    title: 'Repeat (induction)',
    format: 'a sequence, then the separator, then the sequence twice: 3 1 4 → 3 1 4 3 1 4',
    explains: 'To say it again the model must find where it is in the sequence and look up what came next: an induction head.',
    toy: true,
    unit: 'symbols',
  },
  {
    name: 'dates',
    title: 'Dates → ISO',
    format: 'a date as people write it, answered as YYYY-MM-DD: “Nov. 23rd 2026” → 2026-11-23',
    explains: 'Translation with reordering: the year’s digits come first, the month’s name becomes two digits.',
    toy: false,
    unit: 'characters',
  },
  {
    name: 'summarize',
    title: 'Summarize → headline',
    format: 'a news sentence, answered by its headline: “yesterday the tired old farmer quietly sold his two brown cows at the market” → farmer sold cows at market',
    explains: 'Summarization, one word per token: each headline word is copied from the sentence, so cross-attention must find the words that matter (who, did what, where) wherever the grammar put them; in “the cows were sold by the farmer” the doer comes last.',
    toy: false,
    unit: 'words',
  },
];

export function taskInfo(name: string): TaskInfo {
  return TASKS.find((t) => t.name === name) ?? TASKS[0];
}

export const DEFAULT_CONFIG: LabConfig = {
  task: 'reverse',
  symbols: 10,
  minLen: 3,
  maxLen: 10,
  arch: 'encoder-decoder',
  layers: 1,
  decoderLayers: 1,
  heads: 2,
  dModel: 32,
  ff: 64,
  activation: 'relu',
  dropout: 0,
  positional: 'sinusoidal',
  norm: 'post',
  optimizer: 'adamw',
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.98,
  momentum: 0.9,
  weightDecay: 0.01,
  clip: 1,
  warmup: 50,
  batch: 64,
  steps: 600,
  seed: 1,
  evalEvery: 50,
};

/** Starting points measured to learn their task (README "Training lab"); every field stays editable. */
export const PRESETS: { id: string; title: string; config: Partial<LabConfig> }[] = [
  { id: 'reverse', title: 'Reverse 3–10 numbers (about 10 s)', config: {} },
  { id: 'reverse10', title: 'Reverse 10 numbers', config: { minLen: 10, maxLen: 10 } },
  { id: 'copy', title: 'Copy', config: { task: 'copy', steps: 400 } },
  { id: 'sort', title: 'Sort', config: { task: 'sort', steps: 800 } },
  {
    id: 'repeat',
    title: 'Repeat: an induction head (decoder-only)',
    config: { task: 'repeat', arch: 'decoder', layers: 2, steps: 2000, evalEvery: 100 },
  },
  {
    id: 'dates',
    title: 'Dates → ISO (about a minute)',
    config: { task: 'dates', dModel: 64, heads: 4, ff: 128, lr: 0.005, warmup: 100, batch: 32, steps: 1800, evalEvery: 100 },
  },
  { id: 'summarize', title: 'Summarize → headline (about 5 s)', config: { task: 'summarize' } },
];

/** Whether two configurations are the same settings. */
export const sameConfig = (a: LabConfig, b: LabConfig) => JSON.stringify(a) === JSON.stringify(b);

export function presetConfig(id: string): LabConfig {
  const p = PRESETS.find((x) => x.id === id) ?? PRESETS[0];
  return { ...DEFAULT_CONFIG, ...p.config };
}

/** The engine's run config. Keys the task decides (vocabulary, lengths) are left to the engine. */
export function runConfig(c: LabConfig): RunConfig {
  const task: RunConfig['task'] = taskInfo(c.task).toy
    ? { name: c.task, symbols: c.symbols, min_len: c.minLen, max_len: c.maxLen }
    : { name: c.task };
  const model: NonNullable<RunConfig['model']> = c.arch === 'lstm' ? { arch: 'lstm', num_layers: c.layers, d_model: c.dModel, dropout: c.dropout } : {
    arch: c.arch,
    num_layers: c.layers,
    d_model: c.dModel,
    nhead: c.heads,
    dim_feedforward: c.ff,
    dropout: c.dropout,
    activation: c.activation,
    norm_first: c.norm === 'pre',
    positional: c.positional,
  };
  if (c.arch === 'encoder-decoder') model.num_decoder_layers = c.decoderLayers;
  return {
    task,
    model,
    train: {
      optimizer: c.optimizer,
      lr: c.lr,
      ...(c.optimizer === 'sgd' ? { momentum: c.momentum } : { beta1: c.beta1, beta2: c.beta2 }),
      weight_decay: c.weightDecay,
      clip_norm: c.clip,
      warmup: c.warmup,
      schedule: 'cosine',
    },
    run: { steps: c.steps, batch: c.batch, seed: c.seed, eval_size: 500, eval_every: c.evalEvery },
  };
}

/** The lab config of an engine run config (an imported run, or a file from attn-train). */
export function labConfig(r: RunConfig): LabConfig {
  const m = (r.model ?? {}) as Record<string, unknown>;
  const t = r.task ?? {};
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const d = DEFAULT_CONFIG;
  return {
    task: (TASKS.some((x) => x.name === t.name) ? t.name : d.task) as TaskName,
    symbols: num(t.symbols, d.symbols),
    minLen: num(t.min_len, d.minLen),
    maxLen: num(t.max_len, d.maxLen),
    arch: m.arch === 'decoder' || m.arch === 'lstm' ? m.arch : 'encoder-decoder',
    layers: num(m.num_layers, d.layers),
    decoderLayers: num(m.num_decoder_layers, d.decoderLayers),
    heads: num(m.nhead, d.heads),
    dModel: num(m.d_model, d.dModel),
    ff: num(m.dim_feedforward, d.ff),
    activation: m.activation === 'gelu' ? 'gelu' : 'relu',
    dropout: num(m.dropout, d.dropout),
    positional: m.positional === 'learned' || m.positional === 'none' ? m.positional : 'sinusoidal',
    norm: m.norm_first ? 'pre' : 'post',
    optimizer: r.train?.optimizer === 'sgd' || r.train?.optimizer === 'adam' ? r.train.optimizer : 'adamw',
    lr: num(r.train?.lr, d.lr),
    beta1: num(r.train?.beta1, d.beta1),
    beta2: num(r.train?.beta2, d.beta2),
    momentum: r.train?.optimizer === 'sgd' ? num(r.train?.momentum, d.momentum) : d.momentum,
    weightDecay: num(r.train?.weight_decay, d.weightDecay),
    clip: num(r.train?.clip_norm, d.clip),
    warmup: num(r.train?.warmup, d.warmup),
    batch: num(r.run?.batch, d.batch),
    steps: num(r.run?.steps, d.steps),
    seed: num(r.run?.seed, d.seed),
    evalEvery: num(r.run?.eval_every, d.evalEvery),
  };
}

// ------------------------------------------------------------------------------------- attributes / URL
// Each field as an attribute (and URL parameter) name, with its kind: the widget's whole configuration.
export const FIELDS: { key: keyof LabConfig; attr: string; kind: 'number' | 'string' }[] = [
  { key: 'task', attr: 'task', kind: 'string' },
  { key: 'symbols', attr: 'symbols', kind: 'number' },
  { key: 'minLen', attr: 'min-len', kind: 'number' },
  { key: 'maxLen', attr: 'max-len', kind: 'number' },
  { key: 'arch', attr: 'arch', kind: 'string' },
  { key: 'layers', attr: 'layers', kind: 'number' },
  { key: 'decoderLayers', attr: 'decoder-layers', kind: 'number' },
  { key: 'heads', attr: 'heads', kind: 'number' },
  { key: 'dModel', attr: 'd-model', kind: 'number' },
  { key: 'ff', attr: 'ff', kind: 'number' },
  { key: 'activation', attr: 'activation', kind: 'string' },
  { key: 'dropout', attr: 'dropout', kind: 'number' },
  { key: 'positional', attr: 'positional', kind: 'string' },
  { key: 'norm', attr: 'norm', kind: 'string' },
  { key: 'optimizer', attr: 'optimizer', kind: 'string' },
  { key: 'lr', attr: 'lr', kind: 'number' },
  { key: 'beta1', attr: 'beta1', kind: 'number' },
  { key: 'beta2', attr: 'beta2', kind: 'number' },
  { key: 'momentum', attr: 'momentum', kind: 'number' },
  { key: 'weightDecay', attr: 'weight-decay', kind: 'number' },
  { key: 'clip', attr: 'clip', kind: 'number' },
  { key: 'warmup', attr: 'warmup', kind: 'number' },
  { key: 'batch', attr: 'batch', kind: 'number' },
  { key: 'steps', attr: 'steps', kind: 'number' },
  { key: 'seed', attr: 'seed', kind: 'number' },
  { key: 'evalEvery', attr: 'eval-every', kind: 'number' },
];

/**
 * A config from attributes or URL parameters over the defaults. Values that are not even the right kind
 * (a word where a number goes) keep the default; everything else goes to the engine, which explains it.
 */
export function configFrom(get: (attr: string) => string | null, base: LabConfig = DEFAULT_CONFIG): LabConfig {
  const out = { ...base } as Record<string, unknown>;
  for (const f of FIELDS) {
    const v = get(f.attr);
    if (v === null || v === '') continue;
    if (f.kind === 'number') {
      const n = Number(v);
      if (Number.isFinite(n)) out[f.key] = n;
    } else {
      out[f.key] = v;
    }
  }
  return out as unknown as LabConfig;
}

/** The attributes that differ from the defaults (for embed snippets and URLs). */
export function configAttributes(c: LabConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FIELDS) if (c[f.key] !== DEFAULT_CONFIG[f.key]) out[f.attr] = String(c[f.key]);
  return out;
}

// ------------------------------------------------------------------------------------------------- sweeps
// A sweep trains the configuration once per value of one setting, in a row, to see that setting's effect
// (on accuracy, loss and training time) with everything else equal. As an attribute or URL parameter it is
// `sweep="heads=1,2,4"`: the setting's attribute name, then its values.

export interface SweepField {
  key: keyof LabConfig;
  attr: string;
  label: string;
  suggest: string; // values worth trying, as the learner would type them
  choices?: string[]; // for settings that are words
  idea?: { label: string; question: string; config?: Partial<LabConfig> }; // offered as an experiment to start
  // from, with its question (and the form settings it needs, set when it is picked)
}

export const SWEEP_FIELDS: SweepField[] = [
  { key: 'heads', attr: 'heads', label: 'Heads', suggest: '1, 2, 4, 8', idea: { label: 'heads', question: 'Do more heads help, and do they cost time?' } },
  { key: 'dModel', attr: 'd-model', label: 'd_model', suggest: '16, 32, 64', idea: { label: 'width', question: 'How does d_model change accuracy and convergence?' } },
  { key: 'ff', attr: 'ff', label: 'FFN width', suggest: '16, 64, 256' },
  { key: 'layers', attr: 'layers', label: 'Layers', suggest: '1, 2, 3', idea: { label: 'depth', question: 'Does a deeper encoder help?' } },
  { key: 'decoderLayers', attr: 'decoder-layers', label: 'Decoder layers', suggest: '1, 2, 3' },
  { key: 'lr', attr: 'lr', label: 'Learning rate', suggest: '0.001, 0.003, 0.01, 0.03',
    idea: { label: 'learning rate', question: 'Which learning rate trains fastest, and which diverges?' } },
  { key: 'optimizer', attr: 'optimizer', label: 'Optimizer', suggest: 'sgd, adam, adamw', choices: ['sgd', 'adam', 'adamw'],
    idea: { label: 'optimizers', question: 'SGD with momentum, Adam or AdamW: which trains this task fastest?' } },
  { key: 'clip', attr: 'clip', label: 'Clip norm', suggest: '0, 0.5, 1, 5' },
  { key: 'weightDecay', attr: 'weight-decay', label: 'Weight decay', suggest: '0, 0.01, 0.1' },
  { key: 'dropout', attr: 'dropout', label: 'Dropout', suggest: '0, 0.1, 0.3', idea: { label: 'dropout', question: 'Does dropout help held-out accuracy here?' } },
  { key: 'activation', attr: 'activation', label: 'Activation', suggest: 'relu, gelu', choices: ['relu', 'gelu'],
    idea: { label: 'ReLU or GELU', question: 'Does the activation change training?' } },
  { key: 'positional', attr: 'positional', label: 'Positions', suggest: 'sinusoidal, learned, none', choices: ['sinusoidal', 'learned', 'none'],
    idea: { label: 'positions', question: 'What happens without positional encoding?' } },
  { key: 'norm', attr: 'norm', label: 'Norm placement', suggest: 'post, pre', choices: ['post', 'pre'] },
  { key: 'batch', attr: 'batch', label: 'Batch', suggest: '16, 32, 64' },
  { key: 'warmup', attr: 'warmup', label: 'Warmup', suggest: '0, 50, 200' },
  { key: 'steps', attr: 'steps', label: 'Steps', suggest: '150, 300, 600' },
  { key: 'seed', attr: 'seed', label: 'Seed', suggest: '1, 2, 3', idea: { label: 'seeds', question: 'How much do two identical runs differ by chance?' } },
  { key: 'arch', attr: 'arch', label: 'Architecture', suggest: 'encoder-decoder, lstm', choices: ['encoder-decoder', 'decoder', 'lstm'],
    idea: { label: 'why attention', question: 'Reverse 10 numbers: a transformer, or an LSTM whose decoder sees the input only through its final state?',
      config: { task: 'reverse', minLen: 10, maxLen: 10 } } },
];

export const MAX_SWEEP = 8;

export type SweepValue = number | string;
export interface Sweep {
  field: SweepField;
  values: SweepValue[];
}

/** The values of a sweep as typed ("1, 2, 4"), or what is wrong with them. */
export function parseSweepValues(field: SweepField, text: string): { values: SweepValue[] } | { error: string } {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length < 2) return { error: `type at least two values to compare, for example ${field.suggest}` };
  if (parts.length > MAX_SWEEP) return { error: `a sweep trains at most ${MAX_SWEEP} runs (${parts.length} values given)` };
  const values: SweepValue[] = [];
  for (const p of parts) {
    let v: SweepValue;
    if (field.choices) {
      const w = p.toLowerCase();
      if (!field.choices.includes(w)) return { error: `"${p}" is not one of ${field.choices.join(', ')}` };
      v = w;
    } else {
      v = Number(p);
      if (!Number.isFinite(v)) return { error: `"${p}" is not a number` };
    }
    if (values.includes(v)) return { error: `${p} is there twice: each value once` };
    values.push(v);
  }
  return { values };
}

/** A sweep from its attribute form, "heads=1,2,4" (or what is wrong with it). */
export function parseSweep(text: string): Sweep | { error: string } {
  const m = /^\s*([a-z-]+)\s*[=:]\s*(.*)$/i.exec(text);
  const field = m && SWEEP_FIELDS.find((f) => f.attr === m[1].toLowerCase());
  if (!m || !field) return { error: `sweep "${text}": write a setting and its values, like heads=1,2,4 (settings: ${SWEEP_FIELDS.map((f) => f.attr).join(', ')})` };
  const v = parseSweepValues(field, m[2]);
  return 'error' in v ? v : { field, values: v.values };
}

export const sweepText = (s: Sweep) => `${s.field.attr}=${s.values.join(',')}`;

/** The configuration of one run of a sweep: the base with the swept setting set. */
export const sweepConfig = (base: LabConfig, field: SweepField, value: SweepValue): LabConfig =>
  ({ ...base, [field.key]: value }) as LabConfig;

/** "heads = 4", the run's label within its sweep. */
export const sweepLabel = (field: SweepField, value: SweepValue) => `${field.attr} = ${value}`;
