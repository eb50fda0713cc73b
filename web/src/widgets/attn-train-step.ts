// <attn-train-step>: one step of the training loop taken apart, on a tiny encoder-decoder learning to reverse
// sequences (train-step-setup.ts): the forward pass, the loss per position, backward, gradient clipping, and what
// optimizer.step() does to one weight with the state it keeps (Adam's moments, SGD's momentum buffer). A second
// optimizer can run from the same init on the same batches, for the loss curves side by side.
//
// Every number comes from the engine's `trainStep` call (calls.ts), which is stateless: it builds the seeded model,
// replays steps 1 … n-1, takes step n apart with trainer.step(batch, {inspect: true}), evaluates the batch again and
// deletes the model. So the attributes alone reproduce what is shown, exactly.
//
// Shapes: batch src [B, S], tgt and targets [B, T] (B = 4); losses [B, T] (pads ignored); a weight and its
// gradient, exp_avg, exp_avg_sq or momentum_buffer and update: the parameter's shape ([out, in], or [n] for a bias,
// drawn as [1, n]).
//
// State (attributes): optimizer (sgd | adam | adamw), lr, momentum, dampening, nesterov, beta1, beta2, eps,
// weight-decay, clip (clip_grad_norm_'s max_norm, 0 = off), steps (n, 1 … 200), compare ("none", or an optimizer
// with settings: "sgd:lr=0.1,momentum=0.9"), param (the weight shown, a state_dict name), batches (same | new).
import { css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import '../components/attn-heatmap';
import { cssProps } from '../components/css-props';
import type { TrainStepResult } from '../engine/calls';
import { Superseded } from '../engine/client';
import type { MatrixExport } from '../export/export';
import { registerWidget } from './registry';
import { boolAttribute, numberAttribute } from './seeded-layers';
import {
  OPTIMIZERS,
  PAD,
  TRAIN_STEP_MAX,
  formatCompare,
  l2,
  matrixShape,
  optimizerDefaults,
  optimizerLabel,
  parseCompare,
  tokenLabel,
  trainStepCall,
  type OptimizerName,
  type OptimizerOptions,
} from './train-step-setup';
import { trainStepScript } from './pytorch-scripts';
import { WidgetBase } from './widget-base';

const TAG = 'attn-train-step';
const TITLE = 'One training step, taken apart';
registerWidget(TAG, TITLE);

const DEFAULT_PARAM = 'head.weight';
const NUMBER_KEYS = ['lr', 'momentum', 'dampening', 'beta1', 'beta2', 'eps', 'weightDecay', 'clip'] as const;
const ATTR: Record<string, string> = { weightDecay: 'weight-decay' };
type Column = { options: OptimizerOptions; result: TrainStepResult };
/** The four choices a learner sees (SGD with momentum is torch.optim.SGD with momentum > 0). */
const PRESETS: { key: string; label: string; is: (o: OptimizerOptions) => boolean; to: (o: OptimizerOptions) => Partial<OptimizerOptions> }[] = [
  { key: 'sgd', label: 'SGD', is: (o) => o.optimizer === 'sgd' && !(o.momentum > 0), to: (o) => ({ ...family(o, 'sgd'), momentum: 0, nesterov: false }) },
  { key: 'momentum', label: 'SGD + momentum', is: (o) => o.optimizer === 'sgd' && o.momentum > 0, to: (o) => ({ ...family(o, 'sgd'), momentum: o.momentum > 0 ? o.momentum : 0.9 }) },
  { key: 'adam', label: 'Adam', is: (o) => o.optimizer === 'adam', to: (o) => ({ ...family(o, 'adam') }) },
  { key: 'adamw', label: 'AdamW', is: (o) => o.optimizer === 'adamw', to: (o) => ({ ...family(o, 'adamw'), weightDecay: o.weightDecay || 0.01 }) },
];

/** Switching between SGD and the Adams resets lr to the new family's default (0.1 and 0.01). */
function family(o: OptimizerOptions, name: OptimizerName): Partial<OptimizerOptions> {
  const sameFamily = (o.optimizer === 'sgd') === (name === 'sgd');
  return { optimizer: name, ...(sameFamily ? {} : { lr: optimizerDefaults(name).lr }) };
}

@customElement(TAG)
export class AttnTrainStep extends WidgetBase {
  static override widgetTag = TAG;
  static override stateKeys = ['optimizer', 'lr', 'momentum', 'dampening', 'nesterov', 'beta1', 'beta2', 'eps', 'weight-decay', 'clip', 'steps', 'compare', 'param', 'batches'];

  /** torch.optim.SGD, Adam or AdamW. */
  @property({ reflect: true }) optimizer: OptimizerName = 'adam';
  @property({ reflect: true, converter: numberAttribute }) lr = 0.01;
  /** SGD only: 0 is plain gradient descent. */
  @property({ reflect: true, converter: numberAttribute }) momentum = 0;
  @property({ reflect: true, converter: numberAttribute }) dampening = 0;
  @property({ reflect: true, converter: boolAttribute }) nesterov = false;
  /** Adam and AdamW. */
  @property({ reflect: true, converter: numberAttribute }) beta1 = 0.9;
  @property({ reflect: true, converter: numberAttribute }) beta2 = 0.999;
  @property({ reflect: true, converter: numberAttribute }) eps = 1e-8;
  @property({ reflect: true, attribute: 'weight-decay', converter: numberAttribute }) weightDecay = 0;
  /** clip_grad_norm_'s max_norm; 0: no clipping. */
  @property({ reflect: true, converter: numberAttribute }) clip = 1;
  /** The step shown (1-based); the steps before it are replayed. */
  @property({ reflect: true, converter: numberAttribute }) steps = 1;
  /** The second optimizer: "none", or "sgd", "adam", "adamw" with settings ("sgd:lr=0.1,momentum=0.9"). */
  @property({ reflect: true }) compare = 'sgd';
  /** The parameter whose gradient, state and update are drawn (its state_dict name). */
  @property({ reflect: true }) param = DEFAULT_PARAM;
  /** "same": one batch at every step (the curve shows the optimizer); "new": a fresh batch each step, as in training. */
  @property({ reflect: true }) batches: 'same' | 'new' = 'same';

  @state() private a?: Column;
  @state() private b?: Column;
  @state() private notice = '';
  /** The engine's message for settings it refused (the last good settings are shown again). */
  @state() private refused = '';
  private cache = new Map<string, TrainStepResult>();
  private lastGood?: { a: OptimizerOptions; compare: string };

  get widgetTitle() {
    return TITLE;
  }

  get options(): OptimizerOptions {
    const { optimizer, lr, momentum, dampening, nesterov, beta1, beta2, eps, weightDecay, clip } = this;
    return { optimizer, lr, momentum, dampening, nesterov, beta1, beta2, eps, weightDecay, clip };
  }

  /** Bad attribute values: use a valid one and say which. Ranges the engine checks (lr > 0, betas in [0, 1), …)
   * are left to it: its message is shown and the last good settings come back. */
  override willUpdate(changed: Map<string, unknown>) {
    const notes: string[] = [];
    if (changed.has('optimizer') && !OPTIMIZERS.includes(this.optimizer)) {
      notes.push(`optimizer must be sgd, adam or adamw; using adam.`);
      this.optimizer = 'adam';
    }
    const defaults = optimizerDefaults(this.optimizer);
    for (const k of NUMBER_KEYS) {
      if (changed.has(k) && !Number.isFinite(this[k])) {
        notes.push(`${ATTR[k] ?? k} must be a number; using ${defaults[k]}.`);
        (this[k] as number) = defaults[k];
      }
    }
    if (changed.has('steps') && !(Number.isInteger(this.steps) && this.steps >= 1 && this.steps <= TRAIN_STEP_MAX)) {
      const fixed = Number.isFinite(this.steps) ? Math.min(TRAIN_STEP_MAX, Math.max(1, Math.round(this.steps))) : 1;
      notes.push(this.steps > TRAIN_STEP_MAX
        ? `steps is at most ${TRAIN_STEP_MAX} here (every step is replayed from the start); showing step ${fixed}.`
        : `steps must be a whole number from 1 to ${TRAIN_STEP_MAX}; showing step ${fixed}.`);
      this.steps = fixed;
    }
    if (changed.has('compare')) {
      const c = parseCompare(this.compare ?? '');
      if (c.error) notes.push(c.error);
    }
    if (changed.has('batches') && this.batches !== 'same' && this.batches !== 'new') {
      notes.push(`batches must be "same" or "new"; using the same batch at every step.`);
      this.batches = 'same';
    }
    if (notes.length) this.notice = [this.notice, ...notes].filter(Boolean).join(' ');
  }

  /** One column's result, from the cache when only the view changed (the weight shown). */
  private async column(o: OptimizerOptions, key: string): Promise<Column> {
    const args = trainStepCall(o, this.steps, this.batches === 'same');
    const id = JSON.stringify(args);
    let result = this.cache.get(id);
    if (!result) {
      result = await this.call('trainStep', args, key);
      this.cache.set(id, result);
      if (this.cache.size > 6) this.cache.delete(this.cache.keys().next().value!);
    }
    return { options: o, result };
  }

  protected async compute() {
    const a = this.options;
    const spec = parseCompare(this.compare ?? '');
    const [ra, rb] = await Promise.allSettled([this.column(a, 'a'), spec.options ? this.column(spec.options, 'b') : Promise.resolve(undefined)]);
    for (const r of [ra, rb]) if (r.status === 'rejected' && r.reason instanceof Superseded) throw r.reason;
    if (ra.status === 'rejected' || rb.status === 'rejected') {
      // The engine refused a setting: say why, and go back to the last settings it accepted.
      const why = [ra.status === 'rejected' ? `${optimizerLabel(a)}: ${(ra.reason as Error).message}` : '',
        rb.status === 'rejected' ? `Comparison (${optimizerLabel(spec.options!)}): ${(rb.reason as Error).message}` : ''].filter(Boolean).join('; ');
      // Nothing worked yet (bad settings in the page or URL): the defaults of the optimizers asked for.
      const good = this.lastGood ?? { a: optimizerDefaults(a.optimizer), compare: spec.options ? spec.options.optimizer : 'none' };
      this.refused = `${why}. ${this.lastGood ? 'Showing the last settings that worked.' : 'Showing the defaults.'}`;
      if (ra.status === 'rejected') Object.assign(this, good.a);
      if (rb.status === 'rejected') this.compare = good.compare;
      void this.stateChanged();
      return;
    }
    this.a = ra.value;
    this.b = rb.value;
    this.lastGood = { a, compare: this.compare };
    if (!this.a.result.step.params.some((p) => p.name === this.param)) {
      this.notice = [this.notice, `param "${this.param}" is not a parameter of this model; showing ${DEFAULT_PARAM}.`].filter(Boolean).join(' ');
      this.param = DEFAULT_PARAM;
    }
  }

  private change(next: Partial<AttnTrainStep> & Partial<OptimizerOptions>, keepRefusal = false) {
    this.notice = '';
    if (!keepRefusal) this.refused = '';
    Object.assign(this, next);
    void this.stateChanged();
  }

  private setCompare(patch: Partial<OptimizerOptions> | 'none') {
    if (patch === 'none') return this.change({ compare: 'none' });
    const now = parseCompare(this.compare).options ?? optimizerDefaults('sgd');
    this.change({ compare: formatCompare({ ...now, ...patch }) });
  }

  /** The PyTorch button's script: optimizer.step() on the weight shown, from its value, gradient and state. */
  override pytorchScript(): string {
    const a = this.a;
    const p = a?.result.step.params.find((q) => q.name === this.param);
    if (!a || !p) return '';
    return trainStepScript(a.options, a.result.history.loss.length, p, a.result.step.clip_coef, a.result.step.grad_norm);
  }

  protected override exportables(): MatrixExport[] {
    const a = this.a;
    if (!a) return [];
    const out: MatrixExport[] = [{ ...lossMatrix(a.result), title: `Loss per position, step ${this.steps}` }];
    for (const c of [a, this.b]) {
      if (!c) continue;
      for (const m of this.weightMatrices(c)) out.push({ ...m, title: `${optimizerLabel(c.options)}: ${this.param} ${m.title}` });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------- render
  protected renderBody() {
    return html`
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.refused ? html`<p class="refused" role="alert">The engine refused: ${this.refused}</p>` : nothing}
      ${this.renderControls()}
      ${this.a ? this.renderResult(this.a, this.b) : nothing}
    `;
  }

  private renderControls() {
    const b = parseCompare(this.compare ?? '').options;
    return html`<div class="controls">
      ${this.renderOptimizer('a', this.options, (p) => this.change(p))}
      <div class="opt-row compare-row">
        <span class="row-label">Compare with</span>
        <button class="cmp-none" aria-pressed=${!b} @click=${() => this.setCompare('none')}>none</button>
        ${this.renderOptimizer('b', b ?? optimizerDefaults('sgd'), (p) => this.setCompare(p), !b)}
      </div>
      <div class="opt-row step-row">
        <div class="toggle-row" role="group" aria-label="Batches">
          <button class="batches-same" aria-pressed=${this.batches === 'same'} @click=${() => this.change({ batches: 'same' })}>Same batch every step</button>
          <button class="batches-new" aria-pressed=${this.batches === 'new'} @click=${() => this.change({ batches: 'new' })}>New batch each step</button>
        </div>
        <div class="stepper">
          <button class="step-btn primary" ?disabled=${this.steps >= TRAIN_STEP_MAX} @click=${() => this.change({ steps: this.steps + 1 })}>Step</button>
          <button class="step10-btn" ?disabled=${this.steps >= TRAIN_STEP_MAX} @click=${() => this.change({ steps: Math.min(TRAIN_STEP_MAX, this.steps + 10) })}>+10 steps</button>
          <button class="reset-btn" ?disabled=${this.steps === 1} @click=${() => this.change({ steps: 1 })}>Reset</button>
          <span class="step-count" aria-live="polite">showing step <strong data-value=${this.steps}>${this.steps}</strong>${this.busy ? html` <span class="muted">(computing…)</span>` : nothing}</span>
        </div>
      </div>
    </div>`;
  }

  /** The optimizer buttons and its settings (torch.optim's argument names). */
  private renderOptimizer(which: 'a' | 'b', o: OptimizerOptions, set: (p: Partial<OptimizerOptions>) => void, off = false) {
    const sgd = o.optimizer === 'sgd';
    const num = (key: (typeof NUMBER_KEYS)[number], label: string, step: string, title: string) => html`<label class="num num-${ATTR[key] ?? key}" title=${title}>
      <code>${label}</code>
      <input type="number" step=${step} .value=${String(o[key])} aria-label="${which === 'b' ? 'Comparison ' : ''}${label}"
        @change=${(e: Event) => {
          const raw = (e.target as HTMLInputElement).value;
          set({ [key]: raw.trim() === '' ? NaN : Number(raw) });
        }} />
    </label>`;
    const body = html`
      <div class="toggle-row" role="group" aria-label=${which === 'a' ? 'Optimizer' : 'Comparison optimizer'}>
        ${PRESETS.map((p) => html`<button class="opt-${p.key}" aria-pressed=${!off && p.is(o)} @click=${() => set(p.to(o))}>${p.label}</button>`)}
      </div>
      ${off ? html`<span class="muted small">Pick a second optimizer: it runs from the same start on the same batches.</span>` : html`<div class="settings">
        ${num('lr', 'lr', 'any', 'learning rate')}
        ${sgd
          ? html`${num('momentum', 'momentum', '0.1', 'momentum in [0, 1)')}${num('dampening', 'dampening', '0.1', 'dampening in [0, 1]')}
              <label class="check nesterov" title="Nesterov momentum (needs momentum > 0 and dampening 0)">
                <input type="checkbox" .checked=${o.nesterov} @change=${(e: Event) => set({ nesterov: (e.target as HTMLInputElement).checked })} /> <code>nesterov</code>
              </label>`
          : html`${num('beta1', 'β₁', '0.01', 'beta1: decay of the first moment, in [0, 1)')}${num('beta2', 'β₂', '0.001', 'beta2: decay of the second moment, in [0, 1)')}${num('eps', 'ε', 'any', 'eps')}`}
        ${num('weightDecay', 'weight_decay', '0.01', o.optimizer === 'adamw' ? 'decoupled: w ← w − lr·wd·w' : 'L2: wd·w added to the gradient')}
        ${num('clip', 'max_norm', '0.5', 'clip_grad_norm_ max_norm (0: no clipping)')}
      </div>`}`;
    return which === 'b' ? html`<div class="opt-inline opt-b">${body}</div>` : html`<div class="opt-row opt-a"><span class="row-label">Optimizer</span>${body}</div>`;
  }

  private renderResult(a: Column, b?: Column) {
    return html`
      ${this.renderSummary(a, b)}
      <div class="grid two">
        <section role="group" class="panel forward" aria-label="Forward pass">
          <h3><span class="badge">1</span> Forward pass <code>logits = model(src, tgt_in)</code></h3>
          <p class="caption">The batch of step ${this.steps}: four sequences to reverse. The decoder reads the target shifted right
            (<code>bos</code> first) and predicts each next token: the argmax of its logits, before the update.</p>
          ${this.renderBatch(a.result)}
        </section>
        <section role="group" class="panel loss" aria-label="Loss">
          <h3><span class="badge">2</span> Loss <code>loss = F.cross_entropy(logits, targets, ignore_index=0)</code></h3>
          <p class="caption">−log p(target) at each position [B, T]; padded positions (hatched) are ignored, and the loss is the mean of
            the others: <strong class="mean-loss" data-value=${String(a.result.step.loss)}>${fmt(a.result.step.loss)}</strong>
            over ${a.result.step.tokens} positions.</p>
          ${this.heatmap(lossMatrix(a.result), 'loss-map', this.colormap, 'weights', 300)}
        </section>
      </div>
      <div class="grid grads">
        <section role="group" class="panel backward" aria-label="Backward pass and clipping">
          <h3><span class="badge">3</span> Backward <code>loss.backward()</code> and clipping</h3>
          ${this.renderClip(a)}
          ${this.renderNorms(a)}
        </section>
        <section role="group" class="panel weight" aria-label="One weight">
          <h3><span class="badge">4</span> <code>optimizer.step()</code> on <code class="param-name">${this.param}</code></h3>
          <p class="caption">Pick a tensor in the list. Its value before the step, its gradient <code>p.grad</code> (as clipped), the state the
            optimizer keeps for it (<code>optimizer.state[p]</code>) and the update: value after − before.</p>
          ${[a, b].map((c) => (c ? this.renderWeight(c, c === b) : nothing))}
        </section>
      </div>
    `;
  }

  /** Loss before and after, gradient norm, clip factor, for each optimizer; both loss curves. */
  private renderSummary(a: Column, b?: Column) {
    const cols = [a, b].filter((c): c is Column => !!c);
    const row = (label: string, code: string, cls: string, get: (r: TrainStepResult) => number, f = fmt) => html`<tr class=${cls}>
      <th scope="row">${label} ${code ? html`<code>${code}</code>` : nothing}</th>
      ${cols.map((c) => html`<td data-col=${c === a ? 'a' : 'b'} data-value=${String(get(c.result))}>${f(get(c.result))}</td>`)}
    </tr>`;
    return html`<div class="summary">
      <table class="stats" aria-live="polite">
        <caption>Step ${this.steps}${this.steps > 1 ? html` <span class="muted">(steps 1–${this.steps - 1} replayed from the same seeded start)</span>` : nothing}</caption>
        <tr><td></td>${cols.map((c) => html`<th scope="col" class=${c === a ? 'col-a' : 'col-b'}>${optimizerLabel(c.options)} <span class="muted">lr ${c.options.lr}</span></th>`)}</tr>
        ${row('Loss before the step', 'loss.item()', 'loss-before', (r) => r.step.loss)}
        ${row('Gradient norm', 'total_norm', 'grad-norm', (r) => r.step.grad_norm)}
        ${row('Clip factor', 'clip_coef', 'clip-coef', (r) => r.step.clip_coef)}
        ${row('Loss after, same batch', 'evaluate', 'loss-after', (r) => r.after.loss)}
        ${row('Change', '', 'loss-delta', (r) => r.after.loss - r.step.loss, signed)}
        ${row('Token accuracy after', '', 'acc-after', (r) => r.after.token_accuracy, (v) => `${(100 * v).toFixed(0)}%`)}
      </table>
      ${this.renderCurves(cols, a)}
    </div>`;
  }

  /** Loss of each step's batch before its update (x = updates done), and the batch after the last update. */
  private renderCurves(cols: Column[], a: Column) {
    const W = 420;
    const H = 190;
    const m = { l: 40, r: 12, t: 14, b: 28 };
    const n = this.steps;
    const series = cols.map((c) => [...Array.from(c.result.history.loss), c.result.after.loss]);
    const hi = Math.max(...series.flat()) * 1.05;
    const sx = (i: number) => m.l + (n ? (i / n) * (W - m.l - m.r) : 0);
    const sy = (v: number) => m.t + (1 - v / hi) * (H - m.t - m.b);
    const ticks = [0, hi / 2, hi].map((v) => Number(v.toPrecision(2)));
    const xTicks = n <= 1 ? [0, 1] : [0, Math.round(n / 2), n];
    return html`<figure class="curves">
      <svg viewBox="0 0 ${W} ${H}" width=${W} height=${H} role="img" aria-label="Loss over ${n} steps for ${cols.map((c) => optimizerLabel(c.options)).join(' and ')}">
        ${ticks.map((t) => svg`<line class="grid-line" x1=${m.l} x2=${W - m.r} y1=${sy(t)} y2=${sy(t)}></line><text class="tick" x=${m.l - 5} y=${sy(t) + 3.5} text-anchor="end">${t}</text>`)}
        ${xTicks.map((t) => svg`<text class="tick" x=${sx(t)} y=${H - 12} text-anchor="middle">${t}</text>`)}
        <text class="tick" x=${(m.l + W - m.r) / 2} y=${H - 1} text-anchor="middle">updates done</text>
        ${series.map((s, k) => svg`<g class="series ${cols[k] === a ? 'col-a' : 'col-b'}">
          <path d=${s.map((v, i) => `${i ? 'L' : 'M'}${sx(i).toFixed(1)},${sy(v).toFixed(1)}`).join('')}></path>
          ${s.length <= 60 ? s.map((v, i) => svg`<circle cx=${sx(i)} cy=${sy(v)} r="2.6"></circle>`) : nothing}
        </g>`)}
      </svg>
      <figcaption class="small muted">Loss of the batch each step trains on, before its update; the last point is the same batch after
        step ${n}. ${this.batches === 'same' ? 'One batch throughout: the curve shows the optimizer alone.' : 'A new batch each step: the curve is noisy, as in real training.'}</figcaption>
    </figure>`;
  }

  private renderBatch(r: TrainStepResult) {
    const { B, S, T, src, tgt, targets } = r.batch;
    const pred = r.before.predictions;
    const cell = (id: number, cls = '') => html`<td class="tok ${id === PAD ? 'pad' : ''} ${cls}">${tokenLabel(id)}</td>`;
    const rows = (label: string, code: string, cls: string, n: number, get: (t: number) => ReturnType<typeof cell>) =>
      html`<tr class=${cls}><th scope="row">${label} <code>${code}</code></th>${Array.from({ length: n }, (_, t) => get(t))}</tr>`;
    return html`<div class="batch">
      ${Array.from({ length: B }, (_, b) => html`<table class="seq" data-seq=${b}>
        <caption>sequence ${b}</caption>
        ${rows('source', 'src', 'src', S, (t) => cell(src[b * S + t]))}
        ${rows('decoder in', 'tgt_in', 'tgt', T, (t) => cell(tgt[b * T + t]))}
        ${rows('target', 'tgt_out', 'targets', T, (t) => cell(targets[b * T + t]))}
        ${rows('predicted', 'argmax', 'pred', T, (t) => {
          const want = targets[b * T + t];
          if (want === PAD) return html`<td class="tok pad ignored" title="ignored: the target is a pad">·</td>`;
          const p = pred[b * T + t];
          return html`<td class="tok ${p === want ? 'right' : 'wrong'}" data-value=${p} title=${p === want ? 'correct' : `wrong: the target is ${tokenLabel(want)}`}>${tokenLabel(p)}</td>`;
        })}
      </table>`)}
      <p class="small muted legend"><span class="tok pad">·</span> pad (no loss) <span class="tok right">3</span> predicted right
        <span class="tok wrong">3</span> wrong. Before the update: ${pct(r.before.token_accuracy)} right; after it: ${pct(r.after.token_accuracy)}.</p>
    </div>`;
  }

  private renderClip(c: Column) {
    const s = c.result.step;
    const max = c.options.clip;
    const clipped = s.clip_coef < 1;
    return html`<p class="caption clip ${clipped ? 'clipped' : ''}" data-clipped=${clipped}>
      <code>torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=${max || 'inf'})</code><br />
      The gradient of all ${s.params.length} tensors together has norm <strong>${fmt(s.grad_norm)}</strong>.
      ${max === 0
        ? html`Clipping is off (max_norm 0 here).`
        : clipped
          ? html`That is above max_norm ${max}, so every gradient is multiplied by clip_coef = ${max} / ${fmt(s.grad_norm)} =
              <strong class="coef">${fmt(s.clip_coef)}</strong>: the direction stays, the length becomes ${max}.`
          : html`That is within max_norm ${max}: clip_coef is <strong class="coef">1</strong>, nothing changes.`}
    </p>`;
  }

  /** Each tensor's gradient norm before clipping, largest first; a click shows that tensor. */
  private renderNorms(c: Column) {
    const s = c.result.step;
    const norms = s.params.map((p) => ({ name: p.name, shape: p.shape, norm: l2(p.grad) / s.clip_coef })).sort((x, y) => y.norm - x.norm);
    const top = norms[0]?.norm || 1;
    return html`<p class="caption">Gradient norm of each tensor, <code>p.grad.norm()</code> before clipping (their squares add up to the
      total). Click one to look inside.</p>
      <ol class="norms" aria-label="Gradient norm per parameter tensor">
        ${norms.map((p) => html`<li>
          <button class="norm-row" data-name=${p.name} data-value=${String(p.norm)} aria-pressed=${p.name === this.param}
            @click=${() => this.change({ param: p.name }, true)}>
            <code class="name">${p.name}</code>
            <span class="bar-track"><span class="bar" style=${cssProps({ width: `${(100 * p.norm) / top}%` })}></span></span>
            <span class="value">${fmt(p.norm)}</span>
          </button>
        </li>`)}
      </ol>`;
  }

  /** The chosen tensor under one optimizer: before, gradient, state, update. */
  private weightMatrices(c: Column): MatrixSpec[] {
    const p = c.result.step.params.find((x) => x.name === this.param);
    if (!p) return [];
    const [rows, cols] = matrixShape(p.shape);
    const vocabRows = /(^|\.)(embed|tgt_embed|head)\.weight$/.test(p.name) || p.name === 'head.bias';
    const rowLabels = Array.from({ length: rows }, (_, i) => (rows === 1 ? p.name.split('.').pop()! : vocabRows && p.name !== 'head.bias' ? tokenLabel(i) : String(i)));
    const colLabels = Array.from({ length: cols }, (_, j) => (p.name === 'head.bias' ? tokenLabel(j) : String(j)));
    const base = { rows, cols, rowLabels, colLabels, rowTitle: rows === 1 ? 'Tensor' : vocabRows ? 'Token' : 'Out', colTitle: rows === 1 ? 'Index' : 'In' };
    const update = Float32Array.from(p.value, (v, i) => v - p.before[i]);
    const st = p.state;
    const out: Omit<MatrixSpec, 'domain'>[] = [
      { ...base, key: 'before', title: 'value before', code: 'p.data', matrix: p.before, signed: true },
      { ...base, key: 'grad', title: 'gradient', code: 'p.grad', matrix: p.grad, signed: true },
    ];
    if (st.exp_avg) out.push({ ...base, key: 'exp_avg', title: 'first moment', code: "state['exp_avg']", matrix: st.exp_avg, signed: true });
    if (st.exp_avg_sq) out.push({ ...base, key: 'exp_avg_sq', title: 'second moment', code: "state['exp_avg_sq']", matrix: st.exp_avg_sq, signed: false });
    if (st.momentum_buffer) out.push({ ...base, key: 'momentum_buffer', title: 'momentum', code: "state['momentum_buffer']", matrix: st.momentum_buffer, signed: true });
    out.push({ ...base, key: 'update', title: 'update (after − before)', code: 'Δp', matrix: update, signed: true });
    return out.map((m) => ({ ...m, domain: m.signed ? symmetric(m.matrix) : [0, Math.max(...m.matrix) || 1] }));
  }

  private renderWeight(c: Column, second: boolean) {
    const all = this.weightMatrices(c);
    // From the same start on the same batch, step 1's value and gradient are the first column's: not drawn twice.
    const shared = second && this.steps === 1;
    const mats = shared ? all.filter((m) => m.key !== 'before' && m.key !== 'grad') : all;
    const o = c.options;
    const p = c.result.step.params.find((x) => x.name === this.param);
    if (!p) return nothing;
    const upd = mats[mats.length - 1].matrix;
    const formula = o.optimizer === 'sgd'
      ? o.momentum > 0
        ? `buf = ${o.momentum}·buf + ${1 - o.dampening}·g${o.nesterov ? `;  Δp = −lr·(g + ${o.momentum}·buf)` : ';  Δp = −lr·buf'}`
        : 'Δp = −lr·g'
      : `m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  Δp = −lr·m̂ / (√v̂ + ε)${o.optimizer === 'adamw' && o.weightDecay ? ' − lr·wd·p' : ''}`;
    const stateNote = o.optimizer === 'sgd'
      ? o.momentum > 0 ? 'SGD with momentum keeps one buffer per weight: a running sum of past gradients.' : 'Plain SGD keeps no state: optimizer.state[p] is empty, and the update is the gradient times −lr.'
      : `Adam keeps two numbers per weight: exp_avg, a running mean of g, and exp_avg_sq, of g².${this.steps === 1
        ? ' At step 1 the bias-corrected ratio m̂ / √v̂ is g / |g|: every weight with a gradient moves by lr, whatever the size of its gradient.'
        : ''}`;
    return html`<div class="weight-col ${second ? 'col-b' : 'col-a'}" data-col=${second ? 'b' : 'a'} data-optimizer=${optimizerLabel(o)}>
      <h4><span class="swatch"></span>${optimizerLabel(o)} <code class="formula">${formula}</code></h4>
      <p class="small muted">${stateNote} Largest |update|: <strong class="max-update" data-value=${String(maxAbs(upd))}>${fmt(maxAbs(upd))}</strong>
        (lr ${o.lr}).${p.shape.length === 1 ? ' A 1-d tensor, drawn as one row.' : ''}${shared ? ' Its value and gradient are the ones above: the same start, the same batch.' : ''}</p>
      <div class="mats">
        ${mats.map((m) => html`<div class="mat" data-key=${m.key}>
          <div class="mat-title small"><strong>${m.title}</strong> <code>${m.code}</code></div>
          ${this.heatmap(m, `w-${m.key}`, m.signed ? 'rdbu' : this.colormap, 'values', m.cols > 16 || m.rows > 16 ? 300 : 220)}
        </div>`)}
      </div>
    </div>`;
  }

  private heatmap(m: MatrixSpec, cls: string, colormap: string, kind: 'weights' | 'values', size: number) {
    const side = Math.max(m.rows, m.cols);
    const cell = Math.max(4, Math.min(40, Math.floor(size / side)));
    return html`<div class="hm" style=${cssProps({ width: `${Math.max(240, 150 + cell * m.cols)}px` })}>
      <attn-heatmap class=${cls} colormap=${colormap} kind=${kind} .matrix=${m.matrix} rows=${m.rows} cols=${m.cols}
        .rowLabels=${m.rowLabels} .colLabels=${m.colLabels} row-title=${m.rowTitle} col-title=${m.colTitle} .domain=${m.domain}
        .mask=${m.mask} mask-label=${m.maskLabel ?? ''} max-size=${cell * side} caption=${m.code ?? m.title}></attn-heatmap>
    </div>`;
  }

  static override styles = [
    ...WidgetBase.baseStyles,
    css`
      :host { --col-a: var(--w-accent); --col-b: #a84d08; } /* orange, 5.6:1 on white: it colours text too */
      :host([theme='dark']) { --col-b: #f5a05a; }
      @media (prefers-color-scheme: dark) { :host(:not([theme='light'])) { --col-b: #f5a05a; } }
      .w-head { flex-wrap: wrap; }
      .notice { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 6px 10px; margin: 0 0 10px; font-size: 13px; }
      .refused { background: var(--w-error-bg); color: var(--w-error); border-radius: 8px; padding: 8px 12px; margin: 0 0 10px; font-size: 13.5px; font-weight: 600; }
      code { font: 12px ui-monospace, monospace; background: var(--w-code-bg); padding: 0 4px; border-radius: 4px; }
      button code { background: transparent; color: inherit; padding: 0; }
      .small { font-size: 12.5px; }
      .controls { display: grid; gap: 8px; margin-bottom: 12px; padding: 10px 12px; border: 1px solid var(--w-border); border-radius: 10px; }
      .opt-row, .opt-inline { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; }
      .row-label { font-weight: 600; font-size: 13px; min-width: 92px; }
      .toggle-row { display: flex; align-items: center; gap: 5px; flex-wrap: wrap; }
      .settings { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; }
      .num { display: inline-flex; align-items: center; gap: 5px; font-size: 13px; }
      .num input { width: 74px; background: var(--w-input-bg); color: var(--w-fg); border: 1px solid var(--w-border); border-radius: 6px; padding: 2px 6px; font-variant-numeric: tabular-nums; }
      .check { display: inline-flex; align-items: center; gap: 4px; font-size: 13px; }
      .opt-a .toggle-row button[aria-pressed='true'] { box-shadow: inset 0 -3px 0 var(--col-a); }
      .opt-b .toggle-row button[aria-pressed='true'] { box-shadow: inset 0 -3px 0 var(--col-b); }
      .step-row { justify-content: space-between; }
      .stepper { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
      .stepper .primary { background: var(--w-accent); color: var(--w-on-accent); border-color: var(--w-accent); font-weight: 600; padding-inline: 16px; }
      .step-count { font-size: 13px; margin-left: 6px; font-variant-numeric: tabular-nums; }
      .summary { display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; margin-bottom: 12px; }
      .stats { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
      .stats caption { text-align: left; font-weight: 650; padding-bottom: 6px; }
      .stats th, .stats td { padding: 4px 10px; text-align: right; border-bottom: 1px solid var(--w-border); }
      .stats th[scope='row'] { text-align: left; font-weight: 500; }
      .stats th.col-a { color: var(--col-a); }
      .stats th.col-b { color: var(--col-b); }
      .stats tr.loss-after td { font-weight: 700; }
      figure { margin: 0; }
      svg { max-width: 100%; height: auto; display: block; }
      .grid-line { stroke: var(--w-border); }
      .tick { font-size: 10.5px; fill: var(--w-muted); font-variant-numeric: tabular-nums; }
      .series path { fill: none; stroke-width: 2.2; stroke-linejoin: round; }
      .series.col-a path { stroke: var(--col-a); }
      .series.col-b path { stroke: var(--col-b); }
      .series.col-a circle { fill: var(--col-a); }
      .series.col-b circle { fill: var(--col-b); }
      .curves figcaption { max-width: 420px; }
      .grid { display: grid; gap: 12px; margin-bottom: 12px; }
      .grid.two { grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); }
      .grid.grads { grid-template-columns: minmax(0, 420px) minmax(0, 1fr); }
      @media (max-width: 980px) { .grid.grads { grid-template-columns: minmax(0, 1fr); } }
      .panel { border: 1px solid var(--w-border); border-radius: 10px; padding: 10px 12px; min-width: 0; }
      h3 { font-size: 14px; margin: 0 0 6px; display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; }
      h4 { font-size: 13.5px; margin: 10px 0 4px; display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; }
      .badge { display: inline-grid; place-items: center; min-width: 20px; height: 20px; border-radius: 10px; background: var(--w-accent-soft); font-size: 11.5px; font-weight: 700; }
      .caption { margin: 0 0 8px; font-size: 13px; line-height: 1.45; }
      .batch { display: flex; flex-wrap: wrap; gap: 8px 18px; }
      .seq { border-collapse: separate; border-spacing: 2px; font-size: 12.5px; }
      .seq caption { text-align: left; font-size: 11.5px; color: var(--w-muted); }
      .seq th { text-align: right; font-weight: 500; padding-right: 6px; white-space: nowrap; color: var(--w-muted); }
      .seq th code { font-size: 10.5px; }
      .tok { display: table-cell; min-width: 24px; height: 20px; text-align: center; border-radius: 4px; background: var(--w-chip-bg); font-variant-numeric: tabular-nums; padding: 0 3px; }
      .legend .tok { display: inline-block; line-height: 20px; margin-left: 8px; }
      .tok.pad { background: transparent; color: var(--w-muted); outline: 1px dashed var(--w-border); }
      .tok.right { background: var(--w-ok-bg); color: var(--w-ok); font-weight: 600; }
      .tok.wrong { background: var(--w-error-bg); color: var(--w-error); font-weight: 600; }
      .legend { flex-basis: 100%; margin: 4px 0 0; }
      .clip.clipped strong.coef { color: var(--col-b); }
      .norms { list-style: none; margin: 0; padding: 0; display: grid; gap: 1px; }
      .norm-row { display: grid; grid-template-columns: minmax(0, 1fr) 90px 62px; gap: 8px; align-items: center; width: 100%; text-align: left;
        border: 0; border-radius: 5px; background: transparent; padding: 1px 4px; min-height: 24px; font-size: 12px; cursor: pointer; } /* 24 px: WCAG's smallest target */
      .norm-row:hover { background: var(--w-chip-bg); }
      .norm-row[aria-pressed='true'] { background: var(--w-accent-soft); color: var(--w-fg); font-weight: 600; }
      .norm-row .name { font-size: 11.5px; background: transparent; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .bar-track { height: 9px; background: var(--w-code-bg); border-radius: 3px; overflow: hidden; }
      .bar { display: block; height: 100%; background: var(--col-a); }
      .norm-row .value { text-align: right; font-variant-numeric: tabular-nums; }
      .weight-col { border-top: 1px solid var(--w-border); padding-top: 4px; }
      .weight-col:first-of-type { border-top: 0; }
      .swatch { width: 12px; height: 12px; border-radius: 3px; background: var(--col-a); display: inline-block; }
      .col-b .swatch { background: var(--col-b); }
      .formula { font-size: 11.5px; }
      .mats { display: flex; flex-wrap: wrap; gap: 4px 14px; }
      .mat { min-width: 0; max-width: 100%; }
      .mat-title { margin-bottom: -2px; }
      .hm { max-width: 100%; }
      attn-heatmap { --panel: var(--w-bg); --fg: var(--w-fg); --muted: var(--w-muted); }
      @media (max-width: 560px) {
        .row-label { min-width: 0; }
        .num input { width: 64px; }
      }
    `,
  ];
}

// ------------------------------------------------------------------------------------------------ helpers

interface MatrixSpec {
  key?: string;
  title: string;
  code?: string;
  matrix: Float32Array;
  rows: number;
  cols: number;
  rowLabels: string[];
  colLabels: string[];
  rowTitle: string;
  colTitle: string;
  signed?: boolean;
  domain: [number, number];
  mask?: Float32Array;
  maskLabel?: string;
}

/** The per-position losses [B, T] as a matrix: ignored positions (NaN from the engine) masked, drawn as 0. */
function lossMatrix(r: TrainStepResult): MatrixSpec {
  const { B, T } = r.batch;
  const losses = r.step.losses;
  const matrix = Float32Array.from(losses, (v) => (Number.isNaN(v) ? 0 : v));
  const mask = Float32Array.from(losses, (v) => (Number.isNaN(v) ? -Infinity : 0));
  let hi = 0;
  for (const v of matrix) hi = Math.max(hi, v);
  return {
    key: 'loss', title: 'loss per position', code: 'F.cross_entropy(…, reduction="none")', matrix, mask, maskLabel: 'ignored (the target is a pad)',
    rows: B, cols: T, rowLabels: Array.from({ length: B }, (_, b) => `seq ${b}`),
    colLabels: Array.from({ length: T }, (_, t) => String(t)),
    rowTitle: 'Sequence', colTitle: 'Position', domain: [0, hi || 1],
  };
}

function symmetric(a: Float32Array): [number, number] {
  const m = maxAbs(a) || 1;
  return [-m, m];
}

function maxAbs(a: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function fmt(v: number) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1000 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4);
  return s.replace('-', '−');
}

function signed(v: number) {
  return (v > 0 ? '+' : '') + fmt(v);
}

function pct(v: number) {
  return `${(100 * v).toFixed(0)}%`;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-train-step': AttnTrainStep;
  }
}
