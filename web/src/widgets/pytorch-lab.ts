// The training lab's "PyTorch" script: a lab run as a PyTorch training script. The model is the lab model's module
// (pytorch-models.ts; for the LSTM baseline, LSTM_SEQ2SEQ below, with torch.nn.LSTM), starting from the engine's initial weights (the run's state before any step, a .safetensors
// file the panel offers), trained on the run's first batches (written into the script as literals: the engine
// draws them from its seeded task generator, shuffled in length buckets, which a short list of numbers explains
// better than a port of that generator), with the run's loss, optimizer, warmup-then-cosine schedule and clipping
// exactly as configured. It prints each step's loss and gradient norm; with dropout 0 they equal the lab's.
// Pure functions, no DOM: tests/web/pytorch-lab.test.ts runs these scripts with PyTorch and compares the numbers
// with the engine's trainer.
import type { Run, RunBatch, RunConfig } from '../../../engine/bindings/attn';
import { pyString, scriptFooter, scriptHeader } from './pytorch';
import { CAUSAL, READ_SAFETENSORS, SINUSOIDAL, configLiteral, modelClass, type EngineConfig } from './pytorch-models';

/** The most steps a script replays: every batch is a literal, so a long run is shown by its beginning. */
export const SCRIPT_STEPS = 20;

export interface TrainingScriptInput {
  /** The run's whole config as the engine completed it (Run.config: the model's vocab_size, pad_id, ...; eps,
   * min_lr_ratio, total_steps, ignore_index, ...). */
  config: RunConfig;
  /** The run's first batches, in the order it trains on them (Run.nextBatch before each step). */
  batches: RunBatch[];
  /** The initial weights' file name (what the panel's download gives). */
  weights: string;
}

/** The name of the initial weights' file for a run config. */
export function initialWeightsName(c: RunConfig): string {
  return `lab-initial-${c.task?.name ?? 'task'}-seed${c.run?.seed ?? 0}.safetensors`;
}

/** The number of steps a script replays for a run. */
export function scriptSteps(c: RunConfig): number {
  return Math.min(SCRIPT_STEPS, Number(c.run?.steps ?? SCRIPT_STEPS));
}

/** A hyperparameter as a Python float, in full double precision (the engine computes with the double). */
function pyNumber(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'math.inf' : v < 0 ? '-math.inf' : 'math.nan';
  return Number.isInteger(v) ? `${v}.0` : String(v).replace('e+', 'e');
}

/** A [rows, cols] int32 array as a Python list of rows, on one line. */
function rowsLiteral(data: Int32Array, rows: number, cols: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(`[${Array.from(data.subarray(r * cols, (r + 1) * cols)).join(',')}]`);
  return `[${out.join(',')}]`;
}

/** The batches as a Python list of dicts of id rows (src, and tgt for an encoder-decoder; targets). */
function batchesLiteral(batches: RunBatch[], seq2seq: boolean): string {
  const items = batches.map((b) => {
    const targetCols = seq2seq ? b.T : b.S;
    const fields = [`"src": ${rowsLiteral(b.src, b.B, b.S)}`];
    if (seq2seq) fields.push(`"tgt": ${rowsLiteral(b.tgt, b.B, b.T)}`);
    fields.push(`"targets": ${rowsLiteral(b.targets, b.B, targetCols)}`);
    return `    {${fields.join(',\n     ')}},`;
  });
  return `BATCHES = [\n${items.join('\n')}\n]`;
}

/** The forward pass of a padded batch, as the engine's trainer runs it (engine/models/model.cpp). */
function batchForward(c: EngineConfig): string {
  const learned = c.positional === 'learned';
  const src = learned ? 'model.embed, model.pos_embed' : 'model.embed';
  const lines = [
    'def logits_of(batch):',
    '    """The model on one padded batch. Shorter sequences end in <pad> (id PAD); as in the engine, no attention',
    '    reads a <pad> key (key_padding_mask: True = hidden), and their targets are ignored by the loss."""',
    '    src = torch.tensor(batch["src"], device=device)',
    '    src_pad = src == PAD',
  ];
  if (c.arch === 'encoder-decoder') {
    const tgt = learned ? 'model.tgt_embed, model.tgt_pos_embed' : 'model.tgt_embed';
    lines.push(
      '    tgt = torch.tensor(batch["tgt"], device=device)  # <bos> + the answer: the decoder reads it shifted by one',
      `    memory = model.encoder(model.embed_tokens(${src}, src), src_key_padding_mask=src_pad)`,
      `    h = model.decoder(model.embed_tokens(${tgt}, tgt), memory, tgt_mask=causal_mask(tgt.shape[1]),`,
      '                      tgt_key_padding_mask=tgt == PAD, memory_key_padding_mask=src_pad)',
      '    return model.head(h)',
    );
  } else {
    lines.push(
      '    # input <bos> answer, each position predicting the next token (scored on the answer and <eos> only)',
      `    h = model.decoder(model.embed_tokens(${src}, src), mask=causal_mask(src.shape[1]), src_key_padding_mask=src_pad)`,
      '    return model.head(h)',
    );
  }
  return lines.join('\n');
}

