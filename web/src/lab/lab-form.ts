// <lab-form>: the configuration of a run: task, model and training, with a preset picker. It edits a copy of
// the config and fires `config-change` with the whole new config; text that is not a number is flagged on
// its field and not sent on. Whether the config makes sense (heads dividing d_model, a run longer than its
// warmup, ...) is the engine's call: the lab shows its message next to Start.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { PRESETS, TASKS, presetConfig, taskInfo, type LabConfig } from './config';

type NumberKey = { [K in keyof LabConfig]: LabConfig[K] extends number ? K : never }[keyof LabConfig];

const NUMBER_FIELDS: Record<NumberKey, { label: string; min: number; max: number; step: number; hint?: string }> = {
  symbols: { label: 'Symbols', min: 2, max: 1000, step: 1, hint: 'distinct numbers 0 … n−1' },
  minLen: { label: 'Shortest input', min: 1, max: 256, step: 1 },
  maxLen: { label: 'Longest input', min: 1, max: 256, step: 1 },
  layers: { label: 'Layers', min: 0, max: 12, step: 1 },
  decoderLayers: { label: 'Decoder layers', min: 0, max: 12, step: 1 },
  heads: { label: 'Heads', min: 1, max: 64, step: 1 },
  dModel: { label: 'd_model', min: 1, max: 1024, step: 1, hint: 'width of every token vector' },
  ff: { label: 'FFN width', min: 1, max: 4096, step: 1, hint: 'hidden units of the feed-forward network' },
  dropout: { label: 'Dropout', min: 0, max: 0.9, step: 0.05 },
  lr: { label: 'Learning rate', min: 0.00001, max: 1, step: 0.0001, hint: 'peak, after the warmup; then cosine decay' },
  beta1: { label: 'β₁', min: 0, max: 0.9999, step: 0.01, hint: 'decay of the mean gradient (exp_avg)' },
  beta2: { label: 'β₂', min: 0, max: 0.9999, step: 0.001, hint: 'decay of the mean squared gradient (exp_avg_sq)' },
  momentum: { label: 'Momentum', min: 0, max: 0.9999, step: 0.05, hint: '0: plain gradient descent' },
  weightDecay: { label: 'Weight decay', min: 0, max: 1, step: 0.01 },
  clip: { label: 'Clip norm', min: 0, max: 1000, step: 0.5, hint: 'largest gradient norm; 0: no clipping' },
  warmup: { label: 'Warmup steps', min: 0, max: 100000, step: 10 },
  batch: { label: 'Batch size', min: 1, max: 1024, step: 1 },
  steps: { label: 'Steps', min: 1, max: 1000000, step: 50 },
  seed: { label: 'Seed', min: 0, max: 4294967295, step: 1, hint: 'weights, data and dropout' },
  evalEvery: { label: 'Evaluate every', min: 0, max: 100000, step: 10, hint: 'steps: held-out metrics and an attention snapshot' },
};

/** What each optimizer does with the weight decay (as torch.optim does). */
const OPTIMIZER_ABOUT: Record<LabConfig['optimizer'], string> = {
  adamw: 'AdamW (torch.optim.AdamW): Adam with the weight decay applied to the weights themselves.',
  adam: 'Adam (torch.optim.Adam): the weight decay is an L2 term added to the gradient.',
  sgd: 'SGD (torch.optim.SGD) with momentum; the weight decay is an L2 term added to the gradient.',
};

@customElement('lab-form')
export class LabForm extends LitElement {
  @property({ attribute: false }) config!: LabConfig;
  @state() private bad: Partial<Record<NumberKey, string>> = {};

  /** Field errors of text that is not a number (the engine never sees those). */
  get fieldErrors(): string[] {
    return Object.entries(this.bad)
      .filter(([, v]) => v)
      .map(([k, v]) => `${NUMBER_FIELDS[k as NumberKey].label}: ${v}`);
  }

  private emit(config: LabConfig) {
    this.dispatchEvent(new CustomEvent('config-change', { detail: { config, fieldErrors: this.fieldErrors }, bubbles: true, composed: true }));
  }

  private set<K extends keyof LabConfig>(key: K, value: LabConfig[K]) {
    this.emit({ ...this.config, [key]: value });
  }

  private onNumber(key: NumberKey, ev: Event) {
    const input = ev.target as HTMLInputElement;
    const text = input.value.trim().replace(',', '.');
    const v = Number(text);
    const error = text === '' ? 'type a number' : Number.isFinite(v) ? '' : `"${text.slice(0, 12)}" is not a number`;
    this.bad = { ...this.bad, [key]: error };
    if (error) this.emit(this.config);
    else this.set(key, v as LabConfig[NumberKey]);
  }

  private number(key: NumberKey, label?: string) {
    const f = NUMBER_FIELDS[key];
    const err = this.bad[key];
    return html`<label class="field ${err ? 'bad' : ''}">
      <span class="name">${label ?? f.label}</span>
      <input type="text" inputmode="decimal" data-field=${key} .value=${String(this.config[key])}
        aria-invalid=${err ? 'true' : 'false'} title=${f.hint ?? ''} @change=${(e: Event) => this.onNumber(key, e)} />
      ${err ? html`<span class="err">${err}</span>` : f.hint ? html`<span class="hint">${f.hint}</span>` : nothing}
    </label>`;
  }

  private choice<K extends keyof LabConfig>(key: K, label: string, options: [LabConfig[K], string][]) {
    return html`<label class="field"><span class="name">${label}</span>
      <select data-field=${key} @change=${(e: Event) => {
        const i = (e.target as HTMLSelectElement).selectedIndex;
        this.set(key, options[i][0]);
      }}>
        ${options.map(([v, text]) => html`<option ?selected=${v === this.config[key]}>${text}</option>`)}
      </select></label>`;
  }