/** The LSTM baseline as a torch.nn module (engine/models/lstm_seq2seq.h, engine/layers/lstm.h). nn.LSTM computes
 * exactly the engine's LSTM (the same gates in the same order, the same parameter names and layout), so the module
 * is PyTorch's own; the rest is how the engine joins the two LSTMs. */
const LSTM_SEQ2SEQ = [
  'class LstmSeq2Seq(nn.Module):',
  '    """The lab\'s LSTM baseline (engine/models/lstm_seq2seq.h): a sequence-to-sequence LSTM without attention',
  '    (Sutskever et al. 2014), from PyTorch\'s own modules:',
  '        src [B, S] -> embed -> encoder nn.LSTM -> its final state (h_n, c_n) [L, B, H]',
  '        tgt [B, T] -> tgt_embed -> decoder nn.LSTM, starting from (h_n, c_n) -> head -> logits [B, T, head_size]',
  '    All the decoder ever learns of the input is (h_n, c_n), whatever the input\'s length: no attention.',
  '    The engine\'s LSTM (engine/layers/lstm.h) is nn.LSTM\'s math: gates i, f, g, o = the four blocks of',
  '    x W_ih^T + b_ih + h W_hh^T + b_hh, c = f * c + i * g, h = o * tanh(c); and its parameters have nn.LSTM\'s names',
  '    and layout (encoder.weight_ih_l0 [4H, H], ...), so the engine\'s state_dict loads as it is."""',
  '',
  '    def __init__(self, c):',
  '        super().__init__()',
  '        H, L = c["d_model"], c["num_layers"]  # the lab\'s d_model: the LSTMs\' hidden size and the embeddings\' width',
  '        self.embed = nn.Embedding(c["vocab_size"], H)  # no scaling, no positions: the LSTM reads in order',
  '        self.encoder = nn.LSTM(H, H, num_layers=L, batch_first=True)',
  '        self.tgt_embed = nn.Embedding(c["tgt_vocab_size"], H)',
  '        self.decoder = nn.LSTM(H, H, num_layers=L, batch_first=True)  # layer k starts from encoder layer k\'s state',
  '        self.head = nn.Linear(H, c["head_size"])',
  '        self.pad_id = c["pad_id"]',
  '',
  '    def forward(self, src, tgt):  # src [B, S], tgt [B, T] -> logits [B, T, head_size]',
  '        # Each source row ends at its first <pad> (pads only follow the input). Packed, the encoder stops there, so',
  '        # padding never reaches its state and (h_n, c_n) is each row\'s state after its last real symbol.',
  '        lengths = (src != self.pad_id).sum(1).clamp(min=1).cpu()',
  '        packed = pack_padded_sequence(self.embed(src), lengths, batch_first=True, enforce_sorted=False)',
  '        _, (h_n, c_n) = self.encoder(packed)  # [L, B, H] each, in the batch\'s order',
  '        # Teacher forcing: the decoder reads <bos> + the answer from the encoder\'s final state. It is not packed:',
  '        # past a row\'s answer it reads <pad>, whose targets are not scored, and an LSTM never looks back at them.',
  '        out, _ = self.decoder(self.tgt_embed(tgt), (h_n, c_n))',
  '        return self.head(out)',
].join('\n');

const LSTM_FORWARD = [
  'def logits_of(batch):',
  '    """The model on one padded batch, as the engine\'s trainer runs it (engine: LstmSeq2Seq::forward)."""',
  '    src = torch.tensor(batch["src"], device=device)',
  '    tgt = torch.tensor(batch["tgt"], device=device)  # <bos> + the answer: the decoder reads it shifted by one',
  '    return model(src, tgt)',
].join('\n');

/** The model's part of a script: its imports, its definitions (helpers, the module class, logits_of) and the
 * class to build from `config`. */
function modelPart(m: EngineConfig): { imports: string[]; defs: string[]; cls: string } {
  if (m.arch === 'lstm')
    return { imports: ['from torch.nn.utils.rnn import pack_padded_sequence'], defs: [LSTM_SEQ2SEQ, LSTM_FORWARD], cls: 'LstmSeq2Seq' };
  return {
    imports: [],
    defs: [...(m.positional === 'sinusoidal' ? [SINUSOIDAL] : []), CAUSAL, modelClass(m), batchForward(m)],
    cls: 'AttnModel',
  };
}

/** torch.optim's optimizer for the run's train section (engine/train/optim.h: the same arithmetic). */
function optimizerLines(t: Record<string, unknown>): string[] {
  const n = (k: string) => pyNumber(Number(t[k]));
  const common = `lr=${n('lr')}, weight_decay=${n('weight_decay')}`;
  if (t.optimizer === 'sgd')
    return [
      '# SGD: weight decay as an L2 term added to the gradient; with momentum, a buffer of past gradients.',
      `optimizer = torch.optim.SGD(model.parameters(), ${common}, momentum=${n('momentum')}, dampening=${n('dampening')},`,
      `                            nesterov=${t.nesterov ? 'True' : 'False'})`,
    ];
  const name = t.optimizer === 'adam' ? 'Adam' : 'AdamW';
  return [
    t.optimizer === 'adam'
      ? '# Adam: weight decay as an L2 term added to the gradient.'
      : '# AdamW: decoupled weight decay (each weight shrinks by lr * weight_decay, apart from the gradient).',
    `optimizer = torch.optim.${name}(model.parameters(), ${common}, betas=(${n('beta1')}, ${n('beta2')}), eps=${n('eps')})`,
  ];
}

/** The learning-rate schedule: warmup, then a decay to lr * min_lr_ratio (engine: OptimizerConfig::lr_at). */
function scheduleLines(t: Record<string, unknown>): string[] {
  const decay: Record<string, string> = {
    constant: '    return 1.0',
    linear: '    return 1.0 + (FLOOR - 1.0) * p',
    cosine: '    return FLOOR + (1.0 - FLOOR) * 0.5 * (1.0 + math.cos(math.pi * p))',
  };
  return [
    `WARMUP, TOTAL_STEPS, FLOOR = ${Number(t.warmup)}, ${Number(t.total_steps)}, ${pyNumber(Number(t.min_lr_ratio))}`,
    '',
    '',
    'def lr_factor(step):',
    `    """The learning rate of step \`step\` (0-based) as a fraction of lr: a linear warmup over WARMUP steps, then a`,
    `    ${t.schedule} decay over the rest of the run's ${Number(t.total_steps)} steps down to FLOOR * lr."""`,
    '    if step < WARMUP:',
    '        return (step + 1) / WARMUP',
    ...(t.schedule === 'constant' ? [] : ['    p = min(1.0, (step - WARMUP) / max(1, TOTAL_STEPS - WARMUP))']),
    decay[String(t.schedule)] ?? decay.constant,
    '',
    '',
    'schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)  # lr = lr_factor(steps done) * lr',
  ];
}