  /** The transformer's settings. */
  private transformerFields() {
    const c = this.config;
    return html`<div class="row">
        ${c.arch === 'encoder-decoder' ? html`${this.number('layers', 'Encoder layers')}${this.number('decoderLayers')}` : this.number('layers')}
        ${this.number('heads')}
      </div>
      <div class="row">${this.number('dModel')}${this.number('ff')}</div>
      <div class="row">
        ${this.choice('activation', 'Activation', [['relu', 'ReLU'], ['gelu', 'GELU']])}
        ${this.choice('positional', 'Positions', [['sinusoidal', 'sinusoidal'], ['learned', 'learned'], ['none', 'none']])}
        ${this.choice('norm', 'Layer norm', [['post', 'post-norm'], ['pre', 'pre-norm']])}
      </div>
      <div class="row">${this.number('dropout')}</div>`;
  }

  /** The LSTM baseline's settings: its layers (the encoder's and the decoder's) and its hidden size. */
  private lstmFields() {
    return html`<div class="row">${this.number('layers', 'LSTM layers')}${this.number('dModel', 'Hidden size')}</div>
      <p class="about muted" data-about="lstm">A sequence-to-sequence LSTM without attention (nn.LSTM): the encoder
        reads the input one symbol at a time, and the decoder sees it only through the encoder's final state
        (h, c), whatever the input's length. Heads, FFN, positions and norm do not apply.</p>`;
  }

  override render() {
    const c = this.config;
    const task = taskInfo(c.task);
    return html`
      <div class="preset">
        <label>Start from
          <select class="preset-pick" @change=${(e: Event) => {
            const sel = e.target as HTMLSelectElement;
            if (sel.value) {
              this.bad = {};
              this.emit(presetConfig(sel.value));
            }
            sel.value = '';
          }}>
            <option value="">a preset…</option>
            ${PRESETS.map((p) => html`<option value=${p.id}>${p.title}</option>`)}
          </select>
        </label>
      </div>
      <div class="groups">
        <fieldset>
          <legend>Task</legend>
          <div class="tasks" role="group" aria-label="Task">
            ${TASKS.map(
              (t) => html`<button class="task ${t.name === c.task ? 'on' : ''}" aria-pressed=${t.name === c.task}
                data-task=${t.name} @click=${() => this.set('task', t.name)}>${t.title}</button>`,
            )}
          </div>
          <p class="about"><strong>Input:</strong> ${task.format}</p>
          <p class="about muted">${task.explains}</p>
          ${task.toy ? html`<div class="row">${this.number('symbols')}${this.number('minLen')}${this.number('maxLen')}</div>` : nothing}
          <slot name="examples"></slot>
        </fieldset>
        <fieldset>
          <legend>Model</legend>
          <div class="row">
            ${this.choice('arch', 'Architecture', [['encoder-decoder', 'encoder-decoder'], ['decoder', 'decoder-only (causal)'], ['lstm', 'LSTM (no attention)']])}
          </div>
          ${c.arch === 'lstm' ? this.lstmFields() : this.transformerFields()}
        </fieldset>
        <fieldset>
          <legend>Training</legend>
          <div class="row">
            ${this.choice('optimizer', 'Optimizer', [['adamw', 'AdamW'], ['adam', 'Adam'], ['sgd', 'SGD (momentum)']])}
            ${this.number('lr')}
          </div>
          <div class="row">
            ${c.optimizer === 'sgd' ? this.number('momentum') : html`${this.number('beta1')}${this.number('beta2')}`}
          </div>
          <div class="row">${this.number('weightDecay')}${this.number('clip')}</div>
          <div class="row">${this.number('warmup')}${this.number('batch')}</div>
          <div class="row">${this.number('steps')}${this.number('seed')}</div>
          <div class="row">${this.number('evalEvery')}</div>
          <p class="about muted">${OPTIMIZER_ABOUT[c.optimizer]} Cross-entropy on the answer.</p>
        </fieldset>
      </div>
    `;
  }

  static override styles = css`
    :host { display: block; }
    .preset { margin-bottom: 10px; font-size: 13px; }
    .preset select { margin-left: 6px; }
    .groups { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
    fieldset { border: 1px solid var(--w-border); border-radius: 10px; padding: 8px 12px 10px; margin: 0; min-width: 0; }
    legend { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.06em; color: var(--w-muted); padding: 0 4px; }
    .row { display: flex; flex-wrap: wrap; gap: 8px 10px; margin-top: 6px; }
    .field { display: flex; flex-direction: column; gap: 2px; font-size: 12.5px; min-width: 88px; flex: 1 1 88px; }
    .field .name { font-weight: 600; }
    .field input, .field select, .preset select { font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid var(--w-border); border-radius: 6px; background: var(--w-input-bg); color: var(--w-fg); }
    .field input { width: 100%; box-sizing: border-box; font-variant-numeric: tabular-nums; }
    .field.bad input { border-color: var(--w-error); background: var(--w-error-bg); }
    .hint { color: var(--w-muted); font-size: 11px; line-height: 1.3; }
    .err { color: var(--w-error); font-size: 11.5px; }
    .tasks { display: flex; flex-wrap: wrap; gap: 4px; }
    .task { font: inherit; font-size: 12.5px; padding: 3px 9px; border-radius: 999px; border: 1px solid var(--w-border); background: var(--w-input-bg); color: var(--w-fg); cursor: pointer; }
    .task.on { background: var(--w-accent); border-color: var(--w-accent); color: var(--w-on-accent); }
    .task:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--w-focus); outline-offset: 1px; }
    .about { font-size: 12.5px; margin: 8px 0 0; }
    .muted { color: var(--w-muted); }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-form': LabForm;
  }
}