/** The whole training script. */
export function trainingScript(s: TrainingScriptInput): string {
  const m = s.config.model as EngineConfig;
  const t = s.config.train as Record<string, unknown>;
  const task = String(s.config.task?.name);
  const steps = s.batches.length;
  const runSteps = Number(s.config.run?.steps);
  const lstm = m.arch === 'lstm';
  const title = `Training the lab's ${lstm ? 'LSTM' : m.arch} model on the ${task} task`;
  const dropout = Number(m.dropout) > 0;
  const about = [
    `The model starts from the engine's initial weights for seed ${s.config.run?.seed} (${s.weights}: the panel's`,
    '"Download initial weights", saved next to this script) and trains on the run\'s first batches, written below as',
    `the engine's task generator drew them, for ${steps} step${steps === 1 ? '' : 's'}${steps < runSteps ? ` (of the run's ${runSteps})` : ''}.`,
    dropout
      ? `Dropout is ${m.dropout}: PyTorch draws other random masks than the engine, so the losses differ from the lab's; only the trend compares.`
      : "It prints each step's loss and gradient norm: the lab's numbers for the same steps, to float rounding (which grows slowly).",
    ...(lstm ? ['The model is built from torch.nn (nn.Embedding, nn.LSTM, nn.Linear): the engine\'s LSTM is nn.LSTM\'s math, with its names and layout.'] : []),
  ];
  const clip = Number(t.clip_norm);
  const part = modelPart(m);
  const out = [
    scriptHeader(title, about, "the training lab's"),
    'import struct',
    ...part.imports,
    '',
    '',
    READ_SAFETENSORS,
    '',
    '',
    ...part.defs.flatMap((d) => [d, '', '']),
    configLiteral(m),
    `PAD = ${Number(m.pad_id)}  # <pad>: fills the shorter sequences of a batch`,
    `IGNORE_INDEX = ${Number(t.ignore_index)}  # targets with this id are not scored`,
    `WEIGHTS = ${pyString(s.weights)}`,
    'if not os.path.exists(WEIGHTS):',
    '    raise SystemExit(f"{WEIGHTS} is missing: download it from the lab (PyTorch, Download initial weights), next to this script")',
    ...(lstm ? [] : ['torch.manual_seed(0)  # the weights come from the file; the seed only fixes the dropout masks']),
    `model = ${part.cls}(config).to(device)`,
    'model.load_state_dict({k: v.to(device) for k, v in read_safetensors(WEIGHTS).items()})  # strict: every name and shape',
    `model.train()  # ${dropout ? 'dropout on' : lstm ? 'training mode (the LSTM has no dropout: nothing random)' : 'training mode (dropout is 0: nothing random)'}`,
    '',
    ...optimizerLines(t),
    ...scheduleLines(t),
    '',
    `# The run's first ${steps === 1 ? 'batch' : `${steps} batches`}, as the engine's task generator drew them for seed ${s.config.run?.seed}: ids by row.`,
    batchesLiteral(s.batches, m.arch === 'encoder-decoder' || lstm),
    '',
    'losses, grad_norms, lrs = [], [], []',
    'for step, batch in enumerate(BATCHES):',
    '    logits = logits_of(batch)  # [B, T, vocabulary]',
    '    targets = torch.tensor(batch["targets"], device=device)',
    '    # Cross-entropy averaged over the scored targets (not <pad>)',
    `    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX${Number(t.label_smoothing) > 0 ? `, label_smoothing=${pyNumber(Number(t.label_smoothing))}` : ''})`,
    '    optimizer.zero_grad()',
    '    loss.backward()',
    clip > 0
      ? `    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=${pyNumber(clip)})  # the norm before clipping`
      : '    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=math.inf)  # no clipping: only the norm',
    '    lr = optimizer.param_groups[0]["lr"]',
    '    optimizer.step()',
    '    schedule.step()',
    '    print(f"step {step + 1:3d}  loss {loss.item():.6f}  grad norm {grad_norm.item():.6f}  lr {lr:.6g}")',
    '    losses.append(loss.item())',
    '    grad_norms.append(grad_norm.item())',
    '    lrs.append(lr)',
    '',
    'show("losses", torch.tensor(losses, dtype=torch.float64))',
    'show("grad norms", torch.tensor(grad_norms, dtype=torch.float64))',
    'show("learning rates", torch.tensor(lrs, dtype=torch.float64))',
    scriptFooter(),
  ];
  return out.join('\n');
}

/** What the script needs from the engine, and what the engine's trainer did: a new run's initial weights, then its
 * first `n` steps (the batch before each, and the step's loss, gradient norm and learning rate). The lab's worker
 * calls this on a run of its own (the batches follow from the seed, not from training), as do the tests. */
export function firstSteps(run: Run, n: number) {
  const weights = run.save();
  const batches: RunBatch[] = [];
  const loss: number[] = [];
  const gradNorm: number[] = [];
  const lr: number[] = [];
  for (let i = 0; i < n; i++) {
    batches.push(run.nextBatch());
    const r = run.train(1);
    if (r.step.length !== 1) throw new Error(`the run stopped at step ${i + 1}`);
    loss.push(r.loss[0]);
    gradNorm.push(r.grad_norm[0]);
    lr.push(r.lr[0]);
  }
  return { weights, batches, loss, gradNorm, lr };
}
